/**
 * The static checks of journal input. An order is checked once, when it is submitted (before
 * any latency): its text becomes an integer order on a known account and market, or a
 * rejection value naming the reason (and, for a market limit, the limit and its value).
 * Persisted positions to restore are checked all before any is restored.
 * Invariant: the checks run in a fixed order, so one input always gets the same outcome; a
 * value no order may carry (a malformed decimal, an unknown side) throws ValidationError.
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
import type { BrokenLimit, TimeInForce } from "../types.js";
import { parseDecimal } from "../decimal-input.js";
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
export type Rejection = { reason: RejectReason; detail?: string; limit?: BrokenLimit };

/** What the checks read of the simulator: the account and market exist (the caller looked them up). */
export interface OrderCheckContext {
  account: { id: string; positionIds: ReadonlySet<string> };
  market: { market: Market; mark: Decimal | null };
  /** Whether an order id was used before. */
  isUsedOrderId(orderId: string): boolean;
}

/** The exact decimal of journal text; throws ValidationError (a journal written by this package never has one). */
export function journalDecimal(text: string | undefined, path: string): Decimal {
  const value = parseDecimal(text);
  if (value === null) throw new ValidationError("malformed command", [{ path, message: `${JSON.stringify(text)} is not a decimal number` }]);
  return value;
}

/** Static checks, done when the order is submitted (before any latency). */
export function normalizeOrder(input: PlaceOrderCommandInput, orderId: string, closeTrigger: CloseTrigger, context: OrderCheckContext): NormalizedOrder | Rejection {
  const { account } = context;
  const { market, mark } = context.market;
  if (input.side !== "buy" && input.side !== "sell") throw new ValidationError("malformed order", [{ path: "side", message: "must be buy or sell" }]);
  if (input.type !== "market" && input.type !== "limit") throw new ValidationError("malformed order", [{ path: "type", message: "must be market or limit" }]);
  const size = journalDecimal(input.size, "size");
  const price = input.price === undefined ? undefined : journalDecimal(input.price, "price");
  const leverageValue = input.leverage === undefined ? null : journalDecimal(input.leverage, "leverage");
  if (context.isUsedOrderId(orderId) || account.positionIds.has(orderId)) return { reason: "DUPLICATE_ORDER_ID", detail: `order id ${orderId} is in use` };
  let sizeLots: number;
  let priceTicks: number | undefined;
  try {
    sizeLots = sizeToLots(market, size, orderId);
    if (price !== undefined) priceTicks = priceToTicks(market, price, orderId);
  } catch (error) {
    if (error instanceof OrderRejectedError) return error.detail === undefined ? { reason: error.reason } : { reason: error.reason, detail: error.detail };
    throw error;
  }
  if (input.type === "limit" && priceTicks === undefined) return { reason: "INVALID_PRICE_TICK", detail: "a limit order needs a price" };
  if (leverageValue !== null) {
    if (leverageValue.lte(0)) return { reason: "INVALID_LEVERAGE", detail: `leverage ${leverageValue.toString()} is not positive` };
    if (leverageValue.gt(market.maxLeverage)) {
      return { reason: "LEVERAGE_TOO_HIGH", detail: `leverage ${leverageValue.toString()} is above the market's maxLeverage ${market.maxLeverage.toString()}`, limit: { name: "maxLeverage", value: market.maxLeverage } };
    }
  }
  const reduceOnly = input.reduceOnly === true;
  if (!reduceOnly) {
    if (size.lt(market.minSize)) {
      return { reason: "BELOW_MIN_SIZE", detail: `size ${size.toString()} is below the market's minSize ${market.minSize.toString()}`, limit: { name: "minSize", value: market.minSize } };
    }
    const referencePrice = priceTicks !== undefined ? ticksToPrice(market, priceTicks) : mark;
    if (referencePrice !== null && size.mul(referencePrice).lt(market.minNotional)) {
      return {
        reason: "BELOW_MIN_NOTIONAL",
        detail: `notional ${size.mul(referencePrice).toString()} (${size.toString()} at ${referencePrice.toString()}) is below the market's minNotional ${market.minNotional.toString()}`,
        limit: { name: "minNotional", value: market.minNotional },
      };
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
    leverage: leverageValue,
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
  return orders.map((o, i) => {
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
    const invalid = (field: string, message: string) => new ValidationError("invalid persisted order", [{ path: `orders.${i}.${field}`, message }]);
    if (o.side !== "LONG" && o.side !== "SHORT") throw invalid("side", "must be LONG or SHORT");
    const quantity = journalDecimal(o.quantity, `orders.${i}.quantity`);
    let lots: number;
    try {
      lots = sizeToLots(market.market, quantity, o.orderId);
    } catch (error) {
      if (error instanceof OrderRejectedError) throw invalid("quantity", `${error.reason}: ${error.detail ?? quantity.toString()}`);
      throw error;
    }
    const entryPrice = journalDecimal(o.entryPrice, `orders.${i}.entryPrice`);
    if (entryPrice.lte(0)) throw invalid("entryPrice", "must be positive");
    const leverage = o.leverage === undefined ? market.market.defaultLeverage : journalDecimal(o.leverage, `orders.${i}.leverage`);
    if (leverage.lte(0)) throw invalid("leverage", "must be positive");
    const funding = o.funding === undefined ? ZERO : journalDecimal(o.funding, `orders.${i}.funding`);
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
