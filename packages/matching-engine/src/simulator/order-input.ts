/**
 * The static checks of journal input. An order is checked once, when it is submitted (before
 * any latency): its text becomes an integer order on a known account and market, or a
 * rejection value. Persisted positions to restore are checked all before any is restored.
 * Invariant: the checks run in a fixed order, so one input always gets the same outcome; for
 * an order only a value its type forbids (an unknown side or type) throws.
 */
import {
  type CloseTrigger,
  type Decimal,
  type ExitPlan,
  type Market,
  type OrderSide,
  OrderRejectedError,
  type RejectReason,
  type Side,
  StateConflictError,
  ValidationError,
  ZERO,
  exitPlanFromJson,
  lotsToSize,
  priceToTicks,
  sizeToLots,
  ticksToPrice,
} from "@autonome/core";
import type { TimeInForce } from "../types.js";
import { isLeverageAllowed } from "./account.js";
import { parseDecimal } from "./decimal-text.js";
import type { PlaceOrderCommandInput, SimulatorCommand } from "./types.js";

/** An order after static validation: integer size and price, known account and market. */
export interface NormalizedOrder {
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: "market" | "limit";
  sizeLots: number;
  priceTicks: number | undefined;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  /** Explicit leverage; null = the position's or the market default. */
  leverage: Decimal | null;
  exitPlan: ExitPlan | null;
  closeTrigger: CloseTrigger;
}

/** Why an order was refused. */
export type Rejection = { reason: RejectReason; detail?: string };

/** What the checks read of the simulator. */
export interface OrderCheckContext {
  /** The account, when it exists. */
  account: { id: string; positionIds: ReadonlySet<string> } | undefined;
  /** The market and its mark, when it exists. */
  market: { market: Market; mark: Decimal | null } | undefined;
  /** Whether an order id was used before. */
  isUsedOrderId(orderId: string): boolean;
}

/** Static checks, done when the order is submitted (before any latency). */
export function normalizeOrder(input: PlaceOrderCommandInput, orderId: string, closeTrigger: CloseTrigger, context: OrderCheckContext): NormalizedOrder | Rejection {
  const { account } = context;
  if (account === undefined) return { reason: "UNKNOWN_ACCOUNT" };
  if (context.market === undefined) return { reason: "UNKNOWN_MARKET" };
  const { market, mark } = context.market;
  if (input.side !== "buy" && input.side !== "sell") throw new ValidationError("malformed order", [{ path: "side", message: "must be buy or sell" }]);
  if (input.type !== "market" && input.type !== "limit") throw new ValidationError("malformed order", [{ path: "type", message: "must be market or limit" }]);
  if (context.isUsedOrderId(orderId) || account.positionIds.has(orderId)) return { reason: "DUPLICATE_ORDER_ID" };
  const size = parseDecimal(input.size);
  if (size === null) return { reason: "INVALID_SIZE_LOT", detail: `size ${input.size}` };
  let sizeLots: number;
  let priceTicks: number | undefined;
  try {
    sizeLots = sizeToLots(market, size, orderId);
    if (input.price !== undefined) {
      const price = parseDecimal(input.price);
      if (price === null) return { reason: "INVALID_PRICE_TICK", detail: `price ${input.price}` };
      priceTicks = priceToTicks(market, price, orderId);
    }
  } catch (error) {
    if (error instanceof OrderRejectedError) return error.detail === undefined ? { reason: error.reason } : { reason: error.reason, detail: error.detail };
    throw error;
  }
  if (input.type === "limit" && priceTicks === undefined) return { reason: "INVALID_PRICE_TICK", detail: "a limit order needs a price" };
  let leverage: Decimal | null = null;
  if (input.leverage !== undefined) {
    leverage = parseDecimal(input.leverage);
    if (leverage === null || leverage.lte(0)) return { reason: "INVALID_LEVERAGE", detail: `leverage ${input.leverage}` };
    if (!isLeverageAllowed(market, leverage)) return { reason: "LEVERAGE_TOO_HIGH", detail: `${leverage.toString()} > ${market.maxLeverage.toString()}` };
  }
  const reduceOnly = input.reduceOnly === true;
  if (!reduceOnly) {
    if (size.lt(market.minSize)) return { reason: "BELOW_MIN_SIZE", detail: `${size.toString()} < ${market.minSize.toString()}` };
    const referencePrice = priceTicks !== undefined ? ticksToPrice(market, priceTicks) : mark;
    if (referencePrice !== null && size.mul(referencePrice).lt(market.minNotional)) {
      return { reason: "BELOW_MIN_NOTIONAL", detail: `${size.mul(referencePrice).toString()} < ${market.minNotional.toString()}` };
    }
  }
  const timeInForce: TimeInForce = input.timeInForce ?? (input.type === "market" ? "IOC" : "GTC");
  return {
    orderId,
    accountId: account.id,
    symbol: market.symbol,
    side: input.side,
    type: input.type,
    sizeLots,
    priceTicks,
    timeInForce,
    postOnly: input.postOnly === true,
    reduceOnly,
    leverage,
    exitPlan: input.exitPlan === undefined ? null : exitPlanFromJson(input.exitPlan),
    closeTrigger,
  };
}

/** A persisted position (a `restore` command's order), checked and in exact values. */
export interface CheckedPersistedOrder<A, M> {
  account: A;
  market: M;
  orderId: string;
  symbol: string;
  side: Side;
  /** On the market's lot grid. */
  quantity: Decimal;
  entryPrice: Decimal;
  leverage: Decimal;
  exitPlan: ExitPlan;
  openedAt: number;
  /** Funding the position accrued before it was persisted. */
  funding: Decimal;
}

/**
 * Checks every persisted position before any is restored (so a restore is all or nothing):
 * account and market exist (the lookups throw), one position per account and symbol, unused
 * order ids, a valid side, size, entry price, leverage, funding and exit plan.
 */
export function checkPersistedOrders<A extends { positions: ReadonlyMap<string, unknown>; positionIds: ReadonlySet<string> }, M extends { market: Market }>(
  orders: Extract<SimulatorCommand, { type: "restore" }>["orders"],
  context: { account(accountId: string): A; market(symbol: string): M; isUsedOrderId(orderId: string): boolean },
): Array<CheckedPersistedOrder<A, M>> {
  const seen = new Set<string>();
  const ids = new Set<string>();
  return orders.map((o) => {
    const account = context.account(o.accountId);
    const market = context.market(o.symbol);
    const key = `${o.accountId}\u0000${o.symbol}`;
    if (account.positions.has(o.symbol) || seen.has(key)) {
      throw new StateConflictError(`account ${o.accountId} already holds a ${o.symbol} position`, "position", `${o.accountId}/${o.symbol}`);
    }
    seen.add(key);
    if (context.isUsedOrderId(o.orderId) || ids.has(o.orderId) || account.positionIds.has(o.orderId)) {
      throw new StateConflictError(`order id ${o.orderId} is in use`, "order", o.orderId);
    }
    ids.add(o.orderId);
    if (o.side !== "LONG" && o.side !== "SHORT") throw new ValidationError("invalid persisted order", [{ path: "side", message: "must be LONG or SHORT" }]);
    const lots = sizeToLots(market.market, o.quantity, o.orderId);
    const entryPrice = parseDecimal(o.entryPrice);
    if (entryPrice === null || entryPrice.lte(0)) throw new OrderRejectedError("NON_POSITIVE_PRICE", o.orderId, `entry price ${o.entryPrice}`);
    const leverage = parseDecimal(o.leverage);
    if (leverage === null || leverage.lte(0)) throw new OrderRejectedError("INVALID_LEVERAGE", o.orderId, `leverage ${o.leverage}`);
    const funding = o.funding === undefined ? ZERO : parseDecimal(o.funding);
    if (funding === null) throw new ValidationError("invalid persisted order", [{ path: "funding", message: "must be a decimal" }]);
    return {
      account,
      market,
      orderId: o.orderId,
      symbol: o.symbol,
      side: o.side,
      quantity: lotsToSize(market.market, lots),
      entryPrice,
      leverage,
      exitPlan: exitPlanFromJson(o.exitPlan),
      openedAt: o.openedAt,
      funding,
    };
  });
}
