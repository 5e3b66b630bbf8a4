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
  /** Prompt tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Prompt tokens read from the endpoint's prompt cache (part of inputTokens). */
  cachedInputTokens: number;
}

/** One step of a run, in order. */
export type StepRecord =
  | {
      index: number;
      kind: "model";
      attempt: number;
      messageId: string | null;
      text: string;
      /** The reasoning the reply carried (reasoning_content, reasoning or <think>), or null. */
      reasoning: string | null;
      /** The endpoint's finish_reason. */
      finishReason: string | null;
      /** The endpoint's own cost of this call, USD, when it reported one. */
      providerCostUsd: string | null;
      toolCalls: string[];
      /** Tool calls whose arguments were not valid JSON. */
      invalidToolCalls: string[];
      usage: TokenUsage;
      at: number;
    }
  | { index: number; kind: "tool"; attempt: number; tool: string; status: ToolCallStatus; at: number }
  | { index: number; kind: "error"; attempt: number; error: string; retryable: boolean; at: number }
  /** The model was asked again: it replied without a tool call (no-action) or with a JSON decision that did not parse. */
  | { index: number; kind: "nudge"; attempt: number; reason: "no-action" | "malformed-json"; at: number };

/** How one attempt ended. */
export type AttemptOutcome = "ok" | "malformed" | "error" | "timeout" | "step-limit" | "no-action";

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
  /** The model's final response text (the answer, without its reasoning). */
  text: string;
  /** The model's chain of thought, every reply's reasoning in order, or null when it sent none. */
  reasoning: string | null;
  toolCalls: ToolCallRecord[];
  steps: StepRecord[];
  attempts: AttemptRecord[];
  usage: TokenUsage;
  /** Cost: each call's own cost as the endpoint reported it, else its tokens at the configured prices (0 without either, or for rule models). */
  costUsd: Decimal;
  latencyMs: number;
  /** Whether the run was cut at the step limit. */
  stepLimitReached: boolean;
  /** The error that ended the run, or null. */
  error: string | null;
  /** Stable code of that error ("TIMEOUT", "RATE_LIMITED", "UPSTREAM", "CONFIG", "TRUNCATED", "EMPTY_REPLY", "NO_ACTION", "MALFORMED_REPLY", ...). */
  errorCode: string | null;
}

/** Zero usage. */
export const NO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0, cachedInputTokens: 0 });

/** Sum of two usages. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
  };
}

/**
 * What the Invocations row keeps as its response payload: the chain of thought and the final
 * answer apart, and each model reply (its reasoning, text, tool calls, finish reason, cost).
 */
export interface ResponsePayload {
  reasoning: string | null;
  answer: string;
  replies: Array<{ messageId: string | null; reasoning: string | null; text: string; toolCalls: string[]; finishReason: string | null; providerCostUsd: string | null }>;
  usage: TokenUsage;
}

/** The response payload of a result. */
export function responsePayloadOf(result: InvocationResult): ResponsePayload {
  return {
    reasoning: result.reasoning,
    answer: result.text,
    replies: result.steps.flatMap((s) =>
      s.kind === "model"
        ? [{ messageId: s.messageId, reasoning: s.reasoning, text: s.text, toolCalls: [...s.toolCalls, ...s.invalidToolCalls], finishReason: s.finishReason, providerCostUsd: s.providerCostUsd }]
        : [],
    ),
    usage: result.usage,
  };
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
