/**
 * A local OpenAI-compatible chat completions server for tests: real HTTP on
 * 127.0.0.1 and a free port, `POST /v1/chat/completions` without streaming,
 * answering from a script. Scripted replies: tool calls (with arguments as objects
 * or raw, possibly malformed, JSON text), final text, reasoning, HTTP errors (429,
 * 500, ...), errors inside a 200, empty choices, replies cut at the output limit,
 * and slow replies for timeouts.
 *
 * It speaks one vendor's dialect at a time (`dialect`), each written from the vendor's
 * public documentation; see DIALECTS for what each does and where it is documented.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One tool call in a scripted reply. */
export interface ScriptedToolCall {
  name: string;
  /** An object is JSON-encoded; a string is sent as is (so it may be malformed JSON). */
  arguments: Record<string, unknown> | string;
}

/** A scripted reply to one chat completion request. */
export type ScriptedReply =
  | { kind: "tool_calls"; toolCalls: readonly ScriptedToolCall[]; content?: string; reasoning?: string; usage?: ScriptedUsage; delayMs?: number }
  | { kind: "text"; content: string; reasoning?: string; usage?: ScriptedUsage; delayMs?: number }
  | { kind: "error"; status: number; message?: string; headers?: Record<string, string>; delayMs?: number }
  /** HTTP 200 whose body is an error (OpenRouter, once the model started: error.code is the status). */
  | { kind: "error_in_200"; code: number; message: string; delayMs?: number }
  /** HTTP 200 with `"choices": []`. */
  | { kind: "empty_choices"; delayMs?: number }
  /** A reply cut at the output limit: finish_reason "length", tool-call arguments cut mid-JSON. */
  | { kind: "truncated"; toolCalls?: readonly ScriptedToolCall[]; content?: string; usage?: ScriptedUsage; delayMs?: number };

/** Token usage reported with a scripted reply. */
export interface ScriptedUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the vendor's cache. */
  cachedTokens?: number;
  /** The vendor's own cost in USD (OpenRouter's usage.cost). */
  costUsd?: number;
}

/**
 * The vendors whose wire format the server speaks:
 * - `openai`: https://platform.openai.com/docs/api-reference/chat/object — unique ids,
 *   usage with `prompt_tokens_details.cached_tokens` and `completion_tokens_details.reasoning_tokens`,
 *   no reasoning text.
 * - `openrouter`: https://openrouter.ai/docs/api/reference/errors-and-debugging (errors inside a 200
 *   once the model started), https://openrouter.ai/docs/use-cases/reasoning-tokens (`message.reasoning`,
 *   `reasoning_details`), https://openrouter.ai/docs/use-cases/usage-accounting (`usage.cost`, cached tokens).
 * - `deepseek`: https://api-docs.deepseek.com/guides/thinking_mode — thinking mode returns
 *   `reasoning_content` beside the tool calls and rejects (400) a request whose assistant tool-call
 *   message comes back without it; usage has `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens`
 *   (https://api-docs.deepseek.com/guides/kv_cache).
 * - `ollama`: https://github.com/ollama/ollama/blob/main/docs/openai.md — ids `chatcmpl-<n>` reused
 *   (this dialect sends the same one every time), no usage, R1-style reasoning as `<think>...</think>`
 *   at the start of the content.
 * - `vllm`: https://docs.vllm.ai/en/latest/features/tool_calling.html with `--enable-auto-tool-choice`
 *   and a reasoning parser (https://docs.vllm.ai/en/latest/features/reasoning_outputs.html:
 *   `reasoning_content`).
 * - `vllm-no-auto-tools`: the same server without `--enable-auto-tool-choice`: a request with tools
 *   (tool_choice defaults to "auto") is refused with 400; without tools it answers in text.
 * - `json-only`: a model without tool support (Ollama answers 400 "<model> does not support tools"):
 *   it refuses any request with tools and answers its decisions as fenced JSON in the content.
 */
export const DIALECTS = ["openai", "openrouter", "deepseek", "ollama", "vllm", "vllm-no-auto-tools", "json-only"] as const;
/** One vendor's wire format. */
export type Dialect = (typeof DIALECTS)[number];

/** A chat completion request as received. */
export interface RecordedRequest {
  model: string;
  messages: Array<{ role: string; content?: unknown; tool_calls?: unknown[]; tool_call_id?: string; name?: string }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** Whether the client went away before the reply was sent (an aborted request). */
  aborted: boolean;
}

/** A script entry: a fixed reply, or a function of the request (to react to what the agent sent). */
export type ScriptStep = ScriptedReply | ((request: RecordedRequest, index: number) => ScriptedReply);

/** Options of {@link startOpenAiTestServer}. */
export interface OpenAiTestServerOptions {
  /** Replies in order, one per request. */
  script?: readonly ScriptStep[];
  /** The reply once the script is used up (default: a final text "done"). */
  fallback?: ScriptStep;
  /** Usage reported when a reply names none (default 100 prompt, 20 completion tokens). */
  defaultUsage?: ScriptedUsage;
  /** The vendor dialect (default "openai"). */
  dialect?: Dialect;
}

/** A running test server. */
export interface OpenAiTestServer {
  /** Base URL to give an OpenAI client, ending in /v1. */
  readonly baseURL: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Appends replies to the script. */
  push(...steps: ScriptStep[]): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

/** Shorthand for a reply with tool calls. */
export function toolCallsReply(...toolCalls: ScriptedToolCall[]): ScriptedReply {
  return { kind: "tool_calls", toolCalls };
}

/** Shorthand for a final text reply. */
export function textReply(content: string): ScriptedReply {
  return { kind: "text", content };
}

/** Shorthand for a text reply whose decision is a fenced JSON block (for JSON-decision models). */
export function jsonDecisionReply(tool: string, args: Record<string, unknown>, prose = "My analysis is done."): ScriptedReply {
  return { kind: "text", content: `${prose}\n\n\`\`\`json\n${JSON.stringify({ tool, arguments: args })}\n\`\`\`` };
}

/** Shorthand for an HTTP error reply. */
export function errorReply(status: number, message = `scripted ${status}`, headers?: Record<string, string>): ScriptedReply {
  return headers ? { kind: "error", status, message, headers } : { kind: "error", status, message };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The usage object in the dialect's shape. */
function usageBody(dialect: Dialect, usage: ScriptedUsage, reasoning: string | undefined): Record<string, unknown> {
  const cached = usage.cachedTokens ?? 0;
  const reasoningTokens = reasoning ? Math.min(usage.completionTokens, Math.ceil(reasoning.length / 4)) : 0;
  const common = { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
  switch (dialect) {
    case "deepseek":
      return { ...common, prompt_cache_hit_tokens: cached, prompt_cache_miss_tokens: usage.promptTokens - cached, completion_tokens_details: { reasoning_tokens: reasoningTokens } };
    case "openrouter":
      return {
        ...common,
        prompt_tokens_details: { cached_tokens: cached, cache_write_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: reasoningTokens },
        ...(usage.costUsd !== undefined ? { cost: usage.costUsd } : {}),
      };
    case "vllm":
    case "vllm-no-auto-tools":
    case "json-only":
      return { ...common, ...(cached > 0 ? { prompt_tokens_details: { cached_tokens: cached } } : {}) };
    default:
      return { ...common, prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: reasoningTokens, audio_tokens: 0 } };
  }
}

/** The dialect's refusal of a request, as its error object, or null. */
function refuse(dialect: Dialect, request: RecordedRequest): Record<string, unknown> | null {
  const hasTools = Array.isArray(request.tools) && request.tools.length > 0;
  if (dialect === "deepseek") {
    // Thinking mode: a tool-call turn's reasoning_content must come back in every later request.
    const missing = request.messages.some((m) => m.role === "assistant" && Array.isArray(m.tool_calls) && m.tool_calls.length > 0 && typeof (m as { reasoning_content?: unknown }).reasoning_content !== "string");
    if (missing) return { message: "The `reasoning_content` in the thinking mode must be passed back to the API.", type: "invalid_request_error", param: null, code: "invalid_request_error" };
  }
  if (dialect === "vllm-no-auto-tools" && hasTools) {
    const choice = request.body.tool_choice;
    if (choice === undefined || choice === "auto") return { message: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set', type: "BadRequestError", param: null, code: 400 };
  }
  if (dialect === "json-only" && hasTools) return { message: `registry.ollama.ai/library/${request.model} does not support tools`, type: "api_error", param: null, code: null };
  return null;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startOpenAiTestServer(options: OpenAiTestServerOptions = {}): Promise<OpenAiTestServer> {
  const script: ScriptStep[] = [...(options.script ?? [])];
  const requests: RecordedRequest[] = [];
  const defaultUsage = options.defaultUsage ?? { promptTokens: 100, completionTokens: 20 };
  const dialect: Dialect = options.dialect ?? "openai";
  let completionCounter = 0;
  const runTag = Math.random().toString(36).slice(2, 8);
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      send(res, 400, { error: { message: "request body is not JSON" } });
      return;
    }
    const request: RecordedRequest = {
      model: String(body.model),
      messages: (body.messages ?? []) as RecordedRequest["messages"],
      tools: body.tools as RecordedRequest["tools"],
      body,
      headers: req.headers,
      aborted: false,
    };
    const index = requests.length;
    requests.push(request);
    const refusal = refuse(dialect, request);
    if (refusal) {
      send(res, 400, { error: refusal });
      return;
    }
    const step = script.shift() ?? options.fallback ?? textReply("done");
    const reply = typeof step === "function" ? step(request, index) : step;

    const respond = () => {
      if (reply.kind === "error") {
        send(res, reply.status, { error: { message: reply.message ?? `scripted ${reply.status}`, type: "scripted_error", code: reply.status } }, reply.headers);
        return;
      }
      if (reply.kind === "error_in_200") {
        send(res, 200, { error: { code: reply.code, message: reply.message, metadata: { provider_name: "scripted" } } });
        return;
      }
      completionCounter += 1;
      // Ollama numbers its ids chatcmpl-<random n>, so replies of a run can share one: the worst case here.
      const id = dialect === "ollama" ? "chatcmpl-417" : dialect === "openrouter" ? `gen-${runTag}-${completionCounter}` : `chatcmpl-${runTag}-${completionCounter}`;
      const base = { id, object: "chat.completion", created: Math.floor(Date.now() / 1000), model: request.model, ...(dialect === "openrouter" ? { provider: "Scripted" } : {}) };
      if (reply.kind === "empty_choices") {
        send(res, 200, { ...base, choices: [] });
        return;
      }
      const usage = reply.usage ?? defaultUsage;
      const calls = reply.kind === "text" ? [] : (reply.toolCalls ?? []);
      const reasoning = reply.kind === "truncated" ? undefined : (reply.reasoning ?? (dialect === "deepseek" ? "Let me think about the account." : undefined));
      let content: string | null = reply.content ?? null;
      const message: Record<string, unknown> = { role: "assistant", content };
      if (reasoning !== undefined) {
        if (dialect === "deepseek" || dialect === "vllm" || dialect === "vllm-no-auto-tools") message.reasoning_content = reasoning;
        else if (dialect === "openrouter") {
          message.reasoning = reasoning;
          message.reasoning_details = [{ type: "reasoning.text", text: reasoning, format: "unknown", index: 0 }];
        } else if (dialect === "ollama" || dialect === "json-only") {
          content = `<think>\n${reasoning}\n</think>\n\n${content ?? ""}`;
          message.content = content;
        }
      }
      if (calls.length > 0) {
        message.tool_calls = calls.map((call, i) => {
          let args = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
          if (reply.kind === "truncated") args = args.slice(0, Math.max(1, Math.floor(args.length / 2)));
          return { id: `call_${runTag}_${completionCounter}_${i}`, type: "function", function: { name: call.name, arguments: args } };
        });
      }
      const finish = reply.kind === "truncated" ? "length" : calls.length > 0 ? "tool_calls" : "stop";
      const body: Record<string, unknown> = { ...base, choices: [{ index: 0, message, finish_reason: finish, logprobs: null }] };
      if (dialect !== "ollama") body.usage = usageBody(dialect, usage, reasoning);
      send(res, 200, body);
    };

    if (reply.delayMs && reply.delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        respond();
      }, reply.delayMs);
      timers.add(timer);
      res.on("close", () => {
        if (!res.writableEnded) request.aborted = true;
        clearTimeout(timer);
        timers.delete(timer);
      });
    } else {
      respond();
    }
  };
  // A scripted step that throws answers 500 instead of leaving the request hanging.
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { error: { message: error instanceof Error ? error.message : "test server failed", type: "test_server_error" } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    push: (...steps) => {
      script.push(...steps);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
