/** What an invocation returns: the final text, every tool call, step telemetry, tokens, cost and timing. */
import type { Decimal, InvocationFinished } from "@autonome/core";
import type { TradingPromptContext } from "@autonome/prompts";
import type { ToolCallRecord, ToolCallStatus } from "./session.js";

/** The prompts of one invocation and the context they were built from (rule models read the context). */
export interface AgentInput {
  systemPrompt: string;
  userPrompt: string;
  context: TradingPromptContext;
}

/** Token counts. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** One step of a run, in order. */
export type StepRecord =
  | {
      index: number;
      kind: "model";
      attempt: number;
      messageId: string | null;
      text: string;
      toolCalls: string[];
      /** Tool calls whose arguments were not valid JSON. */
      invalidToolCalls: string[];
      usage: TokenUsage;
      at: number;
    }
  | { index: number; kind: "tool"; attempt: number; tool: string; status: ToolCallStatus; at: number }
  | { index: number; kind: "error"; attempt: number; error: string; retryable: boolean; at: number };

/** How one attempt ended. */
export type AttemptOutcome = "ok" | "malformed" | "error" | "timeout" | "step-limit";

/** One attempt (the first call or a retry). */
export interface AttemptRecord {
  attempt: number;
  outcome: AttemptOutcome;
  error: string | null;
  startedAt: number;
  endedAt: number;
}

/** The result of one invocation of a model. */
export interface InvocationResult {
  modelId: string;
  /** Whether the run ended with a final answer (not an error or timeout). */
  ok: boolean;
  /** The model's final response text. */
  text: string;
  toolCalls: ToolCallRecord[];
  steps: StepRecord[];
  attempts: AttemptRecord[];
  usage: TokenUsage;
  /** Cost of the tokens at the model's configured prices (0 without prices or for rule models). */
  costUsd: Decimal;
  latencyMs: number;
  /** Whether the run was cut at the step limit. */
  stepLimitReached: boolean;
  /** The error that ended the run, or null. */
  error: string | null;
  /** Stable code of that error ("TIMEOUT", "RATE_LIMITED", "UPSTREAM", "MALFORMED_REPLY", ...). */
  errorCode: string | null;
}

/** Zero usage. */
export const NO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });

/** Sum of two usages. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, totalTokens: a.totalTokens + b.totalTokens };
}

/** The `invocationFinished` event payload of a result. */
export function toInvocationFinished(result: InvocationResult, invocationId: string): InvocationFinished {
  return {
    modelId: result.modelId,
    invocationId,
    ok: result.ok,
    latencyMs: result.latencyMs,
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    toolCalls: result.toolCalls.length,
    error: result.error,
  };
}
