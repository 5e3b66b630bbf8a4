/**
 * The statistics of a season, as pure functions: summaries of a sample, a seeded
 * percentile bootstrap of a mean, the exact two-sided sign test, Holm's step-down
 * correction, and the pairwise comparison that the ranking is read from.
 * Invariants: the same inputs and seed give the same numbers; a comparison says one
 * model beats another only when its family-wise interval excludes zero AND its
 * Holm-adjusted sign-test p-value is below alpha.
 */
import { createRandom } from "@autonome/core";

/** Five-number summary, mean and sample standard deviation of a sample. */
export interface SampleSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for n < 2. */
  std: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

/** The q-quantile (0..1) of sorted values, linear interpolation between order statistics (numpy's default, R's type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (q <= 0) return sorted[0]!;
  if (q >= 1) return sorted.at(-1)!;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

/** Mean of the values (NaN when empty). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Summary of a sample. */
export function summarize(values: readonly number[]): SampleSummary {
  const sorted = [...values].sort((a, b) => a - b);
  const m = mean(sorted);
  let squares = 0;
  for (const v of sorted) squares += (v - m) ** 2;
  return {
    n: sorted.length,
    mean: m,
    std: sorted.length > 1 ? Math.sqrt(squares / (sorted.length - 1)) : 0,
    min: sorted[0] ?? Number.NaN,
    q1: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q3: quantileSorted(sorted, 0.75),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** A confidence interval. */
export interface Interval {
  low: number;
  high: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
}

/**
 * Percentile bootstrap interval of the mean: `resamples` resamples of the values with
 * replacement, drawn from a generator seeded with `seed`; the interval is the
 * (1-level)/2 and (1+level)/2 quantiles of the resampled means.
 */
export function bootstrapMeanInterval(values: readonly number[], options: { level: number; resamples: number; seed: number | string }): Interval {
  const n = values.length;
  if (n === 0) return { low: Number.NaN, high: Number.NaN, level: options.level };
  if (!(options.level > 0 && options.level < 1)) throw new RangeError(`level must be in (0, 1), got ${options.level}`);
  const random = createRandom(options.seed);
  const means = new Float64Array(options.resamples);
  for (let b = 0; b < options.resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random.next() * n)]!;
    means[b] = sum / n;
  }
  means.sort();
  const sorted = Array.from(means);
  const tail = (1 - options.level) / 2;
  return { low: quantileSorted(sorted, tail), high: quantileSorted(sorted, 1 - tail), level: options.level };
}

/** log of n choose k. */
function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log(n - k + i) - Math.log(i);
  return sum;
}

/**
 * Exact two-sided sign test of the paired differences: zeros are dropped (n = the
 * non-zero ones), k = the positive ones; p = min(1, 2 P(X <= min(k, n-k))) with X ~
 * Binomial(n, 1/2). p = 1 when no difference is non-zero.
 */
export function signTest(differences: readonly number[]): { n: number; positive: number; negative: number; p: number } {
  const positive = differences.filter((d) => d > 0).length;
  const negative = differences.filter((d) => d < 0).length;
  const n = positive + negative;
  if (n === 0) return { n, positive, negative, p: 1 };
  const k = Math.min(positive, negative);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return { n, positive, negative, p: Math.min(1, 2 * tail) };
}

/** Holm's step-down adjustment of p-values (family-wise error control), in the input order. */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Which of two models a comparison favours. */
export type Verdict = "A" | "B" | "indistinguishable";

/** One pair of models compared on one metric over the runs both completed. */
export interface PairComparison {
  a: string;
  b: string;
  /** Runs in the comparison. */
  n: number;
  /** Mean of (A - B), in the metric's own orientation (a higher return is better; for drawdown, lower is better and the difference is still A - B). */
  meanDifference: number;
  medianDifference: number;
  /** Bootstrap interval of the mean difference at 95%, for this pair alone. */
  ci95: Interval;
  /** Bootstrap interval at 1 - alpha/m (Bonferroni over the m pairs): excludes zero for a family-wise 95% claim. */
  ciFamily: Interval;
  /** Runs where A was better, worse (in the metric's better direction), and tied. */
  aBetter: number;
  bBetter: number;
  ties: number;
  /** Exact two-sided sign-test p-value, and Holm-adjusted over the m pairs. */
  pSign: number;
  pHolm: number;
  verdict: Verdict;
}

/** Options of {@link comparePairs}. */
export interface CompareOptions {
  /** Family-wise error rate (default 0.05). */
  alpha?: number;
  /** Bootstrap resamples per interval (default 10,000). */
  resamples?: number;
  /** Seed of the bootstrap (each pair draws from its own stream derived from it). */
  seed: number | string;
  /** Whether a higher value of the metric is better (return, Sharpe) or a lower one (drawdown). */
  higherIsBetter: boolean;
}

/**
 * Compares every pair of models on one metric. `values` maps each model to its metric
 * by run index; a pair uses the runs where both have a value (paired by run).
 */
export function comparePairs(models: readonly string[], values: ReadonlyMap<string, ReadonlyMap<number, number>>, options: CompareOptions): PairComparison[] {
  const alpha = options.alpha ?? 0.05;
  const resamples = options.resamples ?? 10_000;
  const pairs: Array<Omit<PairComparison, "pHolm" | "verdict">> = [];
  const m = (models.length * (models.length - 1)) / 2;
  for (let i = 0; i < models.length; i++) {
    for (let j = i + 1; j < models.length; j++) {
      const a = models[i]!;
      const b = models[j]!;
      const va = values.get(a) ?? new Map<number, number>();
      const vb = values.get(b) ?? new Map<number, number>();
      const runs = [...va.keys()].filter((r) => vb.has(r)).sort((x, y) => x - y);
      const differences = runs.map((r) => va.get(r)! - vb.get(r)!);
      // The sign test counts runs where A was better in the metric's own sense.
      const oriented = options.higherIsBetter ? differences : differences.map((d) => -d);
      const sign = signTest(oriented);
      const seed = `${options.seed}:${a}:${b}`;
      pairs.push({
        a,
        b,
        n: runs.length,
        meanDifference: mean(differences),
        medianDifference: quantileSorted([...differences].sort((x, y) => x - y), 0.5),
        ci95: bootstrapMeanInterval(differences, { level: 1 - alpha, resamples, seed }),
        ciFamily: bootstrapMeanInterval(differences, { level: 1 - alpha / Math.max(1, m), resamples, seed }),
        aBetter: sign.positive,
        bBetter: sign.negative,
        ties: runs.length - sign.n,
        pSign: sign.p,
      });
    }
  }
  const adjusted = holmAdjust(pairs.map((p) => p.pSign));
  return pairs.map((p, k) => {
    const pHolm = adjusted[k]!;
    const above = p.ciFamily.low > 0;
    const below = p.ciFamily.high < 0;
    let verdict: Verdict = "indistinguishable";
    if (pHolm < alpha && (above || below)) {
      const aHigher = above;
      verdict = aHigher === options.higherIsBetter ? "A" : "B";
    }
    return { ...p, pHolm, verdict };
  });
}

/** The ranking: models in order and, between neighbours, whether the left one beats the right one. */
export interface Ranking {
  order: string[];
  /** relations[i] is between order[i] and order[i + 1]: ">" beats, "~" indistinguishable. */
  relations: Array<">" | "~">;
  /** "A > B ~ C". */
  text: string;
}

/**
 * Orders models by wins minus losses among the pairwise verdicts, then by the mean of
 * the metric (in its better direction), then by name; neighbours get ">" when the
 * pairwise verdict says the left one beats the right one, else "~".
 */
export function rankModels(models: readonly string[], pairs: readonly PairComparison[], means: ReadonlyMap<string, number>, higherIsBetter: boolean): Ranking {
  const score = new Map(models.map((m) => [m, 0]));
  const beats = new Set<string>();
  for (const p of pairs) {
    if (p.verdict === "indistinguishable") continue;
    const [winner, loser] = p.verdict === "A" ? [p.a, p.b] : [p.b, p.a];
    score.set(winner, score.get(winner)! + 1);
    score.set(loser, score.get(loser)! - 1);
    beats.add(`${winner}\u0000${loser}`);
  }
  const direction = higherIsBetter ? 1 : -1;
  const meanOf = (m: string) => {
    const v = means.get(m);
    return v === undefined || Number.isNaN(v) ? Number.NEGATIVE_INFINITY : direction * v;
  };
  const order = [...models].sort((x, y) => score.get(y)! - score.get(x)! || meanOf(y) - meanOf(x) || x.localeCompare(y));
  const relations = order.slice(1).map((right, i): ">" | "~" => (beats.has(`${order[i]}\u0000${right}`) ? ">" : "~"));
  const text = order.map((m, i) => (i === 0 ? m : `${relations[i - 1]} ${m}`)).join(" ");
  return { order, relations, text };
}
