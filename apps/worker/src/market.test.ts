import { ConfigError, ManualClock } from "@autonome/core";
import { MockLighterServer } from "@autonome/lighter-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "@autonome/db";
import { runTradeWorkflow } from "@autonome/trading";
import { createMarket, createRuntime, seedModels } from "./app.js";
import { loadConfig } from "./config.js";
import { SILENT } from "./logger.js";

describe("MARKET_SOURCE=lighter", () => {
  let server: MockLighterServer;
  beforeAll(async () => {
    server = await new MockLighterServer().start();
    server.exchange.addLiquidity(1, "bid", [["100000.0", "0.5"], ["99990.0", "1.0"]]);
    server.exchange.addLiquidity(1, "ask", [["100010.0", "0.5"], ["100020.0", "1.0"]]);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("reads Lighter's public market data with LIGHTER_BASE_URL alone (no API key), the stream URL derived from it", () => {
    const config = loadConfig({ MARKET_SOURCE: "lighter", LIGHTER_BASE_URL: "https://mainnet.zklighter.elliot.ai" });
    expect(config.lighterMarket).toEqual({ restUrl: "https://mainnet.zklighter.elliot.ai", wsUrl: "wss://mainnet.zklighter.elliot.ai/stream", historyMinutes: 1440 });
    expect(config.lighter).toBeNull();
    expect(loadConfig({ MARKET_SOURCE: "lighter", LIGHTER_BASE_URL: "http://127.0.0.1:1", LIGHTER_WS_URL: "ws://127.0.0.1:2/stream", LIGHTER_HISTORY_MINUTES: "60" }).lighterMarket)
      .toEqual({ restUrl: "http://127.0.0.1:1", wsUrl: "ws://127.0.0.1:2/stream", historyMinutes: 60 });
  });

  it("refuses a missing or malformed URL with the variable named", () => {
    const missing = (() => {
      try {
        loadConfig({ MARKET_SOURCE: "lighter" });
      } catch (error) {
        return error;
      }
    })();
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toMatch(/LIGHTER_BASE_URL/);
    expect(() => loadConfig({ MARKET_SOURCE: "lighter", LIGHTER_BASE_URL: "ftp://x" })).toThrow(/LIGHTER_BASE_URL/);
    expect(() => loadConfig({ MARKET_SOURCE: "lighter", LIGHTER_BASE_URL: "http://x", LIGHTER_WS_URL: "http://x/stream" })).toThrow(/LIGHTER_WS_URL/);
  });

  it("connects the worker's market to the (mock) exchange: markets, books and marks arrive over REST and WebSocket", async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    const market = await createMarket(loadConfig({ MARKET_SOURCE: "lighter", LIGHTER_BASE_URL: server.url, LIGHTER_HISTORY_MINUTES: "0" }), clock);
    try {
      expect(market.markets().map((m) => m.symbol)).toContain("BTC");
      const book = market.book("BTC", 5);
      expect(book.bids[0]?.price.toString()).toBe("100000");
      expect(book.asks[0]?.price.toString()).toBe("100010");
      expect(market.midPrice("BTC").toString()).toBe("100005");
    } finally {
      await market.close();
    }
  });

  it("paper-trades on it: a rule model's entry fills against Lighter's book in the simulator and lands in Orders", async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    const config = loadConfig({ MARKET_SOURCE: "lighter", LIGHTER_BASE_URL: server.url, LIGHTER_HISTORY_MINUTES: "0" });
    const db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
    const { runtime, market } = await createRuntime(config, db, clock, SILENT);
    try {
      const [model] = (await seedModels(db, config.models)).filter((m) => m.name === "buy-and-hold-btc");
      const result = await runTradeWorkflow(runtime, model!);
      expect(result.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["create_position:executed"]);
      const order = await db.orders.openPositionOf(model!.id, "BTC");
      // A market buy on the simulator fed with Lighter's book fills at its best ask.
      expect(order?.entryPrice.toString()).toBe("100010");
    } finally {
      await runtime.close();
      await market.close();
      await db.close();
    }
  });
});
