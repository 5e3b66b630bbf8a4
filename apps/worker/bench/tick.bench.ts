/**
 * One scheduler tick with 5, 20 and 80 rule models over 6 synthetic symbols on the
 * embedded database (PGlite in a data directory, as `pnpm start` runs it). Rule models
 * answer in microseconds, so a tick's duration is our own overhead: leases, market
 * advance, reconciliation, prompts and tool execution, persistence, snapshots and the
 * heartbeat. Prints a table, then one summary line a script can read.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { SILENT } from "../src/logger.js";

const SIZES = [5, 20, 80] as const;
const MEASURED_TICKS = 3;
const RULES = ["buy-and-hold-btc", "trend-follower", "mean-reverter"] as const;

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
