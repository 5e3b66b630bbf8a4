/**
 * One tick of the arena: the sequence every driver of the trade workflow runs (the
 * worker's scheduler, the backtest, the benchmarks and the examples), defined once.
 *
 * 0. Failed runs the store kept while the database was unreachable are written (when it
 *    is back); models another process may have traded since (`acquired`) are forgotten by
 *    the store and rechecked in full by their brokers.
 * 1. The market advances to the clock's now.
 * 2. reconcile(runtime, models): fresh books for the simulator; stops, targets,
 *    liquidations, funding and closes at the venue written and published.
 * 3. Each model's runTradeWorkflow: all at once (default) or one after another.
 * 4. The shared market intelligence is invalidated (the next tick computes afresh).
 * 5. snapshotPortfolios(runtime, models): one PortfolioSnapshot per model.
 * 6. The store's endTick: a store that batches the tick's records (the worker's
 *    LiveTradingStore) writes them in one transaction.
 *
 * Steps 4 to 6 run whatever happened before them. When step 1 or 2 fails no workflow
 * runs (no model trades on books that were not refreshed); when a workflow throws the
 * others still run. Either way the tick ends with 4 to 6, then runTick rethrows the
 * first error (the others go to the runtime's logger).
 */
import type { ModelRecord } from "@autonome/db";
import type { ReconcileReport } from "./broker/broker.js";
import type { BrokerFence } from "./fence.js";
import { errorMessage } from "./internal/util.js";
import { reconcile, snapshotPortfolios } from "./runtime.js";
import type { TradingRuntime } from "./runtime-types.js";
import type { WorkflowResult } from "./workflow-types.js";
import { runTradeWorkflow } from "./workflow.js";

/** One model's workflow, ready to run (see RunTickOptions.runModel); `fence`: the lease the run holds (see WorkflowRunOptions). */
export type TickWorkflow = (signal?: AbortSignal, fence?: BrokerFence) => Promise<WorkflowResult>;

/** What differs between the drivers of a tick. */
export interface RunTickOptions {
  /** The models of this tick, in order; default every enabled model (db.models.listEnabled()). */
  models?: readonly ModelRecord[];
  /**
   * "parallel" (default): every model's workflow at once, so no model waits for another.
   * "sequential": one after another in the order of `models`, so which model reaches a
   * simulated book first never depends on database latency (a backtest repeats exactly).
   */
  concurrency?: "parallel" | "sequential";
  /**
   * Runs one model's workflow; default `workflow(signal)`. A scheduler wraps it with its
   * own deadline and AbortSignal and bookkeeping; the tick moves on to the snapshot once
   * every runModel has settled, even when a workflow it gave up on is still running.
   */
  runModel?: (model: ModelRecord, workflow: TickWorkflow) => Promise<unknown>;
  /** Passed to each workflow by the default runModel (a shutdown, a timeout for every run). */
  signal?: AbortSignal;
  /**
   * Models another process may have written since their last tick in this runtime (their
   * lease was not a continuation of this driver's own): the store drops what it keeps of
   * them and their brokers check them against Orders in full. Default none (a driver that
   * owns its models, such as a backtest).
   */
  acquired?: readonly string[];
  /** Called with each workflow's result as it ends (also one that ends after the tick, when a runModel stopped waiting for it). */
  onWorkflow?: (model: ModelRecord, result: WorkflowResult) => void;
}

/** What one tick did. */
export interface TickResult {
  /** The models of the tick, in order. */
  models: readonly ModelRecord[];
  /** What reconciliation found and did. */
  reconcile: ReconcileReport;
  /** Each model's workflow result, aligned with `models`; undefined for one still running when the tick ended. */
  results: ReadonlyArray<WorkflowResult | undefined>;
}

/**
 * Runs one tick: market, reconciliation, every model's workflow, invalidation, snapshots
 * (see the module comment for the order and what a failure skips). Resolves once every
 * model's run settled and the snapshots are written.
 */
export async function runTick(runtime: TradingRuntime, options: RunTickOptions = {}): Promise<TickResult> {
  const models = options.models ?? (await runtime.db.models.listEnabled());
  const runModel = options.runModel ?? ((_model: ModelRecord, workflow: TickWorkflow) => workflow(options.signal));
  const results: Array<WorkflowResult | undefined> = models.map(() => undefined);
  const errors: Array<{ modelId: string | null; error: unknown }> = [];

  // A database that is back takes the failed runs it missed; one that is still down fails the steps below anyway.
  await runtime.store.retryPending().catch((error: unknown) => runtime.logger.warn("failed runs not written yet", { error: errorMessage(error) }));
  const acquired = options.acquired ?? [];
  if (acquired.length > 0) {
    runtime.store.forget(acquired);
    for (const broker of runtime.brokers.all()) broker.invalidate(acquired);
  }

  let report: ReconcileReport | undefined;
  try {
    runtime.market.advanceTo(runtime.clock.now());
    report = await reconcile(runtime, models);
  } catch (error) {
    errors.push({ modelId: null, error });
  }

  if (report !== undefined) {
    const runOne = async (model: ModelRecord, index: number): Promise<void> => {
      let ended = false;
      const workflow: TickWorkflow = async (signal, fence) => {
        const result = await runTradeWorkflow(runtime, model, signal, fence ? { fence } : {});
        if (!ended) results[index] = result;
        // A run that outlived its tick writes its records itself (the tick's batch went without them).
        else await endTick(runtime);
        options.onWorkflow?.(model, result);
        return result;
      };
      try {
        await runModel(model, workflow);
      } catch (error) {
        errors.push({ modelId: model.id, error });
      } finally {
        ended = true;
      }
    };
    if (options.concurrency === "sequential") {
      for (const [index, model] of models.entries()) await runOne(model, index);
    } else {
      await Promise.all(models.map(runOne));
    }
  }

  runtime.intelligence.invalidate();
  await snapshotPortfolios(runtime, models);
  await endTick(runtime);

  const [first, ...rest] = errors;
  if (first !== undefined) {
    for (const other of rest) runtime.logger.error("tick error", { modelId: other.modelId, error: errorMessage(other.error) });
    throw first.error;
  }
  return { models, reconcile: report!, results: [...results] };
}

/** The store's end of a tick (its batch of records written); a batch the database cannot take now is kept for the next one. */
async function endTick(runtime: TradingRuntime): Promise<void> {
  await runtime.store.endTick().catch((error: unknown) => runtime.logger.warn("tick records not written yet", { error: errorMessage(error) }));
}
