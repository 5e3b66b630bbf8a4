/**
 * A database outage is reported, not shouted: one WARN line when the database goes away
 * (`database unreachable`), one INFO line when it is back (`database reachable again`,
 * with how long it was gone), and in between the failures it causes are logged at debug
 * only, instead of a WARN a second from every loop that touches the database.
 */
import type { Clock } from "@autonome/core";
import type { Logger } from "./logger.js";
import { describeError } from "./startup.js";

// Prisma: can't reach the server, timed out, server closed the connection, pool timeout.
const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
// What Prisma's driver adapter says the connection did.
const ADAPTER_UNAVAILABLE = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TransactionAlreadyClosed"]);
// Node's socket errors.
const SOCKET_UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EPIPE"]);
// SQLSTATE: admin shutdown, crash shutdown, cannot connect now, too many connections.
const SQLSTATE_UNAVAILABLE = new Set(["57P01", "57P02", "57P03", "53300"]);

/** Whether an error says the database cannot be reached right now (as opposed to a query that is wrong). */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 4) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown; originalCode?: unknown } } } };
  const code = typeof e.code === "string" ? e.code : "";
  if (PRISMA_UNAVAILABLE.has(code) || SOCKET_UNAVAILABLE.has(code) || SQLSTATE_UNAVAILABLE.has(code) || code.startsWith("08")) return true;
  const adapter = e.meta?.driverAdapterError?.cause;
  if (adapter !== undefined) {
    if (typeof adapter.kind === "string" && ADAPTER_UNAVAILABLE.has(adapter.kind)) return true;
    const state = typeof adapter.originalCode === "string" ? adapter.originalCode : typeof adapter.code === "string" ? adapter.code : "";
    if (SQLSTATE_UNAVAILABLE.has(state) || state.startsWith("08")) return true;
  }
  const message = typeof e.message === "string" ? e.message : "";
  if (/Can't reach database server|Connection terminated|connection (is )?closed|Client has encountered a connection error/i.test(message)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

/** The state of the database as the worker saw it last. */
export interface DatabaseState {
  status: "up" | "down";
  /** Epoch ms the outage began, or null when up. */
  downSince: number | null;
  /** What the first failure of the outage said, or null when up. */
  error: string | null;
}

/** Tracks one outage at a time; see the module header. */
export class DatabaseOutage {
  private since: number | null = null;
  private firstError: string | null = null;
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /** The database as seen last. */
  state(): DatabaseState {
    return this.since === null ? { status: "up", downSince: null, error: null } : { status: "down", downSince: this.since, error: this.firstError };
  }

  /**
   * A database operation failed. An unavailable database starts (or continues) the
   * outage and returns true; any other failure returns false (the caller logs it).
   */
  failed(what: string, error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    this.failures += 1;
    if (this.since === null) {
      this.since = this.clock.now();
      this.firstError = describeError(error);
      this.failures = 1;
      this.logger.warn("database unreachable; the worker waits for it and says when it is back", { error: this.firstError, during: what });
    } else {
      this.logger.debug(what, { error: describeError(error), databaseDownForMs: this.clock.now() - this.since });
    }
    return true;
  }

  /** A database operation succeeded: ends an outage, if any, with one line. */
  ok(): void {
    if (this.since === null) return;
    const downForMs = this.clock.now() - this.since;
    this.logger.info("database reachable again", { downForMs, failedOperations: this.failures });
    this.since = null;
    this.firstError = null;
    this.failures = 0;
  }
}

/**
 * A logger that hands WARN and ERROR lines whose `error` field says the database is
 * unreachable to `outage` (one line per outage), and passes everything else through.
 */
export function outageAwareLogger(logger: Logger, outage: DatabaseOutage): Logger {
  const route = (level: "warn" | "error") => (message: string, fields?: Record<string, unknown>) => {
    if (fields !== undefined && "error" in fields && outage.failed(message, fields.error)) return;
    logger[level](message, fields);
  };
  return { debug: (m, f) => logger.debug(m, f), info: (m, f) => logger.info(m, f), warn: route("warn"), error: route("error") };
}
