/**
 * /api/health while the database is down: 200 with `database: "down"`, what was known
 * last and the worker of this process live, instead of a 500.
 */
import { ManualClock } from "@autonome/core";
import { createDb } from "@autonome/db";
import { describe, expect, it } from "vitest";
import { createApiServer } from "./server.js";

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

describe("/api/health", () => {
  it("answers 200 with database down, the last known workers and models, and the local worker's last tick", async () => {
    const clock = new ManualClock(T0);
    const db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
    const model = await db.models.create({ name: "gpt-test", provider: "openai", modelName: "gpt-test" });
    await db.heartbeats.record({ workerId: "other", host: "h2", pid: 2, status: "running", tick: 3, startedAt: T0 - 60_000, lastTickAt: T0 - 5_000, lastSuccessAt: T0 - 5_000, runningModelIds: [], consecutiveFailedCycles: 0, degraded: false, degradedReason: null });
    let tick = 7;
    const local = () => ({ workerId: "here", host: "h1", pid: 1, status: "running" as const, tick, startedAt: T0 - 120_000, lastTickAt: clock.now() - 1_000, lastSuccessAt: clock.now() - 1_000, runningModelIds: [], consecutiveFailedCycles: 0, degraded: false, degradedReason: null, updatedAt: clock.now() });
    const api = createApiServer({ db, clock, staticDir: null, localWorker: local });
    const health = async () => {
      const response = await api.app.fetch(new Request("http://api/api/health"));
      return { status: response.status, json: (await response.json()) as any };
    };

    const up = await health();
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ status: "ok", database: "up", databaseDownSince: null, databaseError: null });
    expect(up.json.workers.map((w: any) => [w.workerId, w.tick])).toEqual([
      ["other", 3],
      ["here", 7],
    ]);
    expect(up.json.models.map((m: any) => m.id)).toEqual([model.id]);

    // The database goes away.
    await db.close();
    clock.set(T0 + 10_000);
    tick = 8;
    const down = await health();
    expect(down.status).toBe(200);
    expect(down.json).toMatchObject({ status: "databaseDown", database: "down", databaseDownSince: T0 + 10_000 });
    expect(typeof down.json.databaseError).toBe("string");
    expect(down.json.databaseError).not.toContain("\n");
    // What was known last, and this process's worker live: its last tick is current.
    expect(down.json.workers.map((w: any) => [w.workerId, w.tick, w.lastTickAt])).toEqual([
      ["other", 3, T0 - 5_000],
      ["here", 8, T0 + 9_000],
    ]);
    expect(down.json.models.map((m: any) => m.id)).toEqual([model.id]);
    clock.set(T0 + 15_000);
    // Still the same outage.
    expect((await health()).json.databaseDownSince).toBe(T0 + 10_000);
    await api.close();
  }, 60_000);
});
