/** Shared test values (not exported from the package). */
import { type Decimal, DEFAULT_MARKETS, type ExitPlan, type Market, type Position, type Side, emptyExitPlan, toDecimal } from "@autonome/core";

export const MARKETS: ReadonlyMap<string, Market> = new Map(DEFAULT_MARKETS.map((m) => [m.symbol, m]));
export const d = (v: string | number): Decimal => toDecimal(v);

export function plan(overrides: Partial<ExitPlan> = {}): ExitPlan {
  return { ...emptyExitPlan(), ...overrides };
}

export function position(symbol: string, side: Side, quantity: string, entry: string, leverage: string, exitPlan: ExitPlan = plan()): Position {
  return {
    orderId: `o-${symbol}`,
    modelId: "m1",
    symbol,
    side,
    quantity: d(quantity),
    entryPrice: d(entry),
    leverage: d(leverage),
    exitPlan,
    openedAt: 0,
  };
}
