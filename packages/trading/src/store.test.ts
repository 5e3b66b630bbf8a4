import { createModelRegistry } from "@autonome/agent";
import { startOpenAiTestServer } from "@autonome/agent/testing";
import { ArenaEventBus, type Clock, DEFAULT_MARKETS, ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import { createDb } from "@autonome/db";
import { TcpRelay, testSql } from "@autonome/db/testing";
import type { ClosedOrder, Db, OrderRecord, Page } from "@autonome/db";
import { SyntheticMarket } from "@autonome/market-data";
import { describe, expect, it } from "vitest";
import { T0, openTestDb, postgresSkipReason, postgresUrl } from "./testing/support.js";
import { createTradingRuntime, flattenModel, reconcile, snapshotPortfolios } from "./runtime.js";
import { DbTradingStore, LiveTradingStore, MemoryTradingStore, type TradingStore } from "./store.js";
import { openRuleRuntime } from "./testing/rule-runtime.js";
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
async function arena(kind: "db" | "memory" | "live", ticks: number) {
  const events = new ArenaEventBus();
  const store: ((db: Db, clock: Clock) => TradingStore) | undefined =
    kind === "memory"
      ? (db, clock) => new MemoryTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: TICK })
      : kind === "live"
        ? (db, clock) => new LiveTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: TICK })
        : undefined;
  const arena = await openRuleRuntime({ marketSeed: 11, events, ...(store ? { store } : {}) });
  const { clock, db, runtime, models } = arena;
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
    await arena.close();
  }
}

describe("MemoryTradingStore and LiveTradingStore", () => {
  it("give the workflow what the database store gives it: the same prompts, decisions, Orders, snapshots and counters", async () => {
    const ticks = 24;
    const [viaDb, viaMemory, viaLive] = [await arena("db", ticks), await arena("memory", ticks), await arena("live", ticks)];
    // The run traded and closed (the flatten at least), so history and standings were exercised.
    expect(viaDb.orders.some((o) => o.status === "CLOSED")).toBe(true);
    expect(viaDb.invocations).toHaveLength(3 * ticks);
    expect(viaDb.invocations.at(-1)?.prompt).toMatch(/### PERFORMANCE\nTotal return: [-\d.]+%/);
    expect(viaDb.invocations.at(-1)?.prompt).toMatch(/### COMPETITION\n1\. /);
    expect(viaMemory.invocations).toEqual(viaDb.invocations);
    expect(viaMemory.orders).toEqual(viaDb.orders);
    expect(viaMemory.snapshots).toEqual(viaDb.snapshots);
    expect(viaMemory.counters).toEqual(viaDb.counters);
    expect(viaLive.invocations).toEqual(viaDb.invocations);
    expect(viaLive.orders).toEqual(viaDb.orders);
    expect(viaLive.snapshots).toEqual(viaDb.snapshots);
    expect(viaLive.counters).toEqual(viaDb.counters);
  }, 180_000);
});

describe("standings", () => {
  it("rank the same rows for every model of a tick (ranked once per read), each marked as itself, and rank afresh for another initial capital", async () => {
    const clock = new ManualClock(T0);
    const db = await openTestDb(clock);
    try {
      const store = new MemoryTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: TICK });
      const totals = ["10150.5", "9876.125", "10150.5"];
      const models = [];
      for (const [i, total] of totals.entries()) {
        const model = await db.models.create({ name: `m${i}`, provider: "rule", modelName: "x" });
        models.push(model);
        await store.modelHistory(model, T0, toDecimal(10_000));
        await store.recordSnapshot({ modelId: model.id, total: toDecimal(total), available: toDecimal(total), unrealizedPnl: toDecimal(0), at: T0, openPositions: i });
      }
      const initial = toDecimal(10_000);
      const expected = (self: number, capital = initial) =>
        [0, 2, 1].map((i, rank) => ({
          modelName: `m${i}`,
          rank: rank + 1,
          accountValue: toDecimal(totals[i]!),
          totalReturn: toDecimal(totals[i]!).div(capital).minus(1).toNumber(),
          // The kept state's count of open positions (none were opened here), not the snapshot's.
          openPositions: 0,
          isSelf: i === self,
        }));
      for (const [self, model] of models.entries()) expect(await store.standings(model, initial)).toEqual(expected(self));
      expect(await store.standings(models[1]!, toDecimal(5_000))).toEqual(expected(1, toDecimal(5_000)));
      expect(await store.standings(models[1]!, initial)).toEqual(expected(1));
    } finally {
      await db.close();
    }
  });
});

describe("LiveTradingStore", () => {
  it("reads a model's history once and keeps it from its own writes: rows removed behind its back change nothing until forget", async () => {
    const clock = new ManualClock(T0);
    const db = await openTestDb(clock);
    try {
      const store = new LiveTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: TICK });
      const model = await db.models.create({ name: "m", provider: "rule", modelName: "x" });
      for (let i = 0; i < 3; i++) {
        await store.recordSnapshot({ modelId: model.id, total: toDecimal(10_000 + 100 * i), available: toDecimal(10_000), unrealizedPnl: toDecimal(0), at: T0 + i * TICK, openPositions: 0 });
      }
      const first = await store.modelHistory(model, T0 + 3 * TICK, toDecimal(10_300));
      const order = await db.orders.openPosition({ modelId: model.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: { ...emptyExitPlan() } });
      store.positionOpened(order);
      clock.advanceTo(T0 + 3 * TICK);
      const closed = await db.orders.closePosition({ orderId: order.orderId, exitPrice: "90", closeTrigger: null });
      store.positionClosed(closed);
      await store.recordSnapshot({ modelId: model.id, total: toDecimal(10_290), available: toDecimal(10_290), unrealizedPnl: toDecimal(0), at: T0 + 3 * TICK, openPositions: 0 });
      const id = await store.startInvocation(model.id, "p", T0 + 3 * TICK);
      await store.recordToolCall({ invocationId: id, type: "CLOSE_POSITION", arguments: { symbol: "BTC" }, accepted: true });
      await store.finishInvocation(id, { response: "ok" });
      // The tick's records are written at its end (and the finish read back into the state then).
      expect((await db.invocations.byId(id))!.finishedAt).toBeNull();
      await store.endTick();
      const kept = await store.modelHistory(model, T0 + 4 * TICK, toDecimal(10_290));
      // What the database store reads from the same rows.
      const fromDb = await new DbTradingStore(db, () => clock.now()).modelHistory(model, T0 + 4 * TICK, toDecimal(10_290));
      expect(kept).toEqual(fromDb);
      expect(kept.performance.tradeCount).toBe(1);
      expect(kept.invocationCount).toBe(1);
      expect(kept.actionCounts).toEqual({ BTC: { CLOSE_POSITION: 1 } });
      expect(kept.performance.totalReturn).not.toBe(first.performance.totalReturn);
      const risk = await store.riskHistory(model.id, T0 + 4 * TICK, 86_400_000);
      expect(risk.recentCloses.map((c) => c.closedAt)).toEqual([T0 + 3 * TICK]);
      // The peak candidates: 10200 and the later 10290 outrank everything before them.
      expect(risk.equity.map((p) => p.equity.toString())).toEqual(["10290"]);

      // Another process empties the history: the store does not read it again...
      await testSql(db).execute("DELETE FROM portfolio_snapshots");
      expect(await store.modelHistory(model, T0 + 4 * TICK, toDecimal(10_290))).toEqual(kept);
      // ...until told the model may have been written elsewhere.
      store.forget([model.id]);
      expect((await store.modelHistory(model, T0 + 4 * TICK, toDecimal(10_290))).performance.totalReturn).not.toBe(kept.performance.totalReturn);
    } finally {
      await db.close();
    }
  });

});

describe("MemoryTradingStore", () => {
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

const pgSkip = await postgresSkipReason();
describe.skipIf(pgSkip !== null)("runs during a database outage", () => {
  it("are recorded once the database is back: a run's kept records in the next batch, a failed run's failure counted, once", async () => {
    const clock = new ManualClock(T0);
    const relay = TcpRelay.toUrl(postgresUrl!);
    await relay.open();
    const schema = `trading_${globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const db = await createDb({ kind: "postgres", url: relay.via(postgresUrl!), schema, clock, maxConnections: 2 });
    const market = new SyntheticMarket({ clock, seed: 5, markets: DEFAULT_MARKETS.filter((m) => m.symbol === "BTC"), historyMinutes: 24 * 60 });
    const server = await startOpenAiTestServer();
    const model = await db.models.create({ name: "llm", provider: "openai", modelName: "test-model" });
    const runtime = await createTradingRuntime({
      db,
      market,
      clock,
      agents: createModelRegistry([{ id: "llm", kind: "openai", baseURL: server.baseURL, model: "test-model" }], { clock }),
      store: new LiveTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: TICK }),
      simulator: { refreshIntervalMs: 0 },
      options: { retryBackoffMs: 1, maxRetries: 0, agentTimeoutMs: 20_000 },
    });
    try {
      const mid = market.midPrice("BTC").toNumber();
      server.push({
        kind: "tool_calls",
        toolCalls: [{ name: "create_position", arguments: { symbol: "BTC", side: "LONG", quantity: 0.01, leverage: 2, exit_plan: { stop: Math.round(mid * 0.95), confidence: 0.5 } } }],
        delayMs: 300,
      });
      const run = runTradeWorkflow(runtime, model);
      while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
      // The database goes away while the model thinks: the fill cannot be written; the run's
      // records (its refused call, its finish) are kept for the tick's batch.
      await relay.cut();
      const result = await run;
      expect(result.ok).toBe(true);
      expect(result.toolCalls.map((c) => [c.status, c.accepted])).toEqual([["failed", false]]);
      expect(result.invocationId).not.toBeNull();
      // A run that cannot even start its invocation fails, and its failure is kept too.
      const second = await runTradeWorkflow(runtime, model);
      expect(second).toMatchObject({ ok: false, errorCode: "WORKFLOW", invocationId: null });
      await expect(runtime.store.endTick()).rejects.toThrow();
      await expect(runtime.store.retryPending()).rejects.toThrow();
      await relay.open();
      await runtime.store.endTick();
      expect(await runtime.store.retryPending()).toBe(1);
      expect(await runtime.store.retryPending()).toBe(0);
      await runtime.store.endTick();
      const invocation = (await db.invocations.byId(result.invocationId!))!;
      expect(invocation.finishedAt).not.toBeNull();
      expect(invocation.error).toBeNull();
      expect(invocation.toolCalls.map((c) => [c.type, c.accepted, c.rejectionReason?.startsWith("failed: fill not recorded")])).toEqual([["CREATE_POSITION", false, true]]);
      const counters = await db.models.require(model.id);
      expect([counters.invocationCount, counters.failedToolCallCount, counters.failedWorkflowCount]).toEqual([1, 1, 1]);
      expect(await db.orders.openOrdersOfModel(model.id)).toEqual([]);
    } finally {
      await runtime.close();
      await server.close();
      await market.close();
      await testSql(db).execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
      await relay.cut();
    }
  }, 120_000);
});
