import { type ArenaEvent, ArenaEventBus, ManualClock } from "@autonome/core";
import { type Db, LeaseLostError, type ModelRecord, createDb } from "@autonome/db";
import type { BrokerFence } from "@autonome/trading";
import { truncateAllTables } from "@autonome/db/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { type ModelRunOutcome, type SchedulerHooks, Scheduler } from "./scheduler.js";

const T0 = Date.UTC(2026, 0, 1);

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("Scheduler", () => {
  let db: Db;
  let clock: ManualClock;
  let events: ArenaEventBus;
  let seen: ArenaEvent[];
  const schedulers: Scheduler[] = [];

  beforeAll(async () => {
    db = await createDb({ kind: "pglite", dataDir: "memory://", clock: { now: () => clock.now() } });
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop(0);
    clock = new ManualClock(T0);
    events = new ArenaEventBus();
    seen = [];
    events.onAny((e) => seen.push(e));
    await truncateAllTables(db);
  });

  async function models(...names: string[]): Promise<ModelRecord[]> {
    const out: ModelRecord[] = [];
    for (const name of names) out.push(await db.models.create({ name, provider: "rule", modelName: "trend-follower" }));
    return out;
  }

  /** Hooks that run every model of the batch at once through the scheduler, then `after` (as runTick does around its runs). */
  function eachModel(
    runModel: (model: ModelRecord, signal: AbortSignal, fence: BrokerFence) => Promise<ModelRunOutcome>,
    after?: (batch: readonly ModelRecord[]) => Promise<void>,
  ): SchedulerHooks {
    return {
      async runBatch(batch, run) {
        await Promise.all(batch.map((m) => run(m, (signal, fence) => runModel(m, signal, fence))));
        await after?.(batch);
      },
    };
  }

  function scheduler(hooks: SchedulerHooks, overrides: Partial<{ modelRunTimeoutMs: number; staleAfterMs: number; workerId: string; leaseTtlMs: number }> = {}) {
    const s = new Scheduler({
      db,
      clock,
      events,
      hooks,
      workerId: overrides.workerId ?? "w1",
      options: { tradeIntervalMs: 60_000, modelRunTimeoutMs: overrides.modelRunTimeoutMs ?? 5_000, staleAfterMs: overrides.staleAfterMs ?? 600_000, ...(overrides.leaseTtlMs ? { leaseTtlMs: overrides.leaseTtlMs } : {}) },
    });
    schedulers.push(s);
    return s;
  }

  it("runs every enabled model in parallel: a hung model times out without holding back the others", async () => {
    const [slow, fast1, fast2] = await models("slow", "fast1", "fast2");
    const finished: string[] = [];
    const batches: string[][] = [];
    const s = scheduler(
      eachModel(
        async (model, signal) => {
          if (model.id === slow!.id) {
            // Ignores its signal: the scheduler must stop waiting anyway.
            await new Promise((r) => setTimeout(r, 3_000));
            return { ok: true };
          }
          finished.push(model.name);
          expect(signal.aborted).toBe(false);
          return { ok: true };
        },
        async (ms) => {
          batches.push(ms.map((m) => m.name).sort());
        },
      ),
      { modelRunTimeoutMs: 200 },
    );
    const report = await s.runTick();
    expect(report.succeeded.sort()).toEqual([fast1!.id, fast2!.id].sort());
    expect(report.timedOut).toEqual([slow!.id]);
    expect(finished.sort()).toEqual(["fast1", "fast2"]);
    expect(batches).toEqual([["fast1", "fast2", "slow"]]);
    const finishedEvent = seen.find((e) => e.type === "tickFinished");
    expect(finishedEvent?.payload).toMatchObject({ tick: 1, timedOut: [slow!.id] });
    // Still running: skipped by the next tick, while the others run again.
    const second = await s.runTick();
    expect(second.skipped).toEqual([slow!.id]);
    expect(second.succeeded).toHaveLength(2);
  });

  it("aborts the signal of a run that exceeds its deadline", async () => {
    await models("m");
    let aborted: unknown;
    const s = scheduler(
      eachModel(
        (_m, signal) =>
          new Promise((resolve) => {
            signal.addEventListener("abort", () => {
              aborted = signal.reason;
              resolve({ ok: false, error: "aborted" });
            });
          }),
      ),
      { modelRunTimeoutMs: 100 },
    );
    const report = await s.runTick();
    expect(report.timedOut).toHaveLength(1);
    expect(String(aborted)).toMatch(/exceeded 100 ms/);
  });

  it("marks a model stuck past staleAfterMs as stale, clears it and runs it again", async () => {
    const [stuck] = await models("stuck");
    const hang = deferred<ModelRunOutcome>();
    let calls = 0;
    const s = scheduler(
      eachModel(async () => {
        calls += 1;
        return calls === 1 ? hang.promise : { ok: true };
      }),
      { modelRunTimeoutMs: 100, staleAfterMs: 600_000 },
    );
    expect((await s.runTick()).timedOut).toEqual([stuck!.id]);
    clock.advanceTo(T0 + 300_000);
    expect((await s.runTick()).skipped).toEqual([stuck!.id]);
    expect(s.health().runningModelIds).toEqual([stuck!.id]);
    clock.advanceTo(T0 + 600_000);
    const third = await s.runTick();
    expect(third.stale).toEqual([stuck!.id]);
    expect(third.succeeded).toEqual([stuck!.id]);
    expect(seen.filter((e) => e.type === "modelStale").map((e) => e.payload)).toEqual([{ modelId: stuck!.id, runningForMs: 600_000 }]);
    hang.resolve({ ok: true });
  });

  it("stops running a paused model at the next tick and runs it again once resumed", async () => {
    const [a, b] = await models("a", "b");
    const ran: string[] = [];
    const s = scheduler(eachModel(async (m) => (ran.push(m.name), { ok: true })));
    await s.runTick();
    await db.models.setEnabled(a!.id, false);
    await s.runTick();
    await db.models.setEnabled(a!.id, true);
    await s.runTick();
    expect(ran.sort()).toEqual(["a", "a", "b", "b", "b"]);
    expect(b).toBeDefined();
  });

  it("reports degraded after 3 failed cycles in a row and records it for the api; a success clears it", async () => {
    await models("m");
    let ok = false;
    const s = scheduler(eachModel(async () => ({ ok, error: "boom" })));
    for (let i = 0; i < 3; i++) await s.runTick();
    expect(s.health()).toMatchObject({ consecutiveFailedCycles: 3, degraded: true, degradedReason: "3 cycles in a row failed" });
    const row = await db.heartbeats.byId("w1");
    expect(row).toMatchObject({ degraded: true, consecutiveFailedCycles: 3, tick: 3, status: "running" });
    ok = true;
    await s.runTick();
    expect(s.health()).toMatchObject({ consecutiveFailedCycles: 0, degraded: false });
    expect((await db.heartbeats.byId("w1"))?.degraded).toBe(false);
  });

  it("reports degraded when no model succeeded for 15 minutes", async () => {
    await models("m");
    let ok = true;
    const s = scheduler(eachModel(async () => ({ ok })));
    await s.runTick();
    ok = false;
    clock.advanceTo(T0 + 5 * 60_000);
    await s.runTick();
    expect(s.health().degraded).toBe(false);
    await s.runTick();
    ok = true;
    // A success resets the clock: the failure streak was 2, under the threshold.
    await s.runTick();
    ok = false;
    clock.advanceTo(T0 + 20 * 60_000);
    await s.runTick();
    clock.advanceTo(T0 + 21 * 60_000);
    expect(s.health().degraded).toBe(true);
    expect(s.health().degradedReason).toMatch(/no model succeeded for 16 min/);
  });

  it("never runs a model on two workers at once, and a stopped or dead worker's models go to another", async () => {
    const [a, b] = await models("a", "b");
    const ranBy: Record<string, string[]> = { w1: [], w2: [] };
    const hooks = (w: string): SchedulerHooks => eachModel(async (m) => (ranBy[w]!.push(m.name), { ok: true }));
    const w1 = scheduler(hooks("w1"), { workerId: "w1", leaseTtlMs: 3_000 });
    const w2 = scheduler(hooks("w2"), { workerId: "w2", leaseTtlMs: 3_000 });
    const [r1, r2] = await Promise.all([w1.runTick(), w2.runTick()]);
    expect([...r1.ran, ...r2.ran].sort()).toEqual([a!.id, b!.id].sort());
    // The holder keeps its models tick after tick while its leases are fresh.
    await w2.runTick();
    expect(ranBy.w2!.length + ranBy.w1!.length).toBe(2);
    // w1 "dies" (no stop, no renewal): its leases expire (the database's clock) and w2 takes its models.
    await new Promise((r) => setTimeout(r, 3_100));
    const taken = await w2.runTick();
    expect(taken.ran.sort()).toEqual([a!.id, b!.id].sort());
    // A graceful stop frees them at once.
    await w2.stop(0);
    const back = await w1.runTick();
    expect(back.ran.sort()).toEqual([a!.id, b!.id].sort());
    expect((await db.heartbeats.byId("w2"))?.status).toBe("stopped");
  });

  it("says on its tick line which models wait for which worker until when", async () => {
    const [a] = await models("alpha");
    const w1 = scheduler(eachModel(async () => ({ ok: true })), { workerId: "w1", leaseTtlMs: 60_000 });
    expect((await w1.runTick()).ran).toEqual([a!.id]);
    const [lease] = await db.leases.list();
    const lines: string[] = [];
    const w2 = new Scheduler({
      db,
      clock,
      events,
      hooks: eachModel(async () => ({ ok: true })),
      workerId: "w2",
      logger: createLogger("info", (line) => lines.push(line), () => clock.now()),
      options: { tradeIntervalMs: 60_000, modelRunTimeoutMs: 5_000, staleAfterMs: 600_000, leaseTtlMs: 60_000 },
    });
    schedulers.push(w2);
    expect((await w2.runTick()).skipped).toEqual([a!.id]);
    const started = lines.filter((l) => l.includes("tick started"));
    expect(started).toHaveLength(1);
    expect(started[0]).toContain(`waiting=alpha:w1@${new Date(lease!.expiresAt).toISOString()}`);
    // The expiry is the database's: one TTL after it granted the lease, whatever the workers' clock says.
    expect(lease!.expiresAt - lease!.acquiredAt).toBe(60_000);
  });

  it("keeps a live worker's models between ticks by renewing its leases, long past one lease TTL", async () => {
    const [a, b] = await models("a", "b");
    const w1 = scheduler(eachModel(async () => ({ ok: true })), { workerId: "w1", leaseTtlMs: 300 });
    const w2 = scheduler(eachModel(async () => ({ ok: true })), { workerId: "w2", leaseTtlMs: 300 });
    w1.start(); // one tick now, the next in a minute: the renewals keep its leases meanwhile
    for (let i = 0; i < 200 && (await db.leases.list()).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    const first = await db.leases.list();
    await new Promise((r) => setTimeout(r, 1_000)); // past the first lease's TTL three times over
    expect((await w2.runTick()).ran).toEqual([]);
    const later = await db.leases.list();
    expect(later.map((l) => [l.modelId, l.workerId, l.expired]).sort()).toEqual([[a!.id, "w1", false], [b!.id, "w1", false]].sort());
    // Renewed under the same tokens, and later expiries.
    expect(later.map((l) => l.token).sort()).toEqual(first.map((l) => l.token).sort());
    expect(Math.min(...later.map((l) => l.expiresAt))).toBeGreaterThan(Math.max(...first.map((l) => l.expiresAt)));
  });

  it("stops a run whose lease was not renewed and fences it off: no broker call of it starts again", async () => {
    const [m] = await models("m");
    const entered = deferred<void>();
    let fenceOf: BrokerFence | undefined;
    let abortedWith: unknown;
    const s = scheduler(
      eachModel(
        (_model, signal, fence) =>
          new Promise((resolve) => {
            fenceOf = fence;
            entered.resolve();
            signal.addEventListener("abort", () => {
              abortedWith = signal.reason;
              resolve({ ok: false, error: "aborted" });
            });
          }),
      ),
      { workerId: "w1", modelRunTimeoutMs: 60_000, leaseTtlMs: 60_000 },
    );
    const { settled } = await s.tick();
    await entered.promise;
    // The lease goes to another worker (w1's lapsed while it was paused, say).
    await db.leases.release("w1");
    await db.leases.claim([m!.id], "w2", 60_000);
    await s.renewLeases();
    expect(abortedWith).toBeInstanceOf(LeaseLostError);
    let sent = false;
    await expect(fenceOf!.guard(async () => (sent = true))).rejects.toBeInstanceOf(LeaseLostError);
    expect(sent).toBe(false);
    expect((await settled).failed).toEqual([m!.id]);
  });

  it("fences a stale run off before its model starts again, and waits for the broker call the old run is inside", async () => {
    const [m] = await models("m");
    const brokerCall = deferred<void>();
    const inside = deferred<void>();
    let runs = 0;
    let oldFence: BrokerFence | undefined;
    let oldRunSentAfterClear = false;
    const s = scheduler(
      eachModel(async (_model, _signal, fence) => {
        runs += 1;
        if (runs > 1) return { ok: true };
        oldFence = fence;
        // The old run is inside a broker call (an order on its way to the venue) and ignores its abort.
        await fence.guard(async () => {
          inside.resolve();
          await brokerCall.promise;
        });
        // Its next broker call must not be sent.
        await fence.guard(async () => (oldRunSentAfterClear = true)).catch(() => undefined);
        return { ok: true };
      }),
      { modelRunTimeoutMs: 100, staleAfterMs: 600_000 },
    );
    expect((await s.runTick()).timedOut).toEqual([m!.id]);
    await inside.promise;
    clock.advanceTo(T0 + 600_000);
    // Stale, but its broker call is in flight: cleared and fenced, not started again yet.
    const cleared = await s.runTick();
    expect(cleared.stale).toEqual([m!.id]);
    expect(cleared.ran).toEqual([]);
    expect(cleared.skipped).toEqual([m!.id]);
    expect(runs).toBe(1);
    brokerCall.resolve();
    await new Promise((r) => setTimeout(r, 20));
    expect(oldRunSentAfterClear).toBe(false);
    // The call ended: the model runs again, under a new lease that the old fence does not hold.
    const again = await s.runTick();
    expect(again.succeeded).toEqual([m!.id]);
    expect(runs).toBe(2);
    await expect(oldFence!.guard(async () => "late")).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("closes a stale run's unfinished invocation as ABANDONED and counts it as a failed workflow", async () => {
    const [m] = await models("m");
    const hang = deferred<ModelRunOutcome>();
    let invocationId: string | undefined;
    let runs = 0;
    const s = scheduler(
      eachModel(async (model) => {
        runs += 1;
        if (runs > 1) return { ok: true };
        invocationId = (await db.invocations.start({ modelId: model.id, prompt: "p" })).id;
        return hang.promise;
      }),
      { modelRunTimeoutMs: 100, staleAfterMs: 600_000 },
    );
    await s.runTick();
    clock.advanceTo(T0 + 600_000);
    const report = await s.runTick();
    expect(report).toMatchObject({ stale: [m!.id], abandoned: 1 });
    const invocation = (await db.invocations.byId(invocationId!))!;
    expect(invocation.error).toMatch(/^ABANDONED: its run was cleared as stale/);
    expect((await db.models.require(m!.id)).failedWorkflowCount).toBe(1);
    hang.resolve({ ok: true });
  });

  it("on stop aborts what still runs after the grace period, persists the batch and releases its leases", async () => {
    await models("m");
    let afterBatches = 0;
    const s = scheduler(
      eachModel(
        (_m, signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve({ ok: false, error: "aborted" }))),
        async () => {
          afterBatches += 1;
        },
      ),
    );
    await s.tick();
    await s.stop(50);
    expect(afterBatches).toBe(1);
    expect(await db.leases.list()).toEqual([]);
    expect(await db.heartbeats.byId("w1")).toMatchObject({ status: "stopped", runningModelIds: [] });
  });

  it("fails every model of a batch that fails before running them (a failed cycle), and still ends the tick", async () => {
    const [a, b] = await models("a", "b");
    const s = scheduler({
      async runBatch() {
        throw new Error("reconciliation failed");
      },
    });
    const report = await s.runTick();
    expect(report.failed.sort()).toEqual([a!.id, b!.id].sort());
    expect([report.succeeded, report.timedOut]).toEqual([[], []]);
    expect(seen.find((e) => e.type === "tickFinished")?.payload).toMatchObject({ tick: 1, failed: report.failed });
    expect(s.health()).toMatchObject({ consecutiveFailedCycles: 1, runningModelIds: [] });
    expect((await db.heartbeats.byId("w1"))?.consecutiveFailedCycles).toBe(1);
  });

  it("keeps the outcome of the runs a failing batch made, fails the models it skipped, and runs a model once per batch", async () => {
    const [a, b] = await models("a", "b");
    let runs = 0;
    const statuses: string[] = [];
    const s = scheduler({
      async runBatch(batch, run) {
        const first = batch.find((m) => m.id === a!.id)!;
        statuses.push(await run(first, async () => (runs++, { ok: true })));
        statuses.push(await run(first, async () => (runs++, { ok: true })));
        statuses.push(await run({ ...first, id: globalThis.crypto.randomUUID() }, async () => (runs++, { ok: true })));
        throw new Error("snapshot failed");
      },
    });
    const report = await s.runTick();
    expect(statuses).toEqual(["ok", "failed", "failed"]);
    expect(runs).toBe(1);
    expect(report.succeeded).toEqual([a!.id]);
    expect(report.failed).toEqual([b!.id]);
    // One model succeeded: not a failed cycle.
    expect(s.health().consecutiveFailedCycles).toBe(0);
  });
});
