/**
 * The one interface every broker implements: the simulated exchange (SimBroker) and
 * Lighter (LighterBroker). Invariants every implementation keeps (the shared contract
 * suite `broker.case.ts` checks them): a fill is written to Orders before a method
 * returns success; a position closed by the venue (stop, target, liquidation) is
 * written with its closeTrigger and the real exit fill; after `sync()` the OPEN
 * Orders of a model and the venue's positions agree, and every repair is reported.
 */
import { type CloseTrigger, Decimal, type ExitPlan, type Market, type Side, roundToStep } from "@autonome/core";
import type { ClosedOrder, Db, DbTransaction, ModelRecord, OpenOrder, OrderRecord, OrdersRepository, TradingMode } from "@autonome/db";
import { errorMessage } from "../internal/util.js";

/** Opening a position at market. */
export interface OpenPositionRequest {
  symbol: string;
  side: Side;
  /** Base units; rounded down to the market's lot size. */
  quantity: Decimal;
  leverage: Decimal;
  exitPlan: ExitPlan;
}

/** An open position as the broker sees it, with live numbers. */
export interface BrokerPosition {
  /** The Orders row that holds it. */
  order: OpenOrder;
  markPrice: Decimal;
  unrealizedPnl: Decimal;
  /** Venue's (or the simulator's) liquidation price, when known. */
  liquidationPrice: Decimal | null;
}

/** A model's account at the broker. */
export interface BrokerAccount {
  modelId: string;
  mode: TradingMode;
  /** Collateral plus unrealized PnL, USD. */
  equity: Decimal;
  /** Free collateral, USD. */
  available: Decimal;
  unrealizedPnl: Decimal;
  positions: BrokerPosition[];
}

/**
 * What became of a broker method's order, as a code callers branch on (never on the text):
 *  - `EXECUTED`: done, and Orders record it (the fill written, the exit plan replaced);
 *  - `REFUSED`: refused before anything happened (unknown market, below one lot, no such
 *    position, rejected by the venue or the simulator, nothing filled): no fill, Orders unchanged;
 *  - `FILLED_NOT_RECORDED`: the venue filled, in whole or in part, and Orders do not record it
 *    (the write failed): the dangerous case. (A close that filled in part is EXECUTED: the part
 *    is written as a CLOSED Order and the OPEN Order keeps the rest.) The broker's next
 *    `sync` repairs it (Lighter reconciles the position; the simulator writes the queued close,
 *    or rebuilds the account from Orders); until then Orders and the venue disagree;
 *  - `FAILED`: an error; nothing was done, or whether the venue acted is unknown (a send or a
 *    fill that timed out). The next `sync` brings Orders and the venue in line.
 */
export type BrokerResultCode = "EXECUTED" | "REFUSED" | "FILLED_NOT_RECORDED" | "FAILED";
/** Every result code, for validation and exhaustive tests. */
export const BROKER_RESULT_CODES: readonly BrokerResultCode[] = ["EXECUTED", "REFUSED", "FILLED_NOT_RECORDED", "FAILED"];

/** A broker method that did not execute: its code, and the reason the model and the operator are told. */
export interface BrokerFailure {
  ok: false;
  code: Exclude<BrokerResultCode, "EXECUTED">;
  /** For people and the model, not for branching: branch on `code`. */
  reason: string;
  /**
   * FILLED_NOT_RECORDED only: how the position Orders do not record is protected, in words
   * ("stop-loss at 95000 armed in the simulator", "stop-loss at 95000 placed on Lighter",
   * "no stop: ..."), when the broker knows.
   */
  protection?: string;
}

/** The result of an order sent by a broker method: `EXECUTED` with the value, or a failure with its code and reason. */
export type BrokerResult<T> = { ok: true; code: "EXECUTED"; value: T; message: string } | BrokerFailure;

/** An executed result. */
export function executed<T>(value: T, message: string): BrokerResult<T> {
  return { ok: true, code: "EXECUTED", value, message };
}

/** Refused before anything happened: no fill, Orders unchanged. */
export function refused(reason: string): BrokerFailure {
  return { ok: false, code: "REFUSED", reason };
}

/** The venue filled and Orders do not record it (the next sync repairs it); `protection` says what guards the position meanwhile. */
export function filledNotRecorded(reason: string, protection?: string): BrokerFailure {
  return { ok: false, code: "FILLED_NOT_RECORDED", reason, ...(protection === undefined ? {} : { protection }) };
}

/** An error: nothing done, or the venue's outcome unknown. */
export function failed(reason: string): BrokerFailure {
  return { ok: false, code: "FAILED", reason };
}

/** Runs a broker method; an error it did not expect becomes a FAILED result, never a throw. */
export async function failedOnThrow<T>(what: string, method: () => Promise<BrokerResult<T>>): Promise<BrokerResult<T>> {
  try {
    return await method();
  } catch (error) {
    return failed(`${what} failed: ${errorMessage(error)}`);
  }
}

/**
 * The record of what caused an Order write (the model's tool call), written by the broker in
 * the transaction that writes the Order, after it: both are stored or neither. `message` is
 * what the broker reports of the write. A throw rolls the Order write back (the broker then
 * treats it as a failed write: the simulator unwinds the fill, a live broker reports
 * FILLED_NOT_RECORDED for reconciliation to repair).
 */
export type OrderAudit = (tx: DbTransaction, written: { order: OrderRecord; message: string }) => Promise<void>;

/** Test seams of a broker, unset in production (the crash tests SIGKILL the process there). */
export interface BrokerWriteHooks {
  /** Right after an Order row is written by a broker call, before the call's record and the commit. */
  afterOrderWrite?(): void | Promise<void>;
}

/**
 * Writes an Order through `write`, then, with `audit`, the record of its cause, in one
 * transaction; without one, as the write alone does. `hooks.afterOrderWrite` runs between.
 */
export async function writeOrder<T extends OrderRecord>(
  db: Db,
  write: (orders: OrdersRepository) => Promise<T>,
  audit: OrderAudit | undefined,
  message: (order: T) => string,
  hooks: BrokerWriteHooks = {},
): Promise<T> {
  if (audit === undefined) {
    const order = await write(db.orders);
    await hooks.afterOrderWrite?.();
    return order;
  }
  return db.transaction(async (tx) => {
    const order = await write(tx.orders);
    await hooks.afterOrderWrite?.();
    await audit(tx, { order, message: message(order) });
    return order;
  });
}

/** A close that happened at the venue without a tool call (stop, target, liquidation), already persisted. */
export interface VenueClose {
  order: ClosedOrder;
  closeTrigger: CloseTrigger;
  /** The trigger price of a STOP or TARGET (the exit price is the real fill). */
  triggerPrice: Decimal | null;
  /** Mark price that liquidated the position. */
  markPrice: Decimal | null;
}

/** What a reconciliation or sync repaired, one entry per fact. */
export type ReconcileAction =
  /** An SL/TP fired, or the venue liquidated the position (closeTrigger LIQUIDATION); the Order was closed with the venue's own exit fill and fees. */
  | { kind: "closedByTrigger"; modelId: string; orderId: string; symbol: string; closeTrigger: CloseTrigger; exitPrice: string; fees: string }
  /** The venue has no such position any more (closed elsewhere); the Order was closed at the best known price. */
  | { kind: "closedMissingPosition"; modelId: string; orderId: string; symbol: string; exitPrice: string; detail: string }
  /** The venue holds a position the database did not know (a crash between fill and write); an Order was opened for it. */
  | { kind: "adoptedUnknownPosition"; modelId: string; orderId: string; symbol: string; side: Side; quantity: string; entryPrice: string }
  /**
   * The venue holds less than the Order (a part closed without its write): the part was written as a CLOSED Order
   * (`closedOrderId`) at the venue's trades that reduced the position, with their fees, and the OPEN Order shrunk.
   */
  | { kind: "closedPartOfPosition"; modelId: string; orderId: string; closedOrderId: string; symbol: string; quantity: string; exitPrice: string; fees: string; detail: string }
  /** The venue holds more than the Order; recorded, not changed. */
  | { kind: "sizeMismatch"; modelId: string; orderId: string; symbol: string; databaseQuantity: string; venueQuantity: string }
  /** A leftover trigger order was cancelled (the other leg of a fired SL/TP, or one of no open Order). */
  | { kind: "cancelledOrphanTrigger"; modelId: string; symbol: string; orderIndex: string }
  /** The exit plan's time exit passed or its invalidation price was crossed; the position was closed at market. */
  | { kind: "closedByExitPlan"; modelId: string; orderId: string; symbol: string; reason: "TIME_EXIT" | "INVALIDATED"; exitPrice: string }
  /** Orders and the simulator disagreed (another process traded the model): the model's simulator account was rebuilt from Orders. */
  | { kind: "resyncedSimulatorAccount"; modelId: string; detail: string }
  /** A missing SL/TP trigger order was placed again from the exit plan. */
  | { kind: "replacedTrigger"; modelId: string; orderId: string; symbol: string; leg: "STOP" | "TARGET"; orderIndex: string };

/** What reconciliation did: every repair, and the errors that stopped parts of it. */
export interface ReconcileReport {
  actions: ReconcileAction[];
  /** Venue closes persisted (also reported as actions for live brokers). */
  closes: VenueClose[];
  errors: Array<{ modelId: string | null; message: string }>;
}

/**
 * A stop or target price as the venue arms it: on the market's tick, nearest (Lighter takes
 * trigger prices in whole ticks), and never below one tick. Both brokers arm their triggers
 * at this price, so a simulated stop fires, and is reported, where the live one would.
 */
export function triggerOnTick(price: Decimal, market: Market): Decimal {
  return Decimal.max(roundToStep(price, market.tickSize, "nearest"), market.tickSize);
}

/** An exit plan with its stop and target as the venue arms them ({@link triggerOnTick}); the plan itself when both are on the tick already. */
export function armedExitPlan(plan: ExitPlan, market: Market): ExitPlan {
  const stop = plan.stop === null ? null : triggerOnTick(plan.stop, market);
  const target = plan.target === null ? null : triggerOnTick(plan.target, market);
  if ((stop === null || stop.eq(plan.stop!)) && (target === null || target.eq(plan.target!))) return plan;
  return { ...plan, stop, target };
}

/** An empty report. */
export function emptyReconcileReport(): ReconcileReport {
  return { actions: [], closes: [], errors: [] };
}

/** Merges reports. */
export function mergeReports(...reports: ReconcileReport[]): ReconcileReport {
  return {
    actions: reports.flatMap((r) => r.actions),
    closes: reports.flatMap((r) => r.closes),
    errors: reports.flatMap((r) => r.errors),
  };
}

/** Executes and tracks one mode's orders for the models routed to it. */
export interface Broker {
  readonly mode: TradingMode;
  /** Markets the broker trades, by symbol. */
  markets(): ReadonlyMap<string, Market>;
  /** Mark prices now. */
  marks(): Promise<ReadonlyMap<string, Decimal>>;
  /**
   * Prepares the models' accounts and brings them in line with the database: the
   * simulator restores OPEN orders (SL/TP included); Lighter reconciles.
   */
  start(models: readonly ModelRecord[]): Promise<ReconcileReport>;
  /** Once per tick: feed market data / poll the venue, persist venue closes, repair drift. */
  sync(models: readonly ModelRecord[]): Promise<ReconcileReport>;
  /**
   * Another process may have traded these models since this broker last synced them (their
   * lease went elsewhere and came back): the next sync checks them against Orders in full
   * (a broker that keeps accounts in memory rebuilds one that drifted).
   */
  invalidate(modelIds: readonly string[]): void;
  /**
   * Opens a position at market; the Order is written before this resolves ok, and `audit`
   * (the tool call that asked) in the same transaction.
   */
  openPosition(model: ModelRecord, request: OpenPositionRequest, audit?: OrderAudit): Promise<BrokerResult<OpenOrder>>;
  /**
   * Closes the model's position on a symbol at market; `closeTrigger` null when the model asked, MANUAL
   * for an operator. `audit` is written with the close.
   */
  closePosition(model: ModelRecord, symbol: string, closeTrigger: CloseTrigger | null, audit?: OrderAudit): Promise<BrokerResult<ClosedOrder>>;
  /** Replaces the exit plan (and the venue's SL/TP orders); `audit` is written with the new plan. */
  updateExitPlan(model: ModelRecord, symbol: string, exitPlan: ExitPlan, audit?: OrderAudit): Promise<BrokerResult<OpenOrder>>;
  /** The model's account with live numbers. */
  account(model: ModelRecord): Promise<BrokerAccount>;
  /** The model's OPEN Orders as this broker trades them (the simulator's memory, which sync keeps equal to Orders; Lighter's from the database). */
  openOrders(model: ModelRecord): Promise<OpenOrder[]>;
  /** Releases timers and sockets. */
  close(): Promise<void>;
}

/** Resolves the broker of a model: its own mode, else the process default. */
export interface BrokerRegistry {
  /** IS_SIMULATION_ENABLED: the mode of models whose mode is null. */
  readonly defaultMode: TradingMode;
  /** The mode a model trades in. */
  modeOf(model: ModelRecord): TradingMode;
  /** The model's broker; ConfigError when live is asked for but not configured. */
  brokerFor(model: ModelRecord): Broker;
  /** Every broker built so far. */
  all(): Broker[];
}
