/**
 * Fast exact conversion of plain decimal strings (the form market data arrives in) to integer
 * units. Invariant: it returns a value only when the exact Decimal conversion would return the
 * same value; for anything else it returns undefined and the caller uses the Decimal path.
 */

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * The value of a plain decimal string in units of 10^-decimals (ticks or lots, since
 * tick = 10^-priceDecimals and lot = 10^-sizeDecimals). Undefined when the text is anything
 * else: zero, off the grid, an exponent or sign, more than 15 digits.
 */
export function plainUnits(text: string, decimals: number): number | undefined {
  const match = PLAIN_DECIMAL.exec(text);
  if (match === null) return undefined;
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > decimals) return undefined;
  const digits = `${match[1]}${fraction.padEnd(decimals, "0")}`.replace(/^0+/, "");
  if (digits.length === 0 || digits.length > 15) return undefined;
  return Number(digits);
}
