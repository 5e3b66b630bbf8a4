/**
 * Number formatting the way a trader reads it: prices to a precision that follows
 * their magnitude, oscillators to two places, money as dollars, rates as percent.
 * Never float noise such as 0.30000000000000004. Display rounding is half-up
 * (what a reader expects), unlike the half-even of money arithmetic in core.
 */
import { Decimal, formatUsd, isDecimal, toDecimal } from "@autonome/core";
import type { Numeric } from "./context.js";

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
 * `new Decimal(value).toFixed(places, ROUND_HALF_UP)` for a finite number, without a
 * Decimal: the rounding is done on the number's shortest decimal form, which is what
 * Decimal reads; forms with an exponent go through Decimal. (A prompt formats hundreds of
 * series points per tick, and this is most of its cost.)
 */
export function toFixedHalfUp(value: number, places: number): string {
  const text = String(value);
  if (text.includes("e") || !Number.isFinite(value)) return new Decimal(value).toFixed(places, HALF_UP);
  // Below 1e6 a double's ulp is under 1e-9, so its shortest form and its exact binary value
  // round alike unless the shortest form ends exactly on the halfway digit: the engine's
  // toFixed (exact value, ties up) is right except for that tie.
  const dot = text.indexOf(".");
  const tie = dot >= 0 && text.length - dot - 1 === places + 1 && text.charCodeAt(text.length - 1) === 53; /* "5" */
  if (!tie && Math.abs(value) < 1e6 && places <= 8) return value.toFixed(places);
  const negative = text.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".");
  let digits = whole + fraction.slice(0, places).padEnd(places, "0");
  if (fraction.length > places && fraction.charCodeAt(places) >= 53 /* "5" */) {
    // Add one unit in the last place, carrying.
    const out = digits.split("");
    let i = out.length - 1;
    while (i >= 0 && out[i] === "9") out[i--] = "0";
    if (i >= 0) out[i] = String.fromCharCode(out[i]!.charCodeAt(0) + 1);
    else out.unshift("1");
    digits = out.join("");
  }
  const intPart = digits.slice(0, digits.length - places).replace(/^0+(?=\d)/, "") || "0";
  const body = places > 0 ? `${intPart}.${digits.slice(digits.length - places)}` : intPart;
  return negative ? `-${body}` : body;
}

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
  const d = dec(value);
  if (d.abs().lt(1)) return d.toSignificantDigits(5, HALF_UP).toString();
  return d.toFixed(priceDecimals(d.abs()), HALF_UP);
}

/** An oscillator (RSI, MACD): two places, or four significant digits when small. */
export function formatIndicator(value: Numeric): string {
  if (typeof value === "number" && Math.abs(value) >= 1) return toFixedHalfUp(value, 2);
  const d = dec(value);
  if (d.isZero()) return "0";
  if (d.abs().gte(1)) return d.toFixed(2, HALF_UP);
  return d.toSignificantDigits(4, HALF_UP).toString();
}

/** A large count (open interest, volume): whole units with thousands separators, two places below 100. */
export function formatAmount(value: Numeric): string {
  const d = dec(value);
  const places = d.abs().lt(100) ? 2 : 0;
  const [whole = "0", fraction] = d.abs().toFixed(places, HALF_UP).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${d.isNegative() && !d.isZero() ? "-" : ""}${grouped}${fraction ? `.${fraction}` : ""}`;
}

/** A fraction as a signed percent ("+5.25%", "-0.40%"). */
export function formatSignedPercent(fraction: Numeric, places = 2): string {
  const pct = dec(fraction).mul(100).toDecimalPlaces(places, HALF_UP);
  return `${pct.gt(0) ? "+" : ""}${pct.toFixed(places, HALF_UP)}%`;
}

/** A fraction as a percent without sign prefix ("12.50%"). */
export function formatPercent(fraction: Numeric, places = 2): string {
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
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
