import { Decimal, formatUsd, toDecimal } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digitsOf, fixedHalfUpText, significantHalfUpText } from "./decimal-text.js";
import { formatAmount, formatIndicator, formatMoney, formatPercent, formatPrice, formatRatio, formatSignedPercent } from "./format.js";

const HALF_UP = Decimal.ROUND_HALF_UP;

/** Numbers of every kind a prompt formats, and the awkward ones: ties, nines, tiny, huge, exponent forms, -0. */
const numbers = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -2e6, max: 2e6, noNaN: true }),
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.integer().map((n) => n / 1000),
  fc.integer({ min: -2e9, max: 2e9 }).map((n) => n / 10 ** (n % 9 < 0 ? -(n % 9) : n % 9)),
  fc.integer({ min: -2e9, max: 2e9 }).map((n) => n / 10 ** (12 + (Math.abs(n) % 15))),
  fc.integer().map((n) => n / 8 + 0.005),
  fc.integer({ min: -99_999, max: 99_999 }).map((n) => n / 100_000 + 0.000005),
  fc.constantFrom(0, -0, 0.5, -0.5, 0.99995, -0.99995, 9.995, 99.995, 99.9999, 999_999.95, 1e-7, -1.5e-7, 1e21, 1.5e300, 5e-324, -0.000099995),
);

/** The Decimal implementations the formatters had (the reference of every fast path; numbers from 1 up went through `new Decimal(v).toFixed`). */
const reference = {
  price: (v: number): string => {
    if (Math.abs(v) >= 1) {
      const abs = Math.abs(v);
      return new Decimal(v).toFixed(abs >= 10000 ? 1 : abs >= 1000 ? 2 : abs >= 10 ? 3 : 4, HALF_UP);
    }
    const d = toDecimal(v);
    if (d.abs().lt(1)) return d.toSignificantDigits(5, HALF_UP).toString();
    const abs = d.abs();
    return d.toFixed(abs.gte(10000) ? 1 : abs.gte(1000) ? 2 : abs.gte(10) ? 3 : 4, HALF_UP);
  },
  indicator: (v: number): string => {
    if (Math.abs(v) >= 1) return new Decimal(v).toFixed(2, HALF_UP);
    const d = toDecimal(v);
    if (d.isZero()) return "0";
    if (d.abs().gte(1)) return d.toFixed(2, HALF_UP);
    return d.toSignificantDigits(4, HALF_UP).toString();
  },
  amount: (v: number): string => {
    const d = toDecimal(v);
    const places = d.abs().lt(100) ? 2 : 0;
    const [whole = "0", fraction] = d.abs().toFixed(places, HALF_UP).split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return `${d.isNegative() && !d.isZero() ? "-" : ""}${grouped}${fraction ? `.${fraction}` : ""}`;
  },
  signedPercent: (v: number, places: number): string => {
    const pct = toDecimal(v).mul(100).toDecimalPlaces(places, HALF_UP);
    return `${pct.gt(0) ? "+" : ""}${pct.toFixed(places, HALF_UP)}%`;
  },
  percent: (v: number, places: number): string => {
    return `${toDecimal(v).mul(100).toFixed(places, HALF_UP)}%`;
  },
  ratio: (v: number): string => {
    return toDecimal(v).toFixed(2, HALF_UP);
  },
};

describe("decimal text", () => {
  it("reads the digits Decimal reads", () => {
    expect(digitsOf(0)).toEqual({ negative: false, digits: "", point: 0 });
    expect(digitsOf(-0)).toEqual({ negative: false, digits: "", point: 0 });
    expect(digitsOf(1200)).toEqual({ negative: false, digits: "12", point: 4 });
    expect(digitsOf(-0.00123)).toEqual({ negative: true, digits: "123", point: -2 });
    expect(digitsOf(1.5e-7)).toEqual({ negative: false, digits: "15", point: -6 });
    expect(digitsOf(1e21)).toEqual({ negative: false, digits: "1", point: 22 });
  });

  it("rounds fixed places half-up as Decimal#toFixed, scaled by a power of ten or not", () => {
    fc.assert(
      fc.property(numbers, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 3 }), (value, places, shift) => {
        expect(fixedHalfUpText(value, places, shift)).toBe(new Decimal(value).times(10 ** shift).toFixed(places, HALF_UP));
      }),
      { numRuns: 20_000, seed: 7 },
    );
  });

  it("rounds significant digits half-up as Decimal#toSignificantDigits, or says Decimal would print an exponent", () => {
    fc.assert(
      fc.property(numbers, fc.integer({ min: 1, max: 12 }), (value, sd) => {
        const expected = new Decimal(value).toSignificantDigits(sd, HALF_UP).toString();
        const text = significantHalfUpText(value, sd);
        if (text === null) expect(expected).toMatch(/e/);
        else expect(text).toBe(expected);
      }),
      { numRuns: 20_000, seed: 8 },
    );
    expect(significantHalfUpText(1.23e-35, 4)).toBeNull();
    expect(significantHalfUpText(0.99995, 4)).toBe("1");
  });
});

describe("number formatters without Decimal", () => {
  it("print every finite number exactly as their Decimal implementations did", () => {
    fc.assert(
      fc.property(numbers, fc.integer({ min: 0, max: 6 }), (value, places) => {
        expect(formatPrice(value)).toBe(reference.price(value));
        expect(formatIndicator(value)).toBe(reference.indicator(value));
        expect(formatAmount(value)).toBe(reference.amount(value));
        expect(formatSignedPercent(value, places)).toBe(reference.signedPercent(value, places));
        expect(formatSignedPercent(value)).toBe(reference.signedPercent(value, 2));
        expect(formatPercent(value, places)).toBe(reference.percent(value, places));
        expect(formatPercent(value)).toBe(reference.percent(value, 2));
        expect(formatRatio(value)).toBe(reference.ratio(value));
        expect(formatMoney(value)).toBe(formatUsd(toDecimal(value)));
      }),
      { numRuns: 20_000, seed: 10 },
    );
  });

  it("still refuse NaN and Infinity as before", () => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const [format, ref] of [
        [formatPrice, reference.price],
        [formatIndicator, reference.indicator],
        [formatAmount, reference.amount],
        [formatRatio, reference.ratio],
        [(n: number) => formatPercent(n), (n: number) => reference.percent(n, 2)],
        [(n: number) => formatSignedPercent(n), (n: number) => reference.signedPercent(n, 2)],
      ] as const) {
        let expected: string | Error;
        try {
          expected = ref(v);
        } catch (error) {
          expected = error as Error;
        }
        if (expected instanceof Error) expect(() => format(v)).toThrow(expected.message);
        else expect(format(v)).toBe(expected);
      }
    }
  });
});
