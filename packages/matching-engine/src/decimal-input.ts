/**
 * Decimals at the boundary and as text, the form the journal and snapshots store them in.
 *
 * Invariants: a caller's price, size, rate or amount may be a decimal string, a number or a
 * Decimal (or a bigint); it becomes text exactly or is refused with a ValidationError naming
 * the field, before anything changes. A number is taken at its shortest round-trip decimal
 * form (what JavaScript prints: 0.1 is "0.1") and refused when that form has more than 15
 * significant digits, the most a double carries exactly (0.1 + 0.2 prints
 * 0.30000000000000004: refused rather than guessed). A Decimal survives decimalInputText ->
 * parseDecimal unchanged; nothing here rounds.
 */
import {
  type Decimal,
  type ExitPlanJson,
  ValidationError,
  exitPlanJsonSchema,
  isDecimal,
  toDecimal,
} from "@autonome/core";

/** A decimal as a caller gives it: a decimal string ("0.1", "1e-3"), a finite number with at most 15 significant digits, a bigint or a Decimal. */
export type DecimalInput = string | number | bigint | Decimal;

/** Most significant digits a double holds exactly (DBL_DIG). */
const MAX_EXACT_DIGITS = 15;
/** Plain decimal text that needs no parsing to be journaled. */
const PLAIN_DECIMAL = /^-?\d+(?:\.\d+)?$/;

function refused(path: string, message: string): ValidationError {
  return new ValidationError("invalid decimal", [{ path, message }]);
}

/**
 * The journal text of a decimal input (see the module header); throws ValidationError at
 * `path` for anything that is not a finite decimal given exactly.
 */
export function decimalInputText(value: unknown, path: string): string {
  if (typeof value === "string") {
    if (PLAIN_DECIMAL.test(value)) return value;
    const parsed = parseDecimal(value);
    if (parsed === null) throw refused(path, `${JSON.stringify(value)} is not a decimal number`);
    return parsed.toString();
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw refused(path, `${value} is not a finite number`);
    const decimal = toDecimal(String(value));
    if (decimal.sd() > MAX_EXACT_DIGITS) {
      throw refused(path, `the number ${String(value)} has more than ${MAX_EXACT_DIGITS} significant digits, so it is not exact; pass a decimal string`);
    }
    return decimal.toString();
  }
  if (typeof value === "bigint") return value.toString();
  if (isDecimal(value)) {
    if (!value.isFinite()) throw refused(path, `${value.toString()} is not finite`);
    return value.toString();
  }
  throw refused(path, "must be a decimal string, a finite number or a Decimal");
}

/** The exact Decimal of a decimal input; throws ValidationError at `path`. */
export function decimalInput(value: unknown, path: string): Decimal {
  return toDecimal(decimalInputText(value, path));
}

/** The finite Decimal a text holds, or null (absent, unparseable, NaN or infinite). */
export function parseDecimal(text: string | undefined): Decimal | null {
  if (text === undefined) return null;
  try {
    const value = toDecimal(text);
    return value.isFinite() ? value : null;
  } catch {
    return null;
  }
}

/** An exit plan as a caller may give it: every field optional, prices as decimal inputs. */
export interface ExitPlanInput {
  /** Stop-loss trigger price. */
  stop?: DecimalInput | null;
  /** Take-profit trigger price. */
  target?: DecimalInput | null;
  /** In words, what would prove the trade wrong. */
  invalidation?: string | null;
  /** A price that invalidates the idea (kept, not acted on by the simulator). */
  invalidationPrice?: DecimalInput | null;
  /** Confidence, a fraction in [0, 1]. */
  confidence?: number | null;
  /** Close at this time (epoch ms); kept, not acted on by the simulator. */
  timeExit?: number | null;
  /** No new entry before this time (epoch ms); kept, not acted on by the simulator. */
  cooldownUntil?: number | null;
}

const PLAN_PRICES = ["stop", "target", "invalidationPrice"] as const;

/**
 * The JSON form of an exit plan input (absent fields null); throws ValidationError naming the
 * field (`exitPlan.stop`) for a price that is not a positive decimal, an unknown key, or a
 * confidence or time out of range.
 */
export function exitPlanJsonOf(input: unknown, path = "exitPlan"): ExitPlanJson {
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) throw new ValidationError("invalid exit plan", [{ path, message: "must be an object" }]);
  const plain: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const key of PLAN_PRICES) {
    const value = plain[key];
    if (value === undefined || value === null) continue;
    plain[key] = decimalInputText(value, `${path}.${key}`);
  }
  const parsed = exitPlanJsonSchema.safeParse(plain);
  if (!parsed.success) {
    throw new ValidationError(
      "invalid exit plan",
      parsed.error.issues.map((i) => ({ path: [path, ...i.path.map(String)].join("."), message: i.message })),
    );
  }
  return parsed.data;
}

/** Converts Decimals to strings, recursively, for JSON-safe state and comparisons. */
export function jsonSafe(value: unknown): unknown {
  if (isDecimal(value)) return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = jsonSafe(inner);
    return out;
  }
  return value;
}
