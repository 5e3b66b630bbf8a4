import { describe, expect, it } from "vitest";
import { atr, ema, lastValues, macd, realizedVolatility, rsi, trueRange } from "./indicators.js";

// Every expected value below was worked out by hand (fractions shown where exact).
describe("ema", () => {
  it("seeds with the simple mean of the first n values, then smooths with 2/(n+1)", () => {
    // n=3, k=1/2: seed (1+2+3)/3 = 2; 2+(4-2)/2 = 3; 3+(5-3)/2 = 4; 4+(6-4)/2 = 5.
    expect(ema([1, 2, 3, 4, 5, 6], 3)).toEqual([NaN, NaN, 2, 3, 4, 5]);
    // n=2, k=2/3: seed 10.5; 10.5+(12-10.5)*2/3 = 11.5; 11.5+(10-11.5)*2/3 = 10.5; 10.5+(14-10.5)*2/3 = 12.8333...
    const out = ema([10, 11, 12, 10, 14], 2);
    expect(out[0]).toBeNaN();
    expect(out.slice(1, 4)).toEqual([10.5, 11.5, 10.5]);
    expect(out[4]).toBeCloseTo(77 / 6, 12);
  });

  it("is all NaN with fewer values than its period and rejects a bad period", () => {
    expect(ema([1, 2], 3).every(Number.isNaN)).toBe(true);
    expect(() => ema([1, 2], 0)).toThrow(RangeError);
  });
});

describe("macd", () => {
  it("is EMA(fast) - EMA(slow) with an EMA(signal) of it", () => {
    // fast 2 (k=2/3), slow 3 (k=1/2), signal 2 on [1,3,2,6,4]:
    // EMA2 = [-, 2, 2, 14/3, 38/9]; EMA3 = [-, -, 2, 4, 4]; MACD = [-, -, 0, 2/3, 2/9]
    // signal seeded at index 3 with (0 + 2/3)/2 = 1/3, then 1/3 + (2/9 - 1/3)*2/3 = 7/27; histogram 2/9 - 7/27 = -1/27.
    const { macd: line, signal, histogram } = macd([1, 3, 2, 6, 4], 2, 3, 2);
    expect(line[2]).toBeCloseTo(0, 12);
    expect(line[3]).toBeCloseTo(2 / 3, 12);
    expect(line[4]).toBeCloseTo(2 / 9, 12);
    expect(signal[2]).toBeNaN();
    expect(signal[3]).toBeCloseTo(1 / 3, 12);
    expect(signal[4]).toBeCloseTo(7 / 27, 12);
    expect(histogram[4]).toBeCloseTo(-1 / 27, 12);
  });

  it("refuses a fast period that is not shorter than the slow one", () => {
    expect(() => macd([1, 2, 3], 26, 12)).toThrow(RangeError);
  });
});

describe("rsi", () => {
  it("uses Wilder's smoothing after a simple first average", () => {
    // n=3 on [10,11,10,12,13,12]; changes +1,-1,+2,+1,-1.
    // i=3: gain (1+0+2)/3 = 1, loss 1/3, RS 3 -> 75.
    // i=4: gain (1*2+1)/3 = 1, loss (2/3)/3 = 2/9, RS 4.5 -> 100 - 100/5.5.
    // i=5: gain 2/3, loss (4/9+1)/3 = 13/27, RS 18/13 -> 100 - 1300/31.
    const out = rsi([10, 11, 10, 12, 13, 12], 3);
    expect(out.slice(0, 3).every(Number.isNaN)).toBe(true);
    expect(out[3]).toBeCloseTo(75, 12);
    expect(out[4]).toBeCloseTo(100 - 100 / 5.5, 12);
    expect(out[5]).toBeCloseTo(100 - 1300 / 31, 12);
  });

  it("is 100 when prices only rose and 0 when they only fell", () => {
    expect(rsi([1, 2, 3, 4], 2)[3]).toBe(100);
    expect(rsi([4, 3, 2, 1], 2)[3]).toBe(0);
  });
});

describe("atr", () => {
  it("averages true ranges (which include gaps from the previous close) with Wilder's smoothing", () => {
    const high = [10, 12, 11, 16];
    const low = [8, 9, 9, 14];
    const close = [9, 11, 10, 15];
    // TR1 = max(3, |12-9|, |9-9|) = 3; TR2 = max(2, |11-11|, |9-11|) = 2; TR3 = max(2, |16-10|, |14-10|) = 6.
    expect(trueRange(high, low, close).slice(1)).toEqual([3, 2, 6]);
    // n=2: first (3+2)/2 = 2.5 at index 2, then (2.5*1 + 6)/2 = 4.25.
    const out = atr(high, low, close, 2);
    expect(out.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(out.slice(2)).toEqual([2.5, 4.25]);
  });

  it("rejects series of different lengths", () => {
    expect(() => atr([1, 2], [1], [1, 2], 1)).toThrow(RangeError);
  });
});

describe("realizedVolatility", () => {
  it("is the sample standard deviation of log returns, scaled by sqrt(periods per year)", () => {
    // Two returns r1 = ln 1.1, r2 = ln 0.9: sample sd = |r1 - r2| / sqrt(2).
    const perBar = Math.abs(Math.log(1.1) - Math.log(0.9)) / Math.SQRT2;
    expect(realizedVolatility([100, 110, 99])).toBeCloseTo(perBar, 12);
    expect(realizedVolatility([100, 110, 99], 365)).toBeCloseTo(perBar * Math.sqrt(365), 12);
    expect(realizedVolatility([100, 100, 100])).toBe(0);
    expect(realizedVolatility([100, 101])).toBeNaN();
  });
});

describe("lastValues", () => {
  it("keeps the last values, oldest first", () => {
    expect(lastValues([1, 2, 3, 4], 2)).toEqual([3, 4]);
    expect(lastValues([1], 3)).toEqual([1]);
  });
});
