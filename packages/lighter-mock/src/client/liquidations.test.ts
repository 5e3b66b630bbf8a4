/**
 * @autonome/lighter-client's liquidations read (LighterRestClient and LighterTradingClient)
 * against the mock venue, through the client's public API. These client-against-venue
 * tests live here, not in lighter-client, because lighter-client
 * cannot depend on the package that depends on it; they check both sides of the wire.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LighterApiKey, LighterAuthError, LighterRestClient, LighterTradingClient } from "@autonome/lighter-client";
import { MockLighterServer } from "../mock-server.js";

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
