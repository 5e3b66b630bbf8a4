/**
 * The live Lighter market through @autonome/lighter-client: markets from
 * orderBookDetails (decimals and margin fractions as the exchange says), books
 * from the order_book WebSocket channel (snapshot + diffs with begin_nonce
 * continuity; on a gap or a dropped connection the client resubscribes and the
 * book is rebuilt from a fresh snapshot, and until then `book()` throws
 * NoMarketDataError rather than serve a stale book), trades and market_stats
 * (mark, open interest, funding) when the server offers those channels, and
 * one-minute candles: REST history at connect, then built live from trades, or
 * from the mid price while no trade has been seen (volume 0).
 * Time: every update is stamped with the injected clock when it is seen.
 * Assumptions, as in the Lighter capture reader: market_stats.open_interest is
 * quote notional, and funding rates (market_stats current_funding_rate, REST
 * fundings rate) are percentages per hour; a REST funding with direction
 * "short" is read as negative.
 */
import { type Clock, ConfigError, type Decimal, type Market, UnknownMarketError, toDecimal } from "@autonome/core";
import { LighterRestClient, LighterWsClient } from "@autonome/lighter-client";
import { NoMarketDataError } from "./errors.js";
import { BaseMarketSource } from "./internal/base-source.js";
import { BarBuilder, CandleStore, MINUTE_MS } from "./internal/candle-store.js";
import type { Candle, CandleInterval, FundingRate, L2Book } from "./types.js";

/** How to reach Lighter (or the mock Lighter server). */
export interface LighterMarketOptions {
  clock: Clock;
  /** REST base URL (ignored when `rest` is given). */
  restUrl?: string;
  /** WebSocket URL, for example wss://mainnet.zklighter.elliot.ai/stream (ignored when `ws` is given). */
  wsUrl?: string;
  rest?: LighterRestClient;
  ws?: LighterWsClient;
  /** Symbols to follow (default: every market the exchange lists). */
  symbols?: readonly string[];
  /** One-minute candles fetched over REST at connect (default 0). */
  historyMinutes?: number;
  /** Also subscribe to trade/{id} and market_stats/{id} (default true). */
  tradesAndStats?: boolean;
  /** Real-time wait for the first book snapshots (default 10 s). */
  connectTimeoutMs?: number;
}

interface SymbolState {
  market: Market;
  store: CandleStore;
  builder: BarBuilder;
  sawTrade: boolean;
  markPrice: string | undefined;
  openInterest: string | undefined;
  funding: { rate: Decimal; ts: number } | undefined;
}

/** A live MarketSource over Lighter's REST and WebSocket APIs. */
export class LighterMarket extends BaseMarketSource {
  private readonly states = new Map<string, SymbolState>();
  private readonly byId = new Map<number, SymbolState>();
  private readonly closedQueue: Array<{ symbol: string; store: CandleStore; index: number }> = [];

  private constructor(
    clock: Clock,
    markets: readonly Market[],
    private readonly ws: LighterWsClient,
    private readonly ownsWs: boolean,
  ) {
    super(clock, markets);
    for (const market of markets) {
      const store = new CandleStore(1024);
      const symbol = market.symbol;
      const state: SymbolState = {
        market,
        store,
        builder: new BarBuilder(
          store,
          (index) => {
            if (this.hasListeners) this.closedQueue.push({ symbol, store, index });
          },
          market.sizeDecimals,
        ),
        sawTrade: false,
        markPrice: undefined,
        openInterest: undefined,
        funding: undefined,
      };
      this.states.set(symbol, state);
      this.byId.set(market.marketId, state);
    }
  }

  /** Loads markets, history and funding over REST, subscribes, and resolves once every book has its snapshot. */
  static async connect(options: LighterMarketOptions): Promise<LighterMarket> {
    const rest = options.rest ?? new LighterRestClient({ baseUrl: required(options.restUrl, "restUrl") });
    const details = await rest.orderBookDetails();
    const wanted = options.symbols ? new Set(options.symbols) : undefined;
    const markets = details.map((d) => d.market).filter((m) => !wanted || wanted.has(m.symbol));
    if (wanted && markets.length !== wanted.size) {
      const missing = [...wanted].filter((s) => !markets.some((m) => m.symbol === s));
      throw new UnknownMarketError(missing.join(","));
    }
    const ws = options.ws ?? new LighterWsClient({ url: required(options.wsUrl, "wsUrl") });
    const source = new LighterMarket(options.clock, markets, ws, options.ws === undefined);
    const now = options.clock.now();
    for (const state of source.states.values()) {
      const id = state.market.marketId;
      const history = options.historyMinutes ?? 0;
      if (history > 0) {
        const candles = await rest.candles(id, "1m", now - history * MINUTE_MS, now, history);
        for (const c of [...candles].sort((a, b) => a.openTimeMs - b.openTimeMs)) {
          const openTime = Math.floor(c.openTimeMs / MINUTE_MS) * MINUTE_MS;
          if (openTime + MINUTE_MS > now || openTime <= state.store.lastOpenTime()) continue;
          state.store.push(openTime, c.open.toNumber(), c.high.toNumber(), c.low.toNumber(), c.close.toNumber(), c.baseVolume.toNumber());
        }
      }
      const fundings = await rest.fundings(id, "1h", now - 86_400_000, now, 1);
      const last = fundings[fundings.length - 1];
      if (last) {
        const rate = last.rate.div(100);
        state.funding = { rate: last.direction === "short" ? rate.neg() : rate, ts: last.timestamp * 1000 };
      }
    }
    source.attach(options.tradesAndStats ?? true);
    if (!ws.connected) await ws.connect();
    await source.waitForBooks(options.connectTimeoutMs ?? 10_000);
    source.stateTs = options.clock.now();
    return source;
  }

  private attach(tradesAndStats: boolean): void {
    this.ws.on("orderBookUpdated", (book) => {
      const state = this.byId.get(book.marketId);
      if (!state) return;
      const ts = this.clock.now();
      if (!state.sawTrade) {
        const bid = book.bestBid();
        const ask = book.bestAsk();
        if (bid && ask) state.builder.add(ts, bid.price.plus(ask.price).div(2).toNumber(), 0);
      }
      this.emit({ type: "bookChanged", symbol: state.market.symbol, ts });
      this.deliver();
    });
    this.ws.on("messageReceived", (message) => this.onMessage(message));
    for (const state of this.states.values()) {
      const id = state.market.marketId;
      this.ws.subscribeOrderBook(id);
      if (tradesAndStats) {
        this.ws.subscribe(`trade/${id}`);
        this.ws.subscribe(`market_stats/${id}`);
      }
    }
  }

  private onMessage(message: Record<string, unknown>): void {
    const type = typeof message.type === "string" ? message.type : "";
    const ts = this.clock.now();
    if (type.endsWith("/trade") && Array.isArray(message.trades)) {
      for (const trade of message.trades as Array<Record<string, unknown>>) {
        const state = this.byId.get(Number(trade.market_id));
        if (!state || typeof trade.price !== "string" || typeof trade.size !== "string") continue;
        state.sawTrade = true;
        state.builder.add(ts, Number(trade.price), Number(trade.size));
        this.emit({ type: "tradePrinted", symbol: state.market.symbol, ts, price: trade.price, size: trade.size, takerSide: trade.is_maker_ask === true ? "buy" : "sell" });
      }
    } else if (type.endsWith("/market_stats") && message.market_stats && typeof message.market_stats === "object") {
      const stats = message.market_stats as Record<string, unknown>;
      const state = this.byId.get(Number(stats.market_id));
      if (!state) return;
      if (typeof stats.mark_price === "string") state.markPrice = stats.mark_price;
      if (typeof stats.open_interest === "string" && state.markPrice && Number(state.markPrice) > 0) {
        state.openInterest = toDecimal(stats.open_interest).div(state.markPrice).toDecimalPlaces(state.market.sizeDecimals).toString();
      }
      if (typeof stats.current_funding_rate === "string") state.funding = { rate: toDecimal(stats.current_funding_rate).div(100), ts };
    } else {
      return;
    }
    this.deliver();
  }

  private deliver(): void {
    this.flushClosed();
    this.dispatch();
  }

  private flushClosed(): void {
    for (const { symbol, store, index } of this.closedQueue) {
      const candle = store.bar(index);
      this.emit({ type: "candleClosed", symbol, ts: candle.closeTime, candle });
    }
    this.closedQueue.length = 0;
  }

  private waitForBooks(timeoutMs: number): Promise<void> {
    const missing = () => [...this.states.values()].filter((s) => !this.ws.orderBook(s.market.marketId));
    if (missing().length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onUpdate = () => {
        if (missing().length > 0) return;
        clearTimeout(timer);
        this.ws.off("orderBookUpdated", onUpdate);
        resolve();
      };
      const timer = setTimeout(() => {
        this.ws.off("orderBookUpdated", onUpdate);
        const symbols = missing().map((s) => s.market.symbol);
        reject(new NoMarketDataError(symbols.join(","), this.clock.now()));
      }, timeoutMs);
      this.ws.on("orderBookUpdated", onUpdate);
    });
  }

  /** Whether the WebSocket is connected now. */
  get connected(): boolean {
    return this.ws.connected;
  }

  nextEventTime(): number | undefined {
    return undefined; // live: events come when the exchange sends them
  }

  protected advanceState(ts: number): void {
    for (const state of this.states.values()) state.builder.closeUntil(ts);
    this.flushClosed();
  }

  private state(symbol: string): SymbolState {
    this.market(symbol);
    return this.states.get(symbol)!;
  }

  protected bookAt(symbol: string, depth: number): L2Book {
    const state = this.state(symbol);
    const book = this.ws.orderBook(state.market.marketId);
    if (!book) throw new NoMarketDataError(symbol, this.clock.now());
    const text = (levels: ReturnType<typeof book.bids>) => levels.map((l) => ({ price: l.price.toString(), size: l.size.toString() }));
    return { symbol, ts: this.stateTs, bids: text(book.bids(depth)), asks: text(book.asks(depth)) };
  }

  protected markAt(symbol: string): Decimal | undefined {
    const mark = this.state(symbol).markPrice;
    return mark === undefined ? undefined : toDecimal(mark);
  }

  protected candlesAt(symbol: string, interval: CandleInterval, limit: number, now: number): Candle[] {
    return this.state(symbol).store.candles(interval, limit, now);
  }

  protected fundingAt(symbol: string): FundingRate | undefined {
    const funding = this.state(symbol).funding;
    return funding && { symbol, rate: funding.rate, intervalMs: 3_600_000, ts: Math.min(funding.ts, this.clock.now()) };
  }

  protected openInterestAt(symbol: string): Decimal | undefined {
    const oi = this.state(symbol).openInterest;
    return oi === undefined ? undefined : toDecimal(oi);
  }

  override async close(): Promise<void> {
    this.ws.removeAllListeners("orderBookUpdated");
    this.ws.removeAllListeners("messageReceived");
    if (this.ownsWs) this.ws.close();
    await super.close();
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new ConfigError(`LighterMarket needs the ${name} option`, name);
  return value;
}
