/**
 * The backtest loop: the live tick (runTick: reconcile, runTradeWorkflow with its agents,
 * tools, risk checks and SimBroker, snapshots) unchanged over a ReplayMarket, on a
 * ManualClock that jumps to the next tick as soon as every model has answered. No sleeping and no wall-clock time
 * in the simulated path (wall time is read only for the progress line). Each run has
 * its own database: PGlite under the output directory, or a fresh PostgreSQL schema.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type ModelConfig, type ModelRegistry, createModelRegistry, modelConfigSchema } from "@autonome/agent";
import { ArenaEventBus, type Decimal, ManualClock, ZERO, isAutonomeError, toDecimal } from "@autonome/core";
import { type ClosedOrder, type Db, type ModelRecord, createDb, openMemoryPglite, saveMemoryPglite } from "@autonome/db";
import { MarketDataFormatError, ReplayMarket, ReplayRecording } from "@autonome/market-data";
import { MemoryTradingStore, type PriceRange, SimBroker, type TradingRuntime, type WorkflowResult, checkTriggers, createTradingRuntime, runTick } from "@autonome/trading";
import { z } from "zod";
import { modelRowOf } from "../app.js";
import { type LlmCacheStats, startLlmCache } from "./llm-cache.js";
import { BacktestInputError, type BacktestOptions } from "./options.js";

/** One tick done: what the progress display needs. */
export interface BacktestProgress {
  tick: number;
  ticks: number;
  /** Simulated time of the tick, epoch ms. */
  at: number;
  fromMs: number;
  toMs: number;
}

/** A model's raw outcome, before metrics. */
export interface ModelOutcome {
  name: string;
  kind: "openai" | "rule";
  modelId: string;
  /** Equity at each tick, USD decimal strings (8 dp), aligned with BacktestResult.times. */
  equity: string[];
  trades: ClosedOrder[];
  /** Net funding over the run (positive = received): the sum of the model's Orders' funding. */
  fundingCashFlow: Decimal;
  /** Entry fees of the positions still open at the end (closed trades carry their own). */
  openFees: Decimal;
  inputTokens: number;
  outputTokens: number;
  costUsd: Decimal;
  invocations: number;
  failedInvocations: number;
}

/** What a run produced (the report is built from it). */
export interface BacktestResult {
  options: BacktestOptions;
  fromMs: number;
  toMs: number;
  symbols: string[];
  times: number[];
  /** BTC mid at each tick (the buy-and-hold baseline), as numbers. */
  btcMid: number[];
  initialCapital: string;
  models: ModelOutcome[];
  llmCache: LlmCacheStats;
  /** Where the run's database is: a PGlite directory or a schema of DATABASE_URL. */
  database: { kind: "pglite"; dataDir: string } | { kind: "postgres"; schema: string };
}

/** A prepared (validated) run: data read, range, symbols and models checked. */
export interface PreparedBacktest {
  options: BacktestOptions;
  recording: ReplayRecording;
  fromMs: number;
  toMs: number;
  ticks: number;
  symbols: string[];
  models: ModelConfig[];
}

/** Hooks of a run. */
export interface BacktestHooks {
  onTick?: (progress: BacktestProgress) => void;
  /** Every workflow result, for tests and logs. */
  onWorkflow?: (at: number, model: string, result: WorkflowResult) => void;
  /** Environment for API keys (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** A ReplayRecording already loaded (reused by benchmarks and tests). */
  recording?: ReplayRecording;
}

/** Ticks between writes of the buffered invocations and snapshots: one transaction per simulated half-day of 5-minute ticks. */
const FLUSH_EVERY_TICKS = 144;

const iso = (ms: number) => new Date(ms).toISOString();

/** Reads the data and checks everything that could fail later: files (with file and line), range, symbols, models. */
export function prepareBacktest(options: BacktestOptions, recording?: ReplayRecording): PreparedBacktest {
  for (const file of [...options.klines, ...options.funding]) {
    if (!existsSync(file)) throw new BacktestInputError(`data file ${file} does not exist`, file);
  }
  const parsed = z.array(modelConfigSchema).min(1, "needs at least one model").safeParse(options.models);
  if (!parsed.success) {
    throw new BacktestInputError(`invalid model configuration: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`, "--models-file");
  }
  const ids = new Set<string>();
  for (const m of parsed.data) {
    if (ids.has(m.id)) throw new BacktestInputError(`duplicate model id ${m.id}`, "--models-file");
    ids.add(m.id);
  }
  let loaded = recording;
  if (!loaded) {
    try {
      loaded = ReplayRecording.load({ klines: options.klines, funding: options.funding });
    } catch (error) {
      if (error instanceof MarketDataFormatError) throw new BacktestInputError(`malformed data file ${error.file}, line ${error.line}: ${error.reason}`, error.file);
      if (isAutonomeError(error)) throw new BacktestInputError(`cannot read the data: ${error.message}`, "--data");
      throw error;
    }
  }
  const available = loaded.symbols();
  if (available.length === 0) throw new BacktestInputError("the data holds no kline of a known market", "--data");
  const symbols = options.symbols ?? available;
  for (const s of symbols) {
    if (!available.includes(s)) throw new BacktestInputError(`unknown symbol ${s}; the data has ${available.join(", ")}`, "--symbols");
  }
  const probe = new ReplayMarket({ clock: new ManualClock(0), recording: loaded });
  const { startTime, endTime } = probe;
  const fromMs = options.fromMs ?? startTime + 86_400_000;
  const toMs = options.toMs ?? endTime;
  if (fromMs < startTime || fromMs >= endTime) throw new BacktestInputError(`--from ${iso(fromMs)} is outside the data (${iso(startTime)} to ${iso(endTime)})`, "--from");
  if (toMs > endTime || toMs <= fromMs) throw new BacktestInputError(`--to ${iso(toMs)} must be after --from and within the data (ends ${iso(endTime)})`, "--to");
  const ticks = Math.ceil((toMs - fromMs) / options.tickIntervalMs);
  return { options, recording: loaded, fromMs, toMs, ticks, symbols, models: parsed.data };
}

interface RunDatabase {
  db: Db;
  database: BacktestResult["database"];
  /** Writes the finished run where `database` says and closes everything. */
  finish(): Promise<void>;
}

async function openDatabase(options: BacktestOptions, clock: ManualClock): Promise<RunDatabase> {
  if (options.databaseUrl) {
    const schema = `backtest_${randomBytes(6).toString("hex")}`;
    const db = await createDb({ kind: "postgres", url: options.databaseUrl, schema, clock });
    return { db, database: { kind: "postgres", schema }, finish: () => db.close() };
  }
  // The run works on an in-memory PGlite (a file-backed one spends most of a tick in
  // emulated file I/O) and writes the whole data directory under --out when it ends.
  // It starts from the migrated template (see @autonome/db's openMemoryPglite), and its dump is unpacked into DIR/db at the end.
  const dataDir = join(options.outDir, "db");
  const { pglite } = await openMemoryPglite();
  let db: Db;
  try {
    db = await createDb({ kind: "pglite-instance", pglite, clock });
  } catch (error) {
    await pglite.close();
    throw error;
  }
  return {
    db,
    database: { kind: "pglite", dataDir },
    async finish() {
      await db.close();
      try {
        await saveMemoryPglite(pglite, dataDir); // a rerun into the same directory starts fresh
      } finally {
        await pglite.close();
      }
    },
  };
}

/** Seconds into a minute of the points of its path: open, nearer extreme, other extreme, close (ReplayMarket intrabar "ohlc"). */
const PATH_OFFSETS_MS = [0, 15_000, 30_000, 45_000] as const;
const MINUTE_MS = 60_000;

/** A liquidation price estimate holds the other marks fixed: a minute coming this close to it (a fraction) is walked. */
const LIQUIDATION_MARGIN = 0.02;

/**
 * Stops, targets, liquidations and time exits between two ticks: every minute of
 * [from, to) is walked along its path (the tick's own open, checked by the tick, is
 * skipped). The move from one minute's close to the next one's open is a jump (a trigger
 * it passes fills at the open); the moves inside a minute are continuous (a trigger fills
 * at its own price plus the book's slippage); a minute whose range holds a position's stop
 * and target takes the stop. A minute in which nothing can fire (no stop, target,
 * invalidation price or near liquidation price between the last checked price and the
 * minute's range, no time exit due) is skipped: the outcome is the same, only faster.
 */
async function walkTriggers(runtime: TradingRuntime, market: ReplayMarket, clock: ManualClock, models: readonly ModelRecord[], from: number, to: number): Promise<void> {
  const brokers = runtime.brokers.all().filter((b): b is SimBroker => b instanceof SimBroker);
  for (let minute = from - (from % MINUTE_MS); minute < to; minute += MINUTE_MS) {
    let walked: boolean | undefined;
    for (const offset of PATH_OFFSETS_MS) {
      const at = minute + offset;
      if (at <= from || at >= to || at <= clock.now()) continue;
      const watch = brokers.flatMap((b) => b.watchList());
      if (watch.length === 0) return;
      clock.advanceTo(at);
      const ranges = new Map<string, PriceRange>();
      for (const symbol of new Set(watch.map((w) => w.symbol))) {
        const bar = market.minuteBar(symbol, at);
        if (bar) ranges.set(symbol, { low: toDecimal(bar.low), high: toDecimal(bar.high) });
      }
      walked ??= watch.some((w) => reachable(w, ranges.get(w.symbol), minute + MINUTE_MS));
      if (!walked) break;
      await checkTriggers(runtime, { models, move: offset === 0 ? "jump" : "continuous", minute: { at: minute, ranges } });
    }
  }
}

/** Whether a position may close in this minute: a price of its between its symbol's last checked mark and the minute's range, or its time exit due. */
function reachable(w: ReturnType<SimBroker["watchList"]>[number], range: PriceRange | undefined, minuteEnd: number): boolean {
  if (w.timeExit !== null && w.timeExit < minuteEnd) return true;
  if (range === undefined) return false;
  const low = w.mark !== null && w.mark.lt(range.low) ? w.mark : range.low;
  const high = w.mark !== null && w.mark.gt(range.high) ? w.mark : range.high;
  if (w.prices.some((p) => p.gte(low) && p.lte(high))) return true;
  const liq = w.liquidationPrice;
  return liq !== null && liq.gte(low.mul(1 - LIQUIDATION_MARGIN)) && liq.lte(high.mul(1 + LIQUIDATION_MARGIN));
}

async function allClosedTrades(db: Db, modelId: string): Promise<ClosedOrder[]> {
  const out: ClosedOrder[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const result = await db.orders.closedTradesOfModel(modelId, { limit: 500, ...(cursor ? { cursor } : {}) });
    out.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return out.sort((a, b) => a.closedAt - b.closedAt || a.openedAt - b.openedAt || a.symbol.localeCompare(b.symbol));
}

/** Runs a prepared backtest to the end and returns its raw outcome; the database is closed on return. */
export async function runBacktest(prepared: PreparedBacktest, hooks: BacktestHooks = {}): Promise<BacktestResult> {
  const { options, fromMs, toMs, ticks } = prepared;
  const clock = new ManualClock(fromMs);
  const cache = await startLlmCache(prepared.models, options.llmCacheDir);
  let agents: ModelRegistry;
  try {
    agents = createModelRegistry(cache.models, { clock, seed: options.seed, ...(hooks.env ? { env: hooks.env } : {}) });
  } catch (error) {
    await cache.close();
    throw new BacktestInputError(isAutonomeError(error) ? error.message : String(error), "--models-file");
  }
  // The minute's path (open, nearer extreme, other extreme, close at 0/15/30/45 s) is what triggers walk between ticks.
  const market = new ReplayMarket({ clock, recording: prepared.recording, intrabar: "ohlc" });
  const store = await openDatabase(options, clock);
  const { db, database } = store;
  let runtime: TradingRuntime | undefined;
  try {
    const models: ModelRecord[] = [];
    for (const config of prepared.models) models.push(await db.models.upsert(modelRowOf(config)));
    const events = new ArenaEventBus();
    const usage = new Map<string, { input: number; output: number; invocations: number; failed: number }>(models.map((m) => [m.id, { input: 0, output: 0, invocations: 0, failed: 0 }]));
    events.on("invocationFinished", ({ payload }) => {
      const u = usage.get(payload.modelId);
      if (!u) return;
      u.input += payload.inputTokens;
      u.output += payload.outputTokens;
      u.invocations++;
      if (!payload.ok) u.failed++;
    });
    const equity = new Map<string, string[]>(models.map((m) => [m.id, []]));
    let tickEquity = new Map<string, string>();
    events.on("portfolioSnapshotted", ({ payload }) => tickEquity.set(payload.modelId, payload.total));

    const simulator = { seed: options.seed, ...options.simulator };
    const initialCapital = toDecimal(simulator.initialCapital ?? 10_000);
    market.advanceTo(fromMs);
    // The run owns its database: history stays in memory and records are written in batches.
    const tradingStore = new MemoryTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: options.tickIntervalMs });
    runtime = await createTradingRuntime({
      db,
      store: tradingStore,
      exclusiveDatabase: true,
      market,
      agents,
      events,
      clock,
      simulationEnabled: true,
      simulator,
      // With simulator latency an order reaches the book `delay` ms after it was sent (seeded): the run's clock moves there.
      orderArrival: async (at: number) => {
        if (at > clock.now()) clock.advanceTo(at);
      },
      options: { symbols: prepared.symbols, initialCapitalUsd: initialCapital, retryBackoffMs: 0 },
    });
    const times: number[] = [];
    const btcMid: number[] = [];
    const hasBtc = prepared.recording.symbols().includes("BTC");
    const configIdOf = new Map(models.map((m, i) => [m.id, prepared.models[i]!.id]));
    for (let tick = 0; tick < ticks; tick++) {
      const at = fromMs + tick * options.tickIntervalMs;
      if (tick > 0) await walkTriggers(runtime, market, clock, models, at - options.tickIntervalMs, at);
      // (Order latency may have moved the clock past the tick; a tick never goes back.)
      if (at > clock.now()) clock.advanceTo(at);
      tickEquity = new Map();
      // The market moves to `at`: fresh books, and the SimBroker charges each recorded funding
      // settlement that came due, at those marks. Then one model after another, in
      // configuration order: which model reaches the simulated book first must not depend on
      // database latency, or a PostgreSQL run would not repeat. Then the snapshots.
      await runTick(runtime, {
        models,
        concurrency: "sequential",
        ...(hooks.onWorkflow ? { onWorkflow: (model: ModelRecord, result: WorkflowResult) => hooks.onWorkflow!(at, configIdOf.get(model.id)!, result) } : {}),
      });
      // Invocations and snapshots are written in batches (fills never wait: brokers write them at once).
      if ((tick + 1) % FLUSH_EVERY_TICKS === 0 || tick === ticks - 1) await tradingStore.flush();
      for (const m of models) equity.get(m.id)!.push(toDecimal(tickEquity.get(m.id) ?? equity.get(m.id)!.at(-1) ?? initialCapital).toFixed(8));
      times.push(at);
      btcMid.push(hasBtc ? Number(market.midPrice("BTC")?.toString() ?? Number.NaN) : Number.NaN);
      hooks.onTick?.({ tick: tick + 1, ticks, at, fromMs, toMs });
    }

    const outcomes: ModelOutcome[] = [];
    const costs = await db.invocations.costByModel();
    for (const [i, m] of models.entries()) {
      const u = usage.get(m.id)!;
      const trades = await allClosedTrades(db, m.id);
      const open = await db.orders.openOrdersOfModel(m.id);
      outcomes.push({
        name: prepared.models[i]!.id,
        kind: prepared.models[i]!.kind,
        modelId: m.id,
        equity: equity.get(m.id)!,
        trades,
        // Orders are the one record of funding: what each position paid or received, closed or still open.
        fundingCashFlow: [...trades, ...open].reduce((sum, o) => sum.plus(o.funding), ZERO),
        openFees: open.reduce((sum, o) => sum.plus(o.fees), ZERO),
        inputTokens: u.input,
        outputTokens: u.output,
        costUsd: costs.get(m.id) ?? ZERO,
        invocations: u.invocations,
        failedInvocations: u.failed,
      });
    }
    return {
      options,
      fromMs,
      toMs,
      symbols: prepared.symbols,
      times,
      btcMid,
      initialCapital: initialCapital.toString(),
      models: outcomes,
      llmCache: { ...cache.stats },
      database,
    };
  } finally {
    await runtime?.close();
    await market.close();
    await store.finish();
    await cache.close();
  }
}
