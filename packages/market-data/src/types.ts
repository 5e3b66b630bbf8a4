/**
 * The one interface every market source implements, and the values it hands out.
 * Invariants: book sides are best first; every book price and size is an exact
 * decimal string; candles are CLOSED candles only (closeTime <= clock.now()), so
 * nothing a source returns can come from the future of its clock.
 */
import type { Clock, Decimal, Market } from "@autonome/core";

/** One price level of an L2 book: exact decimal strings (parse with `toDecimal`). */
export interface L2Level {
  /** Price in quote units, an exact decimal string such as "61800.2". */
  readonly price: string;
  /** Resting size in base units, an exact decimal string, always > 0. */
  readonly size: string;
}

/**
 * An L2 order-book snapshot, best level first on each side. This is the shape the
 * matching engine consumes (`price`/`size` as `Decimal | string` there).
 */
export interface L2Book {
  readonly symbol: string;
  /** Epoch ms of the state this snapshot shows. */
  readonly ts: number;
  /** Bids, highest price first. */
  readonly bids: readonly L2Level[];
  /** Asks, lowest price first. */
  readonly asks: readonly L2Level[];
}

/** Candle widths every source serves. */
export type CandleInterval = "1m" | "5m" | "1h" | "4h";

/** Every candle interval, shortest first. */
export const CANDLE_INTERVALS: readonly CandleInterval[] = ["1m", "5m", "1h", "4h"];

/** Length of a candle interval in ms. */
export const CANDLE_INTERVAL_MS: Readonly<Record<CandleInterval, number>> = {
  "1m": 60_000,
  "5m": 300_000,
  "1h": 3_600_000,
  "4h": 14_400_000,
};

/**
 * A closed OHLCV candle. Values are plain numbers because candles feed analytics
 * (indicators, charts), never money arithmetic; the exact price text is the value
 * printed with the market's priceDecimals.
 */
export interface Candle {
  /** Epoch ms of the first instant of the candle. */
  readonly openTime: number;
  /** Epoch ms just after the candle: openTime + interval. */
  readonly closeTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Traded volume in base units. */
  readonly volume: number;
}

/** The funding rate in force for a symbol. */
export interface FundingRate {
  readonly symbol: string;
  /** Rate per funding interval as a fraction (0.0001 = 1 bp); longs pay when positive. */
  readonly rate: Decimal;
  /** Funding interval in ms (Lighter 1h, Binance 8h). */
  readonly intervalMs: number;
  /** Epoch ms when `rate` was settled or estimated. */
  readonly ts: number;
  /** Epoch ms of the next settlement, when known. */
  readonly nextFundingTime?: number;
}

/** A change a source reports to its subscribers. Names are past-tense facts. */
export type MarketUpdate =
  /** The book or mid price of `symbol` changed; read it with `book()`/`midPrice()`. */
  | { readonly type: "bookChanged"; readonly symbol: string; readonly ts: number }
  /** A one-minute candle closed. */
  | { readonly type: "candleClosed"; readonly symbol: string; readonly ts: number; readonly candle: Candle }
  /** A trade printed on the tape. */
  | {
      readonly type: "tradePrinted";
      readonly symbol: string;
      readonly ts: number;
      readonly price: string;
      readonly size: string;
      readonly takerSide: "buy" | "sell";
    }
  /** Funding settled at `rate` (a fraction per interval). */
  | { readonly type: "fundingSettled"; readonly symbol: string; readonly ts: number; readonly rate: string };

/** Receives updates; called synchronously while the source advances. */
export type MarketListener = (update: MarketUpdate) => void;

/**
 * Where books, prices, candles, funding and open interest come from: synthetic,
 * replayed or live. State is always "as of `clock.now()`": queries bring the
 * source up to the clock first, and nothing later than the clock is ever visible.
 */
export interface MarketSource {
  /** The clock this source reads; a replay uses a ManualClock. */
  readonly clock: Clock;
  /** Metadata of every market this source serves. */
  markets(): readonly Market[];
  /** The current L2 book of a symbol, best first, at most `depth` levels a side. */
  book(symbol: string, depth?: number): L2Book;
  /** (best bid + best ask) / 2 of the current book. */
  midPrice(symbol: string): Decimal;
  /** The exchange mark price (the mid when the source has no separate mark). */
  markPrice(symbol: string): Decimal;
  /** The last `limit` CLOSED candles (closeTime <= clock.now()), oldest first. */
  candles(symbol: string, interval: CandleInterval, limit: number): Candle[];
  /** The funding rate in force, or undefined when the source has no funding data. */
  fundingRate(symbol: string): FundingRate | undefined;
  /** Open interest in base units, or undefined when the source has none. */
  openInterest(symbol: string): Decimal | undefined;
  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: MarketListener): () => void;
  /**
   * Brings the source's state up to `ts` (<= clock.now()), emitting updates on the
   * way. A backtest moves its ManualClock and calls this, jumping tick to tick.
   * Throws LookAheadError when `ts` is later than the clock.
   */
  advanceTo(ts: number): void;
  /** Epoch ms of the next recorded or simulated event after the current state, if any. */
  nextEventTime(): number | undefined;
  /** Releases files, sockets and timers. */
  close(): Promise<void>;
}
