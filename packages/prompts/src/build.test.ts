import { ConfigError } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildTradingPrompts } from "./build.js";
import type { SymbolIntelligence } from "./context.js";
import { ACCOUNT_LABELS, MARKET_LABELS, POSITION_LABELS, SECTION_HEADERS } from "./labels.js";
import { btcIntelligence, fixedContext } from "./testing/context.js";
import { VARIANT_IDS, getVariant } from "./variants.js";

/** Whether some line of the text starts with the label. */
function names(text: string, label: string): boolean {
  return text.split("\n").some((line) => line.trimStart().startsWith(label));
}

type ScalarField = "currentPrice" | "ema20" | "macd" | "rsi7" | "openInterestLatest" | "openInterestAverage" | "fundingRate";
const SCALARS: readonly ScalarField[] = ["currentPrice", "ema20", "macd", "rsi7", "openInterestLatest", "openInterestAverage", "fundingRate"];
const INTRADAY = [
  ["midPrices", MARKET_LABELS.midPrices],
  ["ema20", MARKET_LABELS.intradayEma20],
  ["macd", MARKET_LABELS.intradayMacd],
  ["rsi7", MARKET_LABELS.intradayRsi7],
  ["rsi14", MARKET_LABELS.intradayRsi14],
] as const;
const LONGER_SERIES = [
  ["macd", MARKET_LABELS.longerTermMacd],
  ["rsi14", MARKET_LABELS.longerTermRsi14],
] as const;
const LONGER_PAIRS = [
  ["ema20", "ema50", MARKET_LABELS.ema20VsEma50],
  ["atr3", "atr14", MARKET_LABELS.atr3VsAtr14],
  ["currentVolume", "averageVolume", MARKET_LABELS.volumeVsAverage],
] as const;

const missing = fc.constantFrom(undefined, null, Number.NaN, Number.POSITIVE_INFINITY);

describe("buildTradingPrompts", () => {
  it.each(VARIANT_IDS)("pins the %s variant's prompts for the fixed context", async (variant) => {
    const { systemPrompt, userPrompt } = buildTradingPrompts(fixedContext({ variant }));
    await expect(`${systemPrompt}\n\n===== USER =====\n\n${userPrompt}\n`).toMatchFileSnapshot(`./__snapshots__/${variant}.txt`);
  });

  it("names every market field of a complete symbol", () => {
    const { userPrompt } = buildTradingPrompts(fixedContext({ markets: [btcIntelligence()] }));
    for (const label of Object.values(MARKET_LABELS)) expect(names(userPrompt, label), label).toBe(true);
  });

  it("never names a market field whose value was not supplied (property over random gaps)", () => {
    fc.assert(
      fc.property(
        fc.record({
          scalars: fc.array(fc.boolean(), { minLength: SCALARS.length, maxLength: SCALARS.length }),
          intraday: fc.array(fc.boolean(), { minLength: INTRADAY.length, maxLength: INTRADAY.length }),
          longerSeries: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
          longerPairs: fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 3, maxLength: 3 }),
          hole: missing,
          seriesHole: fc.boolean(),
        }),
        (gaps) => {
          const full = btcIntelligence();
          const m: SymbolIntelligence = { ...full, intraday: { ...full.intraday }, longerTerm: { ...full.longerTerm } };
          SCALARS.forEach((f, i) => {
            if (!gaps.scalars[i]) (m as unknown as Record<string, unknown>)[f] = gaps.hole;
          });
          const intraday = m.intraday as unknown as Record<string, unknown>;
          INTRADAY.forEach(([f], i) => {
            if (!gaps.intraday[i]) intraday[f] = gaps.seriesHole ? [1, 2, gaps.hole] : gaps.hole;
          });
          const longer = m.longerTerm as unknown as Record<string, unknown>;
          LONGER_SERIES.forEach(([f], i) => {
            if (!gaps.longerSeries[i]) longer[f] = gaps.seriesHole ? [] : gaps.hole;
          });
          LONGER_PAIRS.forEach(([a, b], i) => {
            const [keepA, keepB] = gaps.longerPairs[i]!;
            if (!keepA) longer[a] = gaps.hole;
            if (!keepB) longer[b] = gaps.hole;
          });

          const { userPrompt, systemPrompt } = buildTradingPrompts(fixedContext({ markets: [m] }));
          SCALARS.forEach((f, i) => expect(names(userPrompt, MARKET_LABELS[f]), f).toBe(gaps.scalars[i]));
          INTRADAY.forEach(([f, label], i) => expect(names(userPrompt, label), `intraday ${f}`).toBe(gaps.intraday[i]));
          LONGER_SERIES.forEach(([f, label], i) => expect(names(userPrompt, label), `4h ${f}`).toBe(gaps.longerSeries[i]));
          LONGER_PAIRS.forEach(([a, , label], i) => expect(names(userPrompt, label), `4h ${a}`).toBe(gaps.longerPairs[i]!.every(Boolean)));
          expect(names(userPrompt, MARKET_LABELS.intradayHeader)).toBe(gaps.intraday.some(Boolean));
          expect(names(userPrompt, MARKET_LABELS.longerTermHeader)).toBe(gaps.longerSeries.some(Boolean) || gaps.longerPairs.some((p) => p.every(Boolean)));
          for (const text of [userPrompt, systemPrompt]) expect(text).not.toMatch(/NaN|undefined|null|Infinity/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("omits the sections, headers and rules of context that was not supplied", () => {
    const bare = fixedContext({ exposure: null, performance: null, competition: null, actionCounts: null, positions: [], variant: "situational-awareness" });
    const { systemPrompt, userPrompt } = buildTradingPrompts(bare);
    const seriesless = buildTradingPrompts(fixedContext({ markets: [{ symbol: "BTC", currentPrice: 100 }] })).userPrompt;
    expect(seriesless).not.toMatch(/series/i);
    for (const header of [SECTION_HEADERS.exposure, SECTION_HEADERS.performance, SECTION_HEADERS.competition, SECTION_HEADERS.actionCounts]) {
      expect(userPrompt).not.toContain(header);
    }
    for (const text of [systemPrompt, userPrompt]) expect(text).not.toMatch(/competition|standings/i);
    expect(userPrompt).toContain("None: you are flat.");
    const full = buildTradingPrompts(fixedContext({ variant: "situational-awareness" }));
    expect(full.systemPrompt).toMatch(/Read the competition snapshot first/);
    expect(full.userPrompt).toContain("2. deepseek-chat-v3 (you): $10,520.37 (+5.20%), 2 open positions");
  });

  it("names account and position fields only when they were supplied", () => {
    const full = fixedContext();
    for (const label of Object.values(ACCOUNT_LABELS)) expect(names(buildTradingPrompts(full).userPrompt, label), label).toBe(true);
    const sparse = fixedContext({
      account: { ...full.account, totalReturn: null, sharpe: Number.NaN },
      positions: full.positions.map((p) => ({ ...p, liquidationPrice: null, riskUsd: undefined })),
    });
    const { userPrompt } = buildTradingPrompts(sparse);
    expect(names(userPrompt, ACCOUNT_LABELS.totalReturn)).toBe(false);
    expect(names(userPrompt, ACCOUNT_LABELS.sharpe)).toBe(false);
    expect(names(userPrompt, ACCOUNT_LABELS.accountValue)).toBe(true);
    expect(names(userPrompt, POSITION_LABELS.liquidationPrice)).toBe(false);
    expect(names(userPrompt, POSITION_LABELS.riskUsd)).toBe(false);
    expect(names(userPrompt, POSITION_LABELS.stop)).toBe(true);
  });

  it("omits a position's exit plan fields that are not set", () => {
    const { userPrompt } = buildTradingPrompts(fixedContext());
    const eth = userPrompt.slice(userPrompt.indexOf("- ETH SHORT"), userPrompt.indexOf(SECTION_HEADERS.exposure));
    expect(eth).toContain("liquidation_price:");
    expect(eth).not.toMatch(/stop_loss|profit_target|invalidation|confidence|risk_usd/);
    const btc = userPrompt.slice(userPrompt.indexOf("- BTC LONG"), userPrompt.indexOf("- ETH SHORT"));
    expect(btc).toContain("stop_loss: 98000.0");
    expect(btc).toContain("risk_usd: $100.00");
    expect(btc).toContain("confidence: 0.72");
  });

  it("prints numbers as a trader reads them, never float noise", () => {
    const { userPrompt } = buildTradingPrompts(fixedContext());
    expect(userPrompt).not.toMatch(/\d\.\d{8,}/);
    expect(userPrompt).toContain("current_price = 101234.6");
    expect(userPrompt).toContain("current_rsi (7 period) = 61.99");
    expect(userPrompt).toContain("Funding Rate: 0.0013%");
    expect(userPrompt).toContain("current_price = 0.12346");
    expect(userPrompt).toContain("Available Cash: $7,654.32");
    expect(userPrompt).toContain("It has been 205 minutes since you started trading. The current time is 2026-01-05T03:25:00Z and you have been invoked 42 times.");
  });

  it("resolves variants by id, accepts aggressive as max-leverage and refuses unknown ones with ConfigError", () => {
    expect(getVariant(undefined).id).toBe("balanced");
    expect(getVariant("aggressive").id).toBe("max-leverage");
    expect(() => getVariant("yolo")).toThrow(ConfigError);
    const distinct = new Set(VARIANT_IDS.map((variant) => buildTradingPrompts(fixedContext({ variant })).systemPrompt));
    expect(distinct.size).toBe(VARIANT_IDS.length);
  });
});
