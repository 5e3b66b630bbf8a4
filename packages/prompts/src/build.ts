/**
 * `buildTradingPrompts(context)`: the system prompt (who the model is, its tools,
 * its variant's risk stance and rules) and the user prompt (time, market
 * intelligence per symbol, account, positions, exposure, performance, action
 * counts, competition) in the format of the public LLM trading arenas.
 * Invariant: a value that is missing from the context is omitted with its label;
 * a section with nothing to show is omitted with its header.
 */
import { type DecisionType, toolOfDecisionType } from "@autonome/core";
import type { CompetitorStanding, Numeric, PositionContext, SymbolIntelligence, TradingPromptContext } from "./context.js";
import {
  formatAmount,
  formatDuration,
  formatIndicator,
  formatMoney,
  formatPercent,
  formatPrice,
  formatQuantity,
  formatRatio,
  formatSeries,
  formatSignedPercent,
  formatTime,
  isCompleteSeries,
  isPresent,
} from "./format.js";
import { ACCOUNT_LABELS, MARKET_LABELS, POSITION_LABELS, SECTION_HEADERS } from "./labels.js";
import { type ContextSection, type PromptVariant, type VariantRule, getVariant } from "./variants.js";

/** The two prompts of one invocation. */
export interface TradingPrompts {
  systemPrompt: string;
  userPrompt: string;
  /** The variant used. */
  variant: PromptVariant;
}

type Line = string | null;

function value(label: string, v: Numeric | null | undefined, format: (n: Numeric) => string): Line {
  return isPresent(v) ? `${label} ${format(v)}` : null;
}

function series(label: string, values: readonly Numeric[] | null | undefined, format: (n: Numeric) => string): Line {
  return isCompleteSeries(values) ? `${label} ${formatSeries(values, format)}` : null;
}

function pair(label: string, a: Numeric | null | undefined, b: Numeric | null | undefined, format: (n: Numeric) => string): Line {
  return isPresent(a) && isPresent(b) ? `${label} ${format(a)} vs ${format(b)}` : null;
}

function compact(lines: readonly Line[]): string[] {
  return lines.filter((l): l is string => l !== null);
}

/**
 * The lines of one symbol's block, memoized per SymbolIntelligence object: every model of a
 * tick is shown the same market objects, so each block is formatted once per tick. The
 * context objects are data and must not be mutated after a prompt is built from them.
 */
const marketBlocks = new WeakMap<SymbolIntelligence, readonly string[]>();

function marketBlock(m: SymbolIntelligence): readonly string[] {
  let lines = marketBlocks.get(m);
  if (!lines) {
    lines = formatMarketBlock(m);
    marketBlocks.set(m, lines);
  }
  return lines;
}

function formatMarketBlock(m: SymbolIntelligence): string[] {
  const L = MARKET_LABELS;
  const head = compact([
    value(L.currentPrice, m.currentPrice, formatPrice),
    value(L.ema20, m.ema20, formatPrice),
    value(L.macd, m.macd, formatIndicator),
    value(L.rsi7, m.rsi7, formatIndicator),
    value(L.openInterestLatest, m.openInterestLatest, formatAmount),
    value(L.openInterestAverage, m.openInterestAverage, formatAmount),
    value(L.fundingRate, m.fundingRate, (n) => formatPercent(n, 4)),
  ]);
  const i = m.intraday;
  const intraday = compact([
    series(L.midPrices, i?.midPrices, formatPrice),
    series(L.intradayEma20, i?.ema20, formatPrice),
    series(L.intradayMacd, i?.macd, formatIndicator),
    series(L.intradayRsi7, i?.rsi7, formatIndicator),
    series(L.intradayRsi14, i?.rsi14, formatIndicator),
  ]);
  const t = m.longerTerm;
  const longer = compact([
    pair(L.ema20VsEma50, t?.ema20, t?.ema50, formatPrice),
    pair(L.atr3VsAtr14, t?.atr3, t?.atr14, formatPrice),
    pair(L.volumeVsAverage, t?.currentVolume, t?.averageVolume, formatAmount),
    series(L.longerTermMacd, t?.macd, formatIndicator),
    series(L.longerTermRsi14, t?.rsi14, formatIndicator),
  ]);
  const out = [`### ALL ${m.symbol} DATA`, ...head];
  if (intraday.length > 0) {
    const every = isPresent(i?.intervalMinutes) ? `${i?.intervalMinutes}-minute` : "intraday";
    out.push("", `${L.intradayHeader} (${every} points, oldest → latest):`, ...intraday);
  }
  if (longer.length > 0) out.push("", L.longerTermHeader, ...longer);
  return out;
}

function positionBlock(p: PositionContext): string[] {
  const L = POSITION_LABELS;
  const plan = p.exitPlan;
  const first =
    `- ${p.symbol} ${p.side} ${formatQuantity(p.quantity)} | entry ${formatPrice(p.entryPrice)} | current ${formatPrice(p.currentPrice)}` +
    ` | unrealized PnL ${p.unrealizedPnl.gte(0) ? "+" : ""}${formatMoney(p.unrealizedPnl)} | leverage ${formatRatio(p.leverage)}x | notional ${formatMoney(p.notional)}`;
  const details = compact([
    value(L.liquidationPrice, p.liquidationPrice, formatPrice),
    value(L.stop, plan.stop, formatPrice),
    value(L.target, plan.target, formatPrice),
    plan.invalidation ? `${L.invalidation} ${plan.invalidation}` : null,
    value(L.invalidationPrice, plan.invalidationPrice, formatPrice),
    value(L.confidence, plan.confidence, formatRatio),
    value(L.riskUsd, p.riskUsd, formatMoney),
    plan.timeExit !== null && Number.isFinite(plan.timeExit) ? `${L.timeExit} ${formatTime(plan.timeExit)}` : null,
    plan.cooldownUntil !== null && Number.isFinite(plan.cooldownUntil) ? `${L.cooldownUntil} ${formatTime(plan.cooldownUntil)}` : null,
  ]);
  return [first, ...details.map((d) => `  ${d}`)];
}

function exposureBlock(context: TradingPromptContext): string[] {
  const e = context.exposure;
  if (!e) return [];
  const lines = [
    `Gross notional: ${formatMoney(e.grossNotional)}`,
    `Net notional: ${formatMoney(e.netNotional)} (${e.netNotional.gt(0) ? "net long" : e.netNotional.lt(0) ? "net short" : "flat"})`,
    `Leverage used: ${formatRatio(e.leverageUsed)}x`,
    `Margin used: ${formatMoney(e.marginUsed)}`,
    `Loss if every stop fills: ${formatMoney(e.riskToStops)}`,
  ];
  if (e.unprotectedSymbols.length > 0) lines.push(`Positions without a stop: ${e.unprotectedSymbols.join(", ")}`);
  if (e.closestToLiquidation) {
    lines.push(`Closest to liquidation: ${e.closestToLiquidation.symbol}, ${formatPercent(e.closestToLiquidation.distance)} away`);
  }
  return [SECTION_HEADERS.exposure, ...lines];
}

function performanceBlock(context: TradingPromptContext): string[] {
  const p = context.performance;
  if (!p) return [];
  const num = (label: string, v: number | null, format: (n: number) => string): Line => (v !== null && Number.isFinite(v) ? `${label}: ${format(v)}` : null);
  const lines = compact([
    num("Total return", p.totalReturn, (v) => formatSignedPercent(v)),
    num("Sharpe", p.sharpe, formatRatio),
    num("Sortino", p.sortino, formatRatio),
    num("Calmar", p.calmar, formatRatio),
    `Max drawdown: ${formatPercent(p.maxDrawdown)}${p.maxDrawdownDurationMs > 0 ? ` over ${formatDuration(p.maxDrawdownDurationMs)}` : ""}`,
    `Closed trades: ${p.tradeCount}`,
    num("Win rate", p.winRate, (v) => formatPercent(v, 1)),
    num("Profit factor", p.profitFactor, formatRatio),
    p.expectancy ? `Expectancy per trade: ${formatMoney(p.expectancy)}` : null,
    p.biggestWin ? `Biggest win: ${formatMoney(p.biggestWin)}` : null,
    p.biggestLoss ? `Biggest loss: ${formatMoney(p.biggestLoss)}` : null,
    p.tradeCount > 0 ? `Longest streaks: ${p.longestWinStreak} wins, ${p.longestLossStreak} losses` : null,
    num("Average hold", p.averageHoldMs, formatDuration),
    num("Share of longs", p.longShare, (v) => formatPercent(v, 0)),
    num("Average leverage", p.averageLeverage, (v) => `${formatRatio(v)}x`),
    num("Average confidence", p.averageConfidence, formatRatio),
    `Fees paid: ${formatMoney(p.feesPaid)}`,
    num("Decision quality (confidence vs PnL correlation)", p.decisionQuality, formatRatio),
  ]);
  return [SECTION_HEADERS.performance, ...lines];
}

function actionCountsBlock(context: TradingPromptContext): string[] {
  const counts = context.actionCounts;
  if (!hasSection(context, "actionCounts") || !counts) return [];
  const lines = Object.keys(counts)
    .sort()
    .map((symbol) => {
      const entries = (Object.entries(counts[symbol] ?? {}) as [DecisionType, number][])
        .filter(([, n]) => n > 0)
        .map(([type, n]) => `${n} ${toolOfDecisionType(type)}`);
      return entries.length > 0 ? `${symbol}: ${entries.join(", ")}` : null;
    });
  const shown = compact(lines);
  return shown.length > 0 ? [SECTION_HEADERS.actionCounts, ...shown] : [];
}

function competitionBlock(context: TradingPromptContext): string[] {
  const standings = context.competition;
  if (!standings || standings.length === 0) return [];
  const row = (s: CompetitorStanding) =>
    `${s.rank}. ${s.modelName}${s.isSelf ? " (you)" : ""}: ${formatMoney(s.accountValue)} (${formatSignedPercent(s.totalReturn)})` +
    (s.openPositions !== null && s.openPositions !== undefined ? `, ${s.openPositions} open position${s.openPositions === 1 ? "" : "s"}` : "");
  return [SECTION_HEADERS.competition, ...[...standings].sort((a, b) => a.rank - b.rank).map(row)];
}

function hasSection(context: TradingPromptContext, section: ContextSection): boolean {
  switch (section) {
    case "competition":
      return (context.competition?.length ?? 0) > 0;
    case "performance":
      return context.performance !== null && context.performance !== undefined;
    case "positions":
      return context.positions.length > 0;
    case "actionCounts":
      return Object.values(context.actionCounts ?? {}).some((c) => Object.values(c).some((n) => (n ?? 0) > 0));
  }
}

/** Builds the system prompt of a variant for a context. */
export function buildSystemPrompt(context: TradingPromptContext, variant: PromptVariant = getVariant(context.variant)): string {
  const symbols = context.markets.map((m) => m.symbol);
  const applies = (r: VariantRule) => (!r.requires || hasSection(context, r.requires)) && (!r.unless || !hasSection(context, r.unless));
  const rules = variant.rules.filter(applies).map((r) => `- ${r.text}`);
  const stance = variant.stance.filter(applies).map((r) => r.text).join(" ");
  return [
    `You are ${context.modelName ?? "a trading model"}, an autonomous trader of crypto perpetual futures competing in the Autonome arena.`,
    `Strategy: ${variant.title}. ${stance}`,
    "",
    `Tradable symbols: ${symbols.length > 0 ? symbols.join(", ") : "none this run"}.`,
    "",
    "You act only through these tools, at most one action per symbol per run:",
    `- ${toolOfDecisionType("CREATE_POSITION")}: open a position (symbol, side LONG or SHORT, quantity or risk_usd, leverage, exit plan with stop, target, invalidation and confidence).`,
    `- ${toolOfDecisionType("CLOSE_POSITION")}: close an open position (symbol, reason).`,
    `- ${toolOfDecisionType("UPDATE_EXIT_PLAN")}: change the stop, target or invalidation of an open position.`,
    `- ${toolOfDecisionType("HOLDING")}: do nothing this run (reason).`,
    "Every call passes risk checks before it reaches the exchange. A rejected call comes back with the reason: adjust and call again, or hold. After each executed call you see your updated account.",
    "",
    "Risk:",
    `- Leverage between ${variant.leverage.min}x and ${variant.leverage.max}x.`,
    `- Risk about ${formatPercent(variant.riskPerTrade, 1)} of account value per trade.`,
    `- Cadence: ${variant.cadence}`,
    "",
    "Rules:",
    ...rules,
    "",
    "When you are done, answer with a short summary of your reasoning.",
  ].join("\n");
}

/** Builds the user prompt: the data of this invocation. */
export function buildUserPrompt(context: TradingPromptContext, variant: PromptVariant = getVariant(context.variant)): string {
  const minutes = Math.max(0, Math.round((context.nowMs - context.startedAtMs) / 60_000));
  const a = context.account;
  const out: string[] = [
    `It has been ${minutes} minutes since you started trading. The current time is ${formatTime(context.nowMs)} and you have been invoked ${context.invocationCount} times.`,
    `Below is the market data of every tradable symbol, then your account and positions${hasSection(context, "competition") ? ", and the standings" : ""}.`,
  ];
  const blocks = context.markets.map(marketBlock);
  const hasSeries = blocks.some((block) => block.some((line) => line.endsWith("]")));
  if (hasSeries) out.push("ALL SERIES BELOW ARE ORDERED OLDEST → NEWEST.");
  out.push("", "### CURRENT MARKET STATE FOR ALL COINS");
  for (const block of blocks) out.push("", ...block);
  out.push(
    "",
    "### YOUR ACCOUNT",
    ...compact([
      value(ACCOUNT_LABELS.totalReturn, a.totalReturn, (v) => formatSignedPercent(v)),
      value(ACCOUNT_LABELS.availableCash, a.availableCash, formatMoney),
      value(ACCOUNT_LABELS.accountValue, a.accountValue, formatMoney),
      value(ACCOUNT_LABELS.sharpe, a.sharpe, formatRatio),
    ]),
  );
  out.push("", SECTION_HEADERS.positions);
  if (context.positions.length === 0) out.push("None: you are flat.");
  for (const p of context.positions) out.push(...positionBlock(p));
  for (const block of [exposureBlock(context), performanceBlock(context), actionCountsBlock(context), competitionBlock(context)]) {
    if (block.length > 0) out.push("", ...block);
  }
  out.push("", `Strategy variant: ${variant.title}.`, "Decide now: call the tools for your actions, then summarise your reasoning.");
  return out.join("\n");
}

/** Builds `{ systemPrompt, userPrompt }` from a typed context; pure. Throws ConfigError on an unknown variant. */
export function buildTradingPrompts(context: TradingPromptContext): TradingPrompts {
  const variant = getVariant(context.variant);
  return { systemPrompt: buildSystemPrompt(context, variant), userPrompt: buildUserPrompt(context, variant), variant };
}

