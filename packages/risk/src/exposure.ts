/**
 * Exposure of a model's open positions: gross and net notional, per-symbol detail,
 * leverage used and how far each position is from liquidation. Pure; marks and
 * markets are passed in.
 */
import { type Decimal, type Market, type Position, type Side, ZERO, notional, sideSign, unrealizedPnl } from "@autonome/core";
import { estimateLiquidationPrice, liquidationDistance } from "./liquidation.js";

/** Risk of one open position at its mark. */
export interface PositionExposure {
  symbol: string;
  side: Side;
  quantity: Decimal;
  entryPrice: Decimal;
  markPrice: Decimal;
  leverage: Decimal;
  /** Notional at the mark, always positive. */
  notional: Decimal;
  /** Notional with sign: positive long, negative short. */
  signedNotional: Decimal;
  /** Margin committed at entry: entry notional / leverage. */
  margin: Decimal;
  unrealizedPnl: Decimal;
  /** Liquidation price: from the broker when given, otherwise the isolated estimate. */
  liquidationPrice: Decimal;
  /** Distance from the mark to liquidation as a fraction of the mark. */
  liquidationDistance: Decimal;
  /** Risk to the stop: loss if the stop fills, null without a stop. */
  riskUsd: Decimal | null;
}

/** The exposure summary the trade workflow's `summarizePositionRisk` shows. */
export interface ExposureSummary {
  positions: PositionExposure[];
  /** Sum of absolute notionals. */
  grossNotional: Decimal;
  /** Long notional minus short notional. */
  netNotional: Decimal;
  /** Sum of entry margins. */
  marginUsed: Decimal;
  unrealizedPnl: Decimal;
  /** Gross notional / account value; 0 when the account value is not positive. */
  leverageUsed: Decimal;
  /** Total loss if every stop fills; positions without a stop are excluded and listed. */
  riskToStops: Decimal;
  /** Symbols with no stop in their exit plan. */
  unprotectedSymbols: string[];
  /** The position nearest to liquidation, or null when flat. */
  closestToLiquidation: { symbol: string; distance: Decimal } | null;
}

/** Inputs to {@link summarizePositionRisk}. */
export interface ExposureInput {
  positions: readonly Position[];
  /** Mark price per symbol; a missing mark falls back to the entry price. */
  marks: ReadonlyMap<string, Decimal>;
  /** Markets by symbol, for maintenance margin fractions. */
  markets: ReadonlyMap<string, Market>;
  /** Account value (equity) for leverage used. */
  accountValue: Decimal;
  /** Liquidation prices reported by the broker, preferred over estimates. */
  liquidationPrices?: ReadonlyMap<string, Decimal>;
}

/** Summarises the exposure of open positions. */
export function summarizePositionRisk(input: ExposureInput): ExposureSummary {
  const positions: PositionExposure[] = [];
  let grossNotional = ZERO;
  let netNotional = ZERO;
  let marginUsed = ZERO;
  let pnl = ZERO;
  let riskToStops = ZERO;
  const unprotectedSymbols: string[] = [];
  let closest: { symbol: string; distance: Decimal } | null = null;

  for (const p of input.positions) {
    const mark = input.marks.get(p.symbol) ?? p.entryPrice;
    const market = input.markets.get(p.symbol);
    const liquidationPrice =
      input.liquidationPrices?.get(p.symbol) ??
      estimateLiquidationPrice(p.side, p.entryPrice, p.leverage, market?.maintenanceMarginFraction ?? ZERO);
    const positionNotional = notional(p.quantity, mark);
    const signed = positionNotional.mul(sideSign(p.side));
    const margin = notional(p.quantity, p.entryPrice).div(p.leverage);
    const upnl = unrealizedPnl(p.side, p.quantity, p.entryPrice, mark);
    const distance = liquidationDistance(mark, liquidationPrice);
    const stop = p.exitPlan.stop;
    const riskUsd = stop === null ? null : unrealizedPnl(p.side, p.quantity, p.entryPrice, stop).negated();
    positions.push({
      symbol: p.symbol,
      side: p.side,
      quantity: p.quantity,
      entryPrice: p.entryPrice,
      markPrice: mark,
      leverage: p.leverage,
      notional: positionNotional,
      signedNotional: signed,
      margin,
      unrealizedPnl: upnl,
      liquidationPrice,
      liquidationDistance: distance,
      riskUsd,
    });
    grossNotional = grossNotional.plus(positionNotional);
    netNotional = netNotional.plus(signed);
    marginUsed = marginUsed.plus(margin);
    pnl = pnl.plus(upnl);
    if (riskUsd === null) unprotectedSymbols.push(p.symbol);
    else riskToStops = riskToStops.plus(riskUsd);
    if (closest === null || distance.lt(closest.distance)) closest = { symbol: p.symbol, distance };
  }

  return {
    positions,
    grossNotional,
    netNotional,
    marginUsed,
    unrealizedPnl: pnl,
    leverageUsed: input.accountValue.gt(0) ? grossNotional.div(input.accountValue) : ZERO,
    riskToStops,
    unprotectedSymbols,
    closestToLiquidation: closest,
  };
}
