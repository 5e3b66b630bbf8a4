/**
 * Exact decimal text for numbers on a known grid. A price held as integer ticks
 * prints without any float rounding; a float prints with toFixed at the grid's
 * decimals, which is exact for values that came from such text.
 */
import { Decimal, toDecimal } from "@autonome/core";

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

/** 10^-i as Decimals, i = 0..15. */
const STEPS = POWERS.map((_, i) => new Decimal(10).pow(-i));

/**
 * `toDecimal(numberToText(value, decimals))` without printing and parsing text: a value
 * that sits exactly on the grid (the double nearest to k / 10^decimals) becomes the
 * integer k times 10^-decimals, which is exact and gives the same Decimal; any other
 * value (off the grid, zero, out of range) takes the text path.
 */
export function numberToDecimal(value: number, decimals: number): Decimal {
  const scale = POWERS[decimals];
  if (scale !== undefined && value !== 0) {
    const units = Math.round(value * scale);
    if (units / scale === value && Number.isSafeInteger(units)) return new Decimal(units).times(STEPS[decimals] as Decimal);
  }
  return toDecimal(numberToText(value, decimals));
}
