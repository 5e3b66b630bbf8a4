/**
 * @autonome/lighter-client's account trades (GET /api/v1/trades) and position funding
 * (GET /api/v1/positionFunding) against the mock venue: the fees an account's fills paid at its
 * rates (parts per million of the notional), charged to its collateral, and the funding its
 * positions paid or received at each settlement.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LighterApiKey, LighterAuthError, LighterRestClient, LighterTradingClient, tradeFeeOf } from "@autonome/lighter-client";
import { MockLighterServer } from "../mock-server.js";

const ACCOUNT = 420;
const KEY_INDEX = 2;
const key = LighterApiKey.fromSeed("53".repeat(32));

describe("account trades and position funding against the mock server", () => {
  let server: MockLighterServer;
  let rest: LighterRestClient;
  let trader: LighterTradingClient;
  beforeEach(async () => {
    server = await new MockLighterServer().start();
    server.exchange.registerApiKey(ACCOUNT, KEY_INDEX, key.publicKeyHex, 0);
    server.exchange.setCollateral(ACCOUNT, "10000");
    server.exchange.setFeeRates(ACCOUNT, { takerPpm: 200, makerPpm: 20 });
    server.exchange.addLiquidity(0, "ask", [["3000.00", "0.3000"], ["3001.00", "1.0000"]]);
    server.exchange.addLiquidity(0, "bid", [["2999.00", "1.0000"]]);
    rest = new LighterRestClient({ baseUrl: server.url, timeoutMs: 2_000, backoffMs: 5 });
    trader = new LighterTradingClient({ rest, key, accountIndex: ACCOUNT, apiKeyIndex: KEY_INDEX, chainId: 304 });
  });
  afterEach(async () => server.stop());

  it("lists an order's own trades newest first with the taker fee it paid, charged to collateral", async () => {
    const placed = await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.5", worstPrice: "3010" });
    const fill = await trader.trackFill(placed, { pollIntervalMs: 10 });
    expect(fill.status).toBe("filled");
    const { trades, nextCursor } = await rest.trades({ accountIndex: ACCOUNT, orderIndex: fill.orderIndex!, limit: 100, authToken: trader.authToken() });
    expect(nextCursor).toBeUndefined();
    expect(trades.map((t) => [t.size.toString(), t.price.toString(), t.takerFeeRate.toString()])).toEqual([
      ["0.2", "3001", "0.0002"],
      ["0.3", "3000", "0.0002"],
    ]);
    const fees = trades.reduce((sum, t) => sum.plus(tradeFeeOf(t, fill.orderIndex!)!), trades[0]!.size.mul(0));
    // 0.2 x 3001 x 0.0002 + 0.3 x 3000 x 0.0002 = 0.12004 + 0.18
    expect(fees.toString()).toBe("0.30004");
    expect(server.exchange.collateralOf(ACCOUNT)!.toString()).toBe("9999.69996");
    // Pages with a cursor; another account's trades need its token.
    const first = await rest.trades({ accountIndex: ACCOUNT, limit: 1, authToken: trader.authToken() });
    expect(first.trades).toHaveLength(1);
    const second = await rest.trades({ accountIndex: ACCOUNT, limit: 1, cursor: first.nextCursor!, authToken: trader.authToken() });
    expect(second.trades[0]!.tradeId).toBeLessThan(first.trades[0]!.tradeId);
    await expect(rest.trades({ accountIndex: ACCOUNT + 1, limit: 1, authToken: trader.authToken() })).rejects.toThrow(LighterAuthError);
  });

  it("settles funding on the account's positions: a long pays at a positive rate, recorded with its size, side and time", async () => {
    const placed = await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.3", worstPrice: "3010" });
    expect((await trader.trackFill(placed, { pollIntervalMs: 10 })).status).toBe("filled");
    const before = server.exchange.collateralOf(ACCOUNT)!;
    server.exchange.settleFunding(0, { ratePercent: "0.0012", markPrice: "3100.00", timeMs: 1_790_000_000_000 });
    server.exchange.settleFunding(0, { ratePercent: "-0.0100", markPrice: "3000.00", timeMs: 1_790_003_600_000 });
    const { fundings, nextCursor } = await rest.positionFunding(ACCOUNT, trader.authToken(), { marketId: 0 });
    expect(nextCursor).toBeUndefined();
    expect(fundings.map((f) => [f.timeMs, f.change.toString(), f.ratePercent.toString(), f.positionSize.toString(), f.positionSide])).toEqual([
      // 0.3 x 3000 x 0.0001 received; 0.3 x 3100 x 0.000012 = 0.01116 paid.
      [1_790_003_600_000, "0.09", "-0.01", "0.3", "LONG"],
      [1_790_000_000_000, "-0.01116", "0.0012", "0.3", "LONG"],
    ]);
    expect(server.exchange.collateralOf(ACCOUNT)!.minus(before).toString()).toBe("0.07884");
    expect((await rest.positionFunding(ACCOUNT, trader.authToken(), { marketId: 1 })).fundings).toEqual([]);
    await expect(rest.positionFunding(ACCOUNT, "not-a-token")).rejects.toThrow(LighterAuthError);
  });
});
