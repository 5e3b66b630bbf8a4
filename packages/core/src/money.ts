/**
 * Exact money on decimal.js. Every balance, price, size and PnL outside the
 * matching engine's integer core is a `Decimal`; floats never get summed.
 * Invariant: `Decimal` here is a clone with 40 significant digits and
 * banker's rounding, so products of prices and sizes are exact.
 */
import DecimalJs from "decimal.js";

/** The Decimal class every Autonome package uses: 40 significant digits, half-even rounding. */
export const Decimal = DecimalJs.clone({
  precision: 40,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -30,
  toExpPos: 40,
});
/** A decimal.js value (instances of any decimal.js clone share this shape). */
export type Decimal = DecimalJs;

/** Anything that can be turned into a Decimal without loss. */
export type DecimalLike = DecimalJs | string | number | bigint;

/** Decimal zero. */
export const ZERO: Decimal = new Decimal(0);
/** Decimal one. */
export const ONE: Decimal = new Decimal(1);

/** Converts a value to Decimal; numbers go through their shortest string form, so 0.1 stays 0.1. */
export function toDecimal(value: DecimalLike): Decimal {
  if (DecimalJs.isDecimal(value)) return new Decimal(value);
  if (typeof value === "bigint") return new Decimal(value.toString());
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError(`not a finite number: ${value}`);
  }
  return new Decimal(value);
}

/** Whether a value is a decimal.js Decimal (from any clone). */
export function isDecimal(value: unknown): value is Decimal {
  return DecimalJs.isDecimal(value);
}

/** Exact sum of decimals. */
export function sumDecimals(values: Iterable<DecimalLike>): Decimal {
  let total: Decimal = ZERO;
  // plus copies its argument itself: a Decimal goes in as it is (one copy, not two).
  for (const value of values) total = total.plus(DecimalJs.isDecimal(value) ? value : toDecimal(value));
  return total;
}

/** How a value is rounded onto a step grid. */
export type RoundingMode = "down" | "up" | "nearest" | "toward-zero";

const roundingOf: Record<RoundingMode, DecimalJs.Rounding> = {
  down: DecimalJs.ROUND_FLOOR,
  up: DecimalJs.ROUND_CEIL,
  nearest: DecimalJs.ROUND_HALF_EVEN,
  "toward-zero": DecimalJs.ROUND_DOWN,
};

/** Rounds a value to a multiple of `step` (for example a tick or lot size). */
export function roundToStep(value: DecimalLike, step: DecimalLike, mode: RoundingMode = "nearest"): Decimal {
  const stepDecimal = toDecimal(step);
  if (stepDecimal.lte(0)) throw new RangeError(`step must be positive, got ${stepDecimal.toString()}`);
  const units = toDecimal(value).div(stepDecimal).toDecimalPlaces(0, roundingOf[mode]);
  return units.mul(stepDecimal);
}

/** Whether a value lies exactly on a multiple of `step`. */
export function isOnStep(value: DecimalLike, step: DecimalLike): boolean {
  return toDecimal(value).mod(toDecimal(step)).isZero();
}

/**
 * Converts a decimal to a scaled integer with `decimals` places (price 3090.49 at 2
 * decimals -> 309049). Throws when the value has more places than the scale holds,
 * so a conversion never silently rounds.
 */
export function toScaledInteger(value: DecimalLike, decimals: number): bigint {
  const scaled = toDecimal(value).mul(new Decimal(10).pow(decimals));
  if (!scaled.isInteger()) {
    throw new RangeError(`${toDecimal(value).toString()} has more than ${decimals} decimal places`);
  }
  return BigInt(scaled.toFixed(0));
}

/** Converts a scaled integer back to a Decimal (309049 at 2 decimals -> 3090.49). */
export function fromScaledInteger(value: bigint | number, decimals: number): Decimal {
  return new Decimal(value.toString()).div(new Decimal(10).pow(decimals));
}

/**
 * Formats a dollar amount the way a trader reads it: 2 places, thousands separators, sign first.
 * Rounds half-even; a negative amount that rounds to zero prints without its sign ("$0.00").
 */
export function formatUsd(value: DecimalLike, places = 2): string {
  // One rounding to text (a Decimal of this clone as it is, without a copy), then the sign and the separators.
  const decimal = isDecimal(value) && value.constructor === Decimal ? value : toDecimal(value);
  let text = decimal.toFixed(places, DecimalJs.ROUND_HALF_EVEN);
  let negative = false;
  if (text.charCodeAt(0) === 45 /* "-" */) {
    text = text.slice(1);
    // Decimal keeps the sign of a value that rounds to zero ("-0.00"); the amount shown is zero.
    for (let i = 0; i < text.length && !negative; i++) negative = text.charCodeAt(i) !== 48 /* "0" */ && text.charCodeAt(i) !== 46 /* "." */;
  }
  return `${negative ? "-" : ""}$${groupThousands(text)}`;
}

/**
 * Thousands separators in the whole part of a plain decimal ("12345.67" -> "12,345.67"), as
 * `/\B(?=(\d{3})+(?!\d))/g` puts them; a whole part that is not all digits comes back as it is.
 */
export function groupThousands(plain: string): string {
  const dot = plain.indexOf(".");
  const wholeLength = dot >= 0 ? dot : plain.length;
  if (wholeLength <= 3 || !isDigits(plain, wholeLength)) return plain;
  const head = wholeLength % 3 || 3;
  let out = plain.slice(0, head);
  for (let i = head; i < wholeLength; i += 3) out += `,${plain.slice(i, i + 3)}`;
  return dot >= 0 ? out + plain.slice(dot) : out;
}

function isDigits(text: string, length: number): boolean {
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The larger of two decimals. */
export function maxDecimal(a: Decimal, b: Decimal): Decimal {
  return a.gte(b) ? a : b;
}

/** The smaller of two decimals. */
export function minDecimal(a: Decimal, b: Decimal): Decimal {
  return a.lte(b) ? a : b;
}
