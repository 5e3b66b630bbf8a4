import { type ArenaEvent, ArenaEventBus, ManualClock, type TradingDecision, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { describe, expect, it } from "vitest";
import { BROKER_RESULT_CODES, type Broker, type BrokerAccount, type BrokerFailure } from "./broker/broker.js";
import { SimBroker } from "./broker/sim-broker.js";
import { ControlledMarket, T0, openTestDb } from "./testing/support.js";
import { BrokerToolExecutor, describeAccount } from "./tool-executor.js";

const model = { id: "m-1", name: "m" } as ModelRecord;

/** A broker whose every order ends in the same failure. */
function failingBroker(failure: BrokerFailure): Broker {
  const fail = async () => failure;
  return { mode: "SIM", openPosition: fail, closePosition: fail, updateExitPlan: fail } as unknown as Broker;
}

const DECISIONS: TradingDecision[] = [
  { type: "CREATE_POSITION", symbol: "BTC", side: "LONG", quantity: toDecimal("0.01"), riskUsd: null, leverage: toDecimal(2), exitPlan: emptyExitPlan() },
  { type: "CLOSE_POSITION", symbol: "BTC", reason: "done" },
  { type: "UPDATE_EXIT_PLAN", symbol: "BTC", exitPlan: emptyExitPlan() },
];

describe("BrokerToolExecutor on a broker failure", () => {
  it("tells the model the reason and publishes nothing for a call that did not fill (by its code, whatever the text)", async () => {
    for (const code of BROKER_RESULT_CODES) {
      if (code === "EXECUTED" || code === "FILLED_NOT_RECORDED") continue;
      const events = new ArenaEventBus();
      const seen: ArenaEvent[] = [];
      events.onAny((e) => seen.push(e));
      // The same text for every code: only the code may decide.
      const executor = new BrokerToolExecutor({ db: {} as Db, broker: failingBroker({ ok: false, code, reason: "order not filled: no liquidity" }), model, clock: new ManualClock(T0), events });
      for (const decision of DECISIONS) {
        const result = await executor.execute(decision);
        expect(result, `${code} ${decision.type}`).toEqual({ ok: false, message: "order not filled: no liquidity" });
      }
      expect(seen).toEqual([]);
      expect([executor.openedOrderIds, executor.closedOrderIds]).toEqual([[], []]);
    }
  });
});

describe("BrokerToolExecutor on a fill Orders do not record", () => {
  it("halts the model: pauses it with the reason, publishes fillNotRecorded with the stop that guards the position, and sends nothing more this run", async () => {
    const clock = new ManualClock(T0);
    const db = await openTestDb(clock);
    try {
      const market = new ControlledMarket(clock, { BTC: 100_000 }, "0.01");
      const fullBook = market.book.bind(market);
      let levels = 20;
      market.book = (symbol, depth) => {
        const full = fullBook(symbol, depth);
        return { ...full, bids: full.bids.slice(0, levels), asks: full.asks.slice(0, levels) };
      };
      const row = await db.models.create({ name: "halted", provider: "rule", modelName: "test" });
      const broker = new SimBroker({ db, market, simulator: { initialCapital: 10_000, refreshIntervalMs: 0 } });
      await broker.start([row]);
      const events = new ArenaEventBus();
      const seen: ArenaEvent[] = [];
      events.onAny((e) => seen.push(e));
      const executor = new BrokerToolExecutor({ db, broker, model: row, clock, events });
      const open = await executor.execute({
        type: "CREATE_POSITION", symbol: "BTC", side: "LONG", quantity: toDecimal("0.02"), riskUsd: null, leverage: toDecimal(2),
        exitPlan: { ...emptyExitPlan(), stop: toDecimal(99_000) },
      });
      expect(open.ok).toBe(true);
      levels = 1; // 0.01 BTC of bids for a 0.02 long: the close fills in part, and Orders still hold the whole position
      const close = await executor.execute({ type: "CLOSE_POSITION", symbol: "BTC", reason: "done" });
      expect(close).toMatchObject({ ok: false, filledNotRecorded: true });
      expect(close.message).toMatch(/closed only 0.01 of 0.02 BTC/);
      expect(close.message).toMatch(/protection: stop-loss at 99000 armed in the simulator; the model is paused until an operator resumes it/);
      const paused = await db.models.byId(row.id);
      expect(paused?.enabled).toBe(false);
      expect(paused?.pausedReason).toMatch(/^CLOSE_POSITION BTC filled but not recorded: closed only 0.01 of 0.02 BTC .*protection: stop-loss at 99000 armed in the simulator$/);
      expect(seen.filter((e) => e.type === "fillNotRecorded").map((e) => e.payload)).toEqual([
        { modelId: row.id, symbol: "BTC", decision: "CLOSE_POSITION", reason: expect.stringMatching(/^closed only 0.01 of 0.02 BTC/), paused: true, protection: "stop-loss at 99000 armed in the simulator" },
      ]);
      // Halted: nothing else is sent in this run.
      levels = 20;
      const again = await executor.execute({ type: "UPDATE_EXIT_PLAN", symbol: "BTC", exitPlan: emptyExitPlan() });
      expect(again).toMatchObject({ ok: false, message: expect.stringMatching(/^not sent: the model is halted/) });
      expect(executor.halted).not.toBeNull();
      await broker.close();
    } finally {
      await db.close();
    }
  });
});

describe("describeAccount", () => {
  it("lists positions by symbol, then opening time, then order id, whatever order the broker returns them in", () => {
    const position = (orderId: string, symbol: string, openedAt: number) => ({
      order: { orderId, modelId: "m-1", symbol, side: "LONG", quantity: toDecimal("0.1"), entryPrice: toDecimal(100), leverage: toDecimal(2), exitPlan: emptyExitPlan(), openedAt },
      markPrice: toDecimal(101),
      unrealizedPnl: toDecimal("0.1"),
      liquidationPrice: null,
    });
    const positions = [position("z", "ETH", T0), position("b", "BTC", T0 + 5), position("c", "BTC", T0), position("a", "BTC", T0 + 5)];
    const text = (list: typeof positions) =>
      describeAccount({ modelId: "m-1", mode: "SIM", equity: toDecimal(1000), available: toDecimal(900), unrealizedPnl: toDecimal("0.4"), positions: list } as unknown as BrokerAccount);
    const lines = text(positions).split("\n").slice(1);
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["BTC", "BTC", "BTC", "ETH"]);
    // Every permutation the broker could return reads the same.
    expect(text([...positions].reverse())).toBe(text(positions));
    expect(text([positions[2]!, positions[0]!, positions[3]!, positions[1]!])).toBe(text(positions));
  });
});
