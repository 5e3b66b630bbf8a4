/**
 * The mock exchange's state machine: registered API keys and nonces, signature
 * checks with our verifier, order books (matched by @autonome/matching-engine's
 * OrderBook), trigger orders, positions, and the tx log. No I/O: the HTTP and
 * WebSocket shell in mock-server.ts calls it and serializes its values.
 * Invariant: prices are integer ticks and sizes integer lots inside; strings with
 * the market's decimals only at the JSON boundary.
 */
import { Decimal, type Clock } from "@autonome/core";
import { OrderBook, type BookFill, type SubmitResult } from "@autonome/matching-engine";
import {
  ORDER_TYPE,
  TX_TYPE,
  bytesToHex,
  fp5FromBytesLE,
  fp5ToBytesLE,
  hashTx,
  hexToBytes,
  parseAuthToken,
  schnorrVerify,
  signatureFromBytes,
  verifyAuthToken,
  type Fp5,
  type TxAttributes,
  type UnsignedTx,
} from "@autonome/lighter-client";

/** A market the mock serves (the orderBookDetails facts). */
export interface MockMarketSpec {
  symbol: string;
  marketId: number;
  sizeDecimals: number;
  priceDecimals: number;
  minBaseAmount: string;
  minQuoteAmount: string;
  /** Margin fractions in 1/10000, as Lighter publishes them. */
  defaultInitialMarginFraction: number;
  minInitialMarginFraction: number;
  maintenanceMarginFraction: number;
  closeoutMarginFraction: number;
}

/** Lighter's ETH, BTC and SOL metadata (lighter-api.md §4); tests may pass their own. */
export const DEFAULT_MOCK_MARKETS: readonly MockMarketSpec[] = [
  { symbol: "ETH", marketId: 0, sizeDecimals: 4, priceDecimals: 2, minBaseAmount: "0.0050", minQuoteAmount: "10.000000", defaultInitialMarginFraction: 500, minInitialMarginFraction: 200, maintenanceMarginFraction: 120, closeoutMarginFraction: 80 },
  { symbol: "BTC", marketId: 1, sizeDecimals: 5, priceDecimals: 1, minBaseAmount: "0.00010", minQuoteAmount: "10.000000", defaultInitialMarginFraction: 500, minInitialMarginFraction: 200, maintenanceMarginFraction: 120, closeoutMarginFraction: 80 },
  { symbol: "SOL", marketId: 2, sizeDecimals: 3, priceDecimals: 3, minBaseAmount: "0.100", minQuoteAmount: "10.000000", defaultInitialMarginFraction: 666, minInitialMarginFraction: 400, maintenanceMarginFraction: 240, closeoutMarginFraction: 160 },
];

/** The outside liquidity's account id in the books. */
export const MOCK_MAKER_ACCOUNT = 1;

/** An order as the mock keeps it (integer ticks and lots). */
export interface MockOrder {
  orderIndex: bigint;
  clientOrderIndex: bigint;
  accountIndex: number;
  marketId: number;
  isAsk: boolean;
  orderType: number;
  timeInForce: number;
  reduceOnly: boolean;
  priceTicks: number;
  triggerTicks: number;
  initialLots: number;
  remainingLots: number;
  filledLots: number;
  filledQuoteTicksLots: bigint;
  /** REST status string. */
  status: string;
  nonce: number;
  orderExpiry: number;
  createdAtMs: number;
}

/** A recorded transaction. */
export interface MockTx {
  hash: string;
  txType: number;
  info: string;
  eventInfo: string;
  status: number;
  accountIndex: number;
  nonce: number;
  queuedAt: number;
  executedAt: number;
}

/** A liquidation the mock performed (integer ticks and lots), as /api/v1/liquidations serves it. */
export interface MockLiquidation {
  id: number;
  accountIndex: number;
  marketId: number;
  type: "partial" | "deleverage";
  /** Whether the liquidated account sold (it was long). */
  isAsk: boolean;
  priceTicks: number;
  lots: number;
  /** Taker fee rate as the venue writes it: percent ("0.0500" = 0.05%). */
  takerFee: string;
  markTicks: number;
  timeMs: number;
}

/** Options of MockExchange.liquidate. */
export interface MockLiquidateOptions {
  /** Size to liquidate (decimal string); default the whole position. */
  size?: string;
  /** "partial" (sold into the book, the default) or "deleverage". */
  type?: "partial" | "deleverage";
  /** Mark price that triggered it (decimal string); default the liquidation price. */
  markPrice?: string;
  /** Taker fee rate as the venue writes it, percent; default "0". */
  takerFee?: string;
  /** When it happened, ms; default the exchange clock. */
  timeMs?: number;
}

/** A price-level change of one book side, for WebSocket diffs. */
export interface LevelChange {
  priceTicks: number;
  sizeLots: number;
}

/** What a sendTx did, or the Lighter error it must answer with. */
export type SendResult = { ok: true; tx: MockTx } | { ok: false; code: number; message: string };

interface Position {
  lots: number; // signed
  entryQuote: bigint; // sum of ticks * lots of the open size
}

/** A trade as the mock keeps it; fees are the venue's parts per million of the notional. */
export interface MockTrade {
  id: number;
  marketId: number;
  priceTicks: number;
  lots: number;
  askId: bigint;
  bidId: bigint;
  askAccount: number;
  bidAccount: number;
  makerAsk: boolean;
  /** Epoch ms. */
  ts: number;
  txHash: string;
  /** The taker's fee rate, parts per million of the notional. */
  takerFeePpm: number;
  /** The maker's fee rate, parts per million (negative: a rebate). */
  makerFeePpm: number;
}

/** A funding settlement of one account's position (what /api/v1/positionFunding serves). */
export interface MockPositionFunding {
  id: number;
  accountIndex: number;
  marketId: number;
  /** Epoch ms. */
  timeMs: number;
  /** USDC the account received (negative: paid), 6 decimals. */
  change: Decimal;
  /** Percent, as the venue writes it. */
  ratePercent: string;
  lots: number;
  side: "long" | "short";
}

/** Events the server shell forwards to WebSocket subscribers. */
export interface MockExchangeListener {
  bookChanged(marketId: number): void;
  accountChanged(accountIndex: number, marketId: number): void;
}

const u = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : NaN);

/** The exchange behind the mock server. */
export class MockExchange {
  readonly markets = new Map<number, MockMarketSpec>();
  private readonly books = new Map<number, OrderBook>();
  private readonly apiKeys = new Map<string, { publicKey: Fp5; nonce: number }>();
  private readonly orders = new Map<bigint, MockOrder>();
  private readonly triggers = new Map<bigint, MockOrder>();
  private readonly txs = new Map<string, MockTx>();
  private readonly positions = new Map<string, Position>();
  private readonly collateral = new Map<number, Decimal>();
  private readonly leverage = new Map<string, { imf: number; marginMode: number }>();
  private readonly lastTradeTicks = new Map<number, number>();
  private readonly trades: MockTrade[] = [];
  private readonly feeRates = new Map<number, { takerPpm: number; makerPpm: number }>();
  private readonly markTicks = new Map<number, number>();
  private readonly fundingLog: MockPositionFunding[] = [];
  private nextFundingId = 1;
  private readonly liquidationLog: MockLiquidation[] = [];
  private nextOrderIndex = 1n << 48n;
  private nextTradeId = 1;
  private nextLiquidationId = 1;
  /** The next order-type tx is refused with this code and message (fault injection). */
  rejectNext: { code: number; message: string } | undefined;
  listener: MockExchangeListener | undefined;

  constructor(
    readonly chainId: number,
    private readonly clock: Clock,
    markets: readonly MockMarketSpec[] = DEFAULT_MOCK_MARKETS,
  ) {
    for (const m of markets) {
      this.markets.set(m.marketId, m);
      this.books.set(m.marketId, new OrderBook());
    }
  }

  // ------------------------------------------------------------ setup

  /** Registers an API key (its public key hex, 80 chars) with a starting nonce. */
  registerApiKey(accountIndex: number, apiKeyIndex: number, publicKeyHex: string, nonce = 0): void {
    this.apiKeys.set(`${accountIndex}:${apiKeyIndex}`, { publicKey: fp5FromBytesLE(hexToBytes(publicKeyHex)), nonce });
    if (!this.collateral.has(accountIndex)) this.collateral.set(accountIndex, new Decimal(0));
  }

  /** Sets an account's USDC collateral. */
  setCollateral(accountIndex: number, usdc: string | number | Decimal): void {
    this.collateral.set(accountIndex, new Decimal(usdc));
  }

  /** Adds resting outside liquidity: [price, size] pairs as decimal strings. */
  addLiquidity(marketId: number, side: "bid" | "ask", levels: readonly (readonly [string, string])[]): void {
    const market = this.market(marketId);
    const book = this.book(marketId);
    for (const [price, size] of levels) {
      const id = this.nextOrderIndex++;
      const priceTicks = this.toTicks(market, price);
      const lots = this.toLots(market, size);
      const order: MockOrder = {
        orderIndex: id, clientOrderIndex: 0n, accountIndex: MOCK_MAKER_ACCOUNT, marketId, isAsk: side === "ask", orderType: ORDER_TYPE.LIMIT,
        timeInForce: 1, reduceOnly: false, priceTicks, triggerTicks: 0, initialLots: lots, remainingLots: lots, filledLots: 0,
        filledQuoteTicksLots: 0n, status: "open", nonce: 0, orderExpiry: 0, createdAtMs: this.clock.now(),
      };
      this.orders.set(id, order);
      book.submit({ id: String(id), accountId: String(MOCK_MAKER_ACCOUNT), side: side === "ask" ? "sell" : "buy", kind: "limit", priceTicks, sizeLots: lots, selfTrade: "allow" });
    }
    this.listener?.bookChanged(marketId);
  }

  /** Sets the mark price: trigger orders crossed by it fire. */
  setMarkPrice(marketId: number, price: string): void {
    const ticks = this.toTicks(this.market(marketId), price);
    this.markTicks.set(marketId, ticks);
    this.fireTriggers(marketId, ticks);
  }

  /**
   * An account's trading fees, parts per million of the notional (200 = 0.02%; a negative maker
   * fee is a rebate), charged to its collateral on each fill and written on its trades. Default 0.
   */
  setFeeRates(accountIndex: number, rates: { takerPpm: number; makerPpm: number }): void {
    this.feeRates.set(accountIndex, { ...rates });
  }

  /**
   * Settles funding in a market as the venue does each hour: every open position pays (or receives)
   * size x mark x rate (percent, positive: longs pay shorts), rounded to USDC's 6 decimals, into its
   * collateral, recorded for /api/v1/positionFunding. Mark: `markPrice`, else the last setMarkPrice,
   * else the last trade. Returns the settlements.
   */
  settleFunding(marketId: number, options: { ratePercent: string; markPrice?: string; timeMs?: number }): MockPositionFunding[] {
    const market = this.market(marketId);
    const markTicks = options.markPrice !== undefined ? this.toTicks(market, options.markPrice) : this.markTicks.get(marketId) ?? this.lastTradeTicks.get(marketId);
    if (markTicks === undefined) throw new Error(`market ${marketId} has no mark price`);
    const mark = new Decimal(markTicks).div(new Decimal(10).pow(market.priceDecimals));
    const rate = new Decimal(options.ratePercent).div(100);
    const out: MockPositionFunding[] = [];
    for (const [key, pos] of this.positions) {
      const [account, market_] = key.split(":").map(Number);
      if (market_ !== marketId || pos.lots === 0) continue;
      const size = new Decimal(Math.abs(pos.lots)).div(new Decimal(10).pow(market.sizeDecimals));
      const paid = size.mul(mark).mul(rate).toDecimalPlaces(6, Decimal.ROUND_HALF_EVEN);
      const change = pos.lots > 0 ? paid.neg() : paid;
      this.collateral.set(account!, (this.collateral.get(account!) ?? new Decimal(0)).plus(change));
      const entry: MockPositionFunding = {
        id: this.nextFundingId++, accountIndex: account!, marketId, timeMs: options.timeMs ?? this.clock.now(), change,
        ratePercent: options.ratePercent, lots: Math.abs(pos.lots), side: pos.lots > 0 ? "long" : "short",
      };
      this.fundingLog.push(entry);
      out.push(entry);
      this.listener?.accountChanged(account!, marketId);
    }
    return out;
  }

  /** An account's funding settlements, newest first (all markets when marketId is undefined or 255). */
  positionFundingsOf(accountIndex: number, marketId?: number): MockPositionFunding[] {
    return this.fundingLog
      .filter((f) => f.accountIndex === accountIndex && (marketId === undefined || marketId === 255 || f.marketId === marketId))
      .sort((a, b) => b.id - a.id);
  }

  /** Trades newest first: an account's (either side), one order's, a market's. */
  tradesOf(filter: { accountIndex?: number; orderIndex?: bigint; marketId?: number }): MockTrade[] {
    return this.trades
      .filter(
        (t) =>
          (filter.accountIndex === undefined || t.askAccount === filter.accountIndex || t.bidAccount === filter.accountIndex) &&
          (filter.orderIndex === undefined || t.askId === filter.orderIndex || t.bidId === filter.orderIndex) &&
          (filter.marketId === undefined || filter.marketId === 255 || t.marketId === filter.marketId),
      )
      .reverse();
  }

  /**
   * Liquidates an account's position in a market at a price, as the venue's liquidator would: the
   * position shrinks (to zero by default) with its PnL and the taker fee realized into collateral,
   * a closed position's resting SL/TP trigger orders are cancelled (status canceled-reduce-only), and
   * the liquidation is recorded for /api/v1/liquidations. Throws when there is no position.
   */
  liquidate(accountIndex: number, marketId: number, price: string, options: MockLiquidateOptions = {}): MockLiquidation {
    const market = this.market(marketId);
    const pos = this.positions.get(`${accountIndex}:${marketId}`);
    if (!pos || pos.lots === 0) throw new Error(`account ${accountIndex} has no position in market ${marketId}`);
    const lots = options.size === undefined ? Math.abs(pos.lots) : Math.min(this.toLots(market, options.size), Math.abs(pos.lots));
    const priceTicks = this.toTicks(market, price);
    const isAsk = pos.lots > 0;
    this.move(accountIndex, marketId, isAsk ? -lots : lots, priceTicks);
    const takerFee = options.takerFee ?? "0";
    const notional = new Decimal(priceTicks).mul(lots).div(new Decimal(10).pow(market.priceDecimals + market.sizeDecimals));
    const fee = notional.mul(new Decimal(takerFee).div(100));
    this.collateral.set(accountIndex, (this.collateral.get(accountIndex) ?? new Decimal(0)).minus(fee));
    if (this.positions.get(`${accountIndex}:${marketId}`)?.lots === 0) {
      // Reduce-only triggers of a position that no longer exists can never fill.
      for (const o of this.accountOrders(accountIndex, true, marketId)) if (o.reduceOnly && o.status === "pending") this.cancelOrder(o, "canceled-reduce-only");
    }
    const entry: MockLiquidation = {
      id: this.nextLiquidationId++,
      accountIndex,
      marketId,
      type: options.type ?? "partial",
      isAsk,
      priceTicks,
      lots,
      takerFee,
      markTicks: options.markPrice === undefined ? priceTicks : this.toTicks(market, options.markPrice),
      timeMs: options.timeMs ?? this.clock.now(),
    };
    this.liquidationLog.push(entry);
    this.listener?.accountChanged(accountIndex, marketId);
    return entry;
  }

  /** An account's liquidations, newest first (all markets when marketId is undefined or 255). */
  liquidationsOf(accountIndex: number, marketId?: number): MockLiquidation[] {
    return this.liquidationLog
      .filter((l) => l.accountIndex === accountIndex && (marketId === undefined || marketId === 255 || l.marketId === marketId))
      .sort((a, b) => b.id - a.id);
  }

  /** Moves the server's nonce for a key ahead (fault: someone else used the key). */
  bumpNonce(accountIndex: number, apiKeyIndex: number, by = 1): void {
    const key = this.apiKeys.get(`${accountIndex}:${apiKeyIndex}`);
    if (key) key.nonce += by;
  }

  // ------------------------------------------------------------ queries

  /** The market spec; throws on unknown ids. */
  market(marketId: number): MockMarketSpec {
    const m = this.markets.get(marketId);
    if (!m) throw new Error(`unknown market ${marketId}`);
    return m;
  }

  /** The order book of a market. */
  book(marketId: number): OrderBook {
    const b = this.books.get(marketId);
    if (!b) throw new Error(`unknown market ${marketId}`);
    return b;
  }

  /** The registered key, if any. */
  apiKey(accountIndex: number, apiKeyIndex: number): { publicKey: Fp5; nonce: number } | undefined {
    return this.apiKeys.get(`${accountIndex}:${apiKeyIndex}`);
  }

  /** All keys of an account. */
  apiKeysOf(accountIndex: number): { apiKeyIndex: number; nonce: number; publicKeyHex: string }[] {
    return [...this.apiKeys.entries()]
      .filter(([k]) => k.startsWith(`${accountIndex}:`))
      .map(([k, v]) => ({ apiKeyIndex: Number(k.split(":")[1]), nonce: v.nonce, publicKeyHex: bytesToHex(fp5ToBytesLE(v.publicKey)) }));
  }

  /** Whether an auth token is valid for the account. */
  checkAuth(token: string | undefined, accountIndex: number): boolean {
    if (token === undefined) return false;
    const claimed = parseAuthToken(token);
    if (!claimed) return false;
    const key = this.apiKey(Number(claimed.accountIndex), claimed.apiKeyIndex);
    if (!key) return false;
    const parsed = verifyAuthToken(token, key.publicKey, this.clock.now());
    return parsed !== undefined && parsed.accountIndex === BigInt(accountIndex);
  }

  /** A tx by hash. */
  tx(hash: string): MockTx | undefined {
    return this.txs.get(hash);
  }

  /** Orders of an account: active (open or pending triggers) or inactive. */
  accountOrders(accountIndex: number, active: boolean, marketId?: number): MockOrder[] {
    const all = [...this.orders.values(), ...this.triggers.values()].filter(
      (o) => o.accountIndex === accountIndex && (marketId === undefined || marketId === 255 || o.marketId === marketId),
    );
    const isActive = (o: MockOrder) => o.status === "open" || o.status === "pending";
    return all.filter((o) => isActive(o) === active).sort((a, b) => (a.orderIndex < b.orderIndex ? 1 : -1));
  }

  /** Positions of an account with size != 0. */
  positionsOf(accountIndex: number): { marketId: number; lots: number; entryQuote: bigint }[] {
    const out: { marketId: number; lots: number; entryQuote: bigint }[] = [];
    for (const [k, p] of this.positions) {
      const [acct, market] = k.split(":").map(Number);
      if (acct === accountIndex && p.lots !== 0) out.push({ marketId: market!, lots: p.lots, entryQuote: p.entryQuote });
    }
    return out;
  }

  /** An account's collateral. */
  collateralOf(accountIndex: number): Decimal | undefined {
    return this.collateral.get(accountIndex);
  }

  /** Recent trades of a market, newest first. */
  recentTrades(marketId: number, limit: number): MockTrade[] {
    return this.trades.filter((t) => t.marketId === marketId).slice(-limit).reverse();
  }

  /** Last trade price in ticks, if any. */
  lastTrade(marketId: number): number | undefined {
    return this.lastTradeTicks.get(marketId);
  }

  // ------------------------------------------------------------ transactions

  /** Verifies and applies one signed tx (tx_type + tx_info JSON). */
  sendTx(txType: number, txInfo: string): SendResult {
    let info: Record<string, unknown>;
    try {
      info = JSON.parse(txInfo) as Record<string, unknown>;
    } catch {
      return { ok: false, code: 21501, message: "invalid tx info" };
    }
    const tx = this.unsignedFrom(txType, info);
    if (!tx) return { ok: false, code: 21505, message: "unsupported tx type" };
    const key = this.apiKey(Number(tx.accountIndex), tx.apiKeyIndex);
    if (!key) return { ok: false, code: 21109, message: "api key not found" };
    if (typeof info["Sig"] !== "string") return { ok: false, code: 21120, message: "invalid signature" };
    const hash = hashTx(tx, this.chainId);
    const sigBytes = new Uint8Array(Buffer.from(info["Sig"], "base64"));
    if (sigBytes.length !== 80 || !schnorrVerify(key.publicKey, hash, signatureFromBytes(sigBytes))) {
      return { ok: false, code: 21120, message: "invalid signature" };
    }
    if (Number(tx.nonce) !== key.nonce) return { ok: false, code: 21104, message: "invalid nonce" };
    if (tx.expiredAt !== 0 && tx.expiredAt < this.clock.now()) return { ok: false, code: 21119, message: "tx expired" };
    const now = this.clock.now();
    const record: MockTx = {
      hash: bytesToHex(fp5ToBytesLE(hash)), txType, info: txInfo, eventInfo: "", status: 1, accountIndex: Number(tx.accountIndex),
      nonce: Number(tx.nonce), queuedAt: now, executedAt: 0,
    };
    if (this.rejectNext && (txType === TX_TYPE.CREATE_ORDER || txType === TX_TYPE.MODIFY_ORDER)) {
      const { code, message } = this.rejectNext;
      this.rejectNext = undefined;
      return { ok: false, code, message };
    }
    key.nonce += 1;
    const applied = this.apply(tx, record);
    if (!applied.ok) {
      key.nonce -= 1;
      return applied;
    }
    record.status = 2;
    record.executedAt = this.clock.now();
    this.txs.set(record.hash, record);
    return { ok: true, tx: record };
  }

  private unsignedFrom(txType: number, i: Record<string, unknown>): UnsignedTx | undefined {
    const env = { accountIndex: u(i["AccountIndex"]), apiKeyIndex: u(i["ApiKeyIndex"]), expiredAt: u(i["ExpiredAt"]), nonce: u(i["Nonce"]) };
    const attrs = i["L2TxAttributes"] as Record<string, number> | null | undefined;
    const names: (keyof TxAttributes)[] = ["integratorAccountIndex", "integratorTakerFee", "integratorMakerFee", "skipNonce", "cancelAllMarketIndex", "selfTradeBehaviorMode", "selfTradeEqualityMode"];
    const attributes = attrs ? (Object.fromEntries(Object.entries(attrs).map(([k, v]) => [names[Number(k) - 1], v])) as TxAttributes) : undefined;
    const withAttrs = attributes ? { ...env, attributes } : env;
    switch (txType) {
      case TX_TYPE.CREATE_ORDER:
        return {
          txType, ...withAttrs, marketIndex: u(i["MarketIndex"]), clientOrderIndex: u(i["ClientOrderIndex"]), baseAmount: u(i["BaseAmount"]),
          price: u(i["Price"]), isAsk: i["IsAsk"] === 1, orderType: u(i["Type"]), timeInForce: u(i["TimeInForce"]),
          reduceOnly: i["ReduceOnly"] === 1, triggerPrice: u(i["TriggerPrice"]), orderExpiry: u(i["OrderExpiry"]),
        };
      case TX_TYPE.CANCEL_ORDER:
        return { txType, ...withAttrs, marketIndex: u(i["MarketIndex"]), index: u(i["Index"]) };
      case TX_TYPE.CANCEL_ALL_ORDERS:
        return { txType, ...withAttrs, timeInForce: u(i["TimeInForce"]), time: u(i["Time"]) };
      case TX_TYPE.MODIFY_ORDER:
        return { txType, ...withAttrs, marketIndex: u(i["MarketIndex"]), index: u(i["Index"]), baseAmount: u(i["BaseAmount"]), price: u(i["Price"]), triggerPrice: u(i["TriggerPrice"]) };
      case TX_TYPE.UPDATE_LEVERAGE:
        return { txType, ...withAttrs, marketIndex: u(i["MarketIndex"]), initialMarginFraction: u(i["InitialMarginFraction"]), marginMode: u(i["MarginMode"]) };
      default:
        return undefined;
    }
  }

  private apply(tx: UnsignedTx, record: MockTx): SendResult {
    const account = Number(tx.accountIndex);
    switch (tx.txType) {
      case TX_TYPE.CREATE_ORDER: {
        if (!this.markets.has(tx.marketIndex)) return { ok: false, code: 21602, message: "invalid market index" };
        const order: MockOrder = {
          orderIndex: this.nextOrderIndex++, clientOrderIndex: BigInt(tx.clientOrderIndex), accountIndex: account, marketId: tx.marketIndex,
          isAsk: tx.isAsk, orderType: tx.orderType, timeInForce: tx.timeInForce, reduceOnly: tx.reduceOnly, priceTicks: tx.price,
          triggerTicks: tx.triggerPrice, initialLots: Number(tx.baseAmount), remainingLots: Number(tx.baseAmount), filledLots: 0,
          filledQuoteTicksLots: 0n, status: "open", nonce: Number(tx.nonce), orderExpiry: Number(tx.orderExpiry), createdAtMs: this.clock.now(),
        };
        if (tx.orderType === ORDER_TYPE.STOP_LOSS || tx.orderType === ORDER_TYPE.TAKE_PROFIT || tx.orderType === ORDER_TYPE.STOP_LOSS_LIMIT || tx.orderType === ORDER_TYPE.TAKE_PROFIT_LIMIT) {
          order.status = "pending";
          this.triggers.set(order.orderIndex, order);
          record.eventInfo = JSON.stringify({ m: tx.marketIndex, to: this.eventOrder(order), ae: "" });
          this.listener?.accountChanged(account, tx.marketIndex);
          return { ok: true, tx: record };
        }
        this.orders.set(order.orderIndex, order);
        const fills = this.execute(order);
        record.eventInfo = JSON.stringify({ m: tx.marketIndex, fills: fills.length, to: this.eventOrder(order), ae: "" });
        return { ok: true, tx: record };
      }
      case TX_TYPE.CANCEL_ORDER: {
        const order = this.findOrder(account, tx.marketIndex, BigInt(tx.index));
        if (!order) return { ok: false, code: 21700, message: "invalid order index" };
        this.cancelOrder(order, "canceled");
        record.eventInfo = JSON.stringify({ a: account, i: Number(order.orderIndex), u: Number(order.clientOrderIndex), ae: "" });
        return { ok: true, tx: record };
      }
      case TX_TYPE.CANCEL_ALL_ORDERS: {
        for (const o of this.accountOrders(account, true)) this.cancelOrder(o, "canceled");
        return { ok: true, tx: record };
      }
      case TX_TYPE.MODIFY_ORDER: {
        const order = this.findOrder(account, tx.marketIndex, BigInt(tx.index));
        if (!order) return { ok: false, code: 21700, message: "invalid order index" };
        if (order.status === "pending") {
          order.priceTicks = tx.price;
          order.triggerTicks = tx.triggerPrice;
          order.initialLots = order.remainingLots = Number(tx.baseAmount);
        } else {
          const res = this.book(order.marketId).modify(String(order.orderIndex), { priceTicks: tx.price, sizeLots: Number(tx.baseAmount) });
          order.priceTicks = tx.price;
          this.applyResult(order, res);
        }
        this.listener?.accountChanged(account, order.marketId);
        this.listener?.bookChanged(order.marketId);
        return { ok: true, tx: record };
      }
      case TX_TYPE.UPDATE_LEVERAGE:
        this.leverage.set(`${account}:${tx.marketIndex}`, { imf: tx.initialMarginFraction, marginMode: tx.marginMode });
        return { ok: true, tx: record };
    }
  }

  private findOrder(account: number, marketId: number, index: bigint): MockOrder | undefined {
    const direct = this.orders.get(index) ?? this.triggers.get(index);
    if (direct && direct.accountIndex === account) return direct.status === "open" || direct.status === "pending" ? direct : undefined;
    return this.accountOrders(account, true, marketId).find((o) => o.clientOrderIndex === index);
  }

  private cancelOrder(order: MockOrder, status: string): void {
    if (order.status === "pending") this.triggers.delete(order.orderIndex);
    else this.book(order.marketId).cancel(String(order.orderIndex));
    order.status = status;
    this.orders.set(order.orderIndex, order);
    this.listener?.accountChanged(order.accountIndex, order.marketId);
    this.listener?.bookChanged(order.marketId);
  }

  private eventOrder(o: MockOrder): Record<string, unknown> {
    return { i: Number(o.orderIndex), u: Number(o.clientOrderIndex), a: o.accountIndex, is: o.initialLots, rs: o.remainingLots, p: o.priceTicks, st: o.status };
  }

  /** Lots an order may trade given reduce-only (0 = nothing to reduce). */
  private allowedLots(order: MockOrder): number {
    if (!order.reduceOnly) return order.remainingLots;
    const pos = this.positions.get(`${order.accountIndex}:${order.marketId}`)?.lots ?? 0;
    const reducible = order.isAsk ? Math.max(0, pos) : Math.max(0, -pos);
    // Position-tied SL/TP (base 0) close the whole position.
    return order.remainingLots === 0 ? reducible : Math.min(order.remainingLots, reducible);
  }

  private execute(order: MockOrder): BookFill[] {
    const lots = this.allowedLots(order);
    if (lots === 0) {
      order.status = order.reduceOnly ? "canceled-reduce-only" : "canceled";
      this.listener?.accountChanged(order.accountIndex, order.marketId);
      return [];
    }
    order.initialLots = order.initialLots === 0 ? lots : order.initialLots;
    order.remainingLots = lots;
    const isMarket = order.orderType !== ORDER_TYPE.LIMIT && order.orderType !== ORDER_TYPE.STOP_LOSS_LIMIT && order.orderType !== ORDER_TYPE.TAKE_PROFIT_LIMIT;
    const res = this.book(order.marketId).submit({
      id: String(order.orderIndex),
      accountId: String(order.accountIndex),
      side: order.isAsk ? "sell" : "buy",
      kind: isMarket ? "market" : "limit",
      priceTicks: order.priceTicks,
      sizeLots: lots,
      timeInForce: order.timeInForce === 0 ? "IOC" : "GTC",
      postOnly: order.timeInForce === 2,
      selfTrade: "cancel_taker",
    });
    this.applyResult(order, res);
    return res.fills;
  }

  private applyResult(order: MockOrder, res: SubmitResult): void {
    for (const fill of res.fills) this.applyFill(order, fill);
    if (res.status === "rejected") order.status = res.reason === "POST_ONLY_WOULD_CROSS" ? "canceled-post-only" : "canceled";
    else if (res.status === "filled") order.status = "filled";
    else if (res.status === "resting" || res.status === "partially_filled") order.status = "open";
    else if (res.status === "cancelled") {
      const bookEmpty = order.isAsk ? this.book(order.marketId).bestBid() === undefined : this.book(order.marketId).bestAsk() === undefined;
      order.status = order.filledLots === 0 && bookEmpty ? "canceled-not-enough-liquidity" : "canceled-too-much-slippage";
    }
    order.remainingLots = res.restingLots;
    this.listener?.accountChanged(order.accountIndex, order.marketId);
    this.listener?.bookChanged(order.marketId);
    if (res.fills.length > 0) this.fireTriggers(order.marketId, res.fills[res.fills.length - 1]!.priceTicks);
  }

  private applyFill(taker: MockOrder, fill: BookFill): void {
    const maker = this.orders.get(BigInt(fill.makerOrderId));
    const quote = BigInt(fill.priceTicks) * BigInt(fill.sizeLots);
    taker.filledLots += fill.sizeLots;
    taker.filledQuoteTicksLots += quote;
    if (maker) {
      maker.filledLots += fill.sizeLots;
      maker.filledQuoteTicksLots += quote;
      maker.remainingLots = fill.makerRemainingLots;
      if (fill.makerRemainingLots === 0) maker.status = "filled";
      this.listener?.accountChanged(maker.accountIndex, maker.marketId);
    }
    const takerSign = taker.isAsk ? -1 : 1;
    this.move(taker.accountIndex, taker.marketId, takerSign * fill.sizeLots, fill.priceTicks);
    if (maker) this.move(maker.accountIndex, maker.marketId, -takerSign * fill.sizeLots, fill.priceTicks);
    this.lastTradeTicks.set(taker.marketId, fill.priceTicks);
    const makerAccount = maker?.accountIndex ?? MOCK_MAKER_ACCOUNT;
    const takerFeePpm = this.feeRates.get(taker.accountIndex)?.takerPpm ?? 0;
    const makerFeePpm = this.feeRates.get(makerAccount)?.makerPpm ?? 0;
    const market = this.market(taker.marketId);
    const notional = new Decimal(quote.toString()).div(new Decimal(10).pow(market.priceDecimals + market.sizeDecimals));
    const charge = (account: number, ppm: number) => {
      if (ppm === 0 || account === MOCK_MAKER_ACCOUNT) return;
      this.collateral.set(account, (this.collateral.get(account) ?? new Decimal(0)).minus(notional.mul(ppm).div(1_000_000)));
    };
    charge(taker.accountIndex, takerFeePpm);
    charge(makerAccount, makerFeePpm);
    this.trades.push({
      id: this.nextTradeId++, marketId: taker.marketId, priceTicks: fill.priceTicks, lots: fill.sizeLots,
      askId: taker.isAsk ? taker.orderIndex : BigInt(fill.makerOrderId), bidId: taker.isAsk ? BigInt(fill.makerOrderId) : taker.orderIndex,
      askAccount: taker.isAsk ? taker.accountIndex : makerAccount,
      bidAccount: taker.isAsk ? makerAccount : taker.accountIndex,
      makerAsk: !taker.isAsk, ts: this.clock.now(), txHash: "", takerFeePpm, makerFeePpm,
    });
    if (this.trades.length > 10_000) this.trades.shift();
  }

  /** Updates a position by a signed lot delta at a price, realizing PnL into collateral on reduction. */
  private move(account: number, marketId: number, deltaLots: number, priceTicks: number): void {
    if (account === MOCK_MAKER_ACCOUNT) return;
    const id = `${account}:${marketId}`;
    const pos = this.positions.get(id) ?? { lots: 0, entryQuote: 0n };
    const market = this.market(marketId);
    if (pos.lots === 0 || Math.sign(pos.lots) === Math.sign(deltaLots)) {
      pos.entryQuote += BigInt(priceTicks) * BigInt(Math.abs(deltaLots));
      pos.lots += deltaLots;
    } else {
      const closing = Math.min(Math.abs(deltaLots), Math.abs(pos.lots));
      const avgEntry = new Decimal(pos.entryQuote.toString()).div(Math.abs(pos.lots));
      const pnlTicksLots = new Decimal(priceTicks).minus(avgEntry).mul(closing).mul(Math.sign(pos.lots));
      const pnl = pnlTicksLots.div(new Decimal(10).pow(market.priceDecimals + market.sizeDecimals));
      this.collateral.set(account, (this.collateral.get(account) ?? new Decimal(0)).plus(pnl));
      const remaining = Math.abs(pos.lots) - closing;
      pos.entryQuote = remaining === 0 ? 0n : BigInt(avgEntry.mul(remaining).toFixed(0));
      pos.lots += deltaLots;
      const flipped = Math.abs(deltaLots) - closing;
      if (flipped > 0) pos.entryQuote = BigInt(priceTicks) * BigInt(flipped);
    }
    this.positions.set(id, pos);
  }

  private fireTriggers(marketId: number, priceTicks: number): void {
    for (const t of [...this.triggers.values()]) {
      if (t.marketId !== marketId) continue;
      const isStop = t.orderType === ORDER_TYPE.STOP_LOSS || t.orderType === ORDER_TYPE.STOP_LOSS_LIMIT;
      // A sell stop fires at or below its trigger, a sell take-profit at or above; mirrored for buys.
      const fires = t.isAsk === isStop ? priceTicks <= t.triggerTicks : priceTicks >= t.triggerTicks;
      if (!fires) continue;
      this.triggers.delete(t.orderIndex);
      t.status = "open";
      this.orders.set(t.orderIndex, t);
      this.execute(t);
    }
  }

  // ------------------------------------------------------------ conversions

  /** Decimal string to integer ticks of a market. */
  toTicks(market: MockMarketSpec, price: string): number {
    return new Decimal(price).mul(new Decimal(10).pow(market.priceDecimals)).toNumber();
  }

  /** Decimal string to integer lots of a market. */
  toLots(market: MockMarketSpec, size: string): number {
    return new Decimal(size).mul(new Decimal(10).pow(market.sizeDecimals)).toNumber();
  }
}
