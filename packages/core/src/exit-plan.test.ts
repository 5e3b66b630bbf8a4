import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import { exitPlanToJson, parseExitPlan } from "./exit-plan.js";

describe("exit plan", () => {
  it("parses numbers or strings into exact decimals and fills absent keys with null", () => {
    const plan = parseExitPlan({ stop: 95000.5, target: "110000", confidence: 0.7 });
    expect(plan.stop?.toString()).toBe("95000.5");
    expect(plan.target?.toString()).toBe("110000");
    expect(plan.invalidation).toBeNull();
    expect(exitPlanToJson(plan)).toEqual({ stop: "95000.5", target: "110000", invalidation: null, invalidationPrice: null, confidence: 0.7, timeExit: null, cooldownUntil: null });
  });

  it("names every malformed field and refuses unknown keys", () => {
    expect(() => parseExitPlan({ stop: -1 })).toThrow(ValidationError);
    expect(() => parseExitPlan({ confidence: 2 })).toThrow(/confidence/);
    expect(() => parseExitPlan({ stop: "abc" })).toThrow(/stop/);
    expect(() => parseExitPlan({ stopp: 1 })).toThrow(ValidationError);
  });
});
