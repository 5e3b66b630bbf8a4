/**
 * What every source shares: listeners, the "as of the clock" rule and the
 * look-ahead guard. A subclass implements `advanceState(ts)`, which must move its
 * state forward to `ts` and queue updates with `emit`.
 */
import { type Clock, type Decimal, type Market, MarketRegistry, toDecimal } from "@autonome/core";
import { LookAheadError, NoMarketDataError } from "../errors.js";
import type { Candle, CandleInterval, FundingRate, L2Book, MarketListener, MarketSource, MarketUpdate } from "../types.js";

/** Base class of the built-in sources. */
export abstract class BaseMarketSource implements MarketSource {
  private readonly listeners = new Set<MarketListener>();
  private readonly queue: MarketUpdate[] = [];
  private dispatching = false;
  /** Time the state has been brought up to. */
  protected stateTs = Number.NEGATIVE_INFINITY;
  protected readonly registry: MarketRegistry;

  constructor(
    readonly clock: Clock,
    markets: readonly Market[],
  ) {
    this.registry = new MarketRegistry(markets);
  }

  markets(): readonly Market[] {
    return this.registry.all();
  }

  /** Whether anyone listens (sources skip building updates otherwise). */
  protected get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  /**
   * Queues an update; queued updates reach listeners once the state is fully at
   * the new time, so a listener that reads the source sees a consistent state.
   */
  protected emit(update: MarketUpdate): void {
    if (this.listeners.size > 0) this.queue.push(update);
  }

  /** Delivers queued updates now (push sources call it when data arrives). */
  protected dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        for (const update of batch) for (const listener of this.listeners) listener(update);
      }
    } finally {
      this.dispatching = false;
    }
  }

  subscribe(listener: MarketListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  advanceTo(ts: number): void {
    const now = this.clock.now();
    if (ts > now) throw new LookAheadError(ts, now);
    if (ts <= this.stateTs) return;
    this.advanceState(ts);
    this.stateTs = ts;
    this.dispatch();
  }

  /** Brings the state up to the clock; every query calls it first. */
  protected sync(): void {
    const now = this.clock.now();
    if (now > this.stateTs) {
      this.advanceState(now);
      this.stateTs = now;
      this.dispatch();
    }
  }

  protected market(symbol: string): Market {
    return this.registry.get(symbol);
  }

  book(symbol: string, depth = 20): L2Book {
    this.market(symbol);
    this.sync();
    return this.bookAt(symbol, depth);
  }

  midPrice(symbol: string): Decimal {
    const book = this.book(symbol, 1);
    const bid = book.bids[0];
    const ask = book.asks[0];
    if (bid && ask) return toDecimal(bid.price).plus(ask.price).div(2);
    const one = bid ?? ask;
    if (!one) throw new NoMarketDataError(symbol, this.clock.now());
    return toDecimal(one.price);
  }

  markPrice(symbol: string): Decimal {
    this.market(symbol);
    this.sync();
    return this.markAt(symbol) ?? this.midPrice(symbol);
  }

  candles(symbol: string, interval: CandleInterval, limit: number): Candle[] {
    this.market(symbol);
    this.sync();
    return this.candlesAt(symbol, interval, limit, this.clock.now());
  }

  fundingRate(symbol: string): FundingRate | undefined {
    this.market(symbol);
    this.sync();
    return this.fundingAt(symbol);
  }

  openInterest(symbol: string): Decimal | undefined {
    this.market(symbol);
    this.sync();
    return this.openInterestAt(symbol);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  abstract nextEventTime(): number | undefined;
  protected abstract advanceState(ts: number): void;
  protected abstract bookAt(symbol: string, depth: number): L2Book;
  protected abstract markAt(symbol: string): Decimal | undefined;
  protected abstract candlesAt(symbol: string, interval: CandleInterval, limit: number, now: number): Candle[];
  protected abstract fundingAt(symbol: string): FundingRate | undefined;
  protected abstract openInterestAt(symbol: string): Decimal | undefined;
}
