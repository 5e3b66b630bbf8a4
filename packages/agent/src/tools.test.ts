import { ValidationError, emptyExitPlan, toDecimal } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { NUMERIC_ARGUMENT_RULE, TOOL_SPECS, decisionFromToolCall } from "./tools.js";

const NOW = 1_000_000;

describe("decisionFromToolCall", () => {
  it("turns create_position arguments into a decision with Decimals and absolute times", () => {
    const decision = decisionFromToolCall(
      "create_position",
      { symbol: "btc", side: "long", risk_usd: "100", leverage: 5, exit_plan: { stop: 97000, target: "106000.5", confidence: 0.7, cooldown_minutes: 30 } },
      { nowMs: NOW },
    );
    expect(decision).toMatchObject({ type: "CREATE_POSITION", symbol: "BTC", side: "LONG", quantity: null });
    if (decision.type !== "CREATE_POSITION") throw new Error("unexpected");
    expect(decision.riskUsd?.toString()).toBe("100");
    expect(decision.exitPlan.target?.toString()).toBe("106000.5");
    expect(decision.exitPlan.cooldownUntil).toBe(NOW + 30 * 60_000);
  });

  it("rejects arguments that give both or neither of quantity and risk_usd, or bad types, naming the field", () => {
    const both = () => decisionFromToolCall("create_position", { symbol: "BTC", side: "LONG", quantity: 1, risk_usd: 5, leverage: 2, exit_plan: {} }, { nowMs: NOW });
    expect(both).toThrow(ValidationError);
    expect(both).toThrow(/give exactly one of quantity and risk_usd/);
    expect(() => decisionFromToolCall("create_position", { symbol: "BTC", side: "UP", quantity: 1, leverage: 2, exit_plan: {} }, { nowMs: NOW })).toThrow(/side/);
    expect(() => decisionFromToolCall("close_position", { symbol: "BTC" }, { nowMs: NOW })).toThrow(/reason/);
    expect(() => decisionFromToolCall("hold", { reason: "x", extra: 1 }, { nowMs: NOW })).toThrow(ValidationError);
    expect(() => decisionFromToolCall("launch_rocket", {}, { nowMs: NOW })).toThrow(/unknown tool launch_rocket/);
  });

  it("merges update_exit_plan into the current plan, keeping fields left out", () => {
    const current = { ...emptyExitPlan(), stop: toDecimal(95000), target: toDecimal(110000), confidence: 0.6 };
    const decision = decisionFromToolCall("update_exit_plan", { symbol: "BTC", exit_plan: { stop: 99000 } }, { nowMs: NOW, currentExitPlan: () => current });
    if (decision.type !== "UPDATE_EXIT_PLAN") throw new Error("unexpected");
    expect(decision.exitPlan.stop?.toString()).toBe("99000");
    expect(decision.exitPlan.target?.toString()).toBe("110000");
    expect(decision.exitPlan.confidence).toBe(0.6);
  });

  it("applies one coercion rule to every numeric argument: numbers and decimal strings everywhere, nothing else anywhere", () => {
    const decision = decisionFromToolCall(
      "create_position",
      {
        symbol: "BTC",
        side: "LONG",
        quantity: "0.008",
        leverage: "5",
        exit_plan: { stop: "97000", target: "106000", invalidation_price: "96000", confidence: "0.7", time_exit_minutes: "60", cooldown_minutes: "30" },
      },
      { nowMs: NOW },
    );
    if (decision.type !== "CREATE_POSITION") throw new Error("unexpected");
    expect(decision.quantity?.toString()).toBe("0.008");
    expect(decision.leverage.toString()).toBe("5");
    expect(decision.exitPlan.confidence).toBe(0.7);
    expect(decision.exitPlan.timeExit).toBe(NOW + 60 * 60_000);
    expect(decision.exitPlan.cooldownUntil).toBe(NOW + 30 * 60_000);
    for (const [field, bad] of [
      ["leverage", "5x"],
      ["leverage", "0x10"],
      ["quantity", ""],
      ["quantity", true],
      ["leverage", "500"],
    ] as const) {
      expect(() => decisionFromToolCall("create_position", { symbol: "BTC", side: "LONG", quantity: 0.01, leverage: 5, exit_plan: {}, [field]: bad }, { nowMs: NOW }), `${field}=${String(bad)}`).toThrow(
        ValidationError,
      );
    }
    expect(() => decisionFromToolCall("update_exit_plan", { symbol: "BTC", exit_plan: { time_exit_minutes: "1.5" } }, { nowMs: NOW })).toThrow(/whole number of minutes/);
    // The rule is stated where the model reads it.
    expect(TOOL_SPECS.create_position.description).toContain(NUMERIC_ARGUMENT_RULE);
    expect(TOOL_SPECS.update_exit_plan.description).toContain(NUMERIC_ARGUMENT_RULE);
  });
});
