/**
 * The data directory's lock with real worker processes: two workers started at the same
 * moment, or 2.5 s apart (the second while the first is still opening PGlite), on one
 * fresh directory; exactly one runs, the other exits 2 with one line naming the directory
 * and the pid holding it, and the first keeps every row. After SIGKILL the lock is stale
 * and a restart takes it over.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { readDataDirLock } from "@autonome/db";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { liveLock, lockPathOf } from "./embedded.js";
import { type RunningWorker, startWorkerProcess } from "./testing/worker-process.js";

const spawned: RunningWorker[] = [];

function start(env: Record<string, string>): RunningWorker {
  const running = startWorkerProcess(env);
  spawned.push(running);
  return running;
}

async function waitFor(running: RunningWorker, predicate: (lines: string[]) => boolean, timeoutMs = 150_000): Promise<void> {
  const started = Date.now();
  while (!predicate(running.lines)) {
    if (running.child.exitCode !== null) throw new Error(`worker exited early:\n${running.lines.join("\n")}`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out; worker output:\n${running.lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ticked = (lines: string[]) => lines.some((l) => l.includes("tick finished"));

/** The line a refused worker prints, for the holder's pid. */
function inUseLine(dataDir: string, pid: number): RegExp {
  const escaped = dataDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^autonome worker: AUTONOME_DB_DIR ${escaped} is in use by worker process ${pid} on ${hostname()} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; stop that process first, or set DATABASE_URL to share a PostgreSQL database between workers$`);
}

/** Ids of every order, invocation and model, read through the worker that serves the directory. */
async function rows(dataDir: string): Promise<{ orders: string[]; invocations: string[]; models: string[] }> {
  const lock = await liveLock(dataDir);
  if (lock === null) throw new Error(`no live worker serves ${dataDir}`);
  const client = new pg.Client({ connectionString: lock.url });
  await client.connect();
  try {
    const ids = async (table: string) => (await client.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id);
    return { orders: await ids("orders"), invocations: await ids("invocations"), models: await ids("models") };
  } finally {
    await client.end();
  }
}

describe("one worker per embedded data directory", () => {
  const parent = mkdtempSync(join(tmpdir(), "autonome-lock-"));
  const envOf = (dir: string) => ({ INIT_CWD: parent, AUTONOME_DB_DIR: dir, TRADE_INTERVAL_MS: "2000", LOG_LEVEL: "info", DATABASE_URL: "" });
  afterAll(() => {
    for (const w of spawned) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    rmSync(parent, { recursive: true, force: true });
  });

  it("of two workers started at the same moment on a fresh directory, exactly one runs; the other exits 2 with one line naming the directory and the holder's pid", async () => {
    const dataDir = join(parent, "same-moment");
    const pair = [start(envOf("same-moment")), start(envOf("same-moment"))];
    const firstExit = await Promise.race(pair.map((w, i) => w.exited.then((code) => ({ i, code }))));
    const loser = pair[firstExit.i]!;
    const winner = pair[1 - firstExit.i]!;
    expect(firstExit.code).toBe(2);
    expect(loser.errors).toHaveLength(1);
    expect(loser.errors[0]).toMatch(inUseLine(dataDir, winner.child.pid!));
    await waitFor(winner, ticked);
    expect(readDataDirLock(dataDir)).toMatchObject({ pid: winner.child.pid, holder: "worker" });
    winner.child.kill("SIGTERM");
    expect(await winner.exited).toBe(0);
    expect(existsSync(lockPathOf(dataDir))).toBe(false);
  }, 300_000);

  it("a worker started 2.5 s after another on a fresh directory exits 2 and the first keeps every row; after SIGKILL a restart takes the lock over", async () => {
    const dataDir = join(parent, "apart");
    const first = start(envOf("apart"));
    await new Promise((r) => setTimeout(r, 2_500));
    // The first is still opening PGlite; the lock was taken before that.
    expect(ticked(first.lines)).toBe(false);
    const second = start(envOf("apart"));
    expect(await second.exited).toBe(2);
    expect(second.errors).toHaveLength(1);
    expect(second.errors[0]).toMatch(inUseLine(dataDir, first.child.pid!));

    await waitFor(first, (lines) => lines.filter((l) => l.includes("tick finished")).length >= 2);
    const before = await rows(dataDir);
    expect(before.orders.length).toBeGreaterThan(0);
    expect(before.invocations.length).toBeGreaterThan(0);
    // A third one while it trades: refused as well, and nothing of the first's is lost.
    const third = start(envOf("apart"));
    expect(await third.exited).toBe(2);
    expect(third.errors).toEqual([expect.stringMatching(inUseLine(dataDir, first.child.pid!))]);
    const after = await rows(dataDir);
    expect(after.models).toEqual(before.models);
    expect(after.orders).toEqual(expect.arrayContaining(before.orders));
    expect(after.invocations).toEqual(expect.arrayContaining(before.invocations));

    // SIGKILL: nothing runs, the lock file stays, but it names a dead process.
    first.child.kill("SIGKILL");
    await first.exited;
    expect(readDataDirLock(dataDir)?.pid).toBe(first.child.pid);
    const restarted = start(envOf("apart"));
    await waitFor(restarted, ticked);
    expect(readDataDirLock(dataDir)?.pid).toBe(restarted.child.pid);
    const restored = await rows(dataDir);
    expect(restored.models).toEqual(before.models);
    expect(restored.orders).toEqual(expect.arrayContaining(after.orders));
    expect(restored.invocations).toEqual(expect.arrayContaining(after.invocations));
    restarted.child.kill("SIGTERM");
    expect(await restarted.exited).toBe(0);
    expect(existsSync(lockPathOf(dataDir))).toBe(false);
  }, 400_000);
});
