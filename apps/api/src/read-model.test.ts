import { ArenaEventBus, ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, createApiServer } from "./server.js";
import { openTestDb } from "./testing/databases.js";
import { seedArena } from "./testing/seed.js";
import { openSse } from "./testing/sse-client.js";

const T0 = Date.UTC(2026, 2, 1);

async function getJson(base: string, path: string): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(base + path);
  return { status: response.status, json: await response.json(), headers: response.headers };
}

describe("a young arena (started minutes ago, no history)", () => {
  const clock = new ManualClock(T0);
  const bus = new ArenaEventBus();
  let db: Db;
  let dispose: () => Promise<void>;
  let api: ApiServer;
  let base: string;
  let loser: ModelRecord;
  let idle: ModelRecord;

  beforeAll(async () => {
    ({ db, dispose } = await openTestDb("pglite", clock));
    loser = await db.models.create({ name: "trend-follower", provider: "rule", modelName: "trend-follower" });
    idle = await db.models.create({ name: "buy-and-hold-btc", provider: "rule", modelName: "buy-and-hold-btc", mode: "LIVE" });
    // Ten seconds in, the model opens a position (paying 4 in fees), and closes it at a loss
    // a minute later (another 4 in fees): realized 0.1 x (99000 - 100000) - 8 = -108.
    clock.advanceBy(10_000);
    const o = await db.orders.openPosition({ modelId: loser.id, symbol: "BTC", side: "LONG", quantity: "0.1", leverage: "5", entryPrice: "100000", entryFee: "4", exitPlan: emptyExitPlan() });
    clock.advanceBy(60_000);
    await db.orders.closePosition({ orderId: o.orderId, exitPrice: "99000", closeTrigger: null, exitFee: "4" });
    // Snapshots every 30 s for five minutes, the first one already after the loss.
    for (let i = 1; i <= 10; i++) {
      await db.portfolio.record({ modelId: loser.id, at: T0 + i * 30_000, total: toDecimal(10_000).minus(108).minus(i), available: "9000", unrealizedPnl: "0" });
      await db.portfolio.record({ modelId: idle.id, at: T0 + i * 30_000, total: toDecimal(5_000).plus(i), available: "5000", unrealizedPnl: "0" });
    }
    clock.advanceTo(T0 + 5 * 60_000 + 2_000);
    api = createApiServer({ db, events: bus, clock, staticDir: null, cacheTtlMs: 0, ledgerSyncMs: 0 });
    base = (await api.listen({ port: 0, host: "127.0.0.1" })).url;
  });

  afterAll(async () => {
    await api?.close();
    await dispose?.();
  });

  it("measures return and PnL from the starting capital in every window, so the first minutes are not 0.00%", async () => {
    for (const window of ["24h", "7d", "30d", "all"]) {
      const { json } = await getJson(base, `/api/leaderboard?window=${window}`);
      const row = json.rows.find((r: any) => r.model.id === loser.id);
      // 10,000 - 108 - 10 = 9,882: PnL -118, return -1.18 %.
      expect([row.accountValue, row.pnl, row.return]).toEqual(["9882", "-118", -0.0118]);
      expect(row.baseline).toEqual({ value: "10000", at: T0 + 10_000, kind: "startingCapital" });
      expect([row.trades, row.realizedPnl, row.fees]).toEqual([1, "-108", "8"]);
      // A LIVE model starts from its first snapshot (its real account), not the simulator's capital.
      const live = json.rows.find((r: any) => r.model.id === idle.id);
      expect([live.baseline.value, live.pnl]).toEqual(["5001", "9"]);
    }
  });

  it("draws a curve over the data's real span, whose percent mode ends where the table's return is", async () => {
    const { json: board } = await getJson(base, "/api/leaderboard?window=7d");
    const row = board.rows.find((r: any) => r.model.id === loser.id);
    const { json } = await getJson(base, "/api/equity?window=7d&points=300");
    const series = json.series.find((s: any) => s.modelId === loser.id);
    // The baseline point at the model's start, then every 30-second snapshot.
    expect(series.points).toHaveLength(11);
    expect(series.points[0]).toEqual({ t: T0 + 10_000, total: "10000" });
    const last = series.points.at(-1);
    expect(Number(last.total) / Number(series.baseline.value) - 1).toBeCloseTo(row.return, 12);
    expect(series.name).toBe("Trend follower");
    const few = await getJson(base, "/api/equity?window=7d&points=4");
    expect(few.json.series[0].points).toHaveLength(4);
  });

  it("gives analytics the same return and shows no ratio of a five-minute sample, with the reason", async () => {
    const { json: board } = await getJson(base, "/api/leaderboard?window=7d");
    const row = board.rows.find((r: any) => r.model.id === loser.id);
    const { json } = await getJson(base, `/api/models/${loser.id}/analytics?window=7d`);
    expect(json.metrics.totalReturn).toBeCloseTo(row.return, 12);
    expect(json.metrics.annualizedReturn).toBeNull();
    expect(json.metrics.calmar).toBeNull();
    expect(json.metrics.sharpe).toBeNull();
    expect(json.unavailable.annualizedReturn).toMatch(/^needs 7 d of history to annualize; has 4\.\d min|^needs 7 d of history to annualize; has 5 min/);
    expect(json.unavailable.sharpe).toMatch(/^needs 20 returns over 1 d/);
    expect(row.sharpe).toBeNull();
    expect(row.sharpeUnavailable).toMatch(/^needs 20 returns/);
  });

  it("names models for people and says which mode each trades in", async () => {
    const { json } = await getJson(base, "/api/models");
    const byId = new Map(json.items.map((m: any) => [m.id, m]));
    expect((byId.get(idle.id) as any).displayName).toBe("Buy and hold BTC");
    expect((byId.get(idle.id) as any).effectiveMode).toBe("LIVE");
    expect((byId.get(loser.id) as any).effectiveMode).toBe("SIM");
  });
});

describe("the read model's catch-up timer", () => {
  it("finds a trade whose event never came within a few sync intervals", async () => {
    const clock = new ManualClock(T0);
    const { db, dispose } = await openTestDb("pglite", clock);
    const model = await db.models.create({ name: "silent", provider: "rule", modelName: "x" });
    const api = createApiServer({ db, clock, staticDir: null, cacheTtlMs: 0, ledgerSyncMs: 100 });
    const { url } = await api.listen({ port: 0, host: "127.0.0.1" });
    try {
      const trades = async () => ((await getJson(url, "/api/leaderboard?window=all")).json.rows[0].trades as number);
      expect(await trades()).toBe(0);
      const o = await db.orders.openPosition({ modelId: model.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: emptyExitPlan() });
      clock.advanceBy(1_000);
      await db.orders.closePosition({ orderId: o.orderId, exitPrice: "101", closeTrigger: null });
      let seen = 0;
      for (let i = 0; i < 100 && seen === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = await trades();
      }
      expect(seen).toBe(1);
    } finally {
      await api.close();
      await dispose();
    }
  });
});

describe("the incremental read model", () => {
  const clock = new ManualClock(T0);
  const bus = new ArenaEventBus();
  let db: Db;
  let dispose: () => Promise<void>;
  let api: ApiServer;
  let base: string;
  let models: ModelRecord[];
  const errors: string[] = [];

  beforeAll(async () => {
    ({ db, dispose } = await openTestDb("pglite", clock));
    ({ models } = await seedArena(db, clock));
    api = createApiServer({
      db,
      events: bus,
      clock,
      staticDir: null,
      cacheTtlMs: 0,
      ledgerSyncMs: 0,
      maxStreams: 2,
      maxQueuedEvents: 3,
      prices: { markPrice: (symbol) => (symbol === "BTC" ? "101000" : undefined) },
      logError: (line) => errors.push(line),
    });
    base = (await api.listen({ port: 0, host: "127.0.0.1" })).url;
  });

  afterAll(async () => {
    await api?.close();
    await dispose?.();
  });

  const rowOf = async (modelId: string, window = "all") => (await getJson(base, `/api/leaderboard?window=${window}`)).json.rows.find((r: any) => r.model.id === modelId);

  it("folds a trade announced by an event once, even when the event arrives twice", async () => {
    const model = models[2]!;
    expect((await rowOf(model.id)).trades).toBe(0);
    const o = await db.orders.openPosition({ modelId: model.id, symbol: "SOL", side: "LONG", quantity: "1", leverage: "2", entryPrice: "150", entryFee: "0.1", exitPlan: emptyExitPlan() });
    clock.advanceBy(60_000);
    const closed = await db.orders.closePosition({ orderId: o.orderId, exitPrice: "155", closeTrigger: null, exitFee: "0.1" });
    const payload = { modelId: model.id, orderId: o.orderId, symbol: "SOL", side: "LONG" as const, quantity: "1", entryPrice: "150", exitPrice: "155", realizedPnl: closed.realizedPnl.toString(), closeTrigger: null };
    bus.publish("positionClosed", payload, clock.now());
    bus.publish("positionClosed", payload, clock.now());
    await api.settled();
    const row = await rowOf(model.id);
    expect([row.trades, row.realizedPnl, row.fees, row.biggestWin]).toEqual([1, "4.8", "0.2", "4.8"]);
  });

  it("catches up with a trade whose event never came at the next tick", async () => {
    const model = models[2]!;
    const o = await db.orders.openPosition({ modelId: model.id, symbol: "ETH", side: "SHORT", quantity: "1", leverage: "2", entryPrice: "3000", exitPlan: emptyExitPlan() });
    clock.advanceBy(1_000);
    await db.orders.closePosition({ orderId: o.orderId, exitPrice: "3010", closeTrigger: null });
    expect((await rowOf(model.id)).trades).toBe(1);
    bus.publish("tickFinished", { tick: 13, durationMs: 10, succeeded: [model.id], failed: [], timedOut: [] }, clock.now());
    await api.settled();
    const row = await rowOf(model.id);
    expect([row.trades, row.biggestLoss, row.losses]).toEqual([2, "-10", 1]);
  });

  it("applies a model's opened, updated and partly closed positions by re-reading that model's open orders only", async () => {
    const [a, b] = [models[0]!, models[1]!];
    let allReads = 0;
    const allOpenOrders = db.orders.allOpenOrders.bind(db.orders);
    db.orders.allOpenOrders = () => {
      allReads++;
      return allOpenOrders();
    };
    try {
      const ids = async () => ((await getJson(base, "/api/positions?limit=500")).json.items as any[]).map((p) => `${p.orderId}:${p.quantity}`);
      const before = await ids();
      clock.advanceBy(1_000);
      const opened = await db.orders.openPosition({ modelId: a.id, symbol: "XRP", side: "LONG", quantity: "100", leverage: "3", entryPrice: "0.5", exitPlan: emptyExitPlan() });
      // Model B changed too, with no event: an event of model A does not pick that up (the next tick does).
      clock.advanceBy(1_000);
      const unannounced = await db.orders.openPosition({ modelId: b.id, symbol: "XRP", side: "SHORT", quantity: "10", leverage: "2", entryPrice: "0.5", exitPlan: emptyExitPlan() });
      bus.publish("positionOpened", { modelId: a.id, orderId: opened.orderId, symbol: "XRP", side: "LONG", quantity: "100", entryPrice: "0.5", leverage: "3", fee: "0", exitPlan: { stop: null, target: null, invalidation: null, invalidationPrice: null, confidence: null, timeExit: null, cooldownUntil: null } as any }, clock.now());
      await api.settled();
      expect(await ids()).toEqual([...before, `${opened.orderId}:100`]);
      // A partial close: a CLOSED part, the rest OPEN and smaller under the same id.
      clock.advanceBy(1_000);
      const { closed } = await db.orders.closePartOfPosition({ orderId: opened.orderId, quantity: "40", exitPrice: "0.6", exitFee: "0", closeTrigger: null });
      bus.publish("positionClosed", { modelId: a.id, orderId: closed.orderId, symbol: "XRP", side: "LONG", quantity: "40", entryPrice: "0.5", exitPrice: "0.6", realizedPnl: closed.realizedPnl.toString(), closeTrigger: null }, clock.now());
      await api.settled();
      expect(await ids()).toEqual([...before, `${opened.orderId}:60`]);
      expect(allReads).toBe(0);
      bus.publish("tickFinished", { tick: 14, durationMs: 10, succeeded: [a.id], failed: [], timedOut: [] }, clock.now());
      await api.settled();
      expect(allReads).toBe(1);
      expect(await ids()).toEqual([...before, `${opened.orderId}:60`, `${unannounced.orderId}:10`]);
      await db.orders.closePosition({ orderId: opened.orderId, exitPrice: "0.6", closeTrigger: null });
      await db.orders.closePosition({ orderId: unannounced.orderId, exitPrice: "0.5", closeTrigger: null });
      bus.publish("tickFinished", { tick: 15, durationMs: 10, succeeded: [a.id], failed: [], timedOut: [] }, clock.now());
      await api.settled();
      expect(await ids()).toEqual(before);
    } finally {
      db.orders.allOpenOrders = allOpenOrders;
    }
  });

  it("ranks a model failing every run last with its reason, and health is degraded naming it", async () => {
    const model = models[0]!;
    expect((await rowOf(model.id)).rank).toBe(1);
    expect((await getJson(base, "/api/health")).json.status).toBe("ok");
    for (let i = 0; i < 3; i++) {
      clock.advanceBy(15_000);
      bus.publish("invocationFinished", { modelId: model.id, invocationId: globalThis.crypto.randomUUID(), ok: false, latencyMs: 5, inputTokens: 0, outputTokens: 0, toolCalls: 0, error: "401 Unauthorized from the endpoint" }, clock.now());
    }
    await api.settled();
    const row = await rowOf(model.id);
    expect(row.rank).toBe(3);
    expect(row.failing).toEqual({ consecutiveFailures: 3, lastError: "401 Unauthorized from the endpoint", since: clock.now() });
    const health = (await getJson(base, "/api/health")).json;
    expect(health.status).toBe("degraded");
    expect(health.reasons).toEqual(["Momentum rule failed its last 3 runs: 401 Unauthorized from the endpoint"]);
    expect(health.models.find((m: any) => m.id === model.id).failing.consecutiveFailures).toBe(3);
    // One good run clears it.
    bus.publish("invocationFinished", { modelId: model.id, invocationId: globalThis.crypto.randomUUID(), ok: true, latencyMs: 5, inputTokens: 0, outputTokens: 0, toolCalls: 1, error: null }, clock.now());
    await api.settled();
    expect((await rowOf(model.id)).failing).toBeNull();
    expect((await getJson(base, "/api/health")).json.status).toBe("ok");
  });

  it("shows open positions with notional, holding time and an estimated liquidation price", async () => {
    const { json } = await getJson(base, `/api/positions?modelId=${models[0]!.id}`);
    const btc = json.items[0];
    expect(btc.notional).toBe("5050");
    expect(btc.holdingMs).toBe(clock.now() - btc.openedAt);
    // 10x long from 100,000: liquidated 1/10 minus the maintenance margin below entry.
    expect(Number(btc.liquidationPrice)).toBeGreaterThan(90_000);
    expect(Number(btc.liquidationPrice)).toBeLessThan(100_000);
  });

  it("refuses unknown query parameters, naming the allowed ones, and documents it", async () => {
    const typo = await getJson(base, `/api/positions?modelid=${models[0]!.id}`);
    expect(typo.status).toBe(400);
    expect(typo.json.error.code).toBe("INVALID_INPUT");
    expect(typo.json.error.message).toBe("invalid query: modelid: unknown query parameter; allowed: modelId, limit");
    expect(typo.json.error.issues).toEqual([{ path: "modelid", message: "unknown query parameter; allowed: modelId, limit" }]);
    expect((await getJson(base, "/api/health?verbose=1")).json.error.message).toBe("invalid query: verbose: unknown query parameter; allowed: none");
    expect((await getJson(base, "/api/invocations/failed?limit=5")).status).toBe(200);
    const doc = (await getJson(base, "/openapi.json")).json;
    expect(doc.paths["/api/positions"].get.description).toContain("Unknown query parameters are refused");
    expect(doc.info.description).toContain("Unknown query parameters are refused");
  });

  it("serves the coin prices, the recent events and the correlation of the models' returns", async () => {
    const prices = (await getJson(base, "/api/prices")).json;
    expect(prices.items.find((p: any) => p.symbol === "BTC")).toMatchObject({ price: "101000", source: "live" });
    const recent = (await getJson(base, "/api/events/recent?limit=2")).json;
    expect(recent.items.map((e: any) => e.event.type)).toEqual(["invocationFinished", "invocationFinished"]);
    expect(recent.lastEventId).toBe(recent.items[0].id);
    const corr = (await getJson(base, "/api/analytics/correlation?window=all")).json;
    expect(corr.models).toHaveLength(3);
    expect(corr.matrix.map((r: any[]) => r.length)).toEqual([3, 3, 3]);
    expect(corr.matrix[0][0]).toBe(1);
    expect(corr.matrix[0][1]).toBe(corr.matrix[1][0]);
    expect(Math.abs(corr.matrix[0][1])).toBeLessThanOrEqual(1);
  });

  it("caps concurrent streams and drops a client that falls too far behind with a retry hint", async () => {
    const a = await openSse(`${base}/api/events`);
    const b = await openSse(`${base}/api/events`);
    const refused = await fetch(`${base}/api/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(((await refused.json()) as any).error.code).toBe("TOO_MANY_STREAMS");
    // Ten events in one turn of the event loop: more than three wait for each client.
    for (let i = 0; i < 10; i++) bus.publish("tickStarted", { tick: 100 + i, modelIds: [] }, clock.now());
    await a.until(() => a.messages.some((m) => m.event === "dropped"));
    expect(JSON.parse(a.messages.find((m) => m.event === "dropped")!.data).retryAfterMs).toBe(5000);
    a.close();
    b.close();
  });

  it("logs every 5xx with the request id it answered with", async () => {
    await db.close();
    const failed = await fetch(`${base}/api/trades`);
    expect(failed.status).toBe(500);
    const id = failed.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(errors.some((line) => line === `autonome api: 500 GET /api/trades request ${id}`)).toBe(true);
  });
});
