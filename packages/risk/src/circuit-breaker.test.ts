import { describe, expect, it } from "vitest";
import { evaluateCircuitBreaker } from "./circuit-breaker.js";
import { d } from "./testing/fixtures.js";

const H = 3_600_000;

describe("evaluateCircuitBreaker", () => {
  it("stays normal under a 10% drawdown in the window", () => {
    const state = evaluateCircuitBreaker([{ ts: 0, equity: d(10000) }, { ts: H, equity: d(9100) }], H);
    expect(state.level).toBe("normal");
    expect(state.drawdown.toString()).toBe("0.09");
    expect(state.sizeMultiplier.toString()).toBe("1");
  });

  it("halves sizes over 10% and halts entries over 20%", () => {
    const reduced = evaluateCircuitBreaker([{ ts: 0, equity: d(10000) }, { ts: H, equity: d(8900) }], H);
    expect(reduced.level).toBe("reduced");
    expect(reduced.sizeMultiplier.toString()).toBe("0.5");
    const halted = evaluateCircuitBreaker([{ ts: 0, equity: d(10000) }, { ts: H, equity: d(7900) }], H);
    expect(halted.level).toBe("halted");
    expect(halted.sizeMultiplier.toString()).toBe("0");
    expect(halted.reason).toMatch(/21% in 24h exceeds 20%/);
  });

  it("forgets peaks older than the window", () => {
    const snapshots = [{ ts: 0, equity: d(20000) }, { ts: 2 * H, equity: d(10000) }, { ts: 26 * H, equity: d(9500) }];
    expect(evaluateCircuitBreaker(snapshots, 26 * H).level).toBe("normal");
    expect(evaluateCircuitBreaker(snapshots, 23 * H, {}, d(9500)).level).toBe("halted");
  });

  it("takes configurable thresholds and is normal without history", () => {
    const state = evaluateCircuitBreaker([{ ts: 0, equity: d(100) }, { ts: 1, equity: d(96) }], 1, { reduceAt: 0.03, haltAt: 0.05, reducedSizeMultiplier: 0.25 });
    expect(state.level).toBe("reduced");
    expect(state.sizeMultiplier.toString()).toBe("0.25");
    expect(evaluateCircuitBreaker([], 0).level).toBe("normal");
    expect(() => evaluateCircuitBreaker([], 0, { reduceAt: 0.3, haltAt: 0.2 })).toThrow(RangeError);
  });
});
