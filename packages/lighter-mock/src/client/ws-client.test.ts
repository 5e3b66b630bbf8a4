/**
 * @autonome/lighter-client's LighterWsClient against the mock venue, through the client's public API. These
 * client-against-venue tests live here, not in lighter-client, because lighter-client
 * cannot depend on the package that depends on it; they check both sides of the wire.
 */
import { ManualClock } from "@autonome/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuthToken, LighterApiKey, LighterInvalidNonceError, LighterWsClient, type LighterWsEvents, ORDER_TYPE, signTx, TX_TYPE } from "@autonome/lighter-client";
import { MockLighterServer } from "../mock-server.js";

const ACCOUNT = 200;
const key = LighterApiKey.fromSeed("99".repeat(32));
let server: MockLighterServer;
let client: LighterWsClient | undefined;

/** Resolves with the args of the next matching event (bounded by a 3 s guard). */
function next<E extends keyof LighterWsEvents>(c: LighterWsClient, event: E, match: (...args: LighterWsEvents[E]) => boolean = () => true) {
  return new Promise<LighterWsEvents[E]>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`no ${String(event)} event`)), 3_000);
    const handler = (...args: LighterWsEvents[E]) => {
      if (!match(...args)) return;
      clearTimeout(guard);
      c.off(event, handler);
      resolve(args);
    };
    c.on(event, handler);
  });
}

let nonce = 0;
function placeBuy(price: number, lots: number) {
  const signed = signTx(
    {
      txType: TX_TYPE.CREATE_ORDER, accountIndex: ACCOUNT, apiKeyIndex: 3, expiredAt: Date.now() + 60_000, nonce: nonce++, marketIndex: 0,
      clientOrderIndex: nonce, baseAmount: lots, price, isAsk: false, orderType: ORDER_TYPE.LIMIT, timeInForce: 1, reduceOnly: false,
      triggerPrice: 0, orderExpiry: Date.now() + 3_600_000,
    },
    key,
    304,
  );
  const result = server.exchange.sendTx(signed.txType, signed.txInfo);
  if (!result.ok) throw new Error(result.message);
}

describe("LighterWsClient against the mock server", () => {
  beforeEach(async () => {
    nonce = 0;
    server = await new MockLighterServer().start();
    server.exchange.registerApiKey(ACCOUNT, 3, key.publicKeyHex, 0);
    server.exchange.addLiquidity(0, "ask", [["3000.00", "1.0000"]]);
    server.exchange.addLiquidity(0, "bid", [["2990.00", "2.0000"]]);
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    await server.stop();
  });

  it("keeps a local book from the snapshot and level diffs", async () => {
    client = new LighterWsClient({ url: server.wsUrl });
    await client.connect();
    const snapshot = next(client, "subscribed");
    client.subscribeOrderBook(0);
    await snapshot;
    expect(client.orderBook(0)!.bestAsk()!.price.toString()).toBe("3000");
    const updated = next(client, "orderBookUpdated", (b) => b.bids().length === 2);
    placeBuy(299500, 5000);
    await updated;
    expect(client.orderBook(0)!.bids().map((l) => [l.price.toString(), l.size.toString()])).toEqual([["2995", "0.5"], ["2990", "2"]]);
    const consumed = next(client, "orderBookUpdated", (b) => b.asks().length === 0);
    placeBuy(300000, 10000); // takes the whole ask level
    await consumed;
    expect(client.orderBook(0)!.bestAsk()).toBeUndefined();
  });

  it("drops the book on a nonce gap and resyncs from a fresh snapshot", async () => {
    client = new LighterWsClient({ url: server.wsUrl });
    await client.connect();
    const first = next(client, "subscribed");
    client.subscribeOrderBook(0);
    await first;
    server.faults.bookNonceGapNext = true;
    const gap = next(client, "orderBookGapDetected");
    const resynced = next(client, "subscribed", (c) => c === "order_book/0");
    placeBuy(298000, 1000);
    const [marketId, expected, got] = await gap;
    expect(marketId).toBe(0);
    expect(got).not.toBe(expected);
    await resynced;
    expect(client.orderBook(0)!.bids().map((l) => l.price.toString())).toEqual(["2990", "2980"]);
  });

  it("reconnects with backoff after a dropped socket and resubscribes", async () => {
    client = new LighterWsClient({ url: server.wsUrl, reconnectBaseMs: 20 });
    await client.connect();
    const first = next(client, "subscribed");
    client.subscribeOrderBook(0);
    await first;
    const resubscribed = next(client, "subscribed", (c) => c === "order_book/0");
    server.dropSockets();
    await resubscribed;
    expect(client.reconnects).toBe(1);
    expect(client.connected).toBe(true);
    expect(client.orderBook(0)!.bestBid()!.price.toString()).toBe("2990");
  });

  it("sends signed txs over the socket and maps error replies to typed errors", async () => {
    client = new LighterWsClient({ url: server.wsUrl });
    await client.connect();
    const tx = signTx(
      {
        txType: TX_TYPE.CREATE_ORDER, accountIndex: ACCOUNT, apiKeyIndex: 3, expiredAt: Date.now() + 60_000, nonce: 0, marketIndex: 0,
        clientOrderIndex: 77, baseAmount: 100, price: 280000, isAsk: false, orderType: ORDER_TYPE.LIMIT, timeInForce: 1, reduceOnly: false,
        triggerPrice: 0, orderExpiry: Date.now() + 3_600_000,
      },
      key,
      304,
    );
    expect(await client.sendTx(tx)).toBe(tx.txHash);
    expect(server.exchange.tx(tx.txHash)?.status).toBe(2);
    await expect(client.sendTx(tx)).rejects.toBeInstanceOf(LighterInvalidNonceError);
  });

  it("rejects connect() when the server cannot be reached", async () => {
    const url = server.wsUrl;
    await server.stop();
    const unreachable = new LighterWsClient({ url, reconnectBaseMs: 10 });
    await expect(unreachable.connect()).rejects.toThrow("WebSocket connect failed");
    expect(unreachable.connected).toBe(false);
    server = await new MockLighterServer().start();
  });

  it("pings every interval of the injected clock", async () => {
    const clock = new ManualClock(Date.now());
    client = new LighterWsClient({ url: server.wsUrl, clock, pingIntervalMs: 30_000 });
    await client.connect();
    clock.advanceBy(30_000);
    clock.advanceBy(30_000);
    // Bounded wait for the two pings to cross the socket.
    for (let i = 0; i < 100 && server.pingsReceived < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(server.pingsReceived).toBe(2);
  });

  it("streams an account's orders on an authenticated channel and refuses a bad token", async () => {
    client = new LighterWsClient({ url: server.wsUrl, authToken: () => createAuthToken(key, ACCOUNT, 3, Date.now() + 600_000) });
    await client.connect();
    const initial = next(client, "accountOrdersUpdated");
    client.subscribeAccountOrders(ACCOUNT);
    await initial;
    const update = next(client, "accountOrdersUpdated", (_a, orders) => (orders["0"]?.length ?? 0) > 0);
    placeBuy(290000, 1000);
    const [account, orders] = await update;
    expect(account).toBe(ACCOUNT);
    expect(orders["0"]![0]).toMatchObject({ status: "open", clientOrderIndex: 1n });
    expect(orders["0"]![0]!.price.toString()).toBe("2900");

    const stranger = new LighterWsClient({ url: server.wsUrl, authToken: () => createAuthToken(LighterApiKey.fromSeed("98".repeat(32)), ACCOUNT, 3, Date.now() + 600_000) });
    await stranger.connect();
    const refused = next(stranger, "errorReceived");
    stranger.subscribeAccountOrders(ACCOUNT);
    expect((await refused)[0]).toBe(30012);
    stranger.close();
  });
});
