/**
 * Zod schemas for Lighter's REST responses and their conversion to typed,
 * camelCase values with Decimal money. Raw payloads are parsed here and never
 * leave the package. Unknown keys are ignored (Lighter adds fields over time).
 */
import { Decimal, defineMarket, type Market } from "@autonome/core";
import { z } from "zod";
import { MARGIN_FRACTION_TICK } from "../tx/tx-types.js";

const decimal = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return new Decimal(v);
  } catch {
    ctx.addIssue({ code: "custom", message: `not a decimal: ${String(v)}` });
    return z.NEVER;
  }
});
const int = z.number().int();
/** Integers that may exceed 2^53 (order indexes up to 2^60) arrive as strings or numbers. */
const bigIntLike = z.union([z.string().regex(/^-?\d+$/), z.number().int()]).transform((v) => BigInt(v));

/** Every response: {code, message?}. */
export const statusSchema = z.object({ code: int, message: z.string().optional() });

/** A perps market as orderBookDetails describes it. */
export const perpsOrderBookDetailSchema = z.object({
  symbol: z.string(),
  market_id: int,
  status: z.string(),
  taker_fee: decimal.optional(),
  maker_fee: decimal.optional(),
  min_base_amount: decimal,
  min_quote_amount: decimal,
  size_decimals: int,
  price_decimals: int,
  default_initial_margin_fraction: int,
  min_initial_margin_fraction: int,
  maintenance_margin_fraction: int,
  closeout_margin_fraction: int,
  last_trade_price: decimal.optional(),
  open_interest: decimal.optional(),
});

/** GET /api/v1/orderBookDetails. */
export const orderBookDetailsSchema = z.object({
  order_book_details: z.array(perpsOrderBookDetailSchema).default([]),
});

/** GET /api/v1/orderBooks. */
export const orderBooksSchema = z.object({
  order_books: z.array(
    z.object({
      symbol: z.string(),
      market_id: int,
      market_type: z.string().optional(),
      status: z.string(),
      supported_size_decimals: int,
      supported_price_decimals: int,
      min_base_amount: decimal,
      min_quote_amount: decimal,
    }),
  ),
});

const simpleOrderSchema = z.object({
  order_index: int.optional(),
  order_id: bigIntLike,
  owner_account_index: int,
  initial_base_amount: decimal,
  remaining_base_amount: decimal,
  price: decimal,
  order_expiry: int.optional(),
});

/** GET /api/v1/orderBookOrders. */
export const orderBookOrdersSchema = z.object({
  asks: z.array(simpleOrderSchema),
  bids: z.array(simpleOrderSchema),
});

const positionSchema = z.object({
  market_id: int,
  symbol: z.string(),
  sign: int,
  position: decimal,
  avg_entry_price: decimal,
  position_value: decimal.optional(),
  unrealized_pnl: decimal.optional(),
  realized_pnl: decimal.optional(),
  liquidation_price: decimal.optional(),
  initial_margin_fraction: decimal.optional(),
  allocated_margin: decimal.optional(),
  margin_mode: int.optional(),
  open_order_count: int.optional(),
});

/** GET /api/v1/account. */
export const accountsSchema = z.object({
  accounts: z.array(
    z.object({
      index: int,
      l1_address: z.string().optional(),
      collateral: decimal,
      available_balance: decimal.optional(),
      total_asset_value: decimal.optional(),
      positions: z.array(positionSchema).default([]),
    }),
  ),
});

/** GET /api/v1/nextNonce. */
export const nextNonceSchema = z.object({ nonce: int });

/** GET /api/v1/apikeys. */
export const apiKeysSchema = z.object({
  api_keys: z.array(z.object({ account_index: int, api_key_index: int, nonce: int, public_key: z.string() })),
});

/** POST /api/v1/sendTx. */
export const sendTxSchema = z.object({
  tx_hash: z.string(),
  predicted_execution_time_ms: int.optional(),
  volume_quota_remaining: int.optional(),
});

/** POST /api/v1/sendTxBatch. */
export const sendTxBatchSchema = z.object({ tx_hash: z.array(z.string()) });

/** GET /api/v1/tx. */
export const txSchema = z.object({
  hash: z.string(),
  type: int,
  info: z.string(),
  event_info: z.string().default(""),
  status: int,
  account_index: int.optional(),
  nonce: int.optional(),
  block_height: int.optional(),
  executed_at: int.optional(),
  queued_at: int.optional(),
});

/** One order as REST and the account WebSocket channels describe it. */
export const orderSchema = z.object({
  order_index: int.optional(),
  order_id: bigIntLike,
  client_order_index: int.optional(),
  client_order_id: bigIntLike.optional(),
  market_index: int,
  owner_account_index: int,
  initial_base_amount: decimal,
  remaining_base_amount: decimal,
  filled_base_amount: decimal.default(new Decimal(0)),
  filled_quote_amount: decimal.default(new Decimal(0)),
  price: decimal,
  is_ask: z.boolean(),
  type: z.string(),
  time_in_force: z.string(),
  reduce_only: z.boolean(),
  trigger_price: decimal.default(new Decimal(0)),
  status: z.string(),
  nonce: int.optional(),
  order_expiry: int.optional(),
  timestamp: int.optional(),
});

/** GET /api/v1/accountActiveOrders and accountInactiveOrders. */
export const ordersSchema = z.object({ next_cursor: z.string().optional(), orders: z.array(orderSchema) });

/** GET /api/v1/candles. */
export const candlesSchema = z.object({
  r: z.string().optional(),
  c: z.array(z.object({ t: int, o: decimal, h: decimal, l: decimal, c: decimal, v: decimal, V: decimal.optional() })),
});

/** GET /api/v1/fundings. */
export const fundingsSchema = z.object({
  fundings: z.array(z.object({ timestamp: int, value: decimal, rate: decimal, direction: z.string() })),
});

/** GET /api/v1/funding-rates. */
export const fundingRatesSchema = z.object({
  funding_rates: z.array(z.object({ market_id: int, exchange: z.string(), symbol: z.string(), rate: decimal })),
});

/**
 * One trade (openapi `Trade`): GET /api/v1/recentTrades, GET /api/v1/trades, the trade channels.
 * `taker_fee` / `maker_fee` are integers in millionths of the notional (parts per million: 200 =
 * 0.02%), left out when zero; `timestamp` is ms (older servers and the WebSocket examples: seconds).
 */
export const tradeSchema = z.object({
  trade_id: int,
  tx_hash: z.string(),
  type: z.string().optional(),
  market_id: int,
  size: decimal,
  price: decimal,
  usd_amount: decimal.optional(),
  ask_id: bigIntLike,
  bid_id: bigIntLike,
  ask_account_id: int,
  bid_account_id: int,
  is_maker_ask: z.boolean(),
  timestamp: int,
  taker_fee: int.optional(),
  maker_fee: int.optional(),
  /** Microseconds. */
  transaction_time: int.optional(),
});

/** GET /api/v1/recentTrades and GET /api/v1/trades. */
export const tradesSchema = z.object({
  next_cursor: z.string().nullish(),
  trades: z.array(tradeSchema).nullish().transform((t) => t ?? []),
});

/**
 * One funding settlement of an account's position (openapi `PositionFunding`): `change` is the
 * USDC the account's collateral moved by (positive = received), `rate` the market's rate in
 * percent, `position_size` unsigned base units, `position_side` "long" or "short".
 */
export const positionFundingSchema = z.object({
  timestamp: int,
  market_id: int,
  funding_id: int,
  change: decimal,
  rate: decimal,
  position_size: decimal,
  position_side: z.string(),
});

/** GET /api/v1/positionFunding (PositionFundings). */
export const positionFundingsSchema = z.object({
  position_fundings: z.array(positionFundingSchema).nullish().transform((f) => f ?? []),
  next_cursor: z.string().nullish(),
});

// ---- typed values -------------------------------------------------------------

/** A market as loaded from orderBookDetails: core's Market plus live facts. */
export interface LighterMarketDetails {
  readonly market: Market;
  readonly status: string;
  readonly takerFeeRate: Decimal;
  readonly makerFeeRate: Decimal;
  readonly lastTradePrice: Decimal | undefined;
}

/** Margin fractions arrive in 1/10000 ticks; core wants plain fractions. */
function fraction(ticks: number): Decimal {
  return new Decimal(ticks).div(MARGIN_FRACTION_TICK);
}

/** Converts one orderBookDetails entry into core's Market (decimals and fractions from the exchange, never hard-coded). */
export function marketFromDetail(d: z.infer<typeof perpsOrderBookDetailSchema>): LighterMarketDetails {
  const market = defineMarket({
    symbol: d.symbol,
    marketId: d.market_id,
    priceDecimals: d.price_decimals,
    sizeDecimals: d.size_decimals,
    minSize: d.min_base_amount,
    minNotional: d.min_quote_amount,
    initialMarginFraction: fraction(d.default_initial_margin_fraction),
    minInitialMarginFraction: fraction(d.min_initial_margin_fraction),
    maintenanceMarginFraction: fraction(d.maintenance_margin_fraction),
    closeoutMarginFraction: fraction(d.closeout_margin_fraction),
  });
  // Fees are quoted in percent ("0.0200" = 0.02% = 0.0002).
  const pct = (v: Decimal | undefined) => (v ?? new Decimal(0)).div(100);
  return { market, status: d.status, takerFeeRate: pct(d.taker_fee), makerFeeRate: pct(d.maker_fee), lastTradePrice: d.last_trade_price };
}

/** One resting order of the public book. */
export interface BookOrder {
  readonly orderIndex: bigint;
  readonly ownerAccountIndex: number;
  readonly price: Decimal;
  readonly initialSize: Decimal;
  readonly remainingSize: Decimal;
}

/** Both sides of the public book, best first. */
export interface BookOrders {
  readonly asks: readonly BookOrder[];
  readonly bids: readonly BookOrder[];
}

/** An open position of an account. */
export interface LighterPosition {
  readonly marketId: number;
  readonly symbol: string;
  /** Signed size: positive long, negative short. */
  readonly size: Decimal;
  readonly avgEntryPrice: Decimal;
  readonly unrealizedPnl: Decimal;
  readonly realizedPnl: Decimal;
  readonly liquidationPrice: Decimal | undefined;
}

/** An account's collateral and positions. */
export interface LighterAccount {
  readonly accountIndex: number;
  readonly collateral: Decimal;
  readonly availableBalance: Decimal;
  readonly totalAssetValue: Decimal;
  readonly positions: readonly LighterPosition[];
}

/** A transaction as /tx reports it. */
export interface LighterTx {
  readonly hash: string;
  readonly txType: number;
  /** 0 failed, 1 pending, 2 executed, 3+ packed/committed/verified. */
  readonly status: number;
  readonly info: string;
  readonly eventInfo: string;
  readonly executedAt: number | undefined;
}

/** Transaction statuses (EnrichedTx.status). */
export const TX_STATUS = { FAILED: 0, PENDING: 1, EXECUTED: 2, PACKED: 3, COMMITTED: 4, VERIFIED: 5 } as const;

/** An order of the account (active or inactive). */
export interface LighterOrder {
  readonly orderIndex: bigint;
  readonly clientOrderIndex: bigint | undefined;
  readonly marketId: number;
  readonly isAsk: boolean;
  readonly type: string;
  readonly timeInForce: string;
  readonly reduceOnly: boolean;
  readonly price: Decimal;
  readonly triggerPrice: Decimal;
  readonly initialSize: Decimal;
  readonly remainingSize: Decimal;
  readonly filledSize: Decimal;
  readonly filledQuote: Decimal;
  /** REST status string: "open", "pending", "filled", "canceled", "canceled-margin-not-allowed", ... */
  readonly status: string;
  readonly timestampMs: number | undefined;
}

/** A candle. */
export interface LighterCandle {
  readonly openTimeMs: number;
  readonly open: Decimal;
  readonly high: Decimal;
  readonly low: Decimal;
  readonly close: Decimal;
  readonly baseVolume: Decimal;
  readonly quoteVolume: Decimal;
}

/** A funding payment record. */
export interface LighterFunding {
  readonly timestamp: number;
  readonly value: Decimal;
  readonly rate: Decimal;
  readonly direction: string;
}

/** A funding rate quote of some exchange for a market. */
export interface LighterFundingRate {
  readonly marketId: number;
  readonly exchange: string;
  readonly symbol: string;
  readonly rate: Decimal;
}

/** A trade (public, or of an account). */
export interface LighterTrade {
  readonly tradeId: number;
  readonly txHash: string;
  /** "trade", "liquidation", "deleverage", ... as sent; "trade" when left out. */
  readonly type: string;
  readonly marketId: number;
  readonly price: Decimal;
  readonly size: Decimal;
  /** The notional, USD (size x price when the venue left it out). */
  readonly usdAmount: Decimal;
  readonly askOrderIndex: bigint;
  readonly bidOrderIndex: bigint;
  readonly askAccountIndex: number;
  readonly bidAccountIndex: number;
  readonly isMakerAsk: boolean;
  /** Epoch ms (seconds from older servers are converted). */
  readonly timestamp: number;
  /** The taker's fee as a fraction of the notional (the venue's parts per million / 10^6). */
  readonly takerFeeRate: Decimal;
  /** The maker's fee as a fraction of the notional (negative for a rebate). */
  readonly makerFeeRate: Decimal;
}

/** A funding settlement of one of an account's positions. */
export interface LighterPositionFunding {
  readonly fundingId: number;
  readonly marketId: number;
  /** Epoch ms of the settlement (seconds from the venue are converted). */
  readonly timeMs: number;
  /** USDC the account received (negative: paid). */
  readonly change: Decimal;
  /** The market's funding rate, percent, as the venue writes it. */
  readonly ratePercent: Decimal;
  /** Unsigned size of the position funded. */
  readonly positionSize: Decimal;
  readonly positionSide: "LONG" | "SHORT";
}

/** Epoch ms from a venue time in seconds or ms (anything below 10^12 is seconds: before 2001 in ms). */
export function epochMs(value: number): number {
  return value < 1e12 ? value * 1000 : value;
}

const PPM = new Decimal(1_000_000);

/** Converts a parsed trade. */
export function tradeFrom(t: z.infer<typeof tradeSchema>): LighterTrade {
  return {
    tradeId: t.trade_id,
    txHash: t.tx_hash,
    type: t.type ?? "trade",
    marketId: t.market_id,
    price: t.price,
    size: t.size,
    usdAmount: t.usd_amount !== undefined && !t.usd_amount.isZero() ? t.usd_amount : t.size.mul(t.price),
    askOrderIndex: t.ask_id,
    bidOrderIndex: t.bid_id,
    askAccountIndex: t.ask_account_id,
    bidAccountIndex: t.bid_account_id,
    isMakerAsk: t.is_maker_ask,
    timestamp: epochMs(t.timestamp),
    takerFeeRate: new Decimal(t.taker_fee ?? 0).div(PPM),
    makerFeeRate: new Decimal(t.maker_fee ?? 0).div(PPM),
  };
}

/**
 * The fee the owner of `orderIndex` paid on a trade, USD (negative for a rebate): the notional
 * times the rate of the order's role, maker when it rested on the side `is_maker_ask` names.
 * Undefined when the order is on neither side of the trade.
 */
export function tradeFeeOf(trade: LighterTrade, orderIndex: bigint): Decimal | undefined {
  const isAsk = trade.askOrderIndex === orderIndex;
  if (!isAsk && trade.bidOrderIndex !== orderIndex) return undefined;
  const maker = isAsk === trade.isMakerAsk;
  return trade.usdAmount.mul(maker ? trade.makerFeeRate : trade.takerFeeRate);
}

/** Converts a parsed position-funding entry. */
export function positionFundingFrom(f: z.infer<typeof positionFundingSchema>): LighterPositionFunding {
  return {
    fundingId: f.funding_id,
    marketId: f.market_id,
    timeMs: epochMs(f.timestamp),
    change: f.change,
    ratePercent: f.rate,
    positionSize: f.position_size,
    positionSide: f.position_side.toLowerCase() === "short" ? "SHORT" : "LONG",
  };
}

/** Converts a parsed /account entry. */
export function accountFrom(a: z.infer<typeof accountsSchema>["accounts"][number]): LighterAccount {
  return {
    accountIndex: a.index,
    collateral: a.collateral,
    availableBalance: a.available_balance ?? a.collateral,
    totalAssetValue: a.total_asset_value ?? a.collateral,
    positions: a.positions
      .filter((p) => !p.position.isZero())
      .map((p) => ({
        marketId: p.market_id,
        symbol: p.symbol,
        size: p.sign < 0 ? p.position.neg() : p.position,
        avgEntryPrice: p.avg_entry_price,
        unrealizedPnl: p.unrealized_pnl ?? new Decimal(0),
        realizedPnl: p.realized_pnl ?? new Decimal(0),
        liquidationPrice: p.liquidation_price,
      })),
  };
}

/** Converts a parsed order. */
export function orderFrom(o: z.infer<typeof orderSchema>): LighterOrder {
  return {
    orderIndex: o.order_id,
    clientOrderIndex: o.client_order_id ?? (o.client_order_index === undefined ? undefined : BigInt(o.client_order_index)),
    marketId: o.market_index,
    isAsk: o.is_ask,
    type: o.type,
    timeInForce: o.time_in_force,
    reduceOnly: o.reduce_only,
    price: o.price,
    triggerPrice: o.trigger_price,
    initialSize: o.initial_base_amount,
    remainingSize: o.remaining_base_amount,
    filledSize: o.filled_base_amount,
    filledQuote: o.filled_quote_amount,
    status: o.status,
    timestampMs: o.timestamp === undefined ? undefined : o.timestamp * 1000,
  };
}

// ---- liquidations -------------------------------------------------------------

/** Integer ids that may arrive as numbers or digit strings. */
const intLike = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

/** One entry of GET /api/v1/liquidations (LiquidationInfos). Unknown keys are ignored; `info` beyond mark prices is not read. */
export const liquidationSchema = z.object({
  id: intLike,
  market_id: int,
  type: z.string(),
  trade: z.object({
    price: decimal,
    size: decimal,
    taker_fee: decimal.optional(),
    maker_fee: decimal.optional(),
    /** Microseconds (newer servers). */
    transaction_time: int.optional(),
    bid_account_id: int.optional(),
    ask_account_id: int.optional(),
  }),
  info: z
    .object({ mark_prices: z.record(z.string(), decimal).optional() })
    .nullish(),
  /** Milliseconds (older schema, where the trade carries no time). */
  executed_at: int.optional(),
});

/** GET /api/v1/liquidations. */
export const liquidationsSchema = z.object({
  liquidations: z.array(liquidationSchema).nullish().transform((l) => l ?? []),
  next_cursor: z.string().nullish(),
});

/** How Lighter closed a position by force: "partial" (sold into the book) or "deleverage" (against a counterparty); other strings kept as sent. */
export type LiquidationType = "partial" | "deleverage" | (string & {});

/** A liquidation (or auto-deleverage) of one of an account's positions: the trade that closed it. */
export interface LighterLiquidation {
  readonly id: number;
  readonly marketId: number;
  readonly type: LiquidationType;
  readonly price: Decimal;
  readonly size: Decimal;
  /** Fraction (0.0005 = 5 bp), from the venue's percent string. */
  readonly takerFeeRate: Decimal;
  /** Fraction, from the venue's percent string. */
  readonly makerFeeRate: Decimal;
  /** When the trade happened, ms since epoch (from transaction_time in µs, else executed_at); undefined when the venue sent neither. */
  readonly timeMs: number | undefined;
  /** The buyer's account index, when sent. */
  readonly bidAccountIndex: number | undefined;
  /** The seller's account index, when sent. */
  readonly askAccountIndex: number | undefined;
  /** Mark prices the liquidation used, by market id. */
  readonly markPrices: ReadonlyMap<number, Decimal>;
}

/** Converts a parsed liquidation entry. Fee strings are percent, as in orderBookDetails ("0.0200" = 0.02%). */
export function liquidationFrom(l: z.infer<typeof liquidationSchema>): LighterLiquidation {
  const marks = new Map<number, Decimal>();
  for (const [market, price] of Object.entries(l.info?.mark_prices ?? {})) if (/^\d+$/.test(market)) marks.set(Number(market), price);
  const t = l.trade;
  return {
    id: l.id,
    marketId: l.market_id,
    type: l.type,
    price: t.price,
    size: t.size,
    takerFeeRate: (t.taker_fee ?? new Decimal(0)).div(100),
    makerFeeRate: (t.maker_fee ?? new Decimal(0)).div(100),
    timeMs: t.transaction_time !== undefined ? Math.floor(t.transaction_time / 1000) : l.executed_at,
    bidAccountIndex: t.bid_account_id,
    askAccountIndex: t.ask_account_id,
    markPrices: marks,
  };
}
