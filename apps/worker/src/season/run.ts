/**
 * One run of a season: a full backtest (prepareBacktest and runBacktest: the live
 * tick with its agents, tools, risk checks and SimBroker) over one window of recorded
 * history or one seed of the synthetic market, into a database of its own
 * (a fresh schema of the season's PostgreSQL; nothing is shared between runs but the
 * LLM answer cache), reduced to per-model metrics.
 * Data files are found by name and checked by sha256, so a worker on another machine
 * runs on the same bytes or refuses.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AutonomeError } from "@autonome/core";
import { ReplayRecording, writeSyntheticHistory } from "@autonome/market-data";
import { dropSchema } from "@autonome/db";
import { demoDataDir } from "../backtest/options.js";
import { type BacktestReport, buildReport } from "../backtest/report.js";
import { prepareBacktest, runBacktest } from "../backtest/run.js";
import { type RunSpec, SYNTHETIC_START_MS, type SeasonDataFile, type SeasonSpec, fileSha256 } from "./spec.js";

/** A data file of the season is missing here or differs from the coordinator's. */
export class SeasonDataError extends AutonomeError {
  readonly code = "SEASON_DATA";
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** A model's result in one run. */
export interface RunModelMetrics {
  totalReturn: number;
  /** Annualised Sharpe; 0 when undefined (a flat equity curve). */
  sharpe: number;
  maxDrawdown: number;
  trades: number;
  finalEquity: string;
}

/** What a run produced. */
export interface RunOutcome {
  index: number;
  /** By model id. */
  metrics: Record<string, RunModelMetrics>;
  report: BacktestReport;
  /** The run's schema in the season database, when kept. */
  schema: string | null;
  /** What the run really spent on language models (requests the cache could not answer). */
  spent: { inputTokens: number; outputTokens: number; costUsd: number };
  wallMs: number;
}

/** Where a worker finds things. */
export interface RunEnvironment {
  /**
   * The season's PostgreSQL: each run writes its Orders, Invocations, ToolCalls and
   * snapshots into a fresh schema of it (dropped after the run unless `keepDb`).
   */
  databaseUrl: string;
  /** Keep each run's schema (its name is in the outcome) to browse it with the api. */
  keepDb?: boolean;
  /** A directory to look for the season's data files in first (by name). */
  dataDir?: string;
  /** The LLM answer cache shared by every run. */
  llmCacheDir: string;
  /** Environment for API keys. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Per-process memory of resolved files and loaded recordings, so a worker reads a data set once for all its runs. */
export class RunCache {
  private readonly resolved = new Map<string, string>();
  private readonly recordings = new Map<string, ReplayRecording>();

  /** The local path of a season data file, checked by sha256. */
  resolve(file: SeasonDataFile, environment: RunEnvironment, demo: boolean): string {
    const known = this.resolved.get(file.sha256);
    if (known) return known;
    const candidates = [
      ...(environment.dataDir ? [join(environment.dataDir, file.name)] : []),
      file.path,
      ...(demo ? [join(demoDataDir(), file.name)] : []),
    ];
    let mismatch: string | undefined;
    for (const candidate of candidates) {
      if (!existsSync(candidate)) continue;
      if (fileSha256(candidate) === file.sha256) {
        this.resolved.set(file.sha256, candidate);
        return candidate;
      }
      mismatch = candidate;
    }
    throw new SeasonDataError(
      mismatch ? `data file ${mismatch} differs from the season's ${file.name} (sha256 ${file.sha256.slice(0, 12)}...)` : `data file ${file.name} not found (looked in ${candidates.join(", ")}); pass --data DIR to the worker`,
      file.name,
    );
  }

  /** The recording of a set of files, loaded once. */
  recording(klines: string[], funding: string[]): ReplayRecording {
    const key = JSON.stringify([klines, funding]);
    let recording = this.recordings.get(key);
    if (!recording) {
      recording = ReplayRecording.load({ klines, funding });
      this.recordings.set(key, recording);
    }
    return recording;
  }
}


/** Runs one run of a season to the end. */
export async function executeRun(spec: SeasonSpec, run: RunSpec, environment: RunEnvironment, cache = new RunCache()): Promise<RunOutcome> {
  const started = performance.now();
  let klines: string[];
  let funding: string[];
  let recording: ReplayRecording;
  let scratch: string | undefined;
  try {
    if (run.kind === "history") {
      if (!spec.history) throw new SeasonDataError("a history run in a season without history", "(spec)");
      const history = spec.history;
      klines = history.files.filter((f) => f.kind === "klines").map((f) => cache.resolve(f, environment, history.demo));
      funding = history.files.filter((f) => f.kind === "funding").map((f) => cache.resolve(f, environment, history.demo));
      recording = cache.recording(klines, funding);
    } else {
      if (!spec.synthetic) throw new SeasonDataError("a synthetic run in a season without synthetic runs", "(spec)");
      const synthetic = spec.synthetic;
      scratch = mkdtempSync(join(tmpdir(), "autonome-season-synthetic-"));
      const files = await writeSyntheticHistory({
        directory: scratch,
        seed: run.seed,
        minutes: Math.round((run.toMs - SYNTHETIC_START_MS) / 60_000),
        startTime: SYNTHETIC_START_MS,
        symbols: synthetic.symbols,
        ...(synthetic.signal ? { signal: synthetic.signal } : {}),
      });
      klines = [files.klines];
      funding = [files.funding];
      recording = ReplayRecording.load({ klines, funding });
    }
    const prepared = prepareBacktest(
      {
        klines,
        funding,
        symbols: spec.symbols,
        fromMs: run.fromMs,
        toMs: run.toMs,
        tickIntervalMs: spec.tickIntervalMs,
        models: spec.models,
        seed: run.seed,
        simulator: spec.simulator,
        outDir: scratch ?? tmpdir(),
        llmCacheDir: environment.llmCacheDir,
        html: false,
        databaseUrl: environment.databaseUrl,
      },
      recording,
    );
    const result = await runBacktest(prepared, { recording, ...(environment.env ? { env: environment.env } : {}) });
    const schema = result.database.kind === "postgres" ? result.database.schema : null;
    if (schema !== null && !environment.keepDb) await dropSchema(environment.databaseUrl, schema);
    const report = buildReport(result);
    const metrics: Record<string, RunModelMetrics> = {};
    for (const row of report.rows) {
      if (row.kind === "baseline") continue;
      metrics[row.name] = { totalReturn: row.totalReturn ?? 0, sharpe: row.sharpe ?? 0, maxDrawdown: row.maxDrawdown, trades: row.trades, finalEquity: row.finalEquity };
    }
    return {
      index: run.index,
      metrics,
      report,
      schema: environment.keepDb ? schema : null,
      spent: { inputTokens: result.llmCache.spentInputTokens, outputTokens: result.llmCache.spentOutputTokens, costUsd: result.llmCache.spentCostUsd },
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
