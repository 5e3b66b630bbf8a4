/**
 * One-minute bars in growable typed columns, and the closed candles of any
 * interval aggregated from them. Invariant: bars are appended in strictly
 * increasing, minute-aligned openTime; a bar counts as closed at `now` only when
 * openTime + 1 minute <= now, and an aggregated candle only when its whole
 * interval has ended, so no query can see the future of `now`.
 */
import { CANDLE_INTERVAL_MS, type Candle, type CandleInterval } from "../types.js";
import { roundTo } from "./decimal-text.js";
import { memoAt } from "./memo.js";

/** Milliseconds in the base bar. */
export const MINUTE_MS = 60_000;

/** Growable columns of one-minute bars. */
export class CandleStore {
  private capacity: number;
  private size = 0;
  /** Per width, the aggregated windows that can no longer change (a later bar exists), with their first bar's index. */
  private readonly finalWindows = new Map<number, Map<number, { candle: Candle; first: number }>>();
  /** The one-minute candle of each bar handed out so far, by index: a stored bar never changes, so it is built once. */
  private readonly minuteCandles: Array<Candle | undefined> = [];
  openTime: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    this.openTime = new Float64Array(this.capacity);
    this.open = new Float64Array(this.capacity);
    this.high = new Float64Array(this.capacity);
    this.low = new Float64Array(this.capacity);
    this.close = new Float64Array(this.capacity);
    this.volume = new Float64Array(this.capacity);
  }

  /** Number of bars stored (closed or not). */
  get length(): number {
    return this.size;
  }

  /** openTime of the last bar, or -Infinity when empty. */
  lastOpenTime(): number {
    return this.size === 0 ? Number.NEGATIVE_INFINITY : this.openTime[this.size - 1]!;
  }

  /** Appends a bar; the caller guarantees openTime is later than the last bar's. */
  push(openTime: number, open: number, high: number, low: number, close: number, volume: number): void {
    if (this.size === this.capacity) this.grow();
    const i = this.size++;
    this.openTime[i] = openTime;
    this.open[i] = open;
    this.high[i] = high;
    this.low[i] = low;
    this.close[i] = close;
    this.volume[i] = volume;
  }

  private grow(): void {
    this.capacity *= 2;
    const copy = (a: Float64Array) => {
      const b = new Float64Array(this.capacity);
      b.set(a);
      return b;
    };
    this.openTime = copy(this.openTime);
    this.open = copy(this.open);
    this.high = copy(this.high);
    this.low = copy(this.low);
    this.close = copy(this.close);
    this.volume = copy(this.volume);
  }

  /** Number of bars whose minute has ended at `now` (binary search). */
  closedCount(now: number): number {
    const limit = now - MINUTE_MS;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.openTime[mid]! <= limit) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the last bar whose openTime <= ts, or -1. */
  indexAtOrBefore(ts: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.openTime[mid]! <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Bar `i` as a one-minute candle. */
  bar(i: number): Candle {
    const openTime = this.openTime[i]!;
    return {
      openTime,
      closeTime: openTime + MINUTE_MS,
      open: this.open[i]!,
      high: this.high[i]!,
      low: this.low[i]!,
      close: this.close[i]!,
      volume: this.volume[i]!,
    };
  }

  /**
   * The last `limit` closed candles of `interval` at `now`, oldest first. Candles are
   * read-only values (their fields are `readonly`): a closed candle is built once and the
   * same object is handed to every caller.
   */
  candles(interval: CandleInterval, limit: number, now: number): Candle[] {
    return this.candlesOfWidth(CANDLE_INTERVAL_MS[interval], limit, now);
  }

  /**
   * The last `limit` closed candles `widthMs` wide (a multiple of a minute) at
   * `now`, oldest first. A candle aggregates the bars inside its epoch-aligned
   * window; windows without any bar are skipped, and so is a first window that
   * began before the first bar.
   */
  candlesOfWidth(widthMs: number, limit: number, now: number): Candle[] {
    if (limit <= 0 || !Number.isFinite(limit)) return [];
    const closed = this.closedCount(now);
    if (widthMs === MINUTE_MS) {
      const out: Candle[] = [];
      const build = (i: number) => this.bar(i);
      for (let i = Math.max(0, closed - Math.floor(limit)); i < closed; i++) out.push(memoAt(this.minuteCandles, i, build));
      return out;
    }
    // Windows ending after `now` are not closed, even when all their minutes so far are.
    const lastWindowEnd = Math.floor(now / widthMs) * widthMs;
    let i = closed - 1;
    while (i >= 0 && this.openTime[i]! >= lastWindowEnd) i--;
    const out: Candle[] = [];
    let finals = this.finalWindows.get(widthMs);
    if (!finals) {
      finals = new Map();
      this.finalWindows.set(widthMs, finals);
    }
    const lastBar = this.openTime[this.size - 1]!;
    while (i >= 0 && out.length < limit) {
      const windowStart = Math.floor(this.openTime[i]! / widthMs) * widthMs;
      // A window that began before the first bar is partial: its open is unknown.
      if (windowStart < this.openTime[0]!) break;
      // A window with a bar after it is final (bars are appended in time order): aggregated once.
      const final = windowStart + widthMs <= lastBar;
      const known = final ? finals.get(windowStart) : undefined;
      if (known) {
        out.push(known.candle);
        i = known.first - 1;
        continue;
      }
      const last = i;
      let high = Number.NEGATIVE_INFINITY;
      let low = Number.POSITIVE_INFINITY;
      let volume = 0;
      while (i >= 0 && this.openTime[i]! >= windowStart) {
        if (this.high[i]! > high) high = this.high[i]!;
        if (this.low[i]! < low) low = this.low[i]!;
        volume += this.volume[i]!;
        i--;
      }
      const candle: Candle = {
        openTime: windowStart,
        closeTime: windowStart + widthMs,
        open: this.open[i + 1]!,
        high,
        low,
        close: this.close[last]!,
        volume: roundTo(volume, 8),
      };
      out.push(candle);
      if (final) finals.set(windowStart, { candle, first: i + 1 });
    }
    return out.reverse();
  }
}

/**
 * Builds one-minute bars from a stream of prices (trades or simulated steps) into
 * a store. Minutes without any print become flat bars at the last close with zero
 * volume, so indicators see a continuous series.
 */
export class BarBuilder {
  private current: { openTime: number; open: number; high: number; low: number; close: number; volume: number } | undefined;

  constructor(
    readonly store: CandleStore,
    private readonly onClosed?: (index: number) => void,
    /** Decimal places a bar's volume is rounded to when it closes (sums of floats drift). */
    private readonly volumeDecimals?: number,
  ) {}

  /** Adds a print at `ts`; closes (and gap-fills) earlier minutes first. */
  add(ts: number, price: number, volume: number): void {
    const minute = Math.floor(ts / MINUTE_MS) * MINUTE_MS;
    const bar = this.current;
    if (bar !== undefined && minute === bar.openTime) {
      if (price > bar.high) bar.high = price;
      if (price < bar.low) bar.low = price;
      bar.close = price;
      bar.volume += volume;
      return;
    }
    this.closeUntil(minute);
    this.current = { openTime: minute, open: price, high: price, low: price, close: price, volume };
  }

  /** Closes the bar in progress if its minute ended by `ts`, filling empty minutes up to `ts`. */
  closeUntil(ts: number): void {
    const bar = this.current;
    if (bar === undefined || bar.openTime + MINUTE_MS > ts) return;
    this.flush(bar);
    const lastEnded = Math.floor(ts / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    for (let t = bar.openTime + MINUTE_MS; t <= lastEnded; t += MINUTE_MS) {
      this.flush({ openTime: t, open: bar.close, high: bar.close, low: bar.close, close: bar.close, volume: 0 });
    }
    const nextMinute = Math.max(bar.openTime + MINUTE_MS, lastEnded + MINUTE_MS);
    this.current = nextMinute <= Math.floor(ts / MINUTE_MS) * MINUTE_MS
      ? { openTime: nextMinute, open: bar.close, high: bar.close, low: bar.close, close: bar.close, volume: 0 }
      : undefined;
  }

  /** The last price seen, if any. */
  lastPrice(): number | undefined {
    return this.current?.close ?? (this.store.length > 0 ? this.store.close[this.store.length - 1] : undefined);
  }

  private flush(bar: { openTime: number; open: number; high: number; low: number; close: number; volume: number }): void {
    if (bar.openTime <= this.store.lastOpenTime()) return;
    const volume = this.volumeDecimals === undefined ? bar.volume : roundTo(bar.volume, this.volumeDecimals);
    this.store.push(bar.openTime, bar.open, bar.high, bar.low, bar.close, volume);
    this.onClosed?.(this.store.length - 1);
  }
}
