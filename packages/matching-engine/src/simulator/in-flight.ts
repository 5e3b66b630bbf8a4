/**
 * Orders in flight under the latency model: each waits on a clock timer and meets the book
 * when it arrives, unless it is cancelled first. The orders themselves are state
 * (SimulatorState.pendingOrders, in submission order); the timers are not, so a restored
 * simulator re-arms them. Invariant: an order is in `pending` exactly while its timer is armed.
 */
import type { Timer, TimerClock } from "@autonome/core";
import type { NormalizedOrder } from "./order-input.js";
import type { PendingOrder } from "./state.js";

/** The timers of the orders in flight. */
export class InFlightOrders {
  private readonly timers = new Map<string, Timer>();

  constructor(
    private readonly clock: TimerClock,
    private readonly pending: Map<string, PendingOrder>,
    /** Called when an order arrives (it has left `pending` by then). */
    private readonly arrive: (order: NormalizedOrder) => void,
  ) {}

  /** Arms the timers of the orders already in flight (a restored state), in submission order. */
  armAll(): void {
    for (const pending of this.pending.values()) this.arm(pending);
  }

  /** Sends an order: it arrives at `arrivesAt`. */
  send(order: NormalizedOrder, arrivesAt: number): void {
    const pending: PendingOrder = { order, arrivesAt };
    this.pending.set(order.orderId, pending);
    this.arm(pending);
  }

  /** Takes an account's order out of flight: the order, or undefined when that account has no such order in flight. */
  cancel(orderId: string, accountId: string): NormalizedOrder | undefined {
    const pending = this.pending.get(orderId);
    if (pending === undefined || pending.order.accountId !== accountId) return undefined;
    const timer = this.timers.get(orderId);
    if (timer !== undefined) this.clock.cancel(timer);
    this.timers.delete(orderId);
    this.pending.delete(orderId);
    return pending.order;
  }

  /** Cancels every timer; the orders in flight are dropped. */
  dispose(): void {
    for (const timer of this.timers.values()) this.clock.cancel(timer);
    this.timers.clear();
    this.pending.clear();
  }

  private arm({ order, arrivesAt }: PendingOrder): void {
    const timer = this.clock.schedule(
      arrivesAt,
      () => {
        this.pending.delete(order.orderId);
        this.timers.delete(order.orderId);
        this.arrive(order);
      },
      `order ${order.orderId}`,
    );
    this.timers.set(order.orderId, timer);
  }
}
