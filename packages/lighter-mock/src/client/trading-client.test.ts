/**
 * @autonome/lighter-client's LighterTradingClient against the mock venue, through the client's public API. These
 * client-against-venue tests live here, not in lighter-client, because lighter-client
 * cannot depend on the package that depends on it; they check both sides of the wire.
 */
import { Decimal, TimeoutError } from "@autonome/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LighterApiKey, LighterOrderRejectedError, LighterRestClient, LighterTradingClient } from "@autonome/lighter-client";
import { MockLighterServer } from "../mock-server.js";

const ACCOUNT = 300;
const KEY_INDEX = 4;
const key = LighterApiKey.fromSeed("31".repeat(32));
let server: MockLighterServer;
let trader: LighterTradingClient;
let rest: LighterRestClient;

describe("LighterTradingClient against the mock server", () => {
  beforeEach(async () => {
    server = await new MockLighterServer().start();
    server.exchange.registerApiKey(ACCOUNT, KEY_INDEX, key.publicKeyHex, 10);
    server.exchange.setCollateral(ACCOUNT, "5000");
    server.exchange.addLiquidity(0, "ask", [["3000.00", "0.5000"], ["3010.00", "0.5000"], ["3100.00", "5.0000"]]);
    server.exchange.addLiquidity(0, "bid", [["2990.00", "1.0000"], ["2980.00", "5.0000"]]);
    rest = new LighterRestClient({ baseUrl: server.url, timeoutMs: 2_000, backoffMs: 5 });
    trader = new LighterTradingClient({ rest, key, accountIndex: ACCOUNT, apiKeyIndex: KEY_INDEX, chainId: 304 });
  });
  afterEach(async () => server.stop());

  it("fills an IOC market buy across levels within the worst price and reports the average", async () => {
    const placed = await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.8", worstPrice: "3050" });
    expect(placed.nonce).toBe(10);
    const report = await trader.trackFill(placed, { pollIntervalMs: 10 });
    expect(report.status).toBe("filled");
    expect(report.filledSize.toString()).toBe("0.8");
    // 0.5 @ 3000 + 0.3 @ 3010 = 2403 / 0.8
    expect(report.averagePrice!.toString()).toBe("3003.75");
    const account = await rest.account(ACCOUNT);
    expect(account.positions[0]!.size.toString()).toBe("0.8");
  });

  it("reports a partial fill when the worst price stops the sweep", async () => {
    const placed = await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "2", worstPrice: "3010" });
    const report = await trader.trackFill(placed, { pollIntervalMs: 10 });
    expect(report.status).toBe("partially_filled");
    expect(report.filledSize.toString()).toBe("1");
    expect(report.reason).toBe("canceled-too-much-slippage");
  });

  it("prices a market order from the book with max slippage", async () => {
    const placed = await trader.placeMarketOrder({ symbol: "ETH", side: "sell", size: "1.5", maxSlippage: "0.001" });
    const report = await trader.trackFill(placed, { pollIntervalMs: 10 });
    // worst = 2990 * 0.999 = 2987.01: only the 2990 level qualifies.
    expect(report.status).toBe("partially_filled");
    expect(report.filledSize.toString()).toBe("1");
  });

  it("reports not filled, with the reason, on an empty side", async () => {
    const placed = await trader.placeMarketOrder({ symbol: "BTC", side: "buy", size: "0.01", worstPrice: "100000" });
    const report = await trader.trackFill(placed, { pollIntervalMs: 10 });
    expect(report).toMatchObject({ status: "not_filled", reason: "canceled-not-enough-liquidity" });
    expect(report.averagePrice).toBeUndefined();
  });

  it("places reduce-only SL and TP that rest as pending, closes the position when the stop triggers, and cancels the other", async () => {
    await trader.trackFill(await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.5", worstPrice: "3000" }), { pollIntervalMs: 10 });
    const sl = await trader.placeStopLoss({ symbol: "ETH", side: "sell", triggerPrice: "2950" });
    const tp = await trader.placeTakeProfit({ symbol: "ETH", side: "sell", triggerPrice: "3200", size: "0.5" });
    const token = trader.authToken();
    const pending = await rest.accountActiveOrders(ACCOUNT, 0, token);
    expect(pending.map((o) => [o.type, o.status, o.reduceOnly]).sort()).toEqual([
      ["stop-loss", "pending", true],
      ["take-profit", "pending", true],
    ]);
    server.exchange.setMarkPrice(0, "2940");
    const slReport = await trader.trackFill(sl, { pollIntervalMs: 10 });
    expect(slReport.status).toBe("filled");
    expect(slReport.averagePrice!.toString()).toBe("2990");
    expect((await rest.account(ACCOUNT)).positions).toEqual([]);
    // Realized: (2990 - 3000) * 0.5 = -5
    expect((await rest.account(ACCOUNT)).collateral.toString()).toBe("4995");
    await trader.cancelOrder("ETH", tp.clientOrderIndex);
    expect(await rest.accountActiveOrders(ACCOUNT, 0, token)).toEqual([]);
  });

  it("cancels all orders and updates leverage", async () => {
    await trader.placeStopLoss({ symbol: "ETH", side: "sell", triggerPrice: "2000", size: "0.1" });
    await trader.cancelAllOrders();
    expect(await rest.accountActiveOrders(ACCOUNT, 0, trader.authToken())).toEqual([]);
    const leverage = await trader.updateLeverage("ETH", 10);
    expect(leverage.txHash).toHaveLength(80);
    await expect(trader.updateLeverage("ETH", 100)).rejects.toThrow("invalid leverage");
  });

  it("resyncs the nonce after a gap (21104) and retries once", async () => {
    await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.1", worstPrice: "3000" });
    server.exchange.bumpNonce(ACCOUNT, KEY_INDEX, 3);
    const placed = await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.1", worstPrice: "3000" });
    expect(placed.nonce).toBe(14);
    expect(server.requestCounts.get("/api/v1/nextNonce")).toBe(2);
  });

  it("surfaces a rejected order as a typed error and keeps the nonce usable", async () => {
    server.exchange.rejectNext = { code: 21739, message: "not enough margin" };
    await expect(trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.1", worstPrice: "3000" })).rejects.toBeInstanceOf(
      LighterOrderRejectedError,
    );
    server.faults.latencyMs = 30;
    const placed = await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.1", worstPrice: "3000" });
    expect((await trader.trackFill(placed, { pollIntervalMs: 10 })).status).toBe("filled");
  });

  it("rides out 429s while placing and times out tracking an unknown tx", async () => {
    server.faults.rateLimitNext = 2;
    const placed = await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.1", worstPrice: "3000" });
    expect(placed.txHash).toHaveLength(80);
    await expect(trader.trackFill({ ...placed, txHash: "ab".repeat(40) }, { timeoutMs: 60, pollIntervalMs: 10 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("never shows the key or the auth token when printed", async () => {
    const { inspect } = await import("node:util");
    const token = trader.authToken();
    const secret = key.exportPrivateKeyHex().slice(2);
    for (const text of [inspect(trader), String(trader), inspect({ trader })]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(token.split(":")[3]);
    }
  });

  it("converts with decimals loaded at runtime, never hard-coded", async () => {
    const eth = await trader.market("ETH");
    expect(eth.sizeDecimals).toBe(4);
    await expect(trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.00001", worstPrice: "3000" })).rejects.toThrow(/multiple of/);
    expect(new Decimal(eth.tickSize).toString()).toBe("0.01");
  });
});
