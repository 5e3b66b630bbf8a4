/**
 * Technical indicators as pure functions over plain number arrays. They are
 * analytics for prompts and charts, not money, so they use floats on purpose.
 * Every output array is aligned with its input: index i is the value after bar i,
 * and NaN until the indicator has enough bars (its warm-up).
 * Conventions (those of TA-Lib and most charting tools):
 * - EMA(n): seeded with the simple mean of the first n values, then
 *   ema = prev + (x - prev) * 2 / (n + 1).
 * - RSI(n) and ATR(n) use Wilder's smoothing: the first average is the simple mean
 *   of the first n changes (true ranges), then avg = (prev * (n - 1) + x) / n; both
 *   start at index n because a change needs a previous close.
 */

/** Exponential moving average with period `period`. */
export function ema(values: readonly number[], period: number): number[] {
  assertPeriod(period);
  const out = new Array<number>(values.length).fill(Number.NaN);
  if (values.length < period) return out;
  let sum = 0;
  for (let i = 0; i < period; i++) sum += values[i]!;
  let prev = sum / period;
  out[period - 1] = prev;
  const k = 2 / (period + 1);
  for (let i = period; i < values.length; i++) {
    prev += (values[i]! - prev) * k;
    out[i] = prev;
  }
  return out;
}

/** MACD line, signal line and histogram, each aligned with the input. */
export interface MacdSeries {
  /** EMA(fast) - EMA(slow). */
  macd: number[];
  /** EMA(signal) of the MACD line. */
  signal: number[];
  /** macd - signal. */
  histogram: number[];
}

/** MACD (12, 26, 9 by default). */
export function macd(values: readonly number[], fast = 12, slow = 26, signalPeriod = 9): MacdSeries {
  if (fast >= slow) throw new RangeError(`MACD fast period ${fast} must be shorter than slow ${slow}`);
  const fastEma = ema(values, fast);
  const slowEma = ema(values, slow);
  const line = values.map((_, i) => fastEma[i]! - slowEma[i]!);
  const firstValid = slow - 1;
  const signal = new Array<number>(values.length).fill(Number.NaN);
  if (values.length > firstValid) {
    const tail = ema(line.slice(firstValid), signalPeriod);
    for (let i = 0; i < tail.length; i++) signal[firstValid + i] = tail[i]!;
  }
  return { macd: line, signal, histogram: line.map((m, i) => m - signal[i]!) };
}

/** Relative strength index with Wilder's smoothing; 100 when there was no loss. */
export function rsi(values: readonly number[], period: number): number[] {
  assertPeriod(period);
  const out = new Array<number>(values.length).fill(Number.NaN);
  if (values.length <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = values[i]! - values[i - 1]!;
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  out[period] = rsiOf(gain, loss);
  for (let i = period + 1; i < values.length; i++) {
    const change = values[i]! - values[i - 1]!;
    gain = (gain * (period - 1) + (change > 0 ? change : 0)) / period;
    loss = (loss * (period - 1) + (change < 0 ? -change : 0)) / period;
    out[i] = rsiOf(gain, loss);
  }
  return out;
}

function rsiOf(gain: number, loss: number): number {
  if (loss === 0) return gain === 0 ? 50 : 100;
  return 100 - 100 / (1 + gain / loss);
}

/** True range of each bar (NaN for the first bar, which has no previous close). */
export function trueRange(high: readonly number[], low: readonly number[], close: readonly number[]): number[] {
  return high.map((h, i) => {
    if (i === 0) return Number.NaN;
    const l = low[i]!;
    const prevClose = close[i - 1]!;
    return Math.max(h - l, Math.abs(h - prevClose), Math.abs(l - prevClose));
  });
}

/** Average true range with Wilder's smoothing. */
export function atr(high: readonly number[], low: readonly number[], close: readonly number[], period: number): number[] {
  assertPeriod(period);
  if (high.length !== low.length || high.length !== close.length) throw new RangeError("high, low and close differ in length");
  const tr = trueRange(high, low, close);
  const out = new Array<number>(high.length).fill(Number.NaN);
  if (high.length <= period) return out;
  let sum = 0;
  for (let i = 1; i <= period; i++) sum += tr[i]!;
  let prev = sum / period;
  out[period] = prev;
  for (let i = period + 1; i < high.length; i++) {
    prev = (prev * (period - 1) + tr[i]!) / period;
    out[i] = prev;
  }
  return out;
}

/**
 * Realized volatility: the sample standard deviation of log returns of `closes`,
 * times sqrt(periodsPerYear) to annualize (pass 1 for per-bar). NaN with < 3 closes.
 */
export function realizedVolatility(closes: readonly number[], periodsPerYear = 1): number {
  if (closes.length < 3) return Number.NaN;
  const returns: number[] = [];
  for (let i = 1; i < closes.length; i++) returns.push(Math.log(closes[i]! / closes[i - 1]!));
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1);
  return Math.sqrt(variance * periodsPerYear);
}

/** The last `count` values of a series, oldest first. */
export function lastValues(series: readonly number[], count: number): number[] {
  return series.slice(Math.max(0, series.length - count));
}

function assertPeriod(period: number): void {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be a positive integer, got ${period}`);
}
