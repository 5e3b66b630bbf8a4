/**
 * One scheduler tick with 5, 20 and 80 rule models over 6 synthetic symbols on the
 * embedded database (PGlite in a data directory, as `pnpm start` runs it). Rule models
 * answer in microseconds, so a tick's duration is our own overhead: leases, market
 * advance, reconciliation, prompts and tool execution, persistence, snapshots and the
 * heartbeat. Prints a table, then one summary line a script can read.
 *
 * Soak mode (`--soak MINUTES`, or TICK_BENCH_SOAK_MINUTES): the running scheduler at 1 s
 * ticks (`--models N`, default 6) for that long, on the real clock, and then the median
 * tick and the process's RSS over the first and the last 100 ticks: whether a tick's cost
 * and the memory grow with history. Ends with one summary line too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { SILENT } from "../src/logger.js";

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const soakMinutes = Number(flag("--soak") ?? process.env.TICK_BENCH_SOAK_MINUTES ?? 0);
if (!(soakMinutes >= 0) || !Number.isFinite(soakMinutes)) throw new Error(`--soak wants minutes, got ${flag("--soak")}`);

const SIZES = [5, 20, 80] as const;
/** Steady-state ticks measured per size; the median is reported (3 proved too few: one slow tick in three moved it by 50%). */
const MEASURED_TICKS = 9;
const RULES = ["buy-and-hold-btc", "trend-follower", "mean-reverter"] as const;

if (soakMinutes > 0) {
  await soak(soakMinutes, Number(flag("--models") ?? 6));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "autonome-bench-"));
const models = Array.from({ length: Math.max(...SIZES) }, (_, i) => ({ id: `rule-${String(i).padStart(2, "0")}`, kind: "rule", rule: RULES[i % RULES.length] }));
const config = loadConfig({ INIT_CWD: dir, AUTONOME_DB_DIR: "db", MODELS: JSON.stringify(models), SEED: "bench", LOG_LEVEL: "error" });
const worker = await startWorker(config, SILENT, { autoStart: false });
const symbols = worker.runtime.market.markets().length;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const results: Record<number, number> = {};
try {
  const all = await worker.db.models.list();
  for (const size of SIZES) {
    const names = new Set(models.slice(0, size).map((m) => m.id));
    for (const m of all) await worker.db.models.setEnabled(m.id, names.has(m.name));
    // Warm-up: the first tick of a model opens its positions; later ticks are the steady state.
    const warm = await worker.scheduler.runTick();
    if (warm.ran.length !== size) throw new Error(`expected ${size} models to run, ran ${warm.ran.length}`);
    const durations: number[] = [];
    for (let i = 0; i < MEASURED_TICKS; i++) {
      const started = performance.now();
      const report = await worker.scheduler.runTick();
      durations.push(performance.now() - started);
      if (report.failed.length > 0 || report.timedOut.length > 0) throw new Error(`tick failed: ${JSON.stringify(report)}`);
    }
    results[size] = Math.round(median(durations));
    console.log(`${String(size).padStart(3)} models x ${symbols} symbols: median ${results[size]} ms a tick (${durations.map((d) => Math.round(d)).join(", ")}), ${(results[size] / size).toFixed(1)} ms a model`);
  }
} finally {
  await worker.stop(0);
  rmSync(dir, { recursive: true, force: true });
}
console.log(`worker tick overhead: ${SIZES.map((s) => `${s} models ${results[s]} ms`).join(", ")}`);

/** The soak: the scheduler's own loop at 1 s ticks for `minutes`; see the module header. */
async function soak(minutes: number, count: number): Promise<void> {
  const SAMPLE = 100;
  const dir = mkdtempSync(join(tmpdir(), "autonome-soak-"));
  const models = Array.from({ length: count }, (_, i) => ({ id: `rule-${String(i).padStart(2, "0")}`, kind: "rule", rule: RULES[i % RULES.length] }));
  const config = loadConfig({ INIT_CWD: dir, AUTONOME_DB_DIR: "db", MODELS: JSON.stringify(models), SEED: "soak", LOG_LEVEL: "error", TRADE_INTERVAL_MS: "1000" });
  const worker = await startWorker(config, SILENT, { autoStart: false });
  const ticks: Array<{ ms: number; rssMb: number; heapMb: number; failed: number }> = [];
  worker.events.on("tickFinished", (event) => {
    const memory = process.memoryUsage();
    ticks.push({ ms: event.payload.durationMs, rssMb: memory.rss / 2 ** 20, heapMb: memory.heapUsed / 2 ** 20, failed: event.payload.failed.length + event.payload.timedOut.length });
  });
  console.log(`soak: ${count} rule models x ${worker.runtime.market.markets().length} synthetic symbols, 1 s ticks for ${minutes} min, embedded PGlite, node ${process.version}`);
  const started = performance.now();
  worker.scheduler.start();
  const endAt = started + minutes * 60_000;
  let nextReport = started + 60_000;
  while (performance.now() < endAt) {
    await new Promise((r) => setTimeout(r, 1_000));
    if (performance.now() >= nextReport && ticks.length > 0) {
      const recent = ticks.slice(-60);
      // With --expose-gc the heap is measured after a collection: what is really kept.
      (globalThis as { gc?: () => void }).gc?.();
      const memory = process.memoryUsage();
      const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
      console.log(
        `  ${Math.round((performance.now() - started) / 60_000)} min: ${ticks.length} ticks, median of the last 60 ${Math.round(median(recent.map((t) => t.ms)))} ms, RSS ${mb(memory.rss)} MB, heap ${mb(memory.heapUsed)} MB, external ${mb(memory.external)} MB (array buffers ${mb(memory.arrayBuffers)} MB)`,
      );
      nextReport += 60_000;
    }
  }
  await worker.stop(10_000);
  rmSync(dir, { recursive: true, force: true });
  if (ticks.length < 2 * SAMPLE) throw new Error(`only ${ticks.length} ticks in ${minutes} min: run the soak for at least ${Math.ceil((2 * SAMPLE) / 60) + 1} minutes`);
  const first = ticks.slice(0, SAMPLE);
  const last = ticks.slice(-SAMPLE);
  const stats = (sample: typeof ticks) => ({ ms: Math.round(median(sample.map((t) => t.ms))), rss: Math.round(median(sample.map((t) => t.rssMb))), heap: Math.round(median(sample.map((t) => t.heapMb))) });
  const a = stats(first);
  const b = stats(last);
  const failed = ticks.reduce((n, t) => n + t.failed, 0);
  console.log(`first ${SAMPLE} ticks: median ${a.ms} ms, RSS ${a.rss} MB, heap ${a.heap} MB`);
  console.log(`last ${SAMPLE} ticks:  median ${b.ms} ms, RSS ${b.rss} MB, heap ${b.heap} MB (${failed} failed or timed-out runs in ${ticks.length} ticks)`);
  console.log(`worker soak: ${count} models, ${minutes} min, ${ticks.length} ticks: median tick ${a.ms} -> ${b.ms} ms, RSS ${a.rss} -> ${b.rss} MB (first -> last ${SAMPLE} ticks)`);
}
