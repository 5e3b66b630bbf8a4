import { type ArenaEvent, ArenaEventBus, ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import type { ClosedOrder } from "@autonome/db";
import { describe, expect, it } from "vitest";
import { T0 } from "./testing/support.js";
import { publishCloses } from "./runtime.js";

function closed(closeTrigger: ClosedOrder["closeTrigger"]): ClosedOrder {
  return {
    status: "CLOSED",
    orderId: "o-1",
    modelId: "m-1",
    symbol: "BTC",
    side: "LONG",
    quantity: toDecimal("0.1"),
    entryPrice: toDecimal("100000"),
    exitPrice: toDecimal("95000"),
    leverage: toDecimal("10"),
    realizedPnl: toDecimal("-510"),
    fees: toDecimal("10"),
    funding: toDecimal("0"),
    closeTrigger,
    exitPlan: emptyExitPlan(),
    openedAt: T0,
    closedAt: T0 + 60_000,
    updatedAt: T0 + 60_000,
    slOrderIndex: null,
    tpOrderIndex: null,
    slTriggerPrice: null,
    tpTriggerPrice: null,
  };
}

function publish(...args: Parameters<typeof publishCloses>[1]): ArenaEvent[] {
  const events = new ArenaEventBus();
  const seen: ArenaEvent[] = [];
  events.onAny((e) => seen.push(e));
  publishCloses({ events, clock: new ManualClock(T0 + 61_000) }, args);
  return seen;
}

describe("publishCloses", () => {
  it("publishes a fired stop as exitTriggered with the trigger and the real exit, then positionClosed", () => {
    const events = publish({ order: closed("STOP"), closeTrigger: "STOP", triggerPrice: toDecimal("96000"), markPrice: null });
    expect(events.map((e) => e.type)).toEqual(["exitTriggered", "positionClosed"]);
    expect(events[0]!.payload).toEqual({ modelId: "m-1", orderId: "o-1", symbol: "BTC", trigger: "STOP", triggerPrice: "96000", exitPrice: "95000" });
    expect(events[0]!.tsEvent).toBe(T0 + 60_000);
    expect(events[0]!.tsInit).toBe(T0 + 61_000);
  });

  it("publishes a liquidation as positionLiquidated with the mark, then positionClosed", () => {
    const events = publish({ order: closed("LIQUIDATION"), closeTrigger: "LIQUIDATION", triggerPrice: null, markPrice: toDecimal("95100") });
    expect(events.map((e) => e.type)).toEqual(["positionLiquidated", "positionClosed"]);
    expect(events[0]!.payload).toEqual(expect.objectContaining({ markPrice: "95100", exitPrice: "95000", realizedPnl: "-510" }));
    expect(events[1]!.payload).toEqual(expect.objectContaining({ closeTrigger: "LIQUIDATION" }));
  });

  it("publishes an operator close as positionClosed only", () => {
    expect(publish({ order: closed("MANUAL"), closeTrigger: "MANUAL", triggerPrice: null, markPrice: null }).map((e) => e.type)).toEqual(["positionClosed"]);
  });
});
