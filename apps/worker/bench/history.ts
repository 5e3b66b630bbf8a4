/**
 * The history the worker's benches replay: the data directory of `--data DIR` or
 * AUTONOME_DATA_DIR when there is one, else a deterministic synthetic market of the same
 * size written under `out`. Prints the `data:` line saying which.
 */
import { join } from "node:path";
import { ReplayRecording, writeSyntheticHistory } from "@autonome/market-data";
import { SYNTHETIC_MINUTES, SYNTHETIC_SEED, dataDirOption } from "../../../scripts/bench-data.js";
import { parseBacktestArgs } from "../src/backtest/options.js";
import { type PreparedBacktest, prepareBacktest } from "../src/backtest/run.js";

/** The directory of kline (and funding) CSVs a bench replays. */
export async function benchHistoryDir(out: string): Promise<string> {
  const dataDir = dataDirOption();
  if (dataDir !== undefined) {
    console.log(`data: ${dataDir} (recorded)`);
    return dataDir;
  }
  const generated = performance.now();
  const directory = join(out, "synthetic");
  const history = await writeSyntheticHistory({ directory, seed: SYNTHETIC_SEED, minutes: SYNTHETIC_MINUTES });
  console.log(`data: synthetic (seed ${SYNTHETIC_SEED}, ${history.symbols.length} symbols x ${history.minutes} min), written in ${((performance.now() - generated) / 1000).toFixed(1)} s`);
  return directory;
}

const TICK_MS = 5 * 60_000;

/** The backtest benches' workload, ready to run: its first `ticks` five-minute ticks, and what the `loaded` line says. */
export interface BenchBacktest {
  prepared: PreparedBacktest;
  fromMs: number;
  toMs: number;
  /** Symbols and whole days of one-minute klines in the history, and the seconds loading them took. */
  symbols: number;
  days: number;
  loadSeconds: number;
}

/**
 * The history of {@link benchHistoryDir} as `pnpm backtest --data DIR --interval 5m` reads it (its
 * kline CSVs and its *funding* CSVs), run into `out/run`: the first tick is the first 5-minute
 * boundary of the data (a warm-up day before it), the end bounded by the data.
 */
export async function benchBacktest(out: string, ticks: number, env: { DATABASE_URL?: string } = {}): Promise<BenchBacktest> {
  const dataDir = await benchHistoryDir(out);
  const options = parseBacktestArgs(["--data", dataDir, "--interval", "5m", "--out", join(out, "run")], env);
  const loadStarted = performance.now();
  const recording = ReplayRecording.load({ klines: options.klines, funding: options.funding });
  const probe = prepareBacktest({ ...options, fromMs: null, toMs: null }, recording);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const fromMs = Math.ceil((probe.fromMs - 86_400_000) / TICK_MS) * TICK_MS;
  const toMs = Math.min(fromMs + ticks * TICK_MS, Math.floor(probe.toMs / TICK_MS) * TICK_MS);
  return {
    prepared: prepareBacktest({ ...options, fromMs, toMs }, recording),
    fromMs,
    toMs,
    symbols: probe.symbols.length,
    days: (probe.toMs - probe.fromMs) / 86_400_000 + 1,
    loadSeconds,
  };
}
