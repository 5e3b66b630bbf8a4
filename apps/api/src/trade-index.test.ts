import { toDecimal } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { TradeIndex, fromScaled, toScaled } from "./trade-index.js";

/** A seeded generator (mulberry32), so the comparison is reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("TradeIndex", () => {
  it("scales decimal strings exactly and back", () => {
    expect(toScaled("-1.5", 2)).toBe(-150n);
    expect(toScaled("0.00000001", 8)).toBe(1n);
    expect(toScaled("12", 2)).toBe(1200n);
    expect(fromScaled(-150n, 2)).toBe("-1.5");
    expect(fromScaled(5n, 8)).toBe("0.00000005");
    expect(fromScaled(0n, 2)).toBe("0");
    expect(() => toScaled("1.005", 2)).toThrow(RangeError);
    expect(toScaled("1e-30", 30)).toBe(1n);
  });

  it("sums realized PnL and fees with all 30 places of the Orders columns, beyond 64 bits, and finds best and worst exactly", () => {
    const index = new TradeIndex();
    const trades = [
      { realizedPnl: "123456.123456789012345678901234567891", fees: "0.000000000123" },
      { realizedPnl: "-0.000000000000000000000000000001", fees: "0.1" },
      { realizedPnl: "0.002", fees: "0" },
    ].map((t, i) => ({ ...t, realizedPnl: t.realizedPnl.slice(0, t.realizedPnl.indexOf(".") + 31), openedAt: i, closedAt: 10 + i }));
    for (const t of trades) index.add(t);
    const stats = index.stats(null);
    expect(stats.realizedPnl).toBe(trades.reduce((a, t) => a.plus(t.realizedPnl), toDecimal(0)).toFixed());
    expect(stats.fees).toBe("0.100000000123");
    expect(stats.best).toBe("123456.123456789012345678901234567891".slice(0, 37));
    expect(stats.worst).toBe("-0.000000000000000000000000000001");
    expect([stats.wins, stats.losses]).toEqual([2, 1]);
  });

  it("gives every window the statistics a direct count over the trades gives, for trades added in and out of order", () => {
    const next = random(42);
    const index = new TradeIndex();
    const trades: { closedAt: number; pnl: string; fee: string }[] = [];
    for (let i = 0; i < 1500; i++) {
      // Mostly in order, one in ten closed before the newest already held.
      const closedAt = i % 10 === 9 ? Math.floor(next() * i * 1000) : i * 1000;
      // Mostly cents; one in seven with all 30 places (too wide for an int64 mantissa), some in exponent form.
      const cents = ((Math.floor(next() * 20001) - 10000) / 100).toFixed(2);
      const pnl = i % 7 === 3 ? `${cents}${String(Math.floor(next() * 1e12)).padStart(12, "0")}${"123456789012345678".slice(0, 16)}` : i % 11 === 5 ? "1e-29" : cents;
      const fee = (Math.floor(next() * 1e6) / 1e8).toFixed(8);
      trades.push({ closedAt, pnl, fee });
      index.add({ openedAt: closedAt - 500, closedAt, realizedPnl: pnl, fees: fee });
    }
    for (const from of [null, 0, 1, 500_000, 777_777, 1_200_000, 1_499_000, 2_000_000]) {
      const inWindow = trades.filter((t) => from === null || t.closedAt >= from);
      const pnls = inWindow.map((t) => toDecimal(t.pnl));
      const stats = index.stats(from);
      expect(stats.count).toBe(inWindow.length);
      expect(stats.wins).toBe(pnls.filter((p) => p.gt(0)).length);
      expect(stats.losses).toBe(pnls.filter((p) => p.lt(0)).length);
      expect(toDecimal(stats.realizedPnl).eq(pnls.reduce((a, b) => a.plus(b), toDecimal(0)))).toBe(true);
      expect(toDecimal(stats.fees).eq(inWindow.reduce((a, t) => a.plus(t.fee), toDecimal(0)))).toBe(true);
      expect(stats.best === null ? null : toDecimal(stats.best).toNumber()).toBe(pnls.length === 0 ? null : Math.max(...pnls.map((p) => p.toNumber())));
      expect(stats.worst === null ? null : toDecimal(stats.worst).toNumber()).toBe(pnls.length === 0 ? null : Math.min(...pnls.map((p) => p.toNumber())));
    }
    expect(index.firstOpenedAt).toBe(Math.min(...trades.map((t) => t.closedAt)) - 500);
  });

  it("refuses an amount that is not a decimal and changes nothing", () => {
    const index = new TradeIndex();
    index.add({ openedAt: 0, closedAt: 10, realizedPnl: "1.5", fees: "0.1" });
    index.add({ openedAt: 0, closedAt: 30, realizedPnl: "-2", fees: "0.2" });
    const before = index.stats(null);
    expect(() => index.add({ openedAt: 0, closedAt: 20, realizedPnl: "abc", fees: "0" })).toThrow(RangeError);
    expect(() => index.add({ openedAt: 0, closedAt: 40, realizedPnl: "1", fees: "1.0000000000000000000000000000001" })).toThrow(RangeError);
    expect(index.size).toBe(2);
    expect(index.stats(null)).toEqual(before);
    expect(index.stats(15)).toEqual({ count: 1, wins: 0, losses: 1, realizedPnl: "-2", fees: "0.2", best: "-2", worst: "-2" });
  });
});
