/** runTradeWorkflow: one model's run, from state to persisted decisions and events. */
import type { ModelRecord } from "@autonome/db";
import type { TradingRuntime } from "./runtime-types.js";
import type { WorkflowResult } from "./workflow-types.js";

/** Runs one model's trade workflow. */
export async function runTradeWorkflow(runtime: TradingRuntime, model: ModelRecord, signal?: AbortSignal): Promise<WorkflowResult> {
  void runtime;
  void model;
  void signal;
  throw new Error("not implemented yet");
}
