/**
 * The worker's configuration, read once from the environment and validated with zod.
 * Every error names the variable at fault; secrets (API keys, the Lighter private key,
 * passwords in DATABASE_URL) never appear in errors or in the printed configuration.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type ModelConfig, DEFAULT_MODEL_CONFIGS, modelConfigSchema } from "@autonome/agent";
import { ConfigError, readBooleanEnv } from "@autonome/core";
import { redactUrl } from "@autonome/db";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** Where prices come from. */
export type MarketSourceKind = "synthetic" | "replay" | "lighter";

/** Log verbosity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Options of the ExchangeSimulator that may be set through DEFAULT_SIMULATOR_OPTIONS. */
export interface SimulatorOverrides {
  initialCapital?: string;
  takerFeeRate?: string;
  makerFeeRate?: string;
  liquidationFeeRate?: string;
  refreshIntervalMs?: number;
  latency?: { minMs: number; maxMs: number } | null;
  seed?: number | string;
  fundingIntervalMs?: number;
}

/** Lighter credentials for live models. */
export interface LighterSettings {
  baseUrl: string;
  chainId: number;
  accountIndex: number;
  apiKeyIndex: number;
  /** Never printed. */
  privateKeyHex: string;
}

/** Where MARKET_SOURCE=lighter reads books, trades and candles. */
export interface LighterMarketSettings {
  /** REST base URL: LIGHTER_BASE_URL. */
  restUrl: string;
  /** WebSocket URL: LIGHTER_WS_URL, default the REST host's /stream (wss for https). */
  wsUrl: string;
  /** One-minute candles loaded over REST at start (LIGHTER_HISTORY_MINUTES, default 1440). */
  historyMinutes: number;
}

/** The validated configuration. */
export interface WorkerConfig {
  simulationEnabled: boolean;
  /** Null: embedded PGlite in `dataDir`. */
  databaseUrl: string | null;
  /** DATABASE_WAIT_MS: how long the start waits for PostgreSQL while it refuses or times out connections. */
  databaseWaitMs: number;
  dataDir: string;
  simulator: SimulatorOverrides;
  models: ModelConfig[];
  /** Where the models came from, for the log. */
  modelsSource: string;
  lighter: LighterSettings | null;
  tradeIntervalMs: number;
  agentTimeoutMs: number;
  modelRunTimeoutMs: number;
  staleAfterMs: number;
  /** LEASE_TTL_MS: how long a model's lease outlives its worker (renewed every third of it). */
  leaseTtlMs: number;
  marketSource: MarketSourceKind;
  /** Lighter's public market data for MARKET_SOURCE=lighter (no key needed), else null. */
  lighterMarket: LighterMarketSettings | null;
  /** Directory of recorded data for MARKET_SOURCE=replay. */
  replayDir: string | null;
  seed: string;
  logLevel: LogLevel;
  /** Port of the api when it runs in process; null when unset. */
  apiPort: number | null;
  /** Host of the embedded database server (pglite-socket). */
  embeddedHost: string;
  /** Port of the embedded database server; 0 picks a free one. */
  embeddedPort: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const MINUTE = 60_000;

/** Defaults of the durations, in ms. */
export const DEFAULT_INTERVALS = Object.freeze({
  tradeIntervalMs: 5 * MINUTE,
  agentTimeoutMs: 2 * MINUTE,
  modelRunTimeoutMs: 9 * MINUTE,
  staleAfterMs: 10 * MINUTE,
  leaseTtlMs: MINUTE,
});

const decimalText = z.union([z.number().finite(), z.string().regex(/^-?\d+(\.\d+)?$/, "must be a decimal number")]).transform(String);

const simulatorSchema = z
  .object({
    initialCapital: decimalText.optional(),
    takerFeeRate: decimalText.optional(),
    makerFeeRate: decimalText.optional(),
    liquidationFeeRate: decimalText.optional(),
    refreshIntervalMs: z.number().int().nonnegative().optional(),
    latency: z.object({ minMs: z.number().int().nonnegative(), maxMs: z.number().int().nonnegative() }).strict().nullable().optional(),
    seed: z.union([z.number(), z.string()]).optional(),
    fundingIntervalMs: z.number().int().nonnegative().optional(),
  })
  .strict();

function fail(variable: string, message: string): never {
  throw new ConfigError(`${variable} ${message}`, variable);
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}

function readInt(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) return fail(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) return fail(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(name, `is not valid JSON (${(error as Error).message})`);
  }
}

function parseModels(name: string, value: unknown): ModelConfig[] {
  const list = Array.isArray(value) ? value : typeof value === "object" && value !== null && Array.isArray((value as { models?: unknown }).models) ? (value as { models: unknown[] }).models : null;
  if (list === null) return fail(name, "must hold a list of models (or { models: [...] })");
  const parsed = z.array(modelConfigSchema).min(1).safeParse(list);
  if (!parsed.success) return fail(name, `has an invalid model: ${issuesText(parsed.error)}`);
  const ids = new Set<string>();
  for (const m of parsed.data) {
    if (ids.has(m.id)) fail(name, `names model ${m.id} twice`);
    ids.add(m.id);
  }
  return parsed.data;
}

function readModels(env: Env): { models: ModelConfig[]; source: string } {
  const file = env.MODELS_FILE?.trim();
  const inline = env.MODELS?.trim();
  if (file && inline) fail("MODELS_FILE", "and MODELS are both set; use one");
  let models: ModelConfig[];
  let source: string;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      return fail("MODELS_FILE", `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    let value: unknown;
    try {
      value = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    } catch (error) {
      return fail("MODELS_FILE", `is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"} (${(error as Error).message.split("\n")[0]})`);
    }
    models = parseModels("MODELS_FILE", value);
    source = file;
  } else if (inline) {
    models = parseModels("MODELS", readJson("MODELS", inline));
    source = "MODELS";
  } else {
    models = DEFAULT_MODEL_CONFIGS.map((m) => ({ ...m }));
    source = "built-in rule models";
  }
  // A key named by a model must be present now, not at the first tick.
  for (const m of models) {
    if (m.kind === "openai" && m.apiKeyEnv !== undefined && !env[m.apiKeyEnv]) {
      fail(m.apiKeyEnv, `is not set; model ${m.id} reads its API key from it`);
    }
  }
  return { models, source };
}

function readLighter(env: Env, required: boolean): LighterSettings | null {
  const names = ["LIGHTER_BASE_URL", "LIGHTER_API_KEY_INDEX", "LIGHTER_ACCOUNT_INDEX", "LIGHTER_API_PRIVATE_KEY"] as const;
  const present = names.filter((n) => env[n]?.trim());
  if (present.length === 0) {
    if (required) fail("LIGHTER_BASE_URL", "is required when IS_SIMULATION_ENABLED=false (with LIGHTER_API_KEY_INDEX, LIGHTER_ACCOUNT_INDEX, LIGHTER_API_PRIVATE_KEY)");
    return null;
  }
  // LIGHTER_BASE_URL alone names the market data of MARKET_SOURCE=lighter, not an account.
  if (!required && present.length === 1 && present[0] === "LIGHTER_BASE_URL") return null;
  const missing = names.filter((n) => !env[n]?.trim());
  if (missing.length > 0) fail(missing[0]!, `is required with ${present.join(", ")}`);
  const baseUrl = env.LIGHTER_BASE_URL!.trim();
  if (!z.url().safeParse(baseUrl).success) fail("LIGHTER_BASE_URL", "must be an http(s) URL");
  const privateKeyHex = env.LIGHTER_API_PRIVATE_KEY!.trim().replace(/^0x/, "");
  // The message never echoes the key.
  if (!/^[0-9a-fA-F]{80}$/.test(privateKeyHex)) fail("LIGHTER_API_PRIVATE_KEY", "must be 40 bytes of hex (80 hex digits)");
  return {
    baseUrl,
    chainId: readInt(env, "LIGHTER_CHAIN_ID", 304, 0, 2 ** 31),
    accountIndex: readInt(env, "LIGHTER_ACCOUNT_INDEX", 0, 0, 2 ** 48),
    apiKeyIndex: readInt(env, "LIGHTER_API_KEY_INDEX", 0, 0, 255),
    privateKeyHex,
  };
}

function liveMarketMessage(source: string, why: string): string {
  return `must be lighter with live models (${why}), got "${source}": live orders are never sized or priced from a ${source} market`;
}

/**
 * Refuses live models on a market other than Lighter's own: with any model trading LIVE (its
 * own mode, or the default of IS_SIMULATION_ENABLED=false) MARKET_SOURCE must be lighter.
 * ConfigError naming MARKET_SOURCE (exit 2) otherwise. Checked at start, once the models are read;
 * a disabled live model counts too (it can be enabled while the worker runs).
 */
export function checkLiveMarket(
  config: Pick<WorkerConfig, "marketSource" | "simulationEnabled">,
  models: ReadonlyArray<{ name: string; mode: "SIM" | "LIVE" | null }>,
): void {
  if (config.marketSource === "lighter") return;
  const live = models.filter((m) => (m.mode ?? (config.simulationEnabled ? "SIM" : "LIVE")) === "LIVE");
  if (live.length === 0) return;
  const names = live.map((m) => m.name).join(", ");
  fail("MARKET_SOURCE", liveMarketMessage(config.marketSource, `model${live.length > 1 ? "s" : ""} ${names} trade${live.length > 1 ? "" : "s"} live`));
}

/** Reads and validates the configuration; throws ConfigError naming the variable at fault. */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const simulationEnabled = readBooleanEnv(env, "IS_SIMULATION_ENABLED", true);

  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl !== null) {
    let url: URL | null;
    try {
      url = new URL(databaseUrl);
    } catch {
      url = null;
    }
    if (url === null || (url.protocol !== "postgresql:" && url.protocol !== "postgres:")) fail("DATABASE_URL", "must be a postgresql:// URL");
  }

  let simulator: SimulatorOverrides = {};
  const simText = env.DEFAULT_SIMULATOR_OPTIONS?.trim();
  if (simText) {
    const parsed = simulatorSchema.safeParse(readJson("DEFAULT_SIMULATOR_OPTIONS", simText));
    if (!parsed.success) fail("DEFAULT_SIMULATOR_OPTIONS", `is invalid: ${issuesText(parsed.error)}`);
    simulator = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  }

  const { models, source } = readModels(env);
  const lighter = readLighter(env, !simulationEnabled);

  const tradeIntervalMs = readInt(env, "TRADE_INTERVAL_MS", DEFAULT_INTERVALS.tradeIntervalMs, 1_000);
  const agentTimeoutMs = readInt(env, "AGENT_TIMEOUT_MS", DEFAULT_INTERVALS.agentTimeoutMs, 100);
  const modelRunTimeoutMs = readInt(env, "MODEL_RUN_TIMEOUT_MS", DEFAULT_INTERVALS.modelRunTimeoutMs, 100);
  const staleAfterMs = readInt(env, "STALE_AFTER_MS", DEFAULT_INTERVALS.staleAfterMs, 100);
  if (agentTimeoutMs > modelRunTimeoutMs) fail("AGENT_TIMEOUT_MS", `(${agentTimeoutMs}) must not exceed MODEL_RUN_TIMEOUT_MS (${modelRunTimeoutMs})`);
  const leaseTtlMs = readInt(env, "LEASE_TTL_MS", Math.min(DEFAULT_INTERVALS.leaseTtlMs, staleAfterMs), 300, 24 * 60 * MINUTE);
  if (modelRunTimeoutMs > staleAfterMs) fail("MODEL_RUN_TIMEOUT_MS", `(${modelRunTimeoutMs}) must not exceed STALE_AFTER_MS (${staleAfterMs})`);

  // Live orders are sized, risk-checked and priced from the market they trade on: with live
  // models (IS_SIMULATION_ENABLED=false) the source is Lighter's own market, and nothing else.
  const marketRaw = (env.MARKET_SOURCE?.trim() || (simulationEnabled ? "synthetic" : "lighter")).toLowerCase();
  if (marketRaw !== "synthetic" && marketRaw !== "replay" && marketRaw !== "lighter") fail("MARKET_SOURCE", `must be synthetic, replay or lighter, got "${env.MARKET_SOURCE}"`);
  if (!simulationEnabled && marketRaw !== "lighter") fail("MARKET_SOURCE", liveMarketMessage(marketRaw, "IS_SIMULATION_ENABLED=false"));
  const replayDir = env.REPLAY_DIR?.trim() || null;
  if (marketRaw === "replay" && replayDir === null) fail("REPLAY_DIR", "is required with MARKET_SOURCE=replay (a directory of recorded klines)");

  let lighterMarket: LighterMarketSettings | null = null;
  if (marketRaw === "lighter") {
    const restUrl = env.LIGHTER_BASE_URL?.trim();
    if (!restUrl) fail("LIGHTER_BASE_URL", "is required with MARKET_SOURCE=lighter (Lighter's REST base URL; no API key is needed for market data)");
    if (!z.url().safeParse(restUrl).success || !/^https?:/.test(restUrl)) fail("LIGHTER_BASE_URL", "must be an http(s) URL");
    const wsText = env.LIGHTER_WS_URL?.trim();
    const derived = new URL(restUrl);
    derived.protocol = derived.protocol === "https:" ? "wss:" : "ws:";
    derived.pathname = "/stream";
    const wsUrl = wsText || derived.toString();
    if (!/^wss?:\/\//.test(wsUrl) || !z.url().safeParse(wsUrl).success) fail("LIGHTER_WS_URL", "must be a ws(s):// URL");
    lighterMarket = { restUrl, wsUrl, historyMinutes: readInt(env, "LIGHTER_HISTORY_MINUTES", 1440, 0, 100_000) };
  }

  const levelRaw = (env.LOG_LEVEL?.trim() || "info").toLowerCase();
  if (!["debug", "info", "warn", "error"].includes(levelRaw)) fail("LOG_LEVEL", `must be debug, info, warn or error, got "${env.LOG_LEVEL}"`);

  const apiPortRaw = env.API_PORT?.trim();
  const apiPort = apiPortRaw ? readInt(env, "API_PORT", 0, 1, 65_535) : null;

  return {
    simulationEnabled,
    databaseUrl,
    databaseWaitMs: readInt(env, "DATABASE_WAIT_MS", 30_000, 0, 3_600_000),
    // Relative to where the user ran pnpm (INIT_CWD), not to apps/worker, so the worker and the CLI agree.
    dataDir: resolve(env.INIT_CWD?.trim() || process.cwd(), env.AUTONOME_DB_DIR?.trim() || "./.autonome/db"),
    simulator,
    models,
    modelsSource: source,
    lighter,
    tradeIntervalMs,
    agentTimeoutMs,
    modelRunTimeoutMs,
    staleAfterMs,
    leaseTtlMs,
    marketSource: marketRaw,
    lighterMarket,
    replayDir,
    seed: env.SEED?.trim() || "autonome",
    logLevel: levelRaw as LogLevel,
    apiPort,
    embeddedHost: "127.0.0.1",
    embeddedPort: readInt(env, "AUTONOME_DB_PORT", 0, 0, 65_535),
  };
}

/** A URL with its password replaced by "***" (one definition, in @autonome/db). */
export { redactUrl };

/** The configuration as it may be printed: secrets replaced, key variables named but not read. */
export function describeConfig(config: WorkerConfig): Record<string, unknown> {
  return {
    simulationEnabled: config.simulationEnabled,
    database: config.databaseUrl === null ? `embedded PGlite in ${config.dataDir}` : redactUrl(config.databaseUrl),
    ...(config.databaseUrl === null ? {} : { databaseWaitMs: config.databaseWaitMs }),
    simulator: config.simulator,
    models: config.models.map((m) => (m.kind === "rule" ? `${m.id} (rule ${m.rule})` : `${m.id} (${m.model} at ${redactUrl(m.baseURL)}${m.apiKeyEnv ? `, key from ${m.apiKeyEnv}` : ""})`)),
    modelsSource: config.modelsSource,
    lighter: config.lighter === null ? null : { baseUrl: config.lighter.baseUrl, chainId: config.lighter.chainId, accountIndex: config.lighter.accountIndex, apiKeyIndex: config.lighter.apiKeyIndex, privateKey: "***" },
    tradeIntervalMs: config.tradeIntervalMs,
    agentTimeoutMs: config.agentTimeoutMs,
    modelRunTimeoutMs: config.modelRunTimeoutMs,
    staleAfterMs: config.staleAfterMs,
    leaseTtlMs: config.leaseTtlMs,
    marketSource: config.marketSource,
    replayDir: config.replayDir,
    seed: config.seed,
    logLevel: config.logLevel,
    apiPort: config.apiPort,
  };
}
