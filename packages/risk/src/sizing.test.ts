import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { riskBudgetUsd, sizePosition } from "./sizing.js";
import { MARKETS, d } from "./testing/fixtures.js";

const BTC = MARKETS.get("BTC")!;

describe("sizePosition", () => {
  it("sizes risk_usd over the stop distance, scaled by confidence, rounded down to the lot", () => {
    // 100 / (100000 - 98000) = 0.05 BTC at full confidence; 0.035 at 0.7
    const full = sizePosition({ riskUsd: d(100), entryPrice: d(100000), stop: d(98000), confidence: null, market: BTC });
    expect(full).toMatchObject({ ok: true });
    if (full.ok) {
      expect(full.quantity.toString()).toBe("0.05");
      expect(full.notional.toString()).toBe("5000");
    }
    const partial = sizePosition({ riskUsd: d(100), entryPrice: d(100000), stop: d(98000), confidence: 0.7, market: BTC });
    expect(partial.ok && partial.quantity.toString()).toBe("0.035");
    const third = sizePosition({ riskUsd: d(100), entryPrice: d(100000), stop: d(97000), confidence: null, market: BTC });
    // 100 / 3000 = 0.0333.. -> 0.03333 (5 decimals, down)
    expect(third.ok && third.quantity.toString()).toBe("0.03333");
  });

  it("refuses a zero stop distance, low confidence and sizes below the market minimum", () => {
    expect(sizePosition({ riskUsd: d(100), entryPrice: d(100), stop: d(100), confidence: 1, market: BTC }).ok).toBe(false);
    expect(sizePosition({ riskUsd: d(100), entryPrice: d(100000), stop: d(98000), confidence: 0.2, minConfidence: 0.5, market: BTC }).ok).toBe(false);
    const tiny = sizePosition({ riskUsd: d(0.1), entryPrice: d(100000), stop: d(98000), confidence: 1, market: BTC });
    expect(tiny).toMatchObject({ ok: false });
    if (!tiny.ok) expect(tiny.reason).toMatch(/below the minimum size 0.0001/);
  });

  it("never risks more than the budget (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 10000 }), fc.integer({ min: 10, max: 20000 }), fc.double({ min: 0.05, max: 1, noNaN: true }), (risk, distance, confidence) => {
        const sized = sizePosition({ riskUsd: d(risk), entryPrice: d(100000), stop: d(100000 - distance), confidence, market: BTC });
        if (sized.ok) expect(sized.riskUsd.lte(d(risk).mul(d(confidence)))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("derives a risk budget from equity", () => {
    expect(riskBudgetUsd(d(10000), 0.01).toString()).toBe("100");
    expect(riskBudgetUsd(d(-5), 0.01).toString()).toBe("0");
    expect(() => riskBudgetUsd(d(1), 2)).toThrow(RangeError);
  });
});
