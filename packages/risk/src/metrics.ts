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
import { type Decimal, type Side, type Trade, ZERO, sumDecimals } from "@autonome/core";
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
  let maxDrawdown = 0;
  let longest = 0;
  let peak: EquitySnapshot | undefined;
  let underwater = false;
  for (const s of snapshots) {
    if (!peak || s.equity.gte(peak.equity)) {
      // Recovered: the stretch below the old peak ends here.
      if (peak && underwater) longest = Math.max(longest, s.ts - peak.ts);
      peak = s;
      underwater = false;
      continue;
    }
    underwater = true;
    if (peak.equity.gt(0)) maxDrawdown = Math.max(maxDrawdown, peak.equity.minus(s.equity).div(peak.equity).toNumber());
  }
  const last = snapshots.at(-1);
  if (peak && last && underwater) longest = Math.max(longest, last.ts - peak.ts);
  return { maxDrawdown, maxDrawdownDurationMs: longest };
}

/** Computes every performance metric; pure and deterministic. */
export function computePerformanceMetrics(input: MetricsInput): PerformanceMetrics {
  const snapshots = [...input.snapshots].sort((a, b) => a.ts - b.ts);
  const returns: number[] = [];
  for (let i = 1; i < snapshots.length; i++) {
    const prev = snapshots[i - 1]!.equity;
    if (prev.gt(0)) returns.push(snapshots[i]!.equity.div(prev).minus(1).toNumber());
  }
  const gaps = snapshots.slice(1).map((s, i) => s.ts - snapshots[i]!.ts);
  const intervalMs = input.intervalMs ?? (gaps.length > 0 ? median(gaps) : 0);
  const periodsPerYear = intervalMs > 0 ? YEAR_MS / intervalMs : 0;

  const first = snapshots[0];
  const last = snapshots.at(-1);
  const totalReturn = first && last && snapshots.length >= 2 && first.equity.gt(0) ? last.equity.div(first.equity).minus(1).toNumber() : null;

  let sharpe: number | null = null;
  let sortino: number | null = null;
  let annualizedReturn: number | null = null;
  if (returns.length >= 2 && periodsPerYear > 0) {
    const m = mean(returns);
    const variance = returns.reduce((acc, r) => acc + (r - m) ** 2, 0) / (returns.length - 1);
    const sd = Math.sqrt(variance);
    sharpe = sd > 0 ? finiteOrNull((m / sd) * Math.sqrt(periodsPerYear)) : null;
    const downside = Math.sqrt(returns.reduce((acc, r) => acc + Math.min(r, 0) ** 2, 0) / returns.length);
    sortino = downside > 0 ? finiteOrNull((m / downside) * Math.sqrt(periodsPerYear)) : null;
  }
  if (totalReturn !== null && returns.length >= 1 && periodsPerYear > 0) {
    annualizedReturn = finiteOrNull((1 + totalReturn) ** (periodsPerYear / returns.length) - 1);
  }
  const { maxDrawdown, maxDrawdownDurationMs } = drawdownStats(snapshots);
  const calmar = annualizedReturn !== null && maxDrawdown > 0 ? finiteOrNull(annualizedReturn / maxDrawdown) : null;

  const trades = [...input.trades].sort((a, b) => a.closedAt - b.closedAt);
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
  const longs = trades.filter((t) => (t.side as Side) === "LONG").length;

  return {
    totalReturn,
    annualizedReturn,
    sharpe,
    sortino,
    calmar,
    maxDrawdown,
    maxDrawdownDurationMs,
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
