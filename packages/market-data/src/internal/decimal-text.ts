/**
 * Exact decimal text for numbers on a known grid. A price held as integer ticks
 * prints without any float rounding; a float prints with toFixed at the grid's
 * decimals, which is exact for values that came from such text.
 */

const ZEROS = Array.from({ length: 17 }, (_, i) => "0".repeat(i));

/** Prints integer `units` scaled by 10^-decimals ("309049", 2 -> "3090.49"). */
export function scaledToText(units: number, decimals: number): string {
  if (decimals === 0) return String(units);
  if (units < 0) return `-${scaledToText(-units, decimals)}`;
  const digits = String(units);
  const cut = digits.length - decimals;
  if (cut > 0) return `${digits.slice(0, cut)}.${digits.slice(cut)}`;
  return `0.${ZEROS[-cut] ?? ""}${digits}`;
}

/** Prints a float with `decimals` places, dropping trailing zeros ("61800.20" -> "61800.2"). */
export function numberToText(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  if (decimals === 0 || !text.includes(".")) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (text.charCodeAt(end - 1) === 46 /* . */) end--;
  return text.slice(0, end);
}

const POWERS = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Rounds a float to `decimals` places. The result is the double nearest to the
 * decimal k / 10^decimals (an exact integer over an exact power, correctly
 * rounded), which is what parsing that decimal's text gives, so it reads back identically.
 */
export function roundTo(value: number, decimals: number): number {
  const scale = POWERS[decimals] ?? 10 ** decimals;
  return Math.round(value * scale) / scale;
}
