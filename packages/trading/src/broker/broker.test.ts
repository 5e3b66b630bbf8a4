import { defineMarket, emptyExitPlan, toDecimal } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { armedExitPlan, triggerOnTick } from "./broker.js";

describe("triggerOnTick", () => {
  const market = defineMarket({ symbol: "X", tickSize: "0.5", lotSize: "1", maxLeverage: 10 });
  it("puts a trigger price on the nearest tick, a half to the even tick (as live always did), never below one tick", () => {
    const on = (p: string) => triggerOnTick(toDecimal(p), market).toString();
    expect(["10.24", "10.25", "10.26", "10.74", "10.75", "11", "0.3", "0.2", "0.0001"].map(on)).toEqual(["10", "10", "10.5", "10.5", "11", "11", "0.5", "0.5", "0.5"]);
  });

  it("arms an exit plan's stop and target on the tick and leaves the rest; a plan already on the tick comes back as it is", () => {
    const plan = { ...emptyExitPlan(), stop: toDecimal("9.8"), target: toDecimal("12.1"), invalidationPrice: toDecimal("9.93") };
    const armed = armedExitPlan(plan, market);
    expect([armed.stop?.toString(), armed.target?.toString(), armed.invalidationPrice?.toString()]).toEqual(["10", "12", "9.93"]);
    expect(plan.stop?.toString()).toBe("9.8");
    const onTick = { ...emptyExitPlan(), stop: toDecimal("9.5"), target: null };
    expect(armedExitPlan(onTick, market)).toBe(onTick);
    expect(armedExitPlan(emptyExitPlan(), market)).toEqual(emptyExitPlan());
  });
});
