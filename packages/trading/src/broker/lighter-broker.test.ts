import { type ArenaEvent, ArenaEventBus, ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createModelRegistry } from "@autonome/agent";
import { ACCOUNT_INDEX, API_KEY_INDEX, MockVenue, TEST_PRIVATE_KEY_HEX } from "../testing/lighter-venue.js";
import { ControlledMarket, T0, openTestDb } from "../testing/support.js";
import { brokerContract, brokerHarness } from "./broker.case.js";
import type { LighterLiquidation } from "@autonome/lighter-client";
import { createTradingRuntime, publishCloses, reconcile } from "../runtime.js";
import { type LighterBroker, liquidationClose } from "./lighter-broker.js";

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
  return brokerHarness({
    db,
    model: await freshModel("live"),
    clock,
    market,
    create: () => venue.broker(db, market, clock),
    onPrice: (symbol, price) => venue.setPrice(symbol, price),
    onClose: () => venue.stop(),
  });
});


/** A started LighterBroker for a fresh model on a fresh mock venue (BTC at 100,000), per test. */
function venueEachTest(name: string) {
  const ctx = {} as { venue: MockVenue; market: ControlledMarket; broker: LighterBroker; model: ModelRecord };
  beforeEach(async () => {
    ctx.venue = await MockVenue.start({ BTC: 100_000 });
    ctx.market = new ControlledMarket(clock, { BTC: 100_000 });
    ctx.model = await freshModel(name);
    ctx.broker = ctx.venue.broker(db, ctx.market, clock);
    await ctx.broker.start([ctx.model]);
  });
  afterEach(async () => {
    await ctx.broker.close();
    await ctx.venue.stop();
  });
  return ctx;
}

describe("LighterBroker reconciliation against the mock exchange", () => {
  const ctx = venueEachTest("recon");

  const plan = (stop: number | null, target: number | null) => ({
    ...emptyExitPlan(),
    stop: stop === null ? null : toDecimal(stop),
    target: target === null ? null : toDecimal(target),
  });

  it("stores the SL/TP order indices and trigger prices on the Order", async () => {
    const opened = await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(97_000, 104_000) });
    expect(opened.ok).toBe(true);
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    expect(row.slOrderIndex).not.toBeNull();
    expect(row.tpOrderIndex).not.toBeNull();
    expect(row.slTriggerPrice?.toString()).toBe("97000");
    expect(row.tpTriggerPrice?.toString()).toBe("104000");
    const pending = ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, true).map((o) => o.orderIndex);
    expect(pending).toEqual(expect.arrayContaining([row.slOrderIndex, row.tpOrderIndex]));
  });

  it("closes an Order whose stop fired on the exchange at the exchange's fill, not the trigger, and cancels the target leg", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(97_000, 104_000) });
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    // The price gaps through the stop: the exchange fills the stop at 95500.
    ctx.venue.setPrice("BTC", 95_500);
    ctx.market.setMid("BTC", 95_500);
    const report = await ctx.broker.sync([ctx.model]);
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
    expect(ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
  });

  it("closes an Order whose position the exchange no longer holds and logs why", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(null, null) });
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    // Someone closes it on the exchange directly (another client of the same account).
    await ctx.venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.01", reduceOnly: true, maxSlippage: "0.01" });
    ctx.market.setMid("BTC", 100_500);
    const report = await ctx.broker.sync([ctx.model]);
    // Recorded at the closing order's real fill (the book's bid), not at the mark.
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedMissingPosition", orderId: row.orderId, exitPrice: "100000" })]);
    expect((await db.orders.byId(row.orderId))?.status).toBe("CLOSED");
  });

  it("closes an Order closed by several reduce-only orders at their cumulative fills and the venue's fees, not at the mark", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(null, null) });
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    ctx.venue.server.exchange.setFeeRates(ACCOUNT_INDEX, { takerPpm: 200, makerPpm: 0 });
    // Closed elsewhere in two steps at two prices: no single order matches the Order's size.
    await ctx.venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.004", reduceOnly: true, maxSlippage: "0.01" });
    ctx.venue.setLiquidity("BTC", 99_000);
    await ctx.venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.006", reduceOnly: true, maxSlippage: "0.01" });
    ctx.market.setMid("BTC", 100_500);
    const report = await ctx.broker.sync([ctx.model]);
    // 0.004 x 100000 + 0.006 x 99000 = 994 over 0.01 = 99400; fees 994 x 0.0002.
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedMissingPosition", orderId: row.orderId, exitPrice: "99400" })]);
    const closed = await db.orders.byId(row.orderId);
    expect(closed?.status === "CLOSED" && [closed.exitPrice.toString(), closed.fees.toString()]).toEqual(["99400", "0.1988"]);
  });

  it("closes an Order the exchange no longer holds at the mark when no order of the closing kind explains it", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(null, null) });
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    // A plain (not reduce-only) sell of another client flattens it.
    await ctx.venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.01", maxSlippage: "0.01" });
    ctx.market.setMid("BTC", 100_500);
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedMissingPosition", orderId: row.orderId, exitPrice: "100500" })]);
  });

  it("adopts a position the database does not know", async () => {
    await ctx.venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.02", maxSlippage: "0.01" });
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "adoptedUnknownPosition", symbol: "BTC", side: "SHORT", quantity: "0.02", entryPrice: "100000" })]);
    const row = await db.orders.openPositionOf(ctx.model.id, "BTC");
    expect(row?.side).toBe("SHORT");
    expect(row?.quantity.toString()).toBe("0.02");
  });

  it("cancels a trigger order that no open Order owns", async () => {
    await ctx.venue.outsider().placeStopLoss({ symbol: "BTC", side: "sell", triggerPrice: "90000", size: "0.01" });
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "cancelledOrphanTrigger", symbol: "BTC" })]);
    expect(ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
  });

  it("cancels the stop when the model closes the position itself", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "SHORT", quantity: toDecimal("0.01"), leverage: toDecimal(2), exitPlan: plan(103_000, 96_000) });
    const closed = await ctx.broker.closePosition(ctx.model, "BTC", null);
    expect(closed.ok).toBe(true);
    expect(ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
    expect(ctx.venue.server.exchange.positionsOf(ACCOUNT_INDEX)).toEqual([]);
  });

  it("places a stop again when its trigger order disappeared unfilled from the exchange", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(97_000, null) });
    const before = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    await ctx.venue.outsider().cancelOrder("BTC", before.slOrderIndex!);
    const report = await ctx.broker.sync([ctx.model]);
    const after = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    expect(after.slOrderIndex).not.toBe(before.slOrderIndex);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "replacedTrigger", leg: "STOP", orderIndex: after.slOrderIndex!.toString() })]);
    // The new stop works.
    ctx.venue.setPrice("BTC", 96_000);
    await ctx.broker.sync([ctx.model]);
    const trade = (await db.orders.closedTradesOfModel(ctx.model.id)).items[0];
    expect(trade?.closeTrigger).toBe("STOP");
  });
});

describe("LighterBroker partial closes, protection while closing, fees and funding from the venue", () => {
  const ctx = venueEachTest("exact");
  const exchange = () => ctx.venue.server.exchange;
  const BTC = 1;
  const plan = { ...emptyExitPlan(), stop: toDecimal(95_000), target: toDecimal(110_000) };
  const LONG = { symbol: "BTC", side: "LONG" as const, quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan };
  const activeLegs = () => exchange().accountOrders(ACCOUNT_INDEX, true, BTC).filter((o) => o.status === "pending");
  /** Leaves only `size` BTC bid at 100,000 (and the asks): a close of more fills in part. */
  function thinBids(size: string): void {
    const book = exchange().book(BTC);
    for (const o of book.restingOrders()) if (o.side === "buy") book.cancel(o.id);
    exchange().addLiquidity(BTC, "bid", [["100000.0", size]]);
  }

  it("records an entry's and a close's fees as the venue charged them on the order's trades", async () => {
    exchange().setFeeRates(ACCOUNT_INDEX, { takerPpm: 200, makerPpm: 20 });
    const opened = await ctx.broker.openPosition(ctx.model, { ...LONG, exitPlan: emptyExitPlan() });
    // Bought 0.01 at the ask 100000.1: 1000.001 x 0.0002 (the market's published taker fee is 0).
    expect(opened.ok && [opened.value.entryPrice.toString(), opened.value.fees.toString()]).toEqual(["100000.1", "0.2000002"]);
    const closed = await ctx.broker.closePosition(ctx.model, "BTC", null);
    // Sold at the bid 100000: fee 0.2; PnL -0.001 - 0.4000002 = -0.4010002, exact (not rounded to cents).
    expect(closed.ok && [closed.value.exitPrice.toString(), closed.value.fees.toString(), closed.value.realizedPnl.toString()]).toEqual(["100000", "0.4000002", "-0.4010002"]);
  });

  it("records the funding the venue settled on the position, once per settlement, and closes with it", async () => {
    await ctx.broker.openPosition(ctx.model, { ...LONG, exitPlan: emptyExitPlan() });
    exchange().settleFunding(BTC, { ratePercent: "0.0100", markPrice: "100000.0", timeMs: T0 + 3_600_000 });
    await ctx.broker.sync([ctx.model]);
    expect((await db.orders.openPositionOf(ctx.model.id, "BTC"))!.funding.toString()).toBe("-0.1");
    exchange().settleFunding(BTC, { ratePercent: "-0.0050", markPrice: "100000.0", timeMs: T0 + 7_200_000 });
    await ctx.broker.sync([ctx.model]);
    await ctx.broker.sync([ctx.model]);
    expect((await db.orders.openPositionOf(ctx.model.id, "BTC"))!.funding.toString()).toBe("-0.05");
    const closed = await ctx.broker.closePosition(ctx.model, "BTC", null);
    // -0.001 price, fees 0, funding -0.05: -0.051, exact.
    expect(closed.ok && [closed.value.funding.toString(), closed.value.realizedPnl.toString()]).toEqual(["-0.05", "-0.051"]);
  });

  it("keeps the stop and target armed when the close is refused, or its fill cannot be read", async () => {
    await ctx.broker.openPosition(ctx.model, LONG);
    const legs = activeLegs().map((o) => o.orderIndex);
    expect(legs).toHaveLength(2);
    exchange().rejectNext = { code: 21739, message: "not enough margin" };
    const refusedClose = await ctx.broker.closePosition(ctx.model, "BTC", null);
    expect(refusedClose).toMatchObject({ ok: false, code: "REFUSED" });
    if (!refusedClose.ok) expect(refusedClose.reason).toMatch(/stop and target stay armed/);
    expect(activeLegs().map((o) => o.orderIndex)).toEqual(legs);
    // Nothing to fill against within the cap: refused, still armed.
    thinBids("0.00000");
    expect(await ctx.broker.closePosition(ctx.model, "BTC", null)).toMatchObject({ ok: false, code: "REFUSED" });
    expect(activeLegs().map((o) => o.orderIndex)).toEqual(legs);
    // Sent, but its fill unknown: FAILED, still armed (it did fill: the next sync records it).
    ctx.venue.setLiquidity("BTC", 100_000);
    ctx.venue.server.faults.failingPaths.add("/api/v1/tx");
    try {
      expect(await ctx.broker.closePosition(ctx.model, "BTC", null)).toMatchObject({ ok: false, code: "FAILED" });
    } finally {
      ctx.venue.server.faults.failingPaths.delete("/api/v1/tx");
    }
    expect(activeLegs().map((o) => o.orderIndex)).toEqual(legs);
  });

  it("records a close that filled in part: a CLOSED Order for the part with its own fill, fee and PnL, the OPEN rest with legs of its size", async () => {
    exchange().setFeeRates(ACCOUNT_INDEX, { takerPpm: 100, makerPpm: 0 });
    await ctx.broker.openPosition(ctx.model, LONG);
    const open = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    thinBids("0.004");
    const partial = await ctx.broker.closePosition(ctx.model, "BTC", null);
    expect(partial).toMatchObject({ ok: true, code: "EXECUTED" });
    if (!partial.ok) return;
    expect(partial.message).toMatch(/closed 0.004 of 0.01 BTC .* 0.006 BTC stays open/);
    const part = partial.value;
    expect(part.orderId).not.toBe(open.orderId);
    // Entry fee 1000.001 x 0.0001 = 0.1000001, 0.4 of it; exit 400 x 0.0001 = 0.04; gross 0.004 x -0.1 = -0.0004.
    expect([part.quantity.toString(), part.exitPrice.toString(), part.fees.toString(), part.realizedPnl.toString()]).toEqual(["0.004", "100000", "0.08000004", "-0.08040004"]);
    const rest = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    expect(rest.orderId).toBe(open.orderId);
    expect([rest.quantity.toString(), rest.fees.toString()]).toEqual(["0.006", "0.06000006"]);
    expect(exchange().positionsOf(ACCOUNT_INDEX)).toEqual([expect.objectContaining({ lots: 600 })]);
    // The rest is protected by legs of its own size, the old ones gone.
    expect(activeLegs().map((o) => [o.orderIndex, o.initialLots]).sort()).toEqual([[rest.slOrderIndex, 600], [rest.tpOrderIndex, 600]].sort());
    expect([rest.slOrderIndex, rest.tpOrderIndex]).not.toContain(open.slOrderIndex);
    // The next close takes the rest.
    ctx.venue.setLiquidity("BTC", 100_000);
    const final = await ctx.broker.closePosition(ctx.model, "BTC", null);
    expect(final.ok && [final.value.orderId, final.value.quantity.toString(), final.value.fees.toString()]).toEqual([open.orderId, "0.006", "0.12000006"]);
    expect(activeLegs()).toEqual([]);
    expect((await db.orders.closedTradesOfModel(ctx.model.id)).items.map((o) => o.quantity.toString()).sort()).toEqual(["0.004", "0.006"]);
  });

  it("repairs a size mismatch from the venue's trades: the part closed elsewhere becomes a CLOSED Order at its fill and fee", async () => {
    exchange().setFeeRates(ACCOUNT_INDEX, { takerPpm: 200, makerPpm: 0 });
    await ctx.broker.openPosition(ctx.model, { ...LONG, exitPlan: emptyExitPlan() });
    const open = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    ctx.venue.setLiquidity("BTC", 101_000);
    await ctx.venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.003", reduceOnly: true, maxSlippage: "0.01" });
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedPartOfPosition", orderId: open.orderId, quantity: "0.003", exitPrice: "101000" })]);
    expect(report.closes).toHaveLength(1);
    const part = report.closes[0]!.order;
    // Its share of the entry fee (0.3 x 0.2000002) and the venue's 303 x 0.0002; 0.003 x 999.9 = 2.9997 gross, minus fees: 2.87909994.
    expect([part.quantity.toString(), part.fees.toString(), part.realizedPnl.toString()]).toEqual(["0.003", "0.12060006", "2.87909994"]);
    expect((await db.orders.openPositionOf(ctx.model.id, "BTC"))!.quantity.toString()).toBe("0.007");
    // In line now: nothing more to repair.
    expect((await ctx.broker.sync([ctx.model])).actions).toEqual([]);
  });

  it("records a part the venue liquidated between two syncs as a LIQUIDATION part at the liquidation's fill and fee", async () => {
    await ctx.broker.openPosition(ctx.model, { ...LONG, exitPlan: emptyExitPlan() });
    const open = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    exchange().liquidate(ACCOUNT_INDEX, BTC, "90000.0", { size: "0.004", takerFee: "0.0500", timeMs: T0 + 60_000 });
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedPartOfPosition", orderId: open.orderId, quantity: "0.004", exitPrice: "90000" })]);
    const part = report.closes[0]!;
    // 360 x 0.0005 = 0.18.
    expect([part.closeTrigger, part.order.closeTrigger, part.order.fees.toString()]).toEqual(["LIQUIDATION", "LIQUIDATION", "0.18"]);
    expect((await db.orders.openPositionOf(ctx.model.id, "BTC"))!.quantity.toString()).toBe("0.006");
  });
});

describe("LighterBroker result codes against the mock exchange", () => {
  const ctx = venueEachTest("codes");
  const LONG = { symbol: "BTC", side: "LONG" as const, quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: emptyExitPlan() };
  const venuePositions = () => ctx.venue.server.exchange.positionsOf(ACCOUNT_INDEX);

  it("EXECUTED: filled on the exchange and written to Orders", async () => {
    expect(await ctx.broker.openPosition(ctx.model, LONG)).toMatchObject({ ok: true, code: "EXECUTED" });
    expect(await ctx.broker.updateExitPlan(ctx.model, "BTC", { ...emptyExitPlan(), stop: toDecimal(95_000) })).toMatchObject({ ok: true, code: "EXECUTED" });
    expect(await ctx.broker.closePosition(ctx.model, "BTC", null)).toMatchObject({ ok: true, code: "EXECUTED" });
  });

  it("REFUSED: the exchange (or the client, before sending) refused the order; nothing filled, nothing written", async () => {
    ctx.venue.server.exchange.rejectNext = { code: 21739, message: "not enough margin" };
    const rejected = await ctx.broker.openPosition(ctx.model, LONG);
    expect(rejected).toMatchObject({ ok: false, code: "REFUSED" });
    if (!rejected.ok) expect(rejected.reason).toContain("not enough margin");
    // A leverage the market does not allow is refused by the client before anything is sent.
    expect(await ctx.broker.openPosition(ctx.model, { ...LONG, leverage: toDecimal(500) })).toMatchObject({ ok: false, code: "REFUSED" });
    expect(await ctx.broker.closePosition(ctx.model, "BTC", null)).toMatchObject({ ok: false, code: "REFUSED" });
    expect(venuePositions()).toEqual([]);
    expect(await db.orders.openOrdersOfModel(ctx.model.id)).toEqual([]);
  });

  it("FILLED_NOT_RECORDED: an entry filled but its write failed; reconciliation adopts the position", async () => {
    const write = vi.spyOn(db.orders, "openPosition").mockRejectedValueOnce(new Error("connection reset by peer"));
    let opened;
    try {
      opened = await ctx.broker.openPosition(ctx.model, LONG);
    } finally {
      write.mockRestore();
    }
    expect(opened).toMatchObject({ ok: false, code: "FILLED_NOT_RECORDED" });
    if (!opened.ok) expect(opened.reason).toContain("connection reset by peer");
    expect(venuePositions()).toEqual([expect.objectContaining({ marketId: 1, lots: 1000 })]);
    expect(await db.orders.openOrdersOfModel(ctx.model.id)).toEqual([]);
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "adoptedUnknownPosition", symbol: "BTC", quantity: "0.01" })]);
  });

  it("FILLED_NOT_RECORDED: an entry with a stop whose write failed gets its stop on Lighter at once, and reconciliation adopts the position with that stop", async () => {
    const write = vi.spyOn(db.orders, "openPosition").mockRejectedValueOnce(new Error("connection reset by peer"));
    let opened;
    try {
      opened = await ctx.broker.openPosition(ctx.model, { ...LONG, exitPlan: { ...emptyExitPlan(), stop: toDecimal("95000.04") } });
    } finally {
      write.mockRestore();
    }
    expect(opened).toMatchObject({ ok: false, code: "FILLED_NOT_RECORDED", protection: "stop-loss at 95000 placed on Lighter" });
    const resting = ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, true);
    // BTC ticks are 0.1: 95000.04 rounds to 950000 ticks.
    expect(resting.map((o) => [o.reduceOnly, o.triggerTicks])).toEqual([[true, 950_000]]);
    // Reconciliation adopts the position and keeps the stop that guards it (not an orphan to cancel).
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions.map((a) => a.kind)).toEqual(["adoptedUnknownPosition"]);
    const row = await db.orders.openPositionOf(ctx.model.id, "BTC");
    expect(row?.exitPlan.stop?.toString()).toBe("95000");
    expect(row?.slOrderIndex).toBe(resting[0]!.orderIndex);
    expect(ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, true).map((o) => o.orderIndex)).toEqual([resting[0]!.orderIndex]);
  });

  it("FILLED_NOT_RECORDED: a close filled but its write failed; reconciliation closes the Order at the fill", async () => {
    await ctx.broker.openPosition(ctx.model, LONG);
    const open = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    const write = vi.spyOn(db.orders, "closePosition").mockRejectedValueOnce(new Error("connection reset by peer"));
    let closed;
    try {
      closed = await ctx.broker.closePosition(ctx.model, "BTC", null);
    } finally {
      write.mockRestore();
    }
    expect(closed).toMatchObject({ ok: false, code: "FILLED_NOT_RECORDED" });
    if (!closed.ok) expect(closed.reason).toContain("connection reset by peer");
    expect(venuePositions()).toEqual([]);
    expect((await db.orders.byId(open.orderId))?.status).toBe("OPEN");
    ctx.market.setMid("BTC", 100_500);
    const report = await ctx.broker.sync([ctx.model]);
    // At the close order's fill (the bid), not at the mark.
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedMissingPosition", orderId: open.orderId, exitPrice: "100000" })]);
  });

  it("FAILED: the send's outcome is unknown (a 5xx); nothing written", async () => {
    ctx.venue.server.exchange.rejectNext = { code: 29500, message: "internal server error" };
    const sent = await ctx.broker.openPosition(ctx.model, LONG);
    expect(sent).toMatchObject({ ok: false, code: "FAILED" });
    expect(await db.orders.openOrdersOfModel(ctx.model.id)).toEqual([]);
  });

  it("FAILED: the order was sent but its fill could not be read; reconciliation records what the exchange did", async () => {
    ctx.venue.server.faults.failingPaths.add("/api/v1/tx");
    let sent;
    try {
      sent = await ctx.broker.openPosition(ctx.model, LONG);
    } finally {
      ctx.venue.server.faults.failingPaths.delete("/api/v1/tx");
    }
    expect(sent).toMatchObject({ ok: false, code: "FAILED" });
    expect(await db.orders.openOrdersOfModel(ctx.model.id)).toEqual([]);
    // It did fill: the next sync adopts it.
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "adoptedUnknownPosition", symbol: "BTC", quantity: "0.01" })]);
  });
});

describe("LighterBroker liquidations against the mock exchange", () => {
  const BTC = 1;
  const ctx = venueEachTest("liq");

  const plan = (stop: number, target: number) => ({ ...emptyExitPlan(), stop: toDecimal(stop), target: toDecimal(target) });

  function eventsOf(closes: Parameters<typeof publishCloses>[1]): ArenaEvent[] {
    const events = new ArenaEventBus();
    const seen: ArenaEvent[] = [];
    events.onAny((e) => seen.push(e));
    publishCloses({ events, clock }, closes);
    return seen;
  }

  it("records a liquidated long as LIQUIDATION at the liquidation's fill, fee and time, cancels its SL/TP legs and publishes positionLiquidated", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(10), exitPlan: plan(90_000, 110_000) });
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    clock.advanceTo(clock.now() + 60_000);
    const liquidatedAt = clock.now();
    // The price gaps below the stop's trigger before any trade reaches it: the liquidator sells at 80500 (0.05% taker fee).
    ctx.venue.server.exchange.liquidate(ACCOUNT_INDEX, BTC, "80500.0", { takerFee: "0.0500", markPrice: "80400.0", timeMs: liquidatedAt });
    clock.advanceTo(clock.now() + 5_000);
    ctx.market.setMid("BTC", 80_400);
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.errors).toEqual([]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedByTrigger", orderId: row.orderId, closeTrigger: "LIQUIDATION", exitPrice: "80500" })]);
    const closed = await db.orders.byId(row.orderId);
    if (closed?.status !== "CLOSED") throw new Error("the Order is not closed");
    expect(closed.closeTrigger).toBe("LIQUIDATION");
    expect(closed.exitPrice.toString()).toBe("80500");
    expect(closed.closedAt).toBe(liquidatedAt);
    // Entry fee 0 on the mock; exit fee 0.01 * 80500 * 0.0005.
    expect(closed.fees.toString()).toBe("0.4025");
    // Stored exactly.
    expect(closed.realizedPnl.toString()).toBe(toDecimal(80_500).minus(row.entryPrice).mul("0.01").minus("0.4025").toString());
    // Both legs are gone from the exchange, cancelled with the position, never filled.
    expect(ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
    const legs = ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, false).filter((o) => o.orderIndex === row.slOrderIndex || o.orderIndex === row.tpOrderIndex);
    expect(legs.map((o) => [o.status, o.filledLots])).toEqual([["canceled-reduce-only", 0], ["canceled-reduce-only", 0]]);
    expect(report.closes).toEqual([expect.objectContaining({ closeTrigger: "LIQUIDATION", triggerPrice: null })]);
    expect(report.closes[0]!.markPrice?.toString()).toBe("80400");
    const events = eventsOf(report.closes);
    expect(events.map((e) => e.type)).toEqual(["positionLiquidated", "positionClosed"]);
    expect(events[0]!.payload).toEqual(expect.objectContaining({ orderId: row.orderId, markPrice: "80400", exitPrice: "80500", realizedPnl: closed.realizedPnl.toString() }));
    expect(events[0]!.tsEvent).toBe(liquidatedAt);
  });

  it("records a short liquidated in two partial steps at their size-weighted price with each step's fee", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "SHORT", quantity: toDecimal("0.01"), leverage: toDecimal(10), exitPlan: plan(125_000, 90_000) });
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    clock.advanceTo(clock.now() + 60_000);
    ctx.venue.server.exchange.liquidate(ACCOUNT_INDEX, BTC, "118000.0", { size: "0.004", takerFee: "0.0500", timeMs: clock.now() });
    clock.advanceTo(clock.now() + 1_000);
    const last = clock.now();
    ctx.venue.server.exchange.liquidate(ACCOUNT_INDEX, BTC, "119000.0", { takerFee: "0.1000", markPrice: "118950.0", timeMs: last });
    ctx.market.setMid("BTC", 119_000);
    const report = await ctx.broker.sync([ctx.model]);
    const closed = await db.orders.byId(row.orderId);
    if (closed?.status !== "CLOSED") throw new Error("the Order is not closed");
    expect(closed.closeTrigger).toBe("LIQUIDATION");
    // (0.004 * 118000 + 0.006 * 119000) / 0.01
    expect(closed.exitPrice.toString()).toBe("118600");
    // 0.004 * 118000 * 0.0005 + 0.006 * 119000 * 0.001
    expect(closed.fees.toString()).toBe("0.95");
    expect(closed.closedAt).toBe(last);
    expect(closed.realizedPnl.toString()).toBe(row.entryPrice.minus(118_600).mul("0.01").minus("0.95").toString());
    expect(ctx.venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
    expect(report.closes[0]!.markPrice?.toString()).toBe("118950");
    expect(eventsOf(report.closes).map((e) => e.type)).toEqual(["positionLiquidated", "positionClosed"]);
  });

  it("still records a later position closed by a reduce-only order as MANUAL at its fills, not as the earlier liquidation", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(10), exitPlan: plan(90_000, 110_000) });
    clock.advanceTo(clock.now() + 1_000);
    ctx.venue.server.exchange.liquidate(ACCOUNT_INDEX, BTC, "99000.0", { timeMs: clock.now() });
    await ctx.broker.sync([ctx.model]);
    clock.advanceTo(clock.now() + 1_000);
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(10), exitPlan: plan(90_000, 110_000) });
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    await ctx.venue.outsider().placeMarketOrder({ symbol: "BTC", side: "sell", size: "0.01", reduceOnly: true, maxSlippage: "0.01" });
    ctx.market.setMid("BTC", 100_500);
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.actions).toEqual(expect.arrayContaining([expect.objectContaining({ kind: "closedMissingPosition", orderId: row.orderId, exitPrice: "100000" })]));
    const closed = await db.orders.byId(row.orderId);
    if (closed?.status !== "CLOSED") throw new Error("the Order is not closed");
    expect(closed.closeTrigger).toBe("MANUAL");
    expect(eventsOf(report.closes).map((e) => e.type)).toEqual(["positionClosed"]);
  });

  it("falls back to the mark when the liquidations read fails, and reports the error", async () => {
    await ctx.broker.openPosition(ctx.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(10), exitPlan: plan(90_000, 110_000) });
    const row = (await db.orders.openPositionOf(ctx.model.id, "BTC"))!;
    clock.advanceTo(clock.now() + 1_000);
    ctx.venue.server.exchange.liquidate(ACCOUNT_INDEX, BTC, "80500.0", { timeMs: clock.now() });
    ctx.venue.server.faults.failingPaths.add("/api/v1/liquidations");
    ctx.market.setMid("BTC", 80_400);
    const report = await ctx.broker.sync([ctx.model]);
    expect(report.errors).toEqual([expect.objectContaining({ modelId: ctx.model.id, message: expect.stringMatching(/reading Lighter liquidations for BTC failed/) })]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedMissingPosition", orderId: row.orderId, exitPrice: "80400" })]);
    expect((await db.orders.byId(row.orderId))?.status).toBe("CLOSED");
  });
});

describe("liquidationClose", () => {
  const liquidation = (over: Partial<LighterLiquidation>): LighterLiquidation => ({
    id: 1,
    marketId: 1,
    type: "partial",
    price: toDecimal(90_000),
    size: toDecimal("0.01"),
    takerFeeRate: toDecimal(0),
    makerFeeRate: toDecimal(0),
    timeMs: 2_000,
    bidAccountIndex: 9,
    askAccountIndex: 77,
    markPrices: new Map(),
    ...over,
  });
  const long = { side: "LONG" as const, quantity: toDecimal("0.01"), openedAt: 1_000 };

  it("takes the newest liquidation that covers the quantity and ignores older ones", () => {
    const found = liquidationClose([liquidation({ id: 1, price: toDecimal(80_000), timeMs: 1_500 }), liquidation({ id: 2, timeMs: 3_000 })], long, 77);
    expect(found.close?.ids).toEqual([2]);
    expect(found.close?.price.toString()).toBe("90000");
  });

  it("ignores liquidations from before the Order opened and of the other side", () => {
    expect(liquidationClose([liquidation({ timeMs: 999 })], long, 77).close).toBeUndefined();
    expect(liquidationClose([liquidation({ bidAccountIndex: 77, askAccountIndex: 9 })], long, 77).close).toBeUndefined();
    expect(liquidationClose([liquidation({ bidAccountIndex: 77, askAccountIndex: 9 })], { ...long, side: "SHORT" }, 77).close).toBeDefined();
    expect(liquidationClose([liquidation({ timeMs: undefined })], long, 77).close).toBeUndefined();
  });

  it("reports how much was liquidated when the liquidations cover only part of the quantity", () => {
    const found = liquidationClose([liquidation({ size: toDecimal("0.004") })], long, 77);
    expect(found.close).toBeUndefined();
    expect(found.coveredQuantity.toString()).toBe("0.004");
  });

  it("counts the oldest fill used only for the quantity still uncovered", () => {
    const found = liquidationClose(
      [liquidation({ id: 1, size: toDecimal("0.01"), price: toDecimal(80_000), timeMs: 1_500, takerFeeRate: toDecimal("0.001") }), liquidation({ id: 2, size: toDecimal("0.006"), timeMs: 3_000 })],
      long,
      77,
    );
    expect(found.close?.ids).toEqual([2, 1]);
    // (0.006 * 90000 + 0.004 * 80000) / 0.01; fee 0.004 * 80000 * 0.001
    expect(found.close?.price.toString()).toBe("86000");
    expect(found.close?.fee.toString()).toBe("0.32");
    expect(found.close?.at).toBe(3_000);
  });
});

describe("a Lighter liquidation through the trading runtime", () => {
  it("publishes positionLiquidated then positionClosed when reconcile finds the liquidation", async () => {
    const runtimeDb = await openTestDb(clock);
    const venue = await MockVenue.start({ BTC: 100_000 });
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const live = await runtimeDb.models.create({ name: "live-liquidated", provider: "rule", modelName: "test", mode: "LIVE", accountIndex: ACCOUNT_INDEX });
    const runtime = await createTradingRuntime({
      db: runtimeDb,
      market,
      agents: createModelRegistry([], { clock }),
      clock,
      simulationEnabled: false,
      lighter: { baseUrl: venue.url, accounts: [{ accountIndex: ACCOUNT_INDEX, apiKeyIndex: API_KEY_INDEX, privateKeyHex: TEST_PRIVATE_KEY_HEX }], pollIntervalMs: 10 },
    });
    try {
      const seen: ArenaEvent[] = [];
      runtime.events.onAny((e) => seen.push(e));
      const opened = await runtime.brokers.brokerFor(live).openPosition(live, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(10), exitPlan: emptyExitPlan() });
      expect(opened.ok).toBe(true);
      clock.advanceTo(clock.now() + 1_000);
      venue.server.exchange.liquidate(ACCOUNT_INDEX, 1, "91000.0", { markPrice: "90900.0", timeMs: clock.now() });
      await reconcile(runtime, [live]);
      const closes = seen.filter((e) => e.type === "positionLiquidated" || e.type === "positionClosed");
      expect(closes.map((e) => e.type)).toEqual(["positionLiquidated", "positionClosed"]);
      expect(closes[0]!.payload).toEqual(expect.objectContaining({ modelId: live.id, symbol: "BTC", markPrice: "90900", exitPrice: "91000" }));
      expect(closes[1]!.payload).toEqual(expect.objectContaining({ closeTrigger: "LIQUIDATION" }));
    } finally {
      await runtime.close();
      await venue.stop();
      await runtimeDb.close();
    }
  });
});
