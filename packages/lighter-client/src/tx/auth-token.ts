/**
 * Auth tokens (lighter-go types/tx_request.go ConstructAuthToken):
 * "{deadlineUnixSeconds}:{accountIndex}:{apiKeyIndex}:{hex(signature)}", where the
 * signature is over Poseidon2(message bytes packed 8 per element, LE, zero-padded).
 */
import { elementsFromBytes } from "../signer/goldilocks.js";
import { bytesToHex, hexToBytes } from "../signer/hex.js";
import { hashToQuinticExtension } from "../signer/poseidon2.js";
import type { Fp5 } from "../signer/quintic.js";
import { signatureFromBytes, schnorrVerify } from "../signer/schnorr.js";
import type { LighterApiKey } from "../signer/api-key.js";

/** Tokens may live at most 8 hours (server rule). */
export const MAX_AUTH_TOKEN_LIFETIME_MS = 8 * 60 * 60 * 1000;

/** The hashed auth message. */
export function authMessageHash(message: string): Fp5 {
  return hashToQuinticExtension(elementsFromBytes(new TextEncoder().encode(message)));
}

/** Creates an auth token valid until `deadlineMs` (rounded down to seconds). */
export function createAuthToken(key: LighterApiKey, accountIndex: number | bigint, apiKeyIndex: number, deadlineMs: number): string {
  const message = `${Math.floor(deadlineMs / 1000)}:${accountIndex}:${apiKeyIndex}`;
  return `${message}:${bytesToHex(key.sign(authMessageHash(message)))}`;
}

/** The parts of a parsed auth token. */
export interface ParsedAuthToken {
  deadlineSeconds: number;
  accountIndex: bigint;
  apiKeyIndex: number;
  message: string;
  signature: Uint8Array;
}

/** Parses a token's parts, or undefined if malformed. */
export function parseAuthToken(token: string): ParsedAuthToken | undefined {
  const m = /^(\d+):(\d+):(\d+):([0-9a-fA-F]{160})$/.exec(token);
  if (!m) return undefined;
  return {
    deadlineSeconds: Number(m[1]),
    accountIndex: BigInt(m[2]!),
    apiKeyIndex: Number(m[3]),
    message: `${m[1]}:${m[2]}:${m[3]}`,
    signature: hexToBytes(m[4]!),
  };
}

/** Whether a token is well formed, unexpired at `nowMs` and signed by `publicKey`. */
export function verifyAuthToken(token: string, publicKey: Fp5, nowMs: number): ParsedAuthToken | undefined {
  const parsed = parseAuthToken(token);
  if (!parsed) return undefined;
  if (parsed.deadlineSeconds * 1000 < nowMs) return undefined;
  const ok = schnorrVerify(publicKey, authMessageHash(parsed.message), signatureFromBytes(parsed.signature));
  return ok ? parsed : undefined;
}
