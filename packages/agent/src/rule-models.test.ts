import type { SymbolIntelligence } from "@autonome/prompts";
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL_CONFIGS, createModelRegistry } from "./registry.js";
import { intradayMomentum, meanReverter, randomTrader, trendFollower } from "./rule-models.js";
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

  it("intraday momentum goes with the 3m EMA20 and MACD, risking 0.5% with a 1.5% stop, and leaves when the price crosses back", async () => {
    const { executor } = paperAccount();
    const agent = createModelRegistry([{ id: "momentum", kind: "rule", rule: "intraday-momentum" }], { env: {} }).get("momentum");
    const rising: SymbolIntelligence = { symbol: "ETH", currentPrice: 3000, ema20: 2980, macd: 4 };
    const entered = await agent.invoke(await inputFor(executor, [rising, BTC_FLAT]), executor);
    expect(entered.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["create_position:executed"]);
    // risk $50 / stop distance 45 (1.5% of 3000) = 1.1111 ETH, floored to the lot.
    expect(executor.positions[0]).toMatchObject({ symbol: "ETH", side: "LONG" });
    expect(executor.positions[0]!.exitPlan.stop?.toString()).toBe("2955");
    expect(executor.positions[0]!.exitPlan.target?.toString()).toBe("3135");
    // Price above the EMA but MACD disagreeing: no entry on a flat symbol, and the open one stays.
    const mixed = intradayMomentum.decide((await inputFor(executor, [{ ...rising, macd: -1 }, { symbol: "SOL", currentPrice: 150, ema20: 149, macd: -0.1 }])).context);
    expect(mixed.calls.map((c) => c.name)).toEqual(["hold"]);
    executor.setMark("ETH", 2970);
    const left = await agent.invoke(await inputFor(executor, [{ ...rising, currentPrice: 2970 }]), executor);
    expect(left.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["close_position:executed"]);
  });

  it("random trader repeats its draws for a seed and a time, differs across seeds, and enters about one flat symbol in ten", async () => {
    const { executor } = paperAccount();
    const markets: SymbolIntelligence[] = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE"].map((symbol) => ({ symbol, currentPrice: 100 }));
    const contexts = await Promise.all(Array.from({ length: 200 }, (_, i) => inputFor(executor, markets, T0 + i * 300_000)));
    const entries = (seed: string) => contexts.map((input) => randomTrader.decide(input.context, { seed }).calls.filter((c) => c.name === "create_position").map((c) => `${String(c.args.symbol)} ${String(c.args.side)}`));
    const a = entries("a");
    expect(entries("a")).toEqual(a);
    expect(entries("b")).not.toEqual(a);
    const count = a.flat().length;
    // 1,200 symbol draws at 10%: 120 expected, sd about 10.4.
    expect(count).toBeGreaterThan(85);
    expect(count).toBeLessThan(155);
    const longs = a.flat().filter((e) => e.endsWith("LONG")).length;
    expect(longs / count).toBeGreaterThan(0.35);
    expect(longs / count).toBeLessThan(0.65);
  });

  it("random trader takes its seed from the registry and the entry, so two entries trade differently", async () => {
    const registryOf = (seed: number) => createModelRegistry([{ id: "r1", kind: "rule", rule: "random-trader" }, { id: "r2", kind: "rule", rule: "random-trader" }, { id: "r3", kind: "rule", rule: "random-trader", seed: "r1" }], { env: {}, seed });
    const markets: SymbolIntelligence[] = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE"].map((symbol) => ({ symbol, currentPrice: 100 }));
    const tools = async (seed: number, id: string) => {
      const out: string[] = [];
      for (let i = 0; i < 30; i++) {
        const paper = paperAccount().executor;
        const result = await registryOf(seed).get(id).invoke(await inputFor(paper, markets, T0 + i * 300_000), paper);
        out.push(JSON.stringify(result.toolCalls.map((c) => [c.tool, c.args])));
      }
      return out;
    };
    expect(await tools(1, "r1")).toEqual(await tools(1, "r3"));
    expect(await tools(1, "r1")).not.toEqual(await tools(1, "r2"));
    expect(await tools(1, "r1")).not.toEqual(await tools(2, "r1"));
  });
});
