/**
 * The Broker contract suite: every broker runs it with its own harness (SimBroker over
 * the ExchangeSimulator, LighterBroker against the mock Lighter server).
 */
import { type ExitPlan, type ManualClock, emptyExitPlan, realizedPnl, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Broker, OrderAudit } from "./broker.js";

/** A broker under test, its database and a way to move the venue's price. */
export interface BrokerHarness {
  broker: Broker;
  db: Db;
  model: ModelRecord;
  /** BTC mid when the harness starts. */
  startPrice: number;
  /** Moves the venue's price of a symbol (book and mark); stops and targets crossed by it fire at the venue. */
  movePrice(symbol: string, price: number): Promise<void>;
  /** A new broker over the same database and venue, as after a process restart (the old one is closed). */
  restart(): Promise<Broker>;
  close(): Promise<void>;
}

/** What a harness is made of: a started broker's factory over one database, model and price feed. */
export interface HarnessParts {
  db: Db;
  model: ModelRecord;
  clock: ManualClock;
  /** The price feed the broker's market reads (mid per symbol). */
  market: { setMid(symbol: string, price: number): void };
  /** A new, unstarted broker over the same database and venue. */
  create(): Broker;
  /** Also moves the venue's own price (a real venue's book), when there is one. */
  onPrice?(symbol: string, price: number): void;
  /** Releases the venue after the broker closed. */
  onClose?(): Promise<void>;
}

/** A harness from its parts: starts the first broker for the model; `restart` closes it and creates another. */
export async function brokerHarness(parts: HarnessParts): Promise<BrokerHarness> {
  const { db, model, clock, market } = parts;
  let broker = parts.create();
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
      parts.onPrice?.(symbol, price);
    },
    async restart() {
      await broker.close();
      broker = parts.create();
      return broker;
    },
    async close() {
      await broker.close();
      await parts.onClose?.();
    },
  };
}

const plan = (stop: number | null, target: number | null): ExitPlan => ({
  ...emptyExitPlan(),
  stop: stop === null ? null : toDecimal(stop),
  target: target === null ? null : toDecimal(target),
  confidence: 0.6,
});

/** Runs the Broker contract against a harness factory. */
export function brokerContract(name: string, factory: () => Promise<BrokerHarness>): void {
  describe(`${name} (Broker contract)`, () => {
    let h: BrokerHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    it("writes the OPEN order before openPosition resolves, at the real fill price", async () => {
      const result = await h.broker.openPosition(h.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(h.startPrice * 0.95, h.startPrice * 1.05) });
      expect(result).toMatchObject({ ok: true, code: "EXECUTED" });
      const row = await h.db.orders.openPositionOf(h.model.id, "BTC");
      expect(row).not.toBeNull();
      expect(row!.side).toBe("LONG");
      expect(row!.quantity.toString()).toBe("0.01");
      expect(row!.leverage.toString()).toBe("5");
      expect(row!.entryPrice.gte(h.startPrice)).toBe(true);
      expect(row!.entryPrice.lte(h.startPrice * 1.01)).toBe(true);
      expect(row!.exitPlan.stop?.toNumber()).toBeCloseTo(h.startPrice * 0.95);
      expect(row!.fees.gte(0)).toBe(true);
    });

    it("closes a position the model asks to close with closeTrigger null and PnL net of fees", async () => {
      await h.broker.openPosition(h.model, { symbol: "BTC", side: "SHORT", quantity: toDecimal("0.02"), leverage: toDecimal(3), exitPlan: plan(h.startPrice * 1.05, null) });
      await h.movePrice("BTC", h.startPrice * 0.99);
      const result = await h.broker.closePosition(h.model, "BTC", null);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const row = await h.db.orders.byId(result.value.orderId);
      expect(row?.status).toBe("CLOSED");
      if (row?.status !== "CLOSED") return;
      expect(row.closeTrigger).toBeNull();
      expect(row.exitPrice.lt(h.startPrice)).toBe(true);
      const gross = realizedPnl("SHORT", row.quantity, row.entryPrice, row.exitPrice);
      expect(row.realizedPnl.toNumber()).toBeCloseTo(gross.minus(row.fees).toNumber(), 2);
      expect(row.realizedPnl.gt(0)).toBe(true);
    });

    it("writes the record of the call that caused an Order in the Order's transaction: both, or neither when the record fails", async () => {
      const invocation = await h.db.invocations.start({ modelId: h.model.id, prompt: "p" });
      const recordAs =
        (type: "CREATE_POSITION" | "CLOSE_POSITION"): OrderAudit =>
        async (tx, { order, message }) => {
          await tx.invocations.recordToolCall({ invocationId: invocation.id, type, arguments: { symbol: "BTC" }, result: { orderId: order.orderId, message }, accepted: true });
        };
      const refuse: OrderAudit = async () => {
        throw new Error("record refused");
      };
      // A record that fails: no Order either.
      const unrecorded = await h.broker.openPosition(h.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(2), exitPlan: plan(h.startPrice * 0.9, null) }, refuse);
      expect(unrecorded.ok).toBe(false);
      expect(await h.db.orders.openPositionOf(h.model.id, "BTC")).toBeNull();
      if (unrecorded.ok === false && unrecorded.code === "FILLED_NOT_RECORDED") await h.broker.sync([h.model]); // a venue that kept the fill: reconciled
      await h.broker.closePosition(h.model, "BTC", "MANUAL");

      const opened = await h.broker.openPosition(h.model, { symbol: "ETH", side: "SHORT", quantity: toDecimal("0.5"), leverage: toDecimal(2), exitPlan: plan(3_300, null) }, recordAs("CREATE_POSITION"));
      expect(opened.ok).toBe(true);
      if (!opened.ok) return;
      // An exit plan whose record fails is not changed.
      const moved = await h.broker.updateExitPlan(h.model, "ETH", plan(3_600, null), refuse);
      expect(moved.ok).toBe(false);
      expect((await h.db.orders.openPositionOf(h.model.id, "ETH"))!.exitPlan.stop?.toNumber()).toBe(3_300);
      const closed = await h.broker.closePosition(h.model, "ETH", null, recordAs("CLOSE_POSITION"));
      expect(closed.ok).toBe(true);
      if (!closed.ok) return;
      const calls = (await h.db.invocations.byId(invocation.id))!.toolCalls;
      expect(calls.map((c) => [c.type, (c.result as { orderId: string }).orderId])).toEqual([
        ["CREATE_POSITION", opened.value.orderId],
        ["CLOSE_POSITION", closed.value.orderId],
      ]);
      expect((calls[0]!.result as { message: string }).message).toMatch(/^opened SHORT 0\.5 ETH at /);
      expect((calls[1]!.result as { message: string }).message).toMatch(/^closed SHORT 0\.5 ETH at .* realized -?[\d.]+ USD net of fees$/);
    });

    it("refuses to close a position that does not exist and writes nothing", async () => {
      const result = await h.broker.closePosition(h.model, "BTC", null);
      expect(result).toMatchObject({ ok: false, code: "REFUSED" });
      if (!result.ok) expect(result.reason).toMatch(/no open BTC position/);
      expect((await h.db.orders.closedTradesOfModel(h.model.id)).items).toHaveLength(0);
    });

    it("records a stop-loss that fires at the venue with closeTrigger STOP and the real exit fill", async () => {
      const stop = h.startPrice * 0.97;
      await h.broker.openPosition(h.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(stop, h.startPrice * 1.05) });
      await h.movePrice("BTC", h.startPrice * 0.96);
      const report = await h.broker.sync([h.model]);
      const trades = (await h.db.orders.closedTradesOfModel(h.model.id)).items;
      expect(trades).toHaveLength(1);
      expect(trades[0]!.closeTrigger).toBe("STOP");
      // The exit is where the venue filled, below the trigger (the price gapped through it).
      expect(trades[0]!.exitPrice.lt(stop)).toBe(true);
      expect(trades[0]!.exitPrice.gte(h.startPrice * 0.95)).toBe(true);
      expect(trades[0]!.realizedPnl.lt(0)).toBe(true);
      expect(report.closes.map((c) => c.closeTrigger)).toEqual(["STOP"]);
      expect(await h.db.orders.openPositionOf(h.model.id, "BTC")).toBeNull();
    });

    it("records a take-profit that fires at the venue with closeTrigger TARGET", async () => {
      const target = h.startPrice * 1.02;
      await h.broker.openPosition(h.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(2), exitPlan: plan(h.startPrice * 0.9, target) });
      await h.movePrice("BTC", h.startPrice * 1.03);
      await h.broker.sync([h.model]);
      const trades = (await h.db.orders.closedTradesOfModel(h.model.id)).items;
      expect(trades.map((t) => t.closeTrigger)).toEqual(["TARGET"]);
      expect(trades[0]!.exitPrice.gte(target)).toBe(true);
      expect(trades[0]!.realizedPnl.gt(0)).toBe(true);
    });

    it("moves the stop with updateExitPlan: the old level no longer fires, the new one does", async () => {
      await h.broker.openPosition(h.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(2), exitPlan: plan(h.startPrice * 0.9, null) });
      const updated = await h.broker.updateExitPlan(h.model, "BTC", plan(h.startPrice * 0.98, null));
      expect(updated.ok).toBe(true);
      expect((await h.db.orders.openPositionOf(h.model.id, "BTC"))!.exitPlan.stop?.toNumber()).toBeCloseTo(h.startPrice * 0.98);
      await h.movePrice("BTC", h.startPrice * 0.97);
      await h.broker.sync([h.model]);
      const trades = (await h.db.orders.closedTradesOfModel(h.model.id)).items;
      expect(trades.map((t) => t.closeTrigger)).toEqual(["STOP"]);
      expect(trades[0]!.exitPrice.gt(h.startPrice * 0.9)).toBe(true);
    });

    it("reports the account with its positions at the mark", async () => {
      await h.broker.openPosition(h.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(h.startPrice * 0.9, null) });
      await h.movePrice("BTC", h.startPrice * 1.01);
      await h.broker.sync([h.model]);
      const account = await h.broker.account(h.model);
      expect(account.positions).toHaveLength(1);
      expect(account.positions[0]!.order.symbol).toBe("BTC");
      expect(account.positions[0]!.markPrice.toNumber()).toBeCloseTo(h.startPrice * 1.01, -1);
      expect(account.positions[0]!.unrealizedPnl.gt(0)).toBe(true);
      expect(account.equity.gt(0)).toBe(true);
    });

    it("keeps a position's stop armed across a restart", async () => {
      await h.broker.openPosition(h.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), leverage: toDecimal(5), exitPlan: plan(h.startPrice * 0.97, null) });
      const broker = await h.restart();
      const startReport = await broker.start([h.model]);
      expect(startReport.errors).toEqual([]);
      expect((await broker.account(h.model)).positions).toHaveLength(1);
      await h.movePrice("BTC", h.startPrice * 0.96);
      await broker.sync([h.model]);
      const trades = (await h.db.orders.closedTradesOfModel(h.model.id)).items;
      expect(trades.map((t) => t.closeTrigger)).toEqual(["STOP"]);
    });
  });
}
