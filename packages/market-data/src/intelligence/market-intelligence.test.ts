import { ManualClock } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReplayMarket, ReplayRecording } from "../replay/replay-market.js";
import { SyntheticMarket } from "../synthetic-market.js";
import { FIXTURES } from "../testing/fixtures.js";
import type { Candle } from "../types.js";
import { atr, ema, macd, rsi } from "./indicators.js";
import { MarketIntelligence, aggregateCandles, aggregatedCloses, computeMarketSnapshot } from "./market-intelligence.js";

const DEMO = FIXTURES.demoKlines();
const FUNDING = FIXTURES.demoFunding();

let recording: ReplayRecording | undefined;
function demo(offsetMs: number) {
  recording ??= ReplayRecording.load({ klines: [DEMO], funding: [FUNDING] });
  const clock = new ManualClock(0);
  const source = new ReplayMarket({ clock, recording });
  clock.set(source.startTime + offsetMs);
  return { clock, source };
}

describe("aggregateCandles", () => {
  it("builds aligned windows and drops partial ones at either end", () => {
    const minute = (i: number, close: number): Candle => ({
      openTime: i * 60_000,
      closeTime: (i + 1) * 60_000,
      open: close - 1,
      high: close + 1,
      low: close - 2,
      close,
      volume: 1,
    });
    // Minutes 2..9: windows [0,3) partial, [3,6) and [6,9) whole, [9,12) partial.
    const out = aggregateCandles([2, 3, 4, 5, 6, 7, 8, 9].map((i) => minute(i, 10 * i)), 180_000);
    expect(out).toEqual([
      { openTime: 180_000, closeTime: 360_000, open: 29, high: 51, low: 28, close: 50, volume: 3 },
      { openTime: 360_000, closeTime: 540_000, open: 59, high: 81, low: 58, close: 80, volume: 3 },
    ]);
  });
});

describe("computeMarketSnapshot", () => {
  it("matches indicators recomputed from the source's own closed candles", () => {
    const { source } = demo(2 * 86_400_000 + 37 * 60_000 + 20_000);
    const snapshot = computeMarketSnapshot(source, "BTC", { intradayInterval: "5m" });
    const five = source.candles("BTC", "5m", 120);
    const closes = five.map((c) => c.close);
    expect(snapshot.intraday.mid).toEqual(closes.slice(-10));
    expect(snapshot.intraday.times).toEqual(five.slice(-10).map((c) => c.closeTime));
    expect(snapshot.intraday.ema20).toEqual(ema(closes, 20).slice(-10));
    expect(snapshot.intraday.macd).toEqual(macd(closes).macd.slice(-10));
    expect(snapshot.intraday.rsi7).toEqual(rsi(closes, 7).slice(-10));
    expect(snapshot.rsi14).toBe(rsi(closes, 14).at(-1));
    const four = source.candles("BTC", "4h", 100);
    expect(four.length).toBe(12);
    expect(snapshot.longTerm.ema20).toBeNaN(); // 12 four-hour candles are not enough for EMA 20
    expect(snapshot.longTerm.atr3).toBe(atr(four.map((c) => c.high), four.map((c) => c.low), four.map((c) => c.close), 3).at(-1));
    expect(snapshot.longTerm.volume).toBe(four.at(-1)!.volume);
    expect(snapshot.midPrice.toString()).toBe(source.recordedPrice("BTC"));
    expect(snapshot.fundingRate!.rate.toNumber()).toBeLessThan(0.01);
    expect(snapshot.openInterest).toBeUndefined();
    expect(snapshot.intraday.times.at(-1)!).toBeLessThanOrEqual(snapshot.ts);
  });

  it("gives a full 4-hour context on a warmed-up synthetic market, with 3-minute bars by default", () => {
    const source = new SyntheticMarket({ clock: new ManualClock(Date.UTC(2025, 0, 1)), seed: 3 });
    const snapshot = computeMarketSnapshot(source, "ETH");
    expect(snapshot.intraday.interval).toBe("3m");
    expect(snapshot.intraday.mid).toHaveLength(10);
    const gaps = snapshot.intraday.times.slice(1).map((t, i) => t - snapshot.intraday.times[i]!);
    expect(new Set(gaps)).toEqual(new Set([180_000]));
    for (const value of [snapshot.longTerm.ema20, snapshot.longTerm.ema50, snapshot.longTerm.atr3, snapshot.longTerm.atr14, snapshot.realizedVolatility]) {
      expect(Number.isFinite(value)).toBe(true);
    }
    expect(snapshot.rsi7).toBeGreaterThanOrEqual(0);
    expect(snapshot.rsi7).toBeLessThanOrEqual(100);
    expect(snapshot.openInterest!.gt(0)).toBe(true);
  });
});

describe("MarketIntelligence", () => {
  it("computes a snapshot once per tick, shares it, and recomputes after invalidate or a new time", () => {
    const { clock, source } = demo(86_400_000);
    const intelligence = new MarketIntelligence(source, { intradayInterval: "5m" });
    const first = intelligence.snapshot("ETH");
    expect(intelligence.snapshot("ETH")).toBe(first);
    expect(intelligence.computedCount).toBe(1);
    intelligence.invalidate();
    const again = intelligence.snapshot("ETH");
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    clock.advanceTo(clock.now() + 5 * 60_000);
    const later = intelligence.snapshot("ETH");
    expect(later.ts).toBe(clock.now());
    expect(later.intraday.times.at(-1)).toBe(first.intraday.times.at(-1)! + 5 * 60_000);
    expect(intelligence.snapshots().map((s) => s.symbol).sort()).toEqual(["BNB", "BTC", "DOGE", "ETH", "SOL", "XRP"]);
    expect(intelligence.computedCount).toBe(3 + 5);
  });
});

describe("aggregatedCloses", () => {
  it("gives the closes and close times of aggregateCandles, for one-minute candles with gaps and any start", () => {
    const MIN = 60_000;
    const bars = fc.array(fc.record({ skip: fc.integer({ min: 0, max: 3 }), close: fc.integer({ min: 1, max: 1000 }) }), { maxLength: 80 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), bars, fc.constantFrom(3, 5, 15), (startMinute, spec, width) => {
        let minute = startMinute;
        const candles: Candle[] = spec.map(({ skip, close }) => {
          minute += skip === 3 ? 1 : 0; // some gaps
          const openTime = minute++ * MIN;
          return { openTime, closeTime: openTime + MIN, open: close, high: close + 1, low: close - 1, close, volume: 1 };
        });
        const expected = aggregateCandles(candles, width * MIN);
        expect(aggregatedCloses(candles, width * MIN)).toEqual({ closes: expected.map((c) => c.close), times: expected.map((c) => c.closeTime) });
      }),
      { numRuns: 500 },
    );
  });
});
