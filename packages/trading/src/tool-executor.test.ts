import { type ArenaEvent, ArenaEventBus, ManualClock, type TradingDecision, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { describe, expect, it } from "vitest";
import { BROKER_RESULT_CODES, type Broker, type BrokerAccount, type BrokerFailure } from "./broker/broker.js";
import { T0 } from "./testing/support.js";
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
  it("tells the model the reason, publishes nothing, and flags a fill that is not recorded (by its code, whatever the text)", async () => {
    for (const code of BROKER_RESULT_CODES) {
      if (code === "EXECUTED") continue;
      const events = new ArenaEventBus();
      const seen: ArenaEvent[] = [];
      events.onAny((e) => seen.push(e));
      // The same text for every code: only the code may decide.
      const executor = new BrokerToolExecutor({ db: {} as Db, broker: failingBroker({ ok: false, code, reason: "order not filled: no liquidity" }), model, clock: new ManualClock(T0), events });
      for (const decision of DECISIONS) {
        const result = await executor.execute(decision);
        expect(result, `${code} ${decision.type}`).toEqual({
          ok: false,
          message: "order not filled: no liquidity",
          ...(code === "FILLED_NOT_RECORDED" ? { filledNotRecorded: true } : {}),
        });
      }
      expect(seen).toEqual([]);
      expect([executor.openedOrderIds, executor.closedOrderIds]).toEqual([[], []]);
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
