/**
 * Two worker processes on one PostgreSQL: no model runs twice at once, a killed
 * worker's models are picked up by the other, and events reach a subscriber in another
 * process through LISTEN/NOTIFY. On TEST_DATABASE_URL (the vitest globalSetup starts a
 * PostgreSQL 18 when unset); skipped when unreachable, except when CI=true, where it fails.
 */
import { ManualClock } from "@autonome/core";
import { type Db, type ReceivedEvent, createDb, createEventChannel } from "@autonome/db";
import { testDatabaseUrl, testPostgresSkipReason } from "@autonome/db/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorkerProcess } from "./testing/worker-process.js";

const url = testDatabaseUrl();
const problem = await testPostgresSkipReason("the two-worker PostgreSQL test");

type Running = RunningWorker;

function startWorker(env: Record<string, string>): Running {
  const running = startWorkerProcess(env);
  spawned.push(running);
  return running;
}

const spawned: Running[] = [];

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 150_000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; output:\n${spawned.map((w) => w.lines.slice(-30).join("\n")).join("\n----\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(problem !== null)("two workers on one PostgreSQL", () => {
  const schema = `test_${globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const databaseUrl = url === undefined ? "" : `${url}${url.includes("?") ? "&" : "?"}schema=${schema}`;
  const models = Array.from({ length: 6 }, (_, i) => ({ id: `rule-${i}`, kind: "rule", rule: ["buy-and-hold-btc", "trend-follower", "mean-reverter"][i % 3] }));
  const env = {
    DATABASE_URL: databaseUrl,
    MODELS: JSON.stringify(models),
    TRADE_INTERVAL_MS: "1500",
    // Roomy deadlines: a run cut short by a loaded machine is abandoned by design once stale.
    AGENT_TIMEOUT_MS: "6000",
    MODEL_RUN_TIMEOUT_MS: "6000",
    STALE_AFTER_MS: "8000",
  };
  let db: Db;
  const workers: Running[] = [];

  beforeAll(async () => {
    db = await createDb({ kind: "postgres", url: databaseUrl, clock: new ManualClock(Date.now()), maxConnections: 2 });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await db?.close();
    if (url !== undefined) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  it("never runs a model on both at once, hands a killed worker's models to the other, and publishes events over NOTIFY", async () => {
    const received: ReceivedEvent[] = [];
    const channel = createEventChannel(db);
    await channel.subscribe((e) => received.push(e));

    const a = startWorker(env);
    const b = startWorker(env);
    workers.push(a, b);
    const ticksOf = (w: Running) => w.lines.filter((l) => l.includes("tick finished")).length;
    await until(() => ticksOf(a) >= 3 && ticksOf(b) >= 3, "three ticks of each worker");

    // Each model's invocations never overlap in time, whichever worker ran them.
    const invocations = await db.invocations.history();
    expect(invocations.length).toBeGreaterThanOrEqual(6);
    const byModel = new Map<string, typeof invocations>();
    for (const i of invocations) byModel.set(i.modelId, [...(byModel.get(i.modelId) ?? []), i]);
    expect(byModel.size).toBe(6);
    for (const list of byModel.values()) {
      for (let k = 1; k < list.length; k++) {
        const previousEnd = list[k - 1]!.finishedAt ?? list[k - 1]!.startedAt;
        expect(list[k]!.startedAt).toBeGreaterThanOrEqual(previousEnd);
      }
    }

    // Kill (no clean-up) the worker holding the most leases; the other takes its models once the leases expire.
    const leases = await db.leases.list();
    const heartbeats = await db.heartbeats.list();
    const holder = heartbeats.map((h) => ({ h, n: leases.filter((l) => l.workerId === h.workerId).length })).sort((x, y) => y.n - x.n)[0]!.h;
    const victim = [a, b].find((w) => w.child.pid === holder.pid)!;
    const survivor = victim === a ? b : a;
    expect(victim).toBeDefined();
    victim.child.kill("SIGKILL");
    await victim.exited;
    await until(async () => {
      const now = await db.leases.list();
      return now.length === 6 && now.every((l) => l.workerId !== holder.workerId);
    }, "the survivor to lease every model");
    const after = await db.invocations.count();
    await until(async () => (await db.invocations.count()) >= after + 6, "the survivor to run the models");

    expect(received.some((e) => e.type === "tickFinished")).toBe(true);
    expect(received.some((e) => e.type === "invocationFinished" || e.type === "decisionMade")).toBe(true);

    survivor.child.kill("SIGTERM");
    expect(await survivor.exited).toBe(0);
    await channel.close();
  }, 400_000);
});
