/** What one run of a model's trade workflow returns. */
import type { DecisionType } from "@autonome/core";

/** One tool call's outcome, as recorded in ToolCalls. */
export interface WorkflowToolCall {
  type: DecisionType | null;
  tool: string;
  symbol: string | null;
  accepted: boolean;
  /** executed, rejected (risk), invalid (arguments), failed (broker). */
  status: "executed" | "rejected" | "invalid" | "failed";
  reason: string | null;
  orderId: string | null;
}

/** The outcome of runTradeWorkflow for one model. */
export interface WorkflowResult {
  modelId: string;
  /** The Invocations row, null when the run failed before creating it. */
  invocationId: string | null;
  /** Whether the agent finished with an answer. */
  ok: boolean;
  error: string | null;
  errorCode: string | null;
  toolCalls: WorkflowToolCall[];
  /** Orders opened and closed by this run's tool calls. */
  openedOrderIds: string[];
  closedOrderIds: string[];
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  /** Clock ms spent, end to end. */
  durationMs: number;
  /** Set when this run paused the model (configuration errors in a row): why. */
  pausedReason?: string;
}
