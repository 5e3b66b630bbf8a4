import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db } from "@autonome/db";
import { ReplayMarket } from "@autonome/market-data";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ControlledMarket, T0, type TestPostgres, openTestDb, openTestPostgres, postgresSkipReason } from "../testing/support.js";
import { type BrokerHarness, brokerContract, brokerHarness } from "./broker.case.js";
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
  return brokerHarness({ db, model, clock, market, create: () => new SimBroker({ db, market, simulator: simOptions() }) });
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
    expect(cashAfter.toString()).toBe(cashBefore.toString());
    expect(cashAfter.gt(10_000)).toBe(true);
    await second.close();
  });

  it("rebuilds exactly the cash of a run without restarts, to the last digit, after trades whose fees, PnL and funding have many decimals", async () => {
    // Thin levels (0.01 BTC each): every order walks several price levels, so fills, fees
    // (0.1% of a notional with 6 decimals) and PnL carry 9 and more decimals.
    const market = new ControlledMarket(clock, { BTC: "100000.3" }, "0.01");
    const steady = await freshModel("exact-steady");
    const restarted = await freshModel("exact-restarted");
    const continuous = new SimBroker({ db, market, simulator: simOptions() });
    await continuous.start([steady]);
    let broker = new SimBroker({ db, market, simulator: simOptions() });
    await broker.start([restarted]);
    const restart = async () => {
      await broker.close();
      broker = new SimBroker({ db, market, simulator: simOptions() });
      await broker.start([restarted]);
    };
    // Sizes whose average entry price terminates within the 8 places of entry_price (see the README).
    const steps = [
      { side: "LONG" as const, quantity: "0.025", entry: "100000.3", exit: "100123.7" },
      { side: "SHORT" as const, quantity: "0.0125", entry: "100123.7", exit: "99876.9" },
      { side: "LONG" as const, quantity: "0.04", entry: "99876.9", exit: "99801.1" },
      { side: "SHORT" as const, quantity: "0.03125", entry: "99801.1", exit: "99955.5" },
    ];
    for (const [i, step] of steps.entries()) {
      clock.advanceBy(60_000);
      market.setMid("BTC", step.entry);
      const request = { symbol: "BTC", side: step.side, quantity: toDecimal(step.quantity), leverage: toDecimal(3), exitPlan: emptyExitPlan() };
      for (const [b, model] of [[continuous, steady], [broker, restarted]] as const) {
        const opened = await b.openPosition(model, request);
        if (!opened.ok) throw new Error(opened.reason);
      }
      if (i === 1) {
        // A funding settlement with a long rate, charged to both while they hold the short.
        clock.advanceBy(1000);
        market.setFunding("BTC", { rate: toDecimal("0.0000123457"), intervalMs: 3_600_000, ts: clock.now(), nextFundingTime: clock.now() + 3_600_000 });
        await continuous.sync([steady]);
        await broker.sync([restarted]);
      }
      await restart(); // with the position open
      clock.advanceBy(60_000);
      market.setMid("BTC", step.exit);
      for (const [b, model] of [[continuous, steady], [broker, restarted]] as const) {
        const closed = await b.closePosition(model, "BTC", null);
        if (!closed.ok) throw new Error(closed.reason);
      }
      await restart(); // flat
    }
    const expected = continuous.simulator.account(steady.id).cash;
    // The trades really carry more than cents and more than 8 places.
    const realized = await db.orders.realizedPnlByModel([steady.id, restarted.id]);
    expect(realized.get(steady.id)!.decimalPlaces()).toBeGreaterThan(8);
    const funded = (await db.orders.closedTradesOfModel(restarted.id)).items.map((t) => t.funding).filter((f) => !f.isZero());
    expect(funded.map((f) => f.decimalPlaces() > 8)).toEqual([true]);
    expect(broker.simulator.account(restarted.id).cash.toString()).toBe(expected.toString());
    expect(toDecimal(10_000).plus(realized.get(restarted.id)!).toString()).toBe(expected.toString());
    expect(toDecimal(10_000).plus(realized.get(steady.id)!).toString()).toBe(expected.toString());
    await continuous.close();
    await broker.close();
  });

  it("arms stops and targets on the tick, as Lighter takes them: a stop between ticks fires and is reported at the nearest tick, after an update and a restart too", async () => {
    // BTC's tick is 0.1. The model's prices stay in Orders as it wrote them.
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("on-tick");
    let broker = new SimBroker({ db, market, simulator: simOptions() });
    await broker.start([model]);
    const plan = { ...emptyExitPlan(), stop: toDecimal("98000.06"), target: toDecimal("103000.04") };
    const opened = await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan });
    if (!opened.ok) throw new Error(opened.reason);
    const armed = () => broker.simulator.positions(model.id).map((p) => [p.exitPlan.stop?.toString() ?? null, p.exitPlan.target?.toString() ?? null]);
    expect(armed()).toEqual([["98000.1", "103000"]]);
    expect((await db.orders.byId(opened.value.orderId))?.exitPlan.stop?.toString()).toBe("98000.06");
    // An update arms the new prices on the tick; so does a restart from Orders.
    const updated = await broker.updateExitPlan(model, "BTC", { ...plan, stop: toDecimal("97999.94") });
    if (!updated.ok) throw new Error(updated.reason);
    expect(armed()).toEqual([["97999.9", "103000"]]);
    await broker.close();
    broker = new SimBroker({ db, market, simulator: simOptions() });
    await broker.start([model]);
    expect(armed()).toEqual([["97999.9", "103000"]]);
    // A move down through the stop visits it at the armed price: the close reports that price and fills there.
    market.setMid("BTC", 97_000);
    const report = await broker.checkTriggers([model], { move: "continuous" });
    expect(report.closes.map((c) => [c.closeTrigger, c.triggerPrice?.toString()])).toEqual([["STOP", "97999.9"]]);
    const exit = report.closes[0]!.order.exitPrice;
    expect(exit.minus("97999.9").abs().lte("0.1")).toBe(true);
    await broker.close();
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

  it("rebuilds a model that comes back from another process, which traded it in full meanwhile, once told (invalidate), cash included", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("came-back");
    const broker = new SimBroker({ db, market, simulator: simOptions() });
    await broker.start([model]);
    // Another worker held the model for a while: it opened and closed a trade this simulator never saw.
    const opened = await db.orders.openPosition({ modelId: model.id, symbol: "BTC", side: "LONG", quantity: "0.1", leverage: "2", entryPrice: "100000", exitPlan: emptyExitPlan() });
    const closed = await db.orders.closePosition({ orderId: opened.orderId, exitPrice: "102000", closeTrigger: null });
    // Its open Orders match (none), and while this broker's worker holds the lease nobody else trades the model: no read of the realized PnL.
    expect((await broker.sync([model])).actions).toEqual([]);
    broker.invalidate([model.id]);
    const report = await broker.sync([model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "resyncedSimulatorAccount", modelId: model.id })]);
    expect((await broker.account(model)).equity.toFixed(2)).toBe(toDecimal(10_000).plus(closed.realizedPnl).toFixed(2));
    // Checked once: the next sync trusts it again.
    expect((await broker.sync([model])).actions).toEqual([]);
    await broker.close();
  });

  it("trusts its own memory when exclusive: sync reads no Orders, so it leaves another writer's row alone (a backtest owns its database)", async () => {
    const market = new ControlledMarket(clock, { BTC: 100_000 });
    const model = await freshModel("exclusive");
    const broker = new SimBroker({ db, market, simulator: simOptions(), exclusive: true });
    await broker.start([model]);
    const opened = await broker.openPosition(model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.1"), leverage: toDecimal(2), exitPlan: emptyExitPlan() });
    expect(opened.ok).toBe(true);
    // A second writer (which an exclusive broker rules out) opens ETH behind its back.
    await db.orders.openPosition({ modelId: model.id, symbol: "ETH", side: "SHORT", quantity: "1", leverage: "2", entryPrice: "3000", exitPlan: emptyExitPlan() });
    expect((await broker.sync([model])).actions).toEqual([]);
    expect((await broker.openOrders(model)).map((o) => o.symbol)).toEqual(["BTC"]);
    // Its own trades stay exact: the close is written and forgotten.
    const closed = await broker.closePosition(model, "BTC", null);
    expect(closed.ok).toBe(true);
    expect((await broker.account(model)).positions).toEqual([]);
    expect((await db.orders.openOrdersOfModel(model.id)).map((o) => o.symbol)).toEqual(["ETH"]);
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

describe("SimBroker result codes", () => {
  const LONG = { symbol: "BTC", side: "LONG" as const, quantity: toDecimal("0.02"), leverage: toDecimal(2), exitPlan: emptyExitPlan() };

  /** A broker for a fresh model over a market whose book the test can thin out (one level, or no asks). */
  async function setup(name: string) {
    const market = new ControlledMarket(clock, { BTC: 100_000 }, "0.01");
    const fullBook = market.book.bind(market);
    const book = { levels: 20, asks: true };
    market.book = (symbol, depth) => {
      const full = fullBook(symbol, depth);
      return { ...full, bids: full.bids.slice(0, book.levels), asks: book.asks ? full.asks.slice(0, book.levels) : [] };
    };
    const model = await freshModel(name);
    const broker = new SimBroker({ db, market, simulator: simOptions() });
    await broker.start([model]);
    return { market, book, model, broker };
  }

  it("EXECUTED: the fill is in Orders", async () => {
    const { model, broker } = await setup("code-executed");
    const opened = await broker.openPosition(model, LONG);
    expect(opened).toMatchObject({ ok: true, code: "EXECUTED" });
    const closed = await broker.closePosition(model, "BTC", null);
    expect(closed).toMatchObject({ ok: true, code: "EXECUTED" });
    await broker.close();
  });

  it("REFUSED: nothing filled and Orders unchanged (no position, below one lot, no liquidity)", async () => {
    const { model, broker, book } = await setup("code-refused");
    expect(await broker.closePosition(model, "BTC", null)).toMatchObject({ ok: false, code: "REFUSED" });
    expect(await broker.openPosition(model, { ...LONG, quantity: toDecimal("0.000001") })).toMatchObject({ ok: false, code: "REFUSED" });
    expect(await broker.updateExitPlan(model, "BTC", emptyExitPlan())).toMatchObject({ ok: false, code: "REFUSED" });
    book.asks = false;
    expect(await broker.openPosition(model, LONG)).toMatchObject({ ok: false, code: "REFUSED" });
    expect(broker.simulator.positions(model.id)).toEqual([]);
    expect(await db.orders.openOrdersOfModel(model.id)).toEqual([]);
    await broker.close();
  });

  it("FILLED_NOT_RECORDED: a close that filled but whose write failed reports the real cause, not 'no liquidity', and the next sync writes it", async () => {
    const { model, broker } = await setup("code-close-unrecorded");
    const opened = await broker.openPosition(model, LONG);
    if (!opened.ok) throw new Error(opened.reason);
    const write = vi.spyOn(db.orders, "closePosition").mockRejectedValueOnce(new Error("connection reset by peer"));
    try {
      const closed = await broker.closePosition(model, "BTC", null);
      expect(closed).toMatchObject({ ok: false, code: "FILLED_NOT_RECORDED" });
      if (!closed.ok) {
        expect(closed.reason).toContain("connection reset by peer");
        expect(closed.reason).not.toMatch(/liquidity/);
      }
    } finally {
      write.mockRestore();
    }
    // The simulator closed it; Orders still hold it open until the next sync writes the queued close.
    expect(broker.simulator.positions(model.id)).toEqual([]);
    expect((await db.orders.byId(opened.value.orderId))?.status).toBe("OPEN");
    const report = await broker.sync([model]);
    expect(report.closes.map((c) => c.order.orderId)).toEqual([opened.value.orderId]);
    const row = await db.orders.byId(opened.value.orderId);
    expect(row?.status).toBe("CLOSED");
    // Recorded as the model's own close (closeTrigger null), as it would have been at once.
    if (row?.status === "CLOSED") expect(row.closeTrigger).toBeNull();
    await broker.close();
  });

  it("each REFUSED reason names its own cause: no position, below one lot, no liquidity to open, no liquidity to close", async () => {
    const { model, broker, book, market } = await setup("code-refused-reasons");
    const reasonOf = (r: { ok: boolean; reason?: string }) => (r.ok ? "executed" : r.reason);
    expect(reasonOf(await broker.closePosition(model, "BTC", null))).toBe("no open BTC position");
    expect(reasonOf(await broker.openPosition(model, { ...LONG, quantity: toDecimal("0.000001") }))).toMatch(/below one lot/);
    book.asks = false;
    expect(reasonOf(await broker.openPosition(model, LONG))).toBe("order not filled: no liquidity");
    book.asks = true;
    const opened = await broker.openPosition(model, LONG);
    if (!opened.ok) throw new Error(opened.reason);
    // No bids: the close takes nothing, and says so; Orders and the simulator keep the position.
    const fullBook = market.book.bind(market);
    market.book = (symbol, depth) => ({ ...fullBook(symbol, depth), bids: [] });
    const closed = await broker.closePosition(model, "BTC", null);
    expect(closed).toMatchObject({ ok: false, code: "REFUSED", reason: "close of BTC not filled: no liquidity" });
    expect((await db.orders.byId(opened.value.orderId))?.status).toBe("OPEN");
    await broker.close();
  });

  it("FILLED_NOT_RECORDED: a close asked for after the stop fired, whose write failed, says the stop closed it and why the write failed (not a refusal)", async () => {
    const { model, broker, market } = await setup("code-stop-unrecorded");
    const opened = await broker.openPosition(model, { ...LONG, exitPlan: { ...emptyExitPlan(), stop: toDecimal(99_000) } });
    if (!opened.ok) throw new Error(opened.reason);
    market.setMid("BTC", 98_000); // the close's fresh book fires the stop first
    const write = vi.spyOn(db.orders, "closePosition").mockRejectedValueOnce(new Error("connection reset by peer"));
    let closed;
    try {
      closed = await broker.closePosition(model, "BTC", null);
    } finally {
      write.mockRestore();
    }
    expect(closed).toMatchObject({ ok: false, code: "FILLED_NOT_RECORDED" });
    if (!closed.ok) {
      expect(closed.reason).toContain("by its stop-loss");
      expect(closed.reason).toContain("connection reset by peer");
      expect(closed.reason).not.toMatch(/liquidity|holds no/);
    }
    // The next sync writes the stop's close, as a STOP.
    const report = await broker.sync([model]);
    expect(report.closes.map((c) => [c.order.orderId, c.closeTrigger])).toEqual([[opened.value.orderId, "STOP"]]);
    await broker.close();
  });

  it("EXECUTED exit-plan update whose new stop closed the position and whose close write failed says so, not just 'updated'", async () => {
    const { model, broker } = await setup("code-update-unrecorded");
    const opened = await broker.openPosition(model, LONG);
    if (!opened.ok) throw new Error(opened.reason);
    const write = vi.spyOn(db.orders, "closePosition").mockRejectedValueOnce(new Error("disk full"));
    let updated;
    try {
      // A stop above the mark of a long: crossed at once.
      updated = await broker.updateExitPlan(model, "BTC", { ...emptyExitPlan(), stop: toDecimal(100_500) });
    } finally {
      write.mockRestore();
    }
    expect(updated).toMatchObject({ ok: true, code: "EXECUTED" });
    if (updated.ok) expect(updated.message).toMatch(/closed by its stop-loss in the simulator, but writing that close to Orders failed \(disk full\)/);
    expect((await broker.sync([model])).closes.map((c) => c.closeTrigger)).toEqual(["STOP"]);
    await broker.close();
  });

  it("FILLED_NOT_RECORDED: a close that filled only in part leaves Orders holding the whole position", async () => {
    const { model, broker, book } = await setup("code-close-partial");
    const opened = await broker.openPosition(model, LONG);
    if (!opened.ok) throw new Error(opened.reason);
    book.levels = 1; // 0.01 bid for a 0.02 long
    const closed = await broker.closePosition(model, "BTC", null);
    expect(closed).toMatchObject({ ok: false, code: "FILLED_NOT_RECORDED" });
    expect(broker.simulator.positions(model.id).map((p) => p.quantity.toString())).toEqual(["0.01"]);
    expect((await db.orders.byId(opened.value.orderId))?.status).toBe("OPEN");
    await broker.close();
  });

  it("FAILED: an entry whose write failed is unwound: no position in the simulator, no Order", async () => {
    const { model, broker } = await setup("code-failed");
    const write = vi.spyOn(db.orders, "openPosition").mockRejectedValueOnce(new Error("disk full"));
    try {
      const opened = await broker.openPosition(model, LONG);
      expect(opened).toMatchObject({ ok: false, code: "FAILED" });
      if (!opened.ok) expect(opened.reason).toContain("disk full");
    } finally {
      write.mockRestore();
    }
    expect(broker.simulator.positions(model.id)).toEqual([]);
    expect(await db.orders.openOrdersOfModel(model.id)).toEqual([]);
    // Nothing left behind: the next open and sync are clean.
    expect((await broker.sync([model])).closes).toEqual([]);
    expect(await broker.openPosition(model, LONG)).toMatchObject({ ok: true, code: "EXECUTED" });
    await broker.close();
  });
});

const HOUR = 3_600_000;
const LONG_01 = { symbol: "BTC", side: "LONG" as const, quantity: toDecimal("0.1"), leverage: toDecimal(2), exitPlan: emptyExitPlan() };
const SHORT_01 = { ...LONG_01, side: "SHORT" as const };

/** A recorded settlement as ReplayMarket reports it: its time, its rate, and when the next is due. */
function settlement(ts: number, rate: string, intervalMs = 8 * HOUR) {
  return { rate: toDecimal(rate), intervalMs, ts, nextFundingTime: ts + intervalMs };
}

async function fundingOf(on: Db, orderId: string): Promise<string | undefined> {
  return (await on.orders.byId(orderId))?.funding.toString();
}

function fundingSuite(getDb: () => Db) {
  describe("SimBroker funding", () => {
    it("charges a recorded settlement once, at the first sync at or after it, to the long and the short open then, and records it on their Orders", async () => {
      const on = getDb();
      const clock = new ManualClock(T0);
      const market = new ControlledMarket(clock, { BTC: 100_000 });
      const [long, short, late] = [await freshModel("f-long", on), await freshModel("f-short", on), await freshModel("f-late", on)];
      const models = [long, short, late];
      // The settlement in force when the broker starts came due before it: not this broker's to charge.
      market.setFunding("BTC", settlement(T0 - 1000, "0.05"));
      const broker = new SimBroker({ db: on, market, simulator: simOptions() });
      await broker.start(models);
      const lo = await broker.openPosition(long, LONG_01);
      const so = await broker.openPosition(short, SHORT_01);
      if (!lo.ok || !so.ok) throw new Error("open failed");
      clock.advanceTo(T0 + 8 * HOUR - 1000);
      await broker.sync(models);
      expect([await fundingOf(on, lo.value.orderId), await fundingOf(on, so.value.orderId)]).toEqual(["0", "0"]);

      clock.advanceTo(T0 + 8 * HOUR + 60_000);
      market.setFunding("BTC", settlement(T0 + 8 * HOUR, "0.0001"));
      const report = await broker.sync(models);
      expect(report.errors).toEqual([]);
      const mark = broker.simulator.markPrice("BTC")!;
      const amount = toDecimal("0.1").mul(mark).mul("0.0001"); // longs pay shorts at a positive rate
      expect(amount.gt(0)).toBe(true);
      expect(await fundingOf(on, lo.value.orderId)).toBe(amount.neg().toString());
      expect(await fundingOf(on, so.value.orderId)).toBe(amount.toString());
      expect(broker.simulator.account(long.id).cash.toString()).toBe(toDecimal(10_000).minus(lo.value.fees).minus(amount).toString());
      expect(broker.simulator.account(short.id).cash.toString()).toBe(toDecimal(10_000).minus(so.value.fees).plus(amount).toString());

      // Opened after the settlement: it pays nothing for it; and the same settlement is never charged again.
      const la = await broker.openPosition(late, LONG_01);
      if (!la.ok) throw new Error("open failed");
      clock.advanceTo(T0 + 9 * HOUR);
      await broker.sync(models);
      expect(await fundingOf(on, la.value.orderId)).toBe("0");
      expect(await fundingOf(on, lo.value.orderId)).toBe(amount.neg().toString());

      // The close counts it: realized = gross - fees + funding, exactly; the Order keeps the funding.
      const closed = await broker.closePosition(long, "BTC", null);
      if (!closed.ok) throw new Error(closed.reason);
      const gross = closed.value.exitPrice.minus(closed.value.entryPrice).mul("0.1");
      expect(closed.value.funding.toString()).toBe(amount.neg().toString());
      expect(closed.value.realizedPnl.toString()).toBe(gross.minus(closed.value.fees).minus(amount).toString());
      await broker.close();
    });

    it("charges a live rate once per simulator funding interval, scaled from the source's interval, and never by the simulator's own timer", async () => {
      const on = getDb();
      const clock = new ManualClock(T0 + 10 * 60_000);
      const market = new ControlledMarket(clock, { BTC: 100_000 });
      const model = await freshModel("f-live", on);
      const broker = new SimBroker({ db: on, market, simulator: { ...simOptions(), fundingIntervalMs: HOUR } });
      await broker.start([model]);
      const opened = await broker.openPosition(model, SHORT_01);
      if (!opened.ok) throw new Error("open failed");
      // A rate in force (Lighter-like: no settlement times), per 8 hours: 0.0001 per simulator hour.
      const live = () => market.setFunding("BTC", { rate: toDecimal("0.0008"), intervalMs: 8 * HOUR, ts: clock.now() });
      const at = async (ms: number) => {
        clock.advanceTo(ms);
        live();
        await broker.sync([model]);
        return fundingOf(on, opened.value.orderId);
      };
      expect(await at(T0 + 20 * 60_000)).toBe("0"); // the hour began before the broker started
      const perHour = toDecimal("0.1").mul(broker.simulator.markPrice("BTC")!).mul("0.0001");
      expect(await at(T0 + HOUR + 5 * 60_000)).toBe(perHour.toString());
      expect(await at(T0 + HOUR + 30 * 60_000)).toBe(perHour.toString());
      expect(await at(T0 + 3 * HOUR)).toBe(perHour.mul(2).toString()); // one charge for the hour, however late the sync
      expect(broker.simulator.account(model.id).funding.toString()).toBe(perHour.mul(2).toString());
      await broker.close();
    });

    it("gives the same final cash, realized PnL and funding when the worker restarts between two settlements", async () => {
      async function scenario(restart: boolean) {
        const on = getDb();
        const clock = new ManualClock(T0);
        const market = new ControlledMarket(clock, { BTC: 100_000 });
        const model = await freshModel(restart ? "f-restart" : "f-straight", on);
        let broker = new SimBroker({ db: on, market, simulator: simOptions() });
        await broker.start([model]);
        const opened = await broker.openPosition(model, LONG_01);
        if (!opened.ok) throw new Error("open failed");
        const settle = async (n: number, rate: string) => {
          clock.advanceTo(T0 + n * 8 * HOUR + 1000);
          market.setFunding("BTC", settlement(T0 + n * 8 * HOUR, rate));
          expect((await broker.sync([model])).errors).toEqual([]);
        };
        await settle(1, "0.0001");
        let restored: string | undefined;
        if (restart) {
          await broker.close();
          clock.advanceBy(1000);
          broker = new SimBroker({ db: on, market, simulator: simOptions() });
          await broker.start([model]);
          restored = broker.simulator.positions(model.id)[0]?.funding.toString();
          expect(restored).toBe(await fundingOf(on, opened.value.orderId));
          // The settlement the first process charged is still the one reported: not charged again.
          await broker.sync([model]);
          expect(await fundingOf(on, opened.value.orderId)).toBe(restored);
        }
        await settle(2, "-0.0002");
        market.setMid("BTC", 101_000);
        clock.advanceBy(1000);
        const closed = await broker.closePosition(model, "BTC", null);
        if (!closed.ok) throw new Error(closed.reason);
        const cash = broker.simulator.account(model.id).cash.toString();
        await broker.close();
        return { cash, realizedPnl: closed.value.realizedPnl.toString(), funding: closed.value.funding.toString(), restored };
      }
      const straight = await scenario(false);
      const restarted = await scenario(true);
      expect(restarted.restored).not.toBe("0");
      expect({ ...restarted, restored: undefined }).toEqual(straight);
      // Paid 0.0001 of the mark, then received 0.0002: net received.
      expect(toDecimal(straight.funding).gt(0)).toBe(true);
    });

    it("records a settlement once when two workers' simulators both hold the position", async () => {
      const on = getDb();
      const clock = new ManualClock(T0);
      const market = new ControlledMarket(clock, { BTC: 100_000 });
      const model = await freshModel("f-two", on);
      const a = new SimBroker({ db: on, market, simulator: simOptions() });
      await a.start([model]);
      const opened = await a.openPosition(model, LONG_01);
      if (!opened.ok) throw new Error("open failed");
      const b = new SimBroker({ db: on, market, simulator: simOptions() });
      await b.start([model]);
      clock.advanceTo(T0 + 8 * HOUR);
      market.setFunding("BTC", settlement(T0 + 8 * HOUR, "0.0001"));
      const [ra, rb] = await Promise.all([a.sync([model]), b.sync([model])]);
      expect([...ra.errors, ...rb.errors, ...ra.actions, ...rb.actions]).toEqual([]);
      const amount = toDecimal("0.1").mul(a.simulator.markPrice("BTC")!).mul("0.0001");
      expect(await fundingOf(on, opened.value.orderId)).toBe(amount.neg().toString());
      await a.close();
      await b.close();
    });
  });
}

fundingSuite(() => db);

describe("SimBroker funding over a ReplayMarket", () => {
  it("charges each recorded settlement once at the recorded rate, the recording's last one included, and none from before it started", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-funding-"));
    try {
      const klines = ["open_time,open,high,low,close,volume"];
      for (let m = 0; m < 20 * 60; m++) klines.push(`${T0 + m * 60_000},100000,100000,100000,100000,10`);
      writeFileSync(join(dir, "klines.csv"), `${klines.join("\n")}\n`);
      // Binance-like: every 8 hours; the last row has no next settlement.
      writeFileSync(join(dir, "funding.csv"), `funding_time,funding_rate\n${T0},0.0003\n${T0 + 8 * HOUR},0.0001\n${T0 + 16 * HOUR},-0.0002\n`);
      const replayClock = new ManualClock(T0 + HOUR);
      const market = new ReplayMarket({ clock: replayClock, klines: [{ path: join(dir, "klines.csv"), symbol: "BTC" }], funding: [{ path: join(dir, "funding.csv"), symbol: "BTC" }] });
      market.advanceTo(T0 + HOUR);
      const model = await freshModel("f-replay");
      const broker = new SimBroker({ db, market, simulator: simOptions() });
      await broker.start([model]);
      const opened = await broker.openPosition(model, LONG_01);
      if (!opened.ok) throw new Error(opened.reason);
      let expected = toDecimal(0);
      const tick = async (at: number, rate?: string) => {
        replayClock.advanceTo(at);
        market.advanceTo(at);
        expect((await broker.sync([model])).errors).toEqual([]);
        // Longs pay at a positive rate: quantity x mark x rate.
        if (rate !== undefined) expected = expected.minus(toDecimal("0.1").mul(broker.simulator.markPrice("BTC")!).mul(rate));
        expect(await fundingOf(db, opened.value.orderId)).toBe(expected.toString());
      };
      await tick(T0 + 2 * HOUR); // the T0 settlement came due before the broker started
      await tick(T0 + 8 * HOUR - 60_000);
      await tick(T0 + 8 * HOUR + 5 * 60_000, "0.0001");
      await tick(T0 + 9 * HOUR);
      await tick(T0 + 16 * HOUR, "-0.0002");
      await tick(T0 + 17 * HOUR + 5 * 60_000);
      await tick(T0 + 19 * HOUR);
      expect(expected.gt(0)).toBe(true);
      expect(broker.simulator.positions(model.id)[0]?.funding.toString()).toBe(expected.toString());
      await broker.close();
      await market.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
describe.skipIf(pgSkip !== null)("on PostgreSQL (funding)", () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await openTestPostgres(clock);
  });
  afterAll(async () => {
    await pg?.drop();
  });
  fundingSuite(() => pg.db);
});
