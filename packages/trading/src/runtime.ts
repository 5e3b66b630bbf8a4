/**
 * createTradingRuntime and the per-tick operations around the workflow: reconcile,
 * snapshotPortfolios, flattenModel.
 */
import type { ClosedOrder, ModelRecord } from "@autonome/db";
import type { ReconcileReport } from "./broker/broker.js";
import type { TradingRuntime, TradingRuntimeConfig } from "./runtime-types.js";

/** What flattening a model did. */
export interface FlattenResult {
  modelId: string;
  closed: ClosedOrder[];
  failed: Array<{ symbol: string; reason: string }>;
}

/** Builds the runtime: brokers per mode, SimBroker restores OPEN orders, LighterBroker reconciles. */
export async function createTradingRuntime(config: TradingRuntimeConfig): Promise<TradingRuntime> {
  void config;
  throw new Error("not implemented yet");
}

/** Reconciles every broker with the database (start-up and every tick); publishes venue closes. */
export async function reconcile(runtime: TradingRuntime, models?: readonly ModelRecord[]): Promise<ReconcileReport> {
  void runtime;
  void models;
  throw new Error("not implemented yet");
}

/** Records one PortfolioSnapshot per model and publishes portfolioSnapshotted. */
export async function snapshotPortfolios(runtime: TradingRuntime, models: readonly ModelRecord[]): Promise<void> {
  void runtime;
  void models;
  throw new Error("not implemented yet");
}

/** Closes every open position of a model at market (closeTrigger MANUAL). */
export async function flattenModel(runtime: TradingRuntime, modelId: string): Promise<FlattenResult> {
  void runtime;
  void modelId;
  throw new Error("not implemented yet");
}
