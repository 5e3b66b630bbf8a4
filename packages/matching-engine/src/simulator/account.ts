/**
 * Margin and PnL arithmetic of the simulated exchange, as pure functions on core's Decimal.
 * Invariants: a position keeps its cost basis (sum of size x price of what is still open),
 * not a rounded entry price, so realized PnL over a position's whole life is exactly
 * sum(exit notional) - sum(entry notional); nothing here touches floats or time.
 */
import {
  type Decimal,
  type Market,
  ONE,
  type OrderSide,
  type Side,
  ZERO,
  positionSideOf,
  sideSign,
} from "@autonome/core";

/** The size part of a position: direction, size in base units and cost basis (sum of size x entry price). */
export interface PositionAmount {
  side: Side;
  /** Always positive. */
  quantity: Decimal;
  /** Sum of size x price of the open size; entry price = costBasis / quantity. */
  costBasis: Decimal;
}

/** What one fill did to a position. */
export interface PositionFillOutcome {
  /** The position after the fill; null when flat. */
  after: PositionAmount | null;
  /** Part of the fill that reduced the existing position. */
  closedQuantity: Decimal;
  /** Part of the fill that opened or increased a position. */
  openedQuantity: Decimal;
  /** Gross realized PnL of the closed part (before fees). */
  realizedPnl: Decimal;
  /** Whether the fill went through zero and opened the opposite side. */
  flipped: boolean;
}

/** Volume-weighted average entry price of a position. */
export function entryPriceOf(position: PositionAmount): Decimal {
  return position.costBasis.div(position.quantity);
}

/**
 * Applies a fill (order side, size, price) to a position: increases average the entry,
 * reductions realize PnL against the average entry, a fill larger than the position closes it
 * and opens the rest on the other side at the fill price. The basis a partial reduction
 * removes is rounded to `basisDecimals` places (use the market's priceDecimals + sizeDecimals,
 * the scale of a notional), so every basis and PnL stays a short exact decimal and sums never round.
 */
export function applyFillToPosition(
  position: PositionAmount | null,
  orderSide: OrderSide,
  quantity: Decimal,
  price: Decimal,
  basisDecimals = 18,
): PositionFillOutcome {
  if (quantity.lte(0)) throw new RangeError(`fill size must be positive, got ${quantity.toString()}`);
  const fillSide = positionSideOf(orderSide);
  if (position === null || position.quantity.isZero()) {
    return {
      after: { side: fillSide, quantity, costBasis: quantity.mul(price) },
      closedQuantity: ZERO,
      openedQuantity: quantity,
      realizedPnl: ZERO,
      flipped: false,
    };
  }
  if (position.side === fillSide) {
    return {
      after: { side: fillSide, quantity: position.quantity.plus(quantity), costBasis: position.costBasis.plus(quantity.mul(price)) },
      closedQuantity: ZERO,
      openedQuantity: quantity,
      realizedPnl: ZERO,
      flipped: false,
    };
  }
  const sign = sideSign(position.side);
  if (quantity.lt(position.quantity)) {
    // Partial reduction: the removed basis is proportional, rounded to a fixed scale; the rounding
    // stays in the remaining basis and is realized exactly when the position closes.
    const removedBasis = position.costBasis.mul(quantity).div(position.quantity).toDecimalPlaces(basisDecimals);
    return {
      after: { side: position.side, quantity: position.quantity.minus(quantity), costBasis: position.costBasis.minus(removedBasis) },
      closedQuantity: quantity,
      openedQuantity: ZERO,
      realizedPnl: quantity.mul(price).minus(removedBasis).mul(sign),
      flipped: false,
    };
  }
  const realized = position.quantity.mul(price).minus(position.costBasis).mul(sign);
  const rest = quantity.minus(position.quantity);
  return {
    after: rest.isZero() ? null : { side: fillSide, quantity: rest, costBasis: rest.mul(price) },
    closedQuantity: position.quantity,
    openedQuantity: rest,
    realizedPnl: realized,
    flipped: !rest.isZero(),
  };
}

/** Unrealized PnL of a position at a mark price: sign x (quantity x mark - cost basis). */
export function unrealizedPnlOf(position: PositionAmount, markPrice: Decimal): Decimal {
  return position.quantity.mul(markPrice).minus(position.costBasis).mul(sideSign(position.side));
}

/** Notional value of a position at a price. */
export function notionalAt(position: PositionAmount, price: Decimal): Decimal {
  return position.quantity.mul(price);
}

/** Initial margin fraction of a leverage: 1 / leverage. */
export function initialMarginFractionOf(leverage: Decimal): Decimal {
  return ONE.div(leverage);
}

/** Whether a leverage is allowed on a market: positive, finite and at most the market's maxLeverage. */
export function isLeverageAllowed(market: Market, leverage: Decimal): boolean {
  if (!leverage.isFinite() || leverage.lte(0)) return false;
  return leverage.lte(market.maxLeverage);
}

/** Initial margin a notional ties up at a leverage: notional / leverage. */
export function initialMargin(notional: Decimal, leverage: Decimal): Decimal {
  return notional.div(leverage);
}

/** Maintenance margin of a notional: notional x the market's maintenance margin fraction. */
export function maintenanceMargin(market: Market, notional: Decimal): Decimal {
  return notional.mul(market.maintenanceMarginFraction);
}

/** Fee of a fill: notional x fee rate (a fraction; negative rates are rebates). */
export function feeOf(notional: Decimal, feeRate: Decimal): Decimal {
  return notional.mul(feeRate);
}

/**
 * Cash change of one funding settlement for a position: quantity x mark x rate, paid by
 * longs to shorts when the rate is positive (and the other way when negative).
 */
export function fundingCashFlow(side: Side, quantity: Decimal, markPrice: Decimal, rate: Decimal): Decimal {
  return quantity.mul(markPrice).mul(rate).mul(-sideSign(side));
}

/** A cross-margin account's money at a moment. */
export interface AccountMargin {
  cash: Decimal;
  unrealizedPnl: Decimal;
  /** cash + unrealized PnL. */
  equity: Decimal;
  /** Initial margin of positions (at mark) and of resting orders. */
  initialMarginUsed: Decimal;
  maintenanceMargin: Decimal;
  /** equity - initial margin used (may be negative). */
  available: Decimal;
}

/** One open position as the margin computation sees it. */
export interface MarginPosition {
  market: Market;
  amount: PositionAmount;
  leverage: Decimal;
  /** Mark price; the entry price is used when the market has none. */
  markPrice: Decimal | null;
}

/** Cross-margin totals of an account: equity, initial and maintenance margin, available. */
export function accountMargin(cash: Decimal, positions: readonly MarginPosition[], openOrderMargin: Decimal = ZERO): AccountMargin {
  let unrealized = ZERO;
  let initial = openOrderMargin;
  let maintenance = ZERO;
  for (const p of positions) {
    const mark = p.markPrice ?? entryPriceOf(p.amount);
    const notional = notionalAt(p.amount, mark);
    unrealized = unrealized.plus(unrealizedPnlOf(p.amount, mark));
    initial = initial.plus(initialMargin(notional, p.leverage));
    maintenance = maintenance.plus(maintenanceMargin(p.market, notional));
  }
  const equity = cash.plus(unrealized);
  return { cash, unrealizedPnl: unrealized, equity, initialMarginUsed: initial, maintenanceMargin: maintenance, available: equity.minus(initial) };
}

/** The two numbers a liquidation check compares. */
export type MaintenanceStanding = Pick<AccountMargin, "equity" | "maintenanceMargin">;

/**
 * Equity and maintenance margin of an account: `accountMargin`'s two numbers a liquidation
 * check needs (the same sums), without the initial margin (a division per position) and the
 * resting orders' reserve, which a liquidation does not look at.
 */
export function maintenanceStanding(cash: Decimal, positions: readonly MarginPosition[]): MaintenanceStanding {
  let unrealized = ZERO;
  let maintenance = ZERO;
  for (const p of positions) {
    const mark = p.markPrice ?? entryPriceOf(p.amount);
    unrealized = unrealized.plus(unrealizedPnlOf(p.amount, mark));
    maintenance = maintenance.plus(maintenanceMargin(p.market, notionalAt(p.amount, mark)));
  }
  return { equity: cash.plus(unrealized), maintenanceMargin: maintenance };
}

/** Whether an account is liquidatable: it holds positions and equity < maintenance margin. */
export function isBelowMaintenance(margin: MaintenanceStanding): boolean {
  return margin.maintenanceMargin.gt(0) && margin.equity.lt(margin.maintenanceMargin);
}

/**
 * Mark price at which a position would be liquidated, for display, holding everything else
 * fixed. `otherCollateral` = cash + other positions' unrealized PnL - their maintenance margin.
 * Long: P = (costBasis - C) / (q (1 - mmf)); short: P = (C + costBasis) / (q (1 + mmf)).
 * Null when no positive price liquidates it.
 */
export function liquidationPriceEstimate(market: Market, position: PositionAmount, otherCollateral: Decimal): Decimal | null {
  const mmf = market.maintenanceMarginFraction;
  const price =
    position.side === "LONG"
      ? position.costBasis.minus(otherCollateral).div(position.quantity.mul(ONE.minus(mmf)))
      : otherCollateral.plus(position.costBasis).div(position.quantity.mul(ONE.plus(mmf)));
  return price.gt(0) ? price : null;
}

