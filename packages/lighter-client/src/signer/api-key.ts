/**
 * A Lighter API key: an ECgFp5 secret scalar and its public key. The secret is held
 * in a private field and never appears in toString, JSON or util.inspect output.
 */
import { createHash } from "node:crypto";
import { ValidationError } from "@autonome/core";
import * as Q from "./quintic.js";
import type { Fp5 } from "./quintic.js";
import { bytesToBigIntBE, scalarFromBytesLE, scalarReduce, scalarToBytesLE } from "./scalar.js";
import { publicKeyFromSecret, randomScalar, schnorrSign, signatureToBytes } from "./schnorr.js";
import { bytesToHex, hexToBytes } from "./hex.js";

const REDACTED = "[redacted]";

/** An API key pair; sign with it, share its public key, never print its secret. */
export class LighterApiKey {
  readonly #secret: bigint;
  /** The public key as a GF(p^5) element. */
  readonly publicKey: Fp5;

  private constructor(secret: bigint) {
    if (secret === 0n) throw new ValidationError("invalid API key", [{ path: "privateKey", message: "must not be zero" }]);
    this.#secret = secret;
    this.publicKey = publicKeyFromSecret(secret);
  }

  /** From the 40-byte little-endian private key hex that lighter-go and the SDKs use (with or without 0x). */
  static fromPrivateKeyHex(privateKeyHex: string): LighterApiKey {
    let bytes: Uint8Array;
    try {
      bytes = hexToBytes(privateKeyHex);
    } catch {
      throw new ValidationError("invalid API private key", [{ path: "privateKey", message: "must be hex" }]);
    }
    if (bytes.length !== 40) {
      throw new ValidationError("invalid API private key", [{ path: "privateKey", message: `must be 40 bytes, got ${bytes.length}` }]);
    }
    return new LighterApiKey(scalarFromBytesLE(bytes));
  }

  /**
   * Deterministic key from a hex seed of at least 32 bytes, as lighter-go's
   * GetScalarFromSeed: sha256(0x01 || seed) || sha256(0x02 || seed)[0..8], read big-endian, mod n.
   */
  static fromSeed(seedHex: string): LighterApiKey {
    const seed = hexToBytes(seedHex);
    if (seed.length < 32) throw new ValidationError("invalid seed", [{ path: "seed", message: "must be at least 32 bytes" }]);
    const part1 = createHash("sha256").update(Uint8Array.of(1)).update(seed).digest();
    const part2 = createHash("sha256").update(Uint8Array.of(2)).update(seed).digest();
    const combined = new Uint8Array(40);
    combined.set(part1, 0);
    combined.set(part2.subarray(0, 8), 32);
    return new LighterApiKey(scalarReduce(bytesToBigIntBE(combined)));
  }

  /** A fresh random key from the OS CSPRNG. */
  static generate(): LighterApiKey {
    return new LighterApiKey(randomScalar());
  }

  /** The public key as 80 hex characters without 0x (the /apikeys format). */
  get publicKeyHex(): string {
    return bytesToHex(Q.toBytesLE(this.publicKey));
  }

  /** The private key as 0x-prefixed hex (40 bytes LE), for storing in a secret store only. */
  exportPrivateKeyHex(): string {
    return `0x${bytesToHex(scalarToBytesLE(this.#secret))}`;
  }

  /** Signs a pre-hashed message (GF(p^5) element); returns the 80-byte signature. */
  sign(hashedMessage: Fp5, nonce?: bigint): Uint8Array {
    return signatureToBytes(schnorrSign(hashedMessage, this.#secret, nonce));
  }

  /** Never reveals the secret. */
  toString(): string {
    return `LighterApiKey(public=${this.publicKeyHex}, private=${REDACTED})`;
  }

  /** Never reveals the secret. */
  toJSON(): { publicKey: string; privateKey: string } {
    return { publicKey: this.publicKeyHex, privateKey: REDACTED };
  }

  /** Never reveals the secret in console.log / util.inspect. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
