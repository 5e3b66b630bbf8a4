import { toDecimal } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { numberToDecimal, numberToText } from "./decimal-text.js";

/** The Decimal the text path gives, compared field by field (sign, exponent, digit words). */
function expectSameDecimal(value: number, decimals: number): void {
  const fast = numberToDecimal(value, decimals);
  const text = toDecimal(numberToText(value, decimals));
  expect({ s: fast.s, e: fast.e, d: fast.d, text: fast.toString() }).toEqual({ s: text.s, e: text.e, d: text.d, text: text.toString() });
}

describe("numberToDecimal", () => {
  it("gives the same Decimal as printing and parsing, for values on the grid", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 10 }), (units, decimals) => {
        expectSameDecimal(Number(`${units}e-${decimals}`), decimals);
      }),
      { numRuns: 2000 },
    );
  });

  it("gives the same Decimal as printing and parsing, for values off the grid and edge values", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 12 }), (value, decimals) => {
        expectSameDecimal(value, decimals);
      }),
      { numRuns: 2000 },
    );
    for (const [value, decimals] of [[0, 2], [-0, 2], [61800.2, 1], [61800, 1], [0.1 + 0.2, 1], [1e-9, 8], [2 ** 53, 0], [123.456, 2]] as const) {
      expectSameDecimal(value, decimals);
    }
  });
});
