/**
 * The circuit breaker: a drawdown from the highest equity of a trailing window
 * (24 h by default) above `reduceAt` (10%) halves new position sizes, above
 * `haltAt` (20%) halts new entries. Closing and holding are never blocked.
 */
import { type Decimal, ONE, ZERO, toDecimal } from "@autonome/core";

/** One equity observation (account value at a time). */
export interface EquitySnapshot {
  /** Epoch ms. */
  ts: number;
  equity: Decimal;
}

/** Thresholds of the circuit breaker, as fractions of the window's peak equity. */
export interface CircuitBreakerConfig {
  /** Trailing window in ms over which the peak is taken. */
  windowMs: number;
  /** Drawdown above which sizes are multiplied by `reducedSizeMultiplier`. */
  reduceAt: number;
  /** Drawdown above which new entries are refused. */
  haltAt: number;
  /** Size multiplier while reduced (0.5 halves sizes). */
  reducedSizeMultiplier: number;
}

/** The defaults of the design: 10% in 24 h halves sizes, 20% halts entries. */
export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerConfig = Object.freeze({
  windowMs: 24 * 60 * 60 * 1000,
  reduceAt: 0.1,
  haltAt: 0.2,
  reducedSizeMultiplier: 0.5,
});

/** What the breaker allows. */
export type CircuitBreakerLevel = "normal" | "reduced" | "halted";

/** The breaker's verdict. */
export interface CircuitBreakerState {
  level: CircuitBreakerLevel;
  /** Drawdown from the window's peak to the current equity, a fraction (0.12 = 12%). */
  drawdown: Decimal;
  /** Peak equity in the window, or null without snapshots. */
  peakEquity: Decimal | null;
  /** Multiplier applied to new position sizes (1, the reduced multiplier, or 0). */
  sizeMultiplier: Decimal;
  /** Human sentence for the prompt and the rejection reason. */
  reason: string;
}

/**
 * Evaluates the breaker at `nowMs` from equity snapshots (any order). The current
 * equity is `currentEquity` if given, else the latest snapshot at or before now.
 */
export function evaluateCircuitBreaker(
  snapshots: readonly EquitySnapshot[],
  nowMs: number,
  config: Partial<CircuitBreakerConfig> = {},
  currentEquity?: Decimal,
): CircuitBreakerState {
  const cfg = { ...DEFAULT_CIRCUIT_BREAKER, ...config };
  if (!(cfg.haltAt >= cfg.reduceAt)) throw new RangeError("haltAt must be at least reduceAt");
  // One pass: the latest snapshot at or before now (when no current equity is given) and the window's peak.
  let latest: EquitySnapshot | undefined;
  let windowPeak: Decimal | undefined;
  for (const s of snapshots) {
    if (s.ts > nowMs) continue;
    if (currentEquity === undefined && (latest === undefined || s.ts >= latest.ts)) latest = s;
    if (s.ts >= nowMs - cfg.windowMs && (windowPeak === undefined || s.equity.gt(windowPeak))) windowPeak = s.equity;
  }
  const current = currentEquity ?? latest?.equity;
  if (current === undefined) {
    return { level: "normal", drawdown: ZERO, peakEquity: null, sizeMultiplier: ONE, reason: "no equity history" };
  }
  const peak = windowPeak !== undefined && windowPeak.gt(current) ? windowPeak : current;
  const drawdown = peak.gt(0) ? peak.minus(current).div(peak) : ZERO;
  const pct = drawdown.mul(100).toDecimalPlaces(1).toString();
  const windowH = Math.round(cfg.windowMs / 3_600_000);
  if (drawdown.gt(cfg.haltAt)) {
    return {
      level: "halted",
      drawdown,
      peakEquity: peak,
      sizeMultiplier: ZERO,
      reason: `drawdown ${pct}% in ${windowH}h exceeds ${cfg.haltAt * 100}%: new entries halted`,
    };
  }
  if (drawdown.gt(cfg.reduceAt)) {
    return {
      level: "reduced",
      drawdown,
      peakEquity: peak,
      sizeMultiplier: toDecimal(cfg.reducedSizeMultiplier),
      reason: `drawdown ${pct}% in ${windowH}h exceeds ${cfg.reduceAt * 100}%: position sizes x${cfg.reducedSizeMultiplier}`,
    };
  }
  return { level: "normal", drawdown, peakEquity: peak, sizeMultiplier: ONE, reason: `drawdown ${pct}% in ${windowH}h` };
}
