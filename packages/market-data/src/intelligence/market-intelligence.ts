/**
 * Market intelligence: a typed snapshot per symbol of what a trading prompt shows
 * (intraday series and 4-hour context of indicators, funding, open interest),
 * computed from a MarketSource's closed candles, and a per-tick cache shared by
 * every model. Indicator values are plain numbers (analytics, not money); a value
 * without enough history is NaN (JSON null). Prices that are money (mid, mark) are Decimal.
 */
import type { Decimal } from "@autonome/core";
import { MINUTE_MS } from "../internal/candle-store.js";
import type { Candle, FundingRate, MarketSource } from "../types.js";
import { atr, ema, lastValues, macd, realizedVolatility, rsi } from "./indicators.js";

/** Intraday bar widths a snapshot can use ("3m" is aggregated from one-minute candles). */
export type IntradayInterval = "1m" | "3m" | "5m";

/** The intraday series: the last `seriesLength` values, oldest first, one per closed bar. */
export interface IntradaySeries {
  readonly interval: IntradayInterval;
  /** closeTime of each bar. */
  readonly times: readonly number[];
  /** Mid (close) price of each bar. */
  readonly mid: readonly number[];
  readonly ema20: readonly number[];
  /** MACD line (12, 26). */
  readonly macd: readonly number[];
  readonly rsi7: readonly number[];
  readonly rsi14: readonly number[];
}

/** The 4-hour context. */
export interface LongTermContext {
  readonly ema20: number;
  readonly ema50: number;
  readonly atr3: number;
  readonly atr14: number;
  /** Volume of the last closed 4-hour candle, base units. */
  readonly volume: number;
  /** Mean volume of the 4-hour candles looked at. */
  readonly averageVolume: number;
  /** MACD line, last `seriesLength` values, oldest first. */
  readonly macd: readonly number[];
  /** RSI 14, last `seriesLength` values, oldest first. */
  readonly rsi14: readonly number[];
}

/** Everything a model is shown about one symbol at one instant. */
export interface MarketSnapshot {
  readonly symbol: string;
  /** The source clock's time when it was computed. */
  readonly ts: number;
  readonly midPrice: Decimal;
  readonly markPrice: Decimal;
  /** Latest intraday values (the last entries of the series). */
  readonly ema20: number;
  readonly macd: number;
  readonly rsi7: number;
  readonly rsi14: number;
  /** Annualized realized volatility of the intraday closes (0.5 = 50%). */
  readonly realizedVolatility: number;
  readonly fundingRate: FundingRate | undefined;
  readonly openInterest: Decimal | undefined;
  readonly intraday: IntradaySeries;
  readonly longTerm: LongTermContext;
}

/** Options of the snapshots. */
export interface MarketIntelligenceOptions {
  /** Intraday bar width (default "3m"). */
  intradayInterval?: IntradayInterval;
  /** Points in each series (default 10). */
  seriesLength?: number;
  /** Intraday bars fetched for warm-up (default 120). */
  intradayBars?: number;
  /** Four-hour bars fetched (default 100). */
  longTermBars?: number;
}

const YEAR_MINUTES = 365 * 24 * 60;

/** Computes a snapshot of `symbol` from `source` now (no caching). */
export function computeMarketSnapshot(source: MarketSource, symbol: string, options: MarketIntelligenceOptions = {}): MarketSnapshot {
  const interval = options.intradayInterval ?? "3m";
  const seriesLength = options.seriesLength ?? 10;
  const intradayBars = options.intradayBars ?? 120;
  const longTermBars = options.longTermBars ?? 100;
  const intraday = intradayCloses(source, symbol, interval, intradayBars);
  const closes = intraday.closes;
  const ema20 = ema(closes, 20);
  const macdSeries = macd(closes).macd;
  const rsi7 = rsi(closes, 7);
  const rsi14 = rsi(closes, 14);
  const minutes = interval === "1m" ? 1 : interval === "3m" ? 3 : 5;

  const long = source.candles(symbol, "4h", longTermBars);
  const longCloses = long.map((c) => c.close);
  const longHigh = long.map((c) => c.high);
  const longLow = long.map((c) => c.low);
  const volumes = long.map((c) => c.volume);
  const tail = (series: readonly number[]) => lastValues(series, seriesLength);
  const last = (series: readonly number[]) => (series.length > 0 ? series[series.length - 1]! : Number.NaN);

  return {
    symbol,
    ts: source.clock.now(),
    midPrice: source.midPrice(symbol),
    markPrice: source.markPrice(symbol),
    ema20: last(ema20),
    macd: last(macdSeries),
    rsi7: last(rsi7),
    rsi14: last(rsi14),
    realizedVolatility: realizedVolatility(closes.slice(-60), YEAR_MINUTES / minutes),
    fundingRate: source.fundingRate(symbol),
    openInterest: source.openInterest(symbol),
    intraday: {
      interval,
      times: tail(intraday.times),
      mid: tail(closes),
      ema20: tail(ema20),
      macd: tail(macdSeries),
      rsi7: tail(rsi7),
      rsi14: tail(rsi14),
    },
    longTerm: {
      ema20: last(ema(longCloses, 20)),
      ema50: last(ema(longCloses, 50)),
      atr3: last(atr(longHigh, longLow, longCloses, 3)),
      atr14: last(atr(longHigh, longLow, longCloses, 14)),
      volume: last(volumes),
      averageVolume: volumes.length > 0 ? volumes.reduce((a, b) => a + b, 0) / volumes.length : Number.NaN,
      macd: tail(macd(longCloses).macd),
      rsi14: tail(rsi(longCloses, 14)),
    },
  };
}

/**
 * The close and close time of each intraday candle: what `source.candles` gives for "1m" and
 * "5m", and for "3m" what `aggregateCandles` of the one-minute candles gives, without building
 * the aggregated candles (only their closes are read).
 */
function intradayCloses(source: MarketSource, symbol: string, interval: IntradayInterval, bars: number): { closes: number[]; times: number[] } {
  if (interval === "1m" || interval === "5m") {
    const candles = source.candles(symbol, interval, bars);
    return { closes: candles.map((c) => c.close), times: candles.map((c) => c.closeTime) };
  }
  return aggregatedCloses(source.candles(symbol, "1m", bars * 3 + 3), 3 * MINUTE_MS);
}

/** `aggregateCandles(candles, widthMs)`'s closes and close times (the same windows, kept by the same rule). */
export function aggregatedCloses(candles: readonly Candle[], widthMs: number): { closes: number[]; times: number[] } {
  const closes: number[] = [];
  const times: number[] = [];
  let i = 0;
  while (i < candles.length) {
    const first = candles[i]!;
    const start = Math.floor(first.openTime / widthMs) * widthMs;
    const end = start + widthMs;
    let lastCandle = first;
    while (i < candles.length && candles[i]!.openTime < end) lastCandle = candles[i++]!;
    if (first.openTime === start && lastCandle.closeTime === end) {
      closes.push(lastCandle.close);
      times.push(end);
    }
  }
  return { closes, times };
}

/**
 * Aggregates candles into epoch-aligned windows `widthMs` wide, keeping only
 * windows fully covered by the input's time span (a partial first or last window
 * is dropped, so a 3-minute bar is never built from 2 minutes).
 */
export function aggregateCandles(candles: readonly Candle[], widthMs: number): Candle[] {
  const out: Candle[] = [];
  let i = 0;
  while (i < candles.length) {
    const start = Math.floor(candles[i]!.openTime / widthMs) * widthMs;
    const end = start + widthMs;
    const first = candles[i]!;
    let high = first.high;
    let low = first.low;
    let volume = 0;
    let lastCandle = first;
    while (i < candles.length && candles[i]!.openTime < end) {
      const c = candles[i]!;
      if (c.high > high) high = c.high;
      if (c.low < low) low = c.low;
      volume += c.volume;
      lastCandle = c;
      i++;
    }
    if (first.openTime === start && lastCandle.closeTime === end) {
      out.push({ openTime: start, closeTime: end, open: first.open, high, low, close: lastCandle.close, volume });
    }
  }
  return out;
}

/**
 * Snapshots cached per tick: the first request for a symbol at a clock time
 * computes it, later requests at the same time share it. A new clock time, or
 * `invalidate()` (the worker calls it after each batch), empties the cache.
 */
export class MarketIntelligence {
  private readonly cache = new Map<string, MarketSnapshot>();
  private cachedAt: number | undefined;
  private computed = 0;

  constructor(
    private readonly source: MarketSource,
    private readonly options: MarketIntelligenceOptions = {},
  ) {}

  /** The snapshot of `symbol` at the source clock's time. */
  snapshot(symbol: string): MarketSnapshot {
    const now = this.source.clock.now();
    if (this.cachedAt !== now) {
      this.cache.clear();
      this.cachedAt = now;
    }
    let snapshot = this.cache.get(symbol);
    if (!snapshot) {
      snapshot = computeMarketSnapshot(this.source, symbol, this.options);
      this.computed++;
      this.cache.set(symbol, snapshot);
    }
    return snapshot;
  }

  /** Snapshots of several symbols (default: every market of the source). */
  snapshots(symbols: readonly string[] = this.source.markets().map((m) => m.symbol)): MarketSnapshot[] {
    return symbols.map((s) => this.snapshot(s));
  }

  /** Drops every cached snapshot. */
  invalidate(): void {
    this.cache.clear();
    this.cachedAt = undefined;
  }

  /** How many snapshots were computed (not served from the cache) so far. */
  get computedCount(): number {
    return this.computed;
  }
}
