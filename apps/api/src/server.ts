/**
 * The api server, to embed or to run alone. Embedded (pnpm start), the worker passes
 * its database, its in-process ArenaEventBus and its MarketSource; standalone, the api
 * opens the database itself and follows events over PostgreSQL LISTEN/NOTIFY
 * (createEventChannel) and marks positions at the last known prices.
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ArenaEvent, type ArenaEventBus, type Clock, type DecimalLike, SystemClock } from "@autonome/core";
import { type Db, type EventChannel, createDb, createEventChannel, describeThrown } from "@autonome/db";
import { type ServerType, createAdaptorServer } from "@hono/node-server";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "./app.js";
import { EventHub, type HubEvent } from "./event-hub.js";
import { LastKnownPrices, Marker, type PriceProvider } from "./prices.js";
import { ReadCache } from "./read-cache.js";
import { ResponseCache } from "./response-cache.js";
import { ArenaLedger } from "./ledger.js";
import { ArenaReader, type LocalWorkerHealth } from "./read-model.js";

/** What createApiServer needs; only `db` is required. */
export interface ApiServerOptions {
  db: Db;
  /** The worker's in-process event bus (embedded mode). */
  events?: ArenaEventBus;
  /** A cross-process event channel to follow (standalone mode); see startApi. */
  eventChannel?: EventChannel;
  /** Live prices for unrealized PnL (the worker's MarketSource); without it, the last known prices. */
  prices?: PriceProvider;
  clock?: Clock;
  /** The dashboard's build directory; defaults to apps/web/dist beside this app when it exists; null serves none. */
  staticDir?: string | null;
  /** Events kept for Last-Event-ID resume. Default 1,000. */
  ringBufferSize?: number;
  /** Interval of SSE heartbeats. Default 15 s. */
  heartbeatMs?: number;
  /**
   * How long a model-list, open-orders or snapshot read is reused; trading events clear it
   * at once, so this is the bound when no event reaches the api. Stale answers are served
   * while one reload runs. Default 10 s; 0 disables this cache and, unless set, the others.
   */
  cacheTtlMs?: number;
  /**
   * How long a serialized answer of the models, leaderboard, positions and equity routes is
   * reused (single flight; never served longer than this after its build began, so live
   * marks are at most this stale). Trading events clear it at once. Default 500 ms, or
   * `cacheTtlMs` when that is shorter; 0 disables.
   */
  responseCacheMs?: number;
  /** A worker without a heartbeat for this long is stale. Default 15 min. */
  staleAfterMs?: number;
  /**
   * The worker running in this process (embedded mode): its live scheduler state, shown by
   * /api/health instead of its heartbeat row, also while the database is down.
   */
  localWorker?: () => LocalWorkerHealth | null;
  /** Each simulated model's starting capital (the worker's simulator initialCapital). Default 10,000. */
  initialCapitalUsd?: DecimalLike;
  /** The mode of models that name none (the worker's IS_SIMULATION_ENABLED). Default SIM. */
  defaultMode?: "SIM" | "LIVE";
  /** Display names from the worker's configuration, by a model's slug (name) and variant; others are shown humanized. */
  displayNames?: (model: { name: string; variant: string }) => string | undefined;
  /** Most SSE streams open at once; past it a stream request gets 503 with Retry-After. Default 200. */
  maxStreams?: number;
  /** Most events queued for one slow SSE client; past it the client is dropped with a retry hint. Default 1,000. */
  maxQueuedEvents?: number;
  /** Where 5xx answers and background failures are logged (one line each, with the request id). Default stderr. */
  logError?: (line: string, error: unknown) => void;
  /** How often the read model catches up with events it may have missed. Default 15 s. */
  ledgerSyncMs?: number;
}

/** A running or ready api. */
export interface ApiServer {
  /** The Hono application (its fetch works without listening). */
  readonly app: OpenAPIHono;
  /** The live event buffer; `hub.push` feeds the stream directly. */
  readonly hub: EventHub;
  /** The incremental read model. */
  readonly ledger: ArenaLedger;
  /** Resolves once the events heard so far are applied and the answers they changed rebuilt. */
  settled(): Promise<void>;
  /** Starts listening (and following the event channel, if any); resolves to the address. */
  listen(options?: { port?: number; host?: string }): Promise<{ port: number; host: string; url: string }>;
  /** Ends live streams, stops following events and closes the HTTP server (not the database). */
  close(): Promise<void>;
}

/** Default of ApiServerOptions.maxStreams. */
export const DEFAULT_MAX_STREAMS = 200;
/** Default of ApiServerOptions.maxQueuedEvents. */
export const DEFAULT_MAX_QUEUED_EVENTS = 1_000;

function defaultLogError(line: string, error: unknown): void {
  process.stderr.write(`${line}${error instanceof Error && error.stack ? `\n${error.stack}` : error === undefined ? "" : `: ${describeThrown(error)}`}\n`);
}

/** Default of ApiServerOptions.responseCacheMs. */
export const DEFAULT_RESPONSE_CACHE_MS = 500;

/** Events after which cached reads are stale. */
const STATE_EVENTS = new Set<string>(["positionOpened", "positionClosed", "exitTriggered", "positionLiquidated", "exitPlanUpdated", "portfolioSnapshotted", "tickFinished", "invocationFinished"]);

/** apps/web/dist next to this app, if built. */
export function defaultStaticDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, "../../web/dist"), resolve(here, "../../../apps/web/dist")]) {
    if (existsSync(resolve(candidate, "index.html"))) return candidate;
  }
  return null;
}

/** Builds the api around a database; call listen() to serve it. */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const clock = options.clock ?? new SystemClock();
  const now = () => clock.now();
  const hub = new EventHub(options.ringBufferSize ?? 1_000);
  const cacheTtlMs = options.cacheTtlMs ?? 10_000;
  const cache = new ReadCache(cacheTtlMs, now);
  const responses = new ResponseCache(options.responseCacheMs ?? Math.min(DEFAULT_RESPONSE_CACHE_MS, cacheTtlMs), now);
  const lastKnown = new LastKnownPrices(options.db, now);
  const logError = options.logError ?? defaultLogError;
  const ledger = new ArenaLedger({
    db: options.db,
    clock,
    ...(options.initialCapitalUsd === undefined ? {} : { initialCapitalUsd: options.initialCapitalUsd }),
    ...(options.ledgerSyncMs === undefined ? {} : { syncIntervalMs: options.ledgerSyncMs }),
    onError: (error) => logError("autonome api: read model update failed (the next event or catch-up retries)", error),
  });
  const reader = new ArenaReader({
    db: options.db,
    clock,
    marker: new Marker(options.prices, lastKnown),
    cache,
    ledger,
    staleAfterMs: options.staleAfterMs ?? 15 * 60_000,
    ...(options.defaultMode === undefined ? {} : { defaultMode: options.defaultMode }),
    ...(options.displayNames === undefined ? {} : { displayNames: options.displayNames }),
    ...(options.localWorker ? { localWorker: options.localWorker } : {}),
  });
  // Answers change when the read model applied an update: rebuild them then, in the
  // background (requests get the previous answer until the new one is built, so none waits).
  ledger.onChange(() => void responses.refresh());
  const streams = new Set<() => void>();
  const app = createApp({
    reader,
    hub,
    responses,
    bootId: globalThis.crypto.randomUUID().slice(0, 8),
    heartbeatMs: options.heartbeatMs ?? 15_000,
    staticDir: options.staticDir === undefined ? defaultStaticDir() : options.staticDir,
    maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
    maxQueuedEvents: options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS,
    logError,
    openStreams: () => streams.size,
    trackStream(end) {
      streams.add(end);
      return () => streams.delete(end);
    },
  });

  const receive = (event: HubEvent) => {
    if ("payload" in event) {
      lastKnown.observe(event);
      const symbol = (event.payload as unknown as { symbol?: unknown }).symbol;
      if (typeof symbol === "string") reader.knownSymbols.add(symbol);
    }
    // Plain reads (the model list's counters) are dropped at once; the answers when the
    // read model has applied the event (ledger.onChange above).
    if (STATE_EVENTS.has(event.type)) cache.invalidate();
    void ledger.apply(event);
    hub.push(event);
  };
  const offBus = options.events?.onAny((event: ArenaEvent) => receive(event));
  let unsubscribeChannel: (() => Promise<void>) | undefined;
  let server: ServerType | undefined;

  // Build the read model at once (one pass over Orders); requests wait for it only until it is built.
  ledger.ready().catch((error: unknown) => logError("autonome api: read model could not be built (requests retry it)", error));

  return {
    app,
    hub,
    ledger,
    async settled() {
      await ledger.settled();
      await responses.settled();
    },
    async listen({ port = 0, host = "127.0.0.1" } = {}) {
      if (server !== undefined) throw new Error("the api is already listening");
      if (options.eventChannel !== undefined && unsubscribeChannel === undefined) {
        unsubscribeChannel = await options.eventChannel.subscribe(receive);
      }
      const created = createAdaptorServer({ fetch: app.fetch, hostname: host });
      server = created;
      await new Promise<void>((resolveListen, reject) => {
        created.once("error", reject);
        created.listen(port, host, () => {
          created.off("error", reject);
          resolveListen();
        });
      });
      const address = created.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return { port: address.port, host: address.address, url: `http://${shownHost}:${address.port}` };
    },
    async close() {
      offBus?.();
      ledger.close();
      // An update already running finishes before the database may go away.
      await ledger.settled();
      for (const end of [...streams]) end();
      if (unsubscribeChannel !== undefined) await unsubscribeChannel();
      unsubscribeChannel = undefined;
      const running = server;
      server = undefined;
      if (running !== undefined) {
        await new Promise<void>((resolveClose) => {
          running.close(() => resolveClose());
          (running as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
      }
    },
  };
}

/** Options of startApi: those of createApiServer plus where to listen; `db` is opened from the environment when omitted. */
export type StartApiOptions = Omit<ApiServerOptions, "db"> & { db?: Db; port?: number; host?: string };

/** A started api and how to stop it. */
export interface StartedApi extends ApiServer {
  readonly url: string;
  readonly port: number;
}

/**
 * Opens what is missing and listens: without `db`, the database named by the
 * environment (closed again by close()); without `events` or `eventChannel`, the
 * database's event channel.
 */
export async function startApi(options: StartApiOptions = {}): Promise<StartedApi> {
  const ownsDb = options.db === undefined;
  const db = options.db ?? (await createDb());
  const channel = options.eventChannel ?? (options.events === undefined ? createEventChannel(db) : undefined);
  const api = createApiServer({ ...options, db, ...(channel === undefined ? {} : { eventChannel: channel }) });
  try {
    const address = await api.listen({ ...(options.port === undefined ? {} : { port: options.port }), ...(options.host === undefined ? {} : { host: options.host }) });
    return {
      ...api,
      url: address.url,
      port: address.port,
      async close() {
        await api.close();
        if (options.eventChannel === undefined && channel !== undefined) await channel.close();
        if (ownsDb) await db.close();
      },
    };
  } catch (error) {
    await api.close();
    if (ownsDb) await db.close();
    throw error;
  }
}
