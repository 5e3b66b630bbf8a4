/**
 * Position sizing from a risk budget: quantity = risk_usd / |entry - stop|, scaled
 * by confidence and the circuit breaker, rounded down to the market's lot.
 */
import { type Decimal, type Market, ONE, ZERO, roundToStep, toDecimal } from "@autonome/core";

/** Inputs to {@link sizePosition}. */
export interface SizingInput {
  /** Dollars the position may lose if the stop fills. */
  riskUsd: Decimal;
  entryPrice: Decimal;
  stop: Decimal;
  /** Model confidence in [0, 1]; null counts as 1. */
  confidence: number | null;
  market: Market;
  /** Below this confidence the size is zero (default 0). */
  minConfidence?: number;
  /** Extra multiplier, for example the circuit breaker's (default 1). */
  sizeMultiplier?: Decimal;
}

/** The sized position, or why there is none. */
export type SizingResult =
  | { ok: true; quantity: Decimal; notional: Decimal; riskUsd: Decimal }
  | { ok: false; reason: string };

/** Risk budget per trade: account value times a fraction (0.01 = 1% of equity). */
export function riskBudgetUsd(accountValue: Decimal, riskFraction: number): Decimal {
  if (!(riskFraction >= 0 && riskFraction <= 1)) throw new RangeError(`riskFraction must be in [0, 1], got ${riskFraction}`);
  return accountValue.gt(0) ? accountValue.mul(toDecimal(riskFraction)) : ZERO;
}

/**
 * Sizes a position so that hitting the stop loses about `riskUsd * confidence *
 * sizeMultiplier`, rounded down to the lot (so never more than the budget).
 */
export function sizePosition(input: SizingInput): SizingResult {
  const stopDistance = input.entryPrice.minus(input.stop).abs();
  if (stopDistance.isZero()) return { ok: false, reason: "stop equals entry price: risk per unit is zero" };
  if (input.riskUsd.lte(0)) return { ok: false, reason: "risk budget must be positive" };
  const confidence = input.confidence ?? 1;
  if (confidence < (input.minConfidence ?? 0)) {
    return { ok: false, reason: `confidence ${confidence} is below the minimum ${input.minConfidence}` };
  }
  const scaledRisk = input.riskUsd.mul(toDecimal(confidence)).mul(input.sizeMultiplier ?? ONE);
  const quantity = roundToStep(scaledRisk.div(stopDistance), input.market.lotSize, "down");
  if (quantity.lt(input.market.minSize)) {
    return {
      ok: false,
      reason: `risk $${scaledRisk.toDecimalPlaces(2).toString()} over a stop distance of ${stopDistance.toString()} gives ${quantity.toString()} ${input.market.symbol}, below the minimum size ${input.market.minSize.toString()}`,
    };
  }
  return { ok: true, quantity, notional: quantity.mul(input.entryPrice), riskUsd: quantity.mul(stopDistance) };
}
