// A throw-away PostgreSQL for the tests when TEST_DATABASE_URL is unset: PostgreSQL 18
// from npm, in a fresh temporary directory, durability off, stopped and removed at the end,
// started by @autonome/db's one embedded-PostgreSQL starter (packages/db/src/embedded-postgres.ts,
// which the season uses too), loaded from source: `pnpm test` starts this before anything
// is built. Used in two places, never both for one run:
// - scripts/run-tests.mjs starts one for a whole `pnpm test` and hands its URL to every
//   package's vitest run as TEST_DATABASE_URL;
// - the packages whose tests need PostgreSQL name this file as their vitest globalSetup,
//   so `vitest run` alone in such a package starts one for that run (`setup`/`teardown`).
// With TEST_DATABASE_URL set (CI sets it to Debian's PostgreSQL) nothing is started.
import { tsImport } from "tsx/esm/api";

/** The database the tests get (schemas are made per test file inside it). */
const DATABASE = "autonome_test";

/**
 * @typedef {object} TestPostgres
 * @property {string} url postgresql:// URL of the test database, password included
 * @property {string} version the server's version, e.g. "18.4"
 * @property {() => Promise<void>} stop shuts the server down and removes its directory (idempotent)
 */

/**
 * Starts a PostgreSQL 18 for one test run.
 * @param {{ log?: (line: string) => void }} [options] `log` gets one line when the server is up
 * @returns {Promise<TestPostgres>}
 */
export async function startTestPostgres(options = {}) {
  /** @type {typeof import("../packages/db/src/embedded-postgres.ts")} */
  const { startEmbeddedPostgres } = await tsImport("../packages/db/src/embedded-postgres.ts", import.meta.url);
  const log = options.log;
  return startEmbeddedPostgres({ database: DATABASE, ...(log ? { log: (/** @type {string} */ line) => log(`${line.replace(/^PostgreSQL (\S+) \(embedded-postgres\)/, "PostgreSQL $1 for the tests")}`) } : {}) });
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
