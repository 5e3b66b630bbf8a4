/**
 * LighterRestClient.liquidations against a plain HTTP server answering fixed bodies: the
 * documented LiquidationInfos shape, unknown fields and types, and malformed entries.
 * (The read against the mock venue is tested in @autonome/lighter-mock.)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LighterRequestError } from "../errors.js";
import { LighterRestClient } from "./rest-client.js";

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
