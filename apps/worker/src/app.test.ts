import { emptyExitPlan, toDecimal } from "@autonome/core";
import { createDb } from "@autonome/db";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startWorker } from "./app.js";
import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

const MODELS = JSON.stringify([
  { id: "buy-and-hold-btc", kind: "rule", rule: "buy-and-hold-btc" },
  { id: "trend-follower", kind: "rule", rule: "trend-follower" },
]);

describe("the worker's start", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A data directory with the configured models in it, prepared by `prepare` while no worker runs. */
  async function dataDir(prepare: (db: Awaited<ReturnType<typeof createDb>>) => Promise<void>): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "autonome-start-"));
    dirs.push(dir);
    const db = await createDb({ kind: "pglite", dataDir: join(dir, "db") });
    try {
      await db.models.upsert({ name: "buy-and-hold-btc", provider: "rule", modelName: "buy-and-hold-btc" });
      await db.models.upsert({ name: "trend-follower", provider: "rule", modelName: "trend-follower" });
      await prepare(db);
    } finally {
      await db.close();
    }
    return dir;
  }

  it("closes the invocations no run will finish as ABANDONED, counted: older than STALE_AFTER_MS, and every one of a dead worker's models", async () => {
    const now = Date.now();
    const ids: Record<string, string> = {};
    const dir = await dataDir(async (db) => {
      const hold = (await db.models.byName("buy-and-hold-btc"))!;
      const trend = (await db.models.byName("trend-follower"))!;
      // An old run of a model nobody leases, and a recent one of a model its dead worker still leases.
      ids.old = (await db.invocations.start({ modelId: hold.id, prompt: "p", startedAt: now - 120_000 })).id;
      ids.recent = (await db.invocations.start({ modelId: trend.id, prompt: "p", startedAt: now - 1_000 })).id;
      await db.leases.claim([trend.id], "a-dead-worker", 600_000);
    });
    const lines: string[] = [];
    const config = loadConfig({ INIT_CWD: dir, AUTONOME_DB_DIR: "db", MODELS, STALE_AFTER_MS: "60000", MODEL_RUN_TIMEOUT_MS: "60000", AGENT_TIMEOUT_MS: "60000", LOG_LEVEL: "info" });
    const worker = await startWorker(config, createLogger("info", (line) => lines.push(line)), { autoStart: false });
    try {
      expect(lines.some((l) => / WARN {2}invocations closed as ABANDONED invocations=2 models=2/.test(l))).toBe(true);
      for (const id of [ids.old!, ids.recent!]) {
        const invocation = (await worker.db.invocations.byId(id))!;
        expect(invocation.finishedAt).not.toBeNull();
        expect(invocation.error).toMatch(/^ABANDONED: /);
      }
      expect((await worker.db.models.list()).map((m) => m.failedWorkflowCount)).toEqual([1, 1]);
    } finally {
      await worker.stop(0);
    }
  }, 120_000);

  it("logs and publishes the closes start-up reconciliation finds, like any tick's", async () => {
    let orderId = "";
    const dir = await dataDir(async (db) => {
      const hold = (await db.models.byName("buy-and-hold-btc"))!;
      // A long whose stop lies far above any price: crossed the moment the simulator restores it.
      const order = await db.orders.openPosition({
        modelId: hold.id,
        symbol: "BTC",
        side: "LONG",
        quantity: "0.01",
        leverage: "2",
        entryPrice: "100000",
        exitPlan: { ...emptyExitPlan(), stop: toDecimal(10_000_000) },
      });
      orderId = order.orderId;
    });
    const lines: string[] = [];
    const config = loadConfig({ INIT_CWD: dir, AUTONOME_DB_DIR: "db", MODELS, LOG_LEVEL: "info" });
    const worker = await startWorker(config, createLogger("info", (line) => lines.push(line)), { autoStart: false });
    try {
      expect((await worker.db.orders.byId(orderId))?.status).toBe("CLOSED");
      expect(lines.filter((l) => l.includes("position closed at the venue"))).toEqual([expect.stringMatching(/closeTrigger=STOP/)]);
      // Published after the log and the event transport subscribed: the event's own line is there.
      expect(lines.filter((l) => / INFO {2}position closed modelId=/.test(l))).toEqual([expect.stringMatching(/symbol=BTC .*trigger=STOP/)]);
    } finally {
      await worker.stop(0);
    }
  }, 120_000);
});
