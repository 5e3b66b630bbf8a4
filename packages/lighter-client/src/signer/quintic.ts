/**
 * GF(p^5), the quintic extension of Goldilocks: GF(p)[X] / (X^5 - 3).
 * An element is five canonical limbs [c0..c4] meaning c0 + c1 X + ... + c4 X^4.
 * Invariant: results are canonical; inputs are never mutated.
 */
import * as F from "./goldilocks.js";

const P = F.P;

/** An element of GF(p^5), five canonical Goldilocks limbs, lowest degree first. */
export type Fp5 = readonly [bigint, bigint, bigint, bigint, bigint];

/** 0 in GF(p^5). */
export const FP5_ZERO: Fp5 = [0n, 0n, 0n, 0n, 0n];
/** 1 in GF(p^5). */
export const FP5_ONE: Fp5 = [1n, 0n, 0n, 0n, 0n];
/** The extension's non-residue: X^5 = W. */
const W = 3n;
/** A primitive 5th root of unity in GF(p), W^((p-1)/5); drives the Frobenius map. */
const DTH_ROOT = 1041288259238279555n;
const DTH_ROOT_POWERS: readonly (readonly bigint[])[] = (() => {
  const table: bigint[][] = [];
  for (let count = 0; count < 5; count++) {
    const z0 = F.pow(DTH_ROOT, BigInt(count));
    const row: bigint[] = [];
    for (let i = 0; i < 5; i++) row.push(F.pow(z0, BigInt(i)));
    table.push(row);
  }
  return table;
})();

/** Builds an element from five values (each reduced mod p). */
export function fp5(c0: bigint, c1: bigint, c2: bigint, c3: bigint, c4: bigint): Fp5 {
  return [F.reduce(c0), F.reduce(c1), F.reduce(c2), F.reduce(c3), F.reduce(c4)];
}

/** Embeds a base-field element. */
export function fromBase(a: bigint): Fp5 {
  return [F.reduce(a), 0n, 0n, 0n, 0n];
}

/** Whether the element is zero. */
export function isZero(a: Fp5): boolean {
  return a[0] === 0n && a[1] === 0n && a[2] === 0n && a[3] === 0n && a[4] === 0n;
}

/** Limb-wise equality (elements are canonical). */
export function equals(a: Fp5, b: Fp5): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4];
}

/** a + b. */
export function add(a: Fp5, b: Fp5): Fp5 {
  return [F.add(a[0], b[0]), F.add(a[1], b[1]), F.add(a[2], b[2]), F.add(a[3], b[3]), F.add(a[4], b[4])];
}

/** a - b. */
export function sub(a: Fp5, b: Fp5): Fp5 {
  return [F.sub(a[0], b[0]), F.sub(a[1], b[1]), F.sub(a[2], b[2]), F.sub(a[3], b[3]), F.sub(a[4], b[4])];
}

/** -a. */
export function neg(a: Fp5): Fp5 {
  return [F.neg(a[0]), F.neg(a[1]), F.neg(a[2]), F.neg(a[3]), F.neg(a[4])];
}

/** 2a. */
export function double(a: Fp5): Fp5 {
  return add(a, a);
}

/** a * s for a base-field scalar s. */
export function scale(a: Fp5, s: bigint): Fp5 {
  return [(a[0] * s) % P, (a[1] * s) % P, (a[2] * s) % P, (a[3] * s) % P, (a[4] * s) % P];
}

/** a * (k X) for a small base-field k: a shift of the limbs (X^5 = 3) and one scaling; the curve's b is 263 X. */
export function mulByX(a: Fp5, k: bigint): Fp5 {
  return [(W * k * a[4]) % P, (k * a[0]) % P, (k * a[1]) % P, (k * a[2]) % P, (k * a[3]) % P];
}

/** a * b; products are summed unreduced and reduced once per limb. */
export function mul(a: Fp5, b: Fp5): Fp5 {
  const [a0, a1, a2, a3, a4] = a;
  const [b0, b1, b2, b3, b4] = b;
  return [
    (a0 * b0 + W * (a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1)) % P,
    (a0 * b1 + a1 * b0 + W * (a2 * b4 + a3 * b3 + a4 * b2)) % P,
    (a0 * b2 + a1 * b1 + a2 * b0 + W * (a3 * b4 + a4 * b3)) % P,
    (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + W * (a4 * b4)) % P,
    (a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0) % P,
  ];
}

/** a^2. */
export function square(a: Fp5): Fp5 {
  const [a0, a1, a2, a3, a4] = a;
  const w2 = 2n * W;
  return [
    (a0 * a0 + w2 * (a1 * a4 + a2 * a3)) % P,
    (2n * a0 * a1 + w2 * a2 * a4 + W * a3 * a3) % P,
    (2n * a0 * a2 + a1 * a1 + w2 * a3 * a4) % P,
    (2n * a0 * a3 + 2n * a1 * a2 + W * a4 * a4) % P,
    (2n * a0 * a4 + 2n * a1 * a3 + a2 * a2) % P,
  ];
}

/** x^(2^power) by repeated squaring. */
export function expPowerOf2(x: Fp5, power: number): Fp5 {
  let r = x;
  for (let i = 0; i < power; i++) r = square(r);
  return r;
}

/** The Frobenius map applied `count` times: x -> x^(p^count). */
export function repeatedFrobenius(x: Fp5, count: number): Fp5 {
  const c = ((count % 5) + 5) % 5;
  if (c === 0) return x;
  const z = DTH_ROOT_POWERS[c]!;
  return [x[0], (x[1] * z[1]!) % P, (x[2] * z[2]!) % P, (x[3] * z[3]!) % P, (x[4] * z[4]!) % P];
}

/** x^p. */
export function frobenius(x: Fp5): Fp5 {
  return repeatedFrobenius(x, 1);
}

/** The norm's product part f = x^(p + p^2 + p^3 + p^4); x * f lies in GF(p). */
function normComplement(a: Fp5): Fp5 {
  const d = frobenius(a);
  const e = mul(d, frobenius(d));
  return mul(e, repeatedFrobenius(e, 2));
}

/** The constant limb of a * b, for when a * b is known to lie in GF(p). */
function baseOfProduct(a: Fp5, f: Fp5): bigint {
  return (a[0] * f[0] + W * (a[1] * f[4] + a[2] * f[3] + a[3] * f[2] + a[4] * f[1])) % P;
}

/** a^-1, or 0 for a = 0 (inversion through the norm, one base-field inversion). */
export function inverseOrZero(a: Fp5): Fp5 {
  if (isZero(a)) return FP5_ZERO;
  const f = normComplement(a);
  return scale(f, F.inverseOrZero(baseOfProduct(a, f)));
}

/** a / b; throws on b = 0. */
export function div(a: Fp5, b: Fp5): Fp5 {
  if (isZero(b)) throw new RangeError("division by zero in GF(p^5)");
  return mul(a, inverseOrZero(b));
}

/** Legendre symbol in GF(p): 0, 1 (square) or p - 1; x is a square iff its norm is. */
export function legendre(x: Fp5): bigint {
  const f = normComplement(x);
  return F.legendre(baseOfProduct(x, f));
}

/** A square root, or undefined (same algorithm as poseidon_crypto's Sqrt, hence the same root). */
export function sqrt(x: Fp5): Fp5 | undefined {
  const v = expPowerOf2(x, 31);
  const d = mul(mul(x, expPowerOf2(v, 32)), inverseOrZero(v));
  const e = frobenius(mul(d, repeatedFrobenius(d, 2)));
  const f = square(e);
  const g = baseOfProduct(x, f);
  const s = F.sqrt(g);
  if (s === undefined) return undefined;
  return scale(inverseOrZero(e), s);
}

/** The "sign" bit used to pick a canonical root (poseidon_crypto's Sgn0, kept bit-for-bit). */
export function sgn0(x: Fp5): boolean {
  let sign = false;
  let zero = true;
  for (const limb of x) {
    const signI = (limb & 1n) === 0n;
    sign = sign || (zero && signI);
    zero = zero && limb === 0n;
  }
  return sign;
}

/** The square root with sgn0 = false, or undefined. */
export function canonicalSqrt(x: Fp5): Fp5 | undefined {
  const r = sqrt(x);
  if (r === undefined) return undefined;
  return sgn0(r) ? neg(r) : r;
}

/** 40-byte little-endian encoding (limb 0 first). */
export function toBytesLE(a: Fp5): Uint8Array {
  const out = new Uint8Array(40);
  for (let i = 0; i < 5; i++) F.toBytesLE(a[i]!, out, i * 8);
  return out;
}

/** Reads 40 little-endian bytes; throws RangeError on a wrong length. */
export function fromBytesLE(bytes: Uint8Array): Fp5 {
  if (bytes.length !== 40) throw new RangeError(`expected 40 bytes, got ${bytes.length}`);
  return [F.fromBytesLE(bytes, 0), F.fromBytesLE(bytes, 8), F.fromBytesLE(bytes, 16), F.fromBytesLE(bytes, 24), F.fromBytesLE(bytes, 32)];
}
