/**
 * `autonome season` and `autonome season worker` options: parsed from argv and checked
 * before any work starts (BacktestInputError, exit code 2, naming the flag).
 */
import { availableParallelism } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { DEFAULT_MARKETS } from "@autonome/core";
import { BacktestInputError, demoDataDir, filesOf, loadModels, parseDurationMs, parseOptionArgs, parseSimulatorOverrides } from "../backtest/options.js";
import type { SeasonBudget } from "./store.js";
import type { SeasonMetric, SeasonSignal, SeasonSpecInput } from "./spec.js";

/** The help text of `autonome season`. */
export const SEASON_USAGE = `usage: autonome season [options]          run a season: many independent backtests, then statistics
       autonome season worker [options]   take runs from the season queue of DATABASE_URL

A season runs the same models over K windows of recorded history (non-overlapping,
picked by --seed) and/or S seeds of the synthetic market, each a full backtest through
the live workflow, agents, risk checks and simulated broker; then it compares every pair
of models (paired differences, bootstrap intervals, sign tests with Holm's correction)
and ranks them. Writes season.json, season.html and each run's report under --out.

  --demo                 a small season with no setup: the three built-in rule models over
                         4 windows of the demo data and 4 seeds of the synthetic market
  --data FILE|DIR        recorded history, as pnpm backtest --data (default: the demo set)
  --funding FILE         funding CSV(s) (default: those found with --data)
  --windows K            K windows of the recorded history
  --seeds S              S seeds of the synthetic market
  --window DURATION      length of each run (default 1d; for windows, at most history/K)
  --warmup DURATION      history before each run's first tick, for the indicators (default 1d)
  --signal S[,MIN]       plant a momentum signal in the synthetic market: a hidden drift of
                         S sigma a minute with a half-life of MIN minutes (default 240)
  --synthetic-symbols A,B  symbols of the synthetic market (default: the six majors)
  --symbols BTC,ETH      symbols shown to the models (default: all)
  --interval 5m          tick interval
  --models-file FILE     models (JSON or YAML list, as MODELS_FILE); default: the built-in rule models
  --models a,b           only these model ids
  --seed N               picks the windows, seeds each run, seeds the bootstrap (default 42)
  --simulator JSON       simulator options, as pnpm backtest
  --capital USD          initial capital of every account (default 10000)
  --metric return|sharpe the ranking metric (default return)
  --budget-usd X         stop starting runs once the season's LLM spend reaches $X
  --budget-tokens N      ... or N tokens (spend = requests the answer cache could not answer)
  --processes N          local worker processes (default: one per core; 0 = only coordinate)
  --run-timeout DURATION a run still active after this is retried elsewhere (default 30m)
  --retries N            retries of a failed or expired run (default 2)
  --season NAME          name of the season (default: a hash of everything above that
                         changes results, so rerunning the same command resumes it)
  --out DIR              output directory (default ./season-out)
  --llm-cache DIR        LLM answer cache shared by every run (default DIR/llm-cache)
  --keep-db              keep each run's schema in the season database
  --help                 this text

Without DATABASE_URL the season runs on an embedded PostgreSQL in DIR/.season-db (kept, so
a stopped season resumes); with it, on that database, where workers on other machines
can join: DATABASE_URL=... autonome season worker [--processes N] [--data DIR] [--llm-cache DIR].`;

/** Options of the coordinator. */
export interface SeasonOptions {
  input: SeasonSpecInput;
  budget: SeasonBudget;
  processes: number;
  runTimeoutMs: number;
  retries: number;
  seasonName: string | null;
  outDir: string;
  llmCacheDir: string;
  keepDb: boolean;
  databaseUrl: string | undefined;
}

/** Options of `season worker`. */
export interface SeasonWorkerCliOptions {
  processes: number;
  dataDir: string | undefined;
  llmCacheDir: string;
  keepDb: boolean;
  runTimeoutMs: number;
  databaseUrl: string;
}

function nonNegativeInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new BacktestInputError(`${flag} ${text} is not a non-negative integer`, flag);
  return Number(text);
}

const DAY_MS = 86_400_000;

/** Parses `autonome season` arguments (paths resolved against `cwd`). */
export function parseSeasonArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd: string): SeasonOptions {
  const known = ["--data", "--funding", "--windows", "--seeds", "--window", "--warmup", "--signal", "--synthetic-symbols", "--symbols", "--interval", "--models-file", "--models", "--seed", "--simulator", "--capital", "--metric", "--budget-usd", "--budget-tokens", "--processes", "--run-timeout", "--retries", "--season", "--out", "--llm-cache"];
  const { values, flags } = parseOptionArgs(argv, known, ["--demo", "--keep-db"]);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const list = (name: string) => (values.get(name) ?? []).flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
  const one = (name: string) => values.get(name)?.at(-1);
  const demo = flags.has("--demo");

  const tickIntervalMs = parseDurationMs(one("--interval") ?? "5m", "--interval");
  const windowText = one("--window");
  const windowMs = windowText === undefined ? null : parseDurationMs(windowText, "--window");
  const warmupMs = parseDurationMs(one("--warmup") ?? "1d", "--warmup");
  const windows = nonNegativeInt(one("--windows"), "--windows", demo ? 4 : 0);
  const seeds = nonNegativeInt(one("--seeds"), "--seeds", demo ? 4 : 0);
  const demoWindowMs = 8 * 3_600_000;

  let history: SeasonSpecInput["history"] = null;
  if (windows > 0) {
    const dataPaths = list("--data").map(at);
    const sources = dataPaths.length > 0 ? dataPaths : [demoDataDir()];
    const klines = sources.flatMap((p) => filesOf(p, "klines"));
    if (klines.length === 0) throw new BacktestInputError(`no kline CSV files in ${sources.join(", ")}`, "--data");
    const fundingPaths = list("--funding").map(at);
    const funding = fundingPaths.length > 0 ? fundingPaths.flatMap((p) => filesOf(p, "funding")) : sources.flatMap((p) => (p.endsWith(".gz") || p.endsWith(".csv") ? [] : filesOf(p, "funding")));
    history = { klines, funding, demo: dataPaths.length === 0, windows, windowMs: windowMs ?? (demo ? demoWindowMs : null), warmupMs };
  } else if (list("--data").length > 0) {
    throw new BacktestInputError("--data needs --windows K (how many windows of it to run)", "--windows");
  }

  let signal: SeasonSignal | null = null;
  const signalText = one("--signal");
  if (signalText !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(?:,(\d+))?$/.exec(signalText);
    if (!m) throw new BacktestInputError(`--signal ${signalText} is not STRENGTH[,HALF-LIFE-MINUTES] (e.g. 0.3,240)`, "--signal");
    signal = { strength: Number(m[1]), halfLifeMinutes: m[2] === undefined ? 240 : Number(m[2]) };
    if (!(signal.halfLifeMinutes > 0)) throw new BacktestInputError("--signal's half-life must be positive", "--signal");
  }
  let synthetic: SeasonSpecInput["synthetic"] = null;
  const symbols = list("--symbols").map((s) => s.toUpperCase().replace(/USDT$/, ""));
  if (seeds > 0) {
    const all = DEFAULT_MARKETS.map((m) => m.symbol);
    const chosen = list("--synthetic-symbols").map((s) => s.toUpperCase());
    for (const s of chosen) if (!all.includes(s)) throw new BacktestInputError(`unknown synthetic symbol ${s}; one of ${all.join(", ")}`, "--synthetic-symbols");
    synthetic = { seeds, windowMs: windowMs ?? (demo ? demoWindowMs : DAY_MS), warmupMs, symbols: chosen.length > 0 ? chosen : all, signal };
  } else if (signal !== null) {
    throw new BacktestInputError("--signal plants a signal in the synthetic market: it needs --seeds S", "--seeds");
  }
  if (!history && !synthetic) throw new BacktestInputError("a season needs runs: --windows K (recorded history) and/or --seeds S (synthetic market), or --demo", "--windows");

  const metric = (one("--metric") ?? "return") as SeasonMetric;
  if (metric !== "return" && metric !== "sharpe") throw new BacktestInputError(`--metric ${String(metric)} is not return or sharpe`, "--metric");
  const seedText = one("--seed") ?? "42";
  if (!/^\d+$/.test(seedText)) throw new BacktestInputError(`--seed ${seedText} is not a non-negative integer`, "--seed");
  const budgetUsd = one("--budget-usd");
  if (budgetUsd !== undefined && !(/^\d+(\.\d+)?$/.test(budgetUsd))) throw new BacktestInputError(`--budget-usd ${budgetUsd} is not an amount`, "--budget-usd");
  const budgetTokens = one("--budget-tokens");
  const seasonName = one("--season") ?? null;
  if (seasonName !== null && !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(seasonName)) throw new BacktestInputError(`--season ${seasonName} must be 1-64 lower-case letters, digits, dot, dash or underscore`, "--season");
  const outDir = at(one("--out") ?? "season-out");
  const modelsFile = one("--models-file");
  return {
    input: {
      models: loadModels(modelsFile === undefined ? undefined : at(modelsFile), list("--models")),
      tickIntervalMs,
      seed: Number(seedText),
      simulator: parseSimulatorOverrides(one("--simulator") ?? env.DEFAULT_SIMULATOR_OPTIONS, one("--capital")),
      symbols: symbols.length > 0 ? symbols : null,
      history,
      synthetic,
      metric,
    },
    budget: { tokens: budgetTokens === undefined ? null : nonNegativeInt(budgetTokens, "--budget-tokens", 0), usd: budgetUsd === undefined ? null : Number(budgetUsd) },
    processes: nonNegativeInt(one("--processes"), "--processes", availableParallelism()),
    runTimeoutMs: parseDurationMs(one("--run-timeout") ?? "30m", "--run-timeout"),
    retries: nonNegativeInt(one("--retries"), "--retries", 2),
    seasonName,
    outDir,
    llmCacheDir: at(one("--llm-cache") ?? join(outDir, "llm-cache")),
    keepDb: flags.has("--keep-db"),
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
  };
}

/** Parses `autonome season worker` arguments. */
export function parseSeasonWorkerArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd: string): SeasonWorkerCliOptions {
  const { values, flags } = parseOptionArgs(argv, ["--processes", "--data", "--llm-cache", "--run-timeout"], ["--keep-db"]);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const one = (name: string) => values.get(name)?.at(-1);
  const databaseUrl = env.DATABASE_URL?.trim();
  if (!databaseUrl) throw new BacktestInputError("season worker needs DATABASE_URL: the PostgreSQL that holds the season queue", "DATABASE_URL");
  const data = one("--data");
  return {
    processes: Math.max(1, nonNegativeInt(one("--processes"), "--processes", 1)),
    dataDir: data === undefined ? undefined : at(data),
    llmCacheDir: at(one("--llm-cache") ?? ".autonome-llm-cache"),
    keepDb: flags.has("--keep-db"),
    runTimeoutMs: parseDurationMs(one("--run-timeout") ?? "30m", "--run-timeout"),
    databaseUrl,
  };
}
