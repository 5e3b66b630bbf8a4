import { createModelRegistry } from "@autonome/agent";
import { ArenaEventBus, type ExitPlan, ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SimBroker } from "./broker/sim-broker.js";
import { createTradingRuntime } from "./runtime.js";
import type { TradingRuntime } from "./runtime-types.js";
import { ControlledMarket, T0, openTestDb } from "./testing/support.js";
import { checkTriggers, watchTriggers } from "./triggers.js";

let db: Db;
let clock: ManualClock;
beforeAll(async () => {
  clock = new ManualClock(T0);
  db = await openTestDb(clock);
});
afterAll(async () => {
  await db.close();
});

interface Arena {
  market: ControlledMarket;
  runtime: TradingRuntime;
  model: ModelRecord;
  broker: SimBroker;
  exits: Array<{ trigger: string; triggerPrice: string; exitPrice: string }>;
}

async function arena(name: string): Promise<Arena> {
  const market = new ControlledMarket(clock, { BTC: 100_000 });
  const events = new ArenaEventBus();
  const exits: Arena["exits"] = [];
  events.on("exitTriggered", ({ payload }) => exits.push({ trigger: payload.trigger, triggerPrice: payload.triggerPrice, exitPrice: payload.exitPrice }));
  const model = await db.models.create({ name: `${name}-${globalThis.crypto.randomUUID().slice(0, 8)}`, provider: "rule", modelName: "test" });
  const runtime = await createTradingRuntime({
    db,
    market,
    events,
    clock,
    agents: createModelRegistry([], { clock }),
    simulationEnabled: true,
    simulator: { refreshIntervalMs: 0, takerFeeRate: 0, makerFeeRate: 0 },
  });
  const broker = runtime.brokers.brokerFor(model) as SimBroker;
  return { market, runtime, model, broker, exits };
}

async function openLong(a: Arena, plan: Partial<ExitPlan>): Promise<string> {
  const opened = await a.broker.openPosition(a.model, { symbol: "BTC", side: "LONG", quantity: toDecimal("0.05"), leverage: toDecimal(2), exitPlan: { ...emptyExitPlan(), ...plan } });
  if (!opened.ok) throw new Error(opened.reason);
  return opened.value.orderId;
}

async function orderOf(orderId: string) {
  const found = await db.orders.byId(orderId);
  if (!found) throw new Error(`no order ${orderId}`);
  return found;
}

function later(ms: number): void {
  clock.advanceTo(clock.now() + ms);
}

describe("triggers between ticks (paper)", () => {
  it("a wick inside a tick fires the stop at the book of that moment, recorded and published at once", async () => {
    const a = await arena("wick");
    const orderId = await openLong(a, { stop: toDecimal(99_000), target: toDecimal(102_000) });
    const watch = watchTriggers(a.runtime, { intervalMs: 0, models: () => [a.model] });
    let wickAt: number | undefined;
    try {
      later(5_000);
      a.market.setMid("BTC", 99_500); // an update: checked, nothing crossed
      await watch.check();
      expect((await orderOf(orderId)).status).toBe("OPEN");
      later(5_000);
      wickAt = clock.now();
      a.market.setMid("BTC", 98_950); // the wick: through the stop
      await watch.check();
      later(5_000);
      a.market.setMid("BTC", 100_400); // back up before the tick: too late, the stop fired
      await watch.check();
    } finally {
      await watch.stop();
    }
    const order = await orderOf(orderId);
    expect(order.status).toBe("CLOSED");
    if (order.status !== "CLOSED") return;
    expect(order.closeTrigger).toBe("STOP");
    // Sold into the bid of the book of that moment (98 950.0): a paper update is a jump.
    expect(order.exitPrice.toString()).toBe("98950");
    expect(order.closedAt).toBe(wickAt);
    expect(a.exits).toEqual([{ trigger: "STOP", triggerPrice: "99000", exitPrice: "98950" }]);
    await a.runtime.close();
  });

  it("folds a burst of updates into one check a second, and a check's own reads do not start the next", async () => {
    const a = await arena("burst");
    await openLong(a, { stop: toDecimal(90_000) });
    const checks = vi.spyOn(a.broker, "checkTriggers");
    const watch = watchTriggers(a.runtime, { intervalMs: 0, models: () => [a.model] });
    try {
      later(5_000);
      a.market.setMid("BTC", 100_010); // the first update: checked at once
      await watch.check();
      expect(checks).toHaveBeenCalledTimes(1);
      for (let i = 0; i < 50; i++) {
        later(10); // 50 updates in half a second of the clock (a tick's reads, a chatty feed), each after the last check ended
        a.market.setMid("BTC", 100_010 + i);
        await new Promise((r) => setTimeout(r, 1));
      }
      await watch.check(); // asked for explicitly: not held back
      expect(checks).toHaveBeenCalledTimes(2);
      // Nothing changes for a while: no check keeps another one going.
      await new Promise((r) => setTimeout(r, 1_200));
      await watch.check();
      expect(checks.mock.calls.length).toBeLessThanOrEqual(4);
    } finally {
      await watch.stop();
      checks.mockRestore();
    }
    await a.runtime.close();
  });

  it("checks time exits between ticks", async () => {
    const a = await arena("time-exit");
    const orderId = await openLong(a, { timeExit: clock.now() + 7_000 });
    later(10_000);
    await checkTriggers(a.runtime, { models: [a.model] });
    const order = await orderOf(orderId);
    expect(order.status).toBe("CLOSED");
    await a.runtime.close();
  });
});

describe("triggers along a minute's path (backtest)", () => {
  it("a continuous move fires the stop at its price plus the book's slippage, not where the move ended", async () => {
    const a = await arena("continuous");
    const orderId = await openLong(a, { stop: toDecimal(99_000) });
    later(15_000);
    a.market.setMid("BTC", 98_400); // the minute's low, reached continuously from 100 000
    await checkTriggers(a.runtime, { models: [a.model], move: "continuous" });
    const order = await orderOf(orderId);
    expect(order.status === "CLOSED" && order.closeTrigger).toBe("STOP");
    // The book moved to the stop: bid 99 000.0 (the book's half-tick spread is the slippage).
    expect(order.status === "CLOSED" && order.exitPrice.toString()).toBe("99000");
    await a.runtime.close();
  });

  it("a gap through the stop fills at the gap (the open), not at the stop price", async () => {
    const a = await arena("gap");
    const orderId = await openLong(a, { stop: toDecimal(99_000) });
    later(60_000);
    a.market.setMid("BTC", 98_000); // the next minute opens below the stop
    await checkTriggers(a.runtime, { models: [a.model], move: "jump" });
    const order = await orderOf(orderId);
    expect(order.status === "CLOSED" && order.closeTrigger).toBe("STOP");
    expect(order.status === "CLOSED" && order.exitPrice.toString()).toBe("98000");
    await a.runtime.close();
  });

  it("takes the stop when one minute's range holds both the stop and the target", async () => {
    const a = await arena("stop-first");
    const orderId = await openLong(a, { stop: toDecimal(99_000), target: toDecimal(101_000) });
    const minute = { at: clock.now() - (clock.now() % 60_000), ranges: new Map([["BTC", { low: toDecimal(98_500), high: toDecimal(101_500) }]]) };
    later(15_000);
    a.market.setMid("BTC", 101_500); // the nearer extreme first: past the target
    await checkTriggers(a.runtime, { models: [a.model], move: "continuous", minute });
    expect((await orderOf(orderId)).status).toBe("OPEN");
    later(15_000);
    a.market.setMid("BTC", 98_500);
    await checkTriggers(a.runtime, { models: [a.model], move: "continuous", minute });
    const order = await orderOf(orderId);
    expect(order.status === "CLOSED" && order.closeTrigger).toBe("STOP");
    expect(order.status === "CLOSED" && order.exitPrice.toString()).toBe("99000");
    await a.runtime.close();
  });

  it("arms the held-back target again in the next minute", async () => {
    const a = await arena("release");
    const orderId = await openLong(a, { stop: toDecimal(99_000), target: toDecimal(101_000) });
    const minute = { at: clock.now() - (clock.now() % 60_000), ranges: new Map([["BTC", { low: toDecimal(98_900), high: toDecimal(101_100) }]]) };
    later(15_000);
    a.market.setMid("BTC", 100_500);
    await checkTriggers(a.runtime, { models: [a.model], move: "continuous", minute });
    later(60_000);
    a.market.setMid("BTC", 101_200); // next minute: the target is armed again and fires at the open
    await checkTriggers(a.runtime, { models: [a.model], move: "jump" });
    const order = await orderOf(orderId);
    expect(order.status === "CLOSED" && order.closeTrigger).toBe("TARGET");
    await a.runtime.close();
  });

  it("gives the paper fill when the path touches the stop at an observed price, and at a gap", async () => {
    // The same path, observed point by point: paper (each point an update, a jump) and the
    // backtest (continuous inside a minute) fill the stop identically where the crossing is observed.
    const fills: string[][] = [];
    for (const move of ["jump", "continuous"] as const) {
      const a = await arena(`same-${move}`);
      // The book's mid is half a tick above its bid: 98 999.9 puts it exactly on the stop.
      const touch = await openLong(a, { stop: toDecimal("98999.95") });
      const path = [99_600, 98_999.9, 99_800];
      for (const price of path) {
        later(15_000);
        a.market.setMid("BTC", price);
        await checkTriggers(a.runtime, { models: [a.model], move });
      }
      const gap = await openLong(a, { stop: toDecimal(99_500) });
      later(15_000);
      a.market.setMid("BTC", 99_200);
      await checkTriggers(a.runtime, { models: [a.model], move: "jump" });
      const prices: string[] = [];
      for (const id of [touch, gap]) {
        const o = await orderOf(id);
        prices.push(o.status === "CLOSED" ? `${o.closeTrigger} ${o.exitPrice.toString()}` : "OPEN");
      }
      fills.push(prices);
      await a.runtime.close();
    }
    expect(fills[0]).toEqual(["STOP 98999.9", "STOP 99200"]);
    expect(fills[1]).toEqual(fills[0]);
  });
});
