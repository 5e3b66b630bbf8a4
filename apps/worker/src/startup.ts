/**
 * Start-up failures as one line that names the setting at fault and the cause
 * (`AUTONOME_DB_DIR /srv/db is in use by process 4242 ...`), never a stack and never
 * `[object Object]`, and the start-up wait for PostgreSQL: a refused or timed-out
 * connection is retried with backoff for DATABASE_WAIT_MS, a refused login or a missing
 * database is not.
 */
import { AutonomeError, ConfigError, isAutonomeError } from "@autonome/core";
import { describeThrown } from "@autonome/db";
import pg from "pg";
import { redactUrl } from "./config.js";

/** The process could not start because of a setting (or what it names); exit code 2. */
export class StartupError extends AutonomeError {
  readonly code = "STARTUP_FAILED";
  constructor(
    /** The environment variable to look at. */
    readonly setting: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a part of the path is a file, not a directory",
  ENOENT: "no such file or directory",
  EEXIST: "a file is in the way",
  ENOSPC: "no space left on device",
  EISDIR: "is a directory",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EADDRINUSE: "address in use",
  EADDRNOTAVAIL: "address not available",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed for now",
};

/** One line saying what went wrong, for anything thrown: the code when there is one. */
export function describeError(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === "string" && ERRNO_TEXT[code] !== undefined) return `${ERRNO_TEXT[code]} (${code})`;
  // Prisma's messages quote the call site over several lines; what happened is the last one.
  const lines = describeThrown(error)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const text = /^P\d{4}$/.test(typeof code === "string" ? code : "") ? (lines.at(-1) ?? "") : lines.join(" ");
  if (typeof code === "string" && /^([0-9A-Z]{5}|P\d{4})$/.test(code) && !isAutonomeError(error) && !text.includes(code)) return `${text} (${code})`;
  return text || "unknown error";
}

/** A file-system failure on a path a setting names, as a StartupError. */
export function fileSystemFailure(setting: string, what: string, error: unknown): StartupError {
  return new StartupError(setting, `${setting} ${what}: ${describeError(error)}`, { cause: error });
}

/** A listening failure (API_PORT, AUTONOME_DB_PORT) as a StartupError. */
export function listenFailure(setting: string, host: string, port: number, error: unknown): StartupError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "EADDRINUSE") return new StartupError(setting, `${setting} ${port} is in use by another process on ${host} (EADDRINUSE); choose another port`, { cause: error });
  if (code === "EACCES") return new StartupError(setting, `${setting} ${port} may not be opened by this user (EACCES); use a port above 1023`, { cause: error });
  return new StartupError(setting, `${setting} ${port} cannot be listened on at ${host}: ${describeError(error)}`, { cause: error });
}

/** PostgreSQL failures worth waiting out: the server is down, starting, restarting or busy. */
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "EPIPE",
  // cannot_connect_now (starting up, shutting down), too_many_connections, admin_shutdown, crash_shutdown
  "57P03",
  "53300",
  "57P01",
  "57P02",
]);

/** Whether a failure to reach PostgreSQL may pass by itself (retry) or needs the setting fixed (stop). */
export function isTransientDatabaseFailure(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (typeof e?.code === "string") return TRANSIENT_CODES.has(e.code);
  if (Array.isArray(e?.errors) && e.errors.length > 0) return e.errors.every(isTransientDatabaseFailure);
  const message = typeof e?.message === "string" ? e.message : "";
  return /timeout|timed out|Connection terminated/i.test(message);
}

/** Options of waitForPostgres. */
export interface WaitForPostgresOptions {
  /** How long to keep trying while the failure is transient (DATABASE_WAIT_MS); 0 tries once. */
  waitMs: number;
  /** Called before each wait with the attempt's failure (one line of log). */
  onRetry?: (info: { attempt: number; error: string; retryInMs: number; waitedMs: number }) => void;
  /** Time out of one connection attempt. Default 5 s. */
  connectTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Connects to PostgreSQL once to see that it answers and lets us in, retrying transient
 * failures with backoff (0.5 s doubling to 5 s) for `waitMs`. Throws a StartupError naming
 * DATABASE_URL (password hidden) and the cause.
 */
export async function waitForPostgres(url: string, options: WaitForPostgresOptions): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const started = now();
  const shown = redactUrl(url);
  // pg does not know Prisma's ?schema=.
  const parsed = new URL(url);
  parsed.searchParams.delete("schema");
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: parsed.toString(), connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (error) {
      const waited = now() - started;
      const backoff = Math.min(5_000, 500 * 2 ** (attempt - 1));
      if (!isTransientDatabaseFailure(error)) {
        throw new StartupError("DATABASE_URL", `DATABASE_URL ${shown}: ${describeError(error)}`, { cause: error });
      }
      const remaining = options.waitMs - waited;
      if (remaining <= 0) {
        const gaveUp = options.waitMs > 0 ? `; gave up after ${Math.round(waited / 100) / 10} s of retries (DATABASE_WAIT_MS=${options.waitMs})` : "";
        throw new StartupError("DATABASE_URL", `DATABASE_URL ${shown}: ${describeError(error)}${gaveUp}`, { cause: error });
      }
      // The last wait is cut to the time left, so the last try comes at the deadline.
      const retryInMs = Math.min(backoff, remaining);
      options.onRetry?.({ attempt, error: describeError(error), retryInMs, waitedMs: waited });
      await sleep(retryInMs);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** The line a failed start prints and the exit code: 2 for a setting to fix, 1 for anything else. */
export function startupFailure(error: unknown): { line: string; exitCode: 1 | 2 } {
  if (error instanceof StartupError || error instanceof ConfigError) return { line: error.message, exitCode: 2 };
  if (isAutonomeError(error) && (error.code === "STARTUP_FAILED" || error.code === "CONFIG_INVALID")) return { line: error.message, exitCode: 2 };
  return { line: `start failed: ${describeError(error)}`, exitCode: 1 };
}

/** The stack of an error and of its causes, for LOG_LEVEL=debug. */
export function stackOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : describeThrown(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\ncaused by: ");
}
