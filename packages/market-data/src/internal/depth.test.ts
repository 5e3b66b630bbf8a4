import { DEFAULT_MARKETS, isOnStep, toDecimal } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scaledToText } from "./decimal-text.js";
import { DEFAULT_DEPTH_PROFILE, depthProfile, synthesizeBook } from "./depth.js";

describe("synthesizeBook", () => {
  it("is uncrossed, best first, on the tick and lot grids, with its mid exactly on the grid price it was given", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DEFAULT_MARKETS),
        fc.double({ min: 0.01, max: 500_000, noNaN: true }),
        fc.double({ min: 0, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (market, rawMid, ratio, depth, key) => {
          const mid = Number(rawMid.toFixed(market.priceDecimals));
          fc.pre(mid * 10 ** market.priceDecimals >= 100);
          const book = synthesizeBook(market, 0, mid, ratio, DEFAULT_DEPTH_PROFILE, depth, key);
          expect(book.asks).toHaveLength(Math.min(depth, DEFAULT_DEPTH_PROFILE.levels));
          for (const level of [...book.bids, ...book.asks]) {
            expect(isOnStep(level.price, market.tickSize)).toBe(true);
            expect(isOnStep(level.size, market.lotSize)).toBe(true);
            expect(toDecimal(level.size).gt(0)).toBe(true);
          }
          for (let i = 1; i < book.bids.length; i++) expect(toDecimal(book.bids[i]!.price).lt(book.bids[i - 1]!.price)).toBe(true);
          for (let i = 1; i < book.asks.length; i++) expect(toDecimal(book.asks[i]!.price).gt(book.asks[i - 1]!.price)).toBe(true);
          const bid = toDecimal(book.bids[0]!.price);
          const ask = toDecimal(book.asks[0]!.price);
          expect(bid.lt(ask)).toBe(true);
          expect(bid.plus(ask).div(2).eq(toDecimal(mid.toFixed(market.priceDecimals)))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("widens the spread and thins the touch as volatility rises", () => {
    const btc = DEFAULT_MARKETS.find((m) => m.symbol === "BTC")!;
    const calm = synthesizeBook(btc, 0, 100_000, 1, depthProfile(), 5, 1);
    const wild = synthesizeBook(btc, 0, 100_000, 4, depthProfile(), 5, 1);
    const spread = (b: typeof calm) => toDecimal(b.asks[0]!.price).minus(b.bids[0]!.price).toNumber();
    // 1 bp of 100,000 is 10 (100 ticks); at 4x volatility 1 + 1.5 * 3 = 5.5 bp -> 55.
    expect(spread(calm)).toBe(10);
    expect(spread(wild)).toBe(55);
    expect(toDecimal(wild.bids[0]!.size).lt(calm.bids[0]!.size)).toBe(true);
  });
});

describe("scaledToText", () => {
  it("prints exactly the decimal k / 10^d for any integer and scale", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 0, max: 10 }), (units, decimals) => {
        expect(toDecimal(scaledToText(units, decimals)).eq(toDecimal(units).div(toDecimal(10).pow(decimals)))).toBe(true);
      }),
    );
  });
});
