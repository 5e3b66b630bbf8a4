/**
 * The language-model agent: LangChain's `createAgent` over any OpenAI-compatible
 * endpoint, with the four trading tools. Every tool call is intercepted by a
 * middleware and handled by the run's TradingSession (validation, risk checks,
 * executor), so LangChain never executes anything itself. LangChain's retries are
 * off (maxRetries 0); this module retries twice with exponential backoff, keeps
 * the conversation so far across retries, enforces the step limit and the
 * per-agent timeout (an AbortSignal that aborts the HTTP request), and records
 * steps, token usage and cost. A reply with malformed tool-call JSON is recorded
 * and retried with a correction, never executed. The wire (wire.ts) keeps each reply's
 * reasoning, sends it back where the endpoint needs it, and turns errors hidden in a 200,
 * empty choices and truncated replies into named errors. A run in which the model calls no
 * tool asks it once more, then ends as NO_ACTION. A model with `decisionFormat: "json"` gets no
 * tools: its fenced JSON decision goes through the same session as a tool call.
 */
import { type Clock, type Decimal, TimeoutError, ZERO, toDecimal } from "@autonome/core";
import { ChatOpenAI } from "@langchain/openai";
import { type BaseMessage, HumanMessage, ToolMessage, createAgent, createMiddleware, tool } from "langchain";
import { jsonDecisionInstructions, parseJsonDecisions } from "./json-decision.js";
import { type AgentInput, type AttemptRecord, type InvocationResult, NO_USAGE, type StepRecord, type TokenUsage, addUsage } from "./result.js";
import { backoffDelayMs, classifyFailure, failureMessage, retryDelayMs, sleep } from "./retry.js";
import type { TradingSession } from "./session.js";
import { TOOL_NAMES, TOOL_SPECS } from "./tools.js";
import { WireLedger } from "./wire.js";

/** Price of tokens, in USD per million. */
export interface TokenPricing {
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
  /** Price of prompt tokens read from the endpoint's cache; without it they cost inputPerMillionUsd. */
  cachedInputPerMillionUsd?: number;
}

/** How a model states its decision: tool calls (default), or a fenced JSON block in its reply. */
export type DecisionFormat = "tools" | "json";

/** How to reach one OpenAI-compatible model. */
export interface OpenAiEndpoint {
  /** Base URL ending in /v1 (OpenAI, OpenRouter, DeepSeek, Ollama, vLLM). */
  baseURL: string;
  apiKey: string;
  model: string;
  temperature?: number;
  maxOutputTokens?: number;
  pricing?: TokenPricing;
  /** "json" for endpoints without tool calling (default "tools"). */
  decisionFormat?: DecisionFormat;
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

/** Cost of token usage at a price (cached prompt tokens at their own price when one is set). */
export function tokenCost(usage: TokenUsage, pricing: TokenPricing | undefined): Decimal {
  if (!pricing) return ZERO;
  const cached = pricing.cachedInputPerMillionUsd === undefined ? 0 : Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  return toDecimal(usage.inputTokens - cached)
    .mul(toDecimal(pricing.inputPerMillionUsd))
    .plus(toDecimal(cached).mul(toDecimal(pricing.cachedInputPerMillionUsd ?? 0)))
    .plus(toDecimal(usage.outputTokens).mul(toDecimal(pricing.outputPerMillionUsd)))
    .div(1_000_000);
}

const NO_ACTION_NUDGE =
  "You replied without calling a tool, so nothing was decided. Call one of the tools now; to do nothing, call hold with your reason.";
const NO_ACTION_NUDGE_JSON =
  "Your reply had no fenced JSON decision, so nothing was decided. Answer with one fenced ```json block naming a tool and its arguments; to do nothing, use hold with your reason.";

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return (content as unknown[]).map((part) => (typeof part === "string" ? part : textField(part))).join("");
  return "";
}

function textField(part: unknown): string {
  return typeof part === "object" && part !== null && "text" in part && typeof part.text === "string" ? part.text : "";
}

function usageOf(message: BaseMessage): TokenUsage {
  const u = (message as { usage_metadata?: { input_tokens?: number; output_tokens?: number; total_tokens?: number; input_token_details?: { cache_read?: number } } })
    .usage_metadata;
  if (!u) return NO_USAGE;
  const input = u.input_tokens ?? 0;
  const output = u.output_tokens ?? 0;
  return { inputTokens: input, outputTokens: output, totalTokens: u.total_tokens ?? input + output, cachedInputTokens: u.input_token_details?.cache_read ?? 0 };
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
  /** The fetch under the wire (default the global one). */
  fetch?: typeof fetch;
}): Promise<InvocationResult> {
  const { modelId, endpoint, input, session, clock } = args;
  const policy = { ...DEFAULT_RUN_POLICY, ...args.policy };
  const jsonMode = endpoint.decisionFormat === "json";
  const startedAt = clock.now();
  const steps: StepRecord[] = [];
  const attempts: AttemptRecord[] = [];
  let modelCalls = 0;
  let stepLimitReached = false;
  let attempt = 0;
  let retries = 0;
  let nudged = false;
  /** Calls recorded without reaching the session's handler (JSON that did not parse). */
  let malformedCalls = 0;
  const ledger = new WireLedger({ ...(endpoint.maxOutputTokens !== undefined ? { maxOutputTokens: endpoint.maxOutputTokens } : {}), ...(args.fetch ? { fetch: args.fetch } : {}) });

  const timeoutSignal = AbortSignal.timeout(policy.timeoutMs);
  const signal = args.signal ? AbortSignal.any([timeoutSignal, args.signal]) : timeoutSignal;

  const model = new ChatOpenAI({
    model: endpoint.model,
    apiKey: endpoint.apiKey,
    maxRetries: 0,
    ...(endpoint.temperature !== undefined ? { temperature: endpoint.temperature } : {}),
    ...(endpoint.maxOutputTokens !== undefined ? { maxTokens: endpoint.maxOutputTokens } : {}),
    configuration: { baseURL: endpoint.baseURL, fetch: ledger.fetch },
  });

  // Tools carry name, description and schema for the model; their functions never run,
  // because the gate below answers every call itself.
  const tools = (jsonMode ? [] : TOOL_NAMES).map((name) =>
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

  const systemPrompt = jsonMode ? `${input.systemPrompt}\n${jsonDecisionInstructions()}` : input.systemPrompt;
  const agent = createAgent({ model, tools, systemPrompt, middleware: [gate] });

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
      const wire = ledger.completion(m.id);
      steps.push({
        index: steps.length + 1,
        kind: "model",
        attempt,
        messageId: m.id ?? null,
        text: textOf(m.content),
        reasoning: wire?.reasoning ?? null,
        finishReason: wire?.finishReason ?? null,
        providerCostUsd: wire?.providerCostUsd ?? null,
        toolCalls: (fields.tool_calls ?? []).map((c) => c.name),
        invalidToolCalls: (fields.invalid_tool_calls ?? []).map((c) => c.name ?? "?"),
        usage: wire?.usage ?? usageOf(m),
        at: clock.now(),
      });
      // Recorded, never executed: a call whose arguments are not JSON never reaches the session's handler.
      for (const c of fields.invalid_tool_calls ?? []) {
        session.recordMalformed(c.name ?? "?", c.args ?? null, shortError(c.error));
        malformedCalls += 1;
      }
    }
  };
  for (const m of messages) seen.add(m);

  // Every completion that came over the wire counts once, errors turned from a 200 included:
  // its tokens, and its cost as the endpoint reported it, else at the configured prices.
  const finish = (ok: boolean, text: string, error: string | null, errorCode: string | null): InvocationResult => {
    let usage = NO_USAGE;
    let costUsd = ZERO;
    for (const c of ledger.completions) {
      usage = addUsage(usage, c.usage);
      costUsd = costUsd.plus(c.providerCostUsd !== null ? toDecimal(c.providerCostUsd) : tokenCost(c.usage, endpoint.pricing));
    }
    const thoughts = steps.flatMap((s) => (s.kind === "model" && s.reasoning ? [s.reasoning] : []));
    return {
      modelId,
      ok,
      text,
      reasoning: thoughts.length > 0 ? thoughts.join("\n\n") : null,
      toolCalls: [...session.records],
      steps,
      attempts,
      usage,
      costUsd,
      latencyMs: clock.now() - startedAt,
      stepLimitReached,
      error,
      errorCode,
    };
  };
  const timedOut = () => finish(false, "", `agent ${modelId} timed out after ${policy.timeoutMs} ms`, "TIMEOUT");

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
      const message = failureMessage(error);
      attempts.push({ attempt, outcome: "error", error: message, startedAt: attemptStart, endedAt: clock.now() });
      steps.push({ index: steps.length + 1, kind: "error", attempt, error: message, retryable: failure.retryable, at: clock.now() });
      if (failure.retryable && retries < policy.maxRetries) {
        retries += 1;
        if (!(await wait(retryDelayMs(retries, policy.backoffBaseMs, failure), signal))) return timedOut();
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
      if (retries < policy.maxRetries) {
        retries += 1;
        // Drop the broken reply and tell the model what was wrong; the conversation so far stays.
        messages = [
          ...messages.slice(0, -1),
          new HumanMessage(`Your last reply had tool calls with malformed JSON arguments (${problems.join("; ")}). Nothing was executed. Call the tools again with valid JSON arguments.`),
        ];
        for (const m of messages) seen.add(m);
        if (!(await wait(backoffDelayMs(retries, policy.backoffBaseMs), signal))) return timedOut();
        continue;
      }
      return finish(false, textOf(last?.content), `malformed tool call arguments: ${problems.join("; ")}`, "MALFORMED_REPLY");
    }
    const finalAi = [...messages].reverse().find(isAi);
    const finalText = finalAi ? textOf(finalAi.content) : "";

    if (jsonMode && !stepLimitReached && last && isAi(last)) {
      // The decision is in the reply's fenced JSON: the same session handles it as a tool call.
      const parsed = parseJsonDecisions(finalText);
      if (parsed.kind === "decisions") {
        for (const d of parsed.decisions) {
          const record = await session.handle(d.tool, d.args);
          steps.push({ index: steps.length + 1, kind: "tool", attempt, tool: d.tool, status: record.status, at: clock.now() });
        }
      } else if (parsed.kind === "malformed") {
        session.recordMalformed(parsed.tool ?? "json_decision", parsed.raw, parsed.reason);
        malformedCalls += 1;
        attempts.push({ attempt, outcome: "malformed", error: parsed.reason, startedAt: attemptStart, endedAt: clock.now() });
        if (retries < policy.maxRetries) {
          retries += 1;
          steps.push({ index: steps.length + 1, kind: "nudge", attempt, reason: "malformed-json", at: clock.now() });
          messages = [...messages, new HumanMessage(`Your JSON decision was not valid (${parsed.reason}). Nothing was executed. Answer again with one valid fenced JSON decision.`)];
          for (const m of messages) seen.add(m);
          continue;
        }
        return finish(false, finalText, `malformed JSON decision: ${parsed.reason}`, "MALFORMED_REPLY");
      }
    }

    if (session.records.length - malformedCalls === 0) {
      // No silent no-op: the model is asked once, in the same run, to decide (hold is a decision).
      if (!nudged && !stepLimitReached) {
        nudged = true;
        attempts.push({ attempt, outcome: "no-action", error: "replied without a tool call", startedAt: attemptStart, endedAt: clock.now() });
        steps.push({ index: steps.length + 1, kind: "nudge", attempt, reason: "no-action", at: clock.now() });
        messages = [...messages, new HumanMessage(jsonMode ? NO_ACTION_NUDGE_JSON : NO_ACTION_NUDGE)];
        for (const m of messages) seen.add(m);
        continue;
      }
      attempts.push({ attempt, outcome: stepLimitReached ? "step-limit" : "no-action", error: "no tool call", startedAt: attemptStart, endedAt: clock.now() });
      const why = nudged ? "the model replied without calling a tool, also when asked again" : "the model replied without calling a tool";
      return finish(false, finalText, `${why}: nothing was decided`, "NO_ACTION");
    }
    attempts.push({ attempt, outcome: stepLimitReached ? "step-limit" : "ok", error: null, startedAt: attemptStart, endedAt: clock.now() });
    return finish(true, finalText, null, null);
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
