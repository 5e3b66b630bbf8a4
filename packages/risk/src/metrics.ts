/**
 * Performance metrics from equity snapshots and closed trades. Money stays
 * Decimal; ratios are numbers. Conventions (stated because every library picks
 * its own): simple returns between consecutive snapshots; risk-free rate 0;
 * Sharpe uses the sample standard deviation (n - 1); Sortino's downside
 * deviation is sqrt(sum(min(r, 0)^2) / n); both are annualised by
 * sqrt(periods per year) with a 365-day crypto year; annualised return is
 * compounded, (1 + total)^(periodsPerYear / returns) - 1; Calmar is annualised
 * return over max drawdown. A ratio that is undefined (no variance, no losses,
 * too few points) is null, never Infinity or NaN.
 */
import { type Decimal, type Trade, ZERO, sumDecimals } from "@autonome/core";
import type { EquitySnapshot } from "./circuit-breaker.js";

/** Milliseconds in the 365-day year used for annualisation. */
export const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** The fields of a closed trade the metrics read (a core `Trade` fits). */
export type MetricsTrade = Pick<Trade, "side" | "leverage" | "realizedPnl" | "fees" | "openedAt" | "closedAt"> & {
  exitPlan: { confidence: number | null };
};

/** Every metric the leaderboard and the prompt show. */
export interface PerformanceMetrics {
  /** Last equity / first equity - 1, or null with fewer than two snapshots. */
  totalReturn: number | null;
  annualizedReturn: number | null;
  sharpe: number | null;
  sortino: number | null;
  calmar: number | null;
  /** Largest peak-to-trough fall as a fraction of the peak (0.1 = 10%). */
  maxDrawdown: number;
  /** Longest time below a previous peak, in ms (to the last snapshot if not recovered). */
  maxDrawdownDurationMs: number;
  tradeCount: number;
  /** Share of trades with positive net PnL. */
  winRate: number | null;
  /** Gross wins / gross losses; null without losing trades. */
  profitFactor: number | null;
  /** Mean net PnL per trade. */
  expectancy: Decimal | null;
  biggestWin: Decimal | null;
  biggestLoss: Decimal | null;
  longestWinStreak: number;
  longestLossStreak: number;
  averageHoldMs: number | null;
  medianHoldMs: number | null;
  /** Share of trades that were LONG. */
  longShare: number | null;
  averageLeverage: number | null;
  /** Mean stated confidence over trades that stated one. */
  averageConfidence: number | null;
  feesPaid: Decimal;
  realizedPnl: Decimal;
  /** Pearson correlation of stated confidence with realized PnL; null with fewer than two such trades or no variance. */
  decisionQuality: number | null;
}

/** Inputs of {@link computePerformanceMetrics}. */
export interface MetricsInput {
  snapshots: readonly EquitySnapshot[];
  trades: readonly MetricsTrade[];
  /** Sampling interval of the snapshots in ms; inferred from the median gap when absent. */
  intervalMs?: number;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Pearson correlation of two equal-length series; null when undefined. */
export function pearsonCorrelation(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length || xs.length < 2) return null;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Max drawdown (fraction) and its longest duration (ms) of an equity curve sorted by time. */
export function drawdownStats(snapshots: readonly EquitySnapshot[]): { maxDrawdown: number; maxDrawdownDurationMs: number } {
  const state = emptyCurve();
  for (const s of snapshots) stepCurve(state, s);
  const { maxDrawdown, maxDrawdownDurationMs } = curveMetrics(state, 0);
  return { maxDrawdown, maxDrawdownDurationMs };
}

/** The metrics of an equity curve alone (the part of {@link PerformanceMetrics} that snapshots give). */
export type EquityMetrics = Pick<
  PerformanceMetrics,
  "totalReturn" | "annualizedReturn" | "sharpe" | "sortino" | "calmar" | "maxDrawdown" | "maxDrawdownDurationMs"
>;

/** The metrics of closed trades alone (everything of {@link PerformanceMetrics} but the curve's). */
export type TradeMetrics = Omit<PerformanceMetrics, keyof EquityMetrics>;

/**
 * Running sums of an equity curve, one snapshot at a time: what the curve metrics need,
 * so a curve of any length costs O(1) per snapshot instead of O(n) per evaluation.
 */
interface CurveState {
  count: number;
  first: EquitySnapshot | undefined;
  last: EquitySnapshot | undefined;
  returns: number;
  /** Welford's running mean and sum of squared deviations of the returns. */
  mean: number;
  m2: number;
  downside2: number;
  peak: EquitySnapshot | undefined;
  underwater: boolean;
  maxDrawdown: number;
  longest: number;
}

const emptyCurve = (): CurveState => ({
  count: 0,
  first: undefined,
  last: undefined,
  returns: 0,
  mean: 0,
  m2: 0,
  downside2: 0,
  peak: undefined,
  underwater: false,
  maxDrawdown: 0,
  longest: 0,
});

function stepCurve(state: CurveState, s: EquitySnapshot): void {
  const prev = state.last;
  if (prev && prev.equity.gt(0)) {
    const r = s.equity.div(prev.equity).minus(1).toNumber();
    state.returns++;
    const delta = r - state.mean;
    state.mean += delta / state.returns;
    state.m2 += delta * (r - state.mean);
    state.downside2 += Math.min(r, 0) ** 2;
  }
  state.first ??= s;
  state.last = s;
  state.count++;
  if (!state.peak || s.equity.gte(state.peak.equity)) {
    // Recovered: the stretch below the old peak ends here.
    if (state.peak && state.underwater) state.longest = Math.max(state.longest, s.ts - state.peak.ts);
    state.peak = s;
    state.underwater = false;
    return;
  }
  state.underwater = true;
  if (state.peak.equity.gt(0)) state.maxDrawdown = Math.max(state.maxDrawdown, state.peak.equity.minus(s.equity).div(state.peak.equity).toNumber());
}

function curveMetrics(state: CurveState, intervalMs: number): EquityMetrics {
  const periodsPerYear = intervalMs > 0 ? YEAR_MS / intervalMs : 0;
  const { first, last } = state;
  const totalReturn = first && last && state.count >= 2 && first.equity.gt(0) ? last.equity.div(first.equity).minus(1).toNumber() : null;
  let sharpe: number | null = null;
  let sortino: number | null = null;
  let annualizedReturn: number | null = null;
  if (state.returns >= 2 && periodsPerYear > 0) {
    const sd = Math.sqrt(state.m2 / (state.returns - 1));
    sharpe = sd > 0 ? finiteOrNull((state.mean / sd) * Math.sqrt(periodsPerYear)) : null;
    const downside = Math.sqrt(state.downside2 / state.returns);
    sortino = downside > 0 ? finiteOrNull((state.mean / downside) * Math.sqrt(periodsPerYear)) : null;
  }
  if (totalReturn !== null && state.returns >= 1 && periodsPerYear > 0) {
    annualizedReturn = finiteOrNull((1 + totalReturn) ** (periodsPerYear / state.returns) - 1);
  }
  const maxDrawdownDurationMs = state.peak && last && state.underwater ? Math.max(state.longest, last.ts - state.peak.ts) : state.longest;
  const calmar = annualizedReturn !== null && state.maxDrawdown > 0 ? finiteOrNull(annualizedReturn / state.maxDrawdown) : null;
  return { totalReturn, annualizedReturn, sharpe, sortino, calmar, maxDrawdown: state.maxDrawdown, maxDrawdownDurationMs };
}

/** The curve metrics of snapshots (any order); the interval is inferred from the median gap when absent. */
export function computeEquityMetrics(snapshots: readonly EquitySnapshot[], intervalMs?: number): EquityMetrics {
  const sorted = [...snapshots].sort((a, b) => a.ts - b.ts);
  const state = emptyCurve();
  for (const s of sorted) stepCurve(state, s);
  const gaps = sorted.slice(1).map((s, i) => s.ts - sorted[i]!.ts);
  return curveMetrics(state, intervalMs ?? (gaps.length > 0 ? median(gaps) : 0));
}

/**
 * An equity curve that grows one snapshot at a time (a backtest, a long-running model):
 * `push` is O(1) and `metrics` gives what {@link computeEquityMetrics} gives for every
 * snapshot pushed so far (to floating-point rounding), optionally with one more
 * provisional point (the current equity) that is not kept.
 */
export class EquityCurveTracker {
  private readonly state = emptyCurve();

  /** @param intervalMs the snapshots' sampling interval (annualisation), > 0. */
  constructor(readonly intervalMs: number) {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`intervalMs must be a positive number, got ${intervalMs}`);
  }

  /** Snapshots pushed so far. */
  get count(): number {
    return this.state.count;
  }

  /** The last snapshot pushed, if any. */
  get last(): EquitySnapshot | undefined {
    return this.state.last;
  }

  /** Adds the next snapshot; RangeError when it is older than the last one. */
  push(snapshot: EquitySnapshot): void {
    if (this.state.last && snapshot.ts < this.state.last.ts) {
      throw new RangeError(`snapshot at ${snapshot.ts} is older than the last one (${this.state.last.ts})`);
    }
    stepCurve(this.state, snapshot);
  }

  /** The curve's metrics, with `provisional` as one more point when given (it is not kept). */
  metrics(provisional?: EquitySnapshot): EquityMetrics {
    if (!provisional || (this.state.last && provisional.ts < this.state.last.ts)) return curveMetrics(this.state, this.intervalMs);
    const state = { ...this.state };
    stepCurve(state, provisional);
    return curveMetrics(state, this.intervalMs);
  }
}

/** The metrics of closed trades (any order). */
export function computeTradeMetrics(input: readonly MetricsTrade[]): TradeMetrics {
  const trades = [...input].sort((a, b) => a.closedAt - b.closedAt);
  const n = trades.length;
  const wins = trades.filter((t) => t.realizedPnl.gt(0));
  const losses = trades.filter((t) => t.realizedPnl.lt(0));
  const grossWin = sumDecimals(wins.map((t) => t.realizedPnl));
  const grossLoss = sumDecimals(losses.map((t) => t.realizedPnl)).abs();
  const realizedPnl = sumDecimals(trades.map((t) => t.realizedPnl));

  let winStreak = 0;
  let lossStreak = 0;
  let longestWinStreak = 0;
  let longestLossStreak = 0;
  for (const t of trades) {
    // A break-even trade ends both streaks.
    winStreak = t.realizedPnl.gt(0) ? winStreak + 1 : 0;
    lossStreak = t.realizedPnl.lt(0) ? lossStreak + 1 : 0;
    longestWinStreak = Math.max(longestWinStreak, winStreak);
    longestLossStreak = Math.max(longestLossStreak, lossStreak);
  }

  const holds = trades.map((t) => t.closedAt - t.openedAt);
  const confident = trades.filter((t) => t.exitPlan.confidence !== null);
  const confidences = confident.map((t) => t.exitPlan.confidence as number);
  const longs = trades.filter((t) => t.side === "LONG").length;

  return {
    tradeCount: n,
    winRate: n > 0 ? wins.length / n : null,
    profitFactor: grossLoss.gt(0) ? grossWin.div(grossLoss).toNumber() : null,
    expectancy: n > 0 ? realizedPnl.div(n) : null,
    biggestWin: wins.length > 0 ? wins.reduce((a, t) => (t.realizedPnl.gt(a) ? t.realizedPnl : a), ZERO) : null,
    biggestLoss: losses.length > 0 ? losses.reduce((a, t) => (t.realizedPnl.lt(a) ? t.realizedPnl : a), ZERO) : null,
    longestWinStreak,
    longestLossStreak,
    averageHoldMs: n > 0 ? mean(holds) : null,
    medianHoldMs: n > 0 ? median(holds) : null,
    longShare: n > 0 ? longs / n : null,
    averageLeverage: n > 0 ? sumDecimals(trades.map((t) => t.leverage)).div(n).toNumber() : null,
    averageConfidence: confidences.length > 0 ? mean(confidences) : null,
    feesPaid: sumDecimals(trades.map((t) => t.fees)),
    realizedPnl,
    decisionQuality: pearsonCorrelation(confidences, confident.map((t) => t.realizedPnl.toNumber())),
  };
}

/** Computes every performance metric; pure and deterministic. */
export function computePerformanceMetrics(input: MetricsInput): PerformanceMetrics {
  return { ...computeEquityMetrics(input.snapshots, input.intervalMs), ...computeTradeMetrics(input.trades) };
}
