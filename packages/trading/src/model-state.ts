/**
 * Per-model state a tick reads instead of the database: the equity curve's metrics (kept
 * incrementally), the points that can still be the circuit breaker's window peak, the
 * newest closed trades with their metrics, the accepted actions of the recent invocations,
 * the invocation count, the latest equity and the open positions. Each model's state is
 * loaded from the database once, the first time it is asked for, and kept up to date from
 * what the tick itself writes (snapshots, invocations, opened and closed Orders), so a
 * tick's cost does not grow with the model's history.
 *
 * Invariants:
 *  - Reads are O(1) in history: nothing here reads the database after a model's load.
 *  - A model's state is true while no other process writes its rows. A driver that may
 *    lose a model to another process (the worker, whose leases move) calls `forget` when it
 *    gets the model back; the next read loads it again. Updates reach loaded models only (a
 *    later load reads them from the database).
 *  - Memory per model is bounded: TRADE_LIMIT trades, RECENT_INVOCATIONS invocations, and
 *    the peak candidates of the longest risk window asked (usually a handful).
 */
import type { Decimal, DecisionType } from "@autonome/core";
import type { ClosedOrder, Db, ModelRecord, OpenOrder } from "@autonome/db";
import type { ActionCounts } from "@autonome/prompts";
import { type EquitySnapshot, EquityCurveTracker, type PerformanceMetrics, TradeMetricsTracker } from "@autonome/risk";
import { newestTradeFirst } from "./internal/util.js";

/** Closed trades kept per model (the newest), for the prompt's metrics and the cool-down checks. */
export const TRADE_LIMIT = 500;
/** Invocations whose accepted actions the prompt counts. */
export const RECENT_INVOCATIONS = 20;
/** Closed trades the risk checks see (cool-down after a stop). */
export const RECENT_CLOSES = 50;
/** The circuit breaker's default trailing window. */
const DEFAULT_RISK_WINDOW_MS = 86_400_000;

/** What the workflow knows of a model before prompting it. */
export interface ModelHistory {
  /** Metrics of the equity curve (with the current equity as its last point) and of the closed trades. */
  performance: PerformanceMetrics;
  /** Accepted tool calls of the recent invocations, per symbol ("ALL" without one). */
  actionCounts: ActionCounts;
  /** Invocations recorded so far. */
  invocationCount: number;
}

/** What the risk checks of a decision read: recent closes (cool-down) and the trailing equity (circuit breaker). */
export interface RiskHistory {
  /** Newest first. */
  recentCloses: ReadonlyArray<Pick<ClosedOrder, "symbol" | "side" | "closedAt" | "exitPlan">>;
  /**
   * Oldest first, within the window: at least every point that can be the window's peak
   * (a store that keeps only those, each higher than every later one, gives just them).
   */
  equity: EquitySnapshot[];
}

/** An accepted action of an invocation, as the prompt's action counts see it. */
export interface ActionRecord {
  type: DecisionType;
  symbol: string | null;
}

/** Counts accepted calls per symbol; `invocations` newest first (the order keys appear in the prompt). */
export function countActions(invocations: ReadonlyArray<ReadonlyArray<ActionRecord>>): ActionCounts {
  const counts: Record<string, Partial<Record<DecisionType, number>>> = {};
  for (const calls of invocations) {
    for (const call of calls) {
      const bucket = (counts[call.symbol ?? "ALL"] ??= {});
      bucket[call.type] = (bucket[call.type] ?? 0) + 1;
    }
  }
  return counts;
}

/** The accepted calls of one invocation, with the symbol each names (the action counts' input). */
export function acceptedActions(calls: ReadonlyArray<{ type: DecisionType | null; accepted: boolean; arguments: unknown }>): ActionRecord[] {
  return calls.flatMap((c) => {
    // A call to a tool that does not exist (type null) is never an action.
    if (!c.accepted || c.type === null) return [];
    const symbol = (c.arguments as { symbol?: unknown } | null)?.symbol;
    return [{ type: c.type, symbol: typeof symbol === "string" ? symbol : null }];
  });
}

/** What is kept of one model (see the module header). */
export class ModelState {
  private readonly curve: EquityCurveTracker;
  /** Candidates for the peak of the trailing risk window: oldest first, each higher than every later one. */
  private readonly peaks: EquitySnapshot[] = [];
  /** Newest first, at most TRADE_LIMIT. */
  private readonly trades: ClosedOrder[];
  /** The metrics of `trades`, kept as they change (ties in the streak order as `trades` lists them). */
  private readonly tradeMetrics = new TradeMetricsTracker<ClosedOrder>({ tieBreak: newestTradeFirst });
  /** Oldest first, at most RECENT_INVOCATIONS. */
  private readonly recentCalls: ActionRecord[][];
  /** countActions of recentCalls, until they change. */
  private actionCounts: ActionCounts | null = null;
  private riskWindowMs = DEFAULT_RISK_WINDOW_MS;
  /** Invocations recorded so far. */
  invocationCount: number;
  /** The last snapshot's equity, or null before the first. */
  latest: Decimal | null = null;
  /** Open positions now. */
  openPositions: number;

  constructor(
    readonly modelId: string,
    readonly name: string,
    loaded: {
      snapshotIntervalMs: number;
      /** Oldest first. */
      snapshots: readonly EquitySnapshot[];
      /** Newest first. */
      trades: readonly ClosedOrder[];
      /** Newest first. */
      recentInvocations: ReadonlyArray<ReadonlyArray<ActionRecord>>;
      invocationCount: number;
      openPositions: number;
    },
  ) {
    this.curve = new EquityCurveTracker(loaded.snapshotIntervalMs);
    for (const s of loaded.snapshots) this.pushEquity(s);
    this.trades = [...loaded.trades].sort(newestTradeFirst).slice(0, TRADE_LIMIT);
    for (const t of this.trades) this.tradeMetrics.add(t);
    this.recentCalls = [...loaded.recentInvocations].slice(0, RECENT_INVOCATIONS).reverse().map((calls) => [...calls]);
    this.invocationCount = loaded.invocationCount;
    this.openPositions = loaded.openPositions;
  }

  /**
   * The model's history as of `now`, with `equity` as the curve's current point. The trade
   * metrics and the action counts are kept until a trade closes or an invocation finishes:
   * calls in between share those objects (data to read, never to change).
   */
  history(now: number, equity: Decimal): ModelHistory {
    this.actionCounts ??= countActions([...this.recentCalls].reverse());
    return {
      performance: { ...this.curve.metrics({ ts: now, equity }), ...this.tradeMetrics.metrics() },
      actionCounts: this.actionCounts,
      invocationCount: this.invocationCount,
    };
  }

  /** Recent closes and the peak candidates of the trailing window. */
  riskHistory(now: number, windowMs: number): RiskHistory {
    // A longer window than any asked before keeps more from now on (what is already pruned is gone).
    this.riskWindowMs = Math.max(this.riskWindowMs, windowMs);
    return { recentCloses: this.trades.slice(0, RECENT_CLOSES), equity: this.peaks.filter((p) => p.ts >= now - windowMs && p.ts <= now) };
  }

  /** A snapshot was recorded (a point not after the last one is ignored: it is in the curve already). */
  snapshotRecorded(point: EquitySnapshot): void {
    const last = this.curve.last;
    if (last !== undefined && point.ts <= last.ts) return;
    this.pushEquity(point);
  }

  /** An invocation was started. */
  invocationStarted(): void {
    this.invocationCount++;
  }

  /** An invocation was finished with these accepted actions. */
  invocationFinished(actions: ReadonlyArray<ActionRecord>): void {
    this.recentCalls.push([...actions]);
    if (this.recentCalls.length > RECENT_INVOCATIONS) this.recentCalls.shift();
    this.actionCounts = null;
  }

  /** A position was opened (its Order written). */
  positionOpened(): void {
    this.openPositions++;
  }

  /** A position was closed (its Order written), whatever closed it; a close seen before is ignored. */
  positionClosed(order: ClosedOrder): void {
    if (this.trades.some((t) => t.orderId === order.orderId)) return;
    this.openPositions = Math.max(0, this.openPositions - 1);
    // Newest first, in the one order the kept trades follow (never by random ids alone).
    let at = 0;
    while (at < this.trades.length && newestTradeFirst(this.trades[at]!, order) < 0) at++;
    this.trades.splice(at, 0, order);
    this.tradeMetrics.add(order);
    if (this.trades.length > TRADE_LIMIT) {
      for (const dropped of this.trades.splice(TRADE_LIMIT)) this.tradeMetrics.remove(dropped);
    }
  }

  private pushEquity(point: EquitySnapshot): void {
    this.curve.push(point);
    this.latest = point.equity;
    // A point at or below a later one can never be a window's peak again.
    while (this.peaks.length > 0 && this.peaks[this.peaks.length - 1]!.equity.lte(point.equity)) this.peaks.pop();
    this.peaks.push(point);
    const horizon = point.ts - this.riskWindowMs;
    let drop = 0;
    while (drop < this.peaks.length - 1 && this.peaks[drop]!.ts < horizon) drop++;
    if (drop > 0) this.peaks.splice(0, drop);
  }
}

/** Options of ModelStates. */
export interface ModelStatesOptions {
  db: Db;
  /** The snapshots' interval (the tick), for annualising the curve's ratios. */
  snapshotIntervalMs: number;
  /**
   * How far back a model's equity curve is loaded, ms before the first read's `now`; default
   * everything (at most the newest 10,000 snapshots either way).
   */
  equityWindowMs?: number;
}

/** Every model's state, loaded on first use (see the module header). */
export class ModelStates {
  private readonly entries = new Map<string, { generation: number; state: Promise<ModelState> }>();
  private readonly loaded = new Map<string, ModelState>();
  private generation = 0;

  constructor(private readonly options: ModelStatesOptions) {}

  /** The model's state, loaded from the database the first time (and after `forget`). */
  of(model: Pick<ModelRecord, "id" | "name">, now: number): Promise<ModelState> {
    const entry = this.entries.get(model.id);
    if (entry) return entry.state;
    const generation = ++this.generation;
    const state = this.load(model, now).then((s) => {
      // Forgotten while it loaded: what it read may be older than what forget wanted dropped.
      if (this.entries.get(model.id)?.generation === generation) this.loaded.set(model.id, s);
      return s;
    });
    this.entries.set(model.id, { generation, state });
    state.catch(() => {
      if (this.entries.get(model.id)?.generation === generation) this.entries.delete(model.id);
    });
    return state;
  }

  /** The model's state if it is loaded. */
  peek(modelId: string): ModelState | undefined {
    return this.loaded.get(modelId);
  }

  /** Every loaded state. */
  all(): ModelState[] {
    return [...this.loaded.values()];
  }

  /** Drops what is kept of these models (another process may have written their rows); the next read loads them again. */
  forget(modelIds: Iterable<string>): void {
    for (const id of modelIds) {
      this.entries.delete(id);
      this.loaded.delete(id);
    }
  }

  /** A snapshot was recorded. */
  snapshotRecorded(modelId: string, point: EquitySnapshot): void {
    this.loaded.get(modelId)?.snapshotRecorded(point);
  }

  /** A position was opened. */
  positionOpened(order: OpenOrder): void {
    this.loaded.get(order.modelId)?.positionOpened();
  }

  /** A position was closed. */
  positionClosed(order: ClosedOrder): void {
    this.loaded.get(order.modelId)?.positionClosed(order);
  }

  private async load(model: Pick<ModelRecord, "id" | "name">, now: number): Promise<ModelState> {
    const { db, equityWindowMs } = this.options;
    const [closed, snapshots, recent, fresh, open] = await Promise.all([
      db.orders.closedTradesOfModel(model.id, { limit: TRADE_LIMIT }),
      db.portfolio.history(model.id, equityWindowMs === undefined ? {} : { from: now - equityWindowMs }),
      db.invocations.list({ modelId: model.id, limit: RECENT_INVOCATIONS }),
      db.models.require(model.id),
      db.orders.openOrdersOfModel(model.id),
    ]);
    return new ModelState(model.id, fresh.name, {
      snapshotIntervalMs: this.options.snapshotIntervalMs,
      snapshots: snapshots.map((s) => ({ ts: s.at, equity: s.total })),
      trades: closed.items,
      recentInvocations: recent.items.map((inv) => acceptedActions(inv.toolCalls)),
      invocationCount: fresh.invocationCount,
      openPositions: open.length,
    });
  }
}
