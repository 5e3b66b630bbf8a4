/**
 * Fast exact conversion of plain decimal strings (the form market data arrives in) to integer
 * units. Invariant: it returns a value only when the exact Decimal conversion would return the
 * same value; for anything else it returns undefined and the caller uses the Decimal path.
 */

/** Most significant digits a result may have: below 2^53, so every step of the sum is exact. */
const MAX_DIGITS = 15;

/** 10^k for the padding of a short fraction (k <= MAX_DIGITS here: more would exceed the limit). */
const POW10 = Array.from({ length: MAX_DIGITS + 1 }, (_, k) => 10 ** k);

/**
 * The value of a plain decimal string (`^\d+(\.\d+)?$`) in units of 10^-decimals (ticks or
 * lots, since tick = 10^-priceDecimals and lot = 10^-sizeDecimals). Undefined when the text is
 * anything else: zero, off the grid, an exponent or sign, more than 15 significant digits.
 * One pass over the characters, no regular expression and no intermediate strings (it runs
 * for every level of every book the simulator loads).
 */
export function plainUnits(text: string, decimals: number): number | undefined {
  const n = text.length;
  let i = 0;
  let value = 0;
  // Digits of the integer part, and how many of them count (from the first non-zero one).
  let significant = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c === -2) break; // "."
    if (c < 0 || c > 9) return undefined;
    if (significant > 0 || c !== 0) {
      significant++;
      value = value * 10 + c;
    }
  }
  if (i === 0) return undefined; // no integer digit
  let fractionLength = 0;
  if (i < n) {
    const start = i + 1;
    if (start === n) return undefined; // "1."
    // The fraction without its trailing zeros: its last non-zero digit ends it.
    let end = start;
    for (let j = start; j < n; j++) {
      const c = text.charCodeAt(j) - 48;
      if (c < 0 || c > 9) return undefined;
      if (c !== 0) end = j + 1;
    }
    fractionLength = end - start;
    if (fractionLength > decimals) return undefined;
    for (let j = start; j < end; j++) {
      const c = text.charCodeAt(j) - 48;
      if (significant > 0 || c !== 0) {
        significant++;
        value = value * 10 + c;
      }
    }
  }
  if (significant === 0) return undefined; // zero
  // The padding zeros to `decimals` places count as digits of the result.
  const padding = decimals - fractionLength;
  if (significant + padding > MAX_DIGITS) return undefined;
  return padding === 0 ? value : value * POW10[padding]!;
}
