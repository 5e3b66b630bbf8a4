/**
 * Plays recorded data through the MarketSource interface: one-minute klines
 * (prices and every candle interval), recorded book feeds (Binance raw WebSocket,
 * Lighter captures), and funding settlements. Where only candles exist, L2 depth
 * is synthesized around the recorded price, with a spread that follows recent
 * realized volatility.
 * Invariants: the state at time t uses only records stamped <= t; a kline is a
 * candle only once its minute has ended; the price inside a minute is the bar's
 * open (or, with intrabar "ohlc", the path open, the nearer of high and low, the other,
 * close at 0/15/30/45 s, which reveals the bar's extremes early inside their minute;
 * equally near: low first in a rising bar, high first in a falling one); replay is a pure
 * function of the files and the advance times.
 */
import { type Clock, type Decimal, DEFAULT_MARKETS, type Market, MarketRegistry, toDecimal } from "@autonome/core";
import { NoMarketDataError } from "../errors.js";
import { BaseMarketSource } from "../internal/base-source.js";
import { BarBuilder, CandleStore, MINUTE_MS } from "../internal/candle-store.js";
import { numberToDecimal, numberToText } from "../internal/decimal-text.js";
import { type DepthProfile, depthProfile, synthesizeBook } from "../internal/depth.js";
import { memoAt } from "../internal/memo.js";
import type { Candle, CandleInterval, FundingRate, L2Book } from "../types.js";
import { type BinanceFeedOptions, readBinanceFeed } from "./binance-feed.js";
import { type FeedEvent, type FeedEventsBySymbol, LocalBook } from "./feed-events.js";
import { type FundingSeries, readFundingCsv } from "./funding-csv.js";
import { readKlineCsv } from "./kline-csv.js";
import { readLighterCapture } from "./lighter-capture.js";

/** A file, optionally with the pair it holds when neither a column nor its name says. */
export type FileSpec = string | { path: string; symbol?: string };

/** What a ReplayMarket plays. */
export interface ReplayMarketOptions {
  clock: Clock;
  /** Market metadata to look symbols up in (default core's DEFAULT_MARKETS). */
  markets?: readonly Market[];
  /** One-minute kline CSVs (plain or gzip, one symbol a file or long format). */
  klines?: readonly FileSpec[];
  /** Funding CSVs (`[symbol,]funding_time,funding_rate,...`). */
  funding?: readonly FileSpec[];
  /** Binance raw WebSocket recordings; an inner array is one feed split over consecutive files. */
  binanceFeeds?: ReadonlyArray<string | readonly string[]>;
  /** Lighter WebSocket captures (JSONL). */
  lighterCaptures?: readonly string[];
  /** Files already read by `ReplayRecording.load` (then the file options are ignored). */
  recording?: ReplayRecording;
  /** What a book sequence break does (default "throw"). */
  onGap?: "throw" | "resync";
  /** The price path inside a minute of klines (default "open"). */
  intrabar?: "open" | "ohlc";
  /** Shape of depth synthesized around kline prices. */
  depth?: Partial<DepthProfile>;
  /** Funding interval when it cannot be inferred from the settlements (default 8 h). */
  fundingIntervalMs?: number;
}

interface KlineTape {
  store: CandleStore;
  /** Index of the last bar with openTime <= state time, or -1. */
  cursor: number;
  closed: number;
  volatilityRatio: Float64Array;
}

interface FeedTape {
  events: FeedEvent[];
  cursor: number;
  book: LocalBook;
  bbo: { bid: string; ask: string; bidSize: string; askSize: string } | undefined;
  lastTrade: string | undefined;
  markPrice: string | undefined;
  openInterest: string | undefined;
  funding: { rate: string; ts: number } | undefined;
  store: CandleStore;
  builder: BarBuilder;
}

interface FundingTape {
  series: FundingSeries;
  /** Number of settlements at or before the state time. */
  settled: number;
  intervalMs: number;
  /** Each settlement's rate as a Decimal, parsed the first time it is read (a Decimal is immutable). */
  rates: Array<Decimal | undefined>;
}

interface SymbolTape {
  market: Market;
  klines?: KlineTape;
  feed?: FeedTape;
  funding?: FundingTape;
}

const INTRABAR_STEP_MS = 15_000;

interface RecordedSymbol {
  market: Market;
  klines?: { store: CandleStore; volatilityRatio: Float64Array };
  events?: FeedEvent[];
  funding?: { series: FundingSeries; intervalMs: number };
}

/**
 * Recorded files, read and checked once, shareable by any number of ReplayMarkets
 * (a parameter sweep replays the same data many times without re-reading it).
 * Read-only after loading: each ReplayMarket keeps its own cursors and books.
 */
export class ReplayRecording {
  private constructor(
    /** @internal What was read, per market symbol. */
    readonly data: ReadonlyMap<string, RecordedSymbol>,
  ) {}

  /** Reads and checks the files named in `options` (throws MarketDataFormatError / BookSequenceError). */
  static load(options: Omit<ReplayMarketOptions, "clock" | "recording" | "intrabar" | "depth">): ReplayRecording {
    const all = new MarketRegistry(options.markets ?? DEFAULT_MARKETS);
    const data = new Map<string, RecordedSymbol>();
    const of = (symbol: string): RecordedSymbol => {
      let entry = data.get(symbol);
      if (!entry) {
        entry = { market: all.get(symbol) };
        data.set(symbol, entry);
      }
      return entry;
    };
    for (const spec of options.klines ?? []) {
      const { path, symbol } = typeof spec === "string" ? { path: spec, symbol: undefined } : spec;
      for (const [name, store] of readKlineCsv(path, symbol === undefined ? {} : { symbol })) {
        of(name).klines = { store, volatilityRatio: volatilityRatios(store) };
      }
    }
    const onGap = options.onGap ?? "throw";
    const feeds: FeedEventsBySymbol[] = [];
    const feedOptions: BinanceFeedOptions = { onGap };
    for (const feed of options.binanceFeeds ?? []) feeds.push(readBinanceFeed(feed, feedOptions));
    for (const capture of options.lighterCaptures ?? []) feeds.push(readLighterCapture(capture, all, { onGap }));
    for (const bySymbol of feeds) {
      for (const [name, events] of bySymbol) {
        const entry = of(name);
        entry.events = entry.events ? mergeByTime(entry.events, events) : events;
      }
    }
    for (const spec of options.funding ?? []) {
      const { path, symbol } = typeof spec === "string" ? { path: spec, symbol: undefined } : spec;
      for (const [name, series] of readFundingCsv(path, symbol === undefined ? {} : { symbol })) {
        if (!data.has(name)) continue; // funding without prices adds nothing to a replay
        of(name).funding = { series, intervalMs: medianGap(series.times) ?? options.fundingIntervalMs ?? 28_800_000 };
      }
    }
    return new ReplayRecording(data);
  }

  /** Symbols recorded. */
  symbols(): string[] {
    return [...this.data.keys()];
  }
}

/** A MarketSource that replays recorded files, deterministically and faster than real time. */
export class ReplayMarket extends BaseMarketSource {
  private readonly tapes = new Map<string, SymbolTape>();
  private readonly intrabar: "open" | "ohlc";
  private readonly profile: DepthProfile;
  private readonly closedQueue: Array<{ symbol: string; store: CandleStore; index: number }> = [];
  /** Epoch ms of the first record. */
  readonly startTime: number;
  /** Epoch ms just after the last record. */
  readonly endTime: number;

  constructor(options: ReplayMarketOptions) {
    const recording = options.recording ?? ReplayRecording.load(options);
    super(options.clock, [...recording.data.values()].map((d) => d.market));
    const tapes = this.tapes;
    for (const [symbol, data] of recording.data) {
      const tape: SymbolTape = { market: data.market };
      if (data.klines) tape.klines = { store: data.klines.store, cursor: -1, closed: 0, volatilityRatio: data.klines.volatilityRatio };
      if (data.events) {
        const store = new CandleStore(1024);
        tape.feed = {
          events: data.events,
          cursor: 0,
          book: new LocalBook(),
          bbo: undefined,
          lastTrade: undefined,
          markPrice: undefined,
          openInterest: undefined,
          funding: undefined,
          store,
          builder: new BarBuilder(
            store,
            (index) => {
              if (this.hasListeners) this.closedQueue.push({ symbol, store, index });
            },
            data.market.sizeDecimals,
          ),
        };
      }
      if (data.funding) tape.funding = { series: data.funding.series, settled: 0, intervalMs: data.funding.intervalMs, rates: [] };
      tapes.set(symbol, tape);
    }
    this.intrabar = options.intrabar ?? "open";
    this.profile = depthProfile(options.depth);
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    for (const tape of tapes.values()) {
      if (tape.klines && tape.klines.store.length > 0) {
        start = Math.min(start, tape.klines.store.openTime[0]!);
        end = Math.max(end, tape.klines.store.lastOpenTime() + MINUTE_MS);
      }
      if (tape.feed && tape.feed.events.length > 0) {
        start = Math.min(start, tape.feed.events[0]!.ts);
        end = Math.max(end, tape.feed.events[tape.feed.events.length - 1]!.ts);
      }
    }
    this.startTime = start;
    this.endTime = end;
  }

  /** Symbols replayed. */
  symbols(): string[] {
    return [...this.tapes.keys()];
  }

  nextEventTime(): number | undefined {
    let next = Number.POSITIVE_INFINITY;
    const after = this.stateTs;
    for (const tape of this.tapes.values()) {
      if (tape.klines) next = Math.min(next, this.nextKlineTime(tape.klines, after));
      if (tape.feed && tape.feed.cursor < tape.feed.events.length) next = Math.min(next, tape.feed.events[tape.feed.cursor]!.ts);
      if (tape.funding && tape.funding.settled < tape.funding.series.times.length) {
        next = Math.min(next, tape.funding.series.times[tape.funding.settled]!);
      }
    }
    return Number.isFinite(next) ? Math.max(next, after === Number.NEGATIVE_INFINITY ? next : after + 1) : undefined;
  }

  protected advanceState(ts: number): void {
    const previous = this.stateTs;
    const listening = this.hasListeners;
    for (const [symbol, tape] of this.tapes) {
      let changed = false;
      const klines = tape.klines;
      if (klines) {
        const { store } = klines;
        if (listening && this.nextKlineTime(klines, previous) <= ts) changed = true;
        let cursor = klines.cursor;
        while (cursor + 1 < store.length && store.openTime[cursor + 1]! <= ts) cursor++;
        klines.cursor = cursor;
        // State time only moves forward, so the closed count does too: step it instead of searching.
        const lastOpen = ts - MINUTE_MS;
        let closed = klines.closed;
        while (closed < store.length && store.openTime[closed]! <= lastOpen) closed++;
        if (listening) {
          for (let i = klines.closed; i < closed; i++) {
            const candle = store.bar(i);
            this.emit({ type: "candleClosed", symbol, ts: candle.closeTime, candle });
          }
        }
        klines.closed = closed;
      }
      const feed = tape.feed;
      if (feed) {
        const { events } = feed;
        while (feed.cursor < events.length && events[feed.cursor]!.ts <= ts) {
          const event = events[feed.cursor++]!;
          changed = this.applyFeedEvent(symbol, tape, feed, event, listening) || changed;
        }
        feed.builder.closeUntil(ts);
        if (listening) {
          for (const { symbol: s, store, index } of this.closedQueue) {
            const candle = store.bar(index);
            this.emit({ type: "candleClosed", symbol: s, ts: candle.closeTime, candle });
          }
        }
        this.closedQueue.length = 0;
      }
      const funding = tape.funding;
      if (funding) {
        const { times, rates } = funding.series;
        while (funding.settled < times.length && times[funding.settled]! <= ts) {
          if (listening && times[funding.settled]! > previous) {
            this.emit({ type: "fundingSettled", symbol, ts: times[funding.settled]!, rate: rates[funding.settled]! });
          }
          funding.settled++;
        }
      }
      if (changed && listening) this.emit({ type: "bookChanged", symbol, ts });
    }
  }

  private applyFeedEvent(symbol: string, tape: SymbolTape, feed: FeedTape, event: FeedEvent, listening: boolean): boolean {
    switch (event.kind) {
      case "snapshot":
        feed.book.applySnapshot(event.bids, event.asks);
        return true;
      case "diff":
        feed.book.applyDiff(event.bids, event.asks);
        return true;
      case "reset":
        feed.book.reset();
        return true;
      case "bbo":
        feed.bbo = event;
        return !feed.book.ready;
      case "trade":
        feed.lastTrade = event.price;
        if (!tape.klines) feed.builder.add(event.ts, Number(event.price), Number(event.size));
        if (listening) {
          this.emit({ type: "tradePrinted", symbol, ts: event.ts, price: event.price, size: event.size, takerSide: event.takerSide });
        }
        return !feed.book.ready && feed.bbo === undefined;
      case "stats":
        if (event.markPrice !== undefined) feed.markPrice = event.markPrice;
        if (event.openInterest !== undefined) feed.openInterest = event.openInterest;
        if (event.fundingRate !== undefined) feed.funding = { rate: event.fundingRate, ts: event.ts };
        return false;
    }
  }

  private nextKlineTime(klines: KlineTape, after: number): number {
    const { store } = klines;
    if (store.length === 0) return Number.POSITIVE_INFINITY;
    const i = store.indexAtOrBefore(after);
    if (i < 0) return store.openTime[0]!;
    const open = store.openTime[i]!;
    if (this.intrabar === "ohlc") {
      const offset = after - open;
      if (offset < 3 * INTRABAR_STEP_MS) return open + (Math.floor(offset / INTRABAR_STEP_MS) + 1) * INTRABAR_STEP_MS;
    }
    if (i + 1 < store.length) return store.openTime[i + 1]!;
    return after < open + MINUTE_MS ? open + MINUTE_MS : Number.POSITIVE_INFINITY;
  }

  /** The recorded price of the klines at the state time, if any. */
  private klinePrice(klines: KlineTape): number | undefined {
    const i = klines.cursor;
    if (i < 0) return undefined;
    const { store } = klines;
    const offset = this.stateTs - store.openTime[i]!;
    if (offset >= MINUTE_MS) return store.close[i]!;
    if (this.intrabar === "open" || offset < INTRABAR_STEP_MS) return store.open[i]!;
    if (offset >= 3 * INTRABAR_STEP_MS) return store.close[i]!;
    const open = store.open[i]!;
    const toHigh = store.high[i]! - open;
    const toLow = open - store.low[i]!;
    const lowNearer = toLow < toHigh || (toLow === toHigh && store.close[i]! >= open);
    const lowNow = offset < 2 * INTRABAR_STEP_MS === lowNearer;
    return lowNow ? store.low[i]! : store.high[i]!;
  }

  private tape(symbol: string): SymbolTape {
    this.market(symbol);
    return this.tapes.get(symbol)!;
  }

  protected bookAt(symbol: string, depth: number): L2Book {
    const tape = this.tape(symbol);
    const ts = this.stateTs;
    if (tape.feed?.book.ready) return tape.feed.book.snapshot(symbol, ts, depth);
    if (tape.klines) {
      const price = this.klinePrice(tape.klines);
      if (price !== undefined) {
        const closed = tape.klines.closed;
        const ratio = closed > 0 ? tape.klines.volatilityRatio[closed - 1]! : 1;
        return synthesizeBook(tape.market, ts, price, ratio, this.profile, depth, Math.floor(ts / MINUTE_MS));
      }
    }
    const bbo = tape.feed?.bbo;
    if (bbo && depth > 0) return { symbol, ts, bids: [{ price: bbo.bid, size: bbo.bidSize }], asks: [{ price: bbo.ask, size: bbo.askSize }] };
    const last = tape.feed?.lastTrade;
    if (last !== undefined) return synthesizeBook(tape.market, ts, Number(last), 1, this.profile, depth, Math.floor(ts / MINUTE_MS));
    throw new NoMarketDataError(symbol, ts);
  }

  /** The recorded price itself when the book is synthesized around it (the same value, without building a book). */
  override midPrice(symbol: string): Decimal {
    const tape = this.tape(symbol);
    this.sync();
    if (!tape.feed?.book.ready && tape.klines) {
      const price = this.klinePrice(tape.klines);
      if (price !== undefined) return numberToDecimal(price, tape.market.priceDecimals);
    }
    return super.midPrice(symbol);
  }

  protected markAt(symbol: string): Decimal | undefined {
    const mark = this.tape(symbol).feed?.markPrice;
    return mark === undefined ? undefined : toDecimal(mark);
  }

  protected candlesAt(symbol: string, interval: CandleInterval, limit: number, now: number): Candle[] {
    const tape = this.tape(symbol);
    const store = tape.klines?.store ?? tape.feed?.store;
    return store ? store.candles(interval, limit, now) : [];
  }

  protected fundingAt(symbol: string): FundingRate | undefined {
    const tape = this.tape(symbol);
    const funding = tape.funding;
    if (funding && funding.settled > 0) {
      const i = funding.settled - 1;
      const next = funding.series.times[i + 1];
      return {
        symbol,
        rate: rateAt(funding, i),
        intervalMs: funding.intervalMs,
        ts: funding.series.times[i]!,
        ...(next !== undefined ? { nextFundingTime: next } : {}),
      };
    }
    const live = tape.feed?.funding;
    if (live) return { symbol, rate: toDecimal(live.rate), intervalMs: 3_600_000, ts: live.ts };
    return undefined;
  }

  protected openInterestAt(symbol: string): Decimal | undefined {
    const oi = this.tape(symbol).feed?.openInterest;
    return oi === undefined ? undefined : toDecimal(oi);
  }

  /**
   * The recorded one-minute bar of the minute holding `ts` (at most the clock's minute), prices
   * as exact text: a simulator walking the minute's path reads its range (its high and low
   * may lie later in the minute than the clock). Undefined without klines for that minute.
   */
  minuteBar(symbol: string, ts: number): { openTime: number; open: string; high: string; low: string; close: string } | undefined {
    const tape = this.tape(symbol);
    const store = tape.klines?.store;
    if (!store || ts > this.clock.now()) return undefined;
    const i = store.indexAtOrBefore(ts);
    if (i < 0 || ts >= store.openTime[i]! + MINUTE_MS) return undefined;
    const text = (n: number) => numberToText(n, tape.market.priceDecimals);
    return { openTime: store.openTime[i]!, open: text(store.open[i]!), high: text(store.high[i]!), low: text(store.low[i]!), close: text(store.close[i]!) };
  }

  /** The recorded price (kline path or last trade) as text, for diagnostics and tests. */
  recordedPrice(symbol: string): string | undefined {
    this.sync();
    const tape = this.tape(symbol);
    const price = tape.klines ? this.klinePrice(tape.klines) : tape.feed?.lastTrade !== undefined ? Number(tape.feed.lastTrade) : undefined;
    return price === undefined ? undefined : numberToText(price, tape.market.priceDecimals);
  }
}

/** Settlement `i`'s rate as a Decimal, parsed once. */
function rateAt(funding: FundingTape, i: number): Decimal {
  return memoAt(funding.rates, i, (k) => toDecimal(funding.series.rates[k]!));
}

/** Per bar, sqrt(fast EWMA / slow EWMA) of squared one-minute log returns: volatility now versus normal. */
function volatilityRatios(store: CandleStore): Float64Array {
  const out = new Float64Array(store.length).fill(1);
  const fastWeight = 2 / (15 + 1);
  const slowWeight = 2 / (720 + 1);
  let fast = 0;
  let slow = 0;
  for (let i = 1; i < store.length; i++) {
    const r = Math.log(store.close[i]! / store.close[i - 1]!);
    const r2 = r * r;
    if (i === 1) {
      fast = r2;
      slow = r2;
    } else {
      fast += (r2 - fast) * fastWeight;
      slow += (r2 - slow) * slowWeight;
    }
    out[i] = slow > 0 ? Math.sqrt(fast / slow) : 1;
  }
  return out;
}

function medianGap(times: readonly number[]): number | undefined {
  if (times.length < 2) return undefined;
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1]!;
  // Settlement stamps jitter by a few ms; report the interval on the hour grid.
  return Math.max(3_600_000, Math.round(median / 3_600_000) * 3_600_000);
}

function mergeByTime(a: FeedEvent[], b: FeedEvent[]): FeedEvent[] {
  const out: FeedEvent[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.ts <= b[j]!.ts)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
