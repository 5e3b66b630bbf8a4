/**
 * Commands and the journal. Every public input becomes a JSON-safe SimulatorCommand before it
 * is applied (decimals as text, exit plans as JSON), and every applied command is journaled
 * with its sequence number and clock time. Invariants: building a command checks every
 * decimal and exit plan (a value that is not a decimal throws ValidationError naming the
 * field, before anything changes); a command built here shares nothing with the caller's
 * input; journal entries keep increasing sequence numbers and are handed out as copies, so
 * nothing outside can change what a replay will do.
 */
import { ValidationError } from "@autonome/core";
import { decimalInputText, exitPlanJsonOf } from "../decimal-input.js";
import type { JournalEntry, L2Book, PersistedOpenOrder, PlaceOrderCommandInput, PlaceOrderInput, SimulatorCommand } from "./types.js";

function malformed(path: string, message: string): ValidationError {
  return new ValidationError("malformed command", [{ path, message }]);
}

/** Whether a value is an array, without narrowing a typed one to any[] (input checks of typed parameters). */
export function isList(value: unknown): boolean {
  return Array.isArray(value);
}

/** Throws ValidationError unless `value` is a non-empty string. */
export function requireId(value: unknown, path: string): string {
  if (typeof value !== "string" || value.length === 0) throw malformed(path, "must be a non-empty string");
  return value;
}

/** The journal form of L2 levels: [price, size] text pairs; throws ValidationError for a malformed level. */
export function levelsText(book: L2Book): { bids: Array<[string, string]>; asks: Array<[string, string]> } {
  if (book === null || typeof book !== "object") throw malformed("book", "must be { bids, asks }");
  const side = (levels: unknown, path: "bids" | "asks"): Array<[string, string]> => {
    if (!Array.isArray(levels)) throw malformed(path, "must be an array of [price, size] pairs");
    return levels.map((level: unknown, i) => {
      if (!Array.isArray(level) || level.length !== 2) throw malformed(`${path}.${i}`, "must be a [price, size] pair");
      return [decimalInputText(level[0], `${path}.${i}.price`), decimalInputText(level[1], `${path}.${i}.size`)];
    });
  };
  return { bids: side(book.bids, "bids"), asks: side(book.asks, "asks") };
}

/** The journal form of an order. */
export function placeOrderCommand(input: PlaceOrderInput): Extract<SimulatorCommand, { type: "placeOrder" }> {
  if (input === null || typeof input !== "object") throw malformed("order", "must be an object");
  const order: PlaceOrderCommandInput = {
    accountId: requireId(input.accountId, "accountId"),
    symbol: requireId(input.symbol, "symbol"),
    side: input.side,
    type: input.type,
    size: decimalInputText(input.size, "size"),
  };
  if (input.side !== "buy" && input.side !== "sell") throw malformed("side", "must be buy or sell");
  if (input.type !== "market" && input.type !== "limit") throw malformed("type", "must be market or limit");
  if (input.price !== undefined) order.price = decimalInputText(input.price, "price");
  if (input.timeInForce !== undefined) {
    if (input.timeInForce !== "GTC" && input.timeInForce !== "IOC" && input.timeInForce !== "FOK") throw malformed("timeInForce", "must be GTC, IOC or FOK");
    order.timeInForce = input.timeInForce;
  }
  if (input.postOnly !== undefined) order.postOnly = input.postOnly === true;
  if (input.reduceOnly !== undefined) order.reduceOnly = input.reduceOnly === true;
  if (input.leverage !== undefined) order.leverage = decimalInputText(input.leverage, "leverage");
  if (input.orderId !== undefined) order.orderId = requireId(input.orderId, "orderId");
  if (input.exitPlan !== undefined) order.exitPlan = exitPlanJsonOf(input.exitPlan);
  return { type: "placeOrder", order };
}

/** The journal form of persisted positions to restore; `now` fills a missing `openedAt`. */
export function restoreCommand(orders: readonly PersistedOpenOrder[], now: number): Extract<SimulatorCommand, { type: "restore" }> {
  if (!isList(orders)) throw malformed("orders", "must be an array");
  return {
    type: "restore",
    orders: orders.map((o, i) => {
      const at = (field: string) => `orders.${i}.${field}`;
      if (o === null || typeof o !== "object") throw malformed(`orders.${i}`, "must be an object");
      if (o.side !== "LONG" && o.side !== "SHORT") throw malformed(at("side"), "must be LONG or SHORT");
      const openedAt = o.openedAt ?? now;
      if (!Number.isSafeInteger(openedAt)) throw malformed(at("openedAt"), "must be an integer of epoch ms");
      return {
        accountId: requireId(o.accountId, at("accountId")),
        orderId: requireId(o.orderId, at("orderId")),
        symbol: requireId(o.symbol, at("symbol")),
        side: o.side,
        quantity: decimalInputText(o.quantity, at("quantity")),
        entryPrice: decimalInputText(o.entryPrice, at("entryPrice")),
        ...(o.leverage !== undefined ? { leverage: decimalInputText(o.leverage, at("leverage")) } : {}),
        exitPlan: exitPlanJsonOf(o.exitPlan, at("exitPlan")),
        openedAt,
        ...(o.funding !== undefined ? { funding: decimalInputText(o.funding, at("funding")) } : {}),
      };
    }),
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
