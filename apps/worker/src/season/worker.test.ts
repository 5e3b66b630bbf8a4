/**
 * A season worker's stop, at the moments that matter for a resume, on a real PostgreSQL
 * and pg-boss: whatever job the stopping worker holds must go back to the queue at once
 * (never stay `active` until its expiry, 30 min by default), so that the next worker,
 * e.g. the resumed season's, runs it within seconds.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testPostgresSkipReason } from "@autonome/db/testing";
import pg from "pg";
import type PgBoss from "pg-boss";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseSeasonArgs } from "./options.js";
import { SEASON_QUEUE, SEASON_QUEUE_SCHEMA, sendRunJob, startQueue } from "./queue.js";
import { buildSeasonSpec } from "./spec.js";
import { SeasonStore } from "./store.js";
import { createSeasonTestDatabase, type SeasonTestDatabase } from "./testing.js";
import { type SeasonWorker, startSeasonWorker } from "./worker.js";

const skip = await testPostgresSkipReason("the season worker tests");
const work = mkdtempSync(join(tmpdir(), "autonome-season-worker-"));
const RUN_TIMEOUT_MS = 30 * 60_000; // the default: a job left active would block its run for this long
let db: SeasonTestDatabase | undefined;
let store: SeasonStore;
let boss: PgBoss;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  if (skip) return;
  db = await createSeasonTestDatabase("season_worker");
  store = await SeasonStore.open(db.url);
  boss = await startQueue(db.url, { runTimeoutMs: RUN_TIMEOUT_MS, supervise: false });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await boss?.stop({ graceful: false, wait: true }).catch(() => undefined);
  await store?.close().catch(() => undefined);
  await db?.drop();
});

/** A season of one short synthetic run, queued; returns the run's job id. */
async function queueOneRun(seasonId: string, window = "30m"): Promise<string> {
  const models = join(work, "models.json");
  writeFileSync(models, JSON.stringify([
      { id: "buy-and-hold-btc", kind: "rule", rule: "buy-and-hold-btc" },
      { id: "mean-reverter", kind: "rule", rule: "mean-reverter" },
    ]));
  const options = parseSeasonArgs(["--seeds", "1", "--synthetic-symbols", "BTC", "--window", window, "--warmup", "3h", "--models-file", models, "--out", join(work, seasonId)], {}, work);
  await store.ensureSeason(seasonId, buildSeasonSpec(options.input), { tokens: null, usd: null });
  const jobId = await sendRunJob(boss, { seasonId, runIndex: 0 }, { runTimeoutMs: RUN_TIMEOUT_MS, retries: 2 });
  await store.markQueued(seasonId, 0, jobId);
  return jobId;
}

async function worker(workerId: string, log?: (line: string) => void): Promise<SeasonWorker> {
  const started = await startSeasonWorker({ databaseUrl: db!.url, llmCacheDir: join(work, "llm-cache"), runTimeoutMs: RUN_TIMEOUT_MS, workerId, ...(log ? { log } : {}) });
  cleanups.push(() => started.stop(0));
  return started;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const jobState = async (id: string) => (await boss.getJobById(SEASON_QUEUE, id))?.state;

describe.skipIf(skip)("season worker stop", () => {
  it("hands back a job that its last fetch took while it was stopping: the next worker runs it at once", async () => {
    const jobId = await queueOneRun("fetch-race");
    // Hold the job table so that the worker's first fetch waits inside PostgreSQL; the
    // stop then comes while that fetch is in flight, and the fetch returns the job
    // (state active) only after the stop began: the interleaving of the CI hang.
    const locker = new pg.Client({ connectionString: db!.url });
    await locker.connect();
    cleanups.push(() => locker.end());
    // Watched from another session: inside the locker's transaction pg_stat_activity is a
    // snapshot taken at its first read, which would never show the fetch arriving later.
    const watcher = new pg.Client({ connectionString: db!.url });
    await watcher.connect();
    cleanups.push(() => watcher.end());
    await locker.query("BEGIN");
    let locked = true;
    const unlock = async () => {
      if (locked) await locker.query("COMMIT");
      locked = false;
    };
    try {
      await locker.query(`LOCK TABLE ${SEASON_QUEUE_SCHEMA}.job IN EXCLUSIVE MODE`);
      const first = await worker("first");
      await until(
        "the worker's fetch waiting on the lock",
        async () => (await watcher.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%FOR UPDATE SKIP LOCKED%'`)).rowCount,
        60_000,
      );
      const stopped = first.stop(1_000);
      await new Promise((r) => setTimeout(r, 300)); // the stop under way, the fetch still waiting
      await unlock();
      await stopped;
    } finally {
      await unlock(); // never leave the table locked: a worker's stop waits for its fetch
    }

    // Back in the queue, not active until its expiry; the stopped worker did not start it.
    expect(await jobState(jobId)).not.toBe("active");
    const [before] = await store.runs("fetch-race");
    expect(before).toMatchObject({ status: "queued", attempts: 0 });

    await worker("second");
    const done = await until("the run done by the next worker", async () => (await store.runs("fetch-race")).find((r) => r.status === "done"), 60_000);
    expect(done).toMatchObject({ worker: "second", attempts: 1 });
    await until("its job completed (right after the run is stored)", async () => (await jobState(jobId)) === "completed", 10_000);
  }, 120_000);

  it("fails a run still in progress after the grace back to the queue: the next worker runs it again", async () => {
    const jobId = await queueOneRun("mid-run", "6h");
    const lines: string[] = [];
    const first = await worker("first", (line) => lines.push(line));
    await until("the run started", async () => (await store.runs("mid-run")).find((r) => r.status === "running"), 30_000);
    await first.stop(200);
    expect(await jobState(jobId)).toBe("retry");
    expect(lines).toContain("run mid-run#0: back to the queue: its worker stopped before the run finished");

    await worker("second");
    const done = await until("the run done by the next worker", async () => (await store.runs("mid-run")).find((r) => r.status === "done"), 90_000);
    expect(done).toMatchObject({ worker: "second", attempts: 2 });
    await until("its job completed (right after the run is stored)", async () => (await jobState(jobId)) === "completed", 10_000);
    // The abandoned attempt (still running in this process) ends without storing anything: its worker's store is closed.
    await until("the abandoned attempt over", async () => lines.some((l) => /^run mid-run#0: (done|failed)/.test(l)), 60_000);
    expect(lines.find((l) => /^run mid-run#0: (done|failed)/.test(l))).toMatch(/^run mid-run#0: failed: /);
  }, 180_000);
});
