/**
 * Positions, fills, trades and the decisions a model makes. Money is Decimal;
 * times are epoch milliseconds from the injected Clock.
 */
import type { ExitPlan } from "./exit-plan.js";
import { type Decimal, ZERO } from "./money.js";
import { type OrderSide, type Side, sideSign } from "./side.js";

/** Why a position was closed. */
export type CloseTrigger = "STOP" | "TARGET" | "LIQUIDATION" | "MANUAL";
/** Every close trigger, for validation. */
export const CLOSE_TRIGGERS: readonly CloseTrigger[] = ["STOP", "TARGET", "LIQUIDATION", "MANUAL"];

/** Whether a fill added liquidity (maker) or took it (taker). */
export type Liquidity = "maker" | "taker";

/** An open position of one model on one market. */
export interface Position {
  /** The Order row id that holds this position (Orders is the source of truth). */
  orderId: string;
  modelId: string;
  symbol: string;
  side: Side;
  /** Size in base units, always positive. */
  quantity: Decimal;
  /** Volume-weighted average entry price. */
  entryPrice: Decimal;
  leverage: Decimal;
  exitPlan: ExitPlan;
  /** Epoch ms. */
  openedAt: number;
}

/** One execution of an order against the book. */
export interface Fill {
  /** Unique per venue; a fill whose tradeId was applied already is refused. */
  tradeId: string;
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  price: Decimal;
  quantity: Decimal;
  /** Fee paid (positive) or rebate received (negative), in quote units. */
  fee: Decimal;
  liquidity: Liquidity;
  /** Epoch ms when the fill happened. */
  ts: number;
}

/** A closed position (an Order with status CLOSED). */
export interface Trade {
  orderId: string;
  modelId: string;
  symbol: string;
  side: Side;
  quantity: Decimal;
  entryPrice: Decimal;
  exitPrice: Decimal;
  leverage: Decimal;
  /** Net of fees. */
  realizedPnl: Decimal;
  fees: Decimal;
  closeTrigger: CloseTrigger | null;
  exitPlan: ExitPlan;
  openedAt: number;
  closedAt: number;
}

/** A model's decision, one tool call: what the agent hands to the broker. */
export type TradingDecision =
  | {
      type: "CREATE_POSITION";
      symbol: string;
      side: Side;
      /** Size in base units; or give riskUsd and let sizing derive it from the stop. */
      quantity: Decimal | null;
      riskUsd: Decimal | null;
      leverage: Decimal;
      exitPlan: ExitPlan;
    }
  | { type: "CLOSE_POSITION"; symbol: string; reason: string }
  | { type: "HOLDING"; reason: string }
  | { type: "UPDATE_EXIT_PLAN"; symbol: string; exitPlan: ExitPlan };

/** The kinds of decision, named as the ToolCalls table names them. */
export type DecisionType = TradingDecision["type"];

/** Unrealized PnL of a position at a mark price: sign * (mark - entry) * quantity. */
export function unrealizedPnl(side: Side, quantity: Decimal, entryPrice: Decimal, markPrice: Decimal): Decimal {
  return markPrice.minus(entryPrice).mul(quantity).mul(sideSign(side));
}

/** Notional value of a size at a price (always positive). */
export function notional(quantity: Decimal, price: Decimal): Decimal {
  return quantity.abs().mul(price);
}

/** Realized PnL of closing part or all of a position at an exit price, before fees. */
export function realizedPnl(side: Side, quantity: Decimal, entryPrice: Decimal, exitPrice: Decimal): Decimal {
  return unrealizedPnl(side, quantity, entryPrice, exitPrice);
}

/** Sum of unrealized PnL of positions at their marks; a missing mark counts as entry (zero PnL). */
export function totalUnrealizedPnl(positions: readonly Position[], marks: ReadonlyMap<string, Decimal>): Decimal {
  let total = ZERO;
  for (const p of positions) {
    const mark = marks.get(p.symbol) ?? p.entryPrice;
    total = total.plus(unrealizedPnl(p.side, p.quantity, p.entryPrice, mark));
  }
  return total;
}
