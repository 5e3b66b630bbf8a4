/**
 * The season's job queue: pg-boss on the season's PostgreSQL. One job per run, on one
 * queue shared by every season; any number of `autonome season worker` processes, on
 * one machine or many, pointed at the same DATABASE_URL, take jobs with SELECT ... FOR
 * UPDATE SKIP LOCKED. A job that stays active past its expiry (its worker was killed)
 * is failed by pg-boss's maintenance and retried, by whichever worker fetches it next.
 *
 * Why pg-boss (10.x) and not graphile-worker: this needs per-job expiry so that a
 * killed worker's run is retried after a bound we choose (graphile-worker keeps a
 * crashed worker's jobs locked for 4 hours unless its paid Pro edition is used), and
 * Node 20 (pg-boss 10 supports it; pg-boss 11+ and graphile-worker 0.18 need Node 22).
 * Polling (every 0.5 s) is plenty for jobs that last seconds to hours.
 */
import PgBoss from "pg-boss";

/** The queue of season runs. */
export const SEASON_QUEUE = "autonome-season-run";
/** pg-boss's schema in the season database. */
export const SEASON_QUEUE_SCHEMA = "autonome_season_queue";

/** A job's payload: which run of which season. */
export interface SeasonJob {
  seasonId: string;
  runIndex: number;
}

/** How long a run may stay active before the queue retries it elsewhere, and how often it checks. */
export interface QueueTiming {
  runTimeoutMs: number;
  retries: number;
}

/** pg-boss's maintenance interval for a run timeout: a quarter of it, 1 s to 60 s, so an expired run is noticed soon after. */
export function maintenanceIntervalSeconds(runTimeoutMs: number): number {
  return Math.max(1, Math.min(60, Math.floor(runTimeoutMs / 4000)));
}

/** Starts pg-boss on the season database and makes sure the queue exists. */
export async function startQueue(url: string, options: { runTimeoutMs: number; supervise: boolean; onError?: (error: Error) => void }): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    schema: SEASON_QUEUE_SCHEMA,
    application_name: "autonome-season",
    max: 4,
    supervise: options.supervise,
    schedule: false,
    maintenanceIntervalSeconds: maintenanceIntervalSeconds(options.runTimeoutMs),
  });
  boss.on("error", (error: Error) => options.onError?.(error));
  await boss.start();
  if (!(await boss.getQueue(SEASON_QUEUE))) {
    await boss.createQueue(SEASON_QUEUE).catch(async (error: unknown) => {
      // Another process created it between the check and here.
      if (!(await boss.getQueue(SEASON_QUEUE))) throw error;
    });
  }
  return boss;
}

/** Sends one run's job; returns its id. */
export async function sendRunJob(boss: PgBoss, job: SeasonJob, timing: QueueTiming): Promise<string> {
  const id = await boss.send(SEASON_QUEUE, job, { retryLimit: timing.retries, retryDelay: 0, expireInSeconds: Math.max(1, Math.ceil(timing.runTimeoutMs / 1000)) });
  if (id === null) throw new Error(`the queue refused the job of run ${job.runIndex}`);
  return id;
}

/** Whether a job will still run (created, retry or active). */
export async function jobPending(boss: PgBoss, id: string): Promise<boolean> {
  const job = await boss.getJobById(SEASON_QUEUE, id);
  return job !== null && (job.state === "created" || job.state === "retry" || job.state === "active");
}
