/**
 * The scheduler: every interval it hands the enabled models this worker can lease to the
 * `runBatch` hook (the worker's: runTick of @autonome/trading), which runs each one through
 * the scheduler's `runModel`: in parallel, each under its own AbortSignal deadline, so no
 * model blocks another. A model still running from an earlier tick is skipped; one running
 * longer than `staleAfterMs` is marked stale, aborted and cleared so it can run again.
 * When the batch has settled the heartbeat row records the health the api shows.
 *
 * Leases fence: each run is started under the lease its tick claimed (a new fencing token,
 * expiry by the database's clock) and gets a LeaseFence that every broker call of the run
 * checks first. A run whose lease is not renewed (it lapsed, or another worker took the
 * model) is aborted and fenced off; a stale run is fenced off locally before its model may
 * start again, and its model waits until no broker call of the old run is in flight.
 * Unfinished invocations of a stale run are closed as ABANDONED and counted.
 *
 * Invariants: a model runs at most once at a time in this process (the `running` map)
 * and across processes (the lease); no broker call of a run starts after its lease is
 * lost; every tick's batch ends with a tickFinished event and a heartbeat, whatever its
 * runs did.
 */
import { hostname } from "node:os";
import type { ArenaEventBus, Clock } from "@autonome/core";
import { type Db, type LeaseGrant, LeaseLostError, type LeaseRecord, type ModelRecord } from "@autonome/db";
import { type BrokerFence, LeaseFence } from "@autonome/trading";
import { type HealthThresholds, DEFAULT_HEALTH_THRESHOLDS, assessHealth } from "./health.js";
import { type Logger, SILENT } from "./logger.js";

/** What one model run reports to the scheduler. */
export interface ModelRunOutcome {
  ok: boolean;
  error?: string | null;
}

/** How the scheduler saw a model's run end. */
export type RunStatus = "ok" | "failed" | "timeout";

/**
 * Runs one model's work under the scheduler: `run` gets an AbortSignal that fires at the
 * model's deadline (`modelRunTimeoutMs`), a stale clear, a lost lease or shutdown, and must
 * honour it; and the fence of the run's lease, which every broker call that trades must pass
 * (runTradeWorkflow's `fence`). The scheduler stops waiting at the deadline anyway (the model
 * stays "running", skipped by later ticks, until `run` really ends). Resolves with the
 * status; never rejects (a throw from `run` is a failed run). Each model of the batch runs
 * at most once.
 */
export type ScheduledRun = (model: ModelRecord, run: (signal: AbortSignal, fence: BrokerFence) => Promise<ModelRunOutcome>) => Promise<RunStatus>;

/** What a batch is told besides its models. */
export interface BatchContext {
  /**
   * Models whose lease did not continue this worker's own (new here, taken over, or claimed
   * after it lapsed): another process may have traded them since their last run here.
   */
  acquired: readonly string[];
}

/** The work the scheduler drives; the worker wires it to runTick of @autonome/trading. */
export interface SchedulerHooks {
  /**
   * One tick's batch over the models this worker leased (never empty): run each model
   * through `runModel` and do what the tick does around the runs (advance the market,
   * reconcile, snapshot). A model it never runs counts as failed (a failed reconciliation:
   * a failed cycle); a rejection is logged and the models that ran keep their outcome.
   */
  runBatch(models: readonly ModelRecord[], runModel: ScheduledRun, context: BatchContext): Promise<void>;
}

/** The longest a lease lasts without renewal by default (LEASE_TTL_MS). */
export const DEFAULT_LEASE_TTL_MS = 60_000;

/** Tunables of the scheduler. */
export interface SchedulerOptions {
  tradeIntervalMs: number;
  modelRunTimeoutMs: number;
  staleAfterMs: number;
  /**
   * How long a lease lasts without renewal; default the shorter of one minute and
   * `staleAfterMs`. A live worker renews its leases every third of it (between ticks too,
   * so its models stay with it); a dead worker's models are free one TTL after its death.
   */
  leaseTtlMs?: number;
  health?: HealthThresholds;
}

/** What the scheduler needs. */
export interface SchedulerConfig {
  db: Db;
  clock: Clock;
  events: ArenaEventBus;
  hooks: SchedulerHooks;
  options: SchedulerOptions;
  logger?: Logger;
  /** Unique per process; default host-pid-random. */
  workerId?: string;
}

/** The outcome of one tick. */
export interface TickReport {
  tick: number;
  /** Models this worker ran. */
  ran: string[];
  succeeded: string[];
  failed: string[];
  timedOut: string[];
  /** Enabled models skipped: still running here, or leased by another worker. */
  skipped: string[];
  /** Models cleared as stale at the start of the tick. */
  stale: string[];
  /** Unfinished invocations of the stale runs closed as ABANDONED. */
  abandoned: number;
  durationMs: number;
}

/** The scheduler's state as the api shows it. */
export interface SchedulerHealth {
  workerId: string;
  tick: number;
  lastTickAt: number | null;
  lastSuccessAt: number | null;
  runningModelIds: string[];
  consecutiveFailedCycles: number;
  degraded: boolean;
  degradedReason: string | null;
}

interface RunningModel {
  startedAt: number;
  controller: AbortController;
  settled: Promise<void>;
  fence: LeaseFence;
  /** Order of start in this process (a renewal judges only the runs started before it began). */
  seq: number;
}

/** Makes a worker id unique to this process. */
export function newWorkerId(): string {
  return `${hostname()}-${process.pid}-${globalThis.crypto.randomUUID().slice(0, 8)}`;
}

/** Runs the models every interval; see the module header. */
export class Scheduler {
  readonly workerId: string;
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly events: ArenaEventBus;
  private readonly hooks: SchedulerHooks;
  private readonly options: Required<SchedulerOptions>;
  private readonly logger: Logger;
  private readonly running = new Map<string, RunningModel>();
  /** Models of stale runs cleared while a broker call of theirs was in flight: not started again before it ends. */
  private readonly draining = new Map<string, Promise<void>>();
  private runSeq = 0;
  private readonly startedAt: number;
  private readonly batches = new Set<Promise<TickReport>>();
  private tickCount = 0;
  private lastTickAt: number | null = null;
  private lastSuccessAt: number | null = null;
  private attemptedSinceSuccess = false;
  private consecutiveFailedCycles = 0;
  private timer: NodeJS.Timeout | undefined;
  private renewal: NodeJS.Timeout | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(config: SchedulerConfig) {
    this.db = config.db;
    this.clock = config.clock;
    this.events = config.events;
    this.hooks = config.hooks;
    this.logger = config.logger ?? SILENT;
    this.workerId = config.workerId ?? newWorkerId();
    this.options = {
      leaseTtlMs: Math.min(DEFAULT_LEASE_TTL_MS, config.options.staleAfterMs),
      health: DEFAULT_HEALTH_THRESHOLDS,
      ...config.options,
    };
    this.startedAt = this.clock.now();
  }

  /** The current health. */
  health(): SchedulerHealth {
    const { degraded, reason } = assessHealth(
      { startedAt: this.startedAt, lastSuccessAt: this.lastSuccessAt, attemptedSinceSuccess: this.attemptedSinceSuccess, consecutiveFailedCycles: this.consecutiveFailedCycles },
      this.clock.now(),
      this.options.health,
    );
    return {
      workerId: this.workerId,
      tick: this.tickCount,
      lastTickAt: this.lastTickAt,
      lastSuccessAt: this.lastSuccessAt,
      runningModelIds: [...this.running.keys()],
      consecutiveFailedCycles: this.consecutiveFailedCycles,
      degraded,
      degradedReason: reason,
    };
  }

  /** Starts ticking: a tick at once, then one every interval (a tick never waits for the previous batch). */
  start(): void {
    if (this.loop || this.stopping) return;
    // Keep this worker's leases alive between ticks; a renewal that fails is retried at the next one.
    this.renewal = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(this.options.leaseTtlMs / 3)));
    this.renewal.unref();
    this.loop = (async () => {
      while (!this.stopping) {
        const startedAt = this.clock.now();
        // The tick returns once its runs are started; their batch settles on its own.
        await this.tick().catch((error: unknown) => this.logger.error("tick failed", { error }));
        const wait = Math.max(0, this.options.tradeIntervalMs - (this.clock.now() - startedAt));
        await new Promise<void>((resolve) => {
          this.timer = setTimeout(resolve, wait);
          this.wake = resolve;
        });
      }
    })();
  }

  private wake: (() => void) | undefined;

  /**
   * Renews this worker's unexpired leases (the database's clock) and stops every run that
   * started before the renewal and whose lease is not among them: it lapsed, or another
   * worker has the model. A renewal that fails stops nothing (the runs' own fences still
   * check the lease before each broker call).
   */
  async renewLeases(): Promise<void> {
    const asOf = this.runSeq;
    let renewed: LeaseGrant[];
    try {
      renewed = await this.db.leases.renew(this.workerId, this.options.leaseTtlMs);
    } catch (error) {
      this.logger.warn("leases not renewed", { error });
      return;
    }
    const held = new Map(renewed.map((g) => [g.modelId, g.token]));
    for (const [modelId, run] of this.running) {
      if (run.seq > asOf || run.fence.revoked || held.get(modelId) === run.fence.ticket.token) continue;
      const lost = new LeaseLostError(run.fence.ticket, null, "not renewed: it lapsed, or another worker has the model");
      run.fence.revoke("not renewed: it lapsed, or another worker has the model");
      run.controller.abort(lost);
      this.logger.warn("lease lost, run stopped", { modelId, token: run.fence.ticket.token });
    }
  }

  /**
   * Starts one tick and returns once its batch is launched; `settled` resolves with the
   * report when every run ended (or timed out) and the batch was persisted.
   */
  async tick(): Promise<{ settled: Promise<TickReport> }> {
    this.tickCount += 1;
    const tick = this.tickCount;
    const startedAt = this.clock.now();
    this.lastTickAt = startedAt;
    const stale = this.clearStale(startedAt);
    const abandoned = await this.abandonStale(stale, startedAt);

    let enabled: ModelRecord[];
    let claimed: ModelRecord[];
    let grants: Map<string, LeaseGrant>;
    let leases: LeaseRecord[];
    try {
      enabled = await this.db.models.listEnabled();
      // A model still running here (not stale) keeps its lease by renewal, under its run's token; one
      // whose stale run is still inside a broker call waits for it. The others are claimed for a new
      // run, each under a new token that fences off any earlier run of the model.
      const candidates = enabled.filter((m) => !this.running.has(m.id) && !this.draining.has(m.id));
      grants = new Map((await this.db.leases.claim(candidates.map((m) => m.id), this.workerId, this.options.leaseTtlMs)).map((g) => [g.modelId, g]));
      claimed = candidates.filter((m) => grants.has(m.id));
      // Leases this worker holds on models now disabled are given back, so a resumed model can go anywhere.
      leases = await this.db.leases.list();
      const disabledHere = leases.filter((l) => l.workerId === this.workerId && !enabled.some((m) => m.id === l.modelId));
      if (disabledHere.length > 0) await this.db.leases.release(this.workerId, disabledHere.map((l) => l.modelId));
    } catch (error) {
      this.recordCycle(false, true);
      this.logger.error("tick could not start", { tick, error });
      await this.writeHeartbeat("running");
      const report: TickReport = { tick, ran: [], succeeded: [], failed: [], timedOut: [], skipped: [], stale, abandoned, durationMs: this.clock.now() - startedAt };
      return { settled: Promise.resolve(report) };
    }
    const skipped = enabled.filter((m) => !claimed.some((c) => c.id === m.id)).map((m) => m.id);
    this.events.publish("tickStarted", { tick, modelIds: claimed.map((m) => m.id) }, startedAt);
    // Which models wait for which worker until when, on the tick's one line.
    const waiting: string[] = [];
    for (const model of enabled) {
      const lease = skipped.includes(model.id) ? leases.find((l) => l.modelId === model.id && l.workerId !== this.workerId) : undefined;
      if (lease) waiting.push(`${model.name}:${lease.workerId}@${new Date(lease.expiresAt).toISOString()}`);
    }
    this.logger.info("tick started", { tick, models: claimed.length, skipped: skipped.length, stale: stale.length || undefined, waiting: waiting.length > 0 ? waiting.join(",") : undefined });

    const acquired = claimed.filter((m) => !grants.get(m.id)!.continued).map((m) => m.id);
    const settled = this.runBatch(tick, startedAt, claimed, grants, acquired, skipped, stale, abandoned);
    this.batches.add(settled);
    void settled.finally(() => this.batches.delete(settled));
    await this.writeHeartbeat("running");
    return { settled };
  }

  /** Runs one tick to the end (tests and the bench): start it and wait for its batch. */
  async runTick(): Promise<TickReport> {
    const { settled } = await this.tick();
    return settled;
  }

  private clearStale(now: number): string[] {
    const stale: string[] = [];
    for (const [modelId, run] of this.running) {
      const runningForMs = now - run.startedAt;
      if (runningForMs < this.options.staleAfterMs) continue;
      // Fenced off first: from here on the old run starts no broker call, whatever it does with the abort.
      run.fence.revoke(`its run was cleared as stale after ${runningForMs} ms`);
      run.controller.abort(new Error(`stale after ${runningForMs} ms`));
      this.running.delete(modelId);
      const inFlight = run.fence.callsInFlight;
      if (inFlight > 0) {
        // Still inside a broker call: the model starts again only once that call has ended.
        const drained = run.fence.idle().then(() => {
          if (this.draining.get(modelId) === drained) this.draining.delete(modelId);
        });
        this.draining.set(modelId, drained);
      }
      stale.push(modelId);
      this.events.publish("modelStale", { modelId, runningForMs }, now);
      this.logger.warn("model stale, cleared", { modelId, runningForMs, brokerCallsInFlight: inFlight || undefined });
    }
    return stale;
  }

  /** Closes the unfinished invocations of the models whose runs were cleared as stale (none of them runs any more); returns how many. */
  private async abandonStale(stale: readonly string[], now: number): Promise<number> {
    if (stale.length === 0) return 0;
    try {
      const closed = await this.db.invocations.abandonUnfinished({ startedBefore: now, modelIds: stale, reason: `its run was cleared as stale (STALE_AFTER_MS ${this.options.staleAfterMs})` });
      if (closed.length > 0) this.logger.warn("invocations closed as ABANDONED", { invocations: closed.length, models: new Set(closed.map((c) => c.modelId)).size });
      return closed.length;
    } catch (error) {
      // Closed at the next start (or the next stale clear of the model) instead.
      this.logger.warn("abandoned invocations not closed", { error });
      return 0;
    }
  }

  private async runBatch(
    tick: number,
    startedAt: number,
    models: ModelRecord[],
    grants: ReadonlyMap<string, LeaseGrant>,
    acquired: readonly string[],
    skipped: string[],
    stale: string[],
    abandoned: number,
  ): Promise<TickReport> {
    const succeeded: string[] = [];
    const failed: string[] = [];
    const timedOut: string[] = [];
    if (models.length > 0) {
      const pending = new Set(models.map((m) => m.id));
      const runModel: ScheduledRun = async (model, run) => {
        if (!pending.delete(model.id)) {
          this.logger.error("model not run: not in this batch, or run already", { tick, model: model.name });
          return "failed";
        }
        const outcome = await this.runOne(model, grants.get(model.id)!, run);
        if (outcome === "ok") succeeded.push(model.id);
        else if (outcome === "timeout") timedOut.push(model.id);
        else failed.push(model.id);
        return outcome;
      };
      try {
        await this.hooks.runBatch(models, runModel, { acquired });
      } catch (error) {
        this.logger.error("batch failed", { tick, error });
      }
      // A model the batch never ran (its preparation failed) failed this tick; no later call may run it.
      failed.push(...pending);
      pending.clear();
    }
    if (models.length > 0) {
      this.recordCycle(succeeded.length > 0, succeeded.length === 0);
    }
    const durationMs = this.clock.now() - startedAt;
    const report: TickReport = { tick, ran: models.map((m) => m.id), succeeded, failed, timedOut, skipped, stale, abandoned, durationMs };
    this.events.publish("tickFinished", { tick, durationMs, succeeded, failed, timedOut }, this.clock.now());
    this.logger.info("tick finished", { tick, durationMs, succeeded: succeeded.length, failed: failed.length, timedOut: timedOut.length });
    await this.writeHeartbeat("running");
    return report;
  }

  private recordCycle(anySuccess: boolean, failedCycle: boolean): void {
    if (anySuccess) {
      this.lastSuccessAt = this.clock.now();
      this.attemptedSinceSuccess = false;
    } else {
      this.attemptedSinceSuccess = true;
    }
    this.consecutiveFailedCycles = failedCycle ? this.consecutiveFailedCycles + 1 : 0;
  }

  private runOne(model: ModelRecord, lease: LeaseGrant, work: (signal: AbortSignal, fence: BrokerFence) => Promise<ModelRunOutcome>): Promise<RunStatus> {
    const controller = new AbortController();
    const fence = new LeaseFence(this.db.leases, lease);
    const startedAt = this.clock.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<RunStatus>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`model run exceeded ${this.options.modelRunTimeoutMs} ms`));
        resolve("timeout");
      }, this.options.modelRunTimeoutMs);
      // A run stopped for its lost lease failed; one stopped for time (deadline, stale, shutdown) timed out.
      controller.signal.addEventListener("abort", () => resolve(controller.signal.reason instanceof LeaseLostError ? "failed" : "timeout"), { once: true });
    });
    let started: Promise<ModelRunOutcome>;
    try {
      started = work(controller.signal, fence);
    } catch (error) {
      started = Promise.reject(error);
    }
    const run = started.then(
      (outcome) => {
        if (!outcome.ok) this.logger.warn("model run failed", { model: model.name, error: outcome.error ?? undefined });
        return outcome.ok ? ("ok" as const) : ("failed" as const);
      },
      (error: unknown) => {
        this.logger.error("model run threw", { model: model.name, error });
        return "failed" as const;
      },
    );
    const entry: RunningModel = { startedAt, controller, settled: Promise.resolve(), fence, seq: ++this.runSeq };
    // The model stays "running" until its run really ends (or is cleared as stale), even after the deadline.
    entry.settled = run.then(() => {
      if (this.running.get(model.id) === entry) this.running.delete(model.id);
    });
    this.running.set(model.id, entry);
    return Promise.race([run, deadline]).finally(() => clearTimeout(timer));
  }

  private async writeHeartbeat(status: "running" | "stopped"): Promise<void> {
    const h = this.health();
    try {
      await this.db.heartbeats.record({
        workerId: this.workerId,
        host: hostname(),
        pid: process.pid,
        status,
        tick: h.tick,
        startedAt: this.startedAt,
        lastTickAt: h.lastTickAt,
        lastSuccessAt: h.lastSuccessAt,
        runningModelIds: status === "stopped" ? [] : h.runningModelIds,
        consecutiveFailedCycles: h.consecutiveFailedCycles,
        degraded: h.degraded,
        degradedReason: h.degradedReason,
      });
    } catch (error) {
      this.logger.warn("heartbeat not written", { error });
    }
  }

  /**
   * Stops: no new tick; waits up to `graceMs` for running batches, then aborts what
   * still runs and waits for those batches to persist; releases this worker's leases
   * and records the heartbeat as stopped.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.renewal) clearInterval(this.renewal);
    this.wake?.();
    await this.loop;
    const batches = Promise.all([...this.batches]);
    let graceTimer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([batches.then(() => true), new Promise<boolean>((r) => (graceTimer = setTimeout(() => r(false), graceMs)))]);
    clearTimeout(graceTimer);
    if (!finished) {
      this.logger.warn("aborting running models for shutdown", { models: [...this.running.keys()].length });
      for (const run of this.running.values()) run.controller.abort(new Error("worker shutting down"));
      await batches;
    }
    try {
      await this.db.leases.release(this.workerId);
    } catch (error) {
      this.logger.warn("leases not released", { error });
    }
    await this.writeHeartbeat("stopped");
  }
}
