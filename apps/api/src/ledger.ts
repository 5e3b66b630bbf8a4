/**
 * The api's incremental read model: per model, its closed trades indexed for window
 * statistics (TradeIndex), its equity curve, its open positions and its recent run
 * outcomes, built from the database once at start (one pass over the closed Orders, in
 * pages) and kept current from the event stream, so no request scans Orders.
 *
 * How it stays current: each event is applied in arrival order on one queue. A closed
 * position (positionClosed, exitTriggered, positionLiquidated) reads that one order by
 * id; a snapshot reads the model's snapshots after the newest one held; an event that
 * names a model re-reads that model's open orders (an index lookup of a few rows). A tick, a truncated event
 * (no payload) or a stream gap catches up through the (status, closed_at) index from a
 * little before the newest close held, deduplicated by order id (a tick: trades and open
 * orders only), and a timer does all of it, curves and models too, every `syncIntervalMs`
 * in case an event never arrived.
 *
 * Invariants: every closed order is folded in at most once (order ids of the last
 * HORIZON_MS of closes are remembered); a curve's points are sorted by time with one
 * point per instant; listeners hear `changed` after each applied update.
 *
 * Return and PnL have one definition here, used by the leaderboard, the chart and the
 * analytics alike: from the starting capital for the window "all" and for any window that
 * began before the model started trading, else from the account value at the window's
 * start (the newest snapshot at or before it).
 */
import { type Clock, type Decimal, type DecimalLike, toDecimal } from "@autonome/core";
import type { Db, ModelRecord, OpenOrder } from "@autonome/db";
import { TradeIndex } from "./trade-index.js";

/** Closes younger than this (before the newest held) are remembered by id for deduplication. */
const HORIZON_MS = 15 * 60_000;
/** Page size of the initial pass and of catch-ups. */
const PAGE = 50_000;
/** A curve longer than this is thinned in memory like the database thins its snapshots. */
const MAX_CURVE_POINTS = 12_000;
/** Runs failed in a row after which a model is shown as failing. */
export const FAILING_AFTER_RUNS = 3;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** One model's equity curve: parallel arrays sorted by time. */
export interface Curve {
  ts: number[];
  /** Exact decimal strings, as stored. */
  total: string[];
  /** The same as numbers, for metrics and charts only. */
  value: number[];
}

/** The recent outcome of a model's runs. */
export interface RunState {
  /** Runs that failed in a row, newest back. */
  consecutiveFailures: number;
  lastError: string | null;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
  /** When its last invocation finished (either way). */
  lastRunAt: number | null;
}

/** Where a window's return is measured from. */
export interface Baseline {
  /** USD, exact decimal. */
  value: Decimal;
  /** When that value held (the model's start or the snapshot at the window's start). */
  at: number;
  /** startingCapital: the model's starting capital; windowStart: its account value at the window's start. */
  kind: "startingCapital" | "windowStart";
}

/** What a ledger needs. */
export interface LedgerOptions {
  db: Db;
  clock: Clock;
  /** Each simulated model's starting capital (USD); default 10,000, the trading runtime's default. A LIVE model starts at its first snapshot. */
  initialCapitalUsd?: DecimalLike;
  /** Catch-up interval for missed events; default 15 s; 0 disables the timer. */
  syncIntervalMs?: number;
  /** Told when a background update failed (the next one retries). */
  onError?: (error: unknown) => void;
}

/** A minimal arena event as the ledger reads it (whole or truncated). */
export interface LedgerEvent {
  type: string;
  tsEvent: number;
  payload?: unknown;
}

const emptyRuns = (): RunState => ({ consecutiveFailures: 0, lastError: null, lastFailureAt: null, lastSuccessAt: null, lastRunAt: null });

/** The incremental read model. */
export class ArenaLedger {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly initialCapital: Decimal;
  private readonly syncIntervalMs: number;
  private readonly onError: (error: unknown) => void;
  private modelsById = new Map<string, ModelRecord>();
  private readonly trades = new Map<string, TradeIndex>();
  private readonly curves = new Map<string, Curve>();
  private readonly runs = new Map<string, RunState>();
  private open: OpenOrder[] = [];
  /** Order ids of recent closes, in insertion (about closedAt) order, for deduplication. */
  private readonly recent = new Map<string, number>();
  private newestClose = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private started: Promise<void> | null = null;
  private version = 0;
  /** Set by whatever changed the model during the current update; listeners hear only real changes. */
  private dirty = false;

  constructor(options: LedgerOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.initialCapital = toDecimal(options.initialCapitalUsd ?? 10_000);
    this.syncIntervalMs = options.syncIntervalMs ?? 15_000;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Increases with every applied update (answer caches key on it). */
  get revision(): number {
    return this.version;
  }

  /** Builds the model from the database (once; later calls wait for the same build). */
  ready(): Promise<void> {
    this.started ??= this.build().then(
      () => {
        if (this.syncIntervalMs > 0) {
          this.timer = setInterval(() => void this.enqueue(() => this.catchUp()), this.syncIntervalMs);
          this.timer.unref();
        }
      },
      (error: unknown) => {
        // Not built: the next caller tries again.
        this.started = null;
        throw error;
      },
    );
    return this.started;
  }

  /** Stops the catch-up timer and applies nothing more (updates already running finish). */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private closed = false;

  /** Calls `listener` after each applied update; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every update queued so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async build(): Promise<void> {
    await this.refreshModels();
    await this.foldClosesAfter(null);
    await Promise.all([...this.modelsById.keys()].map((id) => this.syncCurve(id)));
    await this.refreshOpen();
    await Promise.all([...this.modelsById.keys()].map((id) => this.loadRuns(id)));
    this.version++;
  }

  private async refreshModels(): Promise<void> {
    const models = await this.db.models.list();
    const signature = (list: Iterable<ModelRecord>) => [...list].map((m) => `${m.id}:${m.enabled}:${m.mode}:${m.invocationCount}:${m.failedWorkflowCount}`).join(",");
    if (signature(models) !== signature(this.modelsById.values())) this.dirty = true;
    this.modelsById = new Map(models.map((m) => [m.id, m]));
  }

  private async refreshOpen(): Promise<void> {
    const open = await this.db.orders.allOpenOrders();
    if (openSignature(open) !== openSignature(this.open)) this.dirty = true;
    this.open = open;
  }

  /**
   * Re-reads one model's open orders (an event named it): a few rows instead of every
   * model's, merged into the list in its order (oldest first, then by id).
   */
  private async refreshOpenOf(modelId: string | null): Promise<void> {
    if (modelId === null) return this.refreshOpen();
    const mine = await this.db.orders.openOrdersOfModel(modelId);
    const before = this.open.filter((o) => o.modelId === modelId);
    if (openSignature(mine) !== openSignature(before)) this.dirty = true;
    const merged = this.open.filter((o) => o.modelId !== modelId).concat(mine);
    merged.sort((a, b) => a.openedAt - b.openedAt || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
    this.open = merged;
  }

  private async loadRuns(modelId: string): Promise<void> {
    const { items } = await this.db.invocations.list({ modelId, limit: 10 });
    const state = emptyRuns();
    // Newest first: failures in a row until the first success.
    for (const inv of items) {
      const at = inv.finishedAt ?? inv.startedAt;
      state.lastRunAt ??= at;
      if (inv.error === null) {
        state.lastSuccessAt ??= at;
        break;
      }
      state.consecutiveFailures++;
      state.lastError ??= inv.error;
      state.lastFailureAt ??= at;
    }
    if (state.lastSuccessAt === null) state.lastSuccessAt = items.find((i) => i.error === null)?.finishedAt ?? null;
    this.runs.set(modelId, state);
  }

  /** Folds one closed trade in unless it was already. */
  private fold(t: { orderId: string; modelId: string; openedAt: number; closedAt: number; realizedPnl: string; fees: string }): boolean {
    if (this.recent.has(t.orderId)) return false;
    let index = this.trades.get(t.modelId);
    if (index === undefined) {
      index = new TradeIndex();
      this.trades.set(t.modelId, index);
    }
    index.add(t);
    this.dirty = true;
    if (t.closedAt > this.newestClose) this.newestClose = t.closedAt;
    this.recent.set(t.orderId, t.closedAt);
    if (this.recent.size % 1024 === 0) this.pruneRecent();
    return true;
  }

  private pruneRecent(): void {
    const cutoff = this.newestClose - HORIZON_MS;
    for (const [id, at] of this.recent) {
      if (at >= cutoff) break;
      this.recent.delete(id);
    }
  }

  /** Reads the model's snapshots after the newest one held. */
  private async syncCurve(modelId: string): Promise<void> {
    const curve = this.curves.get(modelId) ?? { ts: [], total: [], value: [] };
    this.curves.set(modelId, curve);
    const lastTs = curve.ts.at(-1);
    const rows = await this.db.portfolio.history(modelId, lastTs === undefined ? {} : { from: lastTs + 1 }, 100_000);
    if (rows.length > 0) this.dirty = true;
    for (const s of rows) {
      const total = s.total.toString();
      curve.ts.push(s.at);
      curve.total.push(total);
      curve.value.push(Number(total));
    }
    if (curve.ts.length > MAX_CURVE_POINTS) this.curves.set(modelId, thinCurve(curve, this.clock.now()));
  }

  /** Folds every closed trade after `from` (from the first when null), a ledger page at a time. */
  private async foldClosesAfter(from: { closedAt: number; orderId: string } | null): Promise<void> {
    let after = from;
    for (;;) {
      const page = await this.db.leaderboard.ledgerPage(after, PAGE);
      for (const t of page) this.fold(t);
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      after = { closedAt: last.closedAt, orderId: last.orderId };
    }
  }

  /** Catches up with closes since a little before the newest held, re-reads open orders and (unless `tradesOnly`) models and curves. */
  private async catchUp(tradesOnly = false): Promise<void> {
    await this.foldClosesAfter({ closedAt: Math.max(0, this.newestClose - HORIZON_MS), orderId: "00000000-0000-0000-0000-000000000000" });
    await this.refreshOpen();
    if (tradesOnly) return;
    await this.refreshModels();
    await Promise.all([...this.modelsById.keys()].map((id) => this.syncCurve(id)));
  }

  private enqueue(work: () => Promise<void> | void): Promise<void> {
    if (this.closed) return this.queue;
    const run = this.queue.then(async () => {
      if (this.closed) return;
      await this.ready();
      this.dirty = false;
      await work();
      if (!this.dirty) return;
      this.version++;
      for (const listener of [...this.listeners]) listener();
    });
    this.queue = run.catch((error: unknown) => this.onError(error));
    return this.queue;
  }

  /** Applies an arena event (whole or truncated); resolves once applied. */
  apply(event: LedgerEvent): Promise<void> {
    const p = (event.payload ?? null) as Record<string, unknown> | null;
    const modelId = typeof p?.modelId === "string" ? p.modelId : null;
    if (p === null) return this.enqueue(() => this.catchUp());
    switch (event.type) {
      case "positionClosed":
      case "exitTriggered":
      case "positionLiquidated": {
        const orderId = typeof p.orderId === "string" ? p.orderId : null;
        return this.enqueue(async () => {
          const order = orderId === null ? null : await this.db.orders.byId(orderId);
          if (order !== null && order.status === "CLOSED") {
            this.fold({
              orderId: order.orderId,
              modelId: order.modelId,
              openedAt: order.openedAt,
              closedAt: order.closedAt,
              realizedPnl: order.realizedPnl.toString(),
              fees: order.fees.toString(),
            });
          }
          // A partial close leaves the rest of the position open, smaller: the model's open orders are re-read.
          await this.refreshOpenOf(modelId ?? order?.modelId ?? null);
        });
      }
      case "positionOpened":
      case "exitPlanUpdated":
        return this.enqueue(async () => {
          if (modelId !== null && !this.modelsById.has(modelId)) await this.refreshModels();
          await this.refreshOpenOf(modelId);
        });
      case "portfolioSnapshotted":
        return this.enqueue(async () => {
          if (modelId === null) return;
          if (!this.modelsById.has(modelId)) await this.refreshModels();
          await this.syncCurve(modelId);
        });
      case "invocationFinished":
        return this.enqueue(() => {
          if (modelId === null) return;
          const runs = this.runs.get(modelId) ?? emptyRuns();
          this.runs.set(modelId, runs);
          runs.lastRunAt = event.tsEvent;
          this.dirty = true;
          if (p.ok === true) {
            runs.consecutiveFailures = 0;
            runs.lastSuccessAt = event.tsEvent;
          } else {
            runs.consecutiveFailures++;
            runs.lastFailureAt = event.tsEvent;
            runs.lastError = typeof p.error === "string" && p.error !== "" ? p.error : "failed";
          }
        });
      case "tickFinished":
        return this.enqueue(async () => {
          // A run that failed or timed out before its invocation was recorded still counts.
          const tickStart = event.tsEvent - (typeof p.durationMs === "number" ? p.durationMs : 0);
          for (const [list, reason] of [
            [p.failed, "the run failed before its invocation finished"],
            [p.timedOut, "the run timed out"],
          ] as const) {
            if (!Array.isArray(list)) continue;
            for (const id of list) {
              if (typeof id !== "string") continue;
              const runs = this.runs.get(id) ?? emptyRuns();
              this.runs.set(id, runs);
              if (runs.lastRunAt !== null && runs.lastRunAt >= tickStart) continue;
              runs.consecutiveFailures++;
              runs.lastFailureAt = event.tsEvent;
              runs.lastRunAt = event.tsEvent;
              runs.lastError = reason;
              this.dirty = true;
            }
          }
          // Snapshots arrive with their own events (and the timer catches up with missed ones).
          await this.catchUp(true);
        });
      default:
        return Promise.resolve();
    }
  }

  /** Re-reads everything recent (a stream gap: events were lost). */
  resync(): Promise<void> {
    return this.enqueue(() => this.catchUp());
  }

  /** Every model, ordered by name then variant. */
  models(): ModelRecord[] {
    return [...this.modelsById.values()];
  }

  /** One model, or undefined. */
  model(id: string): ModelRecord | undefined {
    return this.modelsById.get(id);
  }

  /** Open positions, oldest first. */
  openOrders(): readonly OpenOrder[] {
    return this.open;
  }

  /** The model's trade index (empty when it has none). */
  tradesOf(modelId: string): TradeIndex {
    return this.trades.get(modelId) ?? new TradeIndex();
  }

  /** The model's curve (empty when it has none). */
  curveOf(modelId: string): Curve {
    return this.curves.get(modelId) ?? { ts: [], total: [], value: [] };
  }

  /** The model's recent run outcomes. */
  runsOf(modelId: string): RunState {
    return this.runs.get(modelId) ?? emptyRuns();
  }

  /** When the model started trading: its first snapshot or the opening of its first order, whichever is earlier; null before either. */
  startOf(modelId: string): number | null {
    const candidates: number[] = [];
    const curve = this.curves.get(modelId);
    if (curve !== undefined && curve.ts.length > 0) candidates.push(curve.ts[0]!);
    const first = this.trades.get(modelId)?.firstOpenedAt;
    if (first !== undefined && first !== null) candidates.push(first);
    for (const o of this.open) if (o.modelId === modelId) candidates.push(o.openedAt);
    return candidates.length === 0 ? null : Math.min(...candidates);
  }

  /** The model's starting capital: the configured one for simulated models, the first snapshot for LIVE ones. */
  startingCapital(modelId: string): Decimal | null {
    const model = this.modelsById.get(modelId);
    if (model?.mode === "LIVE") {
      const first = this.curves.get(modelId)?.total[0];
      return first === undefined ? null : toDecimal(first);
    }
    return this.initialCapital;
  }

  /** Where the window starting at `from` (null: all time) measures the model's return from. */
  baseline(modelId: string, from: number | null): Baseline | null {
    const start = this.startOf(modelId);
    const capital = this.startingCapital(modelId);
    if (from === null || start === null || from <= start) return capital === null ? null : { value: capital, at: start ?? from ?? this.clock.now(), kind: "startingCapital" };
    const curve = this.curveOf(modelId);
    const i = upperBound(curve.ts, from) - 1;
    if (i < 0) return capital === null ? null : { value: capital, at: start, kind: "startingCapital" };
    return { value: toDecimal(curve.total[i]!), at: curve.ts[i]!, kind: "windowStart" };
  }
}

/** What the answers show of open orders: a change in it is a change of the read model. */
function openSignature(list: readonly OpenOrder[]): string {
  return list.map((o) => `${o.orderId}:${o.quantity.toString()}:${o.fees.toString()}:${o.slTriggerPrice?.toString()}:${o.tpTriggerPrice?.toString()}:${JSON.stringify(o.exitPlan)}`).join(",");
}

/** The first index of a sorted array whose value is > `t`. */
export function upperBound(values: readonly number[], t: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Thins a curve like the database does: raw for 7 days, the last of each hour to 30 days, the last of each day before. */
export function thinCurve(curve: Curve, now: number): Curve {
  const out: Curve = { ts: [], total: [], value: [] };
  const n = curve.ts.length;
  for (let i = 0; i < n; i++) {
    const t = curve.ts[i]!;
    const age = now - t;
    const size = age <= 7 * DAY_MS ? 0 : age <= 30 * DAY_MS ? HOUR_MS : DAY_MS;
    const next = curve.ts[i + 1];
    // Keep the last point of its bucket (every point when raw).
    if (size === 0 || next === undefined || Math.floor(next / size) !== Math.floor(t / size)) {
      out.ts.push(t);
      out.total.push(curve.total[i]!);
      out.value.push(curve.value[i]!);
    }
  }
  return out;
}
