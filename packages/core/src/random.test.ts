import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRandom } from "./random.js";

describe("createRandom", () => {
  it("gives the same sequence for the same seed and another for another seed", () => {
    const draw = (seed: number | string) => {
      const r = createRandom(seed);
      return Array.from({ length: 5 }, () => r.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw("btc")).toEqual(draw("btc"));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it("stays in range for uniform and integer draws", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (seed, min, span) => {
        const r = createRandom(seed);
        for (let i = 0; i < 20; i++) {
          const u = r.next();
          expect(u).toBeGreaterThanOrEqual(0);
          expect(u).toBeLessThan(1);
          const n = r.int(min, min + span);
          expect(n).toBeGreaterThanOrEqual(min);
          expect(n).toBeLessThanOrEqual(min + span);
        }
      }),
    );
  });

  it("draws normals with mean near 0 and variance near 1", () => {
    const r = createRandom(7);
    const n = 20000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      sum += x;
      sumSq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
  });

  it("forks independent, reproducible streams", () => {
    const a = createRandom(1).fork("latency");
    const b = createRandom(1).fork("latency");
    const c = createRandom(1).fork("prices");
    expect(a.next()).toBe(b.next());
    expect(createRandom(1).fork("latency").next()).not.toBe(c.next());
  });
});
