/**
 * Liquidation price estimates for one position in isolation. The estimate ignores
 * the rest of a cross-margin account (which only pushes liquidation further away),
 * so it is the conservative figure a pre-trade check should use.
 */
import { type Decimal, ONE, type Side } from "@autonome/core";

/**
 * Estimated liquidation price of a position opened at `entryPrice` with `leverage`:
 * the price where the margin (notional / leverage) minus the loss equals the
 * maintenance margin. LONG: entry * (1 - 1/leverage + mmf); SHORT: entry * (1 + 1/leverage - mmf).
 */
export function estimateLiquidationPrice(side: Side, entryPrice: Decimal, leverage: Decimal, maintenanceMarginFraction: Decimal): Decimal {
  const cushion = ONE.div(leverage).minus(maintenanceMarginFraction);
  return side === "LONG" ? entryPrice.mul(ONE.minus(cushion)) : entryPrice.mul(ONE.plus(cushion));
}

/** Distance from a price to the liquidation price as a fraction of the price (0.1 = 10% away); never negative. */
export function liquidationDistance(price: Decimal, liquidationPrice: Decimal): Decimal {
  if (price.isZero()) return price;
  const distance = price.minus(liquidationPrice).abs().div(price);
  return distance;
}
