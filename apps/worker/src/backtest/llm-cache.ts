/**
 * A caching front for OpenAI-compatible endpoints, so a backtest's language models run
 * through the unchanged registry and LangChain loop while a rerun costs no tokens: a
 * server on 127.0.0.1 that answers each chat completion from disk when a response
 * for the same (endpoint, model, prompt messages, tools) hash exists, and otherwise
 * forwards it once and stores the reply. Only 200 replies are stored.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { ModelConfig } from "@autonome/agent";

/** What the cache did during a run. */
export interface LlmCacheStats {
  /** Requests answered from disk. */
  hits: number;
  /** Requests forwarded to the endpoint (each costs tokens). */
  misses: number;
  /** Tokens of the forwarded requests only: what this run spent. */
  spentInputTokens: number;
  spentOutputTokens: number;
  /** Cost of the forwarded requests at the entries' pricing, USD. */
  spentCostUsd: number;
}

/** A running cache front. */
export interface LlmCache {
  /** The registry entries with every OpenAI-compatible baseURL pointed at the cache. */
  readonly models: ModelConfig[];
  readonly stats: LlmCacheStats;
  close(): Promise<void>;
}

/** The cache key of one chat completion request: sha256 of (endpoint, model, messages, tools, tool_choice). */
export function llmCacheKey(upstream: string, body: Record<string, unknown>): string {
  const keyed = { upstream, model: body.model ?? null, messages: body.messages ?? null, tools: body.tools ?? null, toolChoice: body.tool_choice ?? null, temperature: body.temperature ?? null };
  return createHash("sha256").update(JSON.stringify(keyed)).digest("hex");
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the cache front for the OpenAI-compatible entries of `models` (rule models pass through unchanged). */
export async function startLlmCache(models: readonly ModelConfig[], cacheDir: string): Promise<LlmCache> {
  const upstreams = [...new Set(models.flatMap((m) => (m.kind === "openai" ? [m.baseURL.replace(/\/+$/, "")] : [])))];
  const stats: LlmCacheStats = { hits: 0, misses: 0, spentInputTokens: 0, spentOutputTokens: 0, spentCostUsd: 0 };
  const pricing = new Map(models.flatMap((m) => (m.kind === "openai" && m.pricing ? [[`${m.baseURL.replace(/\/+$/, "")} ${m.model}`, m.pricing] as const] : [])));
  if (upstreams.length === 0) return { models: [...models], stats, close: async () => {} };
  mkdirSync(cacheDir, { recursive: true });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const m = /^\/u\/(\d+)(\/.*)$/.exec(req.url ?? "");
      const upstream = m ? upstreams[Number(m[1])] : undefined;
      if (!m || upstream === undefined) {
        res.writeHead(404).end();
        return;
      }
      const raw = await readBody(req);
      let body: Record<string, unknown> = {};
      try {
        body = raw.length > 0 ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : {};
      } catch {
        /* forwarded as is, never cached */
      }
      const cacheable = req.method === "POST" && /\/chat\/completions$/.test(m[2]!) && body.stream !== true && Array.isArray(body.messages);
      const file = cacheable ? join(cacheDir, `${llmCacheKey(upstream, body)}.json`) : null;
      if (file && existsSync(file)) {
        stats.hits++;
        const cached = JSON.parse(readFileSync(file, "utf8")) as { body: unknown };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(cached.body));
        return;
      }
      stats.misses++;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (typeof req.headers.authorization === "string") headers.authorization = req.headers.authorization;
      const reply = await fetch(`${upstream}${m[2]}`, { method: req.method ?? "POST", headers, ...(raw.length > 0 ? { body: raw } : {}) });
      const text = await reply.text();
      if (file && reply.status === 200) {
        try {
          const parsed = JSON.parse(text) as { usage?: { prompt_tokens?: number; completion_tokens?: number } };
          const input = parsed.usage?.prompt_tokens ?? 0;
          const output = parsed.usage?.completion_tokens ?? 0;
          stats.spentInputTokens += input;
          stats.spentOutputTokens += output;
          const price = pricing.get(`${upstream} ${String(body.model)}`);
          if (price) stats.spentCostUsd += (input * price.inputPerMillionUsd + output * price.outputPerMillionUsd) / 1e6;
          const tmp = `${file}.${process.pid}.tmp`;
          writeFileSync(tmp, JSON.stringify({ key: { model: body.model ?? null }, body: parsed }));
          renameSync(tmp, file);
        } catch {
          /* a non-JSON 200 is passed on, not cached */
        }
      }
      const out: Record<string, string> = { "content-type": reply.headers.get("content-type") ?? "application/json" };
      const retryAfter = reply.headers.get("retry-after");
      if (retryAfter) out["retry-after"] = retryAfter;
      res.writeHead(reply.status, out).end(text);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `llm cache: ${(error as Error).message}` } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const routed = models.map((m) => (m.kind === "openai" ? { ...m, baseURL: `http://127.0.0.1:${port}/u/${upstreams.indexOf(m.baseURL.replace(/\/+$/, ""))}` } : m));
  return {
    models: routed,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
