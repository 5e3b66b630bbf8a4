/**
 * The Goldilocks prime field GF(p), p = 2^64 - 2^32 + 1, over BigInt.
 * Invariant: every value returned by this module is canonical, in [0, p).
 * Inputs may be any non-negative bigint below 2^128 (they are reduced).
 */

/** The Goldilocks prime 2^64 - 2^32 + 1. */
export const P = 0xffffffff00000001n;

const MASK64 = 0xffffffffffffffffn;
/** Two-adicity of p - 1 and a generator of the 2^32-th roots of unity (plonky2's). */
const TWO_ADICITY = 32;
const POWER_OF_TWO_GENERATOR = 7277203076849721926n;

/** Reduces any non-negative bigint into [0, p). */
export function reduce(x: bigint): bigint {
  return x >= P ? x % P : x;
}

/** Interprets a value as Go's `uint64(x)` would (two's complement for negatives), then reduces. */
export function fromUint64(x: bigint | number): bigint {
  return reduce(BigInt.asUintN(64, BigInt(x)));
}

/** a + b mod p. */
export function add(a: bigint, b: bigint): bigint {
  const s = a + b;
  return s >= P ? s - P : s;
}

/** a - b mod p. */
export function sub(a: bigint, b: bigint): bigint {
  const d = a - b;
  return d < 0n ? d + P : d;
}

/** -a mod p. */
export function neg(a: bigint): bigint {
  return a === 0n ? 0n : P - a;
}

/** a * b mod p. */
export function mul(a: bigint, b: bigint): bigint {
  return (a * b) % P;
}

/** a^2 mod p. */
export function square(a: bigint): bigint {
  return (a * a) % P;
}

/** a^e mod p for e >= 0. */
export function pow(a: bigint, e: bigint): bigint {
  let result = 1n;
  let base = a % P;
  let exp = e;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % P;
    base = (base * base) % P;
    exp >>= 1n;
  }
  return result;
}

/** a^-1 mod p, or 0 for a = 0. */
export function inverseOrZero(a: bigint): bigint {
  return a === 0n ? 0n : pow(a, P - 2n);
}

/** Legendre symbol as a field element: 0, 1 (square) or p - 1 (non-square). */
export function legendre(a: bigint): bigint {
  return pow(a, (P - 1n) / 2n);
}

/**
 * A square root by Tonelli-Shanks, or undefined if `a` is not a square. Follows the
 * same steps as poseidon_crypto's SqrtF so the same root (of the two) comes out.
 */
export function sqrt(a: bigint): bigint | undefined {
  if (a === 0n) return 0n;
  if (legendre(a) !== 1n) return undefined;
  const t = (P - 1n) >> BigInt(TWO_ADICITY);
  let z = POWER_OF_TWO_GENERATOR;
  let w = pow(a, (t - 1n) / 2n);
  let x = mul(a, w);
  let b = mul(x, w);
  let v = TWO_ADICITY;
  // Bounded: v strictly decreases each iteration.
  while (b !== 1n) {
    let k = 0;
    let b2k = b;
    while (b2k !== 1n) {
      b2k = square(b2k);
      k++;
    }
    const j = v - k - 1;
    w = z;
    for (let n = 0; n < j; n++) w = square(w);
    z = square(w);
    b = mul(b, z);
    x = mul(x, w);
    v = k;
  }
  return x;
}

/** Little-endian 8-byte encoding of a canonical element. */
export function toBytesLE(a: bigint, out: Uint8Array = new Uint8Array(8), offset = 0): Uint8Array {
  let v = a;
  for (let i = 0; i < 8; i++) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Reads 8 little-endian bytes as a uint64 and reduces it mod p (Go reads them unreduced; arithmetic agrees). */
export function fromBytesLE(bytes: Uint8Array, offset = 0): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return reduce(v & MASK64);
}

/** Packs bytes into field elements, 8 little-endian bytes each, the last chunk zero-padded. */
export function elementsFromBytes(bytes: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    const chunk = new Uint8Array(8);
    chunk.set(bytes.subarray(i, Math.min(i + 8, bytes.length)));
    out.push(fromBytesLE(chunk));
  }
  return out;
}
