/**
 * Conversions at the database boundary. Invariant: money never passes through a JS
 * number. Prisma's Decimal becomes core's Decimal through its string form; exact
 * inputs (prices, sizes) with more places than the column holds are refused, derived
 * amounts (PnL, fees, balances) are rounded half-even to the column's scale (an Order's
 * realized PnL, fees and funding have 30 places: what the matching engine books is kept exactly).
 */
import { Decimal, NotFoundError, ValidationError, isDecimal, toDecimal } from "@autonome/core";

/** A numeric(precision, scale) column. */
export interface NumericColumn {
  precision: number;
  scale: number;
}

/** numeric(18, 8): prices, sizes, fees, balances. */
export const NUMERIC_18_8: NumericColumn = { precision: 18, scale: 8 };
/** numeric(65, 30): an Order's realized PnL, fees and funding, exact as the matching engine books them. */
export const NUMERIC_65_30: NumericColumn = { precision: 65, scale: 30 };
/** numeric(10, 2): leverage. */
export const NUMERIC_10_2: NumericColumn = { precision: 10, scale: 2 };

/** Converts a Prisma Decimal (or any decimal-ish value read from the database) to core's Decimal. */
export function fromDbDecimal(value: { toString(): string }): Decimal {
  return toDecimal(value.toString());
}

/** Like fromDbDecimal, keeping null. */
export function fromDbDecimalOrNull(value: { toString(): string } | null): Decimal | null {
  return value === null ? null : fromDbDecimal(value);
}

function parseDecimal(field: string, value: unknown): Decimal {
  if (isDecimal(value) || typeof value === "string" || typeof value === "bigint" || typeof value === "number") {
    try {
      const d = toDecimal(value);
      if (d.isFinite()) return d;
    } catch {
      // fall through to the typed error
    }
  }
  throw new ValidationError("invalid number", [{ path: field, message: "must be a finite decimal number" }]);
}

/** What a numeric input must satisfy, and whether excess places are an error or rounded. */
export interface NumericRule {
  column: NumericColumn;
  sign?: "positive" | "non-negative" | "any";
  /** "exact": refuse more places than the column holds; "round": round half-even to them. */
  places: "exact" | "round";
}

/** Validates a decimal input for a numeric column; returns the value as stored. Throws ValidationError. */
export function toColumnDecimal(field: string, value: unknown, rule: NumericRule): Decimal {
  let d = parseDecimal(field, value);
  const { precision, scale } = rule.column;
  if (d.decimalPlaces() > scale) {
    if (rule.places === "exact") {
      throw new ValidationError("too many decimal places", [{ path: field, message: `at most ${scale} decimal places` }]);
    }
    d = d.toDecimalPlaces(scale, Decimal.ROUND_HALF_EVEN);
  }
  const limit = toDecimal(10).pow(precision - scale);
  if (d.abs().gte(limit)) {
    throw new ValidationError("number out of range", [{ path: field, message: `must be below ${limit.toString()} in magnitude` }]);
  }
  const sign = rule.sign ?? "any";
  if (sign === "positive" && d.lte(0)) {
    throw new ValidationError("number must be positive", [{ path: field, message: "must be greater than 0" }]);
  }
  if (sign === "non-negative" && d.lt(0)) {
    throw new ValidationError("number must not be negative", [{ path: field, message: "must be 0 or more" }]);
  }
  return d;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks an id names a possible row; a malformed id names no row, so it is NotFoundError. */
export function checkId(entity: string, id: unknown): string {
  if (typeof id !== "string" || !UUID.test(id)) throw new NotFoundError(entity, String(id));
  return id.toLowerCase();
}

/** Converts epoch ms to a Date, refusing non-integers and out-of-range values. */
export function toDbTime(field: string, ms: unknown): Date {
  if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms < 0 || ms > 8.64e15) {
    throw new ValidationError("invalid time", [{ path: field, message: "must be epoch milliseconds (a non-negative integer)" }]);
  }
  return new Date(ms);
}

/** Epoch ms of a Date read from the database. */
export function fromDbTime(date: Date): number {
  return date.getTime();
}

/** Like fromDbTime, keeping null. */
export function fromDbTimeOrNull(date: Date | null): number | null {
  return date === null ? null : date.getTime();
}

/** Checks a non-empty trimmed string of bounded length. */
export function checkText(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== "string" || value.trim() === "" || value !== value.trim() || value.length > maxLength) {
    throw new ValidationError("invalid text", [{ path: field, message: `must be a non-empty trimmed string of at most ${maxLength} characters` }]);
  }
  return value;
}

/** Checks a non-negative safe integer (counts, tokens, latencies). */
export function checkCount(field: string, value: unknown, max = 2_147_483_647): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ValidationError("invalid count", [{ path: field, message: `must be an integer in [0, ${max}]` }]);
  }
  return value;
}

/** Checks a Lighter order index (int64, positive). */
export function checkOrderIndex(field: string, value: unknown): bigint {
  const big = typeof value === "bigint" ? value : typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : null;
  if (big === null || big < 0n || big > 9_223_372_036_854_775_807n) {
    throw new ValidationError("invalid order index", [{ path: field, message: "must be a non-negative int64 (bigint)" }]);
  }
  return big;
}

/** A JSON value as stored in jsonb; refuses what JSON cannot carry (undefined, functions, bigint, NaN). */
export function checkJson(field: string, value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) throw new Error("non-finite number");
      return v;
    });
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    throw new ValidationError("invalid JSON", [{ path: field, message: "must be a JSON value" }]);
  }
  return JSON.parse(text) as unknown;
}

/** Rows in INSERT-sized chunks (far below PostgreSQL's 65,535 parameters a statement). */
export function* chunks<T>(rows: readonly T[], size = 1000): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
