import { expect, it } from "vitest";
import { prismaOf } from "../internal/db-internals.js";
import { describeEachDatabase } from "../testing/databases.js";

describeEachDatabase("WorkerHeartbeatsRepository", (t) => {
  const base = {
    workerId: "host-1-abc",
    host: "host-1",
    pid: 42,
    status: "running" as const,
    tick: 0,
    startedAt: 0,
    lastTickAt: null,
    lastSuccessAt: null,
    runningModelIds: [] as string[],
    consecutiveFailedCycles: 0,
    degraded: false,
    degradedReason: null,
  };

  it("records a worker's state and replaces it on the next write", async () => {
    await prismaOf(t.db).workerHeartbeat.deleteMany();
    const first = await t.db.heartbeats.record({ ...base, startedAt: t.clock.now() });
    expect(first).toMatchObject({ workerId: "host-1-abc", tick: 0, updatedAt: t.clock.now(), runningModelIds: [] });
    t.clock.advanceTo(t.clock.now() + 15_000);
    await t.db.heartbeats.record({
      ...base,
      startedAt: first.startedAt,
      tick: 3,
      lastTickAt: t.clock.now(),
      runningModelIds: ["m1", "m2"],
      consecutiveFailedCycles: 3,
      degraded: true,
      degradedReason: "3 cycles in a row failed",
    });
    const all = await t.db.heartbeats.list();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ tick: 3, runningModelIds: ["m1", "m2"], degraded: true, degradedReason: "3 cycles in a row failed", lastTickAt: t.clock.now() });
    expect(await t.db.heartbeats.byId("nobody")).toBeNull();
  });

  it("prunes workers not heard from since a time", async () => {
    await prismaOf(t.db).workerHeartbeat.deleteMany();
    await t.db.heartbeats.record({ ...base, workerId: "old", startedAt: 0 });
    t.clock.advanceTo(t.clock.now() + 60_000);
    await t.db.heartbeats.record({ ...base, workerId: "new", startedAt: 0 });
    expect(await t.db.heartbeats.pruneBefore(t.clock.now())).toBe(1);
    expect((await t.db.heartbeats.list()).map((h) => h.workerId)).toEqual(["new"]);
  });
});
