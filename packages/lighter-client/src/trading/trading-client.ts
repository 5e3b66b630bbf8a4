/**
 * Trading operations on Lighter for one (account, API key): IOC market orders
 * with worst-price protection, fill tracking, reduce-only stop-loss and
 * take-profit trigger orders (sized or position-tied), cancels and leverage.
 * Prices and sizes are Decimals outside and integer ticks and lots inside,
 * converted with market decimals loaded at runtime from orderBookDetails.
 */
import {
  Decimal,
  MarketRegistry,
  SystemClock,
  TimeoutError,
  ValidationError,
  priceToTicks,
  roundToStep,
  sizeToLots,
  type DecimalLike,
  type Market,
  type OrderSide,
  type TimerClock,
} from "@autonome/core";
import { LighterNotFoundError } from "../errors.js";
import { NonceManager } from "../nonce-manager.js";
import type { LighterRestClient, SendTxResult } from "../rest/rest-client.js";
import { TX_STATUS, type LighterMarketDetails, type LighterOrder } from "../rest/schemas.js";
import type { LighterApiKey } from "../signer/api-key.js";
import { createAuthToken } from "../tx/auth-token.js";
import { signTx, type UnsignedTx } from "../tx/transactions.js";
import { CANCEL_ALL_MODE, DEFAULT_TX_LIFETIME_MS, MARGIN_FRACTION_TICK, MARGIN_MODE, ORDER_TYPE, TIME_IN_FORCE, TX_TYPE } from "../tx/tx-types.js";

/** Options of the trading client. */
export interface LighterTradingClientOptions {
  rest: LighterRestClient;
  key: LighterApiKey;
  accountIndex: number;
  apiKeyIndex: number;
  /** 304 mainnet, 300 testnet. */
  chainId: number;
  clock?: TimerClock;
  /** Shared nonce manager (one per process per key); default: a new one over `rest`. */
  nonces?: NonceManager;
  /** Auth token lifetime; default 7 h (the server allows 8 h). */
  authTokenLifetimeMs?: number;
}

/** A market order request. */
export interface MarketOrderRequest {
  symbol: string;
  side: OrderSide;
  size: DecimalLike;
  /** Worst acceptable average price (the order's price field); or give maxSlippage. */
  worstPrice?: DecimalLike;
  /** Fraction (0.01 = 1%) beyond the best opposite price, used when worstPrice is absent. */
  maxSlippage?: DecimalLike;
  reduceOnly?: boolean;
}

/** A stop-loss or take-profit request (always reduce-only). */
export interface TriggerOrderRequest {
  symbol: string;
  /** The closing side: "sell" for a long position, "buy" for a short one. */
  side: OrderSide;
  triggerPrice: DecimalLike;
  /** Omit to tie the order to the position (it closes all of it, base amount 0). */
  size?: DecimalLike;
  /** Worst execution price once triggered; default triggerPrice moved by maxSlippage (default 2%). */
  worstPrice?: DecimalLike;
  maxSlippage?: DecimalLike;
  /** Default 28 days. */
  expiresInMs?: number;
}

/** What was sent. */
export interface PlacedOrder extends SendTxResult {
  readonly marketId: number;
  readonly clientOrderIndex: number;
  readonly nonce: number;
}

/** Outcome of a tracked order. */
export interface FillReport {
  readonly status: "filled" | "partially_filled" | "not_filled";
  readonly filledSize: Decimal;
  /** Average fill price; undefined when nothing filled. */
  readonly averagePrice: Decimal | undefined;
  /** Lighter's order status ("filled", "canceled-not-enough-liquidity", ...), or "tx-failed". */
  readonly orderStatus: string;
  /** Why it did not (fully) fill, when it did not. */
  readonly reason: string | undefined;
  readonly orderIndex: bigint | undefined;
}

const DAY_MS = 86_400_000;
/** Lighter SDKs default trigger-order expiry: 28 days. */
const TRIGGER_EXPIRY_MS = 28 * DAY_MS;

/** Places and tracks orders for one account and API key. */
export class LighterTradingClient {
  private readonly rest: LighterRestClient;
  private readonly key: LighterApiKey;
  private readonly clock: TimerClock;
  private readonly nonces: NonceManager;
  private readonly authLifetimeMs: number;
  private registry: MarketRegistry | undefined;
  private details = new Map<number, LighterMarketDetails>();
  private lastClientOrderIndex = 0;
  private token: { value: string; expiresAt: number } | undefined;
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  readonly chainId: number;

  constructor(options: LighterTradingClientOptions) {
    this.rest = options.rest;
    this.key = options.key;
    this.accountIndex = options.accountIndex;
    this.apiKeyIndex = options.apiKeyIndex;
    this.chainId = options.chainId;
    this.clock = options.clock ?? new SystemClock();
    this.nonces = options.nonces ?? new NonceManager((a, k) => this.rest.nextNonce(a, k));
    this.authLifetimeMs = options.authTokenLifetimeMs ?? 7 * 3_600_000;
  }

  /** Loads (or reloads) markets from orderBookDetails; decimals are never hard-coded. */
  async loadMarkets(): Promise<MarketRegistry> {
    const details = await this.rest.orderBookDetails();
    this.details = new Map(details.map((d) => [d.market.marketId, d]));
    this.registry = new MarketRegistry(details.map((d) => d.market));
    return this.registry;
  }

  /** A loaded market by symbol. */
  async market(symbol: string): Promise<Market> {
    return (this.registry ?? (await this.loadMarkets())).get(symbol);
  }

  /** A valid auth token, refreshed 10 minutes before it expires. */
  authToken(): string {
    const now = this.clock.now();
    if (!this.token || this.token.expiresAt - now < 600_000) {
      const expiresAt = now + this.authLifetimeMs;
      this.token = { value: createAuthToken(this.key, this.accountIndex, this.apiKeyIndex, expiresAt), expiresAt };
    }
    return this.token.value;
  }

  /** IOC market order; its price is the worst acceptable price (explicit or best price +/- slippage). */
  async placeMarketOrder(request: MarketOrderRequest): Promise<PlacedOrder> {
    const market = await this.market(request.symbol);
    const size = new Decimal(request.size);
    const worst = request.worstPrice !== undefined ? new Decimal(request.worstPrice) : await this.slippagePrice(market, request.side, request.maxSlippage ?? "0.01");
    const priceTicks = priceToTicks(market, roundToStep(worst, market.tickSize, request.side === "buy" ? "down" : "up"));
    return this.sendOrder(market, {
      baseAmount: sizeToLots(market, size),
      price: priceTicks,
      isAsk: request.side === "sell",
      orderType: ORDER_TYPE.MARKET,
      timeInForce: TIME_IN_FORCE.IMMEDIATE_OR_CANCEL,
      reduceOnly: request.reduceOnly ?? false,
      triggerPrice: 0,
      orderExpiry: 0,
    });
  }

  /** Reduce-only stop-loss (market once triggered). */
  placeStopLoss(request: TriggerOrderRequest): Promise<PlacedOrder> {
    return this.placeTrigger(request, ORDER_TYPE.STOP_LOSS);
  }

  /** Reduce-only take-profit (market once triggered). */
  placeTakeProfit(request: TriggerOrderRequest): Promise<PlacedOrder> {
    return this.placeTrigger(request, ORDER_TYPE.TAKE_PROFIT);
  }

  /** Cancels an order by its order index or client order index. */
  async cancelOrder(symbol: string, index: bigint | number): Promise<SendTxResult & { nonce: number }> {
    const market = await this.market(symbol);
    return this.send((nonce) => ({ txType: TX_TYPE.CANCEL_ORDER, ...this.envelope(nonce), marketIndex: market.marketId, index }));
  }

  /** Cancels every open order of the account now. */
  cancelAllOrders(): Promise<SendTxResult & { nonce: number }> {
    return this.send((nonce) => ({ txType: TX_TYPE.CANCEL_ALL_ORDERS, ...this.envelope(nonce), timeInForce: CANCEL_ALL_MODE.IMMEDIATE, time: 0 }));
  }

  /** Sets a market's leverage (initial margin fraction = 1 / leverage, in 1/10000). */
  async updateLeverage(symbol: string, leverage: number, marginMode: "cross" | "isolated" = "cross"): Promise<SendTxResult & { nonce: number }> {
    const market = await this.market(symbol);
    if (!(leverage >= 1) || new Decimal(leverage).gt(market.maxLeverage)) {
      throw new ValidationError("invalid leverage", [{ path: "leverage", message: `must be in [1, ${market.maxLeverage.toString()}]` }]);
    }
    const imf = Math.floor(MARGIN_FRACTION_TICK / leverage);
    return this.send((nonce) => ({
      txType: TX_TYPE.UPDATE_LEVERAGE,
      ...this.envelope(nonce),
      marketIndex: market.marketId,
      initialMarginFraction: imf,
      marginMode: marginMode === "cross" ? MARGIN_MODE.CROSS : MARGIN_MODE.ISOLATED,
    }));
  }

  /**
   * Polls the tx until it executed (or failed), then the order's status, and reports
   * filled, partially filled, or not filled with the reason. Throws core's
   * TimeoutError if the tx is not executed within `timeoutMs`.
   */
  async trackFill(placed: PlacedOrder, options: { timeoutMs?: number; pollIntervalMs?: number } = {}): Promise<FillReport> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const pollMs = options.pollIntervalMs ?? 500;
    const deadline = this.clock.now() + timeoutMs;
    let status: number | undefined;
    // Bounded by the deadline.
    while (this.clock.now() <= deadline) {
      try {
        const tx = await this.rest.tx(placed.txHash);
        if (tx.status === TX_STATUS.FAILED || tx.status >= TX_STATUS.EXECUTED) {
          status = tx.status;
          break;
        }
      } catch (error) {
        if (!(error instanceof LighterNotFoundError)) throw error;
      }
      await this.clock.sleep(pollMs);
    }
    if (status === undefined) throw new TimeoutError(`tracking tx ${placed.txHash}`, timeoutMs);
    if (status === TX_STATUS.FAILED) {
      return { status: "not_filled", filledSize: new Decimal(0), averagePrice: undefined, orderStatus: "tx-failed", reason: "tx-failed", orderIndex: undefined };
    }
    const order = await this.findOrder(placed.marketId, placed.clientOrderIndex);
    if (!order) {
      return { status: "not_filled", filledSize: new Decimal(0), averagePrice: undefined, orderStatus: "unknown", reason: "order-not-found", orderIndex: undefined };
    }
    return fillReport(order);
  }

  /** The account's order with this client order index (inactive first, then active). */
  async findOrder(marketId: number, clientOrderIndex: number): Promise<LighterOrder | undefined> {
    const token = this.authToken();
    const { orders } = await this.rest.accountInactiveOrders(this.accountIndex, token, { marketId, limit: 100 });
    const done = orders.find((o) => o.clientOrderIndex === BigInt(clientOrderIndex));
    if (done) return done;
    const active = await this.rest.accountActiveOrders(this.accountIndex, marketId, token);
    return active.find((o) => o.clientOrderIndex === BigInt(clientOrderIndex));
  }

  private async placeTrigger(request: TriggerOrderRequest, orderType: number): Promise<PlacedOrder> {
    const market = await this.market(request.symbol);
    const trigger = new Decimal(request.triggerPrice);
    const slip = new Decimal(request.maxSlippage ?? "0.02");
    const worst =
      request.worstPrice !== undefined ? new Decimal(request.worstPrice) : request.side === "buy" ? trigger.mul(slip.plus(1)) : trigger.mul(new Decimal(1).minus(slip));
    return this.sendOrder(market, {
      baseAmount: request.size === undefined ? 0 : sizeToLots(market, request.size),
      price: priceToTicks(market, roundToStep(worst, market.tickSize, request.side === "buy" ? "down" : "up")),
      isAsk: request.side === "sell",
      orderType,
      timeInForce: TIME_IN_FORCE.IMMEDIATE_OR_CANCEL,
      reduceOnly: true,
      triggerPrice: priceToTicks(market, roundToStep(trigger, market.tickSize, "nearest")),
      orderExpiry: this.clock.now() + (request.expiresInMs ?? TRIGGER_EXPIRY_MS),
    });
  }

  private async slippagePrice(market: Market, side: OrderSide, maxSlippage: DecimalLike): Promise<Decimal> {
    const book = await this.rest.orderBookOrders(market.marketId, 1);
    const best = side === "buy" ? book.asks[0]?.price : book.bids[0]?.price;
    if (!best) throw new ValidationError(`no ${side === "buy" ? "asks" : "bids"} in ${market.symbol} to price a market order`);
    const slip = new Decimal(maxSlippage);
    return side === "buy" ? best.mul(slip.plus(1)) : best.mul(new Decimal(1).minus(slip));
  }

  private async sendOrder(
    market: Market,
    body: Omit<Extract<UnsignedTx, { txType: 14 }>, "txType" | "accountIndex" | "apiKeyIndex" | "expiredAt" | "nonce" | "marketIndex" | "clientOrderIndex">,
  ): Promise<PlacedOrder> {
    const clientOrderIndex = this.nextClientOrderIndex();
    const sent = await this.send((nonce) => ({
      txType: TX_TYPE.CREATE_ORDER,
      ...this.envelope(nonce),
      marketIndex: market.marketId,
      clientOrderIndex,
      ...body,
    }));
    return { ...sent, marketId: market.marketId, clientOrderIndex };
  }

  /** Signs with a managed nonce and sends; on 21104 the nonce is resynced and the tx re-signed once. */
  private send(build: (nonce: number) => UnsignedTx): Promise<SendTxResult & { nonce: number }> {
    return this.nonces.withNonce(this.accountIndex, this.apiKeyIndex, async (nonce) => {
      const result = await this.rest.sendTx(signTx(build(nonce), this.key, this.chainId));
      return { ...result, nonce };
    });
  }

  private envelope(nonce: number) {
    return { accountIndex: this.accountIndex, apiKeyIndex: this.apiKeyIndex, expiredAt: this.clock.now() + DEFAULT_TX_LIFETIME_MS, nonce };
  }

  /** Never prints the key or the auth token. */
  toString(): string {
    return `LighterTradingClient(account=${this.accountIndex}, apiKey=${this.apiKeyIndex}, chain=${this.chainId})`;
  }

  /** Never prints the key or the auth token in console.log / util.inspect. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** Unique, increasing client order indexes from the clock (ms since epoch stays below 2^48 until year 10889). */
  private nextClientOrderIndex(): number {
    this.lastClientOrderIndex = Math.max(this.lastClientOrderIndex + 1, this.clock.now());
    return this.lastClientOrderIndex;
  }
}

/** Classifies an order's fills. */
export function fillReport(order: LighterOrder): FillReport {
  const filled = order.filledSize;
  const averagePrice = filled.isZero() ? undefined : order.filledQuote.div(filled);
  const complete = order.status === "filled" || (filled.gt(0) && filled.gte(order.initialSize));
  const status = complete ? "filled" : filled.gt(0) ? "partially_filled" : "not_filled";
  return { status, filledSize: filled, averagePrice, orderStatus: order.status, reason: complete ? undefined : order.status, orderIndex: order.orderIndex };
}
