/**
 * The life of a simulated order as data: one table of allowed (status, event) -> status
 * transitions. Invariant: FILLED, CANCELLED and REJECTED are terminal; anything the table does
 * not list is a bug in the caller and throws StateConflictError.
 */
import { StateConflictError } from "@autonome/core";

/** Where an order is in its life. */
export type OrderStatus = "PENDING" | "ACCEPTED" | "PARTIALLY_FILLED" | "FILLED" | "CANCELLED" | "REJECTED";

/** What can happen to an order. */
export type OrderLifecycleEvent = "accepted" | "rejected" | "partiallyFilled" | "filled" | "cancelled";

/** Allowed transitions; a missing entry is not allowed. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, Readonly<Partial<Record<OrderLifecycleEvent, OrderStatus>>>>> = {
  // In flight (latency): it meets the book on arrival, or is cancelled before.
  PENDING: { accepted: "ACCEPTED", rejected: "REJECTED", cancelled: "CANCELLED" },
  ACCEPTED: { partiallyFilled: "PARTIALLY_FILLED", filled: "FILLED", cancelled: "CANCELLED" },
  // A cancelled remainder keeps its fills: the order ends CANCELLED with filledSize > 0.
  PARTIALLY_FILLED: { partiallyFilled: "PARTIALLY_FILLED", filled: "FILLED", cancelled: "CANCELLED" },
  FILLED: {},
  CANCELLED: {},
  REJECTED: {},
};

/** The status after an event; throws StateConflictError for a transition the table does not allow. */
export function nextOrderStatus(orderId: string, status: OrderStatus, event: OrderLifecycleEvent): OrderStatus {
  const next = ORDER_TRANSITIONS[status][event];
  if (next === undefined) throw new StateConflictError(`order ${orderId} is ${status}; it cannot be ${event}`, "order", orderId);
  return next;
}
