/**
 * Poseidon2 over Goldilocks, width 12, rate 8, x^7 S-box, 4 + 4 full rounds and
 * 22 partial rounds (the plonky2-style instance of elliottech/poseidon_crypto),
 * and its overwrite-mode sponge without padding.
 * Invariant: the permutation works on a fresh copy; inputs are never mutated.
 */
import { P, fromUint64 } from "./goldilocks.js";
import type { Fp5 } from "./quintic.js";
import { EXTERNAL_ROUND_CONSTANTS, INTERNAL_DIAGONAL, INTERNAL_ROUND_CONSTANTS } from "./poseidon2-constants.js";

/** State width. */
export const WIDTH = 12;
/** Sponge rate (elements absorbed per permutation). */
export const RATE = 8;
const ROUNDS_F_HALF = 4;
const ROUNDS_P = 22;

/** A 4-element digest, as plonky2's HashOut. */
export type HashOut = readonly [bigint, bigint, bigint, bigint];

function sbox(x: bigint): bigint {
  const x2 = (x * x) % P;
  const x3 = (x2 * x) % P;
  const x6 = (x3 * x3) % P;
  return (x6 * x) % P;
}

/** The external layer: circulant 4x4 block (M4) on each quarter, then adds the column sums. */
function externalLinearLayer(s: bigint[]): void {
  for (let i = 0; i < WIDTH; i += 4) {
    const x0 = s[i]!;
    const x1 = s[i + 1]!;
    const x2 = s[i + 2]!;
    const x3 = s[i + 3]!;
    const t01 = x0 + x1;
    const t23 = x2 + x3;
    const t0123 = t01 + t23;
    s[i] = t0123 + t01 + x1;
    s[i + 1] = t0123 + x1 + 2n * x2;
    s[i + 2] = t0123 + t23 + x3;
    s[i + 3] = t0123 + x3 + 2n * x0;
  }
  for (let k = 0; k < 4; k++) {
    const sum = s[k]! + s[k + 4]! + s[k + 8]!;
    s[k] = (s[k]! + sum) % P;
    s[k + 4] = (s[k + 4]! + sum) % P;
    s[k + 8] = (s[k + 8]! + sum) % P;
  }
}

/** The internal layer: x_i -> x_i * d_i + sum(x). */
function internalLinearLayer(s: bigint[]): void {
  let sum = 0n;
  for (let i = 0; i < WIDTH; i++) sum += s[i]!;
  for (let i = 0; i < WIDTH; i++) s[i] = (s[i]! * INTERNAL_DIAGONAL[i]! + sum) % P;
}

function fullRounds(s: bigint[], start: number): void {
  for (let r = start; r < start + ROUNDS_F_HALF; r++) {
    const base = r * WIDTH;
    for (let i = 0; i < WIDTH; i++) s[i] = sbox((s[i]! + EXTERNAL_ROUND_CONSTANTS[base + i]!) % P);
    externalLinearLayer(s);
  }
}

/** Applies the permutation in place to a 12-element state of canonical elements. */
export function permuteInPlace(s: bigint[]): void {
  externalLinearLayer(s);
  fullRounds(s, 0);
  for (let r = 0; r < ROUNDS_P; r++) {
    s[0] = sbox((s[0]! + INTERNAL_ROUND_CONSTANTS[r]!) % P);
    internalLinearLayer(s);
  }
  fullRounds(s, ROUNDS_F_HALF);
}

/** The Poseidon2 permutation of a 12-element state (values reduced mod p first). */
export function permute(state: readonly bigint[]): bigint[] {
  if (state.length !== WIDTH) throw new RangeError(`state must have ${WIDTH} elements`);
  const s = state.map((v) => fromUint64(v));
  permuteInPlace(s);
  return s;
}

/**
 * Sponge without padding (plonky2 hash_n_to_m_no_pad): absorb RATE elements at a
 * time by overwriting, permute after each chunk, then squeeze `numOutputs` elements.
 */
export function hashNToMNoPad(input: readonly bigint[], numOutputs: number): bigint[] {
  const s: bigint[] = new Array<bigint>(WIDTH).fill(0n);
  for (let i = 0; i < input.length; i += RATE) {
    for (let j = 0; j < RATE && i + j < input.length; j++) s[j] = fromUint64(input[i + j]!);
    permuteInPlace(s);
  }
  const out: bigint[] = [];
  // Bounded: each pass yields RATE outputs.
  for (;;) {
    for (let i = 0; i < RATE; i++) {
      out.push(s[i]!);
      if (out.length === numOutputs) return out;
    }
    permuteInPlace(s);
  }
}

/** hash_no_pad: a 4-element digest of any number of elements. */
export function hashNoPad(input: readonly bigint[]): HashOut {
  const [a, b, c, d] = hashNToMNoPad(input, 4);
  return [a!, b!, c!, d!];
}

/** Two digests into one. */
export function hashTwoToOne(left: HashOut, right: HashOut): HashOut {
  return hashNoPad([...left, ...right]);
}

/** Folds digests left to right with hashTwoToOne (a single digest is returned as is). */
export function hashNToOne(inputs: readonly HashOut[]): HashOut {
  if (inputs.length === 0) throw new RangeError("hashNToOne needs at least one digest");
  let acc = inputs[0]!;
  for (let i = 1; i < inputs.length; i++) acc = hashTwoToOne(acc, inputs[i]!);
  return acc;
}

/** Hashes elements to one GF(p^5) element (five squeezed limbs). */
export function hashToQuinticExtension(input: readonly bigint[]): Fp5 {
  const [a, b, c, d, e] = hashNToMNoPad(input, 5);
  return [a!, b!, c!, d!, e!];
}
