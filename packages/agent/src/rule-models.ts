/**
 * Built-in rule models: deterministic strategies that need no network and emit
 * the same tool calls as a language model, through the same session (argument
 * validation, risk checks, executor). They read the same context the prompt is
 * built from, so the embedded default arena really trades.
 */
import { createRandom } from "@autonome/core";
import type { Numeric, PositionContext, SymbolIntelligence, TradingPromptContext } from "@autonome/prompts";
import { isPresent } from "@autonome/prompts";
import type { ToolName } from "./tools.js";

/** A tool call a rule model makes, with arguments as a model would write them. */
export interface RuleToolCall {
  name: ToolName;
  args: Record<string, unknown>;
}

/** A rule model's decision for one run. */
export interface RuleDecision {
  calls: RuleToolCall[];
  /** The reasoning, returned as the invocation's final text. */
  reasoning: string;
}

/** The built-in rule model kinds. */
export type RuleModelKind = "buy-and-hold-btc" | "trend-follower" | "mean-reverter" | "intraday-momentum" | "random-trader";
/** Every built-in rule model kind. */
export const RULE_MODEL_KINDS: readonly RuleModelKind[] = ["buy-and-hold-btc", "trend-follower", "mean-reverter", "intraday-momentum", "random-trader"];

/** What a rule decides with besides the context. */
export interface RuleOptions {
  /** Seed of any randomness: a rule that draws derives its draws from this and the context's time, so a run repeats. */
  seed: string;
}

/** A deterministic strategy over the prompt context (and, for a random one, a seed). */
export interface RuleModel {
  kind: RuleModelKind;
  decide(context: TradingPromptContext, options?: RuleOptions): RuleDecision;
}

const num = (v: Numeric | null | undefined): number | null => (isPresent(v) ? Number(v.toString()) : null);
/** Rounds a price to 6 significant digits so arguments look like a model's, not float noise. */
const price = (v: number): number => Number(v.toPrecision(6));

function positionOf(context: TradingPromptContext, symbol: string): PositionContext | undefined {
  return context.positions.find((p) => p.symbol === symbol);
}

function accountValue(context: TradingPromptContext): number {
  return Number(context.account.accountValue.toString());
}

function finish(calls: RuleToolCall[], reasons: string[], idle: string): RuleDecision {
  if (calls.length === 0) return { calls: [{ name: "hold", args: { reason: idle } }], reasoning: idle };
  return { calls, reasoning: reasons.join(" ") };
}

/** Buys BTC once with 90% of the account at 1x and holds it. */
export const buyAndHoldBtc: RuleModel = {
  kind: "buy-and-hold-btc",
  decide(context) {
    if (positionOf(context, "BTC")) return finish([], [], "Holding the BTC position: buy and hold never sells.");
    const btc = num(context.markets.find((m) => m.symbol === "BTC")?.currentPrice);
    if (btc === null || btc <= 0) return finish([], [], "No BTC price this run: waiting to buy.");
    const quantity = Math.floor(((accountValue(context) * 0.9) / btc) * 1e5) / 1e5;
    return finish(
      [
        {
          name: "create_position",
          args: {
            symbol: "BTC",
            side: "LONG",
            quantity,
            leverage: 1,
            exit_plan: { stop: price(btc * 0.5), target: price(btc * 3), invalidation: "none: buy and hold", confidence: 1 },
          },
        },
      ],
      [`Buying ${quantity} BTC at about ${price(btc)} with 90% of the account, 1x, to hold.`],
      "",
    );
  },
};

function atrOf(m: SymbolIntelligence, last: number): number {
  return num(m.longerTerm?.atr14) ?? num(m.longerTerm?.atr3) ?? last * 0.01;
}

/** Follows the 4-hour trend: long when EMA20 > EMA50 and price above EMA20, short in the mirror case, out when the trend turns. */
export const trendFollower: RuleModel = {
  kind: "trend-follower",
  decide(context) {
    const calls: RuleToolCall[] = [];
    const reasons: string[] = [];
    const riskUsd = Math.round(accountValue(context) * 0.01 * 100) / 100;
    const warmingUp: string[] = [];
    for (const m of context.markets) {
      const last = num(m.currentPrice);
      const fast = num(m.longerTerm?.ema20);
      const slow = num(m.longerTerm?.ema50);
      if (last === null || fast === null || slow === null) {
        warmingUp.push(m.symbol);
        continue;
      }
      const up = fast > slow && last > fast;
      const down = fast < slow && last < fast;
      const open = positionOf(context, m.symbol);
      if (open) {
        if ((open.side === "LONG" && fast < slow) || (open.side === "SHORT" && fast > slow)) {
          calls.push({ name: "close_position", args: { symbol: m.symbol, reason: "the 4h trend turned against the position" } });
          reasons.push(`${m.symbol}: closing the ${open.side}, EMA20 crossed EMA50.`);
        }
        continue;
      }
      if (!up && !down) continue;
      const atr = atrOf(m, last);
      const side = up ? "LONG" : "SHORT";
      const sign = up ? 1 : -1;
      calls.push({
        name: "create_position",
        args: {
          symbol: m.symbol,
          side,
          risk_usd: riskUsd,
          leverage: 3,
          exit_plan: {
            stop: price(last - sign * 2 * atr),
            target: price(last + sign * 4 * atr),
            invalidation: `4h EMA20 crosses ${up ? "below" : "above"} EMA50`,
            confidence: 0.6,
          },
        },
      });
      reasons.push(`${m.symbol}: ${side} with the 4h trend (EMA20 ${price(fast)} vs EMA50 ${price(slow)}), stop 2 ATR away.`);
    }
    // Say why it holds: a flat market, or not enough history yet (EMA50 of 4h candles needs about 8 days).
    const idle =
      warmingUp.length === context.markets.length && warmingUp.length > 0
        ? `Not enough 4h history yet for EMA20/EMA50 on ${warmingUp.join(", ")} (50 closed 4-hour candles, about 8 days): holding.`
        : warmingUp.length > 0
          ? `No clear 4h trend on the symbols with history; not enough 4h history yet on ${warmingUp.join(", ")}: holding.`
          : "No clear 4h trend on any symbol: holding.";
    return finish(calls, reasons, idle);
  },
};

/** Fades RSI(7) extremes: long at or below 25, short at or above 75, out when RSI crosses back over 50. */
export const meanReverter: RuleModel = {
  kind: "mean-reverter",
  decide(context) {
    const calls: RuleToolCall[] = [];
    const reasons: string[] = [];
    const riskUsd = Math.round(accountValue(context) * 0.005 * 100) / 100;
    for (const m of context.markets) {
      const last = num(m.currentPrice);
      const rsi = num(m.rsi7);
      if (last === null || rsi === null) continue;
      const open = positionOf(context, m.symbol);
      if (open) {
        if ((open.side === "LONG" && rsi >= 50) || (open.side === "SHORT" && rsi <= 50)) {
          calls.push({ name: "close_position", args: { symbol: m.symbol, reason: `RSI(7) back to ${rsi.toFixed(1)}: reverted` } });
          reasons.push(`${m.symbol}: taking the reversion, RSI(7) ${rsi.toFixed(1)}.`);
        }
        continue;
      }
      if (rsi > 25 && rsi < 75) continue;
      const up = rsi <= 25;
      const sign = up ? 1 : -1;
      const ema = num(m.ema20);
      const target = ema !== null && (up ? ema > last : ema < last) ? ema : last * (1 + sign * 0.02);
      calls.push({
        name: "create_position",
        args: {
          symbol: m.symbol,
          side: up ? "LONG" : "SHORT",
          risk_usd: riskUsd,
          leverage: 2,
          exit_plan: {
            stop: price(last * (1 - sign * 0.02)),
            target: price(target),
            invalidation: `RSI(7) keeps ${up ? "falling" : "rising"} and the stop is hit`,
            confidence: 0.5,
          },
        },
      });
      reasons.push(`${m.symbol}: RSI(7) ${rsi.toFixed(1)} is stretched, fading it ${up ? "LONG" : "SHORT"} toward the EMA20.`);
    }
    return finish(calls, reasons, "No RSI(7) extreme on any symbol: holding.");
  },
};

/** The exit plan and size both intraday rules use: risk 0.5% of the account with a stop 1.5% away and a target 4.5% away, at 3x. */
function intradayEntry(context: TradingPromptContext, symbol: string, last: number, side: "LONG" | "SHORT", invalidation: string): RuleToolCall {
  const sign = side === "LONG" ? 1 : -1;
  return {
    name: "create_position",
    args: {
      symbol,
      side,
      risk_usd: Math.round(accountValue(context) * 0.005 * 100) / 100,
      leverage: 3,
      exit_plan: { stop: price(last * (1 - sign * 0.015)), target: price(last * (1 + sign * 0.045)), invalidation, confidence: 1 },
    },
  };
}

/**
 * Follows intraday momentum on the 3-minute series: long when the price is above its
 * EMA20 and MACD is positive, short in the mirror case, out when the price crosses back
 * over the EMA20. It is the rule that finds a season's planted signal (a persistent drift
 * shows as price away from its EMA with MACD agreeing).
 */
export const intradayMomentum: RuleModel = {
  kind: "intraday-momentum",
  decide(context) {
    const calls: RuleToolCall[] = [];
    const reasons: string[] = [];
    for (const m of context.markets) {
      const last = num(m.currentPrice);
      const ema20 = num(m.ema20);
      const macdNow = num(m.macd);
      if (last === null || ema20 === null || macdNow === null) continue;
      const open = positionOf(context, m.symbol);
      if (open) {
        if ((open.side === "LONG" && last < ema20) || (open.side === "SHORT" && last > ema20)) {
          calls.push({ name: "close_position", args: { symbol: m.symbol, reason: "price crossed back over the 3m EMA20" } });
          reasons.push(`${m.symbol}: closing the ${open.side}, momentum faded (price ${price(last)} vs EMA20 ${price(ema20)}).`);
        }
        continue;
      }
      const up = last > ema20 && macdNow > 0;
      const down = last < ema20 && macdNow < 0;
      if (!up && !down) continue;
      const side = up ? "LONG" : "SHORT";
      calls.push(intradayEntry(context, m.symbol, last, side, `price crosses ${up ? "below" : "above"} the 3m EMA20`));
      reasons.push(`${m.symbol}: ${side} with the 3m momentum (price ${price(last)} vs EMA20 ${price(ema20)}, MACD ${macdNow.toPrecision(3)}).`);
    }
    return finish(calls, reasons, "No intraday momentum on any symbol: holding.");
  },
};

/** Chance a flat symbol is entered, and an open one closed, at each invocation. */
const RANDOM_ENTRY = 0.1;
const RANDOM_EXIT = 0.1;

/**
 * Trades at random, as a control: a flat symbol is entered with probability 0.1 on a
 * coin-flip side (the same size and exit plan as intraday-momentum), an open one closed
 * with probability 0.1. The draws come from the seed and the context's time, so a run
 * with the same seed repeats and another seed trades differently.
 */
export const randomTrader: RuleModel = {
  kind: "random-trader",
  decide(context, options) {
    const random = createRandom(`${options?.seed ?? "random-trader"}@${context.nowMs}`);
    const calls: RuleToolCall[] = [];
    const reasons: string[] = [];
    for (const m of context.markets) {
      // Three draws a symbol whatever happens, so one symbol's state never shifts another's draws.
      const act = random.next();
      const long = random.next() < 0.5;
      void random.next();
      const last = num(m.currentPrice);
      if (last === null || last <= 0) continue;
      const open = positionOf(context, m.symbol);
      if (open) {
        if (act < RANDOM_EXIT) {
          calls.push({ name: "close_position", args: { symbol: m.symbol, reason: "random exit" } });
          reasons.push(`${m.symbol}: closing the ${open.side} at random.`);
        }
        continue;
      }
      if (act >= RANDOM_ENTRY) continue;
      const side = long ? "LONG" : "SHORT";
      calls.push(intradayEntry(context, m.symbol, last, side, "none: a random entry"));
      reasons.push(`${m.symbol}: ${side} at random.`);
    }
    return finish(calls, reasons, "No coin came up this time: holding.");
  },
};

/** The rule model of a kind. */
export const RULE_MODELS: Readonly<Record<RuleModelKind, RuleModel>> = Object.freeze({
  "buy-and-hold-btc": buyAndHoldBtc,
  "trend-follower": trendFollower,
  "mean-reverter": meanReverter,
  "intraday-momentum": intradayMomentum,
  "random-trader": randomTrader,
});
