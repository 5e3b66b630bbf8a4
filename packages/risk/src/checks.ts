/**
 * Pre-trade checks. Every decision a model makes passes through `checkDecision`
 * before it reaches a broker. A failed check is a value `{ ok: false, check,
 * reason }` whose reason is shown to the model; nothing here throws for a bad
 * decision. A passing CREATE_POSITION comes back with its final quantity (sized
 * from risk_usd when asked, scaled by the circuit breaker, rounded to the lot) and
 * leverage.
 *
 * Invariant: what passes can be recorded. Orders store leverage with 2 decimal places
 * and sizes with 8, below 10^10 (@autonome/db's numeric(10,2) and numeric(18,8), written
 * exactly): a leverage with more places is rounded down to 2 (less leverage, never more;
 * the market's and the model's maximum still hold), a size is rounded down to the lot and
 * to 8 places, and a size of 10^10 or more is refused. Each rounding is told to the model
 * in a note.
 */
import {
  Decimal,
  type ExitPlan,
  type Market,
  ONE,
  type Position,
  RiskLimitError,
  type Side,
  type TradingDecision,
  notional,
  roundToStep,
  toDecimal,
} from "@autonome/core";
import type { CircuitBreakerState } from "./circuit-breaker.js";
import { estimateLiquidationPrice, liquidationDistance } from "./liquidation.js";
import { sizePosition } from "./sizing.js";

/** The name of each pre-trade check; stable strings, recorded with rejections. */
export type RiskCheckName =
  | "UNKNOWN_MARKET"
  | "NO_PRICE"
  | "INVALID_SIZE"
  | "BELOW_MINIMUM"
  | "MARKET_MAX_LEVERAGE"
  | "MODEL_MAX_LEVERAGE"
  | "MAX_POSITION_NOTIONAL"
  | "MAX_TOTAL_NOTIONAL"
  | "MIN_LIQUIDATION_DISTANCE"
  | "STOP_REQUIRED"
  | "STOP_WRONG_SIDE"
  | "STOP_BEYOND_LIQUIDATION"
  | "TARGET_WRONG_SIDE"
  | "COOLDOWN"
  | "NO_FLIP"
  | "ONE_ACTION_PER_SYMBOL"
  | "MAX_OPEN_POSITIONS"
  | "POSITION_EXISTS"
  | "NO_POSITION"
  | "CIRCUIT_BREAKER";

/** Every check name, for validation and documentation. */
export const RISK_CHECK_NAMES: readonly RiskCheckName[] = [
  "UNKNOWN_MARKET",
  "NO_PRICE",
  "INVALID_SIZE",
  "BELOW_MINIMUM",
  "MARKET_MAX_LEVERAGE",
  "MODEL_MAX_LEVERAGE",
  "MAX_POSITION_NOTIONAL",
  "MAX_TOTAL_NOTIONAL",
  "MIN_LIQUIDATION_DISTANCE",
  "STOP_REQUIRED",
  "STOP_WRONG_SIDE",
  "STOP_BEYOND_LIQUIDATION",
  "TARGET_WRONG_SIDE",
  "COOLDOWN",
  "NO_FLIP",
  "ONE_ACTION_PER_SYMBOL",
  "MAX_OPEN_POSITIONS",
  "POSITION_EXISTS",
  "NO_POSITION",
  "CIRCUIT_BREAKER",
];

/** Per-model limits. Money in USD. */
export interface RiskLimits {
  /** Maximum leverage for this model (the market's own maximum applies too). */
  maxLeverage: number;
  /** Maximum notional of one position. */
  maxPositionNotionalUsd: Decimal;
  /** Maximum gross notional of all positions after the trade. */
  maxTotalNotionalUsd: Decimal;
  /** Minimum distance from entry to the estimated liquidation price, a fraction (0.05 = 5%). */
  minLiquidationDistance: number;
  /** Maximum number of open positions. */
  maxOpenPositions: number;
  /** After closing a side, entering the opposite side of the same symbol is refused for this long. */
  flipWindowMs: number;
  /** Whether a new position must carry a stop. */
  requireStop: boolean;
  /** Below this confidence a risk_usd-sized entry is refused (0 = never). */
  minConfidence: number;
}

/** Limits suited to a $10k simulated account; override per model. */
export const DEFAULT_RISK_LIMITS: RiskLimits = Object.freeze({
  maxLeverage: 20,
  maxPositionNotionalUsd: toDecimal(50_000),
  maxTotalNotionalUsd: toDecimal(100_000),
  minLiquidationDistance: 0.02,
  maxOpenPositions: 6,
  flipWindowMs: 60 * 60 * 1000,
  requireStop: true,
  minConfidence: 0,
});

/** A recently closed position, as far as the checks need it (a core `Trade` fits). */
export interface RecentClose {
  symbol: string;
  side: Side;
  /** Epoch ms. */
  closedAt: number;
  exitPlan: Pick<ExitPlan, "cooldownUntil">;
}

/** The state a decision is checked against. */
export interface RiskContext {
  /** Epoch ms, from the injected clock. */
  nowMs: number;
  accountValue: Decimal;
  positions: readonly Position[];
  /** Mark price per symbol. */
  marks: ReadonlyMap<string, Decimal>;
  /** Markets by symbol. */
  markets: ReadonlyMap<string, Market>;
  /** Positions closed recently (for cooldowns and flips). */
  recentCloses: readonly RecentClose[];
  /** Symbols already acted on in this run (a check passed and the action executed). */
  actedSymbols: ReadonlySet<string>;
  /** The circuit breaker's verdict; absent means normal. */
  circuitBreaker?: CircuitBreakerState;
}

/** A passed check: the decision to execute, possibly resized, and notes for the model. */
export interface RiskApproval {
  ok: true;
  decision: TradingDecision;
  notes: string[];
}

/** A failed check: which one, and the sentence the model sees. */
export interface RiskRejection {
  ok: false;
  check: RiskCheckName;
  reason: string;
}

/** The outcome of {@link checkDecision}. */
export type RiskCheckResult = RiskApproval | RiskRejection;

function reject(check: RiskCheckName, reason: string): RiskRejection {
  return { ok: false, check, reason };
}

/** Decimal places of a recorded leverage (the Orders column is numeric(10,2)). */
export const RECORDED_LEVERAGE_DECIMALS = 2;
/** Decimal places of a recorded size (the Orders column is numeric(18,8)). */
export const RECORDED_SIZE_DECIMALS = 8;
/** A recorded size is below this many base units (numeric(18,8) holds 10 integer digits). */
export const RECORDED_SIZE_LIMIT: Decimal = toDecimal(10).pow(18 - RECORDED_SIZE_DECIMALS);

const usd = (d: Decimal): string => `$${d.toDecimalPlaces(2).toString()}`;
const pct = (fraction: Decimal | number): string => `${toDecimal(fraction).mul(100).toDecimalPlaces(2).toString()}%`;

/** Checks a decision against the limits in a context; never throws for a bad decision. */
export function checkDecision(decision: TradingDecision, context: RiskContext, limits: RiskLimits = DEFAULT_RISK_LIMITS): RiskCheckResult {
  switch (decision.type) {
    case "HOLDING":
      return { ok: true, decision, notes: [] };
    case "CLOSE_POSITION": {
      const acted = checkActed(decision.symbol, context);
      if (acted) return acted;
      if (!findPosition(context, decision.symbol)) return reject("NO_POSITION", `no open ${decision.symbol} position to close`);
      return { ok: true, decision, notes: [] };
    }
    case "UPDATE_EXIT_PLAN":
      return checkUpdate(decision, context);
    case "CREATE_POSITION":
      return checkCreate(decision, context, limits);
  }
}

/** Converts a rejection into core's typed `RiskLimitError`, for callers that throw. */
export function toRiskLimitError(rejection: RiskRejection): RiskLimitError {
  return new RiskLimitError(rejection.check, rejection.reason);
}

function findPosition(context: RiskContext, symbol: string): Position | undefined {
  return context.positions.find((p) => p.symbol === symbol);
}

function checkActed(symbol: string, context: RiskContext): RiskRejection | null {
  if (context.actedSymbols.has(symbol)) {
    return reject("ONE_ACTION_PER_SYMBOL", `${symbol} was already acted on in this run; one action per symbol per run`);
  }
  return null;
}

function checkSides(side: Side, reference: Decimal, referenceName: string, plan: ExitPlan): RiskRejection | null {
  if (plan.stop !== null) {
    const wrong = side === "LONG" ? plan.stop.gte(reference) : plan.stop.lte(reference);
    if (wrong) {
      return reject(
        "STOP_WRONG_SIDE",
        `a ${side} stop must be ${side === "LONG" ? "below" : "above"} the ${referenceName} ${reference.toString()}, got ${plan.stop.toString()}`,
      );
    }
  }
  if (plan.target !== null) {
    const wrong = side === "LONG" ? plan.target.lte(reference) : plan.target.gte(reference);
    if (wrong) {
      return reject(
        "TARGET_WRONG_SIDE",
        `a ${side} target must be ${side === "LONG" ? "above" : "below"} the ${referenceName} ${reference.toString()}, got ${plan.target.toString()}`,
      );
    }
  }
  return null;
}

function checkUpdate(decision: Extract<TradingDecision, { type: "UPDATE_EXIT_PLAN" }>, context: RiskContext): RiskCheckResult {
  const acted = checkActed(decision.symbol, context);
  if (acted) return acted;
  const position = findPosition(context, decision.symbol);
  if (!position) return reject("NO_POSITION", `no open ${decision.symbol} position to update`);
  const mark = context.marks.get(decision.symbol);
  if (!mark) return reject("NO_PRICE", `no current price for ${decision.symbol}`);
  const sides = checkSides(position.side, mark, "current price", decision.exitPlan);
  if (sides) return sides;
  return { ok: true, decision, notes: [] };
}

function checkCreate(decision: Extract<TradingDecision, { type: "CREATE_POSITION" }>, context: RiskContext, limits: RiskLimits): RiskCheckResult {
  const { symbol, side, exitPlan } = decision;
  const market = context.markets.get(symbol);
  if (!market) return reject("UNKNOWN_MARKET", `unknown market ${symbol}; tradable: ${[...context.markets.keys()].join(", ")}`);
  const acted = checkActed(symbol, context);
  if (acted) return acted;

  const breaker = context.circuitBreaker;
  if (breaker?.level === "halted") return reject("CIRCUIT_BREAKER", breaker.reason);

  if (findPosition(context, symbol)) {
    return reject("POSITION_EXISTS", `a ${symbol} position is already open; close it or update its exit plan`);
  }
  if (context.positions.length >= limits.maxOpenPositions) {
    return reject("MAX_OPEN_POSITIONS", `${context.positions.length} positions are open; the limit is ${limits.maxOpenPositions}`);
  }

  const cooldown = context.recentCloses
    .filter((c) => c.symbol === symbol && c.exitPlan.cooldownUntil !== null && c.exitPlan.cooldownUntil > context.nowMs)
    .map((c) => c.exitPlan.cooldownUntil as number)
    .sort((a, b) => b - a)[0];
  if (cooldown !== undefined) {
    const minutes = Math.ceil((cooldown - context.nowMs) / 60_000);
    return reject("COOLDOWN", `${symbol} is in cooldown for ${minutes} more minute(s)`);
  }
  const flip = context.recentCloses.find(
    (c) => c.symbol === symbol && c.side !== side && context.nowMs - c.closedAt < limits.flipWindowMs,
  );
  if (flip) {
    const minutes = Math.ceil((limits.flipWindowMs - (context.nowMs - flip.closedAt)) / 60_000);
    return reject("NO_FLIP", `a ${flip.side} ${symbol} position was just closed; no ${side} entry for ${minutes} more minute(s)`);
  }

  const notes: string[] = [];
  if (!decision.leverage.isFinite() || decision.leverage.lt(1)) {
    return reject("MODEL_MAX_LEVERAGE", `leverage must be at least 1, got ${decision.leverage.toString()}`);
  }
  const leverage = decision.leverage.toDecimalPlaces(RECORDED_LEVERAGE_DECIMALS, Decimal.ROUND_DOWN);
  if (!leverage.eq(decision.leverage)) {
    notes.push(`leverage ${decision.leverage.toString()}x rounded down to ${leverage.toString()}x (leverage has ${RECORDED_LEVERAGE_DECIMALS} decimal places)`);
  }
  if (leverage.gt(market.maxLeverage)) {
    return reject("MARKET_MAX_LEVERAGE", `${symbol} allows at most ${market.maxLeverage.toDecimalPlaces(2).toString()}x leverage, asked ${leverage.toString()}x`);
  }
  if (leverage.gt(limits.maxLeverage)) {
    return reject("MODEL_MAX_LEVERAGE", `this model may use at most ${limits.maxLeverage}x leverage, asked ${leverage.toString()}x`);
  }

  const entry = context.marks.get(symbol);
  if (!entry || entry.lte(0)) return reject("NO_PRICE", `no current price for ${symbol}`);

  if (exitPlan.stop === null && limits.requireStop) return reject("STOP_REQUIRED", `a new position needs a stop in its exit plan`);
  const sides = checkSides(side, entry, "entry price", exitPlan);
  if (sides) return sides;

  const liquidationPrice = estimateLiquidationPrice(side, entry, leverage, market.maintenanceMarginFraction);
  const distance = liquidationDistance(entry, liquidationPrice);
  if (distance.lt(limits.minLiquidationDistance)) {
    return reject(
      "MIN_LIQUIDATION_DISTANCE",
      `at ${leverage.toString()}x the liquidation price ${liquidationPrice.toDecimalPlaces(market.priceDecimals).toString()} is ${pct(distance)} from entry; the minimum is ${pct(limits.minLiquidationDistance)}`,
    );
  }
  if (exitPlan.stop !== null) {
    const beyond = side === "LONG" ? exitPlan.stop.lte(liquidationPrice) : exitPlan.stop.gte(liquidationPrice);
    if (beyond) {
      return reject(
        "STOP_BEYOND_LIQUIDATION",
        `the stop ${exitPlan.stop.toString()} lies beyond the liquidation price ${liquidationPrice.toDecimalPlaces(market.priceDecimals).toString()}; lower the leverage or tighten the stop`,
      );
    }
  }

  const multiplier = breaker?.sizeMultiplier ?? ONE;
  let quantity: Decimal;
  if (decision.quantity !== null) {
    if (!decision.quantity.isFinite() || decision.quantity.lte(0)) {
      return reject("INVALID_SIZE", `quantity must be positive, got ${decision.quantity.toString()}`);
    }
    quantity = roundToStep(decision.quantity.mul(multiplier), market.lotSize, "down");
    if (multiplier.eq(ONE) && !quantity.eq(decision.quantity) && quantity.gt(0)) {
      notes.push(`quantity ${decision.quantity.toString()} rounded down to ${quantity.toString()} (the ${symbol} lot is ${market.lotSize.toString()})`);
    }
  } else if (decision.riskUsd !== null) {
    if (exitPlan.stop === null) return reject("STOP_REQUIRED", `sizing from risk_usd needs a stop`);
    const sized = sizePosition({
      riskUsd: decision.riskUsd,
      entryPrice: entry,
      stop: exitPlan.stop,
      confidence: exitPlan.confidence,
      market,
      minConfidence: limits.minConfidence,
      sizeMultiplier: multiplier,
    });
    if (!sized.ok) return reject("INVALID_SIZE", sized.reason);
    quantity = sized.quantity;
    notes.push(`sized ${quantity.toString()} ${symbol} from risk ${usd(decision.riskUsd)} and confidence ${exitPlan.confidence ?? 1}`);
  } else {
    return reject("INVALID_SIZE", "give either quantity or risk_usd");
  }
  if (!multiplier.eq(ONE) && breaker) notes.push(breaker.reason);
  if (quantity.decimalPlaces() > RECORDED_SIZE_DECIMALS) {
    // A market whose lot is finer than Orders record: the size is rounded down to what they hold.
    const recorded = quantity.toDecimalPlaces(RECORDED_SIZE_DECIMALS, Decimal.ROUND_DOWN);
    notes.push(`quantity ${quantity.toString()} rounded down to ${recorded.toString()} (sizes have ${RECORDED_SIZE_DECIMALS} decimal places)`);
    quantity = recorded;
  }
  if (quantity.gte(RECORDED_SIZE_LIMIT)) {
    return reject("INVALID_SIZE", `quantity ${quantity.toString()} is too large; a size must be below ${RECORDED_SIZE_LIMIT.toString()}`);
  }

  const positionNotional = notional(quantity, entry);
  if (quantity.lt(market.minSize) || positionNotional.lt(market.minNotional)) {
    return reject(
      "BELOW_MINIMUM",
      `${quantity.toString()} ${symbol} (${usd(positionNotional)}) is below the minimum of ${market.minSize.toString()} ${symbol} and ${usd(market.minNotional)}`,
    );
  }
  if (positionNotional.gt(limits.maxPositionNotionalUsd)) {
    return reject("MAX_POSITION_NOTIONAL", `notional ${usd(positionNotional)} exceeds the per-position limit ${usd(limits.maxPositionNotionalUsd)}`);
  }
  let gross = positionNotional;
  for (const p of context.positions) gross = gross.plus(notional(p.quantity, context.marks.get(p.symbol) ?? p.entryPrice));
  if (gross.gt(limits.maxTotalNotionalUsd)) {
    return reject("MAX_TOTAL_NOTIONAL", `total notional would be ${usd(gross)}, above the limit ${usd(limits.maxTotalNotionalUsd)}`);
  }

  return { ok: true, decision: { ...decision, quantity, leverage, riskUsd: decision.riskUsd }, notes };
}

