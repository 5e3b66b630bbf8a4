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
    const trade = (await db.orders.closedTradesOfModel(model.id)).items[0]!;
    expect(trade.closeTrigger).toBe("LIQUIDATION");
    expect(trade.realizedPnl.lt(0)).toBe(true);
    await broker.close();
  });

  it("closes an Order the simulator does not hold and reports it", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("orphan");
    const broker = new SimBroker({ db, market, simulator: simOptions() });
    await broker.start([model]);
    // Written by someone else after start (the simulator never saw it).
    const order = await db.orders.openPosition({ modelId: model.id, symbol: "BTC", side: "LONG", quantity: "0.01", leverage: "2", entryPrice: "99000", exitPlan: emptyExitPlan() });
    const report = await broker.sync([model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedMissingPosition", orderId: order.orderId, symbol: "BTC" })]);
    expect((await db.orders.byId(order.orderId))?.status).toBe("CLOSED");
    await broker.close();
  });
});
