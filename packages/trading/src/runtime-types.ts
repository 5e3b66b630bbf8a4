/**
 * The runtime a worker builds once per process and hands to every workflow run:
 * database, market, shared intelligence, brokers per mode, agents, event bus, clock.
 */
import type { ModelRegistry } from "@autonome/agent";
import type { ArenaEventBus, Clock, DecimalLike } from "@autonome/core";
import type { Db } from "@autonome/db";
import type { MarketIntelligence, MarketSource } from "@autonome/market-data";
import type { SimulatorOptions } from "@autonome/matching-engine";
import type { BrokerRegistry, ReconcileReport } from "./broker/broker.js";
import type { TradingStore } from "./store.js";

/** Structured log sink; fields are JSON-safe and never hold secrets. */
export interface TradingLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const SILENT_LOGGER: TradingLogger = Object.freeze({ info() {}, warn() {}, error() {} });

/** Tunables of a workflow run. */
export interface TradingOptions {
  /** Deadline of one agent invocation (AGENT_TIMEOUT_MS). Default 120000. */
  agentTimeoutMs: number;
  /** Steps of the agent loop. Default 20. */
  maxSteps: number;
  /** Retries of a failed or malformed invocation. Default 2. */
  maxRetries: number;
  /** Backoff before the first retry (doubles). Default 1000. */
  retryBackoffMs: number;
  /** Prompt variant of models whose variant is "default". Default: prompts' DEFAULT_VARIANT_ID. */
  variantDefault: string;
  /** Symbols shown to the models; null = every market of the source the broker trades. */
  symbols: readonly string[] | null;
  /** Cash of a new simulated account, USD. Default 10000. */
  initialCapitalUsd: DecimalLike;
}

/** One Lighter account the live broker may trade (one live model per account). */
export interface LighterAccountConfig {
  accountIndex: number;
  apiKeyIndex: number;
  /** The API key's private key (40 bytes hex). Never logged. */
  privateKeyHex: string;
}

/** How to reach Lighter for live models. */
export interface LighterConfig {
  /** BASE_URL, e.g. https://mainnet.zklighter.elliot.ai, or the mock server's url. */
  baseUrl: string;
  /** 304 mainnet (default), 300 testnet. */
  chainId?: number;
  accounts: readonly LighterAccountConfig[];
  /** Fill tracking poll interval. Default 250. */
  pollIntervalMs?: number;
  /** Fill tracking deadline. Default 30000. */
  fillTimeoutMs?: number;
  /** Slippage cap of market orders, a fraction. Default 0.01. */
  maxSlippage?: DecimalLike;
}

/** What createTradingRuntime needs. */
export interface TradingRuntimeConfig {
  db: Db;
  market: MarketSource;
  agents: ModelRegistry;
  /** Shared per tick; default a new MarketIntelligence over `market`. */
  intelligence?: MarketIntelligence;
  /** Default a new bus. */
  events?: ArenaEventBus;
  /** Default the market's clock. */
  clock?: Clock;
  /** IS_SIMULATION_ENABLED: default mode of models whose mode is null. Default true. */
  simulationEnabled?: boolean;
  /** DEFAULT_SIMULATOR_OPTIONS for the ExchangeSimulator. */
  simulator?: Partial<SimulatorOptions>;
  /** How a paper order waits for its seeded latency (SimBrokerOptions.arrival); default the clock's sleep. A backtest moves its clock. */
  orderArrival?: (at: number) => Promise<void>;
  /** Needed only when some model trades live. */
  lighter?: LighterConfig;
  options?: Partial<TradingOptions>;
  logger?: TradingLogger;
  /** Where the workflow reads history and writes invocations and snapshots; default a DbTradingStore over `db`. */
  store?: TradingStore;
  /**
   * This runtime is the only writer of its database (a backtest): the SimBroker skips its
   * per-tick drift check against Orders. Default false (workers, CLI and api share the tables).
   */
  exclusiveDatabase?: boolean;
}

/** Everything a workflow run needs, built once per process by the worker. */
export interface TradingRuntime {
  readonly db: Db;
  /** History reads and invocation/snapshot writes of the workflow (Orders go through the brokers). */
  readonly store: TradingStore;
  readonly market: MarketSource;
  /** Shared per tick; the worker invalidates it after each batch. */
  readonly intelligence: MarketIntelligence;
  readonly brokers: BrokerRegistry;
  readonly agents: ModelRegistry;
  readonly events: ArenaEventBus;
  readonly clock: Clock;
  readonly options: Readonly<TradingOptions>;
  readonly logger: TradingLogger;
  /** What start-up restore and reconciliation did. */
  readonly startReport: ReconcileReport;
  /** Closes every broker (not the db, market or bus, which the caller owns). */
  close(): Promise<void>;
}
