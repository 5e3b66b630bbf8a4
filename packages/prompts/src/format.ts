/**
 * Number formatting the way a trader reads it: prices to a precision that follows
 * their magnitude, oscillators to two places, money as dollars, rates as percent.
 * Never float noise such as 0.30000000000000004. Display rounding is half-up
 * (what a reader expects), unlike the half-even of money arithmetic in core.
 */
import { Decimal, formatUsd, groupThousands, isDecimal, toDecimal } from "@autonome/core";
import type { Numeric } from "./context.js";
import { digitsOf, fixedHalfUpText, fixedText, roundHalfUp, shifted, significantHalfUpText } from "./decimal-text.js";

/** Whether a value is present and finite (undefined, null, NaN and Infinity are missing). */
export function isPresent(value: Numeric | null | undefined): value is Numeric {
  if (value === undefined || value === null) return false;
  if (typeof value === "number") return Number.isFinite(value);
  return isDecimal(value) && value.isFinite();
}

/** Whether a series has at least one point and every point is present. */
export function isCompleteSeries(series: readonly (Numeric | null | undefined)[] | null | undefined): series is readonly Numeric[] {
  return Array.isArray(series) && series.length > 0 && series.every(isPresent);
}

function dec(value: Numeric): Decimal {
  return isDecimal(value) ? value : toDecimal(value);
}

const HALF_UP = Decimal.ROUND_HALF_UP;

/**
 * `new Decimal(value).toFixed(places, ROUND_HALF_UP)` for a number, without a Decimal:
 * the rounding is done on the number's shortest decimal form, which is what Decimal
 * reads. (A prompt formats hundreds of series points per tick, and this is most of its cost.)
 */
export function toFixedHalfUp(value: number, places: number): string {
  if (!Number.isFinite(value)) return new Decimal(value).toFixed(places, HALF_UP);
  const abs = value < 0 ? -value : value;
  if (places <= 8) {
    // Scaled to an integer below 1e9, the double is within 3e-7 of the scaled shortest form
    // (half an ulp of each, 2^-51 relative at most, plus the product's rounding): away from a
    // half, both round to the same integer.
    const scaled = abs * POWERS_OF_TEN[places]!;
    if (scaled < 1e9) {
      const whole = Math.floor(scaled);
      const fraction = scaled - whole;
      if (fraction < 0.499999 || fraction > 0.500001) {
        let digits = String(fraction > 0.5 ? whole + 1 : whole);
        if (places > 0) {
          if (digits.length <= places) digits = "0".repeat(places + 1 - digits.length) + digits;
          digits = `${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
        }
        // Decimal keeps the sign of a negative value that rounds to zero ("-0.00").
        return value < 0 ? `-${digits}` : digits;
      }
    }
  }
  return fixedHalfUpText(value, places);
}

const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/** Decimal places for a price of at least 1 (BTC 1, ETH 2, SOL 3, XRP 4). */
function priceDecimals(abs: Decimal): number {
  if (abs.gte(10000)) return 1;
  if (abs.gte(1000)) return 2;
  if (abs.gte(10)) return 3;
  return 4;
}

/** A price or a price-like value (EMA, ATR), to the precision of its magnitude; below 1, five significant digits. */
export function formatPrice(value: Numeric): string {
  if (typeof value === "number" && Math.abs(value) >= 1) {
    const abs = Math.abs(value);
    return toFixedHalfUp(value, abs >= 10000 ? 1 : abs >= 1000 ? 2 : abs >= 10 ? 3 : 4);
  }
  if (typeof value === "number" && Number.isFinite(value)) {
    const text = significantHalfUpText(value, 5);
    if (text !== null) return text;
  }
  const d = dec(value);
  if (d.abs().lt(1)) return d.toSignificantDigits(5, HALF_UP).toString();
  return d.toFixed(priceDecimals(d.abs()), HALF_UP);
}

/** An oscillator (RSI, MACD): two places, or four significant digits when small. */
export function formatIndicator(value: Numeric): string {
  if (typeof value === "number" && Math.abs(value) >= 1) return toFixedHalfUp(value, 2);
  if (typeof value === "number" && Number.isFinite(value)) {
    const text = value === 0 ? "0" : significantHalfUpText(value, 4);
    if (text !== null) return text;
  }
  const d = dec(value);
  if (d.isZero()) return "0";
  if (d.abs().gte(1)) return d.toFixed(2, HALF_UP);
  return d.toSignificantDigits(4, HALF_UP).toString();
}

/** A large count (open interest, volume): whole units with thousands separators, two places below 100. */
export function formatAmount(value: Numeric): string {
  if (typeof value === "number" && Number.isFinite(value)) {
    const abs = Math.abs(value);
    return `${value < 0 ? "-" : ""}${groupThousands(toFixedHalfUp(abs, abs < 100 ? 2 : 0))}`;
  }
  const d = dec(value);
  const places = d.abs().lt(100) ? 2 : 0;
  return `${d.isNegative() && !d.isZero() ? "-" : ""}${groupThousands(d.abs().toFixed(places, HALF_UP))}`;
}

/** A fraction as a signed percent ("+5.25%", "-0.40%"). */
export function formatSignedPercent(fraction: Numeric, places = 2): string {
  if (typeof fraction === "number" && Number.isFinite(fraction)) {
    const d = shifted(digitsOf(fraction), 2);
    const rounded = roundHalfUp(d, d.point + places);
    const text = fixedText(rounded, places);
    return `${rounded.digits === "" ? "" : rounded.negative ? "-" : "+"}${text}%`;
  }
  const pct = dec(fraction).mul(100).toDecimalPlaces(places, HALF_UP);
  return `${pct.gt(0) ? "+" : ""}${pct.toFixed(places, HALF_UP)}%`;
}

/** A fraction as a percent without sign prefix ("12.50%"). */
export function formatPercent(fraction: Numeric, places = 2): string {
  if (typeof fraction === "number" && Number.isFinite(fraction)) return `${fixedHalfUpText(fraction, places, 2)}%`;
  return `${dec(fraction).mul(100).toFixed(places, HALF_UP)}%`;
}

/** Dollars with thousands separators ("$10,234.56", "-$12.00"). */
export function formatMoney(value: Numeric): string {
  return formatUsd(dec(value));
}

/** A quantity in base units with trailing zeros removed. */
export function formatQuantity(value: Numeric): string {
  return dec(value).toSignificantDigits(10).toString();
}

/** A ratio such as Sharpe or leverage, to two places. */
export function formatRatio(value: Numeric): string {
  if (typeof value === "number" && Number.isFinite(value)) return toFixedHalfUp(value, 2);
  return dec(value).toFixed(2, HALF_UP);
}

/** A series, oldest first, each point formatted. */
export function formatSeries(values: readonly Numeric[], format: (value: Numeric) => string): string {
  return `[${values.map(format).join(", ")}]`;
}

/** A duration in ms as "3h 25m", "2d 4h" or "45m". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** An epoch-ms time as ISO 8601 in UTC, to the second. */
export function formatTime(ms: number): string {
  // The models of a tick are prompted at the same time: the last answer is kept.
  if (ms === lastTime.ms) return lastTime.text;
  const text = `${new Date(ms).toISOString().slice(0, 19)}Z`;
  lastTime = { ms, text };
  return text;
}

let lastTime = { ms: Number.NaN, text: "" };
