/**
 * Trigger checks between ticks, for the simulated models: stops, targets and liquidations
 * (SimBroker.checkTriggers, rules in broker/trigger-path.ts), then time exits and
 * invalidation prices (enforceExitPlans), every close written to Orders at once and
 * published (exitTriggered / positionLiquidated, positionClosed) like a tick's.
 *
 * Paper: `watchTriggers` runs a check on each update of the market source (book, trade,
 * candle) and at least every `intervalMs` (the simulator's refreshIntervalMs, 5 s by
 * default), one at a time. A backtest calls `checkTriggers` along each minute's path.
 */
import type { ModelRecord } from "@autonome/db";
import { type ReconcileReport, emptyReconcileReport, mergeReports } from "./broker/broker.js";
import { SimBroker, type SimTriggerCheckOptions } from "./broker/sim-broker.js";
import { errorMessage } from "./internal/util.js";
import { enforceExitPlans, publishCloses } from "./runtime.js";
import type { TradingRuntime } from "./runtime-types.js";

/** Options of {@link checkTriggers}. */
export interface CheckTriggersOptions extends SimTriggerCheckOptions {
  /** The models to check (default every model); live ones are skipped (their venue watches them). */
  models?: readonly ModelRecord[];
}

/** One check of the simulated models' triggers and exit plans now; closes are recorded and published. */
export async function checkTriggers(runtime: TradingRuntime, options: CheckTriggersOptions = {}): Promise<ReconcileReport> {
  const list = options.models ?? (await runtime.db.models.list());
  const groups = new Map<SimBroker, ModelRecord[]>();
  for (const model of list) {
    if (runtime.brokers.modeOf(model) !== "SIM") continue;
    const broker = runtime.brokers.brokerFor(model);
    if (!(broker instanceof SimBroker)) continue;
    const group = groups.get(broker);
    if (group === undefined) groups.set(broker, [model]);
    else group.push(model);
  }
  const reports: ReconcileReport[] = [];
  const { models: _models, ...check } = options;
  for (const [broker, group] of groups) {
    // Nothing held, nothing to watch: openSymbols asks the simulator what is held, without building position views.
    if (broker.openSymbols().length === 0) continue;
    try {
      reports.push(await broker.checkTriggers(group, check));
      reports.push(await enforceExitPlans(runtime, group));
    } catch (error) {
      reports.push({ ...emptyReconcileReport(), errors: [{ modelId: null, message: `trigger check failed: ${errorMessage(error)}` }] });
    }
  }
  const report = mergeReports(...reports);
  for (const error of report.errors) runtime.logger.error("trigger check error", error);
  for (const c of report.closes) {
    runtime.logger.info("position closed between ticks", { modelId: c.order.modelId, symbol: c.order.symbol, closeTrigger: c.closeTrigger, exitPrice: c.order.exitPrice.toString() });
  }
  publishCloses(runtime, report.closes);
  return report;
}

/** Options of {@link watchTriggers}. */
export interface WatchTriggersOptions {
  /** Longest time between two checks, ms (the simulator's refreshIntervalMs; default 5000). */
  intervalMs?: number;
  /** The models to check each time (default every model). */
  models?: () => readonly ModelRecord[];
  /**
   * Shortest time between two checks started by market updates, ms of the runtime's clock
   * (default 1000). A tick's own reads and a chatty live feed report many updates a second;
   * each check walks every simulated account, so updates inside the gap are folded into one
   * check at its end. `check()` and the `intervalMs` timer are not held back.
   */
  minGapMs?: number;
}

/** A running trigger watch. */
export interface TriggerWatch {
  /** Checks now (after the running check); resolves when done. */
  check(): Promise<void>;
  /** Stops watching; resolves when the running check is done. */
  stop(): Promise<void>;
}

/**
 * Paper: checks the simulated models' triggers on each update of the runtime's market
 * source (at most one check every `minGapMs`) and at least every `intervalMs`. Updates that
 * arrive while a check runs, or inside the gap, are folded into one more check after it.
 */
export function watchTriggers(runtime: TradingRuntime, options: WatchTriggersOptions = {}): TriggerWatch {
  const intervalMs = options.intervalMs ?? 5000;
  const minGapMs = options.minGapMs ?? 1000;
  let chain: Promise<void> = Promise.resolve();
  let startedAt = Number.NEGATIVE_INFINITY;
  let deferred: ReturnType<typeof setTimeout> | undefined;
  let queued = false;
  let stopped = false;
  /** Clock time the last check started: updates up to it are what that check read (its own reads advance the source). */
  let checkedAt = Number.NEGATIVE_INFINITY;
  const run = (): Promise<void> => {
    if (queued || stopped) return chain;
    queued = true;
    chain = chain.then(async () => {
      queued = false;
      if (stopped) return;
      checkedAt = runtime.clock.now();
      startedAt = checkedAt;
      try {
        await checkTriggers(runtime, options.models ? { models: options.models() } : {});
      } catch (error) {
        runtime.logger.error("trigger check failed", { error: errorMessage(error) });
      }
      // The check's own reads advance a pull-driven source (synthetic, replay), which reports
      // updates stamped while the check ran: they are what it read, not news. Without this,
      // each check would queue the next one, back to back, for as long as a position is open.
      checkedAt = Math.max(checkedAt, runtime.clock.now());
    });
    return chain;
  };
  const onUpdate = () => {
    const wait = startedAt + minGapMs - runtime.clock.now();
    if (wait <= 0) {
      void run();
    } else if (deferred === undefined) {
      deferred = setTimeout(() => {
        deferred = undefined;
        void run();
      }, Math.min(wait, minGapMs));
      deferred.unref();
    }
  };
  const unsubscribe = runtime.market.subscribe((update) => {
    if (update.type !== "fundingSettled" && update.ts > checkedAt) onUpdate();
  });
  const timer = intervalMs > 0 ? setInterval(() => void run(), intervalMs) : undefined;
  timer?.unref();
  return {
    check: run,
    async stop() {
      stopped = true;
      unsubscribe();
      if (deferred !== undefined) clearTimeout(deferred);
      if (timer !== undefined) clearInterval(timer);
      await chain;
    },
  };
}
