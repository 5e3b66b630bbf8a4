import { Decimal, toDecimal } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAmount, formatDuration, formatTime, formatIndicator, formatPercent, formatPrice, formatSignedPercent, isCompleteSeries, isPresent, toFixedHalfUp } from "./format.js";

describe("format", () => {
  it("gives prices a precision that follows their magnitude", () => {
    expect(formatPrice(104523.749)).toBe("104523.7");
    expect(formatPrice(3090.4949)).toBe("3090.49");
    expect(formatPrice(toDecimal("152.12345"))).toBe("152.123");
    expect(formatPrice(2.345678)).toBe("2.3457");
    expect(formatPrice(0.1234567)).toBe("0.12346");
    expect(formatPrice(0.1 + 0.2)).toBe("0.3");
    expect(formatPrice(0.00200004)).toBe("0.002");
  });

  it("prints oscillators to two places or four significant digits", () => {
    expect(formatIndicator(61.98765)).toBe("61.99");
    expect(formatIndicator(-0.000123456)).toBe("-0.0001235");
    expect(formatIndicator(0)).toBe("0");
  });

  it("groups large amounts and signs percentages", () => {
    expect(formatAmount(25432.6)).toBe("25,433");
    expect(formatAmount(12.345)).toBe("12.35");
    expect(formatPercent(0.0000125, 4)).toBe("0.0013%");
    expect(formatSignedPercent(0.052037)).toBe("+5.20%");
    expect(formatSignedPercent(-0.004)).toBe("-0.40%");
    expect(formatDuration(205 * 60_000)).toBe("3h 25m");
    expect(formatDuration(3 * 24 * 3_600_000)).toBe("3d 0h");
  });

  it("treats undefined, null, NaN and Infinity as missing, and a series with a gap as incomplete", () => {
    for (const v of [undefined, null, Number.NaN, Number.NEGATIVE_INFINITY, toDecimal(0).div(0)]) expect(isPresent(v)).toBe(false);
    expect(isPresent(0)).toBe(true);
    expect(isCompleteSeries([1, 2, 3])).toBe(true);
    expect(isCompleteSeries([1, Number.NaN])).toBe(false);
    expect(isCompleteSeries([])).toBe(false);
  });
});

describe("formatTime", () => {
  it("prints ISO 8601 to the second, the same again for the same time, and refuses an invalid time", () => {
    for (const ms of [0, 1_767_571_200_999, 1_767_571_200_999, 1_767_571_201_000, -1, 1_767_571_200_999]) {
      expect(formatTime(ms)).toBe(`${new Date(ms).toISOString().slice(0, 19)}Z`);
    }
    expect(() => formatTime(Number.NaN)).toThrow(RangeError);
    expect(() => formatTime(Number.NaN)).toThrow(RangeError);
  });
});

describe("toFixedHalfUp", () => {
  it("equals Decimal's half-up toFixed of the number for any finite double and places", () => {
    fc.assert(
      fc.property(fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.double({ min: -2e6, max: 2e6, noNaN: true }),
          fc.integer().map((n) => n / 1000),
          fc.integer({ min: -2e9, max: 2e9 }).map((n) => n / 10 ** (n % 9 < 0 ? -(n % 9) : n % 9)),
          fc.integer().map((n) => n / 8 + 0.005),
        ), fc.integer({ min: 0, max: 8 }), (value, places) => {
        expect(toFixedHalfUp(value, places)).toBe(new Decimal(value).toFixed(places, Decimal.ROUND_HALF_UP));
      }),
      { numRuns: 20_000, seed: 11 },
    );
  });

  it("equals Decimal's at and next to every half of the last place", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: -4, max: 4 }), (k, places, ulps) => {
        const value = ((2 * k + 1) / (2 * 10 ** places)) * (1 + ulps * Number.EPSILON);
        expect(toFixedHalfUp(value, places)).toBe(new Decimal(value).toFixed(places, Decimal.ROUND_HALF_UP));
      }),
      { numRuns: 20_000, seed: 12 },
    );
  });

  it("carries through nines and rounds half away from zero", () => {
    expect(toFixedHalfUp(9.995, 2)).toBe(new Decimal(9.995).toFixed(2, Decimal.ROUND_HALF_UP));
    expect(toFixedHalfUp(99.95, 1)).toBe("100.0");
    expect(toFixedHalfUp(-1.005, 2)).toBe("-1.01");
    expect(toFixedHalfUp(103395, 1)).toBe("103395.0");
    expect(toFixedHalfUp(0.5, 0)).toBe("1");
  });
});
