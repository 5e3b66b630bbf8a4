import { describe, expect, it } from "vitest";
import { bootstrapMeanInterval, comparePairs, holmAdjust, quantileSorted, rankModels, signTest, summarize } from "./stats.js";

// Reference numbers were computed with SciPy 1.17.1 / NumPy on this machine and are
// hard-coded here (SciPy is not a dependency):
//   scipy.stats.binomtest(k, n, 0.5).pvalue
//   numpy.percentile(x, q)
//   scipy.stats.bootstrap((d,), numpy.mean, n_resamples=200000, method="percentile", random_state=1)
describe("signTest", () => {
  const cases: Array<[number, number, number]> = [
    [9, 10, 0.021484375],
    [7, 20, 0.26317596435546875],
    [15, 20, 0.04138946533203125],
    [0, 5, 0.0625],
    [50, 100, 1],
    [60, 100, 0.05688793364098089],
    [12, 12, 0.00048828125],
    [11, 12, 0.00634765625],
    [3, 8, 0.7265625],
  ];
  it.each(cases)("gives SciPy's exact two-sided binomial p-value for %i positive of %i", (k, n, p) => {
    const differences = [...Array.from({ length: k }, () => 1), ...Array.from({ length: n - k }, () => -2)];
    expect(signTest(differences).p).toBeCloseTo(p, 12);
  });

  it("drops ties and gives p = 1 when every difference is zero", () => {
    expect(signTest([0, 0, 0])).toEqual({ n: 0, positive: 0, negative: 0, p: 1 });
    // 9 of 10 non-zero differences positive, two zeros dropped.
    expect(signTest([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1]).p).toBeCloseTo(0.021484375, 12);
  });
});

describe("holmAdjust", () => {
  it("matches Holm's step-down adjustment counted by hand", () => {
    // Sorted: 0.005 x5 = 0.025, 0.01 x4 = 0.04, 0.03 x3 = 0.09, 0.04 x2 = 0.08 -> 0.09 (monotone), 0.2 x1 = 0.2.
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005, 0.2]);
    const expected = [0.04, 0.09, 0.09, 0.025, 0.2];
    adjusted.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 12));
  });

  it("caps adjusted p-values at 1 and leaves a single p-value unchanged", () => {
    expect(holmAdjust([0.6, 0.7])).toEqual([1, 1]);
    expect(holmAdjust([0.03])).toEqual([0.03]);
  });
});

describe("quantileSorted and summarize", () => {
  it("interpolate quantiles as numpy.percentile does", () => {
    const sorted = [0.3, -1.2, 2.5, 0.7, 1.1, -0.4, 3.3].sort((a, b) => a - b);
    expect(quantileSorted(sorted, 0.025)).toBeCloseTo(-1.08, 12);
    expect(quantileSorted(sorted, 0.25)).toBeCloseTo(-0.05, 12);
    expect(quantileSorted(sorted, 0.5)).toBeCloseTo(0.7, 12);
    expect(quantileSorted(sorted, 0.975)).toBeCloseTo(3.18, 12);
  });

  it("summarizes a sample with the sample standard deviation", () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    // Sum of squared deviations 32, n - 1 = 7.
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect([s.min, s.median, s.max]).toEqual([2, 4.5, 9]);
  });
});

describe("bootstrapMeanInterval", () => {
  const d = [0.8, 1.4, -0.3, 2.1, 0.5, 1.0, -0.6, 1.7, 0.9, 1.2];

  it("agrees with SciPy's percentile bootstrap within resampling noise", () => {
    const ci = bootstrapMeanInterval(d, { level: 0.95, resamples: 40_000, seed: 7 });
    expect(ci.low).toBeGreaterThan(0.36 - 0.03);
    expect(ci.low).toBeLessThan(0.36 + 0.03);
    expect(ci.high).toBeGreaterThan(1.34 - 0.03);
    expect(ci.high).toBeLessThan(1.34 + 0.03);
    const wide = bootstrapMeanInterval(d, { level: 0.99, resamples: 40_000, seed: 7 });
    expect(wide.low).toBeCloseTo(0.2, 1);
    expect(wide.high).toBeCloseTo(1.48, 1);
  });

  it("is reproducible from its seed and collapses on a constant sample", () => {
    expect(bootstrapMeanInterval(d, { level: 0.95, resamples: 2000, seed: "s" })).toEqual(bootstrapMeanInterval(d, { level: 0.95, resamples: 2000, seed: "s" }));
    expect(bootstrapMeanInterval([0, 0, 0, 0], { level: 0.95, resamples: 500, seed: 1 })).toEqual({ low: 0, high: 0, level: 0.95 });
  });

  it("refuses a level outside (0, 1)", () => {
    expect(() => bootstrapMeanInterval(d, { level: 1, resamples: 10, seed: 1 })).toThrow(RangeError);
  });
});

describe("comparePairs and rankModels", () => {
  const byRun = (values: number[]) => new Map(values.map((v, i) => [i, v]));

  it("says A beats B only when the family interval excludes zero and the Holm p-value is small", () => {
    const values = new Map([
      ["edge", byRun([0.05, 0.04, 0.06, 0.03, 0.05, 0.07, 0.04, 0.05, 0.06, 0.04, 0.05, 0.03])],
      ["noise", byRun([0.01, -0.02, 0.0, 0.02, -0.01, 0.01, -0.03, 0.02, 0.0, -0.01, 0.01, -0.02])],
      ["copy", byRun([0.01, -0.02, 0.0, 0.02, -0.01, 0.01, -0.03, 0.02, 0.0, -0.01, 0.01, -0.02])],
    ]);
    const pairs = comparePairs(["edge", "noise", "copy"], values, { seed: 1, higherIsBetter: true, resamples: 4000 });
    const pair = (a: string, b: string) => pairs.find((p) => p.a === a && p.b === b)!;
    expect(pair("edge", "noise").verdict).toBe("A");
    expect(pair("edge", "noise").aBetter).toBe(12);
    // 12 of 12: p = 2 / 2^12, Holm x3 for the smallest.
    expect(pair("edge", "noise").pSign).toBeCloseTo(0.00048828125, 12);
    expect(pair("edge", "noise").pHolm).toBeCloseTo(3 * 0.00048828125, 12);
    expect(pair("noise", "copy")).toMatchObject({ verdict: "indistinguishable", ties: 12, pSign: 1, meanDifference: 0 });
    const ranking = rankModels(["noise", "copy", "edge"], pairs, new Map([["edge", 0.05], ["noise", 0], ["copy", 0]]), true);
    expect(ranking.text).toBe("edge > copy ~ noise");
  });

  it("turns the verdict around when lower is better (drawdown)", () => {
    const values = new Map([
      ["calm", byRun([0.01, 0.02, 0.01, 0.02, 0.01, 0.02, 0.01, 0.02])],
      ["wild", byRun([0.2, 0.3, 0.25, 0.2, 0.3, 0.25, 0.2, 0.3])],
    ]);
    const [p] = comparePairs(["calm", "wild"], values, { seed: 2, higherIsBetter: false, resamples: 2000 });
    expect(p!.meanDifference).toBeLessThan(0);
    expect(p!.verdict).toBe("A");
    expect(rankModels(["wild", "calm"], [p!], new Map([["calm", 0.015], ["wild", 0.25]]), false).text).toBe("calm > wild");
  });

  it("calls a consistent but tiny sample indistinguishable: the sign test cannot reach 5% with 5 runs", () => {
    const values = new Map([
      ["a", byRun([1, 1, 1, 1, 1])],
      ["b", byRun([0, 0, 0, 0, 0])],
    ]);
    const [p] = comparePairs(["a", "b"], values, { seed: 3, higherIsBetter: true, resamples: 500 });
    expect(p!.ciFamily.low).toBe(1);
    expect(p!.pSign).toBeCloseTo(0.0625, 12);
    expect(p!.verdict).toBe("indistinguishable");
  });
});
