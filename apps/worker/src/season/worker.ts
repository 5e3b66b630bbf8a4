/**
 * `autonome season worker`: takes run jobs from the season queue, one at a time, and
 * runs each as a full backtest (see run.ts); any number of these, on any machines,
 * share the seasons of one DATABASE_URL. Before a run it checks the season's budget and
 * skips the run once the budget is spent. A run's outcome is stored once (the first
 * finished attempt); a failed attempt is retried by the queue, on any worker.
 */
import { hostname } from "node:os";
import type PgBoss from "pg-boss";
import { RunCache, type RunEnvironment, executeRun } from "./run.js";
import { SEASON_QUEUE, type SeasonJob, startQueue } from "./queue.js";
import { type SeasonBudget, SeasonStore } from "./store.js";

/** Options of a season worker. */
export interface SeasonWorkerOptions extends RunEnvironment {
  /** Name in the runs table (default host:pid). */
  workerId?: string;
  /** Expiry of runs, for pg-boss's maintenance interval (the jobs carry their own expiry). */
  runTimeoutMs: number;
  log?: (line: string) => void;
}

/** A running worker. */
export interface SeasonWorker {
  readonly workerId: string;
  /** Stops taking jobs; a run in progress gets `graceMs` to finish, then its job is failed back to the queue (retried elsewhere). */
  stop(graceMs?: number): Promise<void>;
}

/** Whether a season's spend has reached its budget. */
export function budgetSpent(budget: SeasonBudget, spent: { tokens: number; usd: number }): string | null {
  if (budget.tokens !== null && spent.tokens >= budget.tokens) return `budget of ${budget.tokens} tokens spent (${spent.tokens})`;
  if (budget.usd !== null && spent.usd >= budget.usd) return `budget of $${budget.usd} spent ($${spent.usd.toFixed(6)})`;
  return null;
}

/** Starts a worker on the season database `options.databaseUrl`. */
export async function startSeasonWorker(options: SeasonWorkerOptions): Promise<SeasonWorker> {
  const log = options.log ?? (() => undefined);
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  const store = await SeasonStore.open(options.databaseUrl);
  let boss: PgBoss;
  try {
    boss = await startQueue(options.databaseUrl, { runTimeoutMs: options.runTimeoutMs, supervise: true, onError: (error) => log(`queue error: ${error.message}`) });
  } catch (error) {
    await store.close();
    throw error;
  }
  const cache = new RunCache();
  await boss.work<SeasonJob>(SEASON_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => {
    if (!job) return;
    const { seasonId, runIndex } = job.data;
    const season = await store.season(seasonId);
    if (!season) {
      log(`run ${seasonId}#${runIndex}: no such season (deleted); dropping the job`);
      return;
    }
    const run = season.spec.runs.find((r) => r.index === runIndex);
    if (!run) {
      log(`run ${seasonId}#${runIndex}: not in the season; dropping the job`);
      return;
    }
    const progress = await store.progress(seasonId);
    const spent = budgetSpent(season.budget, { tokens: progress.spentTokens, usd: progress.spentUsd });
    if (spent !== null) {
      await store.skipRun(seasonId, runIndex, spent);
      log(`run ${seasonId}#${runIndex}: skipped, ${spent}`);
      return;
    }
    if (!(await store.markRunning(seasonId, runIndex, workerId))) return; // already done by another attempt
    log(`run ${seasonId}#${runIndex}: started (attempt ${job.retryCount + 1})`);
    try {
      const outcome = await executeRun(season.spec, run, options, cache);
      const stored = await store.finishRun(seasonId, outcome);
      log(`run ${seasonId}#${runIndex}: done in ${(outcome.wallMs / 1000).toFixed(1)} s${stored ? "" : " (another attempt finished it first)"}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await store.failRun(seasonId, runIndex, message, job.retryCount >= job.retryLimit);
      log(`run ${seasonId}#${runIndex}: failed: ${message}`);
      throw error;
    }
  });
  log(`season worker ${workerId} waiting for runs`);
  let stopping: Promise<void> | undefined;
  return {
    workerId,
    stop: (graceMs = 5_000) =>
      (stopping ??= (async () => {
        await boss.stop({ graceful: true, timeout: graceMs, wait: true });
        await store.close();
      })()),
  };
}
