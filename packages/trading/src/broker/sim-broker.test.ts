import { ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlledMarket, T0, type TestPostgres, openTestDb, openTestPostgres, postgresSkipReason } from "../internal/test-support.js";
import type { BrokerHarness } from "./broker.case.js";
import { brokerContract } from "./broker.case.js";
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

async function freshModel(name: string, on: Db = db) {
  return on.models.create({ name: `${name}-${globalThis.crypto.randomUUID().slice(0, 8)}`, provider: "rule", modelName: "test" });
}

function simOptions() {
  return { initialCapital: 10_000, refreshIntervalMs: 0 };
}

async function simHarness(db: Db): Promise<BrokerHarness> {
  const market = new ControlledMarket(clock, { BTC: 100_000, ETH: 3_000 });
  const model = await freshModel("sim", db);
  let broker = new SimBroker({ db, market, simulator: simOptions() });
  await broker.start([model]);
  return {
    get broker() {
      return broker;
    },
    db,
    model,
    startPrice: 100_000,
    async movePrice(symbol, price) {
      clock.advanceTo(clock.now() + 1000);
      market.setMid(symbol, price);
    },
    async restart() {
      await broker.close();
      broker = new SimBroker({ db, market, simulator: simOptions() });
      return broker;
    },
    async close() {
      await broker.close();
    },
  };
}

brokerContract("SimBroker", () => simHarness(db));

const pgSkip = await postgresSkipReason();
if (pgSkip) console.warn(pgSkip);
describe.skipIf(pgSkip !== null)("on PostgreSQL", () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await openTestPostgres(clock);
  });
  afterAll(async () => {
    await pg?.drop();
  });
  brokerContract("SimBroker", () => simHarness(pg.db));
});

describe("SimBroker", () => {
  it("restores an account's cash as initial capital plus realized PnL after a restart", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("cash");
    const first = new SimBroker({ db, market, simulator: simOptions() });
    await first.start([model]);
    await first.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.1"), leverage: toDecimal(2), exitPlan: emptyExitPlan() });
    market.setMid("BTC", 101_000);
    const closed = await first.closePosition(model, "BTC", null);
    expect(closed.ok).toBe(true);
    const cashBefore = first.simulator.account(model.id).cash;
    await first.close();

    const second = new SimBroker({ db, market, simulator: simOptions() });
    await second.start([model]);
    const cashAfter = second.simulator.account(model.id).cash;
    expect(cashAfter.toFixed(2)).toBe(cashBefore.toFixed(2));
    expect(cashAfter.gt(10_000)).toBe(true);
    await second.close();
  });

  it("records a liquidation with closeTrigger LIQUIDATION", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("liq");
    const broker = new SimBroker({ db, market, simulator: { ...simOptions(), initialCapital: 1_000 } });
    await broker.start([model]);
    const opened = await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.4"), leverage: toDecimal(50), exitPlan: emptyExitPlan() });
    expect(opened.ok).toBe(true);
    market.setMid("BTC", 97_000);
    const report = await broker.sync([model]);
    expect(report.closes.map((c) => c.closeTrigger)).toEqual(["LIQUIDATION"]);
    // The command journal does not grow tick after tick.
    expect(broker.simulator.journal()).toEqual([]);
    const trade = (await db.orders.closedTradesOfModel(model.id)).items[0]!;
    expect(trade.closeTrigger).toBe("LIQUIDATION");
    expect(trade.realizedPnl.lt(0)).toBe(true);
    await broker.close();
  });

  it("rebuilds a model's account from Orders when another process opened a position for it, with its stop armed", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("handoff");
    const broker = new SimBroker({ db, market, simulator: simOptions() });
    await broker.start([model]);
    // Written by another worker after this one started (this simulator never saw it).
    const order = await db.orders.openPosition({
      modelId: model.id, symbol: "BTC", side: "LONG", quantity: "0.01", leverage: "2", entryPrice: "99000",
      exitPlan: { ...emptyExitPlan(), stop: toDecimal(98_000) },
    });
    const report = await broker.sync([model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "resyncedSimulatorAccount", modelId: model.id })]);
    expect((await db.orders.byId(order.orderId))?.status).toBe("OPEN");
    expect((await broker.account(model)).positions.map((p) => p.order.orderId)).toEqual([order.orderId]);
    // Nothing left to repair, and the stop works.
    expect((await broker.sync([model])).actions).toEqual([]);
    market.setMid("BTC", 97_500);
    expect((await broker.sync([model])).closes.map((c) => c.closeTrigger)).toEqual(["STOP"]);
    await broker.close();
  });

  it("rebuilds a model's account when another process closed its position, cash included", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("flattened");
    const broker = new SimBroker({ db, market, simulator: simOptions() });
    await broker.start([model]);
    const opened = await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.1"), leverage: toDecimal(2), exitPlan: emptyExitPlan() });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    // Another process (the CLI's flatten) closes it in Orders.
    const closed = await db.orders.closePosition({ orderId: opened.value.orderId, exitPrice: "101000", closeTrigger: "MANUAL" });
    const report = await broker.sync([model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "resyncedSimulatorAccount" })]);
    const account = await broker.account(model);
    expect(account.positions).toEqual([]);
    expect(account.equity.toFixed(2)).toBe(toDecimal(10_000).plus(closed.realizedPnl).toFixed(2));
    await broker.close();
  });

  it("records a stop once when two workers' simulators both hold the position", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("two-workers");
    const a = new SimBroker({ db, market, simulator: simOptions() });
    await a.start([model]);
    await a.openPosition(model, { symbol: "BTC", side: "SHORT", quantity: toDecimal("0.01"), leverage: toDecimal(2), exitPlan: { ...emptyExitPlan(), stop: toDecimal(101_000) } });
    const b = new SimBroker({ db, market, simulator: simOptions() });
    await b.start([model]);
    market.setMid("BTC", 101_500);
    const [ra, rb] = await Promise.all([a.sync([model]), b.sync([model])]);
    expect([...ra.closes, ...rb.closes].map((c) => c.closeTrigger)).toEqual(["STOP"]);
    expect([...ra.errors, ...rb.errors]).toEqual([]);
    expect((await db.orders.closedTradesOfModel(model.id)).items).toHaveLength(1);
    // And nothing is retried on the next tick.
    expect((await a.sync([model])).errors).toEqual([]);
    expect((await b.sync([model])).errors).toEqual([]);
    await a.close();
    await b.close();
  });
});
