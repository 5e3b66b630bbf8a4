import { toDecimal } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { formatAmount, formatDuration, formatIndicator, formatPercent, formatPrice, formatSignedPercent, isCompleteSeries, isPresent } from "./format.js";

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
