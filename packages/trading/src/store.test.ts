import { DEFAULT_MODEL_CONFIGS, createModelRegistry } from "@autonome/agent";
import { ArenaEventBus, DEFAULT_MARKETS, ManualClock, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { SyntheticMarket } from "@autonome/market-data";
import { describe, expect, it } from "vitest";
import { T0, openTestDb } from "./internal/test-support.js";
import { createTradingRuntime, flattenModel, reconcile, snapshotPortfolios } from "./runtime.js";
import { MemoryTradingStore } from "./store.js";
import { runTradeWorkflow } from "./workflow.js";

const TICK = 5 * 60_000;

/** Rows in time order, then by model name (model ids are random). */
const byModel = (a: { model: string; openedAt?: Date; at?: Date }, b: { model: string; openedAt?: Date; at?: Date }) =>
  (a.openedAt ?? a.at)!.getTime() - (b.openedAt ?? b.at)!.getTime() || a.model.localeCompare(b.model);

/** Runs the three rule models for `ticks` ticks with one store or the other; returns every row, ids replaced by names. */
async function arena(kind: "db" | "memory", ticks: number) {
  const clock = new ManualClock(T0);
  const db: Db = await openTestDb(clock);
  const market = new SyntheticMarket({
    clock,
    seed: 11,
    markets: DEFAULT_MARKETS.filter((m) => ["BTC", "ETH", "SOL"].includes(m.symbol)),
    historyMinutes: 2 * 24 * 60,
  });
  const events = new ArenaEventBus();
  const store = kind === "memory" ? new MemoryTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: TICK }) : undefined;
  const models: ModelRecord[] = [];
  for (const c of DEFAULT_MODEL_CONFIGS) models.push(await db.models.create({ name: c.id, provider: "rule", modelName: c.id }));
  const runtime = await createTradingRuntime({
    db,
    market,
    agents: createModelRegistry(DEFAULT_MODEL_CONFIGS, { clock }),
    events,
    clock,
    ...(store ? { store } : {}),
    simulator: { seed: 3, refreshIntervalMs: 0 },
    options: { retryBackoffMs: 0 },
  });
  try {
    for (let t = 0; t < ticks; t++) {
      clock.advanceTo(T0 + (t + 1) * TICK);
      await reconcile(runtime, models);
      // An operator's flatten mid-run: a close outside the workflow the store must learn of.
      if (t === Math.floor(ticks / 2)) await flattenModel(runtime, models[0]!.id);
      for (const model of models) await runTradeWorkflow(runtime, model);
      runtime.intelligence.invalidate();
      await snapshotPortfolios(runtime, models);
      await runtime.store.flush();
    }
    const name = new Map(models.map((m) => [m.id, m.name]));
    const invocations = await db.prisma.invocation.findMany({ orderBy: [{ startedAt: "asc" }, { prompt: "asc" }], include: { toolCalls: { orderBy: { createdAt: "asc" } } } });
    const orders = await db.prisma.order.findMany({ orderBy: [{ openedAt: "asc" }, { symbol: "asc" }, { modelId: "asc" }] });
    const snapshots = await db.prisma.portfolioSnapshot.findMany({ orderBy: [{ at: "asc" }, { modelId: "asc" }] });
    const counters = await db.prisma.model.findMany({ orderBy: { name: "asc" } });
    return {
      invocations: invocations.map(({ id: _, modelId, toolCalls, ...rest }) => ({
        ...rest,
        model: name.get(modelId),
        // Order ids are random UUIDs: compare which order, not its id.
        toolCalls: toolCalls.map(({ id: _i, invocationId: _v, result, ...call }) => ({ ...call, result: JSON.parse(JSON.stringify(result).replace(/"orderId":"[^"]+"/g, '"orderId":"(id)"')) })),
      })),
      orders: orders.map(({ id: _, modelId, updatedAt: _u, ...rest }) => ({ ...rest, model: name.get(modelId)! })).sort(byModel),
      snapshots: snapshots.map(({ id: _, modelId, ...rest }) => ({ ...rest, model: name.get(modelId)! })).sort(byModel),
      counters: counters.map((m) => [m.name, m.invocationCount, m.failedToolCallCount, m.failedWorkflowCount]),
    };
  } finally {
    await runtime.close();
    await market.close();
    await db.close();
  }
}

describe("MemoryTradingStore", () => {
  it("gives the workflow what the database store gives it: the same prompts, decisions, Orders, snapshots and counters", async () => {
    const ticks = 24;
    const [viaDb, viaMemory] = [await arena("db", ticks), await arena("memory", ticks)];
    // The run traded and closed (the flatten at least), so history and standings were exercised.
    expect(viaDb.orders.some((o) => o.status === "CLOSED")).toBe(true);
    expect(viaDb.invocations).toHaveLength(3 * ticks);
    expect(viaDb.invocations.at(-1)?.prompt).toMatch(/### PERFORMANCE\nTotal return: [-\d.]+%/);
    expect(viaDb.invocations.at(-1)?.prompt).toMatch(/### COMPETITION\n1\. /);
    expect(viaMemory.invocations).toEqual(viaDb.invocations);
    expect(viaMemory.orders).toEqual(viaDb.orders);
    expect(viaMemory.snapshots).toEqual(viaDb.snapshots);
    expect(viaMemory.counters).toEqual(viaDb.counters);
  }, 120_000);

  it("keeps buffered records until flush and writes them in one transaction", async () => {
    const clock = new ManualClock(T0);
    const db = await openTestDb(clock);
    try {
      const store = new MemoryTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: TICK });
      const model = await db.models.create({ name: "m", provider: "rule", modelName: "x" });
      const id = await store.startInvocation(model.id, "prompt", T0);
      await store.recordToolCall({ invocationId: id, type: "HOLDING", arguments: { reason: "flat" }, accepted: true, createdAt: T0 + 1 });
      await store.finishInvocation(id, { response: "ok", finishedAt: T0 + 2 });
      await store.recordSnapshot({ modelId: model.id, total: toDecimal(10_100), available: toDecimal(10_100), unrealizedPnl: toDecimal(0), at: T0 + 2, openPositions: 0 });
      await store.recordFailedWorkflow(model.id);
      expect(await db.invocations.byId(id)).toBeNull();
      expect((await store.modelHistory(model, T0 + TICK, toDecimal(10_201))).invocationCount).toBe(1);
      await store.flush();
      const stored = await db.invocations.byId(id);
      expect(stored?.toolCalls.map((c) => c.type)).toEqual(["HOLDING"]);
      expect((await db.portfolio.latest(model.id))?.total.toString()).toBe("10100");
      expect(await db.models.require(model.id)).toMatchObject({ invocationCount: 1, failedWorkflowCount: 1 });
      // A failed flush keeps what it could not write for the next one.
      await store.recordSnapshot({ modelId: model.id, total: toDecimal(1), available: toDecimal(1), unrealizedPnl: toDecimal(0), at: T0 + TICK, openPositions: 0 });
      const ghost = await store.startInvocation(globalThis.crypto.randomUUID(), "ghost", T0 + TICK).catch((e: unknown) => e);
      expect(ghost).toBeInstanceOf(Error);
      expect((await db.portfolio.history(model.id)).length).toBe(1);
      await store.flush();
      expect((await db.portfolio.history(model.id)).length).toBe(2);
    } finally {
      await db.close();
    }
  });
});
