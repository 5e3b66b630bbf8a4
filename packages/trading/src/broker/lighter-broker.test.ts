import { ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ACCOUNT_INDEX, MockVenue } from "../internal/lighter-test-support.js";
import { ControlledMarket, T0, openTestDb } from "../internal/test-support.js";
import { brokerContract } from "./broker.case.js";
import type { LighterBroker } from "./lighter-broker.js";

let db: Db;
let clock: ManualClock;
beforeAll(async () => {
  clock = new ManualClock(T0);
  db = await openTestDb(clock);
});
afterAll(async () => {
  await db.close();
});

async function freshModel(name: string): Promise<ModelRecord> {
  return db.models.create({ name: `${name}-${globalThis.crypto.randomUUID().slice(0, 8)}`, provider: "rule", modelName: "test", mode: "LIVE", accountIndex: ACCOUNT_INDEX });
}

brokerContract("LighterBroker", async () => {
  const venue = await MockVenue.start({ BTC: 100_000, ETH: 3_000 });
  const market = new ControlledMarket(clock, { BTC: 100_000, ETH: 3_000 });
  const model = await freshModel("live");
  let broker = venue.broker(db, market, clock);
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
      venue.setPrice(symbol, price);
    },
    async restart() {
      await broker.close();
      broker = venue.broker(db, market, clock);
      return broker;
    },
    async close() {
      await broker.close();
      await venue.stop();
    },
  };
});

describe("LighterBroker reconciliation against the mock exchange", () => {
  let venue: MockVenue;
  let market: ControlledMarket;
  let broker: LighterBroker;
  let model: ModelRecord;
  beforeEach(async () => {
    venue = await MockVenue.start({ BTC: 100_000 });
    market = new ControlledMarket(clock, { BTC: 100_000 });
    model = await freshModel("recon");
    broker = venue.broker(db, market, clock);
    await broker.start([model]);
  });
  afterEach(async () => {
    await broker.close();
    await venue.stop();
  });

  const plan = (stop: number | null, target: number | null) => ({
    ...emptyExitPlan(),
    stop: stop === null ? null : toDecimal(stop),
    target: target === null ? null : toDecimal(target),
  });

  it("stores the SL/TP order indices and trigger prices on the Order", async () => {
    const opened = await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(97_000, 104_000) });
    expect(opened.ok).toBe(true);
    const row = (await db.orders.openPositionOf(model.id, "BTC"))!;
    expect(row.slOrderIndex).not.toBeNull();
    expect(row.tpOrderIndex).not.toBeNull();
    expect(row.slTriggerPrice?.toString()).toBe("97000");
    expect(row.tpTriggerPrice?.toString()).toBe("104000");
    const pending = venue.server.exchange.accountOrders(ACCOUNT_INDEX, true).map((o) => o.orderIndex);
    expect(pending).toEqual(expect.arrayContaining([row.slOrderIndex, row.tpOrderIndex]));
  });

  it("closes an Order whose stop fired on the exchange at the exchange's fill, not the trigger, and cancels the target leg", async () => {
    await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(97_000, 104_000) });
    const row = (await db.orders.openPositionOf(model.id, "BTC"))!;
    // The price gaps through the stop: the exchange fills the stop at 95500.
    venue.setPrice("BTC", 95_500);
    market.setMid("BTC", 95_500);
    const report = await broker.sync([model]);
    expect(report.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "closedByTrigger", orderId: row.orderId, closeTrigger: "STOP", exitPrice: "95500" }),
        expect.objectContaining({ kind: "cancelledOrphanTrigger", orderIndex: row.tpOrderIndex!.toString() }),
      ]),
    );
    const closed = await db.orders.byId(row.orderId);
    expect(closed?.status).toBe("CLOSED");
    if (closed?.status !== "CLOSED") return;
    expect(closed.closeTrigger).toBe("STOP");
    expect(closed.exitPrice.toString()).toBe("95500");
    expect(closed.realizedPnl.toNumber()).toBeCloseTo((95_500 - closed.entryPrice.toNumber()) * 0.01 - closed.fees.toNumber(), 2);
    // The take-profit leg is gone from the exchange.
    expect(venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
  });

  it("closes an Order whose position the exchange no longer holds and logs why", async () => {
    await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(null, null) });
    const row = (await db.orders.openPositionOf(model.id, "BTC"))!;
    // Someone closes it on the exchange directly (another client of the same account).
    await venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.01", reduceOnly: true, maxSlippage: "0.01" });
    market.setMid("BTC", 100_500);
    const report = await broker.sync([model]);
    // Recorded at the closing order's real fill (the book's bid), not at the mark.
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedMissingPosition", orderId: row.orderId, exitPrice: "100000" })]);
    expect((await db.orders.byId(row.orderId))?.status).toBe("CLOSED");
  });

  it("closes an Order the exchange no longer holds at the mark when no order explains it", async () => {
    await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(null, null) });
    const row = (await db.orders.openPositionOf(model.id, "BTC"))!;
    // Half closed elsewhere, then the rest: no single order matches the Order's size.
    await venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.005", reduceOnly: true, maxSlippage: "0.01" });
    await venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.005", reduceOnly: true, maxSlippage: "0.01" });
    market.setMid("BTC", 100_500);
    const report = await broker.sync([model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedMissingPosition", orderId: row.orderId, exitPrice: "100500" })]);
  });

  it("adopts a position the database does not know", async () => {
    await venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.02", maxSlippage: "0.01" });
    const report = await broker.sync([model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "adoptedUnknownPosition", symbol: "BTC", side: "SHORT", quantity: "0.02", entryPrice: "100000" })]);
    const row = await db.orders.openPositionOf(model.id, "BTC");
    expect(row?.side).toBe("SHORT");
    expect(row?.quantity.toString()).toBe("0.02");
  });

  it("cancels a trigger order that no open Order owns", async () => {
    await venue.outsider().placeStopLoss({ symbol: "BTC", side: "sell", triggerPrice: "90000", size: "0.01" });
    const report = await broker.sync([model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "cancelledOrphanTrigger", symbol: "BTC" })]);
    expect(venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
  });

  it("cancels the stop when the model closes the position itself", async () => {
    await broker.openPosition(model, { symbol: "BTC", side: "SHORT", quantity: toDecimal("0.01"), leverage: toDecimal(2), exitPlan: plan(103_000, 96_000) });
    const closed = await broker.closePosition(model, "BTC", null);
    expect(closed.ok).toBe(true);
    expect(venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
    expect(venue.server.exchange.positionsOf(ACCOUNT_INDEX)).toEqual([]);
  });

  it("places a stop again when its trigger order disappeared unfilled from the exchange", async () => {
    await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(97_000, null) });
    const before = (await db.orders.openPositionOf(model.id, "BTC"))!;
    await venue.outsider().cancelOrder("BTC", before.slOrderIndex!);
    const report = await broker.sync([model]);
    const after = (await db.orders.openPositionOf(model.id, "BTC"))!;
    expect(after.slOrderIndex).not.toBe(before.slOrderIndex);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "replacedTrigger", leg: "STOP", orderIndex: after.slOrderIndex!.toString() })]);
    // The new stop works.
    venue.setPrice("BTC", 96_000);
    await broker.sync([model]);
    const trade = (await db.orders.closedTradesOfModel(model.id)).items[0];
    expect(trade?.closeTrigger).toBe("STOP");
  });
});
