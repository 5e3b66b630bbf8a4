/**
 * What the trade workflow reads and writes besides Orders: a model's history (equity
 * curve, closed trades, recent decisions, invocation count), the competition's
 * standings, and its records (invocations with their tool calls, portfolio snapshots,
 * failure counters).
 *
 * Two stores, one interface. DbTradingStore reads and writes the database on every
 * call: right for the live worker, where other workers, the CLI and the api share the
 * tables. MemoryTradingStore is for a process that owns its models' rows alone (a
 * backtest): it reads each model's history from the database once, keeps it in memory
 * (an incremental equity curve, so a long run costs O(1) per tick, not O(history)),
 * and writes its records in batches on `flush()`; Orders are never buffered (brokers
 * write every fill before a tool call returns, in both stores).
 */
import type { Decimal, DecisionType } from "@autonome/core";
import type { ClosedOrder, CompletedInvocationInput, Db, ModelRecord, OpenOrder, RecordSnapshotInput, RecordToolCallInput } from "@autonome/db";
import type { ActionCounts, CompetitorStanding } from "@autonome/prompts";
import {
  type EquitySnapshot,
  EquityCurveTracker,
  type PerformanceMetrics,
  type TradeMetrics,
  computePerformanceMetrics,
  computeTradeMetrics,
} from "@autonome/risk";
import { compareIds } from "./internal/util.js";

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
  /** Oldest first, within the window. */
  equity: EquitySnapshot[];
}

/** A snapshot to record, with what the standings show. */
export interface SnapshotInput extends RecordSnapshotInput {
  at: number;
  total: Decimal;
  /** Open positions at the snapshot. */
  openPositions: number;
}

/** The persistence port of the workflow. */
export interface TradingStore {
  /** The model's history as of `now`, with `equity` as the curve's current point. */
  modelHistory(model: ModelRecord, now: number, equity: Decimal): Promise<ModelHistory>;
  /** Recent closes and the equity of the trailing window. */
  riskHistory(modelId: string, now: number, windowMs: number): Promise<RiskHistory>;
  /** Every model's standing (latest equity, open positions), or null when unknown. */
  standings(self: ModelRecord, initialCapital: Decimal): Promise<CompetitorStanding[] | null>;
  /** Starts an invocation; returns its id. */
  startInvocation(modelId: string, prompt: string, startedAt: number): Promise<string>;
  recordToolCall(input: RecordToolCallInput): Promise<void>;
  finishInvocation(invocationId: string, input: FinishInput): Promise<void>;
  recordFailedWorkflow(modelId: string): Promise<void>;
  /** The errors of the model's last `count` finished invocations, newest first (null for a success). */
  recentErrors(modelId: string, count: number): Promise<Array<string | null>>;
  /** Pauses the model with the reason (written at once, also by the memory store). */
  pauseModel(modelId: string, reason: string): Promise<void>;
  recordSnapshot(input: SnapshotInput): Promise<void>;
  /** A position was opened (its Order is written): the executor calls it. */
  positionOpened(order: OpenOrder): void;
  /** A position was closed (its Order is written), whatever closed it: tool, venue or operator. */
  positionClosed(order: ClosedOrder): void;
  /** Writes what is buffered (nothing for the database store). */
  flush(): Promise<void>;
}

/** What finishing an invocation records. */
export type FinishInput = Omit<CompletedInvocationInput, "id" | "modelId" | "prompt" | "startedAt" | "toolCalls">;

const TRADE_LIMIT = 500;
const RECENT_INVOCATIONS = 20;
const EQUITY_WINDOW_MS = 30 * 86_400_000;
const STANDINGS_TTL_MS = 60_000;

/** Counts accepted calls per symbol; `invocations` newest first (the order keys appear in the prompt). */
function countActions(invocations: ReadonlyArray<ReadonlyArray<{ type: DecisionType; symbol: string | null }>>): ActionCounts {
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
function acceptedActions(calls: ReadonlyArray<{ type: DecisionType | null; accepted: boolean; arguments: unknown }>): Array<{ type: DecisionType; symbol: string | null }> {
  return calls.flatMap((c) => {
    if (!c.accepted || c.type === null) return [];
    const symbol = (c.arguments as { symbol?: unknown } | null)?.symbol;
    return [{ type: c.type, symbol: typeof symbol === "string" ? symbol : null }];
  });
}

type StandingRow = { modelId: string; modelName: string; value: Decimal; openPositions: number };

function rankStandings(rows: readonly StandingRow[], self: ModelRecord, initial: Decimal): CompetitorStanding[] | null {
  const standings = [...rows]
    .sort((a, b) => b.value.comparedTo(a.value) || a.modelName.localeCompare(b.modelName) || a.modelId.localeCompare(b.modelId))
    .map((r, i) => ({
      modelName: r.modelName,
      rank: i + 1,
      accountValue: r.value,
      totalReturn: initial.gt(0) ? r.value.div(initial).minus(1).toNumber() : 0,
      openPositions: r.openPositions,
      isSelf: r.modelId === self.id,
    }));
  return standings.length > 1 ? standings : null;
}

/** Standings rows read at most once per STANDINGS_TTL_MS of the clock: every model of a tick sees the same competition. */
class StandingsCache {
  private entry: { at: number; rows: Promise<StandingRow[] | null> } | undefined;

  rows(now: number, read: () => Promise<StandingRow[] | null>): Promise<StandingRow[] | null> {
    const entry = this.entry;
    if (entry && now >= entry.at && now - entry.at <= STANDINGS_TTL_MS) return entry.rows;
    const rows = read().catch(() => null);
    this.entry = { at: now, rows };
    return rows;
  }
}

/** Reads and writes the database on every call (the live worker). */
export class DbTradingStore implements TradingStore {
  private readonly standingsCache = new StandingsCache();

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** @inheritdoc */
  async modelHistory(model: ModelRecord, now: number, equity: Decimal): Promise<ModelHistory> {
    const [closed, snapshots, recent, fresh] = await Promise.all([
      this.db.orders.closedTradesOfModel(model.id, { limit: TRADE_LIMIT }),
      this.db.portfolio.history(model.id, { from: now - EQUITY_WINDOW_MS }),
      this.db.invocations.list({ modelId: model.id, limit: RECENT_INVOCATIONS }),
      this.db.models.require(model.id),
    ]);
    return {
      performance: computePerformanceMetrics({ snapshots: [...snapshots.map((s) => ({ ts: s.at, equity: s.total })), { ts: now, equity }], trades: closed.items }),
      actionCounts: countActions(recent.items.map((inv) => acceptedActions(inv.toolCalls))),
      invocationCount: fresh.invocationCount,
    };
  }

  /** @inheritdoc */
  async riskHistory(modelId: string, now: number, windowMs: number): Promise<RiskHistory> {
    const [closes, snapshots] = await Promise.all([
      this.db.orders.closedTradesOfModel(modelId, { limit: 50 }),
      this.db.portfolio.history(modelId, { from: now - windowMs }),
    ]);
    return { recentCloses: closes.items, equity: snapshots.map((s) => ({ ts: s.at, equity: s.total })) };
  }

  /** @inheritdoc Read once a minute for every model. */
  async standings(self: ModelRecord, initialCapital: Decimal): Promise<CompetitorStanding[] | null> {
    const rows = await this.standingsCache.rows(this.now(), async () =>
      (await this.db.leaderboard.inputs({}, { enabledOnly: true })).flatMap((r) =>
        r.latestSnapshot ? [{ modelId: r.model.id, modelName: r.model.name, value: r.latestSnapshot.total, openPositions: r.openPositions }] : [],
      ),
    );
    return rows ? rankStandings(rows, self, initialCapital) : null;
  }

  /** @inheritdoc */
  async startInvocation(modelId: string, prompt: string, startedAt: number): Promise<string> {
    return (await this.db.invocations.start({ modelId, prompt, startedAt })).id;
  }

  /** @inheritdoc */
  async recordToolCall(input: RecordToolCallInput): Promise<void> {
    await this.db.invocations.recordToolCall(input);
  }

  /** @inheritdoc */
  async finishInvocation(invocationId: string, input: FinishInput): Promise<void> {
    await this.db.invocations.finish(invocationId, input);
  }

  /** @inheritdoc */
  async recordFailedWorkflow(modelId: string): Promise<void> {
    await this.db.models.recordFailedWorkflow(modelId);
  }

  /** @inheritdoc */
  async recentErrors(modelId: string, count: number): Promise<Array<string | null>> {
    const page = await this.db.invocations.list({ modelId, limit: count });
    return page.items.filter((i) => i.finishedAt !== null).map((i) => i.error);
  }

  /** @inheritdoc */
  async pauseModel(modelId: string, reason: string): Promise<void> {
    await this.db.models.setEnabled(modelId, false, reason);
  }

  /** @inheritdoc */
  async recordSnapshot(input: SnapshotInput): Promise<void> {
    const { openPositions: _, ...snapshot } = input;
    await this.db.portfolio.record(snapshot);
  }

  /** @inheritdoc */
  positionOpened(): void {}

  /** @inheritdoc */
  positionClosed(): void {}

  /** @inheritdoc */
  async flush(): Promise<void> {}
}

/** Options of a MemoryTradingStore. */
export interface MemoryTradingStoreOptions {
  db: Db;
  /** The snapshots' interval (the tick), for annualising the curve's ratios. */
  snapshotIntervalMs: number;
  /** The clock's now (standings are read once a minute of it). */
  now: () => number;
}

interface ModelMemory {
  curve: EquityCurveTracker;
  /** Trailing equity for the circuit breaker (pruned to the longest window asked). */
  recentEquity: EquitySnapshot[];
  /** Newest first, at most TRADE_LIMIT. */
  trades: ClosedOrder[];
  tradeMetrics: TradeMetrics;
  recentCalls: Array<Array<{ type: DecisionType; symbol: string | null }>>;
  /** Errors of the recent finished invocations, newest first. */
  recentErrors: Array<string | null>;
  invocationCount: number;
  name: string;
  /** The last snapshot's equity. */
  latest: Decimal | null;
  /** Open positions now, kept by positionOpened and positionClosed. */
  openPositions: number;
}

/** An invocation started and not yet finished: the row it will write, tool calls gathering. */
type OpenInvocation = CompletedInvocationInput & { toolCalls: Array<Omit<RecordToolCallInput, "invocationId">> };

/**
 * In-memory reads and batched writes for a process that owns its models' rows (a
 * backtest). Each model's history is read from the database once, the first time it
 * is asked for; afterwards the store keeps it from what passes through it (records,
 * snapshots, and the Orders the runtime reports opened and closed).
 */
export class MemoryTradingStore implements TradingStore {
  private readonly db: Db;
  private readonly intervalMs: number;
  private readonly memory = new Map<string, Promise<ModelMemory>>();
  /** The memories loaded so far (what the position hooks update). */
  private readonly loaded = new Map<string, ModelMemory>();
  /** Models whose trade metrics wait for a recomputation (a close came in). */
  private readonly staleTrades = new Set<string>();
  private readonly open = new Map<string, OpenInvocation>();
  private completed: CompletedInvocationInput[] = [];
  private snapshots: RecordSnapshotInput[] = [];
  private failedWorkflows = new Map<string, number>();
  private riskWindowMs = 86_400_000;
  private readonly now: () => number;
  private readonly standingsCache = new StandingsCache();

  constructor(options: MemoryTradingStoreOptions) {
    this.db = options.db;
    this.intervalMs = options.snapshotIntervalMs;
    this.now = options.now;
  }

  private async load(model: Pick<ModelRecord, "id" | "name">): Promise<ModelMemory> {
    const [closed, snapshots, recent, fresh, open] = await Promise.all([
      this.db.orders.closedTradesOfModel(model.id, { limit: TRADE_LIMIT }),
      this.db.portfolio.history(model.id),
      this.db.invocations.list({ modelId: model.id, limit: RECENT_INVOCATIONS }),
      this.db.models.require(model.id),
      this.db.orders.openOrdersOfModel(model.id),
    ]);
    const curve = new EquityCurveTracker(this.intervalMs);
    for (const s of snapshots) curve.push({ ts: s.at, equity: s.total });
    const last = snapshots.at(-1);
    return {
      curve,
      recentEquity: snapshots.map((s) => ({ ts: s.at, equity: s.total })),
      trades: closed.items,
      tradeMetrics: computeTradeMetrics(closed.items),
      recentErrors: recent.items.filter((inv) => inv.finishedAt !== null).map((inv) => inv.error),
      recentCalls: recent.items.reverse().map((inv) => acceptedActions(inv.toolCalls)),
      invocationCount: fresh.invocationCount,
      name: fresh.name,
      latest: last ? last.total : null,
      openPositions: open.length,
    };
  }

  private async memoryOf(model: Pick<ModelRecord, "id" | "name">): Promise<ModelMemory> {
    let entry = this.memory.get(model.id);
    if (!entry) {
      entry = this.load(model).then((m) => {
        this.loaded.set(model.id, m);
        return m;
      });
      this.memory.set(model.id, entry);
      entry.catch(() => this.memory.delete(model.id));
    }
    const memory = await entry;
    if (this.staleTrades.delete(model.id)) memory.tradeMetrics = computeTradeMetrics(memory.trades);
    return memory;
  }

  /** @inheritdoc */
  async modelHistory(model: ModelRecord, now: number, equity: Decimal): Promise<ModelHistory> {
    const m = await this.memoryOf(model);
    return {
      performance: { ...m.curve.metrics({ ts: now, equity }), ...m.tradeMetrics },
      actionCounts: countActions([...m.recentCalls].reverse()),
      invocationCount: m.invocationCount,
    };
  }

  /** @inheritdoc */
  async riskHistory(modelId: string, now: number, windowMs: number): Promise<RiskHistory> {
    const m = await this.memoryOf({ id: modelId, name: modelId });
    this.riskWindowMs = Math.max(this.riskWindowMs, windowMs);
    return { recentCloses: m.trades.slice(0, 50), equity: m.recentEquity.filter((s) => s.ts >= now - windowMs) };
  }

  /** @inheritdoc Read once a minute for every model, like the database store. */
  async standings(self: ModelRecord, initialCapital: Decimal): Promise<CompetitorStanding[] | null> {
    const rows = await this.standingsCache.rows(this.now(), async () => {
      const out: StandingRow[] = [];
      for (const [modelId, entry] of this.memory) {
        const m = await entry;
        if (m.latest) out.push({ modelId, modelName: m.name, value: m.latest, openPositions: m.openPositions });
      }
      return out;
    });
    return rows ? rankStandings(rows, self, initialCapital) : null;
  }

  /** @inheritdoc */
  async startInvocation(modelId: string, prompt: string, startedAt: number): Promise<string> {
    const m = await this.memoryOf({ id: modelId, name: modelId });
    const id = globalThis.crypto.randomUUID();
    this.open.set(id, { id, modelId, prompt, startedAt, toolCalls: [] });
    m.invocationCount++;
    return id;
  }

  /** @inheritdoc */
  async recordToolCall(input: RecordToolCallInput): Promise<void> {
    const open = this.open.get(input.invocationId);
    if (!open) throw new Error(`invocation ${input.invocationId} is not open`);
    const { invocationId: _, ...call } = input;
    open.toolCalls.push(call);
  }

  /** @inheritdoc */
  async finishInvocation(invocationId: string, input: FinishInput): Promise<void> {
    const open = this.open.get(invocationId);
    if (!open) throw new Error(`invocation ${invocationId} is not open`);
    this.open.delete(invocationId);
    const done = { ...open, ...input };
    this.completed.push(done);
    const m = await this.memoryOf({ id: done.modelId, name: done.modelId });
    m.recentCalls.push(acceptedActions(done.toolCalls));
    if (m.recentCalls.length > RECENT_INVOCATIONS) m.recentCalls.shift();
    m.recentErrors.unshift(done.error ?? null);
    m.recentErrors.length = Math.min(m.recentErrors.length, RECENT_INVOCATIONS);
  }

  /** @inheritdoc */
  async recentErrors(modelId: string, count: number): Promise<Array<string | null>> {
    const m = await this.memoryOf({ id: modelId, name: modelId });
    return m.recentErrors.slice(0, count);
  }

  /** @inheritdoc The Models row is written at once: a pause must hold whatever the batch does. */
  async pauseModel(modelId: string, reason: string): Promise<void> {
    await this.db.models.setEnabled(modelId, false, reason);
  }

  /** @inheritdoc */
  async recordFailedWorkflow(modelId: string): Promise<void> {
    this.failedWorkflows.set(modelId, (this.failedWorkflows.get(modelId) ?? 0) + 1);
  }

  /** @inheritdoc */
  async recordSnapshot(input: SnapshotInput): Promise<void> {
    const { openPositions: _, ...snapshot } = input;
    const m = await this.memoryOf({ id: input.modelId, name: input.modelId });
    const point = { ts: input.at, equity: input.total };
    m.curve.push(point);
    m.recentEquity.push(point);
    const horizon = input.at - this.riskWindowMs;
    let drop = 0;
    while (drop < m.recentEquity.length && m.recentEquity[drop]!.ts < horizon) drop++;
    if (drop > 0) m.recentEquity.splice(0, drop);
    m.latest = point.equity;
    this.snapshots.push(snapshot);
  }

  /** @inheritdoc Counted for a model whose history is loaded (a later load reads it from Orders). */
  positionOpened(order: OpenOrder): void {
    const m = this.loaded.get(order.modelId);
    if (m) m.openPositions++;
  }

  /** @inheritdoc The Order joins the model's trades in the database's order (closed, then id, newest first). */
  positionClosed(order: ClosedOrder): void {
    const m = this.loaded.get(order.modelId);
    if (!m || m.trades.some((t) => t.orderId === order.orderId)) return;
    m.openPositions--;
    m.trades.push(order);
    m.trades.sort((a, b) => b.closedAt - a.closedAt || compareIds(b.orderId, a.orderId));
    m.trades.length = Math.min(m.trades.length, TRADE_LIMIT);
    this.staleTrades.add(order.modelId);
  }

  /** @inheritdoc One transaction: the finished invocations, the snapshots and the failure counters. */
  async flush(): Promise<void> {
    const completed = this.completed;
    const snapshots = this.snapshots;
    const failed = this.failedWorkflows;
    if (completed.length === 0 && snapshots.length === 0 && failed.size === 0) return;
    this.completed = [];
    this.snapshots = [];
    this.failedWorkflows = new Map();
    try {
      await this.db.transaction(async (tx) => {
        await tx.invocations.recordCompleted(completed);
        await tx.portfolio.recordMany(snapshots);
        for (const [modelId, n] of failed) await tx.models.incrementCounters(modelId, { failedWorkflows: n });
      });
    } catch (error) {
      // Nothing was written: keep it for the next flush.
      this.completed = [...completed, ...this.completed];
      this.snapshots = [...snapshots, ...this.snapshots];
      for (const [modelId, n] of failed) this.failedWorkflows.set(modelId, (this.failedWorkflows.get(modelId) ?? 0) + n);
      throw error;
    }
  }
}
