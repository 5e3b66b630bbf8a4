/**
 * The simulator's typed event map. Names are past-tense facts; every payload carries its
 * `type` (the event's name), its id ("e<n>", increasing), tsEvent (when it happened) and
 * tsInit (when the simulator recorded it), both from the clock. Payloads are in-process
 * values (Decimal). A refused order is not an event: its result says so (the one exception
 * is an order in flight under latency, refused when it arrives: `orderRejected`).
 */
import type { CloseTrigger, Decimal, EventMeta, RejectReason, Side } from "@autonome/core";
import type { OrderView, PositionView, SimFill, SimulatedTrade } from "./types.js";

/** An order passed every check and met the book; `order` is its record at that moment (status ACCEPTED). */
export interface OrderAcceptedEvent extends EventMeta {
  type: "orderAccepted";
  order: OrderView;
}

/** An order in flight (latency) was refused when it arrived; nothing changed. Orders refused when placed are not events: their result says so. */
export interface OrderRejectedEvent extends EventMeta {
  type: "orderRejected";
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
  type: "orderCancelled";
  orderId: string;
  accountId: string;
  symbol: string;
  /** Size that was cancelled. */
  size: Decimal;
  reason: CancelReason;
}

/** One execution of a simulated account's order (a match between two simulated accounts is two events, taker first). */
export interface OrderFilledEvent extends EventMeta {
  type: "orderFilled";
  fill: SimFill;
}

/** A position came into existence. */
export interface PositionOpenedEvent extends EventMeta {
  type: "positionOpened";
  position: PositionView;
}

/** A position grew or shrank without closing. */
export interface PositionChangedEvent extends EventMeta {
  type: "positionChanged";
  position: PositionView;
  /** Gross PnL realized by this change (zero when it grew). */
  realizedPnl: Decimal;
}

/** A position closed; `closeTrigger` says why (MANUAL, STOP, TARGET, LIQUIDATION). */
export interface PositionClosedEvent extends EventMeta {
  type: "positionClosed";
  trade: SimulatedTrade;
  closeTrigger: CloseTrigger;
}

/** An account fell below maintenance margin and its positions were closed at market. */
export interface LiquidatedEvent extends EventMeta {
  type: "liquidated";
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
  type: "fundingPaid";
  accountId: string;
  symbol: string;
  side: Side;
  quantity: Decimal;
  markPrice: Decimal;
  rate: Decimal;
  /** Cash change of the account: negative when it paid. */
  amount: Decimal;
}

/** Every simulator event by name (eventemitter3 typed map): `sim.on("orderFilled", (e) => ...)`. */
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

/** Any simulator event; narrow it on `type`. What `eventLog()` returns. */
export type SimulatorEvent = SimulatorEventMap[SimulatorEventName][0];

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

/** Keeps the latest `capacity` events, oldest dropped first. */
export class EventLog {
  private readonly events: SimulatorEvent[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  /** Records an event (a no-op with capacity 0). */
  push(event: SimulatorEvent): void {
    if (this.capacity === 0) return;
    if (this.events.length < this.capacity) {
      this.events.push(event);
      return;
    }
    this.events[this.start] = event;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The kept events, oldest first. */
  list(): SimulatorEvent[] {
    return [...this.events.slice(this.start), ...this.events.slice(0, this.start)];
  }
}
