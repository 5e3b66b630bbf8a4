/**
 * ECgFp5 (Thomas Pornin's prime-order curve over GF(p^5)) in the fractional
 * (x, u) = (X/Z, U/T) coordinates with u = x/y, where the neutral has u = 0.
 * The group law is the curve law shifted by the point N = (0, 0); the complete
 * formulas below already include it. Encoding is the single GF(p^5) value w = 1/u = y/x.
 * Invariant: points are immutable values; scalar multiplication is variable-time
 * (fine for a client signing its own orders, not for a shared-host HSM).
 */
import * as Q from "./quintic.js";
import type { Fp5 } from "./quintic.js";
import { inverseOrZero as baseInverse } from "./goldilocks.js";
import { scalarReduce } from "./scalar.js";

/** A curve point in projective fractional coordinates (x = X/Z, u = U/T). */
export interface Point {
  readonly x: Fp5;
  readonly z: Fp5;
  readonly u: Fp5;
  readonly t: Fp5;
}

const A: Fp5 = [2n, 0n, 0n, 0n, 0n];
const B1 = 263n;
const B_MUL4: Fp5 = [0n, 4n * B1, 0n, 0n, 0n];
const FOUR: Fp5 = [4n, 0n, 0n, 0n, 0n];
// b = 263 X is sparse, so products with b, 2b and 4b are limb shifts (Q.mulByX), not full multiplications.
const mulB = (a: Fp5): Fp5 => Q.mulByX(a, B1);
const mulB2 = (a: Fp5): Fp5 => Q.mulByX(a, 2n * B1);
const mulB4 = (a: Fp5): Fp5 => Q.mulByX(a, 4n * B1);
const INV_TWO = baseInverse(2n);

/** The group's neutral element. */
export const NEUTRAL: Point = Object.freeze({ x: Q.FP5_ZERO, z: Q.FP5_ONE, u: Q.FP5_ZERO, t: Q.FP5_ONE });

/** The conventional generator (poseidon_crypto / pornin ecgfp5). */
export const GENERATOR: Point = Object.freeze({
  x: [12883135586176881569n, 4356519642755055268n, 5248930565894896907n, 2165973894480315022n, 2448410071095648785n] as Fp5,
  z: Q.FP5_ONE,
  u: Q.FP5_ONE,
  t: [4n, 0n, 0n, 0n, 0n] as Fp5,
});

/** A point from its four coordinates (for tests and vectors). */
export function pointFromCoordinates(x: Fp5, z: Fp5, u: Fp5, t: Fp5): Point {
  return { x, z, u, t };
}

/** Whether the point is the neutral element. */
export function isNeutral(p: Point): boolean {
  return Q.isZero(p.u);
}

/** Group equality (u1 * t2 == u2 * t1). */
export function pointEquals(p: Point, q: Point): boolean {
  return Q.equals(Q.mul(p.u, q.t), Q.mul(q.u, p.t));
}

/** Complete addition (10M). */
export function pointAdd(p: Point, q: Point): Point {
  const t1 = Q.mul(p.x, q.x);
  const t2 = Q.mul(p.z, q.z);
  const t3 = Q.mul(p.u, q.u);
  const t4 = Q.mul(p.t, q.t);
  const t5 = Q.sub(Q.mul(Q.add(p.x, p.z), Q.add(q.x, q.z)), Q.add(t1, t2));
  const t6 = Q.sub(Q.mul(Q.add(p.u, p.t), Q.add(q.u, q.t)), Q.add(t3, t4));
  const t7 = Q.add(t1, mulB(t2));
  const t8 = Q.mul(t4, t7);
  const t9 = Q.mul(t3, Q.add(mulB2(t5), Q.double(t7)));
  const t10 = Q.mul(Q.add(t4, Q.double(t3)), Q.add(t5, t7));
  return {
    x: mulB(Q.sub(t10, t8)),
    z: Q.sub(t8, t9),
    u: Q.mul(t6, Q.sub(mulB(t2), t1)),
    t: Q.add(t8, t9),
  };
}

/** Doubling (4M + 5S). */
export function pointDouble(p: Point): Point {
  const t1 = Q.mul(p.z, p.t);
  const t2 = Q.mul(t1, p.t);
  const x1 = Q.square(t2);
  const z1 = Q.mul(t1, p.u);
  const t3 = Q.square(p.u);
  const w1 = Q.sub(t2, Q.mul(t3, Q.double(Q.add(p.x, p.z))));
  const t4 = Q.square(z1);
  const zNew = Q.square(w1);
  return {
    x: mulB4(t4),
    z: zNew,
    u: Q.sub(Q.square(Q.add(w1, z1)), Q.add(t4, zNew)),
    t: Q.sub(Q.double(x1), Q.add(Q.scale(t4, 4n), zNew)),
  };
}

/**
 * 2^n * P with the (x, w) fractional doubling chain (pornin's mdouble): 2M + 5S per
 * doubling after the first, against 4M + 5S for repeated pointDouble.
 */
export function pointMDouble(p: Point, n: number): Point {
  if (n === 0) return p;
  if (n === 1) return pointDouble(p);
  const t1a = Q.mul(p.z, p.t);
  const t2a = Q.mul(t1a, p.t);
  const x1 = Q.square(t2a);
  const z1 = Q.mul(t1a, p.u);
  const t3a = Q.square(p.u);
  const w1 = Q.sub(t2a, Q.mul(Q.double(Q.add(p.x, p.z)), t3a));
  const t4a = Q.square(w1);
  const t5a = Q.square(z1);
  let x = Q.mulByX(Q.square(t5a), 16n * B1);
  let w = Q.sub(Q.double(x1), Q.add(Q.scale(t5a, 4n), t4a));
  let z = Q.sub(Q.square(Q.add(w1, z1)), Q.add(t4a, t5a));
  for (let i = 2; i < n; i++) {
    const t1 = Q.square(z);
    const t2 = Q.square(t1);
    const t3 = Q.square(w);
    const t4 = Q.square(t3);
    const t5 = Q.sub(Q.square(Q.add(w, z)), Q.add(t1, t3));
    z = Q.mul(t5, Q.sub(Q.double(Q.add(x, t1)), t3));
    x = Q.mulByX(Q.mul(t2, t4), 16n * B1);
    w = Q.neg(Q.add(t4, Q.mul(t2, Q.sub(B_MUL4, FOUR))));
  }
  const t1 = Q.square(w);
  const t2 = Q.square(z);
  const t3 = Q.sub(Q.square(Q.add(w, z)), Q.add(t1, t2));
  const w1b = Q.sub(t1, Q.double(Q.add(x, t2)));
  const zNew = Q.square(w1b);
  return {
    x: mulB(Q.square(t3)),
    z: zNew,
    u: Q.mul(t3, w1b),
    t: Q.sub(Q.mul(Q.double(t1), Q.sub(t1, Q.double(t2))), zNew),
  };
}

/** The inverse point (negating u). */
export function pointNeg(p: Point): Point {
  return { x: p.x, z: p.z, u: Q.neg(p.u), t: p.t };
}

/** The canonical encoding w = t / u (0 for the neutral). */
export function encodePoint(p: Point): Fp5 {
  return Q.mul(p.t, Q.inverseOrZero(p.u));
}

/**
 * Decodes w into a point, or undefined if w encodes no point. The curve is
 * y^2 = x (x^2 + a x + b) and w = y / x, so x solves x^2 - (w^2 - a) x + b = 0;
 * of the two roots exactly one is a non-square, and that one is the point.
 */
export function decodePoint(w: Fp5): Point | undefined {
  if (Q.isZero(w)) return NEUTRAL;
  const e = Q.sub(Q.square(w), A);
  const delta = Q.sub(Q.square(e), B_MUL4);
  const r = Q.canonicalSqrt(delta);
  if (r === undefined) return undefined;
  const x1 = Q.scale(Q.add(e, r), INV_TWO);
  const x2 = Q.scale(Q.sub(e, r), INV_TWO);
  const x = Q.legendre(x1) === 1n ? x2 : x1;
  return { x, z: Q.FP5_ONE, u: Q.FP5_ONE, t: w };
}

/** Mixed addition with an affine point (z = t = 1): 8M. */
function pointAddAffine(p: Point, q: Point): Point {
  const t1 = Q.mul(p.x, q.x);
  const t2 = p.z;
  const t3 = Q.mul(p.u, q.u);
  const t4 = p.t;
  const t5 = Q.add(p.x, Q.mul(q.x, p.z));
  const t6 = Q.add(p.u, Q.mul(q.u, p.t));
  const t7 = Q.add(t1, mulB(t2));
  const t8 = Q.mul(t4, t7);
  const t9 = Q.mul(t3, Q.add(mulB2(t5), Q.double(t7)));
  const t10 = Q.mul(Q.add(t4, Q.double(t3)), Q.add(t5, t7));
  return {
    x: mulB(Q.sub(t10, t8)),
    z: Q.sub(t8, t9),
    u: Q.mul(t6, Q.sub(mulB(t2), t1)),
    t: Q.add(t8, t9),
  };
}

const WINDOW_BITS = 4;
const WINDOW_SIZE = 1 << WINDOW_BITS;
const SCALAR_WINDOWS = Math.ceil(320 / WINDOW_BITS);

/** [0P, 1P, ..., 15P]; entry 0 is the neutral. */
function windowTable(p: Point): Point[] {
  const table: Point[] = [NEUTRAL, p];
  for (let i = 2; i < WINDOW_SIZE; i++) table.push(i % 2 === 0 ? pointDouble(table[i / 2]!) : pointAdd(table[i - 1]!, p));
  return table;
}

/** k * P for any point, by a fixed 4-bit window (variable time). */
export function pointMul(p: Point, k: bigint): Point {
  const s = scalarReduce(k);
  const table = windowTable(p);
  let acc: Point = NEUTRAL;
  for (let w = SCALAR_WINDOWS - 1; w >= 0; w--) {
    acc = pointMDouble(acc, WINDOW_BITS);
    const digit = Number((s >> BigInt(w * WINDOW_BITS)) & BigInt(WINDOW_SIZE - 1));
    if (digit !== 0) acc = pointAdd(acc, table[digit]!);
  }
  return acc;
}

/** Converts points to affine form with one inversion (Montgomery's trick over all z and t). */
function batchToAffine(points: readonly Point[]): Point[] {
  const values: Fp5[] = [];
  for (const p of points) values.push(p.z, p.t);
  const prefix: Fp5[] = [];
  let acc: Fp5 = Q.FP5_ONE;
  for (const v of values) {
    prefix.push(acc);
    acc = Q.mul(acc, v);
  }
  let inv = Q.inverseOrZero(acc);
  const inverses: Fp5[] = new Array<Fp5>(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    inverses[i] = Q.mul(inv, prefix[i]!);
    inv = Q.mul(inv, values[i]!);
  }
  return points.map((p, i) => ({ x: Q.mul(p.x, inverses[2 * i]!), z: Q.FP5_ONE, u: Q.mul(p.u, inverses[2 * i + 1]!), t: Q.FP5_ONE }));
}

/** Per 4-bit window i: [j * 16^i * base for j in 1..15], affine (no point in it is the neutral for base != neutral). */
function buildWindows(base: Point): Point[][] {
  const rows: Point[][] = [];
  let current = base;
  for (let w = 0; w < SCALAR_WINDOWS; w++) {
    rows.push(windowTable(current).slice(1));
    current = pointMDouble(current, WINDOW_BITS);
  }
  const flat = batchToAffine(rows.flat());
  return rows.map((_, w) => flat.slice(w * (WINDOW_SIZE - 1), (w + 1) * (WINDOW_SIZE - 1)));
}

/** k * base from a window table: about 80 mixed additions and no doublings. */
function mulWithWindows(rows: Point[][], k: bigint): Point {
  const s = scalarReduce(k);
  let acc: Point = NEUTRAL;
  for (let w = 0; w < SCALAR_WINDOWS; w++) {
    const digit = Number((s >> BigInt(w * WINDOW_BITS)) & BigInt(WINDOW_SIZE - 1));
    if (digit !== 0) acc = pointAddAffine(acc, rows[w]![digit - 1]!);
  }
  return acc;
}

let generatorTable: Point[][] | undefined;

/** k * G using a table built once on first use. */
export function mulGenerator(k: bigint): Point {
  generatorTable ??= buildWindows(GENERATOR);
  return mulWithWindows(generatorTable, k);
}

const KEY_TABLE_LIMIT = 32;
const keyTables = new Map<string, Point[][] | "seen">();

/**
 * k * P for a point identified by `id` (its encoding): the first use multiplies
 * directly, a second use builds a window table that later uses share (LRU of
 * 32 points). A verifier checking many signatures of the same key pays for the
 * table once.
 */
export function pointMulCached(p: Point, k: bigint, id: string): Point {
  const entry = keyTables.get(id);
  if (entry === undefined) {
    if (keyTables.size >= KEY_TABLE_LIMIT) keyTables.delete(keyTables.keys().next().value!);
    keyTables.set(id, "seen");
    return pointMul(p, k);
  }
  keyTables.delete(id);
  const rows = entry === "seen" ? buildWindows(p) : entry;
  keyTables.set(id, rows);
  return mulWithWindows(rows, k);
}
