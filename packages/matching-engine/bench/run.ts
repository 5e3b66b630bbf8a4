/**
 * `pnpm --filter @autonome/matching-engine bench`: the same seeded workloads through this
 * package's OrderBook and through nodejs-order-book, each engine in its own child process
 * (see engine-process.ts for the timing and memory method). Prints ops/s, p50/p99/p99.9
 * latency and peak RSS for both, and ends with one summary line a script can read:
 * `matching-engine vs nodejs-order-book: throughput 12.3x, p99 0.08x` (random workload;
 * throughput per CPU-second, best of three replays, see engine-process.ts).
 * Environment: BENCH_OPS (default 1000000), BENCH_SWEEPS (default 10000), BENCH_SEED (default 42).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeWorkload, randomWorkload, sweepWorkload } from "./workloads.js";

interface Measurement {
  engine: string;
  workload: string;
  ops: number;
  opsPerSec: number;
  opsPerCpuSec: number;
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  peakRssMb: number;
  baseRssMb: number;
  summary: Record<string, number | null>;
}

const opsCount = Number(process.env.BENCH_OPS ?? 1_000_000);
const sweeps = Number(process.env.BENCH_SWEEPS ?? 10_000);
const seed = Number(process.env.BENCH_SEED ?? 42);
const dir = mkdtempSync(join(tmpdir(), "me-bench-"));
const child = fileURLToPath(new URL("./engine-process.ts", import.meta.url));

function measure(engine: "ours" | "peer", file: string): Measurement {
  // tsx's loader flags are in execArgv; --expose-gc lets the child settle its baseline RSS.
  const out = execFileSync(process.execPath, [...process.execArgv, "--expose-gc", child, engine, file], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").pop() as string) as Measurement;
}

const us = (ns: number): string => (ns / 1000).toFixed(2).padStart(8);
const count = (x: number): string => Math.round(x).toLocaleString("en-US").padStart(10);
function line(label: string, m: Measurement, unit: string): string {
  const cpu = m.workload === "random" ? ` (${count(m.opsPerCpuSec)} per CPU-s)` : "";
  return `${label.padEnd(20)} ${count(m.opsPerSec)} ${unit}${cpu}  p50 ${us(m.p50Ns)} us  p99 ${us(m.p99Ns)} us  p99.9 ${us(m.p999Ns)} us  peak RSS ${m.peakRssMb.toFixed(0).padStart(5)} MB (base ${m.baseRssMb.toFixed(0)} MB)`;
}

try {
  console.log(`node ${process.version}, seed ${seed}; each engine runs in its own child process`);
  const results: Array<[Measurement, Measurement]> = [];
  for (const [label, workload, unit] of [
    [`random workload (${opsCount.toLocaleString("en-US")} ops: 60% limit, 25% cancel, 15% market)`, randomWorkload(seed, opsCount), "ops/s"],
    [`sweep workload (10,000 levels a side, ${sweeps.toLocaleString("en-US")} market orders taking 1-50 levels)`, sweepWorkload(seed, sweeps), "sweeps/s"],
  ] as const) {
    const file = join(dir, `${workload.name}.bin`);
    writeFileSync(file, encodeWorkload(workload));
    const ours = measure("ours", file);
    const peer = measure("peer", file);
    const same = JSON.stringify(ours.summary) === JSON.stringify(peer.summary);
    console.log(label);
    console.log(line("  matching-engine", ours, unit));
    console.log(line("  nodejs-order-book", peer, unit));
    console.log(
      `  ratio: throughput ${(ours.opsPerSec / peer.opsPerSec).toFixed(1)}x${workload.name === "random" ? ` (per CPU-s ${(ours.opsPerCpuSec / peer.opsPerCpuSec).toFixed(1)}x)` : ""}, p50 ${(ours.p50Ns / peer.p50Ns).toFixed(2)}x, p99 ${(ours.p99Ns / peer.p99Ns).toFixed(2)}x, p99.9 ${(ours.p999Ns / peer.p999Ns).toFixed(2)}x, peak RSS ${(ours.peakRssMb / peer.peakRssMb).toFixed(2)}x; end state ${same ? "identical" : `DIFFERS ${JSON.stringify(ours.summary)} vs ${JSON.stringify(peer.summary)}`}`,
    );
    results.push([ours, peer]);
  }
  const [ours, peer] = results[0] as [Measurement, Measurement];
  // The summary uses throughput per CPU-second: on a shared machine it does not depend on how
  // long each process waited for a core (both figures are printed above).
  console.log(
    `matching-engine vs nodejs-order-book: throughput ${(ours.opsPerCpuSec / peer.opsPerCpuSec).toFixed(1)}x, p99 ${(ours.p99Ns / peer.p99Ns).toFixed(2)}x`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
