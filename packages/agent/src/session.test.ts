import { ManualClock, type TradingDecision } from "@autonome/core";
import { describe, expect, it } from "vitest";
import type { ToolExecutor } from "./executor.js";
import { TradingSession } from "./session.js";
import { T0, paperAccount } from "./testing/helpers.js";

const OPEN = { symbol: "BTC", side: "LONG", quantity: 0.01, leverage: 2, exit_plan: { stop: 95000, target: 110000, confidence: 0.5 } };

describe("TradingSession", () => {
  it("reports an executor that refuses or throws as failed, and leaves the symbol free to retry", async () => {
    const { executor } = paperAccount();
    let calls = 0;
    const flaky: ToolExecutor = {
      riskState: () => executor.riskState(),
      accountState: () => executor.accountState(),
      async execute(decision: TradingDecision) {
        calls += 1;
        if (calls === 1) return { ok: false, message: "venue closed" };
        if (calls === 2) throw new Error("socket closed");
        return executor.execute(decision);
      },
    };
    const session = new TradingSession({ executor: flaky, clock: new ManualClock(T0) });
    const refused = await session.handle("create_position", OPEN);
    const thrown = await session.handle("create_position", OPEN);
    const done = await session.handle("create_position", OPEN);

    expect([refused.status, thrown.status, done.status]).toEqual(["failed", "failed", "executed"]);
    expect(refused.reply).toBe("FAILED: venue closed.");
    expect(thrown.reply).toBe("FAILED: socket closed.");
    expect(executor.positions).toHaveLength(1);
    expect([...session.actedSymbols]).toEqual(["BTC"]);
    expect(session.records.map((r) => r.sequence)).toEqual([1, 2, 3]);
  });

  it("hands the executor the tool call each decision came from, as the model sent it", async () => {
    const { executor } = paperAccount();
    const seen: unknown[] = [];
    const session = new TradingSession({
      executor: {
        riskState: () => executor.riskState(),
        accountState: () => executor.accountState(),
        execute: (decision, call) => (seen.push(call), executor.execute(decision)),
      },
      clock: new ManualClock(T0),
    });
    await session.handle("create_position", OPEN);
    await session.handle("hold", { reason: "flat" });
    expect(seen).toEqual([
      { tool: "create_position", args: OPEN },
      { tool: "hold", args: { reason: "flat" } },
    ]);
  });

  it("locks the symbol when a failed call's order filled nonetheless, so the model cannot send it again", async () => {
    const { executor } = paperAccount();
    let calls = 0;
    const unrecorded: ToolExecutor = {
      riskState: () => executor.riskState(),
      accountState: () => executor.accountState(),
      async execute(decision: TradingDecision) {
        calls += 1;
        if (decision.type === "CREATE_POSITION" && decision.symbol === "BTC") return { ok: false, message: "filled but not recorded", filledNotRecorded: true };
        return executor.execute(decision);
      },
    };
    const session = new TradingSession({ executor: unrecorded, clock: new ManualClock(T0) });
    const failed = await session.handle("create_position", OPEN);
    const again = await session.handle("create_position", OPEN);
    const other = await session.handle("create_position", { ...OPEN, symbol: "ETH", exit_plan: { stop: 2800, target: 3500, confidence: 0.5 } });

    expect(failed).toMatchObject({ status: "failed", reply: "FAILED: filled but not recorded. The exchange did fill it: take no other action on BTC this run." });
    expect(again).toMatchObject({ status: "rejected", check: "ONE_ACTION_PER_SYMBOL" });
    // The rejected call never reached the executor; another symbol is free.
    expect(other.status).toBe("executed");
    expect(calls).toBe(2);
    expect([...session.actedSymbols]).toEqual(["BTC", "ETH"]);
  });

  it("handles concurrent calls one at a time, so the second sees the first's position", async () => {
    const { executor } = paperAccount();
    const session = new TradingSession({ executor, clock: new ManualClock(T0) });
    const [a, b] = await Promise.all([session.handle("create_position", OPEN), session.handle("create_position", { ...OPEN, quantity: 0.02 })]);

    expect(a.status).toBe("executed");
    expect(b).toMatchObject({ status: "rejected", check: "ONE_ACTION_PER_SYMBOL" });
    expect(executor.positions.map((p) => p.quantity.toString())).toEqual(["0.01"]);
  });

  it("does not call the executor for a hold's account refresh, and records malformed calls as invalid", async () => {
    const { executor } = paperAccount();
    const session = new TradingSession({ executor, clock: new ManualClock(T0) });
    const hold = await session.handle("hold", { reason: "no edge" });
    expect(hold.reply).toBe("EXECUTED: holding: no edge");
    const malformed = session.recordMalformed("create_position", "{bad", "Expected property name");
    expect(malformed).toMatchObject({ status: "invalid", sequence: 2 });
    expect(executor.executed.map((d) => d.type)).toEqual(["HOLDING"]);
  });

  it("hands every record to onRecord in order, and a handled call's reply waits for it", async () => {
    const { executor } = paperAccount();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const session = new TradingSession({
      executor,
      clock: new ManualClock(T0),
      onRecord: async (record) => {
        if (record.sequence === 1) await gate;
        seen.push(`${record.sequence}:${record.tool}:${record.status}`);
        if (record.sequence === 3) throw new Error("the hook's failure is not the model's");
      },
    });
    let replied = false;
    const first = session.handle("create_position", OPEN).then((r) => ((replied = true), r));
    await new Promise((r) => setTimeout(r, 20));
    // Executed, but not replied to before its record is handed on.
    expect(executor.positions).toHaveLength(1);
    expect(replied).toBe(false);
    release();
    expect((await first).status).toBe("executed");
    session.recordMalformed("close_position", "{", "bad JSON");
    const hold = await session.handle("hold", { reason: "done" });
    expect(hold.status).toBe("executed");
    expect(seen).toEqual(["1:create_position:executed", "2:close_position:invalid", "3:hold:executed"]);
  });
});
