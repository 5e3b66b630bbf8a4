/**
 * What a season is: the models, the runs (K windows of recorded history picked by a
 * seed, non-overlapping, and/or S seeds of the synthetic market), the tick interval,
 * simulator and ranking metric. A season's id is a hash of this spec, so the same
 * command names the same season and resumes it. Checked before any work starts.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { type ModelConfig, modelConfigSchema } from "@autonome/agent";
import { ManualClock, createRandom } from "@autonome/core";
import { ReplayMarket, ReplayRecording } from "@autonome/market-data";
import { z } from "zod";
import type { SimulatorOverrides } from "../config.js";
import { BacktestInputError } from "../backtest/options.js";

/** A data file of a season, named by its content. */
export interface SeasonDataFile {
  /** File name (basename); a worker finds it by this name. */
  name: string;
  kind: "klines" | "funding";
  sha256: string;
  /** Where the coordinator read it (a worker on the same machine reads it there). */
  path: string;
}

/** The planted signal of a synthetic market (see SyntheticMarketOptions.signal). */
export interface SeasonSignal {
  strength: number;
  halfLifeMinutes: number;
}

/** One run of a season. */
export type RunSpec =
  | { index: number; kind: "history"; seed: number; fromMs: number; toMs: number }
  | { index: number; kind: "synthetic"; seed: number; fromMs: number; toMs: number };

/** The ranking metrics. */
export type SeasonMetric = "return" | "sharpe";

/** Everything that defines a season's results (its id is the hash of this). */
export interface SeasonSpec {
  version: 1;
  models: ModelConfig[];
  tickIntervalMs: number;
  /** Picks the windows, derives each run's seed, and seeds the bootstrap. */
  seed: number;
  simulator: SimulatorOverrides;
  /** Symbols shown to the models (null = all of the data). */
  symbols: string[] | null;
  /** Recorded history, when the season has windows of it. */
  history: { files: SeasonDataFile[]; demo: boolean; windows: number; windowMs: number; warmupMs: number } | null;
  /** Synthetic runs, when it has seeds of the synthetic market. */
  synthetic: { seeds: number; windowMs: number; warmupMs: number; symbols: string[]; signal: SeasonSignal | null } | null;
  metric: SeasonMetric;
  runs: RunSpec[];
}

/** Start of every synthetic run's history (the synthetic market's default start). */
export const SYNTHETIC_START_MS = Date.UTC(2025, 0, 1);

const DAY_MS = 86_400_000;

/** sha256 of a file, hex. */
export function fileSha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** A canonical JSON text: object keys sorted, so equal specs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The id of a season: the first 12 hex digits of the sha256 of its canonical spec (paths left out: the content is named by sha256). */
export function seasonIdOf(spec: SeasonSpec): string {
  const content = { ...spec, history: spec.history ? { ...spec.history, files: spec.history.files.map(({ path: _path, ...rest }) => rest) } : null };
  return createHash("sha256").update(canonicalJson(content)).digest("hex").slice(0, 12);
}

/** The seed of run `index` of a season seeded `seed`: a 31-bit integer. */
export function runSeedOf(seed: number, index: number): number {
  return createRandom(`season ${seed} run ${index}`).int(0, 2 ** 31 - 1);
}

/**
 * K non-overlapping windows of `windowMs` inside [fromMs, toMs), on the tick grid,
 * picked uniformly at random by `seed` among all such placements (the slack before,
 * between and after the windows is split by K sorted uniform draws), sorted by time.
 */
export function pickWindows(options: { fromMs: number; toMs: number; windows: number; windowMs: number; tickIntervalMs: number; seed: number }): Array<{ fromMs: number; toMs: number }> {
  const { fromMs, toMs, windows, windowMs, tickIntervalMs } = options;
  if (!Number.isInteger(windows) || windows < 1) throw new RangeError(`windows must be a positive integer, got ${windows}`);
  if (windowMs % tickIntervalMs !== 0) throw new RangeError(`the window (${windowMs} ms) is not a whole number of ticks (${tickIntervalMs} ms)`);
  const start = Math.ceil(fromMs / tickIntervalMs) * tickIntervalMs;
  const slackTicks = Math.floor((toMs - start - windows * windowMs) / tickIntervalMs);
  if (slackTicks < 0) return [];
  const random = createRandom(`season ${options.seed} windows`);
  const offsets = Array.from({ length: windows }, () => random.int(0, slackTicks)).sort((a, b) => a - b);
  return offsets.map((offset, i) => {
    const from = start + offset * tickIntervalMs + i * windowMs;
    return { fromMs: from, toMs: from + windowMs };
  });
}

/** Inputs of {@link buildSeasonSpec}, already parsed from flags. */
export interface SeasonSpecInput {
  models: ModelConfig[];
  tickIntervalMs: number;
  seed: number;
  simulator: SimulatorOverrides;
  symbols: string[] | null;
  /** Recorded history: kline and funding files, K windows of windowMs (default: min(1 day, the history / K)). */
  history: { klines: string[]; funding: string[]; demo: boolean; windows: number; windowMs: number | null; warmupMs: number } | null;
  synthetic: { seeds: number; windowMs: number; warmupMs: number; symbols: string[]; signal: SeasonSignal | null } | null;
  metric: SeasonMetric;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Validates the input and lays out the runs; throws BacktestInputError (exit 2) on anything a run would fail on. */
export function buildSeasonSpec(input: SeasonSpecInput, recording?: ReplayRecording): SeasonSpec {
  const parsed = z.array(modelConfigSchema).min(1, "needs at least one model").safeParse(input.models);
  if (!parsed.success) throw new BacktestInputError(`invalid model configuration: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`, "--models-file");
  const ids = new Set<string>();
  for (const m of parsed.data) {
    if (ids.has(m.id)) throw new BacktestInputError(`duplicate model id ${m.id}`, "--models-file");
    ids.add(m.id);
  }
  if (parsed.data.length < 2) throw new BacktestInputError("a season compares models: it needs at least two", "--models");
  if (!input.history && !input.synthetic) throw new BacktestInputError("a season needs runs: --windows K (recorded history) and/or --seeds S (synthetic market)", "--windows");
  const runs: RunSpec[] = [];
  let history: SeasonSpec["history"] = null;
  if (input.history) {
    const h = input.history;
    const files: SeasonDataFile[] = [
      ...h.klines.map((path) => ({ name: basename(path), kind: "klines" as const, sha256: fileSha256(path), path })),
      ...h.funding.map((path) => ({ name: basename(path), kind: "funding" as const, sha256: fileSha256(path), path })),
    ];
    const names = new Set<string>();
    for (const f of files) {
      if (names.has(f.name)) throw new BacktestInputError(`two data files are named ${f.name}; a worker finds files by name`, "--data");
      names.add(f.name);
    }
    const loaded = recording ?? ReplayRecording.load({ klines: h.klines, funding: h.funding });
    const available = loaded.symbols();
    for (const s of input.symbols ?? []) if (!available.includes(s)) throw new BacktestInputError(`unknown symbol ${s}; the data has ${available.join(", ")}`, "--symbols");
    const probe = new ReplayMarket({ clock: new ManualClock(0), recording: loaded });
    const from = probe.startTime + h.warmupMs;
    const span = probe.endTime - from;
    const windowMs = h.windowMs ?? Math.min(DAY_MS, Math.floor(span / h.windows / input.tickIntervalMs) * input.tickIntervalMs);
    if (windowMs < input.tickIntervalMs) throw new BacktestInputError(`${h.windows} windows do not fit in the ${(span / 3_600_000).toFixed(1)} h of history after the warm-up`, "--windows");
    const windows = pickWindows({ fromMs: from, toMs: probe.endTime, windows: h.windows, windowMs, tickIntervalMs: input.tickIntervalMs, seed: input.seed });
    if (windows.length === 0) {
      throw new BacktestInputError(`${h.windows} windows of ${(windowMs / 3_600_000).toFixed(1)} h need ${((h.windows * windowMs) / 3_600_000).toFixed(1)} h of history after the ${(h.warmupMs / 3_600_000).toFixed(1)} h warm-up; the data has ${(Math.max(0, span) / 3_600_000).toFixed(1)} h (${iso(from)} to ${iso(probe.endTime)})`, "--windows");
    }
    for (const w of windows) runs.push({ index: runs.length, kind: "history", seed: runSeedOf(input.seed, runs.length), ...w });
    history = { files, demo: h.demo, windows: h.windows, windowMs, warmupMs: h.warmupMs };
  }
  if (input.synthetic) {
    const s = input.synthetic;
    if (!Number.isInteger(s.seeds) || s.seeds < 1) throw new BacktestInputError(`--seeds ${s.seeds} is not a positive integer`, "--seeds");
    if (s.windowMs % input.tickIntervalMs !== 0) throw new BacktestInputError("the window is not a whole number of ticks", "--window");
    for (const sym of input.symbols ?? []) if (!s.symbols.includes(sym)) throw new BacktestInputError(`unknown symbol ${sym}; the synthetic market has ${s.symbols.join(", ")}`, "--symbols");
    const fromMs = SYNTHETIC_START_MS + s.warmupMs;
    for (let i = 0; i < s.seeds; i++) runs.push({ index: runs.length, kind: "synthetic", seed: runSeedOf(input.seed, runs.length), fromMs, toMs: fromMs + s.windowMs });
  }
  return {
    version: 1,
    models: parsed.data,
    tickIntervalMs: input.tickIntervalMs,
    seed: input.seed,
    simulator: input.simulator,
    symbols: input.symbols,
    history,
    synthetic: input.synthetic,
    metric: input.metric,
    runs,
  };
}
