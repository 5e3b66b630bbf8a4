import type { SymbolIntelligence } from "@autonome/prompts";
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL_CONFIGS, createModelRegistry } from "./registry.js";
import { meanReverter, trendFollower } from "./rule-models.js";
import { BTC_FLAT, T0, inputFor, paperAccount } from "./testing/helpers.js";

const registry = createModelRegistry(DEFAULT_MODEL_CONFIGS, { env: {} });

const uptrend: SymbolIntelligence = {
  symbol: "ETH",
  currentPrice: 3000,
  ema20: 2950,
  rsi7: 60,
  longerTerm: { ema20: 2900, ema50: 2700, atr3: 40, atr14: 50 },
};

describe("rule models end to end through the risk checks and a paper account", () => {
  it("buy-and-hold BTC buys once with 90% of the account at 1x, then holds", async () => {
    const { executor } = paperAccount();
    const agent = registry.get("buy-and-hold-btc");
    const first = await agent.invoke(await inputFor(executor, [BTC_FLAT]), executor);

    expect(first.ok).toBe(true);
    expect(first.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["create_position:executed"]);
    expect(executor.positions.map((p) => `${p.symbol} ${p.side} ${p.quantity} ${p.leverage}x`)).toEqual(["BTC LONG 0.09 1x"]);
    expect(first.toolCalls[0]!.reply).toContain("Updated account:");

    const second = await agent.invoke(await inputFor(executor, [BTC_FLAT]), executor);
    expect(second.toolCalls.map((c) => c.tool)).toEqual(["hold"]);
    expect(executor.positions).toHaveLength(1);
    expect(second.usage.totalTokens).toBe(0);
    expect(second.costUsd.isZero()).toBe(true);
  });

  it("trend follower goes long with the 4h trend, sized from risk_usd, and closes when the trend turns", async () => {
    const { executor } = paperAccount();
    const agent = registry.get("trend-follower");
    const result = await agent.invoke(await inputFor(executor, [uptrend]), executor);

    expect(result.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["create_position:executed"]);
    const position = executor.positions[0]!;
    expect(position.side).toBe("LONG");
    // risk $100 (1% of $10,000) x confidence 0.6 / stop distance 2 x ATR14 (100) = 0.6 ETH
    expect(position.quantity.toString()).toBe("0.6");
    expect(position.exitPlan.stop?.toString()).toBe("2900");

    const turned: SymbolIntelligence = { ...uptrend, currentPrice: 2950, longerTerm: { ...uptrend.longerTerm, ema20: 2650 } };
    executor.setMark("ETH", 2950);
    const exit = await agent.invoke(await inputFor(executor, [turned]), executor);
    expect(exit.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["close_position:executed"]);
    expect(executor.positions).toHaveLength(0);
    expect(executor.trades[0]!.realizedPnl.isNegative()).toBe(true);
  });

  it("trend follower says why it holds: no trend, or not enough 4h history yet", async () => {
    const { executor } = paperAccount();
    const agent = registry.get("trend-follower");
    const young: SymbolIntelligence = { ...uptrend, symbol: "SOL", longerTerm: { ema20: 150, atr3: 3, atr14: 4 } };
    const cold = await agent.invoke(await inputFor(executor, [young]), executor);
    expect(cold.toolCalls.map((c) => c.tool)).toEqual(["hold"]);
    expect(cold.text).toBe("Not enough 4h history yet for EMA20/EMA50 on SOL (50 closed 4-hour candles, about 8 days): holding.");
    const flat: SymbolIntelligence = { ...uptrend, currentPrice: 2800 };
    const mixed = await agent.invoke(await inputFor(executor, [flat, young]), executor);
    expect(mixed.text).toBe("No clear 4h trend on the symbols with history; not enough 4h history yet on SOL: holding.");
  });

  it("mean reverter fades an RSI(7) extreme toward the EMA20 and holds when nothing is stretched", async () => {
    const { executor } = paperAccount();
    const agent = registry.get("mean-reverter");
    const oversold: SymbolIntelligence = { symbol: "SOL", currentPrice: 150, ema20: 156, rsi7: 18 };
    const result = await agent.invoke(await inputFor(executor, [oversold, BTC_FLAT]), executor);

    expect(result.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["create_position:executed"]);
    expect(executor.positions[0]).toMatchObject({ symbol: "SOL", side: "LONG" });
    expect(executor.positions[0]!.exitPlan.target?.toString()).toBe("156");

    const calm = await agent.invoke(await inputFor(executor, [{ ...oversold, rsi7: 40 }]), executor);
    expect(calm.toolCalls.map((c) => c.tool)).toEqual(["hold"]);
  });

  it("sends rule-model calls through the same risk checks: a call over the model's limits is rejected, not executed", async () => {
    const { executor } = paperAccount();
    const agent = createModelRegistry([{ id: "tf", kind: "rule", rule: "trend-follower", limits: { maxOpenPositions: 1 } }], { env: {} }).get("tf");
    const btcUp: SymbolIntelligence = { symbol: "BTC", currentPrice: 100000, longerTerm: { ema20: 99000, ema50: 95000, atr14: 1000 } };
    const result = await agent.invoke(await inputFor(executor, [uptrend, btcUp]), executor);

    expect(result.toolCalls.map((c) => [c.tool, c.status, c.check ?? null])).toEqual([
      ["create_position", "executed", null],
      ["create_position", "rejected", "MAX_OPEN_POSITIONS"],
    ]);
    expect(executor.positions).toHaveLength(1);
  });

  it("decides deterministically from the context alone", async () => {
    const { executor } = paperAccount();
    const input = await inputFor(executor, [uptrend, { symbol: "SOL", currentPrice: 150, rsi7: 80 }], T0);
    expect(trendFollower.decide(input.context)).toEqual(trendFollower.decide(input.context));
    expect(meanReverter.decide(input.context).calls).toEqual([
      {
        name: "create_position",
        args: {
          symbol: "SOL",
          side: "SHORT",
          risk_usd: 50,
          leverage: 2,
          exit_plan: { stop: 153, target: 147, invalidation: "RSI(7) keeps rising and the stop is hit", confidence: 0.5 },
        },
      },
    ]);
  });
});
