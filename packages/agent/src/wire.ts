/**
 * The wire between LangChain's ChatOpenAI and an OpenAI-compatible endpoint: a `fetch`
 * given to the OpenAI client (`configuration.fetch`) that reads every chat completion as
 * the endpoint sent it, before LangChain parses it, and every request before it leaves.
 *
 * Replies:
 * - An error inside an HTTP 200 (OpenRouter: `{"error":{"code":502,"message":...}}`,
 *   https://openrouter.ai/docs/api/reference/errors-and-debugging) becomes an HTTP error
 *   of that code, so it is classified and retried like that status.
 * - No choices (`"choices": []`) becomes a named error (`empty_choices`), retried like a 502.
 * - `finish_reason: "length"` becomes `reply_truncated`: "reply truncated at the output
 *   limit", never a malformed-JSON tool call.
 * - Reasoning is kept: DeepSeek's and vLLM's `reasoning_content`
 *   (https://api-docs.deepseek.com/guides/thinking_mode,
 *   https://docs.vllm.ai/en/latest/features/reasoning_outputs.html), OpenRouter's
 *   `reasoning` and `reasoning_details` (https://openrouter.ai/docs/use-cases/reasoning-tokens),
 *   and `<think>...</think>` at the start of the content (R1-style models on Ollama), which is
 *   taken out of the content.
 * - A completion id seen before in the run (Ollama's `chatcmpl-<n>`) is made unique: LangChain's
 *   message reducer would otherwise replace the earlier reply with the later one.
 * - Usage of every shape (OpenAI/OpenRouter `prompt_tokens_details.cached_tokens`, DeepSeek
 *   `prompt_cache_hit_tokens`, `input_tokens`/`output_tokens`, none at all) and OpenRouter's
 *   `usage.cost` (https://openrouter.ai/docs/use-cases/usage-accounting) are read here.
 *
 * Requests: each assistant message gets back the reasoning its reply carried, under the
 * field the endpoint used (DeepSeek's thinking mode rejects a tool-call turn without it).
 */
import type { TokenUsage } from "./result.js";
import { failureMessage } from "./retry.js";

/** Which field carried a reply's reasoning. */
export type ReasoningSource = "reasoning_content" | "reasoning" | "think-tag";

/** One chat completion as it came over the wire. */
export interface CompletionRecord {
  /** The id LangChain sees (made unique within the run). */
  id: string;
  /** The id the endpoint sent, when it was changed. */
  endpointId: string | null;
  reasoning: string | null;
  reasoningSource: ReasoningSource | null;
  finishReason: string | null;
  usage: TokenUsage;
  /** Whether the endpoint reported usage at all. */
  usageReported: boolean;
  /** The endpoint's own cost of the call in USD, when it sent one (OpenRouter's usage.cost). */
  providerCostUsd: string | null;
  /** The error this completion was turned into (truncated, empty, error inside a 200), or null. */
  error: string | null;
}

/** What to send back with an assistant message. */
interface Echo {
  field: "reasoning_content" | "reasoning";
  value: string;
  details?: unknown;
}

/** Options of {@link WireLedger}. */
export interface WireOptions {
  /** The model's output limit, named in the truncation error. */
  maxOutputTokens?: number;
  /** The fetch to wrap (default the global one). */
  fetch?: typeof fetch;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null);

/** Token usage from any of the usage shapes OpenAI-compatible endpoints send; zero when absent. */
export function usageFromWire(raw: unknown): { usage: TokenUsage; reported: boolean; costUsd: string | null } {
  if (!isObject(raw)) return { usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, cachedInputTokens: 0 }, reported: false, costUsd: null };
  const promptDetails = isObject(raw.prompt_tokens_details) ? raw.prompt_tokens_details : isObject(raw.input_tokens_details) ? raw.input_tokens_details : {};
  let input = num(raw.prompt_tokens);
  let cached = num(promptDetails.cached_tokens) ?? num(raw.prompt_cache_hit_tokens) ?? num(raw.cached_tokens);
  if (input === null && num(raw.input_tokens) !== null) {
    // input_tokens: OpenAI's Responses shape includes the cached tokens; Anthropic's shape lists them apart.
    const read = num(raw.cache_read_input_tokens);
    const written = num(raw.cache_creation_input_tokens) ?? 0;
    input = num(raw.input_tokens)! + (read ?? 0) + written;
    cached ??= read;
  }
  const output = num(raw.completion_tokens) ?? num(raw.output_tokens) ?? 0;
  const inputTokens = input ?? 0;
  const total = num(raw.total_tokens) ?? inputTokens + output;
  const cost = typeof raw.cost === "number" && Number.isFinite(raw.cost) && raw.cost >= 0 ? String(raw.cost) : typeof raw.cost === "string" && /^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw.cost) ? raw.cost : null;
  return { usage: { inputTokens, outputTokens: output, totalTokens: total, cachedInputTokens: Math.min(cached ?? 0, inputTokens) }, reported: true, costUsd: cost };
}

/** `<think>...</think>` at the start of a content: the reasoning and the content without it. */
export function splitThinkTag(content: string): { reasoning: string | null; content: string } {
  const m = /^\s*<think>([\s\S]*?)<\/think>\s*/.exec(content);
  if (!m) return { reasoning: null, content };
  return { reasoning: m[1]!.trim(), content: content.slice(m[0].length) };
}

/**
 * The record of one run's completions and the fetch that keeps it. One ledger per
 * invocation: completion ids are made unique and reasoning is echoed within it.
 */
export class WireLedger {
  readonly completions: CompletionRecord[] = [];
  private readonly byId = new Map<string, CompletionRecord>();
  private readonly echoes = new Map<string, Echo>();
  private readonly base: typeof fetch;
  private readonly maxOutputTokens: number | undefined;

  constructor(options: WireOptions = {}) {
    this.base = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.maxOutputTokens = options.maxOutputTokens;
  }

  /** The completion LangChain knows by this id. */
  completion(id: string | null | undefined): CompletionRecord | undefined {
    return id ? this.byId.get(id) : undefined;
  }

  /** The fetch to hand to the OpenAI client. */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!/\/chat\/completions(\?|$)/.test(url)) return this.base(input, init);
    let body = init?.body;
    if (typeof body === "string") body = this.withReasoning(body);
    const response = await this.base(input, { ...init, ...(body !== undefined ? { body } : {}) });
    if (!response.ok) return response;
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.synthetic(response, 502, "invalid_json", `the endpoint answered 200 with a body that is not JSON: ${text.slice(0, 120)}`);
    }
    return this.read(response, json);
  };

  private read(response: Response, json: unknown): Response {
    if (!isObject(json)) return this.synthetic(response, 502, "invalid_reply", "the endpoint answered 200 with a body that is not a JSON object");
    const usage = usageFromWire(json.usage);
    if (isObject(json.error) || typeof json.error === "string") {
      const error = isObject(json.error) ? json.error : { message: json.error };
      const code = typeof error.code === "number" ? error.code : Number(error.code);
      const status = Number.isInteger(code) && code >= 400 && code <= 599 ? code : 502;
      const message = failureMessage(typeof error.message === "string" ? error.message : "the endpoint returned an error");
      this.push(json, usage, null, `${status} ${message}`);
      return this.synthetic(response, status, typeof error.code === "string" ? error.code : "error_in_200", message);
    }
    const choices = Array.isArray(json.choices) ? (json.choices as unknown[]) : [];
    const choice = choices[0];
    if (!isObject(choice) || !isObject(choice.message)) {
      this.push(json, usage, null, "empty choices");
      return this.synthetic(response, 502, "empty_choices", "the endpoint answered without a choice (empty choices)");
    }
    const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : null;
    if (finishReason === "length") {
      const limit = this.maxOutputTokens === undefined ? "the endpoint's default maxOutputTokens" : `maxOutputTokens ${this.maxOutputTokens}`;
      const message = `reply truncated at the output limit (${limit})`;
      this.push(json, usage, finishReason, message);
      return this.synthetic(response, 400, "reply_truncated", message);
    }
    const message = choice.message;
    let reasoning: string | null = null;
    let source: ReasoningSource | null = null;
    let echo: Echo | null = null;
    if (typeof message.reasoning_content === "string" && message.reasoning_content !== "") {
      reasoning = message.reasoning_content;
      source = "reasoning_content";
      echo = { field: "reasoning_content", value: reasoning };
    } else if (typeof message.reasoning === "string" && message.reasoning !== "") {
      reasoning = message.reasoning;
      source = "reasoning";
      echo = { field: "reasoning", value: reasoning, ...(message.reasoning_details !== undefined ? { details: message.reasoning_details } : {}) };
    }
    if (typeof message.content === "string") {
      const split = splitThinkTag(message.content);
      if (split.reasoning !== null) {
        message.content = split.content;
        if (reasoning === null) {
          reasoning = split.reasoning;
          source = "think-tag";
        }
      }
    }
    // Unique ids within the run: the reducer merges messages that share one.
    const sent = typeof json.id === "string" && json.id !== "" ? json.id : "chatcmpl";
    let id = sent;
    for (let n = 2; this.byId.has(id) || id === "chatcmpl"; n++) id = `${sent}~${n}`;
    json.id = id;
    const record = this.push(json, usage, finishReason, null, reasoning, source, id === sent ? null : sent);
    this.byId.set(id, record);
    if (echo) {
      const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as unknown[]) : [];
      const first = calls.find(isObject);
      if (first && typeof first.id === "string") this.echoes.set(`call:${first.id}`, echo);
      if (typeof message.content === "string" && message.content !== "") this.echoes.set(`text:${message.content}`, echo);
    }
    const headers = new Headers({ "content-type": "application/json" });
    const requestId = response.headers.get("x-request-id");
    if (requestId) headers.set("x-request-id", requestId);
    return new Response(JSON.stringify(json), { status: 200, headers });
  }

  private push(
    json: Json,
    usage: ReturnType<typeof usageFromWire>,
    finishReason: string | null,
    error: string | null,
    reasoning: string | null = null,
    source: ReasoningSource | null = null,
    endpointId: string | null = null,
  ): CompletionRecord {
    const record: CompletionRecord = {
      id: typeof json.id === "string" ? json.id : "",
      endpointId,
      reasoning,
      reasoningSource: source,
      finishReason,
      usage: usage.usage,
      usageReported: usage.reported,
      providerCostUsd: usage.costUsd,
      error,
    };
    this.completions.push(record);
    return record;
  }

  /** An HTTP error answer in OpenAI's error shape, for the SDK to throw as an APIError of that status. */
  private synthetic(response: Response, status: number, code: string, message: string): Response {
    const headers = new Headers({ "content-type": "application/json" });
    const retryAfter = response.headers.get("retry-after");
    if (retryAfter) headers.set("retry-after", retryAfter);
    return new Response(JSON.stringify({ error: { message, code, type: "autonome_wire" } }), { status, headers });
  }

  /** The request body with each assistant message's reasoning put back. */
  private withReasoning(body: string): string {
    if (this.echoes.size === 0) return body;
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return body;
    }
    if (!isObject(json) || !Array.isArray(json.messages)) return body;
    let changed = false;
    for (const m of json.messages as unknown[]) {
      if (!isObject(m) || m.role !== "assistant") continue;
      const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as unknown[]) : [];
      const first = calls.find(isObject);
      const echo =
        (first && typeof first.id === "string" ? this.echoes.get(`call:${first.id}`) : undefined) ??
        (typeof m.content === "string" ? this.echoes.get(`text:${m.content}`) : undefined);
      if (!echo || m[echo.field] !== undefined) continue;
      m[echo.field] = echo.value;
      if (echo.details !== undefined) m.reasoning_details = echo.details;
      changed = true;
    }
    return changed ? JSON.stringify(json) : body;
  }
}
