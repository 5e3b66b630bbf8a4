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
