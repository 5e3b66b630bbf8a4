import { DEFAULT_MODEL_CONFIGS, createModelRegistry } from "@autonome/agent";
import { ArenaEventBus, DEFAULT_MARKETS, ManualClock, toDecimal } from "@autonome/core";
import type { ClosedOrder, Db, ModelRecord, OrderRecord, Page } from "@autonome/db";
import { SyntheticMarket } from "@autonome/market-data";
import { describe, expect, it } from "vitest";
import { T0, openTestDb } from "./testing/support.js";
import { createTradingRuntime, flattenModel, reconcile, snapshotPortfolios } from "./runtime.js";
import { MemoryTradingStore } from "./store.js";
import { runTradeWorkflow } from "./workflow.js";

const TICK = 5 * 60_000;

/** Records in time order, then by model name (model ids are random). */
const byModel = (a: { model: string; openedAt?: number; at?: number }, b: { model: string; openedAt?: number; at?: number }) =>
  (a.openedAt ?? a.at)! - (b.openedAt ?? b.at)! || a.model.localeCompare(b.model);

/** Every Order of the database: the open ones and every page of closed trades. */
async function allOrders(db: Db): Promise<OrderRecord[]> {
  const out: OrderRecord[] = await db.orders.allOpenOrders();
  let cursor: string | null = null;
  do {
    const page: Page<ClosedOrder> = await db.orders.closedTrades({ limit: 500, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

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
    // In time order, then by prompt (ids are random, so they cannot break ties).
    const invocations = (await db.invocations.history()).sort((a, b) => a.startedAt - b.startedAt || (a.prompt < b.prompt ? -1 : a.prompt > b.prompt ? 1 : 0));
    const orders = (await allOrders(db)).sort((a, b) => a.openedAt - b.openedAt || a.symbol.localeCompare(b.symbol) || a.modelId.localeCompare(b.modelId));
    const snapshots = (await Promise.all(models.map((m) => db.portfolio.history(m.id)))).flat();
    const counters = (await db.models.list()).sort((a, b) => a.name.localeCompare(b.name));
    return {
      invocations: invocations.map(({ id: _, modelId, toolCalls, ...rest }) => ({
        ...rest,
        model: name.get(modelId),
        // Order ids are random UUIDs: compare which order, not its id.
        toolCalls: toolCalls.map(({ id: _i, invocationId: _v, result, ...call }) => ({ ...call, result: JSON.parse(JSON.stringify(result).replace(/"orderId":"[^"]+"/g, '"orderId":"(id)"')) })),
      })),
      orders: orders.map(({ orderId: _, modelId, updatedAt: _u, ...rest }) => ({ ...rest, model: name.get(modelId)! })).sort(byModel),
      snapshots: snapshots.map(({ modelId, ...rest }) => ({ ...rest, model: name.get(modelId)! })).sort(byModel),
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
      await store.recordFailedRun({ modelId: model.id, invocationId: null, finish: {} });
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
