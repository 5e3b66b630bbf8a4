/**
 * Order records: every order that met a book or is in flight, with its status moved only
 * through the lifecycle table (ORDER_TRANSITIONS) by the order events the simulator emits.
 * Invariants: records keep creation order; a rejection on submission leaves no record; a
 * record's filledSize and filledNotional are the sums of its fills, exactly.
 */
import { type Market, ZERO, lotsToSize, ticksToPrice } from "@autonome/core";
import type { SimulatorEventMap } from "./events.js";
import type { NormalizedOrder } from "./order-input.js";
import { type OrderLifecycleEvent, nextOrderStatus } from "./order-lifecycle.js";
import type { OrderView } from "./types.js";

/** Moves a record through the lifecycle table (throws for a transition it does not allow). */
function move(record: OrderView, event: OrderLifecycleEvent, now: number): void {
  record.status = nextOrderStatus(record.orderId, record.status, event);
  record.updatedAt = now;
}

/** The order records of one simulator, by order id, in creation order. */
export class OrderRecords {
  private readonly records = new Map<string, OrderView>();

  /** Records from a snapshot (already in creation order). */
  constructor(records: Iterable<OrderView> = []) {
    for (const record of records) this.records.set(record.orderId, record);
  }

  has(orderId: string): boolean {
    return this.records.has(orderId);
  }

  /** The live record (callers copy it before handing it out). */
  get(orderId: string): OrderView | undefined {
    return this.records.get(orderId);
  }

  /** Every record, in creation order. */
  values(): IterableIterator<OrderView> {
    return this.records.values();
  }

  /** An order in flight (latency): a PENDING record until it reaches the book. */
  addPending(order: NormalizedOrder, market: Market, now: number): void {
    this.records.set(order.orderId, {
      orderId: order.orderId,
      accountId: order.accountId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      size: lotsToSize(market, order.sizeLots),
      price: order.priceTicks === undefined ? null : ticksToPrice(market, order.priceTicks),
      timeInForce: order.timeInForce,
      postOnly: order.postOnly,
      reduceOnly: order.reduceOnly,
      leverage: order.leverage,
      closeTrigger: null,
      status: "PENDING",
      filledSize: ZERO,
      filledNotional: ZERO,
      averagePrice: null,
      rejectReason: null,
      createdAt: now,
      updatedAt: now,
    });
  }

  /** A resting order was cut to `remaining` (reduce-only following its position): its size is what filled plus that. */
  resize(orderId: string, remaining: OrderView["size"]): void {
    const record = this.records.get(orderId);
    if (record !== undefined) record.size = record.filledSize.plus(remaining);
  }

  /**
   * An order met the book: its record (a PENDING one under latency keeps its creation time)
   * moves to ACCEPTED. Returns a copy for the orderAccepted event.
   */
  accept(order: Omit<OrderView, "status" | "filledSize" | "filledNotional" | "averagePrice" | "rejectReason" | "createdAt" | "updatedAt">, now: number): OrderView {
    const record: OrderView = {
      ...order,
      status: "PENDING",
      filledSize: ZERO,
      filledNotional: ZERO,
      averagePrice: null,
      rejectReason: null,
      createdAt: this.records.get(order.orderId)?.createdAt ?? now,
      updatedAt: now,
    };
    move(record, "accepted", now);
    this.records.set(order.orderId, record);
    return { ...record };
  }

  /** Keeps the records in step with one order event (orderAccepted is `accept`). */
  track<K extends keyof SimulatorEventMap>(name: K, event: SimulatorEventMap[K][0], now: number): void {
    if (name === "orderRejected") {
      // Only an order in flight has a record: a rejection on submission changes nothing.
      const e = event as SimulatorEventMap["orderRejected"][0];
      const record = this.records.get(e.orderId);
      if (record !== undefined && record.status === "PENDING") {
        move(record, "rejected", now);
        record.rejectReason = e.reason;
      }
    } else if (name === "orderFilled") {
      const { fill } = event as SimulatorEventMap["orderFilled"][0];
      const record = this.records.get(fill.orderId);
      if (record === undefined) return;
      record.filledSize = record.filledSize.plus(fill.quantity);
      record.filledNotional = record.filledNotional.plus(fill.price.mul(fill.quantity));
      record.averagePrice = record.filledNotional.div(record.filledSize);
      move(record, record.filledSize.gte(record.size) ? "filled" : "partiallyFilled", now);
    } else if (name === "orderCancelled") {
      const e = event as SimulatorEventMap["orderCancelled"][0];
      const record = this.records.get(e.orderId);
      if (record !== undefined) move(record, "cancelled", now);
    }
  }
}
