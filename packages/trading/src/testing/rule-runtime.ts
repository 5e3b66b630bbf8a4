/**
 * Test support (not exported): the trading runtime the tick and store tests run, on a
 * ManualClock at T0: a migrated database, a seeded SyntheticMarket of BTC, ETH and SOL with two
 * days of history, rule models created before the runtime starts (so its start-up sees them, in
 * order), the built-in rule registry, and the simulator at seed 3 refreshing its books on every
 * read.
 */
import { DEFAULT_MODEL_CONFIGS, createModelRegistry } from "@autonome/agent";
import { type ArenaEventBus, type Clock, DEFAULT_MARKETS, ManualClock } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { SyntheticMarket } from "@autonome/market-data";
import { createTradingRuntime } from "../runtime.js";
import type { TradingRuntime } from "../runtime-types.js";
import type { TradingStore } from "../store.js";
import { T0, openTestDb } from "./support.js";

/** One rule model to create: its name, the id of its rule configuration (DEFAULT_MODEL_CONFIGS) and whether it is enabled (default true). */
export interface RuleModelSpec {
  name: string;
  rule: string;
  enabled?: boolean;
}

/** Options of {@link openRuleRuntime}. */
export interface RuleRuntimeOptions {
  /** The models, created in this order. Default: one per rule configuration, named by its id. */
  models?: readonly RuleModelSpec[];
  /** Seed of the synthetic market. Default 5. */
  marketSeed?: number;
  /** Opens the database on the test's clock. Default: a migrated in-memory PGlite (openTestDb). */
  openDb?: (clock: Clock) => Promise<Db>;
  /** The runtime's store, given the database and the clock. Default: the runtime's own. */
  store?: (db: Db, clock: Clock) => TradingStore;
  events?: ArenaEventBus;
}

/** A running rule-model runtime and what it runs on. */
export interface RuleRuntime {
  clock: ManualClock;
  db: Db;
  market: SyntheticMarket;
  runtime: TradingRuntime;
  /** The models created, in the order given. */
  models: ModelRecord[];
  /** Closes the runtime, the market and the database. */
  close(): Promise<void>;
}

/** The rule configurations' ids, each as a model named by it: the default models. */
export const RULE_MODELS: readonly RuleModelSpec[] = DEFAULT_MODEL_CONFIGS.map((c) => ({ name: c.id, rule: c.id }));

/** Opens the tick and store tests' runtime (see the module header). */
export async function openRuleRuntime(options: RuleRuntimeOptions = {}): Promise<RuleRuntime> {
  const clock = new ManualClock(T0);
  const db = await (options.openDb ?? openTestDb)(clock);
  const market = new SyntheticMarket({
    clock,
    seed: options.marketSeed ?? 5,
    markets: DEFAULT_MARKETS.filter((m) => ["BTC", "ETH", "SOL"].includes(m.symbol)),
    historyMinutes: 2 * 24 * 60,
  });
  const models: ModelRecord[] = [];
  for (const spec of options.models ?? RULE_MODELS) {
    const model = await db.models.create({ name: spec.name, provider: "rule", modelName: spec.rule });
    if (spec.enabled === false) await db.models.setEnabled(model.id, false);
    models.push(model);
  }
  const runtime = await createTradingRuntime({
    db,
    market,
    agents: createModelRegistry(DEFAULT_MODEL_CONFIGS, { clock }),
    clock,
    simulator: { seed: 3, refreshIntervalMs: 0 },
    options: { retryBackoffMs: 0 },
    ...(options.store ? { store: options.store(db, clock) } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  return {
    clock,
    db,
    market,
    runtime,
    models,
    async close() {
      await runtime.close();
      await market.close();
      await db.close();
    },
  };
}
