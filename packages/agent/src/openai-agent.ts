/**
 * The language-model agent: LangChain's `createAgent` over any OpenAI-compatible
 * endpoint, with the four trading tools. Every tool call is intercepted by a
 * middleware and handled by the run's TradingSession (validation, risk checks,
 * executor), so LangChain never executes anything itself. LangChain's retries are
 * off (maxRetries 0); this module retries twice with exponential backoff, keeps
 * the conversation so far across retries, enforces the step limit and the
 * per-agent timeout (an AbortSignal that aborts the HTTP request), and records
 * steps, token usage and cost. A reply with malformed tool-call JSON is recorded
 * and retried with a correction, never executed.
 */
import { type Clock, type Decimal, TimeoutError, ZERO, toDecimal } from "@autonome/core";
import { ChatOpenAI } from "@langchain/openai";
import { type BaseMessage, HumanMessage, ToolMessage, createAgent, createMiddleware, tool } from "langchain";
import { type AgentInput, type AttemptRecord, type InvocationResult, NO_USAGE, type StepRecord, type TokenUsage, addUsage } from "./result.js";
import { backoffDelayMs, classifyFailure, retryDelayMs, sleep } from "./retry.js";
import type { TradingSession } from "./session.js";
import { TOOL_NAMES, TOOL_SPECS } from "./tools.js";

/** Price of tokens, in USD per million. */
export interface TokenPricing {
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
}

/** How to reach one OpenAI-compatible model. */
export interface OpenAiEndpoint {
  /** Base URL ending in /v1 (OpenAI, OpenRouter, DeepSeek, Ollama, vLLM). */
  baseURL: string;
  apiKey: string;
  model: string;
  temperature?: number;
  maxOutputTokens?: number;
  pricing?: TokenPricing;
}

/** Execution policy of one invocation. */
export interface RunPolicy {
  /** Maximum model calls in a run (default 20). */
  maxSteps: number;
  /** Retries after the first attempt (default 2). */
  maxRetries: number;
  /** Base of the exponential backoff in ms (default 1000: 1 s then 2 s). */
  backoffBaseMs: number;
  /** Deadline of the whole invocation in ms, retries included (default 120000). */
  timeoutMs: number;
}

/** The defaults of the design: 20 steps, 2 retries, 1 s backoff base, 2 minutes. */
export const DEFAULT_RUN_POLICY: RunPolicy = Object.freeze({ maxSteps: 20, maxRetries: 2, backoffBaseMs: 1000, timeoutMs: 120_000 });

/** Cost of token usage at a price. */
export function tokenCost(usage: TokenUsage, pricing: TokenPricing | undefined): Decimal {
  if (!pricing) return ZERO;
  return toDecimal(usage.inputTokens)
    .mul(toDecimal(pricing.inputPerMillionUsd))
    .plus(toDecimal(usage.outputTokens).mul(toDecimal(pricing.outputPerMillionUsd)))
    .div(1_000_000);
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return (content as unknown[]).map((part) => (typeof part === "string" ? part : textField(part))).join("");
  return "";
}

function textField(part: unknown): string {
  return typeof part === "object" && part !== null && "text" in part && typeof part.text === "string" ? part.text : "";
}

function usageOf(message: BaseMessage): TokenUsage {
  const u = (message as { usage_metadata?: { input_tokens?: number; output_tokens?: number; total_tokens?: number } }).usage_metadata;
  if (!u) return NO_USAGE;
  const input = u.input_tokens ?? 0;
  const output = u.output_tokens ?? 0;
  return { inputTokens: input, outputTokens: output, totalTokens: u.total_tokens ?? input + output };
}

interface AiFields {
  tool_calls?: Array<{ name: string }>;
  invalid_tool_calls?: Array<{ name?: string; args?: string; error?: string }>;
}

const isAi = (m: BaseMessage): boolean => m.getType() === "ai";

/** The first line of a LangChain JSON error, without its troubleshooting boilerplate. */
function shortError(error: string | undefined): string {
  const text = (error ?? "invalid JSON").split("Troubleshooting URL")[0] ?? "";
  const detail = text.split("\n").find((line) => line.startsWith("Error:"));
  return (detail ?? text.split("\n")[0] ?? "invalid JSON").trim();
}

/** Runs one invocation of an OpenAI-compatible model. Never throws: failures are in the result. */
export async function runOpenAiAgent(args: {
  modelId: string;
  endpoint: OpenAiEndpoint;
  input: AgentInput;
  session: TradingSession;
  clock: Clock;
  policy?: Partial<RunPolicy>;
  signal?: AbortSignal;
}): Promise<InvocationResult> {
  const { modelId, endpoint, input, session, clock } = args;
  const policy = { ...DEFAULT_RUN_POLICY, ...args.policy };
  const startedAt = clock.now();
  const steps: StepRecord[] = [];
  const attempts: AttemptRecord[] = [];
  let usage = NO_USAGE;
  let modelCalls = 0;
  let stepLimitReached = false;
  let attempt = 0;

  const timeoutSignal = AbortSignal.timeout(policy.timeoutMs);
  const signal = args.signal ? AbortSignal.any([timeoutSignal, args.signal]) : timeoutSignal;

  const model = new ChatOpenAI({
    model: endpoint.model,
    apiKey: endpoint.apiKey,
    maxRetries: 0,
    ...(endpoint.temperature !== undefined ? { temperature: endpoint.temperature } : {}),
    ...(endpoint.maxOutputTokens !== undefined ? { maxTokens: endpoint.maxOutputTokens } : {}),
    configuration: { baseURL: endpoint.baseURL },
  });

  // Tools carry name, description and schema for the model; their functions never run,
  // because the gate below answers every call itself.
  const tools = TOOL_NAMES.map((name) =>
    tool(
      async () => {
        throw new Error(`${name} must be handled by the risk gate`);
      },
      { name, description: TOOL_SPECS[name].description, schema: TOOL_SPECS[name].schema },
    ),
  );

  const gate = createMiddleware({
    name: "AutonomeRiskGate",
    beforeModel: {
      canJumpTo: ["end"],
      hook: () => {
        if (modelCalls >= policy.maxSteps) {
          stepLimitReached = true;
          return { jumpTo: "end" as const };
        }
        modelCalls += 1;
        return undefined;
      },
    },
    afterModel: (state) => {
      observe((state as { messages: BaseMessage[] }).messages);
      return undefined;
    },
    wrapToolCall: async (request) => {
      const call = request.toolCall;
      const record = await session.handle(call.name, call.args);
      steps.push({ index: steps.length + 1, kind: "tool", attempt, tool: call.name, status: record.status, at: clock.now() });
      return new ToolMessage({
        content: record.reply,
        tool_call_id: call.id ?? `call-${record.sequence}`,
        name: call.name,
        status: record.status === "executed" ? "success" : "error",
      });
    },
  });

  const agent = createAgent({ model, tools, systemPrompt: input.systemPrompt, middleware: [gate] });

  let messages: BaseMessage[] = [new HumanMessage(input.userPrompt)];
  const seen = new Set<BaseMessage | string>();
  // Records each model reply once, as soon as it exists (the gate's afterModel hook),
  // and again from the stream's final state as a safety net; ids make it idempotent.
  const observe = (state: readonly BaseMessage[]) => {
    for (const m of state) {
      if (seen.has(m) || (m.id && seen.has(m.id))) continue;
      seen.add(m);
      if (m.id) seen.add(m.id);
      if (!isAi(m)) continue;
      const fields = m as unknown as AiFields;
      const u = usageOf(m);
      usage = addUsage(usage, u);
      steps.push({
        index: steps.length + 1,
        kind: "model",
        attempt,
        messageId: m.id ?? null,
        text: textOf(m.content),
        toolCalls: (fields.tool_calls ?? []).map((c) => c.name),
        invalidToolCalls: (fields.invalid_tool_calls ?? []).map((c) => c.name ?? "?"),
        usage: u,
        at: clock.now(),
      });
      // Recorded, never executed: a call whose arguments are not JSON never reaches the session's handler.
      for (const c of fields.invalid_tool_calls ?? []) session.recordMalformed(c.name ?? "?", c.args ?? null, shortError(c.error));
    }
  };
  for (const m of messages) seen.add(m);

  const finish = (ok: boolean, text: string, error: string | null, errorCode: string | null): InvocationResult => ({
    modelId,
    ok,
    text,
    toolCalls: [...session.records],
    steps,
    attempts,
    usage,
    costUsd: tokenCost(usage, endpoint.pricing),
    latencyMs: clock.now() - startedAt,
    stepLimitReached,
    error,
    errorCode,
  });

  for (;;) {
    attempt += 1;
    const attemptStart = clock.now();
    let latest = messages;
    try {
      const stream = await agent.stream({ messages }, { streamMode: "values", signal, recursionLimit: policy.maxSteps * 3 + 10 });
      for await (const state of stream) {
        latest = (state as { messages: BaseMessage[] }).messages;
        observe(latest);
      }
    } catch (error) {
      observe(latest);
      messages = latest;
      if (signal.aborted) {
        const timedOut = timeoutSignal.aborted;
        const failure = timedOut ? new TimeoutError(`agent ${modelId}`, policy.timeoutMs) : new Error("invocation aborted");
        attempts.push({ attempt, outcome: "timeout", error: failure.message, startedAt: attemptStart, endedAt: clock.now() });
        steps.push({ index: steps.length + 1, kind: "error", attempt, error: failure.message, retryable: false, at: clock.now() });
        return finish(false, "", failure.message, timedOut ? "TIMEOUT" : "ABORTED");
      }
      const failure = classifyFailure(error);
      const message = error instanceof Error ? error.message : String(error);
      attempts.push({ attempt, outcome: "error", error: message, startedAt: attemptStart, endedAt: clock.now() });
      steps.push({ index: steps.length + 1, kind: "error", attempt, error: message, retryable: failure.retryable, at: clock.now() });
      if (failure.retryable && attempt <= policy.maxRetries) {
        if (!(await wait(retryDelayMs(attempt, policy.backoffBaseMs, failure), signal))) return finish(false, "", `agent ${modelId} timed out after ${policy.timeoutMs} ms`, "TIMEOUT");
        continue;
      }
      return finish(false, "", message, failure.code);
    }

    messages = latest;
    const last = messages.at(-1);
    const invalid = last && isAi(last) ? ((last as unknown as AiFields).invalid_tool_calls ?? []) : [];
    if (invalid.length > 0 && !stepLimitReached) {
      const problems = invalid.map((c) => `${c.name ?? "?"}: ${shortError(c.error)}`);
      attempts.push({ attempt, outcome: "malformed", error: problems.join("; "), startedAt: attemptStart, endedAt: clock.now() });
      if (attempt <= policy.maxRetries) {
        // Drop the broken reply and tell the model what was wrong; the conversation so far stays.
        messages = [
          ...messages.slice(0, -1),
          new HumanMessage(`Your last reply had tool calls with malformed JSON arguments (${problems.join("; ")}). Nothing was executed. Call the tools again with valid JSON arguments.`),
        ];
        for (const m of messages) seen.add(m);
        if (!(await wait(backoffDelayMs(attempt, policy.backoffBaseMs), signal))) return finish(false, "", `agent ${modelId} timed out after ${policy.timeoutMs} ms`, "TIMEOUT");
        continue;
      }
      return finish(false, textOf(last?.content), `malformed tool call arguments: ${problems.join("; ")}`, "MALFORMED_REPLY");
    }
    attempts.push({ attempt, outcome: stepLimitReached ? "step-limit" : "ok", error: null, startedAt: attemptStart, endedAt: clock.now() });
    const finalAi = [...messages].reverse().find(isAi);
    return finish(true, finalAi ? textOf(finalAi.content) : "", null, null);
  }
}

/** Waits before a retry; false when the deadline passed meanwhile. */
async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}
