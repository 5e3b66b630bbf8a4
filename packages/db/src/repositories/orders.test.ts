import {
  type ExitPlan,
  NotFoundError,
  StateConflictError,
  ValidationError,
  emptyExitPlan,
  ManualClock,
  isDecimal,
  toDecimal,
} from "@autonome/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, createDb } from "../db.js";
import { prismaOf } from "../internal/db-internals.js";
import { dropSchema } from "../db.js";
import { T0, describeEachDatabase, openPostgres, postgresSkipReason, postgresUrl } from "../testing/databases.js";

const PLAN: ExitPlan = {
  ...emptyExitPlan(),
  stop: toDecimal("95000"),
  target: toDecimal("110000"),
  invalidation: "daily close below 94k",
  confidence: 0.7,
};

describeEachDatabase("OrdersRepository", (t) => {
  async function model(name = "alpha") {
    return t.db.models.create({ name, provider: "openai", modelName: "gpt-test" });
  }

  async function countOrders() {
    return prismaOf(t.db).order.count();
  }

  it("opens a position and reads it back exactly, money as Decimal", async () => {
    const m = await model();
    const opened = await t.db.orders.openPosition({
      modelId: m.id,
      symbol: "BTC",
      side: "LONG",
      quantity: "0.12345678",
      leverage: "12.5",
      entryPrice: "98765.43210987",
      exitPlan: PLAN,
      entryFee: "0.1234",
    });
    expect(opened.status).toBe("OPEN");
    expect(isDecimal(opened.quantity)).toBe(true);
    expect(opened.quantity.toString()).toBe("0.12345678");
    expect(opened.entryPrice.toString()).toBe("98765.43210987");
    expect(opened.leverage.toString()).toBe("12.5");
    expect(opened.fees.toString()).toBe("0.1234");
    expect(opened.openedAt).toBe(t.clock.now());
    expect(opened.exitPlan.stop?.toString()).toBe("95000");
    expect(opened.exitPlan.invalidation).toBe("daily close below 94k");
    const again = await t.db.orders.byId(opened.orderId);
    expect(again).toEqual(opened);
  });

  it("lists open orders of a model, all open orders and the open position of a symbol", async () => {
    const a = await model("a");
    const b = await model("b");
    const base = { side: "LONG" as const, quantity: "1", leverage: "2", entryPrice: "10", exitPlan: emptyExitPlan() };
    const a1 = await t.db.orders.openPosition({ ...base, modelId: a.id, symbol: "ETH" });
    t.clock.advanceBy(1000);
    const a2 = await t.db.orders.openPosition({ ...base, modelId: a.id, symbol: "SOL", side: "SHORT" });
    const b1 = await t.db.orders.openPosition({ ...base, modelId: b.id, symbol: "ETH" });
    await t.db.orders.closePosition({ orderId: a2.orderId, exitPrice: "9", closeTrigger: null });

    expect((await t.db.orders.openOrdersOfModel(a.id)).map((o) => o.orderId)).toEqual([a1.orderId]);
    expect((await t.db.orders.allOpenOrders()).map((o) => o.orderId).sort()).toEqual([a1.orderId, b1.orderId].sort());
    expect((await t.db.orders.openPositionOf(b.id, "ETH"))?.orderId).toBe(b1.orderId);
    expect(await t.db.orders.openPositionOf(a.id, "SOL")).toBeNull();
  });

  it("closes a position in one step with exit price, trigger, time and PnL net of fees, exact (not rounded to cents)", async () => {
    const m = await model();
    const opened = await t.db.orders.openPosition({
      modelId: m.id,
      symbol: "BTC",
      side: "SHORT",
      quantity: "0.5",
      leverage: "5",
      entryPrice: "100000",
      exitPlan: PLAN,
      entryFee: "2.5",
    });
    t.clock.advanceBy(60_000);
    const closed = await t.db.orders.closePosition({ orderId: opened.orderId, exitPrice: "99000", closeTrigger: "TARGET", exitFee: "2.475" });
    // SHORT: (100000 - 99000) * 0.5 = 500 gross; fees 2.5 + 2.475 = 4.975; 495.025, kept exactly
    expect(closed.status).toBe("CLOSED");
    expect(closed.realizedPnl.toString()).toBe("495.025");
    expect(closed.fees.toString()).toBe("4.975");
    expect(closed.exitPrice.toString()).toBe("99000");
    expect(closed.closeTrigger).toBe("TARGET");
    expect(closed.closedAt).toBe(opened.openedAt + 60_000);
    expect(await t.db.orders.openPositionOf(m.id, "BTC")).toBeNull();
  });

  it("stores the venue's realized PnL when given instead of computing it", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "LONG", quantity: "1", leverage: "1", entryPrice: "3000", exitPlan: PLAN });
    const closed = await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "2900", closeTrigger: "LIQUIDATION", realizedPnl: "-117.345" });
    expect(closed.realizedPnl.toString()).toBe("-117.345");
    expect(closed.closeTrigger).toBe("LIQUIDATION");
  });

  it("rounds average fill prices half-even to 8 decimals but computes PnL from the stored prices", async () => {
    const m = await model();
    // A VWAP of 0.3 @ 100.1 and 0.4 @ 100.2 over 0.7: 100.157142857142...
    const vwap = toDecimal("0.3").mul("100.1").plus(toDecimal("0.4").mul("100.2")).div("0.7");
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "LONG", quantity: "0.7", leverage: "1", entryPrice: vwap, exitPlan: PLAN });
    expect(o.entryPrice.toString()).toBe("100.15714286");
    const closed = await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: toDecimal("200").div(3), closeTrigger: null });
    expect(closed.exitPrice.toString()).toBe("66.66666667");
    // (66.66666667 - 100.15714286) * 0.7 = -23.443333333, kept exactly
    expect(closed.realizedPnl.toString()).toBe("-23.443333333");
  });

  it("keeps realized PnL, fees and funding to 30 places, rounding half-even only beyond them", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({
      modelId: m.id, symbol: "BTC", side: "LONG", quantity: "0.00001", leverage: "1", entryPrice: "100000.1", exitPlan: PLAN,
      entryFee: "0.000001000000100000000000000000000000005",
    });
    expect(o.fees.toString()).toBe("0.0000010000001");
    const funded = await t.db.orders.addFunding(o.orderId, "0.000000000000000000000000000123");
    expect(funded.funding.toString()).toBe("0.000000000000000000000000000123");
    const closed = await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "100000.3", closeTrigger: null, exitFee: "0.0000010000003" });
    // 0.2 * 0.00001 = 0.000002 gross - fees 0.0000020000004 + funding 1.23e-28
    expect(closed.realizedPnl.toString()).toBe(toDecimal("-0.0000000000004").plus("1.23e-28").toString());
    expect(closed.fees.toString()).toBe("0.0000020000004");
  });

  it("refuses to close a CLOSED order and leaves it unchanged", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "LONG", quantity: "1", leverage: "1", entryPrice: "3000", exitPlan: PLAN });
    const first = await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "3100", closeTrigger: "MANUAL" });
    t.clock.advanceBy(5000);
    await expect(t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "1", closeTrigger: "STOP" })).rejects.toBeInstanceOf(StateConflictError);
    const after = await t.db.orders.byId(o.orderId);
    expect(after).toEqual(first);
  });

  it("closes an order once when two closes race, the loser gets StateConflictError", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "LONG", quantity: "1", leverage: "1", entryPrice: "3000", exitPlan: PLAN });
    const results = await Promise.allSettled([
      t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "3100", closeTrigger: "TARGET" }),
      t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "2900", closeTrigger: "STOP" }),
    ]);
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r) => r.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(StateConflictError);
    const stored = await t.db.orders.byId(o.orderId);
    expect(stored?.status === "CLOSED" && stored.exitPrice.toString()).toBe((fulfilled[0] as PromiseFulfilledResult<{ exitPrice: { toString(): string } }>).value.exitPrice.toString());
  });

  it("adds funding settlements to an open order atomically and counts them in the computed realized PnL", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "LONG", quantity: "0.5", leverage: "5", entryPrice: "100000", exitPlan: PLAN, entryFee: "2.5" });
    expect(o.funding.toString()).toBe("0");
    const after = await t.db.orders.addFunding(o.orderId, "-5.000000004"); // kept exactly (30 places)
    expect(isDecimal(after.funding)).toBe(true);
    expect(after.funding.toString()).toBe("-5.000000004");
    // Concurrent settlements (two workers, two symbols' timers) all count: one increment each.
    await Promise.all(Array.from({ length: 8 }, () => t.db.orders.addFunding(o.orderId, "-0.125")));
    await t.db.orders.addFunding(o.orderId, "0.25");
    expect((await t.db.orders.openPositionOf(m.id, "BTC"))?.funding.toString()).toBe("-5.750000004");
    expect((await t.db.orders.allOpenOrders()).find((x) => x.orderId === o.orderId)?.funding.toString()).toBe("-5.750000004");
    const closed = await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "101000", closeTrigger: null, exitFee: "2.525" });
    // LONG: 500 gross - fees 5.025 - funding paid 5.750000004 = 489.224999996, exact
    expect(closed.realizedPnl.toString()).toBe("489.224999996");
    expect(closed.funding.toString()).toBe("-5.750000004");
    expect((await t.db.orders.byId(o.orderId))?.funding.toString()).toBe("-5.750000004");
  });

  it("closes part of a position in one transaction: a CLOSED order for the part with its share of fees, funding and its PnL, the OPEN rest smaller", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "SHORT", quantity: "0.3", leverage: "4", entryPrice: "100000", exitPlan: PLAN, entryFee: "3", triggers: { slOrderIndex: 7n, slTriggerPrice: "105000" } });
    await t.db.orders.addFunding(o.orderId, "0.9");
    const { closed, open } = await t.db.orders.closePartOfPosition({ orderId: o.orderId, quantity: "0.1", exitPrice: "99000", exitFee: "0.99", closeTrigger: null, closedAt: T0 + 60_000 });
    expect(open.orderId).toBe(o.orderId);
    expect(closed.orderId).not.toBe(o.orderId);
    expect([open.quantity.toString(), open.fees.toString(), open.funding.toString(), open.slOrderIndex]).toEqual(["0.2", "2", "0.6", 7n]);
    expect(closed).toMatchObject({ status: "CLOSED", modelId: m.id, symbol: "BTC", side: "SHORT", closeTrigger: null, closedAt: T0 + 60_000, openedAt: o.openedAt, slOrderIndex: null });
    expect([closed.quantity.toString(), closed.entryPrice.toString(), closed.leverage.toString(), closed.exitPrice.toString()]).toEqual(["0.1", "100000", "4", "99000"]);
    // Fees: a third of the entry fee (1) plus the exit fee 0.99; funding a third of 0.9; SHORT: 100 gross - 1.99 + 0.3.
    expect([closed.fees.toString(), closed.funding.toString(), closed.realizedPnl.toString()]).toEqual(["1.99", "0.3", "98.31"]);
    expect(closed.exitPlan).toEqual(o.exitPlan);
    // The rest closes as a position of its own size.
    const rest = await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "98000", closeTrigger: "TARGET", exitFee: "1.96" });
    expect([rest.quantity.toString(), rest.fees.toString(), rest.realizedPnl.toString()]).toEqual(["0.2", "3.96", "396.64"]);
    expect((await t.db.orders.closedTrades({ modelId: m.id })).items).toHaveLength(2);
  });

  it("keeps a partial close's shares and PnL to 30 places: the parts add up to the whole, to the last digit", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "LONG", quantity: "0.3", leverage: "2", entryPrice: "3000", exitPlan: PLAN, entryFee: "1" });
    await t.db.orders.addFunding(o.orderId, "-0.000000001");
    const { closed, open } = await t.db.orders.closePartOfPosition({ orderId: o.orderId, quantity: "0.1", exitPrice: "3000.01", exitFee: "0.000123456789", closeTrigger: null });
    // A third of the entry fee and of the funding, beyond 8 places (cents or 8 places would lose it).
    expect(closed.fees.toString()).toBe("0.333456790122333333333333333333");
    expect(open.fees.toString()).toBe("0.666666666666666666666666666667");
    expect(closed.fees.plus(open.fees).toString()).toBe("1.000123456789");
    expect(closed.funding.plus(open.funding).toFixed()).toBe("-0.000000001");
    // LONG 0.1 x 0.01 = 0.001 gross, minus its fees, plus its funding share.
    expect(closed.realizedPnl.toString()).toBe(closed.funding.plus("0.001").minus(closed.fees).toString());
  });

  it("refuses a partial close of the whole size or more, of a CLOSED order, or before the open, and writes nothing", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "LONG", quantity: "1", leverage: "2", entryPrice: "3000", exitPlan: PLAN });
    const before = await countOrders();
    await expect(t.db.orders.closePartOfPosition({ orderId: o.orderId, quantity: "1", exitPrice: "3100", closeTrigger: null })).rejects.toThrow(ValidationError);
    await expect(t.db.orders.closePartOfPosition({ orderId: o.orderId, quantity: "0.000000001", exitPrice: "3100", closeTrigger: null })).rejects.toThrow(ValidationError);
    await expect(t.db.orders.closePartOfPosition({ orderId: o.orderId, quantity: "0.5", exitPrice: "3100", closeTrigger: null, closedAt: o.openedAt - 1 })).rejects.toThrow(ValidationError);
    expect(await countOrders()).toBe(before);
    expect((await t.db.orders.byId(o.orderId))?.quantity.toString()).toBe("1");
    await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "3100", closeTrigger: null });
    await expect(t.db.orders.closePartOfPosition({ orderId: o.orderId, quantity: "0.5", exitPrice: "3100", closeTrigger: null })).rejects.toThrow(StateConflictError);
    expect(await countOrders()).toBe(before);
  });

  it("records a settlement reported with its time once per order, whichever worker reports it first", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "SHORT", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: PLAN });
    const at = t.clock.now() + 3_600_000;
    // Two workers' simulators (or a restarted one) settle the same funding.
    const results = await Promise.all([t.db.orders.addFunding(o.orderId, "0.01", at), t.db.orders.addFunding(o.orderId, "0.01", at)]);
    expect(results.map((r) => r.funding.toString()).sort()).toEqual(["0.01", "0.01"]);
    expect((await t.db.orders.byId(o.orderId))?.funding.toString()).toBe("0.01");
    // An older settlement is not recorded after a newer one; the next one is.
    expect((await t.db.orders.addFunding(o.orderId, "5", at - 1)).funding.toString()).toBe("0.01");
    expect((await t.db.orders.addFunding(o.orderId, "0.02", at + 3_600_000)).funding.toString()).toBe("0.03");
    await expect(t.db.orders.addFunding(o.orderId, "1", -5)).rejects.toBeInstanceOf(ValidationError);
  });

  it("refuses funding on a closed order and keeps the funding its close recorded", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "SHORT", quantity: "1", leverage: "1", entryPrice: "3000", exitPlan: PLAN });
    await t.db.orders.addFunding(o.orderId, "1.5");
    // The venue's exact whole-life funding replaces the accrued one.
    const closed = await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "3000", closeTrigger: "MANUAL", funding: "1.50000001" });
    expect(closed.funding.toString()).toBe("1.50000001");
    expect(closed.realizedPnl.toString()).toBe("1.50000001");
    await expect(t.db.orders.addFunding(o.orderId, "-1")).rejects.toBeInstanceOf(StateConflictError);
    await expect(t.db.orders.addFunding(globalThis.crypto.randomUUID(), "-1")).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.orders.addFunding(o.orderId, "not money")).rejects.toBeInstanceOf(ValidationError);
    expect((await t.db.orders.byId(o.orderId))?.funding.toString()).toBe("1.50000001");
  });

  it("refuses a second open position on the same symbol of a model", async () => {
    const m = await model();
    const input = { modelId: m.id, symbol: "BTC", side: "LONG" as const, quantity: "1", leverage: "1", entryPrice: "100", exitPlan: PLAN };
    await t.db.orders.openPosition(input);
    await expect(t.db.orders.openPosition({ ...input, side: "SHORT" })).rejects.toBeInstanceOf(StateConflictError);
    expect(await countOrders()).toBe(1);
  });

  it("rejects an unknown model with NotFoundError and writes nothing", async () => {
    const input = { symbol: "BTC", side: "LONG" as const, quantity: "1", leverage: "1", entryPrice: "100", exitPlan: PLAN };
    await expect(t.db.orders.openPosition({ ...input, modelId: globalThis.crypto.randomUUID() })).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.orders.openPosition({ ...input, modelId: "not-a-uuid" })).rejects.toBeInstanceOf(NotFoundError);
    expect(await countOrders()).toBe(0);
  });

  it.each([
    ["a negative quantity", { quantity: "-1" }],
    ["a zero quantity", { quantity: "0" }],
    ["a quantity with more than 8 decimals", { quantity: "0.123456789" }],
    ["a quantity too large for numeric(18,8)", { quantity: "12345678901" }],
    ["a non-numeric price", { entryPrice: "abc" }],
    ["a negative price", { entryPrice: "-100" }],
    ["a float NaN price", { entryPrice: Number.NaN }],
    ["leverage with 3 decimals", { leverage: "1.005" }],
    ["an unknown side", { side: "UP" }],
    ["an empty symbol", { symbol: "" }],
    ["a malformed exit plan (confidence above 1)", { exitPlan: { ...PLAN, confidence: 7 } }],
    ["a malformed exit plan (negative stop)", { exitPlan: { ...PLAN, stop: toDecimal("-5") } }],
    ["a malformed exit plan (not a plan)", { exitPlan: "sell at 100k" }],
    ["a fractional open time", { openedAt: 1.5 }],
  ])("rejects %s with ValidationError and writes nothing", async (_name, override) => {
    const m = await model();
    const input = { modelId: m.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: PLAN, ...override };
    await expect(t.db.orders.openPosition(input as never)).rejects.toBeInstanceOf(ValidationError);
    expect(await countOrders()).toBe(0);
  });

  it("rejects a bad close with a typed error and leaves the order OPEN", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: PLAN });
    await expect(t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "-1", closeTrigger: null })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "1", closeTrigger: "SOMETIMES" as never })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "1", closeTrigger: null, closedAt: o.openedAt - 1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.orders.closePosition({ orderId: globalThis.crypto.randomUUID(), exitPrice: "1", closeTrigger: null })).rejects.toBeInstanceOf(NotFoundError);
    expect((await t.db.orders.byId(o.orderId))?.status).toBe("OPEN");
  });

  it("updates the exit plan of an open order and refuses it on a closed one", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: PLAN });
    const plan: ExitPlan = { ...PLAN, stop: toDecimal("99.5"), cooldownUntil: t.clock.now() + 3_600_000 };
    const updated = await t.db.orders.updateExitPlan(o.orderId, plan);
    expect(updated.exitPlan).toEqual(plan);
    await expect(t.db.orders.updateExitPlan(o.orderId, { ...plan, confidence: -1 })).rejects.toBeInstanceOf(ValidationError);
    expect((await t.db.orders.byId(o.orderId))?.exitPlan).toEqual(plan);
    await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "101", closeTrigger: null });
    await expect(t.db.orders.updateExitPlan(o.orderId, PLAN)).rejects.toBeInstanceOf(StateConflictError);
    await expect(t.db.orders.updateExitPlan(globalThis.crypto.randomUUID(), PLAN)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("sets and clears SL/TP trigger orders, keeping what is left out; order indices beyond 2^53 stay exact", async () => {
    const m = await model();
    const o = await t.db.orders.openPosition({
      modelId: m.id,
      symbol: "BTC",
      side: "LONG",
      quantity: "1",
      leverage: "1",
      entryPrice: "100",
      exitPlan: PLAN,
      triggers: { slOrderIndex: 281_474_976_710_656n, slTriggerPrice: "95" },
    });
    expect(o.slOrderIndex).toBe(281_474_976_710_656n);
    const big = 1_152_921_504_606_846_975n; // 2^60 - 1, Lighter's largest order index
    const set = await t.db.orders.setTriggerOrders(o.orderId, { tpOrderIndex: big, tpTriggerPrice: "110.5" });
    expect(set.slOrderIndex).toBe(281_474_976_710_656n);
    expect(set.slTriggerPrice?.toString()).toBe("95");
    expect(set.tpOrderIndex).toBe(big);
    expect(set.tpTriggerPrice?.toString()).toBe("110.5");
    const cleared = await t.db.orders.setTriggerOrders(o.orderId, { slOrderIndex: null, slTriggerPrice: null });
    expect(cleared.slOrderIndex).toBeNull();
    expect(cleared.slTriggerPrice).toBeNull();
    expect(cleared.tpOrderIndex).toBe(big);
    await expect(t.db.orders.setTriggerOrders(o.orderId, { tpTriggerPrice: "0" })).rejects.toBeInstanceOf(ValidationError);
  });

  it("pages closed trades of a model newest first with a stable cursor", async () => {
    const m = await model("pager");
    const other = await model("other");
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const o = await t.db.orders.openPosition({ modelId: m.id, symbol: `S${i}`, side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: PLAN });
      // Two trades share a close time to exercise the id tie-break.
      if (i !== 3) t.clock.advanceBy(1000);
      await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: String(100 + i), closeTrigger: null });
      ids.push(o.orderId);
    }
    const o = await t.db.orders.openPosition({ modelId: other.id, symbol: "X", side: "LONG", quantity: "1", leverage: "1", entryPrice: "1", exitPlan: PLAN });
    await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "2", closeTrigger: null });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await t.db.orders.closedTradesOfModel(m.id, { limit: 3, cursor });
      seen.push(...page.items.map((x) => x.orderId));
      expect(page.items.every((x) => x.modelId === m.id)).toBe(true);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...ids].sort());
    const all = await t.db.orders.closedTradesOfModel(m.id, { limit: 100 });
    const closedAts = all.items.map((x) => x.closedAt);
    expect(closedAts).toEqual([...closedAts].sort((a, b) => b - a));
    expect((await t.db.orders.closedTrades({ limit: 100 })).items).toHaveLength(8);
    await expect(t.db.orders.closedTrades({ cursor: "garbage" })).rejects.toBeInstanceOf(ValidationError);
  });

  it("filters closed trades by symbol, alone or with a model, and pages within the filter", async () => {
    const m = await model("symbols");
    const other = await model("symbols-other");
    for (const [owner, symbol] of [[m, "BTC"], [m, "ETH"], [other, "BTC"]] as const) {
      for (let i = 0; i < 2; i++) {
        const o = await t.db.orders.openPosition({ modelId: owner.id, symbol, side: "SHORT", quantity: "1", leverage: "2", entryPrice: "100", exitPlan: PLAN });
        t.clock.advanceBy(1000);
        await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: "99", closeTrigger: null });
      }
    }
    const btc = await t.db.orders.closedTrades({ symbol: "BTC", limit: 100 });
    expect(btc.items.map((x) => x.symbol)).toEqual(["BTC", "BTC", "BTC", "BTC"]);
    const mineBtc = await t.db.orders.closedTrades({ modelId: m.id, symbol: "BTC", limit: 1 });
    expect(mineBtc.items).toHaveLength(1);
    const rest = await t.db.orders.closedTrades({ modelId: m.id, symbol: "BTC", limit: 1, cursor: mineBtc.nextCursor });
    expect(rest.items.map((x) => [x.modelId, x.symbol])).toEqual([[m.id, "BTC"]]);
    expect(rest.nextCursor).toBeNull();
    expect((await t.db.orders.closedTrades({ symbol: "SOL" })).items).toEqual([]);
  });
  it("returns from its raw open and close statements exactly the Order a read returns", async () => {
    const m = await t.db.models.create({ name: "raw-rows", provider: "p", modelName: "x" });
    const opened = await t.db.orders.openPosition({
      modelId: m.id, symbol: "BTC", side: "SHORT", quantity: "0.015", leverage: "3", entryPrice: "100000.123456789", entryFee: "0.75",
      exitPlan: { ...emptyExitPlan(), stop: toDecimal("101000"), confidence: 0.6 }, triggers: { slOrderIndex: 7n, slTriggerPrice: "101000" },
    });
    expect(await t.db.orders.byId(opened.orderId)).toEqual(opened);
    t.clock.advanceBy(60_000);
    const closed = await t.db.orders.closePosition({ orderId: opened.orderId, exitPrice: "99000", exitFee: "0.5", closeTrigger: "TARGET", realizedPnl: "14.25", funding: "-0.125" });
    expect(await t.db.orders.byId(opened.orderId)).toEqual(closed);
    expect(closed).toMatchObject({ status: "CLOSED", closeTrigger: "TARGET", closedAt: t.clock.now() });
    expect([closed.fees.toString(), closed.funding.toString(), closed.realizedPnl.toString()]).toEqual(["1.25", "-0.125", "14.25"]);
    // The conditions of the single UPDATE give the same typed errors as the read-then-write path.
    await expect(t.db.orders.closePosition({ orderId: opened.orderId, exitPrice: "1", closeTrigger: null, realizedPnl: "0" })).rejects.toBeInstanceOf(StateConflictError);
    await expect(t.db.orders.closePosition({ orderId: globalThis.crypto.randomUUID(), exitPrice: "1", closeTrigger: null, realizedPnl: "0" })).rejects.toBeInstanceOf(NotFoundError);
    const again = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "1", exitPlan: emptyExitPlan() });
    await expect(t.db.orders.closePosition({ orderId: again.orderId, exitPrice: "1", closeTrigger: null, realizedPnl: "0", closedAt: again.openedAt - 1 })).rejects.toBeInstanceOf(ValidationError);
    expect((await t.db.orders.byId(again.orderId))?.status).toBe("OPEN");
  });
});

describe.skipIf(postgresSkipReason !== null)("OrdersRepository with two connections [postgres]", () => {
  const clock = new ManualClock(T0);
  let first: Db;
  let second: Db;
  let schema: string;

  beforeAll(async () => {
    const opened = await openPostgres(clock);
    first = opened.db;
    schema = opened.schema;
    // A second, independent client (its own pool) on the same schema: another worker process.
    second = await createDb({ kind: "postgres", url: postgresUrl as string, schema, clock, maxConnections: 2 });
  }, 60_000);

  afterAll(async () => {
    await first?.close();
    await second?.close();
    if (postgresUrl !== undefined) await dropSchema(postgresUrl, schema);
  });

  it("closes each order exactly once when two processes close it at the same time", async () => {
    const m = await first.models.create({ name: "racer", provider: "p", modelName: "m" });
    const orders = [];
    for (let i = 0; i < 10; i++) {
      orders.push(
        await first.orders.openPosition({ modelId: m.id, symbol: `S${i}`, side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: PLAN }),
      );
    }
    const results = await Promise.allSettled(
      orders.flatMap((o) => [
        first.orders.closePosition({ orderId: o.orderId, exitPrice: "110", closeTrigger: "TARGET" }),
        second.orders.closePosition({ orderId: o.orderId, exitPrice: "90", closeTrigger: "STOP" }),
      ]),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(10);
    expect(lost).toHaveLength(10);
    expect(lost.every((r) => r.reason instanceof StateConflictError)).toBe(true);
    const closed = await second.orders.closedTradesOfModel(m.id, { limit: 100 });
    expect(closed.items).toHaveLength(10);
    // Each stored close is consistent with its own exit price (no mix of the two writers).
    for (const trade of closed.items) {
      expect(trade.realizedPnl.toString()).toBe(trade.exitPrice.eq(110) ? "10" : "-10");
    }
  });
});
