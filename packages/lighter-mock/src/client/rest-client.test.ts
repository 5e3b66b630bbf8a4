/**
 * @autonome/lighter-client's LighterRestClient against the mock venue, through the client's public API. These
 * client-against-venue tests live here, not in lighter-client, because lighter-client
 * cannot depend on the package that depends on it; they check both sides of the wire.
 */
import { Decimal, ManualClock, SystemClock } from "@autonome/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAuthToken,
  LighterApiKey,
  LighterAuthError,
  LighterInvalidNonceError,
  LighterNotFoundError,
  LighterOrderRejectedError,
  LighterRateLimitError,
  LighterRestClient,
  LighterTimeoutError,
  ORDER_TYPE,
  signTx,
  TX_TYPE,
  type UnsignedTx,
} from "@autonome/lighter-client";
import { MockLighterServer } from "../mock-server.js";

const ACCOUNT = 100;
const KEY_INDEX = 3;
const key = LighterApiKey.fromSeed("77".repeat(32));
let server: MockLighterServer;
let rest: LighterRestClient;

function order(nonce: number, overrides: Partial<Extract<UnsignedTx, { txType: 14 }>> = {}): UnsignedTx {
  return {
    txType: TX_TYPE.CREATE_ORDER, accountIndex: ACCOUNT, apiKeyIndex: KEY_INDEX, expiredAt: Date.now() + 60_000, nonce, marketIndex: 0,
    clientOrderIndex: 100 + nonce, baseAmount: 1000, price: 310000, isAsk: false, orderType: ORDER_TYPE.MARKET, timeInForce: 0,
    reduceOnly: false, triggerPrice: 0, orderExpiry: 0, ...overrides,
  };
}

describe("LighterRestClient against the mock server", () => {
  beforeAll(async () => {
    server = await new MockLighterServer().start();
    server.exchange.registerApiKey(ACCOUNT, KEY_INDEX, key.publicKeyHex, 5);
    server.exchange.setCollateral(ACCOUNT, "10000");
    server.exchange.addLiquidity(0, "ask", [["3000.00", "1.0000"], ["3001.00", "2.0000"]]);
    server.exchange.addLiquidity(0, "bid", [["2999.00", "1.5000"]]);
    rest = new LighterRestClient({ baseUrl: server.url, timeoutMs: 2_000, backoffMs: 5 });
  });
  afterAll(async () => server.stop());

  it("loads markets with decimals and margin fractions from orderBookDetails as core Markets", async () => {
    const details = await rest.orderBookDetails();
    const eth = details.find((d) => d.market.symbol === "ETH")!;
    expect(eth.market.marketId).toBe(0);
    expect(eth.market.priceDecimals).toBe(2);
    expect(eth.market.sizeDecimals).toBe(4);
    expect(eth.market.initialMarginFraction.toString()).toBe("0.05");
    expect(eth.market.maxLeverage.toString()).toBe("50");
    expect(eth.market.maintenanceMarginFraction.toString()).toBe("0.012");
    expect((await rest.orderBooks()).map((b) => b.symbol)).toEqual(["ETH", "BTC", "SOL"]);
  });

  it("reads the public book best first", async () => {
    const book = await rest.orderBookOrders(0, 10);
    expect(book.asks.map((o) => o.price.toString())).toEqual(["3000", "3001"]);
    expect(book.bids[0]!.remainingSize.toString()).toBe("1.5");
  });

  it("reads nonces and API keys", async () => {
    expect(await rest.nextNonce(ACCOUNT, KEY_INDEX)).toBe(5);
    expect(await rest.apiKeys(ACCOUNT)).toEqual([{ apiKeyIndex: 3, nonce: 5, publicKey: key.publicKeyHex }]);
  });

  it("sends a signed market order, finds its tx, and shows the fill in account, orders and trades", async () => {
    const signed = signTx(order(5), key, 304);
    const sent = await rest.sendTx(signed);
    expect(sent.txHash).toBe(signed.txHash);
    const tx = await rest.tx(sent.txHash);
    expect(tx.status).toBe(2);
    expect(tx.txType).toBe(14);
    const account = await rest.account(ACCOUNT);
    expect(account.positions).toHaveLength(1);
    expect(account.positions[0]!.size.toString()).toBe("0.1");
    expect(account.collateral.eq(new Decimal(10000))).toBe(true);
    const token = createAuthToken(key, ACCOUNT, KEY_INDEX, Date.now() + 600_000);
    const inactive = await rest.accountInactiveOrders(ACCOUNT, token, { marketId: 0 });
    expect(inactive.orders[0]).toMatchObject({ status: "filled", clientOrderIndex: 105n });
    expect(inactive.orders[0]!.filledSize.toString()).toBe("0.1");
    expect((await rest.recentTrades(0, 5))[0]!.price.toString()).toBe("3000");
  });

  it("sends batches and lists active orders with an auth token", async () => {
    const a = signTx(order(6, { orderType: ORDER_TYPE.LIMIT, timeInForce: 1, orderExpiry: Date.now() + 3_600_000, price: 290000 }), key, 304);
    const b = signTx(order(7, { orderType: ORDER_TYPE.LIMIT, timeInForce: 1, orderExpiry: Date.now() + 3_600_000, price: 291000 }), key, 304);
    expect(await rest.sendTxBatch([a, b])).toEqual([a.txHash, b.txHash]);
    const token = createAuthToken(key, ACCOUNT, KEY_INDEX, Date.now() + 600_000);
    const active = await rest.accountActiveOrders(ACCOUNT, 0, token);
    expect(active.map((o) => o.price.toString()).sort()).toEqual(["2900", "2910"]);
    await expect(rest.accountActiveOrders(ACCOUNT, 0, "1:2:3:bad")).rejects.toBeInstanceOf(LighterAuthError);
  });

  it("serves candles, fundings and funding rates", async () => {
    const now = Date.now();
    expect((await rest.candles(0, "1h", now - 3_600_000, now, 1))[0]!.close.toString()).toBe("3000");
    expect((await rest.fundings(0, "1h", now - 3_600_000, now, 1))[0]!.rate.toString()).toBe("0.0001");
    expect((await rest.fundingRates()).map((r) => r.symbol)).toContain("ETH");
  });

  it("turns Lighter codes into typed errors carrying code and message", async () => {
    await expect(rest.tx("00".repeat(40))).rejects.toMatchObject({ lighterCode: 21500, lighterMessage: "transaction not found" });
    await expect(rest.tx("00".repeat(40))).rejects.toBeInstanceOf(LighterNotFoundError);
    await expect(rest.sendTx(signTx(order(3), key, 304))).rejects.toBeInstanceOf(LighterInvalidNonceError);
    server.exchange.rejectNext = { code: 21739, message: "not enough margin" };
    const nonce = await rest.nextNonce(ACCOUNT, KEY_INDEX);
    await expect(rest.sendTx(signTx(order(nonce), key, 304))).rejects.toBeInstanceOf(LighterOrderRejectedError);
    const wrongKey = LighterApiKey.fromSeed("78".repeat(32));
    await expect(rest.sendTx(signTx(order(nonce), wrongKey, 304))).rejects.toMatchObject({ lighterCode: 21120 });
  });

  it("retries 429 / 23000 with backoff and gives up after maxAttempts", async () => {
    server.faults.rateLimitNext = 2;
    expect(await rest.nextNonce(ACCOUNT, KEY_INDEX)).toBeGreaterThan(0);
    server.faults.rateLimitNext = 3;
    await expect(rest.nextNonce(ACCOUNT, KEY_INDEX)).rejects.toBeInstanceOf(LighterRateLimitError);
    expect(server.faults.rateLimitNext).toBe(0);
  });

  it("paces retries with the injected clock", async () => {
    const clock = new ManualClock(0);
    const paced = new LighterRestClient({ baseUrl: server.url, backoffMs: 1_000, clock });
    server.faults.rateLimitNext = 1;
    const pending = paced.nextNonce(ACCOUNT, KEY_INDEX);
    // Bounded wait for the first 429 to arrive and the backoff timer to be scheduled.
    for (let i = 0; i < 200 && clock.pendingTimers().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(clock.pendingTimers()[0]!.dueAt).toBe(1_000);
    clock.advanceTo(1_000);
    expect(await pending).toBeGreaterThan(0);
  });

  it("times out a request that never answers, and retries it", async () => {
    const impatient = new LighterRestClient({ baseUrl: server.url, timeoutMs: 100, backoffMs: 1, maxAttempts: 2, clock: new SystemClock() });
    server.faults.hangNext = 1;
    expect(await impatient.nextNonce(ACCOUNT, KEY_INDEX)).toBeGreaterThan(0);
    server.faults.hangNext = 2;
    await expect(impatient.nextNonce(ACCOUNT, KEY_INDEX)).rejects.toBeInstanceOf(LighterTimeoutError);
  });

  it("never resends a tx whose send timed out (it may have been applied), but resends after a 429", async () => {
    const impatient = new LighterRestClient({ baseUrl: server.url, timeoutMs: 100, backoffMs: 1, maxAttempts: 3 });
    const before = server.requestCounts.get("/api/v1/sendTx") ?? 0;
    const nonce = await rest.nextNonce(ACCOUNT, KEY_INDEX);
    server.faults.hangNext = 1;
    await expect(impatient.sendTx(signTx(order(nonce), key, 304))).rejects.toBeInstanceOf(LighterTimeoutError);
    expect(server.requestCounts.get("/api/v1/sendTx")).toBe(before + 1);
    server.faults.rateLimitNext = 1;
    const sent = await impatient.sendTx(signTx(order(nonce), key, 304));
    expect(sent.txHash).toHaveLength(80);
    expect(server.requestCounts.get("/api/v1/sendTx")).toBe(before + 3);
  });
});
