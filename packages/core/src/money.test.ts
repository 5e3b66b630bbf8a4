import DecimalJs from "decimal.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal, formatUsd, fromScaledInteger, groupThousands, isOnStep, roundToStep, sumDecimals, toDecimal, toScaledInteger } from "./money.js";

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

  it("formats dollars as the Decimal rounding, sign and separator steps did, for any amount", () => {
    // The implementation formatUsd had: rounded Decimal, its sign, its absolute value's text, a regex for the separators.
    const reference = (value: Decimal | number | string, places = 2): string => {
      const decimal = toDecimal(value).toDecimalPlaces(places, DecimalJs.ROUND_HALF_EVEN);
      const negative = decimal.isNegative() && !decimal.isZero();
      const [whole = "0", fraction] = decimal.abs().toFixed(places).split(".");
      const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
      return `${negative ? "-" : ""}$${grouped}${fraction ? `.${fraction}` : ""}`;
    };
    const amounts = fc.oneof(
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).chain((n) => fc.integer({ min: 0, max: 34 }).map((scale) => new Decimal(n.toString()).div(new Decimal(10).pow(scale)))),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => toDecimal(n)),
      fc.integer({ min: -100_000, max: 100_000 }).map((n) => new Decimal(n).div(1000)),
      fc.constantFrom("0", "-0", "-0.004", "-0.005", "0.005", "0.015", "-999.995", "1000", "-1234567.891", "NaN", "Infinity", "-Infinity").map((s) => new Decimal(s)),
    );
    fc.assert(
      fc.property(amounts, fc.integer({ min: 0, max: 8 }), (amount, places) => {
        expect(formatUsd(amount, places)).toBe(reference(amount, places));
        expect(formatUsd(amount)).toBe(reference(amount));
        // Another decimal.js clone's value, a string, and a number format alike.
        expect(formatUsd(new DecimalJs(amount))).toBe(reference(amount));
        if (amount.isFinite()) expect(formatUsd(amount.toString())).toBe(reference(amount.toString()));
      }),
      { numRuns: 5_000, seed: 3 },
    );
    expect(formatUsd(-0.004)).toBe("$0.00");
    expect(formatUsd(-1234567.891)).toBe("-$1,234,567.89");
  });

  it("sums Decimals, numbers, strings and bigints as one Decimal addition after another", () => {
    const values = [new Decimal("0.1"), 0.2, "0.3", 4n, new DecimalJs("1e-35"), new Decimal("123456789012345678901234567890.123456789")];
    let expected = new Decimal(0);
    for (const v of values) expected = expected.plus(toDecimal(v));
    expect(sumDecimals(values).toString()).toBe(expected.toString());
    expect(() => sumDecimals([1, Number.NaN])).toThrow(RangeError);
  });
});

describe("groupThousands", () => {
  it("groups thousands as the regex does", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }), (whole, fraction) => {
        const plain = `${whole}${fraction === undefined ? "" : `.${fraction}`}`;
        const [w = "", f] = plain.split(".");
        expect(groupThousands(plain)).toBe(`${w.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${f === undefined ? "" : `.${f}`}`);
      }),
      { numRuns: 5_000, seed: 9 },
    );
  });

  it("leaves a whole part that is not all digits as it is (callers take the sign off first)", () => {
    for (const text of ["Infinity", "NaN", "-1234.5", "12a4567"]) expect(groupThousands(text)).toBe(text);
    expect(groupThousands("1234567")).toBe("1,234,567");
  });
});
