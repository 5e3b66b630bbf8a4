/**
 * Public types of the matching engine. Inside the book everything is integer:
 * prices in ticks and sizes in lots (JS numbers, checked to stay safe integers).
 * Conversion to and from decimals happens at the boundary with a core `Market`.
 */
import type { Decimal, OrderSide, RejectReason } from "@autonome/core";

/**
 * An order id: a non-empty string, or a non-negative safe integer, which names the same
 * order as its decimal string (`5` and `"5"` are one id, `"05"` another). Results and views
 * report ids as strings; a numeric id costs no string and no string hashing on the
 * allocation-free calls (`OrderBook.limit`, `market`, `remove`).
 */
export type OrderId = string | number;

/** A market limit an order broke, named with its value. */
export interface BrokenLimit {
  name: "minSize" | "minNotional" | "maxLeverage";
  value: Decimal;
}

/** Time in force of a limit or market order. */
export type TimeInForce = "GTC" | "IOC" | "FOK";

/** What happens when an order would trade against a resting order of the same account. */
export type SelfTradePrevention = "cancel_taker" | "cancel_maker" | "cancel_both" | "allow";

/** An order as the book accepts it: integer ticks and lots. */
export interface BookOrderInput {
  /** Unique within the book while the order lives. */
  id: string;
  accountId: string;
  side: OrderSide;
  kind: "limit" | "market";
  /** Limit price in ticks; for a market order an optional worst acceptable price (protection). */
  priceTicks?: number;
  sizeLots: number;
  /** Default: GTC for limit, IOC for market (a market order never rests). */
  timeInForce?: TimeInForce;
  /** Rejected, changing nothing, if it would cross on arrival. */
  postOnly?: boolean;
  /** Default "cancel_taker". */
  selfTrade?: SelfTradePrevention;
}

/** One match between a resting (maker) order and an incoming (taker) order. */
export interface BookFill {
  /** Sequence number of the fill within the book, strictly increasing. */
  seq: number;
  makerOrderId: string;
  makerAccountId: string;
  takerOrderId: string;
  takerAccountId: string;
  /** The taker's side; the maker traded the other side. */
  takerSide: OrderSide;
  /** Execution price in ticks: always the maker's price. */
  priceTicks: number;
  sizeLots: number;
  /** What is left of the maker order after this fill (0 = gone from the book). */
  makerRemainingLots: number;
}

/** Final state of an order after a submit or modify. */
export type SubmitStatus =
  | "rejected" // nothing changed
  | "filled" // fully executed
  | "partially_filled" // some executed, the rest rests on the book (GTC)
  | "resting" // nothing executed, rests on the book
  | "cancelled"; // IOC/market remainder dropped, or cancelled by self-trade prevention; may have partial fills

/** What a submit did, as a value: the engine never throws for an expected rejection. Read-only: empty `fills` and `cancelledMakerIds` arrays are shared, frozen instances. */
export interface SubmitResult {
  orderId: string;
  status: SubmitStatus;
  /** Why it was rejected; set only when `status` is "rejected". */
  reason?: RejectReason;
  /** Lots executed by this call. */
  filledLots: number;
  /** Lots left resting on the book after this call. */
  restingLots: number;
  fills: BookFill[];
  /** Resting orders removed by self-trade prevention. */
  cancelledMakerIds: string[];
}

/** What a cancel did: the size it took off the book, or a rejection when the id rests nowhere. */
export type BookCancelResult =
  | { status: "cancelled"; orderId: string; remainingLots: number }
  | { status: "rejected"; orderId: string; reason: "UNKNOWN_ORDER" };

/** Whether a trigger order was registered (or removed), as a value. */
export type TriggerResult = { status: "accepted" | "cancelled"; id: string } | { status: "rejected"; id: string; reason: RejectReason };

/** One aggregated price level. */
export interface LevelView {
  priceTicks: number;
  sizeLots: number;
  orderCount: number;
}

/** Aggregated depth, best level first on each side. */
export interface DepthView {
  bids: LevelView[];
  asks: LevelView[];
}

/** An L2 snapshot in integer form: [priceTicks, sizeLots] pairs, best first. */
export interface L2SnapshotTicks {
  bids: Array<readonly [number, number]>;
  asks: Array<readonly [number, number]>;
}

/** A resting order as the book holds it. */
export interface RestingOrderView {
  id: string;
  accountId: string;
  side: OrderSide;
  priceTicks: number;
  /** Remaining size. */
  sizeLots: number;
  /** Sequence number of its queue position; lower = earlier. */
  seq: number;
}

/** Kind of a trigger order. */
export type TriggerKind = "stop_loss" | "take_profit";

/**
 * A trigger (conditional) order: when the reference price crosses `triggerTicks`
 * it becomes a market order (or a limit order at `limitTicks`).
 * A sell stop triggers when price <= trigger; a sell take-profit when price >= trigger;
 * mirrored for buys.
 */
export interface TriggerOrderInput {
  id: string;
  accountId: string;
  side: OrderSide;
  kind: TriggerKind;
  triggerTicks: number;
  /** Absent: market order on trigger. */
  limitTicks?: number;
  sizeLots: number;
}

/** A trigger order that fired and what its order did. */
export interface TriggeredOrder {
  trigger: TriggerOrderInput;
  /** Reference price that fired it. */
  atPriceTicks: number;
  result: SubmitResult;
}
