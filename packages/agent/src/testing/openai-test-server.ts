/**
 * A local OpenAI-compatible chat completions server for tests: real HTTP on
 * 127.0.0.1 and a free port, `POST /v1/chat/completions` without streaming,
 * answering from a script. Every completion and tool call gets a unique id (the
 * agent's message reducer merges messages that share one). Scripted replies:
 * tool calls (with arguments as objects or raw, possibly malformed, JSON text),
 * final text, HTTP errors (429, 500, ...) and slow replies for timeouts.
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
  | { kind: "tool_calls"; toolCalls: readonly ScriptedToolCall[]; content?: string; usage?: ScriptedUsage; delayMs?: number }
  | { kind: "text"; content: string; usage?: ScriptedUsage; delayMs?: number }
  | { kind: "error"; status: number; message?: string; headers?: Record<string, string>; delayMs?: number };

/** Token usage reported with a scripted reply. */
export interface ScriptedUsage {
  promptTokens: number;
  completionTokens: number;
}

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

/** Starts the server on 127.0.0.1 and a free port. */
export async function startOpenAiTestServer(options: OpenAiTestServerOptions = {}): Promise<OpenAiTestServer> {
  const script: ScriptStep[] = [...(options.script ?? [])];
  const requests: RecordedRequest[] = [];
  const defaultUsage = options.defaultUsage ?? { promptTokens: 100, completionTokens: 20 };
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
    const step = script.shift() ?? options.fallback ?? textReply("done");
    const reply = typeof step === "function" ? step(request, index) : step;

    const respond = () => {
      if (reply.kind === "error") {
        send(res, reply.status, { error: { message: reply.message ?? `scripted ${reply.status}`, type: "scripted_error", code: reply.status } }, reply.headers);
        return;
      }
      completionCounter += 1;
      const id = `chatcmpl-${runTag}-${completionCounter}`;
      const usage = reply.usage ?? defaultUsage;
      const message =
        reply.kind === "text"
          ? { role: "assistant", content: reply.content }
          : {
              role: "assistant",
              content: reply.content ?? null,
              tool_calls: reply.toolCalls.map((call, i) => ({
                id: `call_${runTag}_${completionCounter}_${i}`,
                type: "function",
                function: { name: call.name, arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments) },
              })),
            };
      send(res, 200, {
        id,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [{ index: 0, message, finish_reason: reply.kind === "text" ? "stop" : "tool_calls", logprobs: null }],
        usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens },
      });
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
