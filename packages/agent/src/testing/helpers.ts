/** Shared test inputs (not exported from the package). */
import { ManualClock, toDecimal } from "@autonome/core";
import { type SymbolIntelligence, type TradingPromptContext, buildTradingPrompts } from "@autonome/prompts";
import type { AgentInput } from "../result.js";
import { PaperExecutor } from "./paper-executor.js";

export const T0 = Date.parse("2026-01-05T00:00:00Z");

/** A paper account at BTC 100000, ETH 3000, SOL 150 with $10,000. */
export function paperAccount(clock = new ManualClock(T0)): { clock: ManualClock; executor: PaperExecutor } {
  const executor = new PaperExecutor({ clock, marks: [["BTC", 100000], ["ETH", 3000], ["SOL", 150]], startingCash: 10000 });
  return { clock, executor };
}

/** The agent input for the paper account's current state, with the given intelligence. */
export async function inputFor(executor: PaperExecutor, markets: SymbolIntelligence[], nowMs = T0): Promise<AgentInput> {
  const state = await executor.riskState();
  const context: TradingPromptContext = {
    modelName: "test-model",
    startedAtMs: T0,
    nowMs,
    invocationCount: 1,
    markets,
    account: { availableCash: executor.availableCash(), accountValue: executor.accountValue() },
    positions: state.positions.map((p) => ({
      symbol: p.symbol,
      side: p.side,
      quantity: p.quantity,
      entryPrice: p.entryPrice,
      currentPrice: state.marks.get(p.symbol) ?? p.entryPrice,
      unrealizedPnl: toDecimal(0),
      leverage: p.leverage,
      exitPlan: p.exitPlan,
      notional: p.quantity.mul(p.entryPrice),
    })),
  };
  const { systemPrompt, userPrompt } = buildTradingPrompts(context);
  return { systemPrompt, userPrompt, context };
}

export const BTC_FLAT: SymbolIntelligence = { symbol: "BTC", currentPrice: 100000, ema20: 100000, rsi7: 50 };
