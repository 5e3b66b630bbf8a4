/**
 * LighterRestClient.trades, recentTrades and positionFunding against a plain HTTP server answering
 * Lighter's documented example payloads (fixtures/, each with its source): field names, units
 * (fees in parts per million of the notional, times in seconds or ms) and malformed entries.
 * (The reads against the mock venue are tested in @autonome/lighter-mock.)
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LighterRequestError } from "../errors.js";
import { LighterRestClient } from "./rest-client.js";
import { tradeFeeOf } from "./schemas.js";

function fixture(name: string): { source: string; payload: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as { source: string; payload: Record<string, unknown> };
}

describe("Lighter trades and position funding, from the documented payloads", () => {
  let http: Server;
  let body: unknown;
  let seen: IncomingMessage[];
  let rest: LighterRestClient;
  beforeEach(async () => {
    seen = [];
    http = createServer((req, res) => {
      seen.push(req);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    rest = new LighterRestClient({ baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, timeoutMs: 2_000, maxAttempts: 1 });
  });
  afterEach(async () => new Promise<void>((resolve) => http.close(() => resolve())));

  it("reads a captured trade: fees in parts per million of the notional, the maker's fee paid by the resting order", async () => {
    const { source, payload } = fixture("recent-trades.json");
    expect(source).toMatch(/docs\/Trade\.md/);
    body = payload;
    const [trade] = await rest.recentTrades(0, 1);
    expect(trade).toMatchObject({ tradeId: 787393523, marketId: 0, type: "trade", isMakerAsk: false, timestamp: 1767879501437 });
    expect(trade!.size.toString()).toBe("0.08");
    expect(trade!.usdAmount.toString()).toBe("247.2392");
    expect(trade!.askOrderIndex).toBe(281475996690545n);
    // maker_fee 20 = 20 ppm = 0.002%; taker_fee left out = 0.
    expect(trade!.makerFeeRate.toString()).toBe("0.00002");
    expect(trade!.takerFeeRate.toString()).toBe("0");
    // is_maker_ask false: the bid rested (maker), the ask took.
    expect(tradeFeeOf(trade!, 562948960643394n)!.toString()).toBe("0.004944784");
    expect(tradeFeeOf(trade!, 281475996690545n)!.toString()).toBe("0");
    expect(tradeFeeOf(trade!, 1n)).toBeUndefined();
  });

  it("asks GET /api/v1/trades for an order's trades newest first with the auth header, and reads times in seconds as ms", async () => {
    const { payload } = fixture("account-all.json");
    const trades = (payload.trades as Record<string, unknown[]>)["1"]!;
    body = { code: 200, next_cursor: "abc", trades: trades.map((t) => ({ ...(t as object), taker_fee: 200, maker_fee: -10 })) };
    const page = await rest.trades({ accountIndex: 654321, orderIndex: 502n, limit: 50, authToken: "tok" });
    const url = new URL(seen[0]!.url!, "http://x");
    expect(url.pathname).toBe("/api/v1/trades");
    expect(Object.fromEntries(url.searchParams)).toEqual({ sort_by: "timestamp", sort_dir: "desc", limit: "50", account_index: "654321", order_index: "502" });
    expect(seen[0]!.headers.authorization).toBe("tok");
    expect(page.nextCursor).toBe("abc");
    const t = page.trades[0]!;
    expect(t.timestamp).toBe(1_700_000_000_000);
    // is_maker_ask true: the ask (501) made, with a rebate of 10 ppm; the bid (502) took, 200 ppm.
    expect(tradeFeeOf(t, 502n)!.toString()).toBe("2");
    expect(tradeFeeOf(t, 501n)!.toString()).toBe("-0.1");
  });

  it("reads the documented PositionFunding entry: change in USDC (positive = received), rate in percent, time in seconds", async () => {
    const { payload } = fixture("account-all.json");
    const entries = (payload.funding_histories as Record<string, unknown[]>)["1"]!;
    body = { code: 200, position_fundings: [...entries, { ...(entries[0] as object), funding_id: 2002, timestamp: 1_700_003_600_000, change: "-0.25", position_side: "short" }], next_cursor: "" };
    const page = await rest.positionFunding(10, "tok", { marketId: 101, limit: 20 });
    const url = new URL(seen[0]!.url!, "http://x");
    expect(url.pathname).toBe("/api/v1/positionFunding");
    expect(Object.fromEntries(url.searchParams)).toEqual({ account_index: "10", limit: "20", market_id: "101" });
    expect(page.nextCursor).toBeUndefined();
    expect(page.fundings.map((f) => ({ ...f, change: f.change.toString(), ratePercent: f.ratePercent.toString(), positionSize: f.positionSize.toString() }))).toEqual([
      { fundingId: 2001, marketId: 101, timeMs: 1_700_000_000_000, change: "0.001", ratePercent: "0.0001", positionSize: "0.5", positionSide: "LONG" },
      { fundingId: 2002, marketId: 101, timeMs: 1_700_003_600_000, change: "-0.25", ratePercent: "0.0001", positionSize: "0.5", positionSide: "SHORT" },
    ]);
  });

  it("refuses a malformed entry with a typed error naming the field", async () => {
    body = { code: 200, position_fundings: [{ timestamp: 1, market_id: 1, funding_id: 1, change: "lots", rate: "0", position_size: "1", position_side: "long" }] };
    await expect(rest.positionFunding(1, "tok")).rejects.toThrow(LighterRequestError);
    await expect(rest.positionFunding(1, "tok")).rejects.toThrow(/position_fundings\.0\.change/);
    body = { code: 200, trades: [{ trade_id: 1, tx_hash: "", market_id: 0, size: "1", price: "1", ask_id: 1, bid_id: 2, ask_account_id: 1, bid_account_id: 2, is_maker_ask: true, timestamp: 1, taker_fee: "x" }] };
    await expect(rest.trades({ marketId: 0 })).rejects.toThrow(/trades\.0\.taker_fee/);
  });
});
