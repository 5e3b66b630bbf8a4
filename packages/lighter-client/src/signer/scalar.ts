/**
 * Scalars of ECgFp5: integers modulo the prime group order n (about 2^319).
 * Invariant: every scalar returned is canonical, in [0, n).
 */
import type { Fp5 } from "./quintic.js";

/** The prime order n of the ECgFp5 group. */
export const ORDER =
  1067993516717146951041484916571792702745057740581727230159139685185762082554198619328292418486241n;

/** Reduces any bigint into [0, n). */
export function scalarReduce(x: bigint): bigint {
  const r = x % ORDER;
  return r < 0n ? r + ORDER : r;
}

/** 40-byte little-endian encoding. */
export function scalarToBytesLE(s: bigint): Uint8Array {
  const out = new Uint8Array(40);
  let v = s;
  for (let i = 0; i < 40; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Reads 40 little-endian bytes as an integer and reduces it mod n (as Go's ScalarElementFromLittleEndianBytes). */
export function scalarFromBytesLE(bytes: Uint8Array): bigint {
  if (bytes.length !== 40) throw new RangeError(`expected 40 bytes, got ${bytes.length}`);
  return scalarReduce(bytesToBigIntLE(bytes));
}

/** The five 64-bit limbs of a scalar, lowest first. */
export function scalarToLimbs(s: bigint): [bigint, bigint, bigint, bigint, bigint] {
  const m = 0xffffffffffffffffn;
  return [s & m, (s >> 64n) & m, (s >> 128n) & m, (s >> 192n) & m, (s >> 256n) & m];
}

/** A scalar from five 64-bit limbs, lowest first, reduced mod n. */
export function scalarFromLimbs(limbs: readonly bigint[]): bigint {
  let v = 0n;
  for (let i = limbs.length - 1; i >= 0; i--) v = (v << 64n) | BigInt.asUintN(64, limbs[i]!);
  return scalarReduce(v);
}

/** Interprets a GF(p^5) element's canonical limbs as a 320-bit integer, mod n (Go's FromGfp5). */
export function scalarFromFp5(e: Fp5): bigint {
  return scalarFromLimbs(e);
}

/** Little-endian bytes to a non-negative bigint. */
export function bytesToBigIntLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** Big-endian bytes to a non-negative bigint. */
export function bytesToBigIntBE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}
