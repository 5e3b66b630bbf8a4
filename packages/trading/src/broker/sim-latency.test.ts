import { ManualClock, ValidationError, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlledMarket, T0, openTestDb } from "../testing/support.js";
import { SimBroker } from "./sim-broker.js";

let db: Db;
let clock: ManualClock;
beforeAll(async () => {
  clock = new ManualClock(T0);
  db = await openTestDb(clock);
});
afterAll(async () => {
  await db.close();
});

/** BTC climbs 1 USD per ms from 100 000: a fill's price tells when the order met the book. */
const priceAt = (t: number, t0: number) => 100_000 + (t - t0);

/** Opens and closes three BTC positions through a broker with latency [min, max] and this seed; the fills, as text. */
async function fills(seed: number, latency = { minMs: 50, maxMs: 900 }): Promise<string[]> {
  const t0 = clock.now();
  const market = new ControlledMarket(clock, { BTC: priceAt(t0, t0) });
  const arrivals: number[] = [];
  const broker = new SimBroker({
    db,
    market,
    clock,
    simulator: { refreshIntervalMs: 0, takerFeeRate: 0, makerFeeRate: 0, latency, seed },
    // The order travels: the clock (and the market with it) moves to its arrival.
    arrival: async (at) => {
      arrivals.push(at - clock.now());
      clock.advanceTo(at);
      market.setMid("BTC", priceAt(at, t0));
    },
  });
  const model = await db.models.create({ name: `latency-${globalThis.crypto.randomUUID().slice(0, 8)}`, provider: "rule", modelName: "test" });
  await broker.start([model]);
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const sentAt = clock.now();
    const opened = await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(2), exitPlan: emptyExitPlan() });
    if (!opened.ok) throw new Error(opened.reason);
    // Filled at the book of its arrival, not of its sending.
    expect(opened.value.openedAt).toBe(sentAt + arrivals.at(-1)!);
    expect(opened.value.entryPrice.toString()).toBe(toDecimal(priceAt(opened.value.openedAt, t0)).plus("0.1").toString()); // the ask
    const closed = await broker.closePosition(model, "BTC", null);
    if (!closed.ok) throw new Error(closed.reason);
    out.push(`${opened.value.entryPrice.toString()}@+${opened.value.openedAt - t0} -> ${closed.value.exitPrice.toString()}@+${closed.value.closedAt - t0}`);
  }
  expect(arrivals.every((d) => d >= latency.minMs && d <= latency.maxMs)).toBe(true);
  await broker.close();
  return out;
}

describe("SimBroker latency", () => {
  it("sends each order after a seeded delay; it fills against the book as it is then, and the same seed gives the same fills", async () => {
    const a = await fills(7);
    const b = await fills(7);
    const c = await fills(8);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("waits on the clock by default (a ManualClock moved by the caller)", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const broker = new SimBroker({ db, market, clock, simulator: { refreshIntervalMs: 0, latency: { minMs: 200, maxMs: 200 }, seed: 1 } });
    const model = await db.models.create({ name: `latency-clock-${globalThis.crypto.randomUUID().slice(0, 8)}`, provider: "rule", modelName: "test" });
    await broker.start([model]);
    const sentAt = clock.now();
    const pending = broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(2), exitPlan: emptyExitPlan() });
    market.setMid("BTC", 101_000); // the market moves while the order travels
    await new Promise((r) => setTimeout(r, 20));
    clock.advanceTo(sentAt + 200);
    const opened = await pending;
    expect(opened.ok && opened.value.entryPrice.toString()).toBe("101000.1");
    expect(opened.ok && opened.value.openedAt).toBe(sentAt + 200);
    await broker.close();
  });

  it("refuses latency without a clock that can wait", () => {
    const plain = { now: () => T0 };
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    expect(() => new SimBroker({ db, market, clock: plain, simulator: { latency: { minMs: 1, maxMs: 2 } } })).toThrow(ValidationError);
  });
});
