import { DEFAULT_MARKETS, Decimal, type Market } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  accountMargin,
  applyFillToPosition,
  entryPriceOf,
  feeOf,
  fundingCashFlow,
  initialMargin,
  isBelowMaintenance,
  isLeverageAllowed,
  liquidationPriceEstimate,
  maintenanceMargin,
  maintenanceStanding,
  type PositionAmount,
  unrealizedPnlOf,
} from "./account.js";

const d = (v: string | number) => new Decimal(v);
const BTC = DEFAULT_MARKETS.find((m) => m.symbol === "BTC") as Market; // mmf 0.012, min IMF 0.02
const long = (q: string, basis: string): PositionAmount => ({ side: "LONG", quantity: d(q), costBasis: d(basis) });

describe("applyFillToPosition", () => {
  it("opens a position at the fill price", () => {
    const out = applyFillToPosition(null, "buy", d("0.5"), d("100000"));
    expect(out.after).toEqual({ side: "LONG", quantity: d("0.5"), costBasis: d("50000") });
    expect(out.openedQuantity.toString()).toBe("0.5");
    expect(out.realizedPnl.toString()).toBe("0");
  });

  it("averages the entry price when a position grows", () => {
    // 1 @ 100 then 3 @ 120 -> basis 460, entry 115
    const first = applyFillToPosition(null, "buy", d(1), d(100)).after;
    const out = applyFillToPosition(first, "buy", d(3), d(120));
    expect(out.after?.quantity.toString()).toBe("4");
    expect(entryPriceOf(out.after!).toString()).toBe("115");
  });

  it("realizes PnL against the average entry on a partial reduction", () => {
    // long 4 @ 115, sell 1 @ 130 -> realized 15, 3 left @ 115
    const out = applyFillToPosition(long("4", "460"), "sell", d(1), d(130));
    expect(out.realizedPnl.toString()).toBe("15");
    expect(out.closedQuantity.toString()).toBe("1");
    expect(out.after?.quantity.toString()).toBe("3");
    expect(entryPriceOf(out.after!).toString()).toBe("115");
  });

  it("realizes a short's PnL with the opposite sign", () => {
    // short 2 @ 50, buy 2 @ 45 -> +10
    const out = applyFillToPosition({ side: "SHORT", quantity: d(2), costBasis: d(100) }, "buy", d(2), d(45));
    expect(out.after).toBeNull();
    expect(out.realizedPnl.toString()).toBe("10");
  });

  it("closes and flips to the other side when the fill is larger than the position", () => {
    // long 1 @ 100, sell 3 @ 90 -> realized -10, short 2 @ 90
    const out = applyFillToPosition(long("1", "100"), "sell", d(3), d(90));
    expect(out.flipped).toBe(true);
    expect(out.realizedPnl.toString()).toBe("-10");
    expect(out.after).toEqual({ side: "SHORT", quantity: d(2), costBasis: d(180) });
  });

  it("realizes exactly sum(exit notional) - sum(entry notional) over a position's life despite inexact averages", () => {
    // buys 1 @ 100 and 2 @ 101 (entry 100.666...), sold in thirds at 103, 99, 107
    let p = applyFillToPosition(null, "buy", d(1), d(100)).after;
    p = applyFillToPosition(p, "buy", d(2), d(101)).after;
    let realized = d(0);
    for (const price of [103, 99, 107]) {
      const out = applyFillToPosition(p, "sell", d(1), d(price));
      realized = realized.plus(out.realizedPnl);
      p = out.after;
    }
    expect(p).toBeNull();
    expect(realized.toString()).toBe(d(103 + 99 + 107).minus(302).toString()); // 7
  });

  it("rounds the removed basis to the given scale so partial reductions stay exact at 40 digits", () => {
    // long 0.116 with basis 11600.26; sell 0.016: removed = 11600.26 x 0.016 / 0.116 = 1600.0358620689... -> 1600.035862 at 6 places
    const out = applyFillToPosition(long("0.116", "11600.26"), "sell", d("0.016"), d(99999), 6);
    expect(out.after?.costBasis.toString()).toBe("10000.224138");
    expect(out.realizedPnl.toString()).toBe(d("1599.984").minus("1600.035862").toString());
  });

  it("rejects a non-positive fill size", () => {
    expect(() => applyFillToPosition(null, "buy", d(0), d(1))).toThrow(RangeError);
  });
});

describe("margin arithmetic", () => {
  it("computes unrealized PnL for longs and shorts", () => {
    expect(unrealizedPnlOf(long("2", "200"), d(110)).toString()).toBe("20");
    expect(unrealizedPnlOf({ side: "SHORT", quantity: d(2), costBasis: d(200) }, d(110)).toString()).toBe("-20");
  });

  it("takes initial margin as notional / leverage and maintenance as notional x mmf", () => {
    expect(initialMargin(d(50000), d(10)).toString()).toBe("5000");
    expect(maintenanceMargin(BTC, d(50000)).toString()).toBe("600");
  });

  it("allows leverage up to 1 / minInitialMarginFraction and refuses above, zero or negative", () => {
    expect(isLeverageAllowed(BTC, d(50))).toBe(true);
    expect(isLeverageAllowed(BTC, d("50.5"))).toBe(false);
    expect(isLeverageAllowed(BTC, d(0))).toBe(false);
    expect(isLeverageAllowed(BTC, d(-2))).toBe(false);
  });

  it("charges fees as notional x rate", () => {
    expect(feeOf(d(50000), d("0.001")).toString()).toBe("50");
    expect(feeOf(d(50000), d("0.0005")).toString()).toBe("25");
  });

  it("makes longs pay shorts when the funding rate is positive and the reverse when negative", () => {
    // 0.5 BTC at mark 100000, rate 0.0001 -> 5
    expect(fundingCashFlow("LONG", d("0.5"), d(100000), d("0.0001")).toString()).toBe("-5");
    expect(fundingCashFlow("SHORT", d("0.5"), d(100000), d("0.0001")).toString()).toBe("5");
    expect(fundingCashFlow("LONG", d("0.5"), d(100000), d("-0.0001")).toString()).toBe("5");
  });

  it("sums equity, initial margin, maintenance margin and available across positions", () => {
    // cash 10000; long 0.5 BTC entry 100000 at 10x, mark 98000
    const m = accountMargin(d(10000), [{ market: BTC, amount: long("0.5", "50000"), leverage: d(10), markPrice: d(98000) }], d(100));
    expect(m.unrealizedPnl.toString()).toBe("-1000");
    expect(m.equity.toString()).toBe("9000");
    expect(m.initialMarginUsed.toString()).toBe("5000"); // 49000/10 + 100 of open orders
    expect(m.maintenanceMargin.toString()).toBe("588"); // 49000 x 0.012
    expect(m.available.toString()).toBe("4000");
    expect(isBelowMaintenance(m)).toBe(false);
  });

  it("flags an account whose equity fell below maintenance margin", () => {
    // cash 1000, long 1 BTC @ 100000 at 50x; mark 99000 -> equity 0 < 1188
    const m = accountMargin(d(1000), [{ market: BTC, amount: long("1", "100000"), leverage: d(50), markPrice: d(99000) }]);
    expect(m.equity.toString()).toBe("0");
    expect(isBelowMaintenance(m)).toBe(true);
  });

  it("gives a liquidation check accountMargin's equity and maintenance margin, for any positions, marks and resting-order reserve", () => {
    const ETH = DEFAULT_MARKETS.find((m) => m.symbol === "ETH") as Market;
    const positionArb = fc.record({
      market: fc.constantFrom(BTC, ETH),
      side: fc.constantFrom("LONG" as const, "SHORT" as const),
      lots: fc.integer({ min: 1, max: 100_000 }),
      entry: fc.integer({ min: 1, max: 200_000 }),
      mark: fc.option(fc.integer({ min: 1, max: 200_000 })),
      leverage: fc.integer({ min: 1, max: 50 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: -5_000, max: 100_000 }), fc.array(positionArb, { maxLength: 4 }), fc.integer({ min: 0, max: 1_000 }), (cash, specs, reserve) => {
        const positions = specs.map((p) => {
          const quantity = p.market.lotSize.mul(p.lots);
          return { market: p.market, amount: { side: p.side, quantity, costBasis: quantity.mul(p.entry) }, leverage: d(p.leverage), markPrice: p.mark === null ? null : d(p.mark) };
        });
        const full = accountMargin(d(cash), positions, d(reserve));
        const standing = maintenanceStanding(d(cash), positions);
        expect({ equity: standing.equity.toString(), maintenance: standing.maintenanceMargin.toString() }).toEqual({ equity: full.equity.toString(), maintenance: full.maintenanceMargin.toString() });
        expect(isBelowMaintenance(standing)).toBe(isBelowMaintenance(full));
      }),
      { numRuns: 200 },
    );
  });

  it("uses the entry price when a market has no mark", () => {
    const m = accountMargin(d(10), [{ market: BTC, amount: long("1", "100"), leverage: d(2), markPrice: null }]);
    expect(m.unrealizedPnl.toString()).toBe("0");
    expect(m.initialMarginUsed.toString()).toBe("50");
  });
});

describe("liquidationPriceEstimate", () => {
  it("solves equity = maintenance margin for a long", () => {
    // cash 1000, long 1 @ 100000, mmf 0.012: P = (100000 - 1000) / 0.988
    const price = liquidationPriceEstimate(BTC, long("1", "100000"), d(1000))!;
    expect(price.toString()).toBe(d(99000).div("0.988").toString());
    // at that price equity equals maintenance margin
    const equity = d(1000).plus(unrealizedPnlOf(long("1", "100000"), price));
    expect(equity.minus(price.mul("0.012")).abs().lt("1e-25")).toBe(true);
  });

  it("solves equity = maintenance margin for a short", () => {
    // cash 1000, short 1 @ 100000: P = 101000 / 1.012
    const price = liquidationPriceEstimate(BTC, { side: "SHORT", quantity: d(1), costBasis: d(100000) }, d(1000))!;
    expect(price.toString()).toBe(d(101000).div("1.012").toString());
  });

  it("returns null when no positive price liquidates the long", () => {
    expect(liquidationPriceEstimate(BTC, long("1", "100"), d(1000))).toBeNull();
  });
});
