import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LighterAuthError, LighterRequestError } from "../errors.js";
import { MockLighterServer } from "../mock/mock-server.js";
import { LighterApiKey } from "../signer/api-key.js";
import { LighterTradingClient } from "../trading/trading-client.js";
import { LighterRestClient } from "./rest-client.js";

const ACCOUNT = 410;
const KEY_INDEX = 2;
const key = LighterApiKey.fromSeed("52".repeat(32));

describe("LighterRestClient.liquidations against the mock server", () => {
  let server: MockLighterServer;
  let rest: LighterRestClient;
  let trader: LighterTradingClient;
  beforeEach(async () => {
    server = await new MockLighterServer().start();
    server.exchange.registerApiKey(ACCOUNT, KEY_INDEX, key.publicKeyHex, 0);
    server.exchange.setCollateral(ACCOUNT, "5000");
    server.exchange.addLiquidity(1, "ask", [["100000.0", "1.00000"]]);
    server.exchange.addLiquidity(1, "bid", [["99990.0", "1.00000"]]);
    rest = new LighterRestClient({ baseUrl: server.url, timeoutMs: 2_000, backoffMs: 5 });
    trader = new LighterTradingClient({ rest, key, accountIndex: ACCOUNT, apiKeyIndex: KEY_INDEX, chainId: 304 });
  });
  afterEach(async () => server.stop());

  async function openLongBtc(size: string): Promise<void> {
    const placed = await trader.placeMarketOrder({ symbol: "BTC", side: "buy", size, worstPrice: "100500" });
    expect((await trader.trackFill(placed, { pollIntervalMs: 10 })).status).toBe("filled");
  }

  it("reads a liquidation with Decimal price and size, the fee as a fraction, the time in ms and the mark", async () => {
    await openLongBtc("0.2");
    server.exchange.liquidate(ACCOUNT, 1, "90050.5", { takerFee: "0.0500", markPrice: "90000.1", timeMs: 1_790_000_000_123 });
    const { liquidations, nextCursor } = await rest.liquidations(ACCOUNT, trader.authToken());
    expect(nextCursor).toBeUndefined();
    expect(liquidations).toHaveLength(1);
    const l = liquidations[0]!;
    expect(l.marketId).toBe(1);
    expect(l.type).toBe("partial");
    expect(l.price.toString()).toBe("90050.5");
    expect(l.size.toString()).toBe("0.2");
    expect(l.takerFeeRate.toString()).toBe("0.0005");
    expect(l.timeMs).toBe(1_790_000_000_123);
    expect(l.askAccountIndex).toBe(ACCOUNT);
    expect(l.markPrices.get(1)?.toString()).toBe("90000.1");
  });

  it("takes the position to zero, realizes its loss and fee, and cancels its SL/TP trigger orders", async () => {
    await openLongBtc("0.1");
    await trader.placeStopLoss({ symbol: "BTC", side: "sell", triggerPrice: "95000" });
    await trader.placeTakeProfit({ symbol: "BTC", side: "sell", triggerPrice: "110000" });
    expect(server.exchange.accountOrders(ACCOUNT, true)).toHaveLength(2);
    server.exchange.liquidate(ACCOUNT, 1, "96000.0", { takerFee: "0.1000" });
    expect((await rest.account(ACCOUNT)).positions).toEqual([]);
    expect(server.exchange.accountOrders(ACCOUNT, true)).toEqual([]);
    expect(server.exchange.accountOrders(ACCOUNT, false, 1).filter((o) => o.orderType !== 1).map((o) => o.status)).toEqual(["canceled-reduce-only", "canceled-reduce-only"]);
    // Entry 100000, out at 96000 on 0.1: -400, and 0.1% of 9600 in fees.
    expect((await rest.account(ACCOUNT)).collateral.toString()).toBe(String(5000 - 400 - 9.6));
  });

  it("leaves the rest of the position on a partial liquidation and keeps its trigger orders", async () => {
    await openLongBtc("0.3");
    await trader.placeStopLoss({ symbol: "BTC", side: "sell", triggerPrice: "95000" });
    server.exchange.liquidate(ACCOUNT, 1, "96000.0", { size: "0.1" });
    expect((await rest.account(ACCOUNT)).positions[0]!.size.toString()).toBe("0.2");
    expect(server.exchange.accountOrders(ACCOUNT, true)).toHaveLength(1);
  });

  it("pages newest first with the cursor and filters by market", async () => {
    await openLongBtc("0.3");
    for (const price of ["96000.0", "95000.0", "94000.0"]) server.exchange.liquidate(ACCOUNT, 1, price, { size: "0.1" });
    const first = await rest.liquidations(ACCOUNT, trader.authToken(), { limit: 2, marketId: 1 });
    expect(first.liquidations.map((l) => l.price.toString())).toEqual(["94000", "95000"]);
    expect(first.nextCursor).toBeDefined();
    const second = await rest.liquidations(ACCOUNT, trader.authToken(), { limit: 2, marketId: 1, cursor: first.nextCursor! });
    expect(second.liquidations.map((l) => l.price.toString())).toEqual(["96000"]);
    expect(second.nextCursor).toBeUndefined();
    expect((await rest.liquidations(ACCOUNT, trader.authToken(), { marketId: 0 })).liquidations).toEqual([]);
  });

  it("refuses a read without a valid auth token with LighterAuthError", async () => {
    await expect(rest.liquidations(ACCOUNT, "")).rejects.toBeInstanceOf(LighterAuthError);
  });
});

describe("LighterRestClient.liquidations payload parsing", () => {
  let http: Server;
  let body: unknown;
  let rest: LighterRestClient;
  beforeEach(async () => {
    http = createServer((_req, res) => {
      const text = JSON.stringify(body);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    rest = new LighterRestClient({ baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, timeoutMs: 2_000, maxAttempts: 1 });
  });
  afterEach(async () => new Promise<void>((resolve) => http.close(() => resolve())));

  const entry = {
    id: 51,
    market_id: 1,
    type: "partial",
    trade: { price: "74210.5", size: "0.10000", taker_fee: "0", maker_fee: "0", transaction_time: 1790000000123456, bid_account_id: 281474976710654, ask_account_id: 100001, usd_amount: "7421.05" },
    info: {
      positions: [{ market_id: 1, symbol: "BTC", sign: 1, position: "0.40000", avg_entry_price: "80000.0" }],
      risk_info_before: { cross_risk_parameters: { market_id: 255, collateral: "3000.000000" }, isolated_risk_parameters: [] },
      risk_info_after: { cross_risk_parameters: { market_id: 255, collateral: "2400.000000" }, isolated_risk_parameters: [] },
      mark_prices: { "1": 74250.1 },
    },
    some_new_field: { nested: true },
  };

  it("parses the documented LiquidationInfos shape and ignores fields it does not know", async () => {
    body = { code: 200, liquidations: [entry], next_cursor: "abc" };
    const { liquidations, nextCursor } = await rest.liquidations(100001, "token");
    expect(nextCursor).toBe("abc");
    const l = liquidations[0]!;
    expect([l.id, l.marketId, l.type, l.price.toString(), l.size.toString(), l.timeMs]).toEqual([51, 1, "partial", "74210.5", "0.1", 1_790_000_000_123]);
    expect(l.takerFeeRate.isZero()).toBe(true);
    expect(l.bidAccountIndex).toBe(281474976710654);
    expect(l.markPrices.get(1)?.toString()).toBe("74250.1");
  });

  it("keeps deleverages and unknown types, takes executed_at when the trade has no time, and accepts a missing info", async () => {
    const { info: _info, ...bare } = entry;
    body = {
      code: 200,
      liquidations: [
        { ...bare, id: "52", type: "deleverage", trade: { price: "1", size: "2", taker_fee: "0.0250", maker_fee: "0" }, executed_at: 1_790_000_000_999 },
        { ...entry, id: 53, type: "something-new" },
      ],
    };
    const { liquidations, nextCursor } = await rest.liquidations(100001, "token");
    expect(nextCursor).toBeUndefined();
    expect(liquidations.map((l) => l.type)).toEqual(["deleverage", "something-new"]);
    expect(liquidations[0]!.id).toBe(52);
    expect(liquidations[0]!.timeMs).toBe(1_790_000_000_999);
    expect(liquidations[0]!.takerFeeRate.toString()).toBe("0.00025");
    expect(liquidations[0]!.markPrices.size).toBe(0);
  });

  it("reads a null list as no liquidations", async () => {
    body = { code: 200, liquidations: null };
    expect((await rest.liquidations(1, "token")).liquidations).toEqual([]);
  });

  it("throws a typed LighterRequestError on a malformed entry", async () => {
    body = { code: 200, liquidations: [{ ...entry, trade: { ...entry.trade, price: "not-a-price" } }] };
    await expect(rest.liquidations(100001, "token")).rejects.toBeInstanceOf(LighterRequestError);
    body = { code: 200, liquidations: [{ id: 1, market_id: 1, type: "partial" }] };
    await expect(rest.liquidations(100001, "token")).rejects.toThrow(/invalid response from \/api\/v1\/liquidations: liquidations\.0\.trade/);
  });
});

describe("MockLighterServer failing paths", () => {
  it("answers 500 on a failing path until it is removed, and the client reports it as unavailable", async () => {
    const server = await new MockLighterServer().start();
    try {
      const rest = new LighterRestClient({ baseUrl: server.url, maxAttempts: 1 });
      server.faults.failingPaths.add("/api/v1/funding-rates");
      await expect(rest.fundingRates()).rejects.toMatchObject({ lighterCode: 29500, retryable: true });
      server.faults.failingPaths.delete("/api/v1/funding-rates");
      expect((await rest.fundingRates()).length).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });
});
