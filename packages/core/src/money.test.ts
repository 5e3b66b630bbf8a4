import { describe, expect, it } from "vitest";
import { Decimal, formatUsd, fromScaledInteger, isOnStep, roundToStep, sumDecimals, toDecimal, toScaledInteger } from "./money.js";

describe("money", () => {
  it("sums exactly where floats drift", () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumDecimals([0.1, 0.2]).toString()).toBe("0.3");
    expect(sumDecimals(Array.from({ length: 1000 }, () => "0.001")).toString()).toBe("1");
  });

  it("keeps 40 significant digits for price times size", () => {
    const product = new Decimal("104523.7").mul("0.00012345");
    expect(product.toString()).toBe("12.903450765");
  });

  it("rounds onto a step grid in every mode", () => {
    expect(roundToStep("100.27", "0.05", "down").toString()).toBe("100.25");
    expect(roundToStep("100.27", "0.05", "up").toString()).toBe("100.3");
    expect(roundToStep("100.27", "0.05", "nearest").toString()).toBe("100.25");
    expect(roundToStep("-1.5", "1", "toward-zero").toString()).toBe("-1");
    expect(() => roundToStep(1, 0)).toThrow(RangeError);
    expect(isOnStep("0.0030", "0.0001")).toBe(true);
    expect(isOnStep("0.00305", "0.0001")).toBe(false);
  });

  it("converts scaled integers both ways and refuses to round silently", () => {
    expect(toScaledInteger("3090.49", 2)).toBe(309049n);
    expect(fromScaledInteger(309049n, 2).toString()).toBe("3090.49");
    expect(() => toScaledInteger("3090.495", 2)).toThrow(/more than 2 decimal places/);
  });

  it("formats dollars the way a trader reads them", () => {
    expect(formatUsd("1234567.891")).toBe("$1,234,567.89");
    expect(formatUsd("-0.5")).toBe("-$0.50");
    expect(formatUsd(0)).toBe("$0.00");
  });

  it("rejects non-finite numbers", () => {
    expect(() => toDecimal(Number.NaN)).toThrow(RangeError);
    expect(() => toDecimal(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(toDecimal(12n).toString()).toBe("12");
  });
});
