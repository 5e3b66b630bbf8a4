/** Maps core positions and risk's exposure summary onto the prompt's position lines. */
import type { Position } from "@autonome/core";
import type { ExposureSummary } from "@autonome/risk";
import type { PositionContext } from "./context.js";

/** Builds one `PositionContext` per open position from the exposure summary computed by @autonome/risk. */
export function toPositionContexts(positions: readonly Position[], exposure: ExposureSummary): PositionContext[] {
  return positions.map((p) => {
    const e = exposure.positions.find((x) => x.symbol === p.symbol);
    return {
      symbol: p.symbol,
      side: p.side,
      quantity: p.quantity,
      entryPrice: p.entryPrice,
      currentPrice: e?.markPrice ?? p.entryPrice,
      liquidationPrice: e?.liquidationPrice ?? null,
      unrealizedPnl: e?.unrealizedPnl ?? p.quantity.mul(0),
      leverage: p.leverage,
      exitPlan: p.exitPlan,
      riskUsd: e?.riskUsd ?? null,
      notional: e?.notional ?? p.quantity.mul(p.entryPrice),
    };
  });
}
