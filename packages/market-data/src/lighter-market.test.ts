import { ManualClock, toDecimal } from "@autonome/core";
import { MockLighterServer } from "@autonome/lighter-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NoMarketDataError } from "./errors.js";
import { LighterMarket } from "./lighter-market.js";
import { runMarketSourceContract } from "./market-source.case.js";
import type { MarketUpdate } from "./types.js";

const START = Date.UTC(2025, 5, 1, 12);

/** A mock Lighter with two-sided books on ETH (0), BTC (1) and SOL (2). */
async function startMock(): Promise<MockLighterServer> {
  const server = await new MockLighterServer().start();
  const seed: Array<[number, string[], string[], string]> = [
    [0, ["2500.00", "2499.50", "2499.00"], ["2500.50", "2501.00", "2502.00"], "1.0000"],
    [1, ["100000.0", "99999.0", "99990.0"], ["100001.0", "100002.0", "100010.0"], "0.10000"],
    [2, ["150.000", "149.900"], ["150.100", "150.200"], "10.000"],
  ];
  for (const [id, bids, asks, size] of seed) {
    server.exchange.addLiquidity(id, "bid", bids.map((p) => [p, size] as const));
    server.exchange.addLiquidity(id, "ask", asks.map((p) => [p, size] as const));
  }
  return server;
}

/** Resolves when `market` reports a book change for `symbol`. */
function nextBookChange(market: LighterMarket, symbol: string): Promise<MarketUpdate> {
  return new Promise((resolve) => {
    const off = market.subscribe((u) => {
      if (u.type === "bookChanged" && u.symbol === symbol) {
        off();
        resolve(u);
      }
    });
  });
}

/** Waits (bounded, real time) until `condition` holds. */
async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

let counter = 0;
/** Adds a small bid on ETH at the mock and waits until the live market has it. */
async function nudge(server: MockLighterServer, market: LighterMarket): Promise<void> {
  const seen = nextBookChange(market, "ETH");
  counter++;
  server.exchange.addLiquidity(0, "bid", [[`2498.${String(counter % 100).padStart(2, "0")}`, "0.0100"]]);
  await seen;
}

runMarketSourceContract(
  "LighterMarket against the mock Lighter server",
  async () => {
    const server = await startMock();
    const clock = new ManualClock(START);
    const source = await LighterMarket.connect({ clock, restUrl: server.url, wsUrl: server.wsUrl });
    return {
      source,
      advance: async (ms) => {
        await nudge(server, source);
        clock.advanceTo(clock.now() + ms);
        source.advanceTo(clock.now());
      },
      manualClock: true,
      deterministic: false,
      close: async () => {
        await source.close();
        await server.stop();
      },
    };
  },
  { timeoutMs: 15_000 },
);

describe("LighterMarket", () => {
  let server: MockLighterServer;
  let market: LighterMarket;
  let clock: ManualClock;

  beforeAll(async () => {
    server = await startMock();
    clock = new ManualClock(START);
    market = await LighterMarket.connect({ clock, restUrl: server.url, wsUrl: server.wsUrl, symbols: ["ETH", "BTC"] });
  });
  afterAll(async () => {
    await market.close();
    await server.stop();
  });

  it("takes its markets' decimals and margin fractions from orderBookDetails", () => {
    expect(market.markets().map((m) => m.symbol)).toEqual(["ETH", "BTC"]);
    const eth = market.markets()[0]!;
    expect([eth.marketId, eth.priceDecimals, eth.sizeDecimals, eth.maintenanceMarginFraction.toString()]).toEqual([0, 2, 4, "0.012"]);
  });

  it("serves the exchange's book and follows its diffs", async () => {
    expect(market.book("ETH", 2)).toMatchObject({ bids: [{ price: "2500" }, { price: "2499.5" }], asks: [{ price: "2500.5" }, { price: "2501" }] });
    const seen = nextBookChange(market, "ETH");
    server.exchange.addLiquidity(0, "bid", [["2500.25", "0.5000"]]);
    await seen;
    expect(market.book("ETH", 1).bids[0]).toEqual({ price: "2500.25", size: "0.5" });
    expect(market.midPrice("ETH").eq(toDecimal("2500.375"))).toBe(true);
  });

  it("rebuilds a book from a fresh snapshot after a nonce gap", async () => {
    server.faults.bookNonceGapNext = true;
    const gapped = nextBookChange(market, "BTC");
    server.exchange.addLiquidity(1, "ask", [["100000.5", "0.01000"]]);
    // The gapped diff is refused; the resubscription's snapshot brings the level.
    await gapped;
    expect(market.book("BTC", 1).asks[0]).toEqual({ price: "100000.5", size: "0.01" });
  });

  it("reconnects after the connection drops and serves books again, never a stale one meanwhile", async () => {
    const back = nextBookChange(market, "ETH");
    server.dropSockets();
    await until(() => !market.connected);
    expect(() => market.book("ETH", 1)).toThrow(NoMarketDataError);
    server.exchange.addLiquidity(0, "ask", [["2500.40", "0.2500"]]);
    await back; // the snapshot after the reconnect
    expect(market.connected).toBe(true);
    expect(market.book("ETH", 1).asks[0]).toEqual({ price: "2500.4", size: "0.25" });
  });

  it("builds one-minute candles from the mid while no trade was seen, closed by the clock", async () => {
    await nudge(server, market);
    clock.advanceTo(clock.now() + 2 * 60_000);
    const candles = market.candles("ETH", "1m", 10);
    expect(candles.length).toBeGreaterThan(0);
    for (const c of candles) expect(c.closeTime).toBeLessThanOrEqual(clock.now());
    expect(candles.at(-1)!.volume).toBe(0);
  });

  it("reads funding from the REST fundings endpoint as a percentage", () => {
    // The mock answers rate "0.0001" (percent), direction long.
    expect(market.fundingRate("ETH")!.rate.toString()).toBe("0.000001");
  });
});
