/**
 * Schnorr signatures over ECgFp5 with Poseidon2 challenges, as Lighter uses them:
 * r = encode(k G), e = H(r || m) as a scalar, s = k - e sk; signature = s || e (80 bytes LE).
 * Verification recomputes r' = encode(s G + e pk) and checks H(r' || m) == e.
 * Messages are pre-hashed GF(p^5) elements (the tx hash).
 */
import { randomBytes } from "node:crypto";
import { decodePoint, encodePoint, mulGenerator, pointAdd, pointMulCached } from "./ecgfp5.js";
import { hashToQuinticExtension } from "./poseidon2.js";
import * as Q from "./quintic.js";
import type { Fp5 } from "./quintic.js";
import { ORDER, bytesToBigIntLE, scalarFromBytesLE, scalarFromFp5, scalarReduce, scalarToBytesLE } from "./scalar.js";

/** A Schnorr signature: response s and challenge e, both canonical scalars. */
export interface SchnorrSignature {
  readonly s: bigint;
  readonly e: bigint;
}

/** The public key of a secret scalar: encode(sk G). */
export function publicKeyFromSecret(sk: bigint): Fp5 {
  return encodePoint(mulGenerator(sk));
}

function challenge(r: Fp5, hashedMessage: Fp5): bigint {
  return scalarFromFp5(hashToQuinticExtension([...r, ...hashedMessage]));
}

/** A uniformly random non-zero scalar from the OS CSPRNG (rejection sampling). */
export function randomScalar(): bigint {
  // Bounded: each try succeeds with probability about 1/2 (n is just below 2^319).
  for (let attempt = 0; attempt < 256; attempt++) {
    const bytes = randomBytes(40);
    bytes[39]! &= 0x7f;
    const k = bytesToBigIntLE(bytes);
    if (k > 0n && k < ORDER) return k;
  }
  throw new Error("could not sample a scalar");
}

/** Signs a pre-hashed message; `nonce` fixes k (tests only), otherwise k is random. */
export function schnorrSign(hashedMessage: Fp5, sk: bigint, nonce?: bigint): SchnorrSignature {
  const k = nonce === undefined ? randomScalar() : scalarReduce(nonce);
  const r = encodePoint(mulGenerator(k));
  const e = challenge(r, hashedMessage);
  return { s: scalarReduce(k - e * scalarReduce(sk)), e };
}

/** Verifies a signature against a public key (its GF(p^5) encoding) and a pre-hashed message. */
export function schnorrVerify(publicKey: Fp5, hashedMessage: Fp5, signature: SchnorrSignature): boolean {
  if (signature.s < 0n || signature.s >= ORDER || signature.e < 0n || signature.e >= ORDER) return false;
  const pk = decodePoint(publicKey);
  if (pk === undefined) return false;
  const rv = encodePoint(pointAdd(mulGenerator(signature.s), pointMulCached(pk, signature.e, publicKey.join(","))));
  return challenge(rv, hashedMessage) === signature.e;
}

/** s (40 bytes LE) || e (40 bytes LE). */
export function signatureToBytes(signature: SchnorrSignature): Uint8Array {
  const out = new Uint8Array(80);
  out.set(scalarToBytesLE(signature.s), 0);
  out.set(scalarToBytesLE(signature.e), 40);
  return out;
}

/** Parses 80 bytes; each half is reduced mod n, as the reference does. */
export function signatureFromBytes(bytes: Uint8Array): SchnorrSignature {
  if (bytes.length !== 80) throw new RangeError(`signature must be 80 bytes, got ${bytes.length}`);
  return { s: scalarFromBytesLE(bytes.subarray(0, 40)), e: scalarFromBytesLE(bytes.subarray(40, 80)) };
}

/** Byte-level verification: 40-byte public key, 40-byte message hash, 80-byte signature. */
export function verifySignatureBytes(publicKey: Uint8Array, hashedMessage: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 40 || hashedMessage.length !== 40 || signature.length !== 80) return false;
  return schnorrVerify(Q.fromBytesLE(publicKey), Q.fromBytesLE(hashedMessage), signatureFromBytes(signature));
}

