/**
 * Composition of the worker process: database (PostgreSQL, or embedded PGlite served
 * to other processes), market source, model registry, trading runtime, scheduler,
 * control requests, event forwarding and logs. No domain rule lives here.
 */
import { type ModelConfig, RULE_MODEL_KINDS, createModelRegistry } from "@autonome/agent";
import { createApiServer } from "@autonome/api";
import { type ArenaEvent, ArenaEventBus, type Clock, ConfigError, SystemClock } from "@autonome/core";
import { type Db, type ModelRecord, createDb, createEventChannel } from "@autonome/db";
import { LighterMarket, type MarketSource, ReplayMarket, SyntheticMarket } from "@autonome/market-data";
import { LiveTradingStore, type TradingRuntime, createTradingRuntime, flattenModel, runTick, watchTriggers } from "@autonome/trading";
import { readdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { type WorkerConfig, checkLiveMarket, redactUrl } from "./config.js";
import { type EmbeddedServer, serveEmbedded } from "./embedded.js";
import type { Logger } from "./logger.js";
import { DatabaseOutage, type DatabaseState, outageAwareLogger } from "./outage.js";
import { Scheduler } from "./scheduler.js";
import { takeOverDeadLeases } from "./takeover.js";
import { StartupError, describeError, fileSystemFailure, listenFailure, waitForPostgres } from "./startup.js";

/** The registry: the configured models plus one agent per built-in rule, so a rule model added from the CLI resolves. */
export function registryConfigs(models: readonly ModelConfig[]): ModelConfig[] {
  const out = [...models];
  for (const rule of RULE_MODEL_KINDS) {
    if (!out.some((m) => m.id === rule)) out.push({ id: rule, kind: "rule", rule });
  }
  return out;
}

/** The Models row a configured model is seeded as (looked up by name, then modelName). */
export function modelRowOf(config: ModelConfig): { name: string; provider: string; modelName: string; variant?: string } {
  return {
    name: config.id,
    provider: config.kind === "rule" ? "rule" : "openai",
    modelName: config.kind === "rule" ? config.rule : config.id,
    ...(config.variant ? { variant: config.variant } : {}),
  };
}

/** Creates or updates a Models row for each configured model; keeps `enabled` (a paused model stays paused). */
export async function seedModels(db: Db, models: readonly ModelConfig[]): Promise<ModelRecord[]> {
  const out: ModelRecord[] = [];
  for (const m of models) out.push(await db.models.upsert(modelRowOf(m)));
  return out;
}

/** The market source the configuration names (Lighter's connects and waits for its first books). */
export async function createMarket(config: WorkerConfig, clock: Clock): Promise<MarketSource> {
  if (config.marketSource === "synthetic") return new SyntheticMarket({ clock, seed: config.seed });
  if (config.marketSource === "replay") {
    const dir = config.replayDir!;
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => /\.csv(\.gz)?$/.test(f));
    } catch (error) {
      throw fileSystemFailure("REPLAY_DIR", `${dir} cannot be read`, error);
    }
    if (files.length === 0) throw new ConfigError(`REPLAY_DIR ${dir} holds no kline CSV files`, "REPLAY_DIR");
    return new ReplayMarket({ clock, klines: files.map((f) => join(dir, f)) });
  }
  const lighter = config.lighterMarket;
  if (!lighter) throw new ConfigError("MARKET_SOURCE=lighter needs LIGHTER_BASE_URL", "LIGHTER_BASE_URL");
  try {
    return await LighterMarket.connect({ clock, restUrl: lighter.restUrl, wsUrl: lighter.wsUrl, historyMinutes: lighter.historyMinutes });
  } catch (error) {
    throw new StartupError("LIGHTER_BASE_URL", `LIGHTER_BASE_URL ${lighter.restUrl}: Lighter's markets cannot be loaded (MARKET_SOURCE=lighter): ${describeError(error)}`, { cause: error });
  }
}

/**
 * The trading runtime of a configuration over an open database (the worker's, or the CLI's
 * when no worker runs). Subscribe to `events` before: the closes start-up reconciliation
 * finds are published while the runtime is created. History is read through a
 * LiveTradingStore: each model's state loaded once and kept up to date by the tick.
 */
export async function createRuntime(
  config: WorkerConfig,
  db: Db,
  clock: Clock,
  logger: Logger,
  events: ArenaEventBus = new ArenaEventBus(),
): Promise<{ runtime: TradingRuntime; market: MarketSource; events: ArenaEventBus }> {
  const market = await createMarket(config, clock);
  try {
    const agents = createModelRegistry(registryConfigs(config.models), { clock });
    const runtime = await createTradingRuntime({
      db,
      market,
      agents,
      events,
      clock,
      simulationEnabled: config.simulationEnabled,
      simulator: config.simulator,
      // Live brokers only on Lighter's own market: a model switched to LIVE while this worker runs
      // another source finds no live broker (its run fails with a ConfigError) instead of trading it.
      ...(config.lighter && config.marketSource === "lighter"
        ? {
            lighter: {
              baseUrl: config.lighter.baseUrl,
              chainId: config.lighter.chainId,
              accounts: [{ accountIndex: config.lighter.accountIndex, apiKeyIndex: config.lighter.apiKeyIndex, privateKeyHex: config.lighter.privateKeyHex }],
            },
          }
        : {}),
      options: { agentTimeoutMs: config.agentTimeoutMs },
      store: new LiveTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: config.tradeIntervalMs }),
      logger,
    });
    return { runtime, market, events };
  } catch (error) {
    await market.close();
    throw error;
  }
}

/**
 * Opens PostgreSQL at start: waits while it refuses or times out connections (one log
 * line per attempt, for `waitMs`), stops at once on a refused login or a missing database.
 */
async function openPostgres(url: string, waitMs: number, clock: Clock, logger: Logger): Promise<Db> {
  await waitForPostgres(url, {
    waitMs,
    onRetry: ({ attempt, error, retryInMs }) => logger.warn("database not reachable yet, retrying", { database: redactUrl(url), attempt, error, retryInMs }),
  });
  try {
    return await createDb({ kind: "postgres", url, clock });
  } catch (error) {
    throw new StartupError("DATABASE_URL", `DATABASE_URL ${redactUrl(url)}: ${describeError(error)}`, { cause: error });
  }
}

/** A running worker. */
export interface Worker {
  readonly db: Db;
  readonly runtime: TradingRuntime;
  readonly scheduler: Scheduler;
  readonly events: ArenaEventBus;
  /** Address other processes reach the embedded database at, or null with DATABASE_URL. */
  readonly embeddedUrl: string | null;
  /** The database as the worker saw it last (down during an outage). */
  database(): DatabaseState;
  /** Graceful stop: finish or abort the tick, persist, release leases, close everything. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  clock?: Clock;
  /** Start ticking at once (default true). */
  autoStart?: boolean;
  /** Seed the configured models into Models (default true). */
  seed?: boolean;
  workerId?: string;
}

function decisionFields(model: ModelRecord, call: { type: string | null; tool: string; symbol: string | null; accepted: boolean; status: string; reason: string | null }) {
  return { model: model.name, tool: call.tool, symbol: call.symbol ?? undefined, status: call.status, reason: call.reason ?? undefined };
}

/** Starts the worker the configuration describes. */
export async function startWorker(config: WorkerConfig, logger: Logger, options: StartWorkerOptions = {}): Promise<Worker> {
  const clock = options.clock ?? new SystemClock();
  let embedded: EmbeddedServer | null = null;
  let db: Db;
  if (config.databaseUrl === null) {
    embedded = await serveEmbedded({ dataDir: config.dataDir, host: config.embeddedHost, port: config.embeddedPort, clock });
    db = embedded.db;
    logger.info("embedded database served", { dataDir: config.dataDir, address: `${embedded.lock.host}:${embedded.lock.port}` });
  } else {
    db = await openPostgres(config.databaseUrl, config.databaseWaitMs, clock, logger);
  }

  // An outage is one line when the database goes away and one when it is back; the failures
  // in between (ticks, heartbeats, leases, control requests) are logged at debug only.
  const outage = new DatabaseOutage(logger, clock);
  const log = outageAwareLogger(logger, outage);
  let schedulerRef: Scheduler | undefined;
  const closers: Array<() => Promise<void>> = [];
  try {
    if (options.seed ?? true) {
      const seeded = await seedModels(db, config.models);
      logger.info("models ready", { configured: seeded.length, enabled: seeded.filter((m) => m.enabled).length, source: config.modelsSource });
    }
    // Events: readable log lines, and NOTIFY for an api in another process (PostgreSQL only:
    // with the embedded database the api runs in this process and listens on the bus).
    // Subscribed before the runtime exists: start-up reconciliation publishes its closes.
    const events = new ArenaEventBus();
    const unsubscribeLog = events.onAny((event) => logEvent(logger, event));
    closers.push(async () => unsubscribeLog());
    if (config.databaseUrl !== null) {
      const channel = createEventChannel(db);
      const unsubscribeNotify = events.onAny((event) => {
        channel.publish(event).catch((error: unknown) => log.warn("event not sent", { type: event.type, error }));
      });
      closers.push(async () => unsubscribeNotify());
    }
    // Live models trade on Lighter's market only (refused before any market or broker starts).
    checkLiveMarket(config, await db.models.list());
    const { runtime, market } = await createRuntime(config, db, clock, log, events);
    closers.push(() => market.close());
    closers.push(() => runtime.close());
    if (runtime.startReport.actions.length > 0 || runtime.startReport.closes.length > 0) {
      logger.info("restored", { actions: runtime.startReport.actions.length, closes: runtime.startReport.closes.length });
    }
    // Paper stops, targets, liquidations and time exits between ticks: on each update of the
    // market source and at least every refreshIntervalMs, for the models of the last tick
    // (the ones this worker holds); a close is written and published at once.
    let tickModels: readonly ModelRecord[] = [];
    const refreshMs = config.simulator.refreshIntervalMs ?? 5_000;
    const triggerWatch = watchTriggers(runtime, { intervalMs: refreshMs > 0 ? refreshMs : 1_000, models: () => tickModels });
    closers.push(() => triggerWatch.stop());
    const openAtStart = await db.orders.allOpenOrders();
    logger.info("open positions restored", { positions: openAtStart.length });

    // The read side and dashboard run in this process when API_PORT is set: with the
    // embedded database no other process can open it, and events arrive on the bus.
    if (config.apiPort !== null) {
      const startedAt = clock.now();
      const names = new Map(config.models.map((m) => [`${modelRowOf(m).name}\u0000${m.variant ?? "default"}`, m.name]));
      const api = createApiServer({
        db,
        events,
        prices: market,
        clock,
        // Return and PnL from each simulated model's real starting capital; SIM/LIVE badges; the configured names.
        initialCapitalUsd: config.simulator.initialCapital ?? 10_000,
        defaultMode: config.simulationEnabled ? "SIM" : "LIVE",
        displayNames: (m) => names.get(`${m.name}\u0000${m.variant}`),
        // /api/health shows this worker live, also while the database is down.
        localWorker: () => (schedulerRef === undefined ? null : { ...schedulerRef.health(), host: hostname(), pid: process.pid, status: "running", startedAt, updatedAt: clock.now() }),
      });
      const address = await api.listen({ port: config.apiPort }).catch((error: unknown) => {
        throw listenFailure("API_PORT", "127.0.0.1", config.apiPort!, error);
      });
      closers.push(() => api.close());
      logger.info("dashboard and api listening", { url: address.url });
    }

    const scheduler = new Scheduler({
      db,
      clock,
      events,
      logger: log,
      ...(options.workerId ? { workerId: options.workerId } : {}),
      options: { tradeIntervalMs: config.tradeIntervalMs, modelRunTimeoutMs: config.modelRunTimeoutMs, staleAfterMs: config.staleAfterMs, leaseTtlMs: config.leaseTtlMs },
      hooks: {
        // The tick of @autonome/trading (market to now, reconcile, every model's workflow, snapshots),
        // each model's workflow under the scheduler's deadline, all at once.
        async runBatch(models, runModel, { acquired }) {
          tickModels = models;
          await runTick(runtime, {
            models,
            acquired,
            runModel: (model, workflow) =>
              runModel(model, async (signal, fence) => {
                const result = await workflow(signal, fence);
                return { ok: result.ok, error: result.error };
              }),
            onWorkflow(model, result) {
              for (const call of result.toolCalls) logger.info("decision", decisionFields(model, call));
              if (result.toolCalls.length === 0) logger.info("decision", { model: model.name, tool: "none", status: result.ok ? "no-call" : "failed", reason: result.error ?? undefined });
            },
          });
        },
      },
    });

    schedulerRef = scheduler;

    // Flatten requests are served between ticks too, so the CLI does not wait a whole interval.
    // This loop also tells when the database is back after an outage (within a second).
    const controlTimer = setInterval(() => {
      void (async () => {
        // A model leased by another worker is that worker's to flatten; a free one (paused, say) is anyone's.
        const otherLeases = new Set((await db.leases.list()).filter((l) => l.workerId !== scheduler.workerId).map((l) => l.modelId));
        const models = (await db.models.list()).filter((m) => !otherLeases.has(m.id));
        await serveControlRequests(runtime, models, scheduler.workerId, log);
        // Failed runs the database could not take during an outage, written now that it answers.
        const written = await runtime.store.retryPending();
        if (written > 0) logger.info("failed runs recorded after the outage", { runs: written });
      })().then(
        () => outage.ok(),
        (error: unknown) => log.warn("control requests not served", { error }),
      );
    }, 1_000);
    controlTimer.unref();
    closers.push(async () => clearInterval(controlTimer));

    // A restart does not wait one lease TTL for its own dead predecessor.
    const freed = await takeOverDeadLeases(db, scheduler.workerId, embedded !== null);
    if (freed.length > 0) logger.info("leases of dead workers taken over", { models: freed.length, from: [...new Set(freed.map((f) => f.workerId))].join(",") });
    await abandonDeadInvocations(db, clock, config.staleAfterMs, freed.map((f) => f.modelId), logger);

    if (options.autoStart ?? true) scheduler.start();
    logger.info("worker started", { workerId: scheduler.workerId, intervalMs: config.tradeIntervalMs, simulation: config.simulationEnabled, market: config.marketSource });

    let stopped: Promise<void> | undefined;
    return {
      db,
      runtime,
      scheduler,
      events,
      embeddedUrl: embedded?.lock.url ?? null,
      database: () => outage.state(),
      stop: (graceMs = 30_000) =>
        (stopped ??= (async () => {
          clearInterval(controlTimer);
          await scheduler.stop(graceMs);
          for (const close of closers.reverse()) await close().catch((error: unknown) => logger.warn("close failed", { error }));
          if (embedded) await embedded.close();
          else await db.close();
          logger.info("worker stopped", { workerId: scheduler.workerId });
        })()),
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    if (embedded) await embedded.close();
    else await db.close();
    throw error;
  }
}

/**
 * Closes as ABANDONED (and counts as failed) the invocations no run will finish: every one
 * unfinished for longer than STALE_AFTER_MS, and every unfinished one of the models taken
 * over from dead workers (their runs died with them).
 */
export async function abandonDeadInvocations(db: Db, clock: Clock, staleAfterMs: number, freedModelIds: readonly string[], logger: Logger): Promise<number> {
  const now = clock.now();
  const old = await db.invocations.abandonUnfinished({ startedBefore: now - staleAfterMs, reason: `unfinished for longer than STALE_AFTER_MS (${staleAfterMs} ms): its worker stopped or died` });
  const orphaned = freedModelIds.length === 0 ? [] : await db.invocations.abandonUnfinished({ startedBefore: now, modelIds: freedModelIds, reason: "its worker died" });
  const closed = [...old, ...orphaned];
  if (closed.length > 0) logger.warn("invocations closed as ABANDONED", { invocations: closed.length, models: new Set(closed.map((c) => c.modelId)).size });
  return closed.length;
}

let serving = false;

/** Executes pending control requests (flatten) of the models this worker holds. */
export async function serveControlRequests(runtime: TradingRuntime, models: readonly ModelRecord[], workerId: string, logger: Logger): Promise<number> {
  if (serving || models.length === 0) return 0;
  serving = true;
  try {
    const pending = await runtime.db.controlRequests.pending(models.map((m) => m.id));
    let served = 0;
    for (const request of pending) {
      if (!(await runtime.db.controlRequests.take(request.id, workerId))) continue;
      if (request.kind !== "flatten") {
        await runtime.db.controlRequests.complete(request.id, { error: `unknown request ${request.kind}` });
        continue;
      }
      try {
        const result = await flattenModel(runtime, request.modelId);
        await runtime.db.controlRequests.complete(request.id, {
          result: { closed: result.closed.map((o) => ({ orderId: o.orderId, symbol: o.symbol, exitPrice: o.exitPrice.toString(), realizedPnl: o.realizedPnl.toString() })), failed: result.failed },
        });
        logger.info("flattened", { modelId: request.modelId, closed: result.closed.length, failed: result.failed.length });
      } catch (error) {
        await runtime.db.controlRequests.complete(request.id, { error: error instanceof Error ? error.message : String(error) });
      }
      served += 1;
    }
    return served;
  } finally {
    serving = false;
  }
}

/** One log line per event worth a human's attention. */
function logEvent(logger: Logger, event: ArenaEvent): void {
  switch (event.type) {
    case "positionOpened":
      logger.info("position opened", { modelId: event.payload.modelId, symbol: event.payload.symbol, side: event.payload.side, quantity: event.payload.quantity, entryPrice: event.payload.entryPrice, leverage: event.payload.leverage });
      break;
    case "positionClosed":
      logger.info("position closed", { modelId: event.payload.modelId, symbol: event.payload.symbol, exitPrice: event.payload.exitPrice, realizedPnl: event.payload.realizedPnl, trigger: event.payload.closeTrigger ?? "model" });
      break;
    case "positionLiquidated":
      logger.warn("position liquidated", { modelId: event.payload.modelId, symbol: event.payload.symbol, exitPrice: event.payload.exitPrice });
      break;
    default:
      logger.debug(event.type, { id: event.id });
  }
}
