/**
 * `pnpm backtest` options: parsed from argv, validated before any work starts, with
 * the demo data set that ships in apps/worker/data/demo as the default.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_MODEL_CONFIGS, type ModelConfig } from "@autonome/agent";
import { AutonomeError } from "@autonome/core";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { SimulatorOverrides } from "../config.js";

/** Bad backtest input (a flag, a file, a range, a symbol, a model): reported before any work starts. */
export class BacktestInputError extends AutonomeError {
  readonly code = "BACKTEST_INPUT";
  constructor(
    message: string,
    /** The flag or file at fault. */
    readonly subject: string,
  ) {
    super(message);
  }
}

/** Everything one backtest run needs, resolved. */
export interface BacktestOptions {
  /** One-minute kline files (any format ReplayMarket reads). */
  klines: string[];
  /** Funding CSV files. */
  funding: string[];
  /** Symbols shown to the models; null = every symbol of the data. */
  symbols: string[] | null;
  /** First tick, epoch ms; null = one day after the first record (indicator warm-up). */
  fromMs: number | null;
  /** Last tick bound (exclusive), epoch ms; null = the end of the data. */
  toMs: number | null;
  tickIntervalMs: number;
  /** Model configurations (registry entries) that trade, in order. */
  models: ModelConfig[];
  seed: number;
  /** DEFAULT_SIMULATOR_OPTIONS keys. */
  simulator: SimulatorOverrides;
  outDir: string;
  /** A PostgreSQL URL: the run gets a fresh schema there; absent = PGlite under outDir. */
  databaseUrl?: string | undefined;
  /** Where LLM responses are cached, shared by runs (default `.autonome-llm-cache` beside the output directory). */
  llmCacheDir: string;
  /** Write report.html too (default true). */
  html: boolean;
}

/** The help text of `pnpm backtest`. */
export const BACKTEST_USAGE = `usage: pnpm backtest [options]

Replays recorded market data through the live trade workflow (agents, tools, risk
checks, SimBroker) on a manual clock, and writes report.json and report.html.

  --data FILE|DIR        kline CSV(s) (plain or .gz), repeatable or comma-separated; a
                         directory means its CSV files: *funding* ones as funding, the
                         rest as klines (default: the demo set in apps/worker/data/demo)
  --funding FILE         funding CSV(s), repeatable (default: those found with --data)
  --symbols BTC,ETH      symbols shown to the models (default: all in the data)
  --from ISO|ms          first tick (default: one day after the data starts, for warm-up)
  --to ISO|ms            end, exclusive (default: end of the data)
  --interval 5m          tick interval: 30s, 1m, 5m, 1h ... (default 5m)
  --models-file FILE     model registry (JSON or YAML list, same as MODELS_FILE);
                         default: the three built-in rule models
  --models a,b           only these model ids of the registry
  --seed N               simulator seed (default 42)
  --simulator JSON       DEFAULT_SIMULATOR_OPTIONS keys, e.g. '{"takerFeeRate":"0.0005"}'
  --capital USD          shorthand for the simulator's initialCapital (default 10000)
  --out DIR              output directory (default ./backtest-out); the run's PGlite
                         database is DIR/db (or a fresh schema when DATABASE_URL is set)
  --llm-cache DIR        LLM response cache (default DIR/../.autonome-llm-cache)
  --no-html              skip report.html
  --help                 this text

Environment: DATABASE_URL (PostgreSQL; a fresh schema per run), API keys named by
the models file's apiKeyEnv.`;

const simulatorSchema = z
  .object({
    initialCapital: z.union([z.number(), z.string()]).transform(String).optional(),
    takerFeeRate: z.union([z.number(), z.string()]).transform(String).optional(),
    makerFeeRate: z.union([z.number(), z.string()]).transform(String).optional(),
    liquidationFeeRate: z.union([z.number(), z.string()]).transform(String).optional(),
    refreshIntervalMs: z.number().int().nonnegative().optional(),
    latency: z.object({ minMs: z.number().int().nonnegative(), maxMs: z.number().int().nonnegative() }).strict().nullable().optional(),
    seed: z.union([z.number(), z.string()]).optional(),
    fundingIntervalMs: z.number().int().nonnegative().optional(),
  })
  .strict();

/** The directory of the shipped demo data set (apps/worker/data/demo), found from this file. */
export function demoDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "data", "demo");
    if (existsSync(join(candidate, "README.md"))) return candidate;
    dir = dirname(dir);
  }
  throw new BacktestInputError("the demo data set (apps/worker/data/demo) was not found; pass --data", "--data");
}

/** Parses a duration like 30s, 5m, 1h, 1d or plain milliseconds. */
export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new BacktestInputError(`${flag} ${text} is not a duration (30s, 5m, 1h, 1d or ms)`, flag);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "ms") as "ms"];
  const value = Number(m[1]) * unit;
  if (value < 1000) throw new BacktestInputError(`${flag} must be at least 1s`, flag);
  return value;
}

/** Parses an ISO date or epoch ms. */
export function parseTimeMs(text: string, flag: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(value)) throw new BacktestInputError(`${flag} ${text} is not a date (ISO 8601 or epoch ms)`, flag);
  return value;
}

/** The kline or funding CSV files of a path: the file itself, or a directory's (funding ones named *funding*). */
export function filesOf(path: string, kind: "klines" | "funding"): string[] {
  if (!existsSync(path)) throw new BacktestInputError(`data file ${path} does not exist`, path);
  if (!statSync(path).isDirectory()) return [path];
  const names = readdirSync(path).filter((f) => /\.csv(\.gz)?$/.test(f)).sort();
  const picked = names.filter((f) => (kind === "funding" ? /funding/i.test(f) : !/funding/i.test(f)));
  return picked.map((f) => join(path, f));
}

/** Reads a models file (JSON or YAML list of registry entries). */
export function readModelsFile(path: string): unknown {
  if (!existsSync(path)) throw new BacktestInputError(`models file ${path} does not exist`, "--models-file");
  const text = readFileSync(path, "utf8");
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new BacktestInputError(`models file ${path} is not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${(error as Error).message}`, "--models-file");
  }
}

/** The models of a models file (default: the three built-in rule models), only `only` when given. */
export function loadModels(modelsFile: string | undefined, only: readonly string[]): ModelConfig[] {
  let models: ModelConfig[] = [...DEFAULT_MODEL_CONFIGS];
  if (modelsFile !== undefined) {
    const parsed = readModelsFile(modelsFile);
    if (!Array.isArray(parsed)) throw new BacktestInputError(`models file ${modelsFile} must hold a list of models`, "--models-file");
    models = parsed as ModelConfig[];
  }
  if (only.length > 0) {
    const ids = models.map((m) => (m as { id?: string }).id);
    for (const id of only) if (!ids.includes(id)) throw new BacktestInputError(`unknown model ${id}; configured: ${ids.join(", ")}`, "--models");
    models = models.filter((m) => only.includes(m.id));
  }
  return models;
}

/** `--simulator JSON` (DEFAULT_SIMULATOR_OPTIONS keys) with `--capital USD` on top. */
export function parseSimulatorOverrides(simText: string | undefined, capital: string | undefined): SimulatorOverrides {
  let simulator: SimulatorOverrides = {};
  if (simText) {
    let json: unknown;
    try {
      json = JSON.parse(simText);
    } catch {
      throw new BacktestInputError("--simulator is not JSON", "--simulator");
    }
    const parsed = simulatorSchema.safeParse(json);
    if (!parsed.success) throw new BacktestInputError(`--simulator is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, "--simulator");
    simulator = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  }
  if (capital !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(capital) || Number(capital) <= 0) throw new BacktestInputError(`--capital ${capital} is not a positive amount`, "--capital");
    simulator = { ...simulator, initialCapital: capital };
  }
  return simulator;
}

/** `--help` was asked for. */
export class HelpRequested extends Error {}

/**
 * Splits argv into the values of `known` options (`--name value` or `--name=value`, repeatable)
 * and the `booleans` given; throws HelpRequested for --help and BacktestInputError for an
 * unknown option or a missing value. The backtest and the season parse with it.
 */
export function parseOptionArgs(argv: readonly string[], known: readonly string[], booleans: readonly string[]): { values: Map<string, string[]>; flags: Set<string> } {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const args = argv.filter((a) => a !== "--");
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") throw new HelpRequested();
    if (booleans.includes(arg)) {
      flags.add(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.includes(name)) throw new BacktestInputError(`unknown option ${arg}; see --help`, arg);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new BacktestInputError(`${name} needs a value`, name);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return { values, flags };
}

/** Parses argv into options (paths resolved against `cwd`); throws BacktestInputError or HelpRequested. */
export function parseBacktestArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): BacktestOptions {
  const known = ["--data", "--funding", "--symbols", "--from", "--to", "--interval", "--models-file", "--models", "--seed", "--simulator", "--capital", "--out", "--llm-cache"];
  const { values, flags } = parseOptionArgs(argv, known, ["--no-html"]);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const list = (name: string) => (values.get(name) ?? []).flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
  const one = (name: string) => values.get(name)?.at(-1);

  const dataPaths = list("--data").map(at);
  const sources = dataPaths.length > 0 ? dataPaths : [demoDataDir()];
  const klines = sources.flatMap((p) => filesOf(p, "klines"));
  if (klines.length === 0) throw new BacktestInputError(`no kline CSV files in ${sources.join(", ")}`, "--data");
  const fundingPaths = list("--funding").map(at);
  const funding = fundingPaths.length > 0 ? fundingPaths.flatMap((p) => filesOf(p, "funding")) : sources.flatMap((p) => (statSync(p).isDirectory() ? filesOf(p, "funding") : []));

  const modelsFile = one("--models-file");
  const models = loadModels(modelsFile === undefined ? undefined : at(modelsFile), list("--models"));

  const seedText = one("--seed") ?? "42";
  if (!/^\d+$/.test(seedText)) throw new BacktestInputError(`--seed ${seedText} is not a non-negative integer`, "--seed");
  const simulator = parseSimulatorOverrides(one("--simulator") ?? env.DEFAULT_SIMULATOR_OPTIONS, one("--capital"));
  const symbols = list("--symbols").map((s) => s.toUpperCase().replace(/USDT$/, ""));
  const from = one("--from");
  const to = one("--to");
  const outDir = at(one("--out") ?? "backtest-out");
  return {
    klines,
    funding,
    symbols: symbols.length > 0 ? symbols : null,
    fromMs: from === undefined ? null : parseTimeMs(from, "--from"),
    toMs: to === undefined ? null : parseTimeMs(to, "--to"),
    tickIntervalMs: parseDurationMs(one("--interval") ?? "5m", "--interval"),
    models,
    seed: Number(seedText),
    simulator,
    outDir,
    databaseUrl: env.DATABASE_URL || undefined,
    llmCacheDir: at(one("--llm-cache") ?? join(dirname(outDir), ".autonome-llm-cache")),
    html: !flags.has("--no-html"),
  };
}
