/**
 * One engine, one workload, in its own process (so its peak RSS is its own).
 * Usage (spawned by run.ts): engine-process.ts <ours|peer> <workload file>
 * Prints one JSON line with the measurements.
 *
 * What each engine is given: the same ops in the same order. Ours is driven through its
 * allocation-free calls with numeric order ids (`book.limit(orderIndex, side, priceTicks,
 * sizeLots, "bench", "allow")`, `book.market(orderIndex, side, sizeLots, "bench", "allow")`,
 * `book.remove(orderIndex)`); nodejs-order-book through its own API with string ids
 * (`limit({ id: "o<index>", side, size, price })`, `market({ side, size })`, `cancel("o<index>")`),
 * the string type its API declares (given numbers instead it measured no faster). Both read
 * only the filled size from what a call returns.
 *
 * Method, identical for both engines:
 * - random workload: a warm-up replay of the first 200,000 ops on a throw-away book; then
 *   three throughput replays of all ops, each on a fresh book and timed as a whole (no
 *   per-op timer), by wall clock and by the process's CPU time (process.cpuUsage, user +
 *   system); the best (shortest) of the three counts for each. On a shared machine wall
 *   time includes time spent waiting for a core, so the CPU-time figure is the stable one.
 *   Then a latency replay on another fresh book with process.hrtime.bigint() read before
 *   and after every op (the ~90 ns timer cost is inside every sample, for both).
 * - sweep workload: setup (untimed) and a warm-up of 1,000 sweeps on a throw-away book; then
 *   on a fresh book every market order is timed with hrtime.bigint() (restores untimed);
 *   throughput = sweeps / summed sweep time (wall and CPU time alike; per-sweep CPU time is
 *   not measurable, so both figures are the same there).
 * - peak RSS: process.resourceUsage().maxRSS at the end (the process's high-water mark,
 *   including Node itself, the workload arrays and the id strings, which are the same for
 *   both engines); "base" is the RSS after loading the workload, before any book exists.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { OrderBook } from "../src/index.js";
import { CANCEL, LIMIT, MARKET, type Workload, decodeWorkload } from "./workloads.js";

type PeerBook = {
  limit(o: { id: string; side: "buy" | "sell"; size: number; price: number }): { quantityLeft: number };
  market(o: { side: "buy" | "sell"; size: number }): { quantityLeft: number };
  cancel(id: string): unknown;
  depth(): [Array<[number, number]>, Array<[number, number]>];
};
// nodejs-order-book's ESM build uses extension-less relative imports that Node cannot load; its CJS build works.
const require = createRequire(import.meta.url);
const { OrderBook: PeerOrderBook } = require("nodejs-order-book") as { OrderBook: new () => PeerBook };

interface Summary {
  filledLots: number;
  bestBid: number | null;
  bestAsk: number | null;
  bidLots: number;
  askLots: number;
}

function runOurs(book: OrderBook, w: Workload, from: number, to: number, samples: Float64Array | null, onlyMarket: boolean): number {
  const { ops, buy, priceTicks, sizeLots, orderIndex } = w;
  let filled = 0;
  let s = 0;
  for (let i = from; i < to; i++) {
    const op = ops[i];
    const timed = samples !== null && (!onlyMarket || op === MARKET);
    const t0 = timed ? process.hrtime.bigint() : 0n;
    if (op === LIMIT) {
      filled += book.limit(orderIndex[i] as number, buy[i] === 1 ? "buy" : "sell", priceTicks[i] as number, sizeLots[i] as number, "bench", "allow").filledLots;
    } else if (op === CANCEL) {
      book.remove(orderIndex[i] as number);
    } else {
      filled += book.market(orderIndex[i] as number, buy[i] === 1 ? "buy" : "sell", sizeLots[i] as number, "bench", "allow").filledLots;
    }
    if (timed) samples[s++] = Number(process.hrtime.bigint() - t0);
  }
  return filled;
}

function runPeer(book: PeerBook, w: Workload, ids: string[], from: number, to: number, samples: Float64Array | null, onlyMarket: boolean): number {
  const { ops, buy, priceTicks, sizeLots, orderIndex } = w;
  let filled = 0;
  let s = 0;
  for (let i = from; i < to; i++) {
    const op = ops[i];
    const timed = samples !== null && (!onlyMarket || op === MARKET);
    const t0 = timed ? process.hrtime.bigint() : 0n;
    if (op === LIMIT) {
      const size = sizeLots[i] as number;
      filled += size - book.limit({ id: ids[orderIndex[i] as number] as string, side: buy[i] === 1 ? "buy" : "sell", size, price: priceTicks[i] as number }).quantityLeft;
    } else if (op === CANCEL) {
      book.cancel(ids[orderIndex[i] as number] as string);
    } else {
      const size = sizeLots[i] as number;
      filled += size - book.market({ side: buy[i] === 1 ? "buy" : "sell", size }).quantityLeft;
    }
    if (timed) samples[s++] = Number(process.hrtime.bigint() - t0);
  }
  return filled;
}

function summarize(engine: string, book: OrderBook | PeerBook, filledLots: number): Summary {
  let bids: Array<readonly [number, number]>;
  let asks: Array<readonly [number, number]>;
  if (engine === "ours") ({ bids, asks } = (book as OrderBook).snapshot());
  else {
    const [a, b] = (book as PeerBook).depth();
    asks = [...a].sort((x, y) => x[0] - y[0]);
    bids = [...b].sort((x, y) => y[0] - x[0]);
  }
  const sum = (levels: Array<readonly [number, number]>) => levels.reduce((t, l) => t + l[1], 0);
  return { filledLots, bestBid: bids[0]?.[0] ?? null, bestAsk: asks[0]?.[0] ?? null, bidLots: sum(bids), askLots: sum(asks) };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const [engine, file] = process.argv.slice(2) as [string, string];
const w = decodeWorkload(readFileSync(file));
const ids = Array.from({ length: w.orderCount }, (_, i) => `o${i}`);
const newBook = (): OrderBook | PeerBook => (engine === "ours" ? new OrderBook() : new PeerOrderBook());
const run = (book: OrderBook | PeerBook, from: number, to: number, samples: Float64Array | null, onlyMarket: boolean): number =>
  engine === "ours" ? runOurs(book as OrderBook, w, from, to, samples, onlyMarket) : runPeer(book as PeerBook, w, ids, from, to, samples, onlyMarket);
(globalThis as { gc?: () => void }).gc?.();
const baseRss = process.memoryUsage.rss();

let opsPerSec: number;
let opsPerCpuSec: number;
let samples: Float64Array;
let summary: Summary | undefined;
const n = w.ops.length;
const cpuMicros = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};
if (w.name === "random") {
  run(newBook(), 0, Math.min(n, 200_000), null, false);
  let bestWallNs = Number.POSITIVE_INFINITY;
  let bestCpuUs = Number.POSITIVE_INFINITY;
  for (let rep = 0; rep < 3; rep++) {
    const book = newBook();
    const c0 = cpuMicros();
    const t0 = process.hrtime.bigint();
    const filled = run(book, 0, n, null, false);
    const wallNs = Number(process.hrtime.bigint() - t0);
    const cpuUs = cpuMicros() - c0;
    bestWallNs = Math.min(bestWallNs, wallNs);
    bestCpuUs = Math.min(bestCpuUs, cpuUs);
    const state = summarize(engine, book, filled);
    if (summary !== undefined && JSON.stringify(state) !== JSON.stringify(summary)) throw new Error("replays disagree");
    summary = state;
  }
  opsPerSec = n / (bestWallNs / 1e9);
  opsPerCpuSec = n / (bestCpuUs / 1e6);
  samples = new Float64Array(n);
  run(newBook(), 0, n, samples, false);
} else {
  const sweeps = n - w.setupOps === 0 ? 0 : w.ops.subarray(w.setupOps).filter((op) => op === MARKET).length;
  const warm = newBook();
  run(warm, 0, w.setupOps, null, false);
  let warmEnd = w.setupOps;
  for (let seen = 0; warmEnd < n && seen <= 1000; warmEnd++) if (w.ops[warmEnd] === MARKET) seen++;
  run(warm, w.setupOps, warmEnd - 1, null, false);
  const book = newBook();
  run(book, 0, w.setupOps, null, false);
  samples = new Float64Array(sweeps);
  const filled = run(book, w.setupOps, n, samples, true);
  let total = 0;
  for (const x of samples) total += x;
  opsPerSec = sweeps / (total / 1e9);
  opsPerCpuSec = opsPerSec;
  summary = summarize(engine, book, filled);
}
samples.sort();
const peakRssKb = process.resourceUsage().maxRSS;
process.stdout.write(
  `${JSON.stringify({
    engine,
    workload: w.name,
    ops: n,
    opsPerSec,
    opsPerCpuSec,
    p50Ns: percentile(samples, 0.5),
    p99Ns: percentile(samples, 0.99),
    p999Ns: percentile(samples, 0.999),
    peakRssMb: peakRssKb / 1024,
    baseRssMb: baseRss / 1024 / 1024,
    summary,
  })}\n`,
);
