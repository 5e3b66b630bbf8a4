/**
 * What the trade workflow reads and writes besides Orders: a model's history (equity
 * curve, closed trades, recent decisions, invocation count), the competition's
 * standings, and its records (invocations with their tool calls, portfolio snapshots,
 * failure counters).
 *
 * Three stores, one interface:
 *  - DbTradingStore reads and writes the database on every call (a read costs what the
 *    history holds: 30 days of snapshots, 500 trades).
 *  - LiveTradingStore (the worker's) writes every record at once like the database store,
 *    and reads each model's history from ModelStates (model-state.ts): loaded once, kept up
 *    to date from the tick's own writes, so a tick costs the same after a month as after a
 *    minute. The worker calls `forget` for a model whose lease did not continue its own.
 *  - MemoryTradingStore is for a process that owns its models' rows alone (a backtest): the
 *    same ModelStates, and its records written in batches on `flush()`.
 * Orders are never buffered (brokers write every fill before a tool call returns, and the
 * stores that write at once let the record of the call that caused it join the Order's
 * transaction). A failed run whose record the database cannot take now (it is unreachable)
 * is kept and written by `retryPending` once it can.
 */
import { type Decimal, NotFoundError, StateConflictError, ValidationError } from "@autonome/core";
import type {
  ClosedOrder,
  CompletedInvocationInput,
  Db,
  DbTransaction,
  InvocationRecord,
  ModelRecord,
  OpenOrder,
  RecordSnapshotInput,
  RecordToolCallInput,
  StartInvocationInput,
} from "@autonome/db";
import type { CompetitorStanding } from "@autonome/prompts";
import { computePerformanceMetrics } from "@autonome/risk";
import { type ModelHistory, ModelStates, RECENT_CLOSES, RECENT_INVOCATIONS, type RiskHistory, TRADE_LIMIT, acceptedActions, countActions } from "./model-state.js";

export type { ModelHistory, RiskHistory } from "./model-state.js";

/** A snapshot to record, with what the standings show. */
export interface SnapshotInput extends RecordSnapshotInput {
  at: number;
  total: Decimal;
  /** Open positions at the snapshot. */
  openPositions: number;
}

/** A run that failed: its model, its invocation (null when it failed before starting one) and how to finish it. */
export interface FailedRun {
  modelId: string;
  invocationId: string | null;
  /** What the invocation is finished with (its error, at least). */
  finish: FinishInput;
}

/**
 * What became of a failed run's record: written; kept for `retryPending` (the database is
 * unreachable); or its invocation had been closed as ABANDONED meanwhile (which counted it).
 */
export type FailedRunOutcome = "recorded" | "pending" | "abandoned";

/** The persistence port of the workflow. */
export interface TradingStore {
  /**
   * Whether records are written when they are made (so the record of an executed tool call can
   * join the transaction of the Order it causes); false for a store that writes them on flush.
   */
  readonly writesImmediately: boolean;
  /** The model's history as of `now`, with `equity` as the curve's current point. */
  modelHistory(model: ModelRecord, now: number, equity: Decimal): Promise<ModelHistory>;
  /** Recent closes and the equity of the trailing window. */
  riskHistory(modelId: string, now: number, windowMs: number): Promise<RiskHistory>;
  /** Every model's standing (latest equity, open positions), or null when unknown. */
  standings(self: ModelRecord, initialCapital: Decimal): Promise<CompetitorStanding[] | null>;
  /** Starts an invocation; returns its id. */
  startInvocation(modelId: string, prompt: string, startedAt: number): Promise<string>;
  /** Records a tool call; with `tx`, in that transaction (the Order's, see OrderAudit). */
  recordToolCall(input: RecordToolCallInput, tx?: DbTransaction): Promise<void>;
  /** Finishes an invocation; StateConflictError when it was closed already (as ABANDONED). */
  finishInvocation(invocationId: string, input: FinishInput): Promise<void>;
  /**
   * Records a failed run: its invocation finished (when it has one) and a failed workflow
   * counted on its model, together. Never rejects: what the database cannot take now is kept
   * for `retryPending`; an invocation closed as ABANDONED meanwhile is not counted again.
   */
  recordFailedRun(run: FailedRun): Promise<FailedRunOutcome>;
  /** Writes the failed runs kept while the database was unreachable, oldest first; returns how many it wrote. Rejects while it still cannot. */
  retryPending(): Promise<number>;
  /** The errors of the model's last `count` finished invocations, newest first (null for a success). */
  recentErrors(modelId: string, count: number): Promise<Array<string | null>>;
  /** Pauses the model with the reason (written at once, also by the memory store). */
  pauseModel(modelId: string, reason: string): Promise<void>;
  recordSnapshot(input: SnapshotInput): Promise<void>;
  /** A position was opened (its Order is written): the executor calls it. */
  positionOpened(order: OpenOrder): void;
  /** A position was closed (its Order is written), whatever closed it: tool, venue or operator. */
  positionClosed(order: ClosedOrder): void;
  /** Another process may have written these models' rows: drop what is kept of them in memory (the next read loads them). */
  forget(modelIds: readonly string[]): void;
  /** Writes what is buffered (nothing for the stores that write at once). */
  flush(): Promise<void>;
  /**
   * The tick's runs have ended (and a run that outlived its tick has ended): a store that
   * batches a tick's records writes them now (LiveTradingStore); the others do nothing (a
   * backtest's driver flushes its MemoryTradingStore when it chooses).
   */
  endTick(): Promise<void>;
}

/** What finishing an invocation records. */
export type FinishInput = Omit<CompletedInvocationInput, "id" | "modelId" | "prompt" | "startedAt" | "toolCalls">;

const EQUITY_WINDOW_MS = 30 * 86_400_000;
const STANDINGS_TTL_MS = 60_000;
/** Failed runs kept while the database is unreachable, at most (the oldest are dropped beyond). */
const MAX_PENDING_FAILURES = 10_000;

type StandingRow = { modelId: string; modelName: string; value: Decimal; openPositions: number };

/** The ranked rows of one standings read (one per initial capital), shared by every model that reads them. */
const rankedRows = new WeakMap<readonly StandingRow[], { initial: Decimal; ranked: Array<Omit<CompetitorStanding, "isSelf"> & { modelId: string }> }>();

function rankStandings(rows: readonly StandingRow[], self: ModelRecord, initial: Decimal): CompetitorStanding[] | null {
  // Sorted and their returns divided out once per read: the models of a tick see the same rows.
  let entry = rankedRows.get(rows);
  if (!entry || !entry.initial.eq(initial)) {
    const ranked = [...rows]
      .sort((a, b) => b.value.comparedTo(a.value) || a.modelName.localeCompare(b.modelName) || a.modelId.localeCompare(b.modelId))
      .map((r, i) => ({
        modelId: r.modelId,
        modelName: r.modelName,
        rank: i + 1,
        accountValue: r.value,
        totalReturn: initial.gt(0) ? r.value.div(initial).minus(1).toNumber() : 0,
        openPositions: r.openPositions,
      }));
    entry = { initial, ranked };
    rankedRows.set(rows, entry);
  }
  const standings = entry.ranked.map((r) => ({
    modelName: r.modelName,
    rank: r.rank,
    accountValue: r.accountValue,
    totalReturn: r.totalReturn,
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

/** Reads and writes the database on every call. */
export class DbTradingStore implements TradingStore {
  readonly writesImmediately: boolean = true;
  private readonly standingsCache = new StandingsCache();
  private pendingFailures: FailedRun[] = [];

  constructor(
    protected readonly db: Db,
    protected readonly now: () => number,
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
      this.db.orders.closedTradesOfModel(modelId, { limit: RECENT_CLOSES }),
      this.db.portfolio.history(modelId, { from: now - windowMs }),
    ]);
    return { recentCloses: closes.items, equity: snapshots.map((s) => ({ ts: s.at, equity: s.total })) };
  }

  /** @inheritdoc Read once a minute for every model (latest snapshots and open positions: index lookups). */
  async standings(self: ModelRecord, initialCapital: Decimal): Promise<CompetitorStanding[] | null> {
    const rows = await this.standingsCache.rows(this.now(), async () =>
      (await this.db.leaderboard.standings({ enabledOnly: true })).flatMap((r) =>
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
  async recordToolCall(input: RecordToolCallInput, tx?: DbTransaction): Promise<void> {
    await (tx ?? this.db).invocations.recordToolCall(input);
  }

  /** @inheritdoc */
  async finishInvocation(invocationId: string, input: FinishInput): Promise<void> {
    await this.db.invocations.finish(invocationId, input);
  }

  /** @inheritdoc */
  async recordFailedRun(run: FailedRun): Promise<FailedRunOutcome> {
    try {
      return await this.writeFailedRun(run);
    } catch (error) {
      if (!retryable(error)) return "recorded";
      this.pendingFailures.push(run);
      if (this.pendingFailures.length > MAX_PENDING_FAILURES) this.pendingFailures.shift();
      return "pending";
    }
  }

  /** @inheritdoc */
  async retryPending(): Promise<number> {
    let written = 0;
    while (this.pendingFailures.length > 0) {
      const run = this.pendingFailures[0]!;
      try {
        await this.writeFailedRun(run);
      } catch (error) {
        if (retryable(error)) throw error;
      }
      this.pendingFailures.shift();
      written++;
    }
    return written;
  }

  /** Failed runs waiting for the database. */
  get pendingFailedRuns(): number {
    return this.pendingFailures.length;
  }

  /** Finishes the run's invocation and counts the failure in one transaction; "abandoned" when the invocation was closed already. */
  private async writeFailedRun(run: FailedRun): Promise<FailedRunOutcome> {
    return this.db.transaction(async (tx) => {
      if (run.invocationId !== null) {
        try {
          await tx.invocations.finish(run.invocationId, run.finish);
        } catch (error) {
          // Closed as ABANDONED meanwhile (a stale clear or a restart), which counted it.
          if (error instanceof StateConflictError) return "abandoned" as const;
          throw error;
        }
      }
      await tx.models.recordFailedWorkflow(run.modelId);
      return "recorded" as const;
    });
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
  positionOpened(_order: OpenOrder): void {}

  /** @inheritdoc */
  positionClosed(_order: ClosedOrder): void {}

  /** @inheritdoc */
  forget(_modelIds: readonly string[]): void {}

  /** @inheritdoc */
  async flush(): Promise<void> {}

  /** @inheritdoc */
  async endTick(): Promise<void> {}
}

/** Whether a failed write may succeed later (not bad input or a missing row, which never will). */
function retryable(error: unknown): boolean {
  return !(error instanceof ValidationError || error instanceof NotFoundError);
}

/** Options of a LiveTradingStore. */
export interface LiveTradingStoreOptions {
  db: Db;
  /** The snapshots' interval (the tick), for annualising the curve's ratios. */
  snapshotIntervalMs: number;
  /** The clock's now (standings are read once a minute of it). */
  now: () => number;
}

/**
 * The worker's store. Each model's history is read from ModelStates (loaded once, the last
 * 30 days of its curve, kept up to date from these writes). Writes:
 *  - an invocation's start, before the run goes on (a crash mid-run leaves it unfinished,
 *    and the next start or stale clear closes it as ABANDONED); the starts of a tick's runs
 *    that ask in one turn of the event loop share one statement;
 *  - an executed tool call, at once in the transaction of the Order it caused (`tx`);
 *  - the rest of a tick's records (the other tool calls, the finishes, the snapshots) in
 *    one transaction at the tick's end (`endTick`, which runTick calls): a few multi-row
 *    statements instead of a dozen statements a model. A crash before it leaves those runs'
 *    invocations unfinished (closed as ABANDONED on restart) and their Orders, written at
 *    once, intact. A batch the database cannot take now is kept for the next one.
 * Tool calls reach the state when their invocation's finish is written (read back with it),
 * so one whose Order's transaction rolled back never counts.
 */
export class LiveTradingStore extends DbTradingStore {
  private readonly states: ModelStates;
  private calls: RecordToolCallInput[] = [];
  private finishes: Array<{ invocationId: string; finish: FinishInput }> = [];
  private snapshots: RecordSnapshotInput[] = [];
  /** Starts asked for in this turn of the event loop, written together. */
  private starting: Array<{ input: StartInvocationInput; resolve: (id: string) => void; reject: (error: unknown) => void }> = [];
  /** The running write of a batch: one at a time, in order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(options: LiveTradingStoreOptions) {
    super(options.db, options.now);
    this.states = new ModelStates({ db: options.db, snapshotIntervalMs: options.snapshotIntervalMs, equityWindowMs: EQUITY_WINDOW_MS });
  }

  /** @inheritdoc */
  override async modelHistory(model: ModelRecord, now: number, equity: Decimal): Promise<ModelHistory> {
    return (await this.stateOf(model, now)).history(now, equity);
  }

  /** @inheritdoc */
  override async riskHistory(modelId: string, now: number, windowMs: number): Promise<RiskHistory> {
    return (await this.stateOf({ id: modelId, name: modelId }, now)).riskHistory(now, windowMs);
  }

  /** The model's state; one loaded from the database now first sees the kept records there (the batch is written before). */
  private async stateOf(model: Pick<ModelRecord, "id" | "name">, now: number) {
    if (this.states.peek(model.id) === undefined && this.pendingRecords > 0) await this.flush().catch(() => undefined);
    return this.states.of(model, now);
  }

  /**
   * @inheritdoc Written before it resolves; the starts asked for in one turn of the event loop
   * (a tick's runs reach theirs together) are written in one statement.
   */
  override async startInvocation(modelId: string, prompt: string, startedAt: number): Promise<string> {
    const id = await new Promise<string>((resolve, reject) => {
      this.starting.push({ input: { modelId, prompt, startedAt }, resolve, reject });
      if (this.starting.length === 1) setImmediate(() => void this.writeStarts());
    });
    this.states.peek(modelId)?.invocationStarted();
    return id;
  }

  /** Writes the starts asked for so far; when the database refuses one (an unknown model), each is written alone so only that run fails. */
  private async writeStarts(): Promise<void> {
    const batch = this.starting;
    this.starting = [];
    try {
      const ids = await this.db.invocations.startMany(batch.map((b) => b.input));
      batch.forEach((b, i) => b.resolve(ids[i]!));
    } catch (error) {
      if (batch.length === 1 || retryable(error)) {
        for (const b of batch) b.reject(error);
        return;
      }
      for (const b of batch) {
        try {
          b.resolve((await this.db.invocations.start(b.input)).id);
        } catch (alone) {
          b.reject(alone);
        }
      }
    }
  }

  /** @inheritdoc With `tx`, written in it (the Order's); otherwise kept for the tick's batch. */
  override async recordToolCall(input: RecordToolCallInput, tx?: DbTransaction): Promise<void> {
    if (tx !== undefined) return super.recordToolCall(input, tx);
    this.calls.push(input);
  }

  /** @inheritdoc Kept for the tick's batch; an invocation closed as ABANDONED meanwhile is left as it is then. */
  override async finishInvocation(invocationId: string, input: FinishInput): Promise<void> {
    this.finishes.push({ invocationId, finish: input });
  }

  /** @inheritdoc A failed run's accepted calls count among the recent actions too, as they do when read from the database. */
  override async recordFailedRun(run: FailedRun): Promise<FailedRunOutcome> {
    // Its tool calls first (a batch that fails now is kept: the failed run is then kept as well).
    await this.flush().catch(() => undefined);
    const outcome = await super.recordFailedRun(run);
    const state = this.states.peek(run.modelId);
    if (outcome !== "pending" && run.invocationId !== null && state !== undefined) {
      const finished = await this.db.invocations.byId(run.invocationId).catch(() => null);
      if (finished !== null) state.invocationFinished(acceptedActions(finished.toolCalls));
    }
    return outcome;
  }

  /** @inheritdoc Of the written invocations: the batch is written first. */
  override async recentErrors(modelId: string, count: number): Promise<Array<string | null>> {
    await this.flush();
    return super.recentErrors(modelId, count);
  }

  /** @inheritdoc Kept for the tick's batch; the model's curve has it at once. */
  override async recordSnapshot(input: SnapshotInput): Promise<void> {
    const { openPositions: _, ...snapshot } = input;
    this.snapshots.push(snapshot);
    this.states.snapshotRecorded(input.modelId, { ts: input.at, equity: input.total });
  }

  /** @inheritdoc */
  override positionOpened(order: OpenOrder): void {
    this.states.positionOpened(order);
  }

  /** @inheritdoc */
  override positionClosed(order: ClosedOrder): void {
    this.states.positionClosed(order);
  }

  /** @inheritdoc */
  override forget(modelIds: readonly string[]): void {
    this.states.forget(modelIds);
  }

  /** Records kept for the next batch. */
  get pendingRecords(): number {
    return this.calls.length + this.finishes.length + this.snapshots.length;
  }

  /** @inheritdoc */
  override endTick(): Promise<void> {
    return this.flush();
  }

  /**
   * @inheritdoc One transaction: the kept tool calls, then the finishes (read back with every
   * tool call of their invocations, for the models' states), then the snapshots. When it
   * fails for the database (unreachable) everything is kept for the next batch and it rejects;
   * a record the database refuses for itself (bad input, a row gone) is written alone, so it
   * cannot hold the others back, and dropped.
   */
  override flush(): Promise<void> {
    const write = this.writing.then(() => this.writeBatch());
    this.writing = write.catch(() => undefined);
    return write;
  }

  private async writeBatch(): Promise<void> {
    const calls = this.calls;
    const finishes = this.finishes;
    const snapshots = this.snapshots;
    if (calls.length === 0 && finishes.length === 0 && snapshots.length === 0) return;
    this.calls = [];
    this.finishes = [];
    this.snapshots = [];
    let finished: InvocationRecord[];
    try {
      finished = await this.db.transaction(async (tx) => {
        await tx.invocations.recordToolCalls(calls);
        const result = await tx.invocations.finishMany(finishes);
        await tx.portfolio.recordMany(snapshots);
        return result.finished;
      });
    } catch (error) {
      if (retryable(error)) {
        this.calls = [...calls, ...this.calls];
        this.finishes = [...finishes, ...this.finishes];
        this.snapshots = [...snapshots, ...this.snapshots];
        throw error;
      }
      finished = await this.writeOneByOne(calls, finishes, snapshots);
    }
    for (const inv of finished) this.states.peek(inv.modelId)?.invocationFinished(acceptedActions(inv.toolCalls));
  }

  /** The batch again, one record at a time: a refused record is dropped, the others written. */
  private async writeOneByOne(calls: readonly RecordToolCallInput[], finishes: ReadonlyArray<{ invocationId: string; finish: FinishInput }>, snapshots: readonly RecordSnapshotInput[]): Promise<InvocationRecord[]> {
    const finished: InvocationRecord[] = [];
    const refusedOnly = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await write();
      } catch (error) {
        if (retryable(error) && !(error instanceof StateConflictError)) throw error;
        return undefined;
      }
    };
    for (const call of calls) await refusedOnly(() => this.db.invocations.recordToolCall(call));
    for (const f of finishes) {
      const inv = await refusedOnly(() => this.db.invocations.finish(f.invocationId, f.finish));
      if (inv !== undefined) finished.push(inv);
    }
    for (const snapshot of snapshots) await refusedOnly(() => this.db.portfolio.record(snapshot));
    return finished;
  }
}

/** Options of a MemoryTradingStore. */
export interface MemoryTradingStoreOptions {
  db: Db;
  /** The snapshots' interval (the tick), for annualising the curve's ratios. */
  snapshotIntervalMs: number;
  /** The clock's now (standings are read once a minute of it). */
  now: () => number;
}

/** An invocation started and not yet finished: the row it will write, tool calls gathering. */
type OpenInvocation = CompletedInvocationInput & { toolCalls: Array<Omit<RecordToolCallInput, "invocationId">> };

/**
 * In-memory reads and batched writes for a process that owns its models' rows (a
 * backtest). Each model's history comes from ModelStates (read from the database once, the
 * first time it is asked for, then kept from what passes through the store: records,
 * snapshots, and the Orders the runtime reports opened and closed); the records are written
 * on `flush()`.
 */
export class MemoryTradingStore implements TradingStore {
  readonly writesImmediately = false;
  private readonly db: Db;
  private readonly states: ModelStates;
  private readonly open = new Map<string, OpenInvocation>();
  private completed: CompletedInvocationInput[] = [];
  private snapshots: RecordSnapshotInput[] = [];
  private failedWorkflows = new Map<string, number>();
  /** Errors of each model's recent finished invocations, newest first (read once, see recentErrors). */
  private readonly errorsBy = new Map<string, Array<string | null>>();
  private readonly now: () => number;
  private readonly standingsCache = new StandingsCache();

  constructor(options: MemoryTradingStoreOptions) {
    this.db = options.db;
    this.states = new ModelStates({ db: options.db, snapshotIntervalMs: options.snapshotIntervalMs });
    this.now = options.now;
  }

  /** @inheritdoc */
  async modelHistory(model: ModelRecord, now: number, equity: Decimal): Promise<ModelHistory> {
    return (await this.states.of(model, now)).history(now, equity);
  }

  /** @inheritdoc */
  async riskHistory(modelId: string, now: number, windowMs: number): Promise<RiskHistory> {
    return (await this.states.of({ id: modelId, name: modelId }, now)).riskHistory(now, windowMs);
  }

  /** @inheritdoc Read once a minute for every model, like the database store. */
  async standings(self: ModelRecord, initialCapital: Decimal): Promise<CompetitorStanding[] | null> {
    const rows = await this.standingsCache.rows(this.now(), async () =>
      this.states.all().flatMap((m) => (m.latest ? [{ modelId: m.modelId, modelName: m.name, value: m.latest, openPositions: m.openPositions }] : [])),
    );
    return rows ? rankStandings(rows, self, initialCapital) : null;
  }

  /** @inheritdoc */
  async startInvocation(modelId: string, prompt: string, startedAt: number): Promise<string> {
    const m = await this.states.of({ id: modelId, name: modelId }, startedAt);
    const id = globalThis.crypto.randomUUID();
    this.open.set(id, { id, modelId, prompt, startedAt, toolCalls: [] });
    m.invocationStarted();
    return id;
  }

  /** @inheritdoc Buffered like every record (`tx` is not joined: this store writes on flush). */
  async recordToolCall(input: RecordToolCallInput, _tx?: DbTransaction): Promise<void> {
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
    this.states.peek(done.modelId)?.invocationFinished(acceptedActions(done.toolCalls));
    const errors = this.errorsBy.get(done.modelId);
    if (errors !== undefined) {
      errors.unshift(done.error ?? null);
      errors.length = Math.min(errors.length, RECENT_INVOCATIONS);
    }
  }

  /** @inheritdoc Read once from the database, then kept from the runs that finish here. */
  async recentErrors(modelId: string, count: number): Promise<Array<string | null>> {
    let errors = this.errorsBy.get(modelId);
    if (errors === undefined) {
      const recent = await this.db.invocations.list({ modelId, limit: RECENT_INVOCATIONS });
      const buffered = this.completed.filter((c) => c.modelId === modelId).reverse().map((c) => c.error ?? null);
      errors = [...buffered, ...recent.items.filter((inv) => inv.finishedAt !== null).map((inv) => inv.error)].slice(0, RECENT_INVOCATIONS);
      this.errorsBy.set(modelId, errors);
    }
    return errors.slice(0, count);
  }

  /** @inheritdoc The Models row is written at once: a pause must hold whatever the batch does. */
  async pauseModel(modelId: string, reason: string): Promise<void> {
    await this.db.models.setEnabled(modelId, false, reason);
  }

  /** @inheritdoc Buffered: written with the next flush. */
  async recordFailedRun(run: FailedRun): Promise<FailedRunOutcome> {
    if (run.invocationId !== null && this.open.has(run.invocationId)) await this.finishInvocation(run.invocationId, run.finish);
    this.failedWorkflows.set(run.modelId, (this.failedWorkflows.get(run.modelId) ?? 0) + 1);
    return "recorded";
  }

  /** @inheritdoc Nothing waits: a failed flush keeps its records for the next one. */
  async retryPending(): Promise<number> {
    return 0;
  }

  /** @inheritdoc */
  async recordSnapshot(input: SnapshotInput): Promise<void> {
    const { openPositions: _, ...snapshot } = input;
    (await this.states.of({ id: input.modelId, name: input.modelId }, input.at)).snapshotRecorded({ ts: input.at, equity: input.total });
    this.snapshots.push(snapshot);
  }

  /** @inheritdoc Counted for a model whose history is loaded (a later load reads it from Orders). */
  positionOpened(order: OpenOrder): void {
    this.states.positionOpened(order);
  }

  /** @inheritdoc The Order joins the model's trades in the database's order (closed, then id, newest first). */
  positionClosed(order: ClosedOrder): void {
    this.states.positionClosed(order);
  }

  /** @inheritdoc */
  forget(modelIds: readonly string[]): void {
    this.states.forget(modelIds);
  }

  /** @inheritdoc Nothing: the driver flushes (a backtest every few ticks). */
  async endTick(): Promise<void> {}

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
