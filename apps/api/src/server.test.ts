import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArenaEventBus, type ArenaEvent, ManualClock, toDecimal } from "@autonome/core";
import { type Db, createEventChannel } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, createApiServer, startApi } from "./server.js";
import { openTestDb, postgresSkipReason } from "./testing/databases.js";
import { type SeededArena, seedArena } from "./testing/seed.js";
import { openSse } from "./testing/sse-client.js";

const T0 = Date.UTC(2026, 0, 1);
const skipPostgres = await postgresSkipReason();

for (const kind of ["pglite", "postgres"] as const) {
  describe.skipIf(kind === "postgres" && skipPostgres !== null)(`api over ${kind}`, () => {
    const clock = new ManualClock(T0);
    const bus = new ArenaEventBus();
    const marks = new Map([["BTC", toDecimal("102000")]]);
    let db: Db;
    let dispose: () => Promise<void>;
    let arena: SeededArena;
    let api: ApiServer;
    let base: string;
    const staticDir = mkdtempSync(join(tmpdir(), "autonome-web-"));
    writeFileSync(join(staticDir, "index.html"), "<!doctype html><title>Autonome</title>");

    async function get(path: string, headers: Record<string, string> = {}) {
      const response = await fetch(base + path, { headers });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: text.startsWith("{") ? JSON.parse(text) : undefined };
    }

    beforeAll(async () => {
      ({ db, dispose } = await openTestDb(kind, clock));
      arena = await seedArena(db, clock);
      api = createApiServer({
        db,
        events: bus,
        clock,
        staticDir,
        heartbeatMs: 200,
        ringBufferSize: 5,
        cacheTtlMs: 0,
        prices: { markPrice: (symbol) => marks.get(symbol) },
      });
      base = (await api.listen({ port: 0, host: "127.0.0.1" })).url;
    });

    afterAll(async () => {
      await api?.close();
      await dispose?.();
    });

    it("lists the models and returns one by id, 404 for an unknown id and 400 for a malformed one", async () => {
      const list = await get("/api/models");
      expect(list.status).toBe(200);
      expect(list.json.items.map((m: any) => m.name).sort()).toEqual(["gpt-test", "mean-reversion-rule", "momentum-rule"]);
      const one = await get(`/api/models/${arena.models[0]!.id}`);
      expect(one.json.name).toBe("momentum-rule");
      const missing = await get("/api/models/00000000-0000-4000-8000-000000000000");
      expect(missing.status).toBe(404);
      expect(missing.json.error.code).toBe("NOT_FOUND");
      const bad = await get("/api/models/not-a-uuid");
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe("INVALID_INPUT");
      expect(bad.json.error.issues[0].path).toBe("id");
    });

    it("ranks the leaderboard by account value with the window's return, PnL, fees, win rate, extremes, Sharpe and drawdown", async () => {
      const { json, status } = await get("/api/leaderboard?window=all");
      expect(status).toBe(200);
      expect(json.rows.map((r: any) => r.model.name)).toEqual(["momentum-rule", "gpt-test", "mean-reversion-rule"]);
      const top = json.rows[0];
      expect(top.rank).toBe(1);
      // momentum: 3 trades, (101000-100000)*0.1-2 = 98, (3000-2950)*0.1-2 = 3, (100500-101000)*0.1-2 = -52.
      expect(top.trades).toBe(3);
      expect(top.wins).toBe(2);
      expect(top.losses).toBe(1);
      expect(top.winRate).toBeCloseTo(2 / 3, 10);
      expect(top.realizedPnl).toBe("49");
      expect(top.fees).toBe("6");
      expect(top.biggestWin).toBe("98");
      expect(top.biggestLoss).toBe("-52");
      expect(toDecimal(top.pnl).gt(0)).toBe(true);
      expect(top.return).toBeGreaterThan(0);
      // Over all time the curve is sampled daily (the resolution thinning keeps); over 7 days, hourly.
      expect(top.maxDrawdown).toBeGreaterThanOrEqual(0);
      const week = await get("/api/leaderboard?window=7d");
      const weekTop = week.json.rows.find((r: any) => r.model.name === "momentum-rule");
      expect(weekTop.sharpe).toBeGreaterThan(0);
      expect(weekTop.maxDrawdown).toBeGreaterThan(0);
      const weekLast = week.json.rows.find((r: any) => r.model.name === "mean-reversion-rule");
      expect(weekLast.sharpe).toBeLessThan(0);
      expect(top.openPositions).toBe(1);
      const quiet = json.rows.find((r: any) => r.model.name === "gpt-test");
      expect([quiet.trades, quiet.winRate, quiet.biggestWin]).toEqual([0, null, null]);
      const byTrades = await get("/api/leaderboard?window=24h&sort=trades");
      expect(byTrades.json.window).toBe("24h");
      expect(byTrades.json.from).toBe(clock.now() - 86_400_000);
      // Only trades closed in the last 24 hours count: none in the seed.
      expect(byTrades.json.rows.every((r: any) => r.trades === 0)).toBe(true);
      expect((await get("/api/leaderboard?window=1y")).status).toBe(400);
    });

    it("computes every risk metric of a model for the analytics page", async () => {
      const { json } = await get(`/api/models/${arena.models[1]!.id}/analytics?window=all`);
      expect(json.metrics.tradeCount).toBe(3);
      // mean-reversion: (100000-100800)*0.1-2 = -82, (140-150)*0.1-2 = -3, (2960-2950)*0.1-2 = -1.
      expect(json.metrics.realizedPnl).toBe("-86");
      expect(json.metrics.winRate).toBe(0);
      expect(json.metrics.biggestLoss).toBe("-82");
      expect(json.metrics.totalReturn).toBeLessThan(0);
      expect(json.metrics.longShare).toBeCloseTo(2 / 3, 10);
      expect(json.tradesTruncated).toBe(false);
      expect((await get(`/api/models/00000000-0000-4000-8000-000000000000/analytics`)).status).toBe(404);
    });

    it("marks open positions at the live price when the provider knows the symbol and at the last known price otherwise", async () => {
      const { json } = await get("/api/positions");
      expect(json.items).toHaveLength(2);
      const btc = json.items.find((p: any) => p.symbol === "BTC");
      expect([btc.priceSource, btc.markPrice, btc.unrealizedPnl]).toEqual(["live", "102000", "100"]);
      const eth = json.items.find((p: any) => p.symbol === "ETH");
      // No live ETH price: the newest ETH fill the arena recorded is the open short's entry, 3000 (newer than the 2960 exit).
      expect([eth.priceSource, eth.markPrice, eth.unrealizedPnl]).toEqual(["lastKnown", "3000", "0"]);
      expect(json.totalUnrealizedPnl).toBe("100");
      const mine = await get(`/api/positions?modelId=${arena.models[0]!.id}`);
      expect(mine.json.items.map((p: any) => p.orderId)).toEqual([arena.openOrderIds[0]]);
      const capped = await get("/api/positions?limit=1");
      expect([capped.json.items.length, capped.json.truncated]).toEqual([1, true]);
      expect((await get("/api/positions?limit=1001")).status).toBe(400);
    });

    it("pages closed trades newest first and filters them by model and symbol", async () => {
      const first = await get("/api/trades?limit=4");
      expect(first.json.items).toHaveLength(4);
      const second = await get(`/api/trades?limit=4&cursor=${first.json.nextCursor}`);
      expect(second.json.items).toHaveLength(2);
      expect(second.json.nextCursor).toBeNull();
      const closedAts = [...first.json.items, ...second.json.items].map((t: any) => t.closedAt);
      expect(closedAts).toEqual([...closedAts].sort((a, b) => b - a));
      const btc = await get(`/api/trades?symbol=BTC&modelId=${arena.models[0]!.id}`);
      expect(btc.json.items.map((t: any) => [t.symbol, t.realizedPnl])).toEqual([
        ["BTC", "-52"],
        ["BTC", "98"],
      ]);
      expect((await get("/api/trades?limit=201")).status).toBe(400);
      expect((await get("/api/trades?cursor=nonsense")).json.error.code).toBe("INVALID_INPUT");
    });

    it("lists invocations with prompt, reasoning, tool calls, tokens and latency, and the failed ones with their steps", async () => {
      const page = await get(`/api/invocations?modelId=${arena.models[0]!.id}`);
      const inv = page.json.items[0];
      expect(inv.prompt).toContain("momentum-rule");
      expect(inv.reasoning).toBe("momentum-rule: trend is up");
      expect(inv.toolCalls.map((t: any) => t.type)).toEqual(["CREATE_POSITION"]);
      expect([inv.inputTokens, inv.latencyMs]).toEqual([1200, 1500]);
      const one = await get(`/api/invocations/${inv.id}`);
      expect(one.json.id).toBe(inv.id);
      const failed = await get("/api/invocations/failed");
      expect(failed.json.items).toHaveLength(1);
      expect(failed.json.items[0].error).toContain("timed out");
      expect(failed.json.items[0].steps).toEqual([{ kind: "model", ms: 30_000, error: "timeout" }]);
      // Without a separate reasoning field, the model's final text is its reasoning.
      const plain = await get(`/api/invocations?modelId=${arena.models[2]!.id}`);
      expect(plain.json.items.map((i: any) => [i.response, i.reasoning])).toEqual([
        [null, null],
        ["Holding.", "Holding."],
      ]);
      expect((await get("/api/invocations?limit=51")).status).toBe(400);
    });

    it("returns every model's equity curve downsampled to the requested number of points", async () => {
      const { json } = await get("/api/equity?window=all&points=20");
      expect(json.series).toHaveLength(3);
      for (const s of json.series) {
        expect(s.points.length).toBeLessThanOrEqual(20);
        expect(s.points[0].t).toBe(T0);
        expect(s.points.at(-1).t).toBe(T0 + 72 * 3_600_000);
      }
      const day = await get(`/api/equity?window=24h&modelId=${arena.models[0]!.id}`);
      expect(day.json.series).toHaveLength(1);
      // The seed ends a few seconds after its last hourly snapshot, so the last 24 hours hold 24 of them.
      // 24 hourly snapshots after the baseline point (the account value at the window's start).
      expect(day.json.series[0].points).toHaveLength(25);
      expect((await get("/api/equity?points=1")).status).toBe(400);
    });

    it("reports the worker's scheduler state and staleness from the database", async () => {
      const { json } = await get("/api/health");
      expect(json.status).toBe("ok");
      expect(json.workers[0]).toMatchObject({ workerId: "worker-1", tick: 12, degraded: false, stale: false });
      expect(json.models.find((m: any) => m.name === "gpt-test")).toBeDefined();
    });

    it("is degraded, naming the model and the reason, while the worker has paused a model after configuration errors", async () => {
      const model = arena.models[1]!;
      await db.models.setEnabled(model.id, false, "3 configuration errors in a row: 401 Incorrect API key provided");
      try {
        const { json } = await get("/api/health");
        expect(json.status).toBe("degraded");
        expect(json.degradedReason).toBe(`model ${model.name} paused: 3 configuration errors in a row: 401 Incorrect API key provided`);
        expect(json.models.find((m: any) => m.id === model.id)).toMatchObject({ enabled: false, pausedReason: "3 configuration errors in a row: 401 Incorrect API key provided" });
      } finally {
        await db.models.setEnabled(model.id, true);
      }
      const { json } = await get("/api/health");
      expect([json.status, json.degradedReason]).toEqual(["ok", null]);
    });

    it("streams events live with a per-model filter, heartbeats, Last-Event-ID resume and a gap notice past the buffer", async () => {
      const [a, b] = [arena.models[0]!.id, arena.models[1]!.id];
      const all = await openSse(`${base}/api/events`);
      const onlyA = await openSse(`${base}/api/events?modelId=${a}`);
      try {
        await all.until(() => all.comments.some((c) => c.startsWith("heartbeat")));
        bus.publish("positionClosed", { modelId: b, orderId: "o-b", symbol: "BTC", side: "LONG", quantity: "1", entryPrice: "1", exitPrice: "2", realizedPnl: "1", closeTrigger: null }, clock.now());
        bus.publish("invocationFinished", { modelId: a, invocationId: "i-a", ok: true, latencyMs: 5, inputTokens: 1, outputTokens: 1, toolCalls: 0, error: null }, clock.now());
        bus.publish("tickFinished", { tick: 13, durationMs: 10, succeeded: [a, b], failed: [], timedOut: [] }, clock.now());
        await all.until(() => all.messages.length === 3);
        await onlyA.until(() => onlyA.messages.length === 2);
        expect(all.messages.map((m) => (JSON.parse(m.data) as ArenaEvent).type)).toEqual(["positionClosed", "invocationFinished", "tickFinished"]);
        expect(onlyA.messages.map((m) => (JSON.parse(m.data) as ArenaEvent).type)).toEqual(["invocationFinished", "tickFinished"]);
        // Resume after the first event: the two later ones are replayed.
        const resumed = await openSse(`${base}/api/events`, { "Last-Event-ID": all.messages[0]!.id! });
        await resumed.until(() => resumed.messages.length === 2);
        expect(resumed.messages.map((m) => m.id)).toEqual([all.messages[1]!.id, all.messages[2]!.id]);
        resumed.close();
        // Overflow the 5-event buffer: resuming from the first event now reports a gap.
        for (let i = 0; i < 6; i++) bus.publish("tickStarted", { tick: 20 + i, modelIds: [] }, clock.now());
        await all.until(() => all.messages.length === 9);
        const late = await openSse(`${base}/api/events`, { "Last-Event-ID": all.messages[0]!.id! });
        await late.until(() => late.messages.length >= 6);
        expect(late.messages[0]!.event).toBe("gap");
        late.close();
      } finally {
        all.close();
        onlyA.close();
      }
      expect((await get("/api/events?types=nope")).status).toBe(400);
    });

    it("answers every non-GET request with 405 and changes nothing", async () => {
      const paths = ["/api/models", `/api/models/${arena.models[0]!.id}`, "/api/leaderboard", "/api/positions", "/api/trades", "/api/invocations", "/api/equity", "/api/health", "/api/events", "/openapi.json", "/"];
      for (const path of paths) {
        for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
          const response = await fetch(base + path, { method, body: method === "DELETE" ? null : "{}", headers: { "content-type": "application/json" } });
          expect([404, 405]).toContain(response.status);
          expect(response.status).toBe(405);
          expect(((await response.json()) as any).error.code).toBe("METHOD_NOT_ALLOWED");
        }
      }
      expect((await get("/api/positions")).json.items).toHaveLength(2);
      expect((await get("/api/trades?limit=200")).json.items).toHaveLength(6);
    });

    it("serves an OpenAPI document generated from the route schemas", async () => {
      const { json } = await get("/openapi.json");
      expect(json.openapi).toBe("3.1.0");
      for (const path of ["/api/models", "/api/models/{id}", "/api/leaderboard", "/api/models/{id}/analytics", "/api/positions", "/api/trades", "/api/invocations", "/api/invocations/failed", "/api/invocations/{id}", "/api/equity", "/api/health", "/api/events"]) {
        expect(json.paths[path]?.get, path).toBeDefined();
      }
      expect(json.paths["/api/trades"].get.parameters.map((p: any) => p.name).sort()).toEqual(["cursor", "limit", "modelId", "symbol"]);
      expect(json.components.schemas.LeaderboardRow.properties.sharpe).toBeDefined();
    });

    it("serves the dashboard's files at / and refuses paths outside its directory", async () => {
      const index = await get("/");
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toContain("text/html");
      expect(index.text).toContain("Autonome");
      expect((await get("/models/abc")).text).toContain("Autonome");
      const escape = await get("/..%2f..%2f..%2fetc%2fpasswd");
      expect(escape.status).toBe(404);
      expect(escape.text).not.toContain("root:");
      expect((await get("/missing.js")).status).toBe(404);
      expect((await get("/api/unknown")).json.error.code).toBe("NOT_FOUND");
    });
  });
}

describe("api answer caching", () => {
  it("reuses a serialized answer for at most responseCacheMs and rebuilds it at once after a trading event", async () => {
    const clock = new ManualClock(T0);
    const bus = new ArenaEventBus();
    const marks = new Map([["BTC", toDecimal("102000")]]);
    const { db, dispose } = await openTestDb("pglite", clock);
    const arena = await seedArena(db, clock);
    // Default caches: reads for 10 s, aggregates for 60 s, serialized answers for 500 ms.
    const api = createApiServer({ db, events: bus, clock, staticDir: null, ledgerSyncMs: 0, prices: { markPrice: (symbol) => marks.get(symbol) } });
    const { url } = await api.listen({ port: 0, host: "127.0.0.1" });
    const positions = async () => {
      const response = await fetch(`${url}/api/positions`);
      expect(response.headers.get("content-type")).toBe("application/json");
      const json = (await response.json()) as { items: { symbol: string; markPrice: string | null; modelId: string }[] };
      return { count: json.items.length, btc: json.items.filter((p) => p.symbol === "BTC").map((p) => p.markPrice) };
    };
    const openOf = async (modelId: string) => {
      const json = (await (await fetch(`${url}/api/leaderboard?window=all`)).json()) as { rows: { model: { id: string }; openPositions: number }[] };
      return json.rows.find((r) => r.model.id === modelId)!.openPositions;
    };
    try {
      const quiet = arena.models[2]!.id;
      expect(await positions()).toEqual({ count: 2, btc: ["102000"] });
      expect(await openOf(quiet)).toBe(0);
      marks.set("BTC", toDecimal("103000"));
      expect(await positions()).toEqual({ count: 2, btc: ["102000"] });
      clock.advanceBy(500);
      // Past the bound the answer is rebuilt: the new live mark shows without any event.
      expect(await positions()).toEqual({ count: 2, btc: ["103000"] });
      const plan = { stop: null, target: null, invalidation: null, invalidationPrice: null, confidence: null, timeExit: null, cooldownUntil: null };
      const opened = await db.orders.openPosition({ modelId: quiet, symbol: "BTC", side: "LONG", quantity: "0.01", leverage: "2", entryPrice: "103000", exitPlan: plan });
      // Written but not yet announced: both cached answers still stand.
      expect((await positions()).count).toBe(2);
      expect(await openOf(quiet)).toBe(0);
      bus.publish("positionOpened", { modelId: quiet, orderId: opened.orderId, symbol: "BTC", side: "LONG", quantity: "0.01", entryPrice: "103000", leverage: "2", fee: "0", exitPlan: plan }, clock.now());
      // The read model applies the event (one read of the open orders) and drops the answers.
      await api.settled();
      expect(await positions()).toEqual({ count: 3, btc: ["103000", "103000"] });
      expect(await openOf(quiet)).toBe(1);
      // Written without an event: the read model finds it at its next catch-up (its timer, or a resync after a stream gap).
      await db.orders.openPosition({ modelId: quiet, symbol: "ETH", side: "LONG", quantity: "0.1", leverage: "2", entryPrice: "3000", exitPlan: plan });
      // Asks repeatedly (each past the answer cache's bound, giving any reload time to land) until it sees `want` (bounded).
      const settle = async (want: number, attempts: number) => {
        let seen = await openOf(quiet);
        for (let i = 0; i < attempts && seen !== want; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          clock.advanceBy(500);
          seen = await openOf(quiet);
        }
        return seen;
      };
      expect(await settle(2, 3)).toBe(1);
      await api.ledger.resync();
      await api.settled();
      expect(await openOf(quiet)).toBe(2);
      const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, { get: { description?: string } }> };
      for (const path of ["/api/models", "/api/leaderboard", "/api/positions", "/api/equity"]) expect(doc.paths[path]!.get.description).toContain("up to 500 ms");
    } finally {
      await api.close();
      await dispose();
    }
  });
});

describe.skipIf(skipPostgres !== null)("standalone api over PostgreSQL", () => {
  it("follows the worker's events over LISTEN/NOTIFY and streams them", async () => {
    const clock = new ManualClock(T0);
    const { db, dispose } = await openTestDb("postgres", clock);
    const api = await startApi({ db, port: 0, staticDir: null });
    try {
      const model = await db.models.create({ name: "remote", provider: "rule", modelName: "x" });
      const stream = await openSse(`${api.url}/api/events?modelId=${model.id}`);
      const publisher = createEventChannel(db);
      const source = new ArenaEventBus();
      const event = source.publish("portfolioSnapshotted", { modelId: model.id, total: "10010", available: "9000", unrealizedPnl: "10" }, T0);
      // LISTEN takes effect asynchronously: publish until the stream has it (bounded).
      for (let i = 0; i < 50 && stream.messages.length === 0; i++) {
        await publisher.publish(event);
        await stream.until(() => stream.messages.length > 0, 200).catch(() => undefined);
      }
      expect(JSON.parse(stream.messages[0]!.data)).toEqual(event);
      stream.close();
      await publisher.close();
    } finally {
      await api.close();
      await dispose();
    }
  });
});
