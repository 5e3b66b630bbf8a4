/**
 * Backtest throughput: 30 days of 5-minute ticks (8,640) over 30 days of one-minute
 * klines of six symbols, the three built-in rule models, every fill and snapshot
 * persisted (in-memory PGlite, written under the output directory at the end).
 * The klines come from a data directory (`--data DIR` or AUTONOME_DATA_DIR: what
 * `pnpm autonome data download` writes, or any directory `pnpm backtest --data` reads)
 * or, without one, from a deterministic synthetic market of the same size (seed
 * "autonome", 6 symbols x 43,200 minutes); the `data:` line says which.
 * It runs the whole workload (8,640 ticks, under two minutes here);
 * BACKTEST_BENCH_TICKS=N runs the first N ticks instead; with DATABASE_URL set the run
 * writes into a fresh PostgreSQL schema instead (dropped after).
 * It prints report.json's sha256 (the same data and seed give the same report, however fast).
 * Last line: `backtest: N ticks/s (3 models, 6 symbols)`.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildReport, reportJson } from "../src/backtest/report.js";
import { runBacktest } from "../src/backtest/run.js";
import { benchBacktest } from "./history.js";

const out = mkdtempSync(join(tmpdir(), "autonome-backtest-bench-"));
try {
  const { prepared, fromMs, toMs, symbols, days, loadSeconds } = await benchBacktest(out, Number(process.env.BACKTEST_BENCH_TICKS ?? 8640), {
    DATABASE_URL: process.env.DATABASE_URL,
  });
  console.log(`loaded ${symbols} symbols of ${days.toFixed(0)}-day 1m klines in ${loadSeconds.toFixed(1)} s`);
  let lastLog = performance.now();
  let lastTickAt = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await runBacktest(prepared, {
    onTick: (p) => {
      const now = performance.now();
      lastTickAt = now;
      if (now - lastLog > 30_000) {
        lastLog = now;
        console.log(`  ${p.tick}/${p.ticks} ticks, ${((p.tick * 1000) / (now - started)).toFixed(1)} ticks/s`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`after the last tick: ${((performance.now() - lastTickAt) / 1000).toFixed(1)} s (final flush, report inputs, database written to disk)`);
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const trades = result.models.reduce((n, m) => n + m.trades.length, 0);
  console.log(`${result.times.length} ticks (${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()}), ${trades} closed trades, ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU (${(result.times.length / cpuSeconds).toFixed(1)} ticks per CPU second)`);
  if (result.database.kind === "postgres") {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists "${result.database.schema}" cascade`);
    await client.end();
  }
  console.log(`database: ${result.database.kind}`);
  // report.json has no wall-clock time and no random id: equal digests mean an identical report (a change that speeds the run must not move it).
  console.log(`report.json sha256: ${createHash("sha256").update(reportJson(buildReport(result))).digest("hex")}`);
  console.log(`backtest: ${(result.times.length / seconds).toFixed(1)} ticks/s (${result.models.length} models, ${prepared.symbols.length} symbols)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
