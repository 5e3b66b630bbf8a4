/**
 * Season throughput: a season of 20 one-day windows x the three built-in rule models
 * (20 full backtests of 288 five-minute ticks over six symbols), run twice from scratch,
 * with 1 and with 2 local worker processes, each on its own embedded PostgreSQL (or, with
 * DATABASE_URL, on that database under two fresh season names). The history comes from a
 * data directory (`--data DIR` or AUTONOME_DATA_DIR, 30 days of one-minute klines as
 * `pnpm autonome data download` writes) or, without one, from a deterministic synthetic
 * market of the same size; the `data:` line says which. SEASON_BENCH_PROCESSES=1,2 picks
 * the process counts. Last line: `season: 20 runs x 3 models: ...runs/min with N processes...`.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchHistoryDir } from "./history.js";
import { seasonMain } from "../src/season/command.js";

const out = mkdtempSync(join(tmpdir(), "autonome-season-bench-"));
chmodSync(out, 0o755); // as root the embedded server runs as `postgres`, who must reach its data directory
try {
  const dataDir = await benchHistoryDir(out);
  const counts = (process.env.SEASON_BENCH_PROCESSES ?? "1,2").split(",").map(Number);
  const results: string[] = [];
  for (const processes of counts) {
    const lines: string[] = [];
    const started = performance.now();
    const env: Record<string, string | undefined> = { DATABASE_URL: process.env.DATABASE_URL };
    const code = await seasonMain(
      ["--windows", "20", "--window", "1d", "--data", dataDir, "--processes", String(processes), "--out", join(out, `p${processes}`), "--season", `bench-${processes}-${Date.now().toString(36)}`],
      env,
      { out: (line) => lines.push(line), err: () => undefined, tty: false },
    );
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`the season failed (exit ${code}): ${lines.join("\n")}`);
    for (const line of lines) console.log(`  ${line}`);
    const perMinute = (20 * 60) / seconds;
    console.log(`${processes} process${processes > 1 ? "es" : ""}: 20 runs in ${seconds.toFixed(1)} s (start to report, database start included): ${perMinute.toFixed(1)} runs/min`);
    results.push(`${perMinute.toFixed(1)} runs/min with ${processes} process${processes > 1 ? "es" : ""} (${seconds.toFixed(1)} s)`);
  }
  console.log(`season: 20 runs x 3 models: ${results.join(", ")}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
