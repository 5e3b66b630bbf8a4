/**
 * createTradingRuntime and the per-tick operations around the workflow: reconcile
 * (every broker's sync, venue closes published as events), snapshotPortfolios and
 * flattenModel.
 */
import { ArenaEventBus, ConfigError, type Decimal, toDecimal } from "@autonome/core";
import type { ClosedOrder, ModelRecord, TradingMode } from "@autonome/db";
import { MarketIntelligence } from "@autonome/market-data";
import { DEFAULT_VARIANT_ID } from "@autonome/prompts";
import { type Broker, type BrokerFailure, type BrokerRegistry, type ReconcileReport, type VenueClose, emptyReconcileReport, mergeReports } from "./broker/broker.js";
import { LighterBroker } from "./broker/lighter-broker.js";
import { SimBroker } from "./broker/sim-broker.js";
import { errorMessage } from "./internal/util.js";
import { DbTradingStore, type TradingStore } from "./store.js";
import { SILENT_LOGGER, type TradingLogger, type TradingOptions, type TradingRuntime, type TradingRuntimeConfig } from "./runtime-types.js";

/** What flattening a model did. */
export interface FlattenResult {
  modelId: string;
  closed: ClosedOrder[];
  /** Positions not closed, with the broker's code: FILLED_NOT_RECORDED means the venue closed it and Orders do not say so yet. */
  failed: Array<{ symbol: string; code: BrokerFailure["code"]; reason: string }>;
}

/** The defaults of TradingOptions. */
export const DEFAULT_TRADING_OPTIONS: Readonly<TradingOptions> = Object.freeze({
  agentTimeoutMs: 120_000,
  maxSteps: 20,
  maxRetries: 2,
  retryBackoffMs: 1_000,
  variantDefault: DEFAULT_VARIANT_ID,
  symbols: null,
  initialCapitalUsd: 10_000,
});

/** Brokers by mode: one SimBroker shared by every simulated model, one LighterBroker per Lighter account. */
export class DefaultBrokerRegistry implements BrokerRegistry {
  readonly defaultMode: TradingMode;
  private readonly sim: () => Broker;
  private readonly live: (accountIndex: number | null) => Broker;
  private simBroker: Broker | undefined;
  private readonly liveBrokers = new Map<number | null, Broker>();

  constructor(defaultMode: TradingMode, sim: () => Broker, live: (accountIndex: number | null) => Broker) {
    this.defaultMode = defaultMode;
    this.sim = sim;
    this.live = live;
  }

  /** @inheritdoc */
  modeOf(model: ModelRecord): TradingMode {
    return model.mode ?? this.defaultMode;
  }

  /** @inheritdoc */
  brokerFor(model: ModelRecord): Broker {
    if (this.modeOf(model) === "SIM") return (this.simBroker ??= this.sim());
    const key = model.accountIndex;
    let broker = this.liveBrokers.get(key);
    if (!broker) {
      broker = this.live(key);
      this.liveBrokers.set(key, broker);
    }
    return broker;
  }

  /** @inheritdoc */
  all(): Broker[] {
    return [...(this.simBroker ? [this.simBroker] : []), ...new Set(this.liveBrokers.values())];
  }
}

/** Groups models by the broker they trade through. */
function byBroker(runtime: Pick<TradingRuntime, "brokers">, models: readonly ModelRecord[]): Map<Broker, ModelRecord[]> {
  const groups = new Map<Broker, ModelRecord[]>();
  for (const model of models) {
    const broker = runtime.brokers.brokerFor(model);
    const list = groups.get(broker) ?? [];
    list.push(model);
    groups.set(broker, list);
  }
  return groups;
}

/** Builds the runtime: brokers per mode, SimBroker restores OPEN orders, LighterBroker reconciles. */
export async function createTradingRuntime(config: TradingRuntimeConfig): Promise<TradingRuntime> {
  const clock = config.clock ?? config.market.clock;
  const logger = config.logger ?? SILENT_LOGGER;
  const options: TradingOptions = { ...DEFAULT_TRADING_OPTIONS, ...config.options };
  const events = config.events ?? new ArenaEventBus();
  const intelligence = config.intelligence ?? new MarketIntelligence(config.market);
  const defaultMode: TradingMode = config.simulationEnabled === false ? "LIVE" : "SIM";
  const simulator = { initialCapital: toDecimal(options.initialCapitalUsd), ...config.simulator };
  const brokers = new DefaultBrokerRegistry(
    defaultMode,
    () =>
      new SimBroker({
        db: config.db,
        market: config.market,
        clock,
        simulator,
        logger,
        exclusive: config.exclusiveDatabase ?? false,
        ...(config.orderArrival ? { arrival: config.orderArrival } : {}),
      }),
    (accountIndex) => {
      const lighter = config.lighter;
      if (!lighter) throw new ConfigError("a model trades live but Lighter is not configured (BASE_URL, API key and account)", "lighter");
      const account = accountIndex === null ? lighter.accounts[0] : lighter.accounts.find((a) => a.accountIndex === accountIndex);
      if (!account) throw new ConfigError(`no Lighter API key configured for account ${accountIndex ?? "(default)"}`, "lighter");
      return LighterBroker.connect({ db: config.db, market: config.market, clock, logger, lighter, account });
    },
  );

  const runtimeBase = { brokers };
  const models = await config.db.models.list();
  const live = models.filter((m) => brokers.modeOf(m) === "LIVE");
  const liveAccounts = new Map<number | null, string>();
  for (const m of live) {
    const other = liveAccounts.get(m.accountIndex);
    if (other !== undefined) {
      throw new ConfigError(`models ${other} and ${m.name} trade live on the same Lighter account; give each its own accountIndex`, "models");
    }
    liveAccounts.set(m.accountIndex, m.name);
  }
  const reports: ReconcileReport[] = [];
  for (const [broker, group] of byBroker(runtimeBase, models)) {
    try {
      reports.push(await broker.start(group));
    } catch (error) {
      reports.push({ ...emptyReconcileReport(), errors: [{ modelId: null, message: `${broker.mode} broker start failed: ${errorMessage(error)}` }] });
    }
  }
  const startReport = mergeReports(...reports);
  for (const action of startReport.actions) logger.warn("reconciled on start", { ...action });
  for (const error of startReport.errors) logger.error("start-up reconciliation error", error);
  // Closes found on start (a stop crossed while no worker ran) are logged and published like every tick's.
  logCloses(logger, startReport.closes);

  const runtime: TradingRuntime = {
    db: config.db,
    store: config.store ?? new DbTradingStore(config.db, () => clock.now()),
    market: config.market,
    intelligence,
    brokers,
    agents: config.agents,
    events,
    clock,
    options,
    logger,
    startReport,
    async close() {
      await Promise.all(brokers.all().map((b) => b.close()));
    },
  };
  publishCloses(runtime, startReport.closes);
  return runtime;
}

/** One line per venue close. */
function logCloses(logger: TradingLogger, closes: readonly VenueClose[]): void {
  for (const c of closes) {
    logger.info("position closed at the venue", { modelId: c.order.modelId, symbol: c.order.symbol, closeTrigger: c.closeTrigger, exitPrice: c.order.exitPrice.toString() });
  }
}

/** Publishes the events of venue closes: exitTriggered or positionLiquidated, then positionClosed. */
export function publishCloses(runtime: Pick<TradingRuntime, "events" | "clock"> & { readonly store?: TradingStore }, closes: readonly VenueClose[]): void {
  const now = runtime.clock.now();
  for (const c of closes) {
    const o = c.order;
    runtime.store?.positionClosed(o);
    if ((c.closeTrigger === "STOP" || c.closeTrigger === "TARGET") && c.triggerPrice) {
      runtime.events.publish(
        "exitTriggered",
        { modelId: o.modelId, orderId: o.orderId, symbol: o.symbol, trigger: c.closeTrigger, triggerPrice: c.triggerPrice.toString(), exitPrice: o.exitPrice.toString() },
        o.closedAt,
        now,
      );
    }
    if (c.closeTrigger === "LIQUIDATION") {
      runtime.events.publish(
        "positionLiquidated",
        {
          modelId: o.modelId,
          orderId: o.orderId,
          symbol: o.symbol,
          markPrice: (c.markPrice ?? o.exitPrice).toString(),
          exitPrice: o.exitPrice.toString(),
          realizedPnl: o.realizedPnl.toString(),
        },
        o.closedAt,
        now,
      );
    }
    runtime.events.publish(
      "positionClosed",
      {
        modelId: o.modelId,
        orderId: o.orderId,
        symbol: o.symbol,
        side: o.side,
        quantity: o.quantity.toString(),
        entryPrice: o.entryPrice.toString(),
        exitPrice: o.exitPrice.toString(),
        realizedPnl: o.realizedPnl.toString(),
        closeTrigger: o.closeTrigger,
      },
      o.closedAt,
      now,
    );
  }
}

/**
 * Reconciles every broker with the database (start-up and every tick): the simulator
 * gets fresh books and its stops, targets and liquidations are written; Lighter's
 * fired triggers and vanished or unknown positions are resolved. Venue closes are
 * published. Default models: every model (paused ones keep their stops honoured).
 */
export async function reconcile(runtime: TradingRuntime, models?: readonly ModelRecord[]): Promise<ReconcileReport> {
  const list = models ?? (await runtime.db.models.list());
  const reports: ReconcileReport[] = [];
  for (const [broker, group] of byBroker(runtime, list)) {
    try {
      reports.push(await broker.sync(group));
    } catch (error) {
      reports.push({ ...emptyReconcileReport(), errors: [{ modelId: null, message: `${broker.mode} broker sync failed: ${errorMessage(error)}` }] });
    }
  }
  reports.push(await enforceExitPlans(runtime, list));
  const report = mergeReports(...reports);
  for (const action of report.actions) runtime.logger.warn("reconciled", { ...action });
  for (const error of report.errors) runtime.logger.error("reconciliation error", error);
  logCloses(runtime.logger, report.closes);
  publishCloses(runtime, report.closes);
  return report;
}

/**
 * Closes positions whose exit plan says so and which no venue order watches: the time
 * exit has passed, or the mark crossed the invalidation price (below it for a long,
 * above it for a short). closeTrigger is null: the model's own plan closed it.
 */
export async function enforceExitPlans(runtime: TradingRuntime, models: readonly ModelRecord[]): Promise<ReconcileReport> {
  const report = emptyReconcileReport();
  const now = runtime.clock.now();
  for (const [broker, group] of byBroker(runtime, models)) {
    let marks: ReadonlyMap<string, Decimal>;
    try {
      marks = await broker.marks();
    } catch (error) {
      report.errors.push({ modelId: null, message: `marks unavailable: ${errorMessage(error)}` });
      continue;
    }
    for (const model of group) {
      for (const order of await broker.openOrders(model)) {
        const plan = order.exitPlan;
        const mark = marks.get(order.symbol);
        const invalidated =
          plan.invalidationPrice !== null && mark !== undefined && (order.side === "LONG" ? mark.lt(plan.invalidationPrice) : mark.gt(plan.invalidationPrice));
        const expired = plan.timeExit !== null && plan.timeExit <= now;
        if (!invalidated && !expired) continue;
        const closed = await broker.closePosition(model, order.symbol, null);
        if (!closed.ok) {
          report.errors.push({ modelId: model.id, message: `exit plan close of ${order.symbol} failed (${closed.code}): ${closed.reason}` });
          continue;
        }
        report.actions.push({
          kind: "closedByExitPlan",
          modelId: model.id,
          orderId: order.orderId,
          symbol: order.symbol,
          reason: expired ? "TIME_EXIT" : "INVALIDATED",
          exitPrice: closed.value.exitPrice.toString(),
        });
        report.closes.push({ order: closed.value, closeTrigger: "MANUAL", triggerPrice: null, markPrice: mark ?? null });
      }
    }
  }
  return report;
}

/** Records one PortfolioSnapshot per model at the clock's now and publishes portfolioSnapshotted. */
export async function snapshotPortfolios(runtime: TradingRuntime, models: readonly ModelRecord[]): Promise<void> {
  const at = runtime.clock.now();
  await Promise.all(
    models.map(async (model) => {
      try {
        const account = await runtime.brokers.brokerFor(model).account(model);
        await runtime.store.recordSnapshot({
          modelId: model.id,
          total: account.equity,
          available: account.available,
          unrealizedPnl: account.unrealizedPnl,
          at,
          openPositions: account.positions.length,
        });
        runtime.events.publish(
          "portfolioSnapshotted",
          {
            modelId: model.id,
            total: account.equity.toDecimalPlaces(8).toString(),
            available: account.available.toDecimalPlaces(8).toString(),
            unrealizedPnl: account.unrealizedPnl.toDecimalPlaces(8).toString(),
          },
          at,
          runtime.clock.now(),
        );
      } catch (error) {
        runtime.logger.error("portfolio snapshot failed", { modelId: model.id, error: errorMessage(error) });
      }
    }),
  );
}

/** Closes every open position of a model at market (closeTrigger MANUAL) and publishes positionClosed. */
export async function flattenModel(runtime: TradingRuntime, modelId: string): Promise<FlattenResult> {
  const model = await runtime.db.models.require(modelId);
  const broker = runtime.brokers.brokerFor(model);
  const open = await broker.openOrders(model);
  const result: FlattenResult = { modelId: model.id, closed: [], failed: [] };
  for (const order of open) {
    const closed = await broker.closePosition(model, order.symbol, "MANUAL");
    if (closed.ok) {
      result.closed.push(closed.value);
      publishCloses(runtime, [{ order: closed.value, closeTrigger: "MANUAL", triggerPrice: null, markPrice: null }]);
    } else {
      result.failed.push({ symbol: order.symbol, code: closed.code, reason: closed.reason });
    }
  }
  runtime.logger.info("flattened model", { modelId: model.id, closed: result.closed.length, failed: result.failed.length });
  return result;
}
