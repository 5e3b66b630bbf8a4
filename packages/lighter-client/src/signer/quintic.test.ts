import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as F from "./goldilocks.js";
import * as Q from "./quintic.js";
import type { Fp5 } from "./quintic.js";

// Vectors from elliottech/poseidon_crypto @315971c, field/field_test.go.
const VAL1: Fp5 = Q.fp5(0x1234567890abcdefn, 0x0fedcba987654321n, 0x1122334455667788n, 0x8877665544332211n, 0xaabbccddeeff0011n);
const VAL2: Fp5 = Q.fp5(0xffffffffffffffffn, 0xffffffffffffffffn, 0xffffffffffffffffn, 0xffffffffffffffffn, 0xffffffffffffffffn);

const fieldElement = fc.bigInt({ min: 0n, max: F.P - 1n });
const fp5Element = fc.tuple(fieldElement, fieldElement, fieldElement, fieldElement, fieldElement).map((l) => l as Fp5);

describe("goldilocks", () => {
  it("wraps additions and subtractions around p", () => {
    expect(F.add(F.P - 1n, 2n)).toBe(1n);
    expect(F.sub(0n, 1n)).toBe(F.P - 1n);
    expect(F.neg(0n)).toBe(0n);
    expect(F.fromUint64(-1)).toBe((2n ** 64n - 1n) % F.P);
  });

  it("multiplies, inverts and takes square roots consistently", () => {
    fc.assert(
      fc.property(fieldElement, fieldElement, (a, b) => {
        expect(F.mul(a, b)).toBe((a * b) % F.P);
        if (a !== 0n) expect(F.mul(a, F.inverseOrZero(a))).toBe(1n);
        const root = F.sqrt(F.square(a));
        expect(root === undefined ? undefined : F.square(root)).toBe(F.square(a));
      }),
      { numRuns: 50 },
    );
  });

  it("round-trips 8-byte little-endian encodings and packs bytes into elements", () => {
    expect(F.fromBytesLE(F.toBytesLE(0x0102030405060708n))).toBe(0x0102030405060708n);
    expect(F.elementsFromBytes(new TextEncoder().encode("abcdefghi"))).toEqual([0x6867666564636261n, 0x69n]);
  });
});

describe("quintic extension", () => {
  it("adds, subtracts, multiplies and squares like the reference (TestQuinticExtensionAddSubMulSquare)", () => {
    expect(Q.add(VAL1, VAL2)).toEqual([1311768471589866989n, 1147797413325783839n, 1234605620731475846n, 9833440832084189711n, 12302652064957136911n]);
    expect(Q.sub(VAL1, VAL2)).toEqual([1311768462999932401n, 1147797404735849251n, 1234605612141541258n, 9833440823494255123n, 12302652056367202323n]);
    expect(Q.mul(VAL1, VAL2)).toEqual([12801331769143413385n, 14031114708135177824n, 4192851210753422088n, 14031114723597060086n, 4193451712464626164n]);
    expect(Q.square(VAL1)).toEqual([2711468769317614959n, 15562737284369360677n, 48874032493986270n, 11211402278708723253n, 2864528669572451733n]);
  });

  it("applies the Frobenius map like the reference (TestRepeatedFrobeniusgFp5)", () => {
    expect(Q.repeatedFrobenius(VAL1, 1)).toEqual([1311768467294899695n, 5234265561494296110n, 6204816484784411482n, 8858034429214283719n, 17855579289599571296n]);
  });

  it("inverts like the reference (TestTryInverse)", () => {
    expect(Q.inverseOrZero(VAL1)).toEqual([10760985268447604442n, 1770001646280707407n, 826117924202660585n, 45414427571889187n, 8256636258983026155n]);
    expect(Q.inverseOrZero(Q.FP5_ZERO)).toEqual(Q.FP5_ZERO);
  });

  it("computes the reference square roots (TestSqrtFunctions) and the sign (TestQuinticExtSgn0)", () => {
    const x = Q.fp5(17397692312497920520n, 4597259071399531684n, 15835726694542307225n, 16979717054676631815n, 12876043227925845432n);
    expect(Q.canonicalSqrt(x)).toEqual([16260118390353633405n, 2204473665618140400n, 10421517006653550782n, 4618467884536173852n, 15556190572415033139n]);
    expect(Q.sqrt(x)).toEqual([2186625679060950916n, 16242270403796443921n, 8025227062761033539n, 13828276184878410469n, 2890553496999551182n]);
    expect(Q.sgn0(Q.fp5(7146494650688613286n, 2524706331227574337n, 2805008444831673606n, 10342159727506097401n, 5582307593199735986n))).toBe(true);
  });

  it("finds no root of non-squares (TestSqrtNonExistent)", () => {
    expect(Q.sqrt(Q.fp5(3558249639744866495n, 2615658757916804776n, 14375546700029059319n, 16160052538060569780n, 8366525948816396307n))).toBeUndefined();
    expect(Q.sqrt(Q.fromBase(263n))).toBeUndefined();
  });

  it("satisfies field laws: inverse, distributivity, squares have Legendre 1", () => {
    fc.assert(
      fc.property(fp5Element, fp5Element, fp5Element, (a, b, c) => {
        expect(Q.mul(a, Q.add(b, c))).toEqual(Q.add(Q.mul(a, b), Q.mul(a, c)));
        expect(Q.square(a)).toEqual(Q.mul(a, a));
        if (!Q.isZero(a)) {
          expect(Q.mul(a, Q.inverseOrZero(a))).toEqual(Q.FP5_ONE);
          expect(Q.legendre(Q.square(a))).toBe(1n);
        }
      }),
      { numRuns: 30 },
    );
  });

  it("round-trips 40-byte encodings", () => {
    fc.assert(
      fc.property(fp5Element, (a) => {
        expect(Q.fromBytesLE(Q.toBytesLE(a))).toEqual(a);
      }),
      { numRuns: 30 },
    );
    expect(() => Q.fromBytesLE(new Uint8Array(39))).toThrow(RangeError);
  });
});
