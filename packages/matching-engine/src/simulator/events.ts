/**
 * The simulator's typed event map. Names are past-tense facts; every payload carries its
 * id ("e<n>", increasing), tsEvent (when it happened) and tsInit (when the simulator
 * recorded it), both from the injected Clock. Payloads are in-process values (Decimal).
 */
import type { CloseTrigger, Decimal, EventMeta, Fill, OrderSide, RejectReason, Side } from "@autonome/core";
import type { TimeInForce } from "../types.js";
import type { PositionView, SimOrderType, SimulatedTrade } from "./types.js";

/** An order met the book and passed every check. */
export interface OrderAcceptedEvent extends EventMeta {
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: SimOrderType;
  size: Decimal;
  price: Decimal | null;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  leverage: Decimal;
  closeTrigger: CloseTrigger | null;
}

/** An order was refused; nothing changed. */
export interface OrderRejectedEvent extends EventMeta {
  orderId: string;
  accountId: string;
  symbol: string;
  reason: RejectReason;
  detail: string | null;
}

/** Why an order (or its remainder) left the book without filling. */
export type CancelReason = "REQUESTED" | "UNFILLED_REMAINDER" | "SELF_TRADE" | "REDUCE_ONLY_NO_POSITION" | "LIQUIDATION";

/** An order, or its unfilled remainder, was cancelled. */
export interface OrderCancelledEvent extends EventMeta {
  orderId: string;
  accountId: string;
  symbol: string;
  /** Size that was cancelled. */
  size: Decimal;
  reason: CancelReason;
}

/** One execution of a simulated account's order. */
export interface OrderFilledEvent extends EventMeta {
  fill: Fill;
}

/** A position came into existence. */
export interface PositionOpenedEvent extends EventMeta {
  position: PositionView;
}

/** A position grew or shrank without closing. */
export interface PositionChangedEvent extends EventMeta {
  position: PositionView;
  /** Gross PnL realized by this change (zero when it grew). */
  realizedPnl: Decimal;
}

/** A position closed; `trade.closeTrigger` says why. */
export interface PositionClosedEvent extends EventMeta {
  trade: SimulatedTrade;
  closeTrigger: CloseTrigger;
}

/** An account fell below maintenance margin and its positions were closed at market. */
export interface LiquidatedEvent extends EventMeta {
  accountId: string;
  /** Equity that triggered it (before the closing fills). */
  equity: Decimal;
  /** Maintenance margin it fell below. */
  maintenanceMargin: Decimal;
  /** Markets whose positions were sent to close, in opening order. */
  symbols: string[];
  /** Loss beyond zero cash, absorbed (cash reset to zero). */
  badDebt: Decimal;
}

/** A funding payment settled on one position. */
export interface FundingPaidEvent extends EventMeta {
  accountId: string;
  symbol: string;
  side: Side;
  quantity: Decimal;
  markPrice: Decimal;
  rate: Decimal;
  /** Cash change of the account: negative when it paid. */
  amount: Decimal;
}

/** Every simulator event by name (eventemitter3 typed map). */
export interface SimulatorEventMap {
  orderAccepted: [OrderAcceptedEvent];
  orderRejected: [OrderRejectedEvent];
  orderCancelled: [OrderCancelledEvent];
  orderFilled: [OrderFilledEvent];
  positionOpened: [PositionOpenedEvent];
  positionChanged: [PositionChangedEvent];
  positionClosed: [PositionClosedEvent];
  liquidated: [LiquidatedEvent];
  fundingPaid: [FundingPaidEvent];
}

/** The names of every simulator event. */
export type SimulatorEventName = keyof SimulatorEventMap;

/** Every simulator event name, for sinks that record them all. */
export const SIMULATOR_EVENT_NAMES: readonly SimulatorEventName[] = [
  "orderAccepted",
  "orderRejected",
  "orderCancelled",
  "orderFilled",
  "positionOpened",
  "positionChanged",
  "positionClosed",
  "liquidated",
  "fundingPaid",
];
