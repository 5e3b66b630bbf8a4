/**
 * Performance metrics from equity snapshots and closed trades. Money stays
 * Decimal; ratios are numbers. Conventions (stated because every library picks
 * its own): simple returns between consecutive snapshots; risk-free rate 0;
 * Sharpe uses the sample standard deviation (n - 1); Sortino's downside
 * deviation is sqrt(sum(min(r, 0)^2) / n); both are annualised by
 * sqrt(periods per year) with a 365-day crypto year; annualised return is
 * compounded, (1 + total)^(periodsPerYear / returns) - 1; Calmar is annualised
 * return over max drawdown. A ratio that is undefined (no variance, no losses,
 * too few points) is null, never Infinity or NaN. With `minimums` (what a dashboard
 * shows), a ratio whose sample is too short to mean anything is null too, and every
 * null metric gets its reason in `unavailable`: annualizing five minutes of returns
 * gives numbers like 1e21 %, which are true arithmetic and no information.
 * The curve is evaluated in floating point (one conversion per snapshot), as metrics
 * are; money (fees, PnL, expectancy) stays Decimal.
 */
import { type Decimal, type Trade, ZERO, sumDecimals } from "@autonome/core";
import type { EquitySnapshot } from "./circuit-breaker.js";

/** Milliseconds in the 365-day year used for annualisation. */
export const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** The fields of a closed trade the metrics read (a core `Trade` fits). */
export type MetricsTrade = Pick<Trade, "side" | "leverage" | "realizedPnl" | "fees" | "openedAt" | "closedAt"> & {
  exitPlan: { confidence: number | null };
};

/** Names of the metrics that can be null (unavailable). */
export type MetricName =
  | "totalReturn"
  | "annualizedReturn"
  | "sharpe"
  | "sortino"
  | "calmar"
  | "winRate"
  | "profitFactor"
  | "expectancy"
  | "biggestWin"
  | "biggestLoss"
  | "averageHoldMs"
  | "medianHoldMs"
  | "longShare"
  | "averageLeverage"
  | "averageConfidence"
  | "decisionQuality";

/** How much data a ratio needs before it is shown (see {@link DEFAULT_METRIC_MINIMUMS}). */
export interface MetricMinimums {
  /** Annualized return and Calmar need the curve to span at least this long (ms). */
  annualizeSpanMs: number;
  /** Sharpe and Sortino need at least this many returns... */
  ratioReturns: number;
  /** ...over at least this span (ms). */
  ratioSpanMs: number;
}

/** A week of curve before annualizing; a day and 20 returns before Sharpe or Sortino. */
export const DEFAULT_METRIC_MINIMUMS: MetricMinimums = { annualizeSpanMs: 7 * 86_400_000, ratioReturns: 20, ratioSpanMs: 86_400_000 };

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
  /** Why each null metric is null; filled only when `minimums` were given. */
  unavailable?: Partial<Record<MetricName, string>>;
}

/** Inputs of {@link computePerformanceMetrics}. */
export interface MetricsInput {
  snapshots: readonly EquitySnapshot[];
  trades: readonly MetricsTrade[];
  /** Sampling interval of the snapshots in ms; inferred from the median gap when absent. */
  intervalMs?: number;
  /** Hide ratios of too short a sample and explain every null metric (see {@link MetricMinimums}). */
  minimums?: MetricMinimums;
}

/** A point of an equity curve in floating point (metrics only; never money arithmetic). */
export interface EquityPoint {
  ts: number;
  value: number;
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
  for (const s of snapshots) stepCurve(state, toPoint(s));
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
  first: EquityPoint | undefined;
  last: EquityPoint | undefined;
  returns: number;
  /** Welford's running mean and sum of squared deviations of the returns. */
  mean: number;
  m2: number;
  downside2: number;
  peak: EquityPoint | undefined;
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

function stepCurve(state: CurveState, s: EquityPoint): void {
  const prev = state.last;
  if (prev && prev.value > 0) {
    const r = s.value / prev.value - 1;
    state.returns++;
    const delta = r - state.mean;
    state.mean += delta / state.returns;
    state.m2 += delta * (r - state.mean);
    state.downside2 += Math.min(r, 0) ** 2;
  }
  state.first ??= s;
  state.last = s;
  state.count++;
  if (!state.peak || s.value >= state.peak.value) {
    // Recovered: the stretch below the old peak ends here.
    if (state.peak && state.underwater) state.longest = Math.max(state.longest, s.ts - state.peak.ts);
    state.peak = s;
    state.underwater = false;
    return;
  }
  state.underwater = true;
  if (state.peak.value > 0) state.maxDrawdown = Math.max(state.maxDrawdown, (state.peak.value - s.value) / state.peak.value);
}

const toPoint = (s: EquitySnapshot): EquityPoint => ({ ts: s.ts, value: s.equity.toNumber() });

function curveMetrics(state: CurveState, intervalMs: number, minimums?: MetricMinimums): EquityMetrics & { unavailable: Partial<Record<MetricName, string>> } {
  const periodsPerYear = intervalMs > 0 ? YEAR_MS / intervalMs : 0;
  const { first, last } = state;
  const totalReturn = first && last && state.count >= 2 && first.value > 0 ? last.value / first.value - 1 : null;
  const spanMs = first && last ? last.ts - first.ts : 0;
  const unavailable: Partial<Record<MetricName, string>> = {};
  let sharpe: number | null = null;
  let sortino: number | null = null;
  let annualizedReturn: number | null = null;
  const ratioShort =
    minimums !== undefined && (state.returns < minimums.ratioReturns || spanMs < minimums.ratioSpanMs)
      ? `needs ${minimums.ratioReturns} returns over ${describeSpan(minimums.ratioSpanMs)}; has ${state.returns} over ${describeSpan(spanMs)}`
      : null;
  const annualizeShort =
    minimums !== undefined && spanMs < minimums.annualizeSpanMs ? `needs ${describeSpan(minimums.annualizeSpanMs)} of history to annualize; has ${describeSpan(spanMs)}` : null;
  if (state.returns >= 2 && periodsPerYear > 0 && ratioShort === null) {
    const sd = Math.sqrt(state.m2 / (state.returns - 1));
    sharpe = sd > 0 ? finiteOrNull((state.mean / sd) * Math.sqrt(periodsPerYear)) : null;
    const downside = Math.sqrt(state.downside2 / state.returns);
    sortino = downside > 0 ? finiteOrNull((state.mean / downside) * Math.sqrt(periodsPerYear)) : null;
  }
  if (totalReturn !== null && state.returns >= 1 && periodsPerYear > 0 && annualizeShort === null) {
    annualizedReturn = finiteOrNull((1 + totalReturn) ** (periodsPerYear / state.returns) - 1);
  }
  const maxDrawdownDurationMs = state.peak && last && state.underwater ? Math.max(state.longest, last.ts - state.peak.ts) : state.longest;
  const calmar = annualizedReturn !== null && state.maxDrawdown > 0 ? finiteOrNull(annualizedReturn / state.maxDrawdown) : null;
  if (totalReturn === null) unavailable.totalReturn = "needs two snapshots";
  if (sharpe === null) unavailable.sharpe = ratioShort ?? (state.returns < 2 ? "needs three snapshots" : "returns have no variance");
  if (sortino === null) unavailable.sortino = ratioShort ?? (state.returns < 2 ? "needs three snapshots" : "no losing period");
  if (annualizedReturn === null) unavailable.annualizedReturn = annualizeShort ?? unavailable.totalReturn ?? "undefined";
  if (calmar === null) unavailable.calmar = annualizeShort ?? unavailable.annualizedReturn ?? "no drawdown";
  return { totalReturn, annualizedReturn, sharpe, sortino, calmar, maxDrawdown: state.maxDrawdown, maxDrawdownDurationMs, unavailable };
}

/** "3 d", "5 h", "12 min" or "40 s": a span for a reason text. */
function describeSpan(ms: number): string {
  if (ms >= 86_400_000) return `${+(ms / 86_400_000).toFixed(1)} d`;
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The curve metrics of snapshots (any order); the interval is inferred from the median gap when absent. */
export function computeEquityMetrics(snapshots: readonly EquitySnapshot[], intervalMs?: number): EquityMetrics {
  const { unavailable: _, ...metrics } = computeCurveMetrics(snapshots.map(toPoint), intervalMs);
  return metrics;
}

/**
 * The curve metrics of floating-point points (any order), with the reason of each null
 * one; with `minimums`, ratios of too short a sample are null. The interval is inferred
 * from the median gap when absent.
 */
export function computeCurveMetrics(
  points: readonly EquityPoint[],
  intervalMs?: number,
  minimums?: MetricMinimums,
): EquityMetrics & { unavailable: Partial<Record<MetricName, string>> } {
  const sorted = [...points].sort((a, b) => a.ts - b.ts);
  const state = emptyCurve();
  for (const s of sorted) stepCurve(state, s);
  let interval = intervalMs;
  if (interval === undefined) {
    const gaps = sorted.slice(1).map((s, i) => s.ts - sorted[i]!.ts);
    interval = gaps.length > 0 ? median(gaps) : 0;
  }
  return curveMetrics(state, interval, minimums);
}

/**
 * An equity curve that grows one snapshot at a time (a backtest, a long-running model):
 * `push` is O(1) and `metrics` gives what {@link computeEquityMetrics} gives for every
 * snapshot pushed so far (to floating-point rounding), optionally with one more
 * provisional point (the current equity) that is not kept.
 */
export class EquityCurveTracker {
  private readonly state = emptyCurve();
  private lastSnapshot: EquitySnapshot | undefined;

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
    return this.lastSnapshot;
  }

  /** Adds the next snapshot; RangeError when it is older than the last one. */
  push(snapshot: EquitySnapshot): void {
    if (this.state.last && snapshot.ts < this.state.last.ts) {
      throw new RangeError(`snapshot at ${snapshot.ts} is older than the last one (${this.state.last.ts})`);
    }
    stepCurve(this.state, toPoint(snapshot));
    this.lastSnapshot = snapshot;
  }

  /** The curve's metrics, with `provisional` as one more point when given (it is not kept). */
  metrics(provisional?: EquitySnapshot): EquityMetrics {
    const state = { ...this.state };
    if (provisional && !(this.state.last && provisional.ts < this.state.last.ts)) stepCurve(state, toPoint(provisional));
    const { unavailable: _, ...metrics } = curveMetrics(state, this.intervalMs);
    return metrics;
  }
}

/**
 * The order trades count in for the streaks: closing time, then (trades closed at the same
 * instant, several stops firing together) opening time, then P&L. The metrics are a function
 * of the trades alone, never of the order they come in or of their (random) ids.
 */
function streakOrder(a: MetricsTrade, b: MetricsTrade): number {
  return a.closedAt - b.closedAt || a.openedAt - b.openedAt || a.realizedPnl.comparedTo(b.realizedPnl);
}

/** The metrics of closed trades (any order). */
export function computeTradeMetrics(input: readonly MetricsTrade[]): TradeMetrics {
  const trades = [...input].sort(streakOrder);
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

/** A trade the tracker holds, with what its metrics read of it worked out once. */
interface TrackedTrade<T extends MetricsTrade> {
  trade: T;
  /** Sign of the realized PnL: 1 win, -1 loss, 0 break-even. */
  sign: number;
  /** The realized PnL as a number (the decision-quality correlation and the biggest-win scan). */
  pnl: number;
  hold: number;
}

/** Options of {@link TradeMetricsTracker}. */
export interface TradeMetricsTrackerOptions<T extends MetricsTrade> {
  /**
   * The order of trades that tie in the streak order (closed, opened and P&L alike), as the
   * list given to {@link computeTradeMetrics} would have them; default the order they were added.
   */
  tieBreak?: (a: T, b: T) => number;
}

/**
 * The metrics of a changing set of closed trades (a model's newest trades, one added at each
 * close, the oldest dropped past a limit): `metrics()` equals {@link computeTradeMetrics} of
 * the trades held (with ties in the streak order in `tieBreak` order), but costs O(n) float
 * steps and a handful of Decimal operations instead of sorting, filtering and summing Decimals
 * again, and nothing until the set changes. The money sums are kept as running Decimal sums,
 * which are exact (equal to a sum from scratch) while every partial sum fits the Decimal's 40
 * digits at the finest scale seen; beyond that bound it computes from scratch.
 */
export class TradeMetricsTracker<T extends MetricsTrade = MetricsTrade> {
  /** In the streak order, ties in tieBreak order. */
  private readonly entries: TrackedTrade<T>[] = [];
  private cached: TradeMetrics | null = null;
  private grossWin: Decimal = ZERO;
  /** Sum of the losses (negative). */
  private grossLoss: Decimal = ZERO;
  private realized: Decimal = ZERO;
  private fees: Decimal = ZERO;
  private leverage: Decimal = ZERO;
  /** Most decimal places of any amount added, and a bound on the sum of every amount's magnitude. */
  private places = 0;
  private magnitude = 0;
  private exact = true;

  constructor(private readonly options: TradeMetricsTrackerOptions<T> = {}) {}

  /** Trades held. */
  get size(): number {
    return this.entries.length;
  }

  /** The trades held, in the streak order. */
  trades(): T[] {
    return this.entries.map((e) => e.trade);
  }

  /** Adds a closed trade. */
  add(trade: T): void {
    const pnl = trade.realizedPnl;
    const entry: TrackedTrade<T> = { trade, sign: pnl.gt(0) ? 1 : pnl.lt(0) ? -1 : 0, pnl: pnl.toNumber(), hold: trade.closedAt - trade.openedAt };
    // After every trade it ties with or follows.
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.entries[mid]!.trade, trade) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, entry);
    for (const amount of [pnl, trade.fees, trade.leverage]) this.bound(amount);
    if (this.exact) this.sum(entry, 1);
    this.cached = null;
  }

  /** Removes a trade (the same object that was added); false when it is not held. */
  remove(trade: T): boolean {
    const at = this.entries.findIndex((e) => e.trade === trade);
    if (at < 0) return false;
    const [entry] = this.entries.splice(at, 1);
    if (this.exact) this.sum(entry!, -1);
    if (this.entries.length === 0) this.reset();
    this.cached = null;
    return true;
  }

  /** `computeTradeMetrics` of the trades held (cached until they change). */
  metrics(): TradeMetrics {
    this.cached ??= this.exact ? this.compute() : computeTradeMetrics(this.trades());
    return this.cached;
  }

  private compare(a: T, b: T): number {
    return streakOrder(a, b) || (this.options.tieBreak?.(a, b) ?? 0);
  }

  private bound(amount: Decimal): void {
    const places = amount.decimalPlaces();
    const magnitude = Math.abs(amount.toNumber());
    if (!Number.isFinite(places) || !Number.isFinite(magnitude)) {
      this.exact = false;
      return;
    }
    this.places = Math.max(this.places, places);
    this.magnitude += magnitude;
    // Every partial sum is below the magnitude bound (doubled against float rounding), so at
    // `places` decimals it has fewer than 40 digits: Decimal adds and subtracts it exactly.
    if (this.magnitude * 2 + 1 >= 10 ** (DECIMAL_DIGITS - this.places)) this.exact = false;
  }

  private sum(entry: TrackedTrade<T>, direction: 1 | -1): void {
    const { realizedPnl, fees, leverage } = entry.trade;
    const add = (total: Decimal, amount: Decimal) => (direction === 1 ? total.plus(amount) : total.minus(amount));
    if (entry.sign > 0) this.grossWin = add(this.grossWin, realizedPnl);
    if (entry.sign < 0) this.grossLoss = add(this.grossLoss, realizedPnl);
    this.realized = add(this.realized, realizedPnl);
    this.fees = add(this.fees, fees);
    this.leverage = add(this.leverage, leverage);
  }

  private reset(): void {
    this.grossWin = this.grossLoss = this.realized = this.fees = this.leverage = ZERO;
    this.places = 0;
    this.magnitude = 0;
    this.exact = true;
  }

  /** computeTradeMetrics, step for step, from the entries and the running sums. */
  private compute(): TradeMetrics {
    const entries = this.entries;
    const n = entries.length;
    let wins = 0;
    let longs = 0;
    let winStreak = 0;
    let lossStreak = 0;
    let longestWinStreak = 0;
    let longestLossStreak = 0;
    let biggestWin: TrackedTrade<T> | null = null;
    let biggestLoss: TrackedTrade<T> | null = null;
    let holdSum = 0;
    const holds: number[] = new Array<number>(n);
    const confidences: number[] = [];
    const confidentPnl: number[] = [];
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      const t = e.trade;
      if (e.sign > 0) {
        wins++;
        // The first of the largest, as a reduce with a strict comparison keeps it (numbers order as their Decimals, ties asked of the Decimals).
        if (biggestWin === null || e.pnl > biggestWin.pnl || (e.pnl === biggestWin.pnl && t.realizedPnl.gt(biggestWin.trade.realizedPnl))) biggestWin = e;
      } else if (e.sign < 0) {
        if (biggestLoss === null || e.pnl < biggestLoss.pnl || (e.pnl === biggestLoss.pnl && t.realizedPnl.lt(biggestLoss.trade.realizedPnl))) biggestLoss = e;
      }
      winStreak = e.sign > 0 ? winStreak + 1 : 0;
      lossStreak = e.sign < 0 ? lossStreak + 1 : 0;
      longestWinStreak = Math.max(longestWinStreak, winStreak);
      longestLossStreak = Math.max(longestLossStreak, lossStreak);
      holds[i] = e.hold;
      holdSum += e.hold;
      if (t.side === "LONG") longs++;
      if (t.exitPlan.confidence !== null) {
        confidences.push(t.exitPlan.confidence);
        confidentPnl.push(e.pnl);
      }
    }
    const grossLoss = this.grossLoss.abs();
    return {
      tradeCount: n,
      winRate: n > 0 ? wins / n : null,
      profitFactor: grossLoss.gt(0) ? this.grossWin.div(grossLoss).toNumber() : null,
      expectancy: n > 0 ? this.realized.div(n) : null,
      biggestWin: biggestWin === null ? null : biggestWin.trade.realizedPnl,
      biggestLoss: biggestLoss === null ? null : biggestLoss.trade.realizedPnl,
      longestWinStreak,
      longestLossStreak,
      averageHoldMs: n > 0 ? holdSum / n : null,
      medianHoldMs: n > 0 ? median(holds) : null,
      longShare: n > 0 ? longs / n : null,
      averageLeverage: n > 0 ? this.leverage.div(n).toNumber() : null,
      averageConfidence: confidences.length > 0 ? mean(confidences) : null,
      feesPaid: this.fees,
      realizedPnl: this.realized,
      decisionQuality: pearsonCorrelation(confidences, confidentPnl),
    };
  }
}

/** Significant digits of core's Decimal. */
const DECIMAL_DIGITS = 40;

/** Computes every performance metric; pure and deterministic. With `minimums`, also why each null one is null. */
export function computePerformanceMetrics(input: MetricsInput): PerformanceMetrics {
  const { unavailable, ...curve } = computeCurveMetrics(input.snapshots.map(toPoint), input.intervalMs, input.minimums);
  const trades = computeTradeMetrics(input.trades);
  if (input.minimums === undefined) return { ...curve, ...trades };
  return { ...curve, ...trades, unavailable: { ...unavailable, ...tradeReasons(trades) } };
}

/** Why each null trade metric is null. */
export function tradeReasons(m: TradeMetrics): Partial<Record<MetricName, string>> {
  const reasons: Partial<Record<MetricName, string>> = {};
  const none = "no closed trades";
  if (m.tradeCount === 0) {
    for (const k of ["winRate", "expectancy", "averageHoldMs", "medianHoldMs", "longShare", "averageLeverage"] as const) reasons[k] = none;
  }
  if (m.biggestWin === null) reasons.biggestWin = m.tradeCount === 0 ? none : "no winning trade";
  if (m.biggestLoss === null) reasons.biggestLoss = m.tradeCount === 0 ? none : "no losing trade";
  if (m.profitFactor === null) reasons.profitFactor = m.tradeCount === 0 ? none : "no losing trade";
  if (m.averageConfidence === null) reasons.averageConfidence = "no trade stated a confidence";
  if (m.decisionQuality === null) reasons.decisionQuality = "needs two trades with a stated confidence and varied outcomes";
  return reasons;
}
