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
  /**
   * Stops taking jobs: a job that a fetch under way takes is handed back to the queue
   * unstarted; a run in progress gets `graceMs` to finish, then its job is failed back
   * to the queue (retried at once, elsewhere). No job is left active behind it.
   */
  stop(graceMs?: number): Promise<void>;
}

const POLL_MS = 500;

/** A worker's default name in the runs table: host:pid. */
export function workerIdOf(pid: number): string {
  return `${hostname()}:${pid}`;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Whether a season's spend has reached its budget. */
export function budgetSpent(budget: SeasonBudget, spent: { tokens: number; usd: number }): string | null {
  if (budget.tokens !== null && spent.tokens >= budget.tokens) return `budget of ${budget.tokens} tokens spent (${spent.tokens})`;
  if (budget.usd !== null && spent.usd >= budget.usd) return `budget of $${budget.usd} spent ($${spent.usd.toFixed(6)})`;
  return null;
}

/** Starts a worker on the season database `options.databaseUrl`. */
export async function startSeasonWorker(options: SeasonWorkerOptions): Promise<SeasonWorker> {
  const log = options.log ?? (() => undefined);
  const workerId = options.workerId ?? workerIdOf(process.pid);
  const store = await SeasonStore.open(options.databaseUrl);
  let boss: PgBoss;
  try {
    boss = await startQueue(options.databaseUrl, { runTimeoutMs: options.runTimeoutMs, supervise: true, onError: (error) => log(`queue error: ${error.message}`) });
  } catch (error) {
    await store.close();
    throw error;
  }
  const cache = new RunCache();

  /** The run of one job: resolves when it is settled in the store (done, skipped, dropped), throws when the attempt failed (stored as such). */
  const attempt = async (job: PgBoss.JobWithMetadata<SeasonJob>): Promise<void> => {
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
      const message = errorText(error);
      log(`run ${seasonId}#${runIndex}: failed: ${message}`);
      await store.failRun(seasonId, runIndex, message, job.retryCount >= job.retryLimit);
      throw error;
    }
  };

  /**
   * Gives a job back to the queue without a result: failed, so pg-boss retries it at once
   * (retryDelay 0) on any worker, or fails it for good when its retries are spent (the
   * coordinator then sends the run again on resume). Never left active until its expiry.
   */
  const handBack = async (job: PgBoss.JobWithMetadata<SeasonJob>, reason: string, runStarted: boolean): Promise<void> => {
    const { seasonId, runIndex } = job.data;
    try {
      await boss.fail(SEASON_QUEUE, job.id, { message: reason });
      if (runStarted) await store.failRun(seasonId, runIndex, reason, job.retryCount >= job.retryLimit);
      log(`run ${seasonId}#${runIndex}: back to the queue: ${reason}`);
    } catch (error) {
      log(`run ${seasonId}#${runIndex}: could not give its job back (${errorText(error)}); the queue retries it when it expires`);
    }
  };

  // The job loop (pg-boss's fetch, complete and fail; not its work(), whose stop can
  // close the queue while a fetch is in flight and so leave the job that fetch takes
  // active, with nobody running it, until it expires). One job at a time.
  let stopping = false;
  let wake: () => void = () => undefined;
  let abandon: () => void = () => undefined;
  const abandoned = new Promise<"abandoned">((resolve) => {
    abandon = () => resolve("abandoned");
  });
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopping) {
      let job: PgBoss.JobWithMetadata<SeasonJob> | undefined;
      try {
        [job] = await boss.fetch<SeasonJob>(SEASON_QUEUE, { batchSize: 1, includeMetadata: true });
      } catch (error) {
        log(`queue error: ${errorText(error)}`);
      }
      if (!job) {
        if (!stopping) await pause(POLL_MS);
        continue;
      }
      // Taken by a fetch that was under way when the stop came: not ours to start.
      if (stopping) {
        await handBack(job, "its worker stopped before starting it", false);
        break;
      }
      const { seasonId, runIndex } = job.data;
      const expiryMs = Math.max(1, Number((job as { expireInSeconds?: number | string }).expireInSeconds ?? options.runTimeoutMs / 1000)) * 1000;
      let expiryTimer: NodeJS.Timeout | undefined;
      const expired = new Promise<"expired">((resolve) => {
        expiryTimer = setTimeout(() => resolve("expired"), expiryMs);
      });
      const settled = attempt(job).then(
        () => "done" as const,
        (error: unknown) => ({ error }),
      );
      const result = await Promise.race([settled, abandoned, expired]);
      clearTimeout(expiryTimer);
      if (result === "done") {
        await boss.complete(SEASON_QUEUE, job.id).catch((error: unknown) => log(`run ${seasonId}#${runIndex}: could not complete its job: ${errorText(error)}`));
      } else if (result === "abandoned") {
        await handBack(job, "its worker stopped before the run finished", true);
      } else if (result === "expired") {
        await handBack(job, `the run exceeded its timeout of ${expiryMs / 1000} s`, true);
      } else {
        await boss.fail(SEASON_QUEUE, job.id, { message: errorText(result.error) }).catch((error: unknown) => log(`run ${seasonId}#${runIndex}: could not fail its job: ${errorText(error)}`));
      }
    }
  })();

  log(`season worker ${workerId} waiting for runs`);
  let stopping$: Promise<void> | undefined;
  return {
    workerId,
    stop: (graceMs = 5_000) =>
      (stopping$ ??= (async () => {
        stopping = true;
        wake();
        // A fetch under way is always waited for (what it takes is handed back); a run in
        // progress gets the grace, then its job goes back to the queue.
        const grace = setTimeout(abandon, graceMs);
        await loop;
        clearTimeout(grace);
        await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
        await store.close();
      })()),
  };
}
