/**
 * The HTTP application: read-only routes over the arena (every one validated with zod
 * and described in the OpenAPI document), the SSE stream, and the dashboard's files.
 * Only GET and HEAD (and OPTIONS) exist: any other method is 405, so no request can
 * change trading state.
 */
import { ARENA_EVENT_TYPES, type ArenaEventType, ValidationError } from "@autonome/core";
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { Context, TypedResponse } from "hono";
import { streamSSE } from "hono/streaming";
import { HttpError, toErrorResponse } from "./errors.js";
import { type EventHub, type SequencedEvent, type StreamFilter, matches } from "./event-hub.js";
import type { ArenaReader } from "./read-model.js";
import type { ResponseCache, SerializedJson } from "./response-cache.js";
import {
  AnalyticsQuery,
  AnalyticsSchema,
  CorrelationQuery,
  CorrelationSchema,
  PricesSchema,
  RecentEventsQuery,
  RecentEventsSchema,
  EquityQuery,
  EquitySchema,
  ErrorSchema,
  HealthSchema,
  InvocationIdParams,
  InvocationSchema,
  InvocationsPageSchema,
  InvocationsQuery,
  LeaderboardQuery,
  LeaderboardSchema,
  ModelIdParams,
  ModelSchema,
  PositionsQuery,
  PositionsSchema,
  StreamQuery,
  TradesPageSchema,
  TradesQuery,
} from "./schemas.js";
import { readStaticFile } from "./static-files.js";

/** What the application needs. */
export interface AppDeps {
  reader: ArenaReader;
  hub: EventHub;
  /** Serialized answers of the hot read routes (models, leaderboard, positions, equity). */
  responses: ResponseCache;
  /** Identifies this process's event numbering in SSE ids. */
  bootId: string;
  heartbeatMs: number;
  /** The dashboard's build directory, or null to serve none. */
  staticDir: string | null;
  /** Registers a function that ends a live stream when the server closes. */
  trackStream(end: () => void): () => void;
  /** How many streams are open. */
  openStreams(): number;
  /** Most streams open at once (more get 503 with Retry-After). */
  maxStreams: number;
  /** Most events queued for one client before it is dropped with a retry hint. */
  maxQueuedEvents: number;
  /** Logs a 5xx (with its request id) or a background failure. */
  logError(line: string, error: unknown): void;
}

/** Seconds a client dropped for being slow, or refused for too many streams, should wait. */
const RETRY_AFTER_S = 5;

/** What every route documents about its query string. */
const STRICT_QUERY_NOTE = "Unknown query parameters are refused: 400 INVALID_INPUT naming the allowed ones.";

/** The query parameter names a route's schema allows. */
function allowedKeys(schema: z.ZodObject | undefined): string[] {
  return schema === undefined ? [] : Object.keys(schema.shape);
}

const errors = {
  400: { content: { "application/json": { schema: ErrorSchema } }, description: "Invalid input" },
  404: { content: { "application/json": { schema: ErrorSchema } }, description: "Not found" },
} as const;

function ok<T extends z.ZodType>(schema: T, description: string) {
  return { 200: { content: { "application/json": { schema } }, description }, ...errors } as const;
}

/** Route description of the cached read routes (the OpenAPI document tells clients). */
function cachedDescription(ttlMs: number): string {
  if (ttlMs <= 0) return "Not cached: every request reads the current state.";
  return (
    `Read-side cache: one serialized answer is reused for up to ${ttlMs} ms and dropped at once by every trading event ` +
    "(position opened or closed, exit triggered, liquidation, exit plan updated, portfolio snapshot, tick finished), so marks are at most that stale."
  );
}

/** Sends serialized JSON with the headers `c.json` would send, typed as `c.json`'s answer. */
function sendJson<T>(c: Context, body: SerializedJson<T>): Response & TypedResponse<T, 200, "json"> {
  return c.body(body, 200, { "Content-Type": "application/json" }) as unknown as Response & TypedResponse<T, 200, "json">;
}

/** Builds the application. */
export function createApp(deps: AppDeps): OpenAPIHono {
  const { reader, hub, responses } = deps;
  const cachedNote = cachedDescription(responses.ttlMs);
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        return c.json({ error: { code: "INVALID_INPUT", message: "invalid request", issues } }, 400);
      }
      return undefined;
    },
  });

  app.use("*", async (c, next) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
      c.header("Allow", "GET, HEAD, OPTIONS");
      throw new HttpError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed: the api is read-only`);
    }
    await next();
  });

  // Every answer carries a request id; a 5xx is logged with it (and the client can quote it).
  app.use("*", async (c, next) => {
    const id = globalThis.crypto.randomUUID();
    c.set("requestId" as never, id as never);
    c.header("X-Request-Id", id);
    await next();
  });

  app.onError((error, c) => {
    const { status, body } = toErrorResponse(error);
    if (status >= 500) {
      const id = (c.get("requestId" as never) as string | undefined) ?? "-";
      deps.logError(`autonome api: ${status} ${c.req.method} ${c.req.path} request ${id}`, error);
    }
    return c.json(body, status);
  });

  // Unknown query parameters are an error, not ignored: /api/positions?modelid=... (a typo)
  // would otherwise answer every model's positions. Each route's allowed names come from its schema.
  const routesQuery: [RegExp, z.ZodObject | undefined][] = [
    [/^\/api\/models$/, undefined],
    [/^\/api\/models\/[^/]+$/, undefined],
    [/^\/api\/leaderboard$/, LeaderboardQuery],
    [/^\/api\/models\/[^/]+\/analytics$/, AnalyticsQuery],
    [/^\/api\/analytics\/correlation$/, CorrelationQuery],
    [/^\/api\/positions$/, PositionsQuery],
    [/^\/api\/prices$/, undefined],
    [/^\/api\/trades$/, TradesQuery],
    [/^\/api\/invocations$/, InvocationsQuery],
    [/^\/api\/invocations\/failed$/, InvocationsQuery],
    [/^\/api\/invocations\/[^/]+$/, undefined],
    [/^\/api\/equity$/, EquityQuery],
    [/^\/api\/health$/, undefined],
    [/^\/api\/events$/, StreamQuery],
    [/^\/api\/events\/recent$/, RecentEventsQuery],
  ];
  app.use("/api/*", async (c, next) => {
    const route = routesQuery.find(([pattern]) => pattern.test(c.req.path));
    if (route !== undefined) {
      const allowed = allowedKeys(route[1]);
      const unknown = [...new Set(new URL(c.req.url).searchParams.keys())].filter((k) => !allowed.includes(k));
      if (unknown.length > 0) {
        const names = allowed.length === 0 ? "none" : allowed.join(", ");
        throw new ValidationError(
          "invalid query",
          unknown.map((k) => ({ path: k, message: `unknown query parameter; allowed: ${names}` })),
        );
      }
    }
    await next();
  });

  /** createRoute with the strict-query note appended to the description. */
  const route: typeof createRoute = (config) => createRoute({ ...config, description: [config.description, STRICT_QUERY_NOTE].filter(Boolean).join(" ") });
  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.openapi(
    route({ method: "get", path: "/api/models", tags: ["models"], summary: "Every model", description: cachedNote, responses: ok(z.object({ items: z.array(ModelSchema) }), "The models") }),
    async (c) => sendJson(c, await responses.get("models", async () => ({ items: await reader.models() }))),
  );

  app.openapi(
    route({ method: "get", path: "/api/models/{id}", tags: ["models"], summary: "One model", request: { params: ModelIdParams }, responses: ok(ModelSchema, "The model") }),
    async (c) => c.json(await reader.model(c.req.valid("param").id), 200),
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/leaderboard",
      tags: ["leaderboard"],
      summary: "Models ranked over a window",
      description: cachedNote,
      request: { query: LeaderboardQuery },
      responses: ok(LeaderboardSchema, "The leaderboard"),
    }),
    async (c) => {
      const { window, sort } = c.req.valid("query");
      return sendJson(c, await responses.get(`leaderboard:${window}:${sort}`, () => reader.leaderboard(window, sort)));
    },
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/models/{id}/analytics",
      tags: ["analytics"],
      summary: "Every performance metric of a model over a window",
      request: { params: ModelIdParams, query: AnalyticsQuery },
      responses: ok(AnalyticsSchema, "The metrics"),
    }),
    async (c) => c.json(await reader.analytics(c.req.valid("param").id, c.req.valid("query").window), 200),
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/positions",
      tags: ["positions"],
      summary: "Open positions with unrealized PnL at current prices",
      description: cachedNote,
      request: { query: PositionsQuery },
      responses: ok(PositionsSchema, "Open positions"),
    }),
    async (c) => {
      const { modelId, limit } = c.req.valid("query");
      return sendJson(c, await responses.get(`positions:${modelId ?? "all"}:${limit}`, () => reader.positions(modelId, limit)));
    },
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/trades",
      tags: ["trades"],
      summary: "Closed trades, newest first (keyset pages)",
      request: { query: TradesQuery },
      responses: ok(TradesPageSchema, "A page of trades"),
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(
        await reader.trades({
          limit: q.limit,
          ...(q.modelId === undefined ? {} : { modelId: q.modelId }),
          ...(q.symbol === undefined ? {} : { symbol: q.symbol }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        }),
        200,
      );
    },
  );

  for (const failedOnly of [false, true]) {
    app.openapi(
      route({
        method: "get",
        path: failedOnly ? "/api/invocations/failed" : "/api/invocations",
        tags: ["invocations"],
        summary: failedOnly ? "Failed invocations with their step telemetry" : "Agent invocations: prompt, response, tool calls, tokens, latency",
        request: { query: InvocationsQuery },
        responses: ok(InvocationsPageSchema, "A page of invocations"),
      }),
      async (c) => {
        const q = c.req.valid("query");
        return c.json(
          await reader.invocations({
            failedOnly,
            limit: q.limit,
            ...(q.modelId === undefined ? {} : { modelId: q.modelId }),
            ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
          }),
          200,
        );
      },
    );
  }

  app.openapi(
    route({
      method: "get",
      path: "/api/invocations/{id}",
      tags: ["invocations"],
      summary: "One invocation",
      request: { params: InvocationIdParams },
      responses: ok(InvocationSchema, "The invocation"),
    }),
    async (c) => c.json(await reader.invocation(c.req.valid("param").id), 200),
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/equity",
      tags: ["equity"],
      summary: "Equity curves of every model (or one), downsampled to the requested range",
      description: cachedNote,
      request: { query: EquityQuery },
      responses: ok(EquitySchema, "Equity series"),
    }),
    async (c) => {
      const q = c.req.valid("query");
      return sendJson(c, await responses.get(`equity:${q.window}:${q.points}:${q.modelId ?? "all"}`, () => reader.equity(q.window, q.points, q.modelId)));
    },
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/analytics/correlation",
      tags: ["analytics"],
      summary: "Correlation matrix of the models' returns over a window",
      description: cachedNote,
      request: { query: CorrelationQuery },
      responses: ok(CorrelationSchema, "The matrix"),
    }),
    async (c) => {
      const { window } = c.req.valid("query");
      return sendJson(c, await responses.get(`correlation:${window}`, () => reader.correlation(window)));
    },
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/prices",
      tags: ["positions"],
      summary: "Price of every coin the arena trades: live, else the last the arena recorded",
      description: cachedNote,
      responses: ok(PricesSchema, "Prices"),
    }),
    async (c) => sendJson(c, await responses.get("prices", () => reader.prices())),
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/events/recent",
      tags: ["events"],
      summary: "The newest events of the live stream's buffer, newest first (what a page shows before the next event)",
      request: { query: RecentEventsQuery },
      responses: ok(RecentEventsSchema, "Recent events"),
    }),
    (c) => {
      const { limit } = c.req.valid("query");
      const replay = hub.since(Math.max(0, hub.lastSeq - limit));
      const items = replay.events.reverse().map((e) => ({ id: `${deps.bootId}-${e.seq}`, event: e.event }));
      return c.json({ lastEventId: hub.lastSeq === 0 ? null : `${deps.bootId}-${hub.lastSeq}`, items }, 200);
    },
  );

  app.openapi(
    route({ method: "get", path: "/api/health", tags: ["health"], summary: "The workers' scheduler state", responses: ok(HealthSchema, "Health") }),
    async (c) => c.json(await reader.health({ lastEventSeq: hub.lastSeq, subscribers: hub.subscriberCount }), 200),
  );

  app.openapi(
    route({
      method: "get",
      path: "/api/events",
      tags: ["events"],
      summary: "Server-sent stream of the worker's events (Last-Event-ID resumes from the buffer)",
      request: { query: StreamQuery },
      responses: { 200: { content: { "text/event-stream": { schema: z.string() } }, description: "SSE: data is an ArenaEvent as JSON" }, ...errors },
    }),
    (c) => {
      const q = c.req.valid("query");
      if (deps.openStreams() >= deps.maxStreams) {
        c.header("Retry-After", String(RETRY_AFTER_S));
        throw new HttpError(503, "TOO_MANY_STREAMS", `${deps.maxStreams} streams are open, the most this api serves; retry in ${RETRY_AFTER_S} s`);
      }
      const filter: StreamFilter = {};
      if (q.modelId !== undefined) filter.modelId = q.modelId;
      if (q.types !== undefined && q.types.trim() !== "") {
        const types = q.types.split(",").map((t) => t.trim());
        const unknown = types.filter((t) => !(ARENA_EVENT_TYPES as readonly string[]).includes(t));
        if (unknown.length > 0) {
          throw new ValidationError("invalid event types", [{ path: "types", message: `unknown: ${unknown.join(", ")}` }]);
        }
        filter.types = new Set(types as ArenaEventType[]);
      }
      const lastEventId = c.req.header("Last-Event-ID") ?? q.lastEventId;
      return streamSSE(c, async (stream) => {
        const queue: SequencedEvent[] = [];
        let wake: (() => void) | null = null;
        let ended = false;
        let overflowed = false;
        const end = () => {
          ended = true;
          wake?.();
        };
        const untrack = deps.trackStream(end);
        const unsubscribe = hub.subscribe((e) => {
          if (overflowed) return;
          // A client that cannot keep up is dropped instead of queueing without bound.
          if (queue.length >= deps.maxQueuedEvents) {
            overflowed = true;
            queue.length = 0;
            end();
            return;
          }
          queue.push(e);
          wake?.();
        });
        stream.onAbort(end);
        try {
          await stream.write("retry: 3000\n\n");
          if (lastEventId !== undefined) {
            const [boot, seqText] = lastEventId.split("-", 2);
            const seq = Number(seqText);
            const replay = boot === deps.bootId && Number.isSafeInteger(seq) && seq >= 0 ? hub.since(seq) : { events: [], gap: true };
            // Events that arrived while replaying are queued; skip the ones the replay sent.
            const replayed = new Set(replay.events.map((e) => e.seq));
            if (replay.gap) await stream.writeSSE({ event: "gap", data: JSON.stringify({ lastSeq: hub.lastSeq }), id: `${deps.bootId}-${hub.lastSeq}` });
            for (const e of replay.events) if (matches(e.event, filter)) await stream.writeSSE({ id: `${deps.bootId}-${e.seq}`, data: JSON.stringify(e.event) });
            for (let i = queue.length - 1; i >= 0; i--) if (replayed.has(queue[i]!.seq)) queue.splice(i, 1);
          }
          while (!ended) {
            while (queue.length > 0 && !ended) {
              const e = queue.shift()!;
              if (matches(e.event, filter)) await stream.writeSSE({ id: `${deps.bootId}-${e.seq}`, data: JSON.stringify(e.event) });
            }
            if (ended) break;
            const timer = { id: undefined as ReturnType<typeof setTimeout> | undefined };
            const beat = await new Promise<boolean>((resolve) => {
              wake = () => resolve(false);
              timer.id = setTimeout(() => resolve(true), deps.heartbeatMs);
            });
            clearTimeout(timer.id);
            wake = null;
            if (beat && !ended) await stream.write(`: heartbeat ${Date.now()}\n\n`);
          }
          if (overflowed) {
            await stream.write(`retry: ${RETRY_AFTER_S * 1000}\n\n`);
            await stream.writeSSE({ event: "dropped", data: JSON.stringify({ reason: `more than ${deps.maxQueuedEvents} events were waiting for this client`, retryAfterMs: RETRY_AFTER_S * 1000 }) });
          }
        } finally {
          unsubscribe();
          untrack();
        }
      });
    },
  );

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Autonome api",
      version: "0.0.0",
      description:
        "Read-only view of the Autonome arena: models, leaderboard, positions, trades, invocations, equity, health and a live event stream. " +
        `${STRICT_QUERY_NOTE} Every answer carries X-Request-Id; a 500 is logged with it. ` +
        `At most ${deps.maxStreams} event streams are open at once (more get 503 with Retry-After), and a client more than ${deps.maxQueuedEvents} events behind is dropped with a \`dropped\` event and a retry hint.`,
    },
  });

  app.get("*", async (c) => {
    if (c.req.path.startsWith("/api/") || deps.staticDir === null) throw new HttpError(404, "NOT_FOUND", `no route GET ${c.req.path}`);
    const file = await readStaticFile(deps.staticDir, c.req.path);
    if (file === null) throw new HttpError(404, "NOT_FOUND", `no file ${c.req.path}`);
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": file.type,
      "Cache-Control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
  });

  return app;
}
