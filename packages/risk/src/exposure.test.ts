import { describe, expect, it } from "vitest";
import { summarizePositionRisk } from "./exposure.js";
import { estimateLiquidationPrice, liquidationDistance } from "./liquidation.js";
import { MARKETS, d, plan, position } from "./testing/fixtures.js";

describe("estimateLiquidationPrice", () => {
  it("places a 10x long's liquidation 10% minus maintenance margin below entry", () => {
    // 1/10 - 0.012 = 0.088 cushion: 100000 * 0.912
    expect(estimateLiquidationPrice("LONG", d(100000), d(10), d("0.012")).toString()).toBe("91200");
    expect(estimateLiquidationPrice("SHORT", d(100000), d(10), d("0.012")).toString()).toBe("108800");
  });

  it("measures distance to liquidation as a fraction of the price", () => {
    expect(liquidationDistance(d(100), d(90)).toString()).toBe("0.1");
    expect(liquidationDistance(d(100), d(125)).toString()).toBe("0.25");
  });
});

describe("summarizePositionRisk", () => {
  it("sums gross and net notional, margin, PnL and risk to stops over positions at their marks", () => {
    const summary = summarizePositionRisk({
      positions: [
        position("BTC", "LONG", "0.1", "100000", "10", plan({ stop: d(98000) })),
        position("ETH", "SHORT", "2", "3000", "5"),
      ],
      marks: new Map([
        ["BTC", d(101000)],
        ["ETH", d(3100)],
      ]),
      markets: MARKETS,
      accountValue: d(10000),
    });
    // BTC 0.1 * 101000 = 10100 long; ETH 2 * 3100 = 6200 short
    expect(summary.grossNotional.toString()).toBe("16300");
    expect(summary.netNotional.toString()).toBe("3900");
    // margins 10000/10 + 6000/5
    expect(summary.marginUsed.toString()).toBe("2200");
    // +100 on BTC, -200 on ETH
    expect(summary.unrealizedPnl.toString()).toBe("-100");
    expect(summary.leverageUsed.toString()).toBe("1.63");
    // BTC stop at 98000 loses 0.1 * 2000
    expect(summary.riskToStops.toString()).toBe("200");
    expect(summary.unprotectedSymbols).toEqual(["ETH"]);
    const eth = summary.positions.find((p) => p.symbol === "ETH")!;
    // 3000 * (1 + 0.2 - 0.012) = 3564; (3564 - 3100) / 3100
    expect(eth.liquidationPrice.toString()).toBe("3564");
    expect(eth.liquidationDistance.toDecimalPlaces(6).toString()).toBe("0.149677");
    expect(summary.closestToLiquidation?.symbol).toBe("BTC");
  });

  it("prefers liquidation prices reported by the broker and reports a flat account as empty", () => {
    const summary = summarizePositionRisk({
      positions: [position("BTC", "LONG", "1", "100", "2")],
      marks: new Map(),
      markets: MARKETS,
      accountValue: d(100),
      liquidationPrices: new Map([["BTC", d(60)]]),
    });
    expect(summary.positions[0]!.liquidationPrice.toString()).toBe("60");
    expect(summary.positions[0]!.markPrice.toString()).toBe("100");
    const flat = summarizePositionRisk({ positions: [], marks: new Map(), markets: MARKETS, accountValue: d(0) });
    expect(flat.grossNotional.isZero()).toBe(true);
    expect(flat.leverageUsed.isZero()).toBe(true);
    expect(flat.closestToLiquidation).toBeNull();
  });
});
