import { Decimal } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plainUnits } from "./units.js";

describe("plainUnits", () => {
  it("converts plain decimal strings exactly", () => {
    expect(plainUnits("100000", 1)).toBe(1_000_000);
    expect(plainUnits("3090.49", 2)).toBe(309_049);
    expect(plainUnits("0.00500", 4)).toBe(50);
    expect(plainUnits("007.10", 1)).toBe(71);
  });

  it("leaves zero, off-grid, signed, exponent and oversized input to the Decimal path", () => {
    for (const text of ["0", "0.000", "3090.495", "-1", "1e3", " 1", "1.", ".5", "1234567890123456"]) expect(plainUnits(text, 2)).toBeUndefined();
  });

  it("agrees with the exact Decimal conversion whenever it answers", () => {
    const text = fc
      .tuple(fc.stringMatching(/^[0-9]{1,12}$/), fc.option(fc.stringMatching(/^[0-9]{1,10}$/), { nil: undefined }))
      .map(([int, frac]) => (frac === undefined ? int : `${int}.${frac}`));
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 12 }), (value, decimals) => {
        const units = plainUnits(value, decimals);
        const exact = new Decimal(value).mul(new Decimal(10).pow(decimals));
        if (units === undefined) {
          expect(exact.isZero() || !exact.isInteger() || exact.gt(999_999_999_999_999)).toBe(true);
        } else {
          expect(exact.isInteger()).toBe(true);
          expect(units).toBe(exact.toNumber());
        }
      }),
    );
  });
});

/** The regular-expression conversion plainUnits replaced: the one-pass version must answer exactly as it did. */
function referencePlainUnits(text: string, decimals: number): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) return undefined;
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > decimals) return undefined;
  const digits = `${match[1]}${fraction.padEnd(decimals, "0")}`.replace(/^0+/, "");
  if (digits.length === 0 || digits.length > 15) return undefined;
  return Number(digits);
}

describe("plainUnits (one pass)", () => {
  it("answers as the regular-expression conversion did, for any text", () => {
    const digits = (max: number) => fc.stringMatching(new RegExp(`^[0-9]{0,${max}}$`));
    const plainish = fc
      .tuple(fc.constantFrom("", "0", "00"), digits(17), fc.constantFrom("", ".", ".."), digits(17), fc.constantFrom("", "0", "000"))
      .map(([zeros, int, point, frac, trailing]) => `${zeros}${int}${point}${frac}${point === "" ? "" : trailing}`);
    const noisy = fc.oneof(plainish, fc.string({ maxLength: 12 }), fc.stringMatching(/^[-+0-9.eE ]{0,12}$/));
    fc.assert(
      fc.property(noisy, fc.integer({ min: 0, max: 18 }), (text, decimals) => {
        expect(plainUnits(text, decimals)).toBe(referencePlainUnits(text, decimals));
      }),
      { numRuns: 20_000 },
    );
  });

  it("answers as the regular-expression conversion did at the digit limit", () => {
    for (const text of ["999999999999999", "9999999999999999", "0000999999999999999", "99999999999999.9", "9999999999999.99", "1.000000000000000000", "0.000000000000001", "12345.678900"]) {
      for (let decimals = 0; decimals <= 18; decimals++) expect(plainUnits(text, decimals)).toBe(referencePlainUnits(text, decimals));
    }
  });
});
