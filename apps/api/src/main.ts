/**
 * Standalone api: `node dist/main.js`. DATABASE_URL (else PGlite in AUTONOME_DB_DIR),
 * API_PORT (default 3000) and API_HOST (default 127.0.0.1). Events arrive over
 * PostgreSQL LISTEN/NOTIFY; positions are marked at the last known prices. A start that
 * fails prints one line naming the setting and the cause and exits 2.
 *
 * With the embedded database the api opens the data directory under its lock, so it
 * never opens a directory a worker has open: run it with the worker (`API_PORT` of the
 * worker serves the api from the worker's process) or share PostgreSQL instead.
 */
import { resolve } from "node:path";
import { DataDirInUseError, type Db, createDb, dbTargetFromEnv, describeThrown, redactUrl } from "@autonome/db";
import { startApi } from "./server.js";

function fail(line: string): never {
  process.stderr.write(`autonome api: ${line}\n`);
  process.exit(2);
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = describeThrown(error).replace(/\s*\n\s*/g, " ");
  return typeof code === "string" && !text.includes(code) ? `${text} (${code})` : text;
}

const portText = process.env.API_PORT?.trim() || "3000";
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65_535) fail(`API_PORT must be a whole number from 0 to 65535, got "${portText}"`);
const host = process.env.API_HOST?.trim() || "127.0.0.1";

// The handlers first: a SIGTERM or Ctrl-C while the database opens (seconds, for the
// embedded one) is kept and honoured once the api has started, with the same clean stop,
// instead of killing it with the data directory's lock and the database left open.
let stopRequested = false;
let stopNow: (() => void) | null = null;
const onSignal = () => {
  if (stopNow !== null) stopNow();
  else stopRequested = true;
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const target = dbTargetFromEnv();
const dataDir = resolve(target.kind === "pglite" ? (target.dataDir ?? ".") : ".");
console.log(`autonome api starting: ${target.kind === "postgres" ? `PostgreSQL ${redactUrl(target.url)}` : `embedded database in ${dataDir}`}`);
let db: Db;
try {
  db = await createDb(target.kind === "pglite" ? { ...target, holder: "api" } : target);
} catch (error) {
  if (error instanceof DataDirInUseError) {
    const owner = error.owner;
    const who = owner === null ? "another process" : `${owner.holder ? `${owner.holder} ` : ""}process ${owner.pid} on ${owner.host}`;
    fail(`AUTONOME_DB_DIR ${error.dataDir} is in use by ${who}; with the embedded database, let the worker serve the api (its API_PORT), or use PostgreSQL (DATABASE_URL) to run the api apart`);
  }
  fail(target.kind === "postgres" ? `DATABASE_URL ${redactUrl(target.url)}: ${describe(error)}` : `AUTONOME_DB_DIR ${dataDir}: ${describe(error)}`);
}
let api: Awaited<ReturnType<typeof startApi>>;
try {
  api = await startApi({ db, port, host });
} catch (error) {
  await db.close();
  const code = (error as { code?: unknown } | null)?.code;
  fail(code === "EADDRINUSE" ? `API_PORT ${port} is in use by another process on ${host} (EADDRINUSE); choose another port` : `API_PORT ${port} on ${host}: ${describe(error)}`);
}
console.log(`autonome api listening on ${api.url}`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await api.close();
  await db.close();
  process.exit(0);
};
stopNow = () => {
  stop().catch((error: unknown) => {
    console.error("autonome api: could not close cleanly", error);
    process.exit(1);
  });
};
if (stopRequested) stopNow();
