import { describe, expect, expectTypeOf, it } from "vitest";
import { DECISION_TYPES, TOOL_NAMES, type ToolName, decisionTypeOfTool, isToolName, toolOfDecisionType } from "./tools.js";
import type { DecisionType, TradingDecision } from "./trading.js";

describe("tool names and decision types", () => {
  it("name each decision's tool as models call it, in the order tools are offered", () => {
    // These names are part of the models' prompts and of recorded invocations: changing one is a breaking change.
    expect(DECISION_TYPES.map((type) => [type, toolOfDecisionType(type)])).toEqual([
      ["CREATE_POSITION", "create_position"],
      ["CLOSE_POSITION", "close_position"],
      ["HOLDING", "hold"],
      ["UPDATE_EXIT_PLAN", "update_exit_plan"],
    ]);
    expect(TOOL_NAMES).toEqual(["create_position", "close_position", "hold", "update_exit_plan"]);
  });

  it("cover every kind of TradingDecision, each once", () => {
    const kinds: Record<DecisionType, true> = { CREATE_POSITION: true, CLOSE_POSITION: true, HOLDING: true, UPDATE_EXIT_PLAN: true };
    expect([...DECISION_TYPES].sort()).toEqual(Object.keys(kinds).sort());
    expect(new Set(DECISION_TYPES).size).toBe(DECISION_TYPES.length);
    expect(new Set(TOOL_NAMES).size).toBe(TOOL_NAMES.length);
    expectTypeOf<(typeof DECISION_TYPES)[number]>().toEqualTypeOf<TradingDecision["type"]>();
    expectTypeOf<ToolName>().toEqualTypeOf<"create_position" | "close_position" | "hold" | "update_exit_plan">();
  });

  it("map tools to decision types and back, one to one", () => {
    for (const type of DECISION_TYPES) expect(decisionTypeOfTool(toolOfDecisionType(type))).toBe(type);
    for (const name of TOOL_NAMES) expect(toolOfDecisionType(decisionTypeOfTool(name))).toBe(name);
  });

  it("know no other tool: an invented name has no decision type", () => {
    for (const name of ["buy", "CLOSE_POSITION", "Close_Position", "holding", "", "toString", "__proto__"]) {
      expect(decisionTypeOfTool(name), name).toBeUndefined();
      expect(isToolName(name), name).toBe(false);
    }
    for (const name of TOOL_NAMES) expect(isToolName(name)).toBe(true);
  });

  it("cannot be changed at run time", () => {
    expect(Object.isFrozen(TOOL_NAMES)).toBe(true);
    expect(Object.isFrozen(DECISION_TYPES)).toBe(true);
  });
});
