/**
 * The typed context a prompt is built from. Every field that the prompt prints is
 * optional where the data can be missing (an indicator still warming up, a venue
 * without open interest): a missing value (undefined, null, NaN, Infinity) is
 * omitted together with its label, so a prompt never names data it was not given.
 * Market intelligence is defined here, not imported from market-data, so prompts
 * depends on core and risk only; the worker maps market-data's snapshot onto it.
 */
import type { Decimal, DecisionType, ExitPlan, Side } from "@autonome/core";
import type { ExposureSummary, PerformanceMetrics } from "@autonome/risk";

/** A number as market data gives it, or a Decimal. */
export type Numeric = number | Decimal;

/** The last points of the intraday series, oldest first (10 by convention). */
export interface IntradaySeries {
  /** Minutes between points (3 in the public arenas). */
  intervalMinutes?: number | null;
  midPrices?: readonly Numeric[] | null;
  ema20?: readonly Numeric[] | null;
  macd?: readonly Numeric[] | null;
  rsi7?: readonly Numeric[] | null;
  rsi14?: readonly Numeric[] | null;
}

/** The 4-hour context of a symbol. */
export interface LongerTermContext {
  ema20?: Numeric | null;
  ema50?: Numeric | null;
  atr3?: Numeric | null;
  atr14?: Numeric | null;
  currentVolume?: Numeric | null;
  averageVolume?: Numeric | null;
  /** Last points, oldest first. */
  macd?: readonly Numeric[] | null;
  /** Last points, oldest first. */
  rsi14?: readonly Numeric[] | null;
}

/** Market intelligence for one symbol: exactly the fields the prompt prints. */
export interface SymbolIntelligence {
  symbol: string;
  currentPrice?: Numeric | null;
  ema20?: Numeric | null;
  macd?: Numeric | null;
  rsi7?: Numeric | null;
  openInterestLatest?: Numeric | null;
  openInterestAverage?: Numeric | null;
  /** Funding rate per funding interval as a fraction (0.0001 = 0.01%). */
  fundingRate?: Numeric | null;
  intraday?: IntradaySeries | null;
  longerTerm?: LongerTermContext | null;
}

/** The account as the model sees it. */
export interface AccountContext {
  /** Return since start as a fraction (0.05 = +5%). */
  totalReturn?: number | null;
  availableCash: Decimal;
  accountValue: Decimal;
  sharpe?: number | null;
}

/** One open position, ready to print. */
export interface PositionContext {
  symbol: string;
  side: Side;
  quantity: Decimal;
  entryPrice: Decimal;
  currentPrice: Decimal;
  liquidationPrice?: Decimal | null;
  unrealizedPnl: Decimal;
  leverage: Decimal;
  exitPlan: ExitPlan;
  /** Loss if the stop fills. */
  riskUsd?: Decimal | null;
  notional: Decimal;
}

/** Another model's standing in the competition. */
export interface CompetitorStanding {
  modelName: string;
  rank: number;
  accountValue: Decimal;
  /** Return since start as a fraction. */
  totalReturn: number;
  openPositions?: number | null;
  /** Whether this row is the model being prompted. */
  isSelf?: boolean;
}

/** How often the model took each action on a symbol so far. */
export type ActionCounts = Readonly<Record<string, Partial<Record<DecisionType, number>>>>;

/** Everything `buildTradingPrompts` needs. */
export interface TradingPromptContext {
  /** Display name of the model being prompted. */
  modelName?: string | null;
  /** Epoch ms when the run started. */
  startedAtMs: number;
  /** Epoch ms now (from the injected clock). */
  nowMs: number;
  /** How many times the model has been invoked, this one included. */
  invocationCount: number;
  /** Market intelligence, in the order to print. */
  markets: readonly SymbolIntelligence[];
  account: AccountContext;
  positions: readonly PositionContext[];
  exposure?: ExposureSummary | null;
  performance?: PerformanceMetrics | null;
  actionCounts?: ActionCounts | null;
  competition?: readonly CompetitorStanding[] | null;
  /** Which strategy variant to use; defaults to "balanced". */
  variant?: string | null;
}
