/** A fixed context for tests and snapshots (not exported from the package). */
import { DEFAULT_MARKETS, type Position, emptyExitPlan, toDecimal } from "@autonome/core";
import { computePerformanceMetrics, summarizePositionRisk } from "@autonome/risk";
import type { SymbolIntelligence, TradingPromptContext } from "../context.js";
import { toPositionContexts } from "../positions.js";

const d = toDecimal;
export const START = Date.parse("2026-01-05T00:00:00Z");
export const NOW = START + 3 * 60 * 60_000 + 25 * 60_000;

export function btcIntelligence(): SymbolIntelligence {
  return {
    symbol: "BTC",
    currentPrice: 101234.56,
    ema20: 100987.123456,
    macd: 152.33333333,
    rsi7: 61.98765,
    openInterestLatest: 25432.123,
    openInterestAverage: 25100.9,
    fundingRate: 0.0000125,
    intraday: {
      intervalMinutes: 3,
      midPrices: [100800.1, 100850.25, 100900.5, 100950, 101000.75, 101050.3, 101100.1, 101150.9, 101200.2, 101234.56],
      ema20: [100700.1, 100725.2, 100750.3, 100775.4, 100800.5, 100825.6, 100850.7, 100900.8, 100950.9, 100987.123456],
      macd: [100.1, 105.2, 110.3, 115.4, 120.5, 125.6, 130.7, 140.8, 145.9, 152.33333333],
      rsi7: [55.1, 56.2, 57.3, 58.4, 59.5, 60.6, 61.7, 61.8, 61.9, 61.98765],
      rsi14: [52.1, 52.2, 53.3, 53.4, 54.5, 55.6, 56.7, 57.8, 58.9, 59.1 + 0.2],
    },
    longerTerm: {
      ema20: 99500.4,
      ema50: 97250.8,
      atr3: 950.333,
      atr14: 1100.666,
      currentVolume: 1234.5678,
      averageVolume: 1500.25,
      macd: [800.1, 850.2, 900.3, 950.4, 1000.5, 1050.6, 1100.7, 1150.8, 1200.9, 1250.12345],
      rsi14: [60.1, 61.2, 62.3, 63.4, 64.5, 65.6, 66.7, 67.8, 68.9, 69.0123],
    },
  };
}

function ethIntelligence(): SymbolIntelligence {
  return {
    symbol: "ETH",
    currentPrice: d("3050.123"),
    ema20: 3040.5,
    macd: -4.56789,
    rsi7: 42.1,
    openInterestLatest: 410000.4,
    openInterestAverage: 405000,
    fundingRate: -0.00002,
    intraday: {
      intervalMinutes: 3,
      midPrices: [3060, 3058.5, 3057, 3056.25, 3055, 3054.5, 3053, 3052.1, 3051, 3050.123],
      rsi14: [48, 47.5, 47, 46.5, 46, 45.5, 45, 44.5, 44, 43.5],
    },
  };
}

/** DOGE with indicators still warming up: NaN, null and undefined values. */
function dogeIntelligence(): SymbolIntelligence {
  return {
    symbol: "DOGE",
    currentPrice: 0.1234567,
    ema20: Number.NaN,
    macd: null,
    rsi7: Number.POSITIVE_INFINITY,
    fundingRate: 0.0001,
    intraday: { midPrices: [0.123, 0.1231, Number.NaN] },
    longerTerm: { ema20: 0.12, ema50: null, atr3: 0.002, atr14: 0.0025 },
  };
}

const positions: Position[] = [
  {
    orderId: "o1",
    modelId: "m1",
    symbol: "BTC",
    side: "LONG",
    quantity: d("0.05"),
    entryPrice: d("100000"),
    leverage: d(10),
    exitPlan: { ...emptyExitPlan(), stop: d(98000), target: d(106000), invalidation: "4h close below the 50 EMA", confidence: 0.72 },
    openedAt: START + 60 * 60_000,
  },
  {
    orderId: "o2",
    modelId: "m1",
    symbol: "ETH",
    side: "SHORT",
    quantity: d("1.5"),
    entryPrice: d("3100"),
    leverage: d(5),
    exitPlan: emptyExitPlan(),
    openedAt: START + 2 * 60 * 60_000,
  },
];

/** The fixed context every snapshot pins. */
export function fixedContext(overrides: Partial<TradingPromptContext> = {}): TradingPromptContext {
  const marks = new Map([
    ["BTC", d("101234.56")],
    ["ETH", d("3050.123")],
  ]);
  const exposure = summarizePositionRisk({
    positions,
    marks,
    markets: new Map(DEFAULT_MARKETS.map((m) => [m.symbol, m])),
    accountValue: d("10520.37"),
  });
  const performance = computePerformanceMetrics({
    snapshots: [10000, 10150.5, 10080.25, 10400, 10520.37].map((e, i) => ({ ts: START + i * 5 * 60_000, equity: d(e) })),
    trades: [
      { side: "LONG", leverage: d(8), realizedPnl: d("250.5"), fees: d("3.2"), openedAt: START, closedAt: START + 40 * 60_000, exitPlan: { confidence: 0.8 } },
      { side: "SHORT", leverage: d(5), realizedPnl: d("-80.25"), fees: d("1.1"), openedAt: START, closedAt: START + 90 * 60_000, exitPlan: { confidence: 0.4 } },
    ],
  });
  return {
    modelName: "deepseek-chat-v3",
    startedAtMs: START,
    nowMs: NOW,
    invocationCount: 42,
    markets: [btcIntelligence(), ethIntelligence(), dogeIntelligence()],
    account: { totalReturn: 0.052037, availableCash: d("7654.321"), accountValue: d("10520.37"), sharpe: 1.23456 },
    positions: toPositionContexts(positions, exposure),
    exposure,
    performance,
    actionCounts: { BTC: { CREATE_POSITION: 2, CLOSE_POSITION: 1 }, ETH: { CREATE_POSITION: 1, HOLDING: 3 } },
    competition: [
      { modelName: "qwen3-max", rank: 1, accountValue: d("11234.5"), totalReturn: 0.123450, openPositions: 3 },
      { modelName: "deepseek-chat-v3", rank: 2, accountValue: d("10520.37"), totalReturn: 0.052037, openPositions: 2, isSelf: true },
      { modelName: "buy-and-hold-btc", rank: 3, accountValue: d("9800"), totalReturn: -0.02, openPositions: 1 },
    ],
    variant: "balanced",
    ...overrides,
  };
}
