/**
 * Seeded bench workloads, generated once and replayed identically by every engine.
 *
 * - "random": 60% limit orders on a tick grid within 1% of mid (mid 100,000 ticks, prices
 *   mid -/+ 0..1,000 ticks on the passive side, up to 20 ticks through it so some cross),
 *   25% cancels of live orders, 15% market orders. Which orders are live is decided by an
 *   oracle book while generating, so every cancel targets an order that is resting at that
 *   moment in any correct price-time engine.
 * - "sweep": 10,000 one-order levels a side, then market orders taking 1-50 levels, each
 *   followed by limit orders restoring the consumed levels (restores are not timed).
 */
import { createRandom } from "@autonome/core";
import { OrderBook } from "../src/index.js";

/** Op codes. */
export const LIMIT = 0;
export const MARKET = 1;
export const CANCEL = 2;

/** A workload as parallel typed arrays (op i: `ops[i]`, `buy[i]`, ...). */
export interface Workload {
  name: string;
  ops: Uint8Array;
  buy: Uint8Array;
  priceTicks: Int32Array;
  sizeLots: Int32Array;
  /** Order index: the id of a limit/market order, the target of a cancel. */
  orderIndex: Int32Array;
  /** How many order ids the workload uses ("o0".."o{n-1}"). */
  orderCount: number;
  /** Sweep only: number of leading ops that build the book (untimed). */
  setupOps: number;
}

function allocate(name: string, n: number): Workload {
  return {
    name,
    ops: new Uint8Array(n),
    buy: new Uint8Array(n),
    priceTicks: new Int32Array(n),
    sizeLots: new Int32Array(n),
    orderIndex: new Int32Array(n),
    orderCount: 0,
    setupOps: 0,
  };
}

export const MID_TICKS = 100_000;

/** The 1,000,000-operation random workload (60% limit, 25% cancel of a live order, 15% market). */
export function randomWorkload(seed: number, n: number): Workload {
  const w = allocate("random", n);
  const rnd = createRandom(seed);
  const oracle = new OrderBook();
  const live = new Int32Array(n);
  const position = new Int32Array(n).fill(-1);
  let liveCount = 0;
  let nextOrder = 0;
  const addLive = (index: number): void => {
    position[index] = liveCount;
    live[liveCount++] = index;
  };
  const removeLive = (index: number): void => {
    const at = position[index] as number;
    if (at < 0) return;
    const last = live[--liveCount] as number;
    live[at] = last;
    position[last] = at;
    position[index] = -1;
  };
  const track = (result: ReturnType<OrderBook["submit"]>, index: number): void => {
    for (const fill of result.fills) if (fill.makerRemainingLots === 0) removeLive(Number(fill.makerOrderId.slice(1)));
    if (result.restingLots > 0) addLive(index);
  };
  for (let i = 0; i < n; i++) {
    const r = rnd.next();
    if (r < 0.6 || (r < 0.85 && liveCount === 0)) {
      const isBuy = rnd.next() < 0.5;
      const distance = rnd.int(-20, 1000);
      const price = isBuy ? MID_TICKS - distance : MID_TICKS + distance;
      const size = rnd.int(1, 100);
      const index = nextOrder++;
      w.ops[i] = LIMIT;
      w.buy[i] = isBuy ? 1 : 0;
      w.priceTicks[i] = price;
      w.sizeLots[i] = size;
      w.orderIndex[i] = index;
      track(oracle.submit({ id: `o${index}`, accountId: "bench", side: isBuy ? "buy" : "sell", kind: "limit", priceTicks: price, sizeLots: size, selfTrade: "allow" }), index);
    } else if (r < 0.85) {
      const index = live[rnd.int(0, liveCount - 1)] as number;
      w.ops[i] = CANCEL;
      w.orderIndex[i] = index;
      oracle.cancel(`o${index}`);
      removeLive(index);
    } else {
      const isBuy = rnd.next() < 0.5;
      const size = rnd.int(1, 200);
      const index = nextOrder++;
      w.ops[i] = MARKET;
      w.buy[i] = isBuy ? 1 : 0;
      w.sizeLots[i] = size;
      w.orderIndex[i] = index;
      track(oracle.submit({ id: `o${index}`, accountId: "bench", side: isBuy ? "buy" : "sell", kind: "market", sizeLots: size, selfTrade: "allow" }), index);
    }
  }
  w.orderCount = nextOrder;
  return w;
}

export const SWEEP_LEVELS = 10_000;

/** The sweep workload: 10,000 levels a side, `sweeps` market orders taking 1-50 levels, each followed by its restore. */
export function sweepWorkload(seed: number, sweeps: number): Workload {
  const rnd = createRandom(seed);
  const levelLots = [new Int32Array(SWEEP_LEVELS), new Int32Array(SWEEP_LEVELS)]; // [asks, bids], best first
  for (const side of levelLots) for (let l = 0; l < SWEEP_LEVELS; l++) side[l] = rnd.int(1, 20);
  const takes: number[] = [];
  const buys: boolean[] = [];
  let total = 2 * SWEEP_LEVELS;
  for (let s = 0; s < sweeps; s++) {
    const k = rnd.int(1, 50);
    takes.push(k);
    buys.push(rnd.next() < 0.5);
    total += 1 + k;
  }
  const w = allocate("sweep", total);
  let i = 0;
  let nextOrder = 0;
  const rest = (isBuy: boolean, level: number): void => {
    w.ops[i] = LIMIT;
    w.buy[i] = isBuy ? 1 : 0;
    w.priceTicks[i] = isBuy ? MID_TICKS - 1 - level : MID_TICKS + 1 + level;
    w.sizeLots[i] = (levelLots[isBuy ? 1 : 0] as Int32Array)[level] as number;
    w.orderIndex[i] = nextOrder++;
    i++;
  };
  // Build far levels first so every insert is a new best (the cheapest way for both engines).
  for (let l = SWEEP_LEVELS - 1; l >= 0; l--) {
    rest(false, l);
    rest(true, l);
  }
  w.setupOps = i;
  for (let s = 0; s < sweeps; s++) {
    const k = takes[s] as number;
    const isBuy = buys[s] as boolean;
    const side = levelLots[isBuy ? 0 : 1] as Int32Array; // a buy takes asks
    let size = 0;
    for (let l = 0; l < k; l++) size += side[l] as number;
    w.ops[i] = MARKET;
    w.buy[i] = isBuy ? 1 : 0;
    w.sizeLots[i] = size;
    w.orderIndex[i] = nextOrder++;
    i++;
    for (let l = k - 1; l >= 0; l--) rest(!isBuy, l);
  }
  w.orderCount = nextOrder;
  return w;
}

/** Serialises a workload to bytes (for handing it to a child process through a file). */
export function encodeWorkload(w: Workload): Buffer {
  const n = w.ops.length;
  const header = Buffer.from(JSON.stringify({ name: w.name, n, orderCount: w.orderCount, setupOps: w.setupOps }) + "\n");
  return Buffer.concat([
    header,
    Buffer.from(w.ops.buffer, w.ops.byteOffset, n),
    Buffer.from(w.buy.buffer, w.buy.byteOffset, n),
    Buffer.from(w.priceTicks.buffer, w.priceTicks.byteOffset, 4 * n),
    Buffer.from(w.sizeLots.buffer, w.sizeLots.byteOffset, 4 * n),
    Buffer.from(w.orderIndex.buffer, w.orderIndex.byteOffset, 4 * n),
  ]);
}

/** Reads a workload written by encodeWorkload. */
export function decodeWorkload(bytes: Buffer): Workload {
  const newline = bytes.indexOf(10);
  const meta = JSON.parse(bytes.subarray(0, newline).toString()) as { name: string; n: number; orderCount: number; setupOps: number };
  const n = meta.n;
  let offset = newline + 1;
  const take = (len: number): ArrayBuffer => {
    const out = new ArrayBuffer(len);
    new Uint8Array(out).set(bytes.subarray(offset, offset + len));
    offset += len;
    return out;
  };
  return {
    name: meta.name,
    ops: new Uint8Array(take(n)),
    buy: new Uint8Array(take(n)),
    priceTicks: new Int32Array(take(4 * n)),
    sizeLots: new Int32Array(take(4 * n)),
    orderIndex: new Int32Array(take(4 * n)),
    orderCount: meta.orderCount,
    setupOps: meta.setupOps,
  };
}
