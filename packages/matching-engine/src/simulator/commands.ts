/**
 * Commands and the journal. Every public input becomes a JSON-safe SimulatorCommand before it
 * is applied (decimals as text, exit plans as JSON), and every applied command is journaled
 * with its sequence number and clock time. Invariants: a command built here shares nothing
 * with the caller's input; journal entries keep increasing sequence numbers and are handed
 * out as copies, so nothing outside can change what a replay will do.
 */
import { exitPlanToJson } from "@autonome/core";
import { decimalText } from "./decimal-text.js";
import type { JournalEntry, L2Book, PersistedOpenOrder, PlaceOrderCommandInput, PlaceOrderInput, SimulatorCommand } from "./types.js";

/** The journal form of an L2 book. */
export function applyBookCommand(symbol: string, book: L2Book): Extract<SimulatorCommand, { type: "applyBook" }> {
  return {
    type: "applyBook",
    symbol,
    bids: book.bids.map(([p, s]) => [decimalText(p), decimalText(s)]),
    asks: book.asks.map(([p, s]) => [decimalText(p), decimalText(s)]),
  };
}

/** The journal form of an order. */
export function placeOrderCommand(input: PlaceOrderInput): Extract<SimulatorCommand, { type: "placeOrder" }> {
  const order: PlaceOrderCommandInput = {
    accountId: input.accountId,
    symbol: input.symbol,
    side: input.side,
    type: input.type,
    size: decimalText(input.size),
  };
  if (input.price !== undefined) order.price = decimalText(input.price);
  if (input.timeInForce !== undefined) order.timeInForce = input.timeInForce;
  if (input.postOnly !== undefined) order.postOnly = input.postOnly;
  if (input.reduceOnly !== undefined) order.reduceOnly = input.reduceOnly;
  if (input.leverage !== undefined) order.leverage = decimalText(input.leverage);
  if (input.orderId !== undefined) order.orderId = input.orderId;
  if (input.exitPlan !== undefined) order.exitPlan = exitPlanToJson(input.exitPlan);
  return { type: "placeOrder", order };
}

/** The journal form of persisted positions to restore. */
export function restoreCommand(orders: readonly PersistedOpenOrder[]): Extract<SimulatorCommand, { type: "restore" }> {
  return {
    type: "restore",
    orders: orders.map((o) => ({
      accountId: o.accountId,
      orderId: o.orderId,
      symbol: o.symbol,
      side: o.side,
      quantity: decimalText(o.quantity),
      entryPrice: decimalText(o.entryPrice),
      leverage: decimalText(o.leverage),
      exitPlan: exitPlanToJson(o.exitPlan),
      openedAt: o.openedAt,
      ...(o.funding !== undefined ? { funding: decimalText(o.funding) } : {}),
    })),
  };
}

/** The applied commands, oldest first. */
export class Journal {
  private readonly entries: JournalEntry[] = [];

  /** Records an applied command; the caller hands over `command` (nothing else may alias it). */
  append(entry: JournalEntry): void {
    this.entries.push(entry);
  }

  /** Copies of the entries, oldest first. */
  list(): JournalEntry[] {
    return this.entries.map((e) => structuredClone(e));
  }

  /** Drops entries up to and including `throughSeq`; returns how many were dropped. */
  truncate(throughSeq: number): number {
    let dropped = 0;
    while (dropped < this.entries.length && (this.entries[dropped] as JournalEntry).seq <= throughSeq) dropped++;
    this.entries.splice(0, dropped);
    return dropped;
  }
}
