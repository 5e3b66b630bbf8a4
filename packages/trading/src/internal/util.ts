/** Small helpers shared by the brokers and the workflow (not exported). */
import { type CloseTrigger, type Decimal, type DecimalLike, type Position, type Side, realizedPnl, toDecimal } from "@autonome/core";
import type { ClosedOrder, OpenOrder } from "@autonome/db";

/** Rounds a price or amount to the 8 decimals of the Orders columns (half-even). */
export function to8(value: DecimalLike): Decimal {
  return toDecimal(value).toDecimalPlaces(8, 6);
}

/** A position as core describes it, from the Order that holds it. */
/**
 * The one order positions are shown to a model in (the prompt and the account after a tool
 * call): by symbol, then opening time, then order id, so the text never depends on a map's
 * insertion order or on random order ids, and a cached backtest rerun sees the same prompt.
 */
export function positionOrder(a: Pick<OpenOrder, "symbol" | "openedAt" | "orderId">, b: Pick<OpenOrder, "symbol" | "openedAt" | "orderId">): number {
  return a.symbol.localeCompare(b.symbol) || a.openedAt - b.openedAt || a.orderId.localeCompare(b.orderId);
}

export function toPosition(order: OpenOrder): Position {
  return {
    orderId: order.orderId,
    modelId: order.modelId,
    symbol: order.symbol,
    side: order.side,
    quantity: order.quantity,
    entryPrice: order.entryPrice,
    leverage: order.leverage,
    exitPlan: order.exitPlan,
    openedAt: order.openedAt,
  };
}

/**
 * The order a model's closed trades are kept in, newest first: closing time, then opening
 * time, then symbol (a model holds one position a symbol, so these three tell its trades
 * apart), the order id last. Which trades are the newest N never depends on random order ids,
 * so a backtest of one seed keeps the same trades and writes the same prompts.
 */
export function newestTradeFirst(a: Pick<ClosedOrder, "closedAt" | "openedAt" | "symbol" | "orderId">, b: Pick<ClosedOrder, "closedAt" | "openedAt" | "symbol" | "orderId">): number {
  return b.closedAt - a.closedAt || b.openedAt - a.openedAt || (a.symbol < b.symbol ? 1 : a.symbol > b.symbol ? -1 : 0) || compareIds(b.orderId, a.orderId);
}

/** Orders ids (UUIDs) the way PostgreSQL orders them: as lowercase text. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A message from anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs tasks one at a time, in call order. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues a task; resolves with its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Realized PnL net of fees, plus any funding received. */
export function netPnl(side: Side, quantity: Decimal, entryPrice: Decimal, exitPrice: Decimal, fees: Decimal, funding: Decimal = toDecimal(0)): Decimal {
  return realizedPnl(side, quantity, entryPrice, exitPrice).minus(fees).plus(funding);
}

/** The words a model reads for a close trigger. */
export function describeTrigger(trigger: CloseTrigger | null): string {
  switch (trigger) {
    case "STOP":
      return "stop-loss";
    case "TARGET":
      return "take-profit";
    case "LIQUIDATION":
      return "liquidation";
    case "MANUAL":
      return "operator close";
    default:
      return "model close";
  }
}
