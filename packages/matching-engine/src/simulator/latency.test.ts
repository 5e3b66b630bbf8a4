import { ValidationError } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { LatencyModel } from "./latency.js";

describe("LatencyModel", () => {
  it("draws the same delays from the same seed", () => {
    const a = new LatencyModel({ minMs: 5, maxMs: 250 }, 42);
    const b = new LatencyModel({ minMs: 5, maxMs: 250 }, 42);
    const first = Array.from({ length: 50 }, () => a.nextDelayMs());
    expect(Array.from({ length: 50 }, () => b.nextDelayMs())).toEqual(first);
  });

  it("draws different delays from a different seed and stays inside the range", () => {
    const a = Array.from({ length: 50 }, ((m) => () => m.nextDelayMs())(new LatencyModel({ minMs: 5, maxMs: 250 }, 1)));
    const b = Array.from({ length: 50 }, ((m) => () => m.nextDelayMs())(new LatencyModel({ minMs: 5, maxMs: 250 }, 2)));
    expect(a).not.toEqual(b);
    for (const delay of [...a, ...b]) {
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(5);
      expect(delay).toBeLessThanOrEqual(250);
    }
  });

  it("returns the fixed delay when min equals max", () => {
    const model = new LatencyModel({ minMs: 30, maxMs: 30 }, "seed");
    expect([model.nextDelayMs(), model.nextDelayMs()]).toEqual([30, 30]);
  });

  it("refuses an inverted or negative range", () => {
    expect(() => new LatencyModel({ minMs: 10, maxMs: 5 }, 1)).toThrow(ValidationError);
    expect(() => new LatencyModel({ minMs: -1, maxMs: 5 }, 1)).toThrow(ValidationError);
  });
});
