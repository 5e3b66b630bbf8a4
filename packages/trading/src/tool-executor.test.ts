import { type ArenaEvent, ArenaEventBus, ManualClock, type TradingDecision, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { describe, expect, it } from "vitest";
import { BROKER_RESULT_CODES, type Broker, type BrokerFailure } from "./broker/broker.js";
import { T0 } from "./testing/support.js";
import { BrokerToolExecutor } from "./tool-executor.js";

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
