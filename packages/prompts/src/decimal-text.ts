/**
 * Half-up rounding of a finite number's shortest decimal form, done on its digits as text.
 * `new Decimal(number)` reads exactly `String(number)` (decimal.js parses the number's
 * shortest round-trip form), so rounding those digits gives Decimal's result without
 * building a Decimal, and without float arithmetic: a prompt formats hundreds of numbers
 * per tick, and the Decimals were most of that cost.
 * Invariant: each function here equals the Decimal expression its comment names, for every
 * finite number (the property tests in decimal-text.test.ts check it against Decimal).
 */

/** ±0.digits × 10^point: `digits` without leading or trailing zeros ("" for zero, with point 0). */
export interface DecimalDigits {
  negative: boolean;
  digits: string;
  point: number;
}

/** The digits of a finite number's shortest decimal form (what Decimal reads); -0 is zero. */
export function digitsOf(value: number): DecimalDigits {
  let text = String(value);
  let negative = false;
  if (text.charCodeAt(0) === 45 /* "-" */) {
    negative = true;
    text = text.slice(1);
  }
  let exponent = 0;
  const e = text.indexOf("e");
  if (e >= 0) {
    exponent = Number(text.slice(e + 1));
    text = text.slice(0, e);
  }
  const dot = text.indexOf(".");
  const all = dot >= 0 ? text.slice(0, dot) + text.slice(dot + 1) : text;
  let start = 0;
  while (start < all.length && all.charCodeAt(start) === 48 /* "0" */) start++;
  let end = all.length;
  while (end > start && all.charCodeAt(end - 1) === 48) end--;
  if (start === end) return { negative, digits: "", point: 0 };
  return { negative, digits: all.slice(start, end), point: (dot >= 0 ? dot : all.length) + exponent - start };
}

/** The value times 10^shift (exact: the digits move, none are lost). */
export function shifted(d: DecimalDigits, shift: number): DecimalDigits {
  return d.digits === "" ? d : { negative: d.negative, digits: d.digits, point: d.point + shift };
}

/** The value rounded half-up (half away from zero) to its first `keep` digits (keep may be 0 or negative: nothing kept). */
export function roundHalfUp(d: DecimalDigits, keep: number): DecimalDigits {
  const { digits } = d;
  if (keep >= digits.length) return d;
  // Every digit is below the kept place's half: zero.
  if (keep < 0) return { negative: d.negative, digits: "", point: 0 };
  let kept = digits.slice(0, keep);
  let point = d.point;
  if (digits.charCodeAt(keep) >= 53 /* "5" */) {
    // One unit more in the last kept place, carrying (trailing zeros dropped).
    let i = kept.length - 1;
    while (i >= 0 && kept.charCodeAt(i) === 57 /* "9" */) i--;
    if (i < 0) {
      kept = "1";
      point += 1;
    } else {
      kept = kept.slice(0, i) + String.fromCharCode(kept.charCodeAt(i) + 1);
    }
  } else {
    let end = kept.length;
    while (end > 0 && kept.charCodeAt(end - 1) === 48) end--;
    kept = kept.slice(0, end);
  }
  return kept === "" ? { negative: d.negative, digits: "", point: 0 } : { negative: d.negative, digits: kept, point };
}

/** |value| with exactly `places` fraction digits; the digits must already fit in them (rounded at point + places). */
export function fixedText(d: DecimalDigits, places: number): string {
  const { digits, point } = d;
  let whole: string;
  let fraction: string;
  if (point <= 0) {
    whole = "0";
    fraction = digits === "" ? "" : "0".repeat(-point) + digits;
  } else if (point >= digits.length) {
    whole = digits + "0".repeat(point - digits.length);
    fraction = "";
  } else {
    whole = digits.slice(0, point);
    fraction = digits.slice(point);
  }
  return places === 0 ? whole : `${whole}.${fraction.padEnd(places, "0")}`;
}

/**
 * `new Decimal(value).times(10 ** shift).toFixed(places, Decimal.ROUND_HALF_UP)` for a finite
 * number: a minus sign for any negative value, even one that rounds to zero (as Decimal).
 */
export function fixedHalfUpText(value: number, places: number, shift = 0): string {
  const d = shifted(digitsOf(value), shift);
  const text = fixedText(roundHalfUp(d, d.point + places), places);
  return d.negative && d.digits !== "" ? `-${text}` : text;
}

/**
 * `new Decimal(value).toSignificantDigits(sd, Decimal.ROUND_HALF_UP).toString()` for a finite
 * number, for core's Decimal (exponent notation below 1e-29 and from 1e40): null where the
 * result would be in exponent notation (the caller asks Decimal then).
 */
export function significantHalfUpText(value: number, sd: number): string | null {
  const r = roundHalfUp(digitsOf(value), sd);
  const { digits, point } = r;
  if (digits === "") return "0";
  // Decimal's exponent is point - 1; core's Decimal prints it from toExpNeg -30 and toExpPos 40.
  if (point - 1 <= -30 || point - 1 >= 40) return null;
  let text: string;
  if (point <= 0) text = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + "0".repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return r.negative ? `-${text}` : text;
}
