/**
 * Test support (not exported): the databases every repository test runs against.
 * PGlite always; PostgreSQL at TEST_DATABASE_URL, each test file in a fresh schema dropped
 * afterwards. Unset, vitest's globalSetup (scripts/test-postgres.mjs) starts a PostgreSQL 18
 * from npm for the run and sets it. An unreachable one is skipped with a message, or fails
 * the run when CI=true.
 */
import { type Clock, ManualClock } from "@autonome/core";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, beforeEach, describe } from "vitest";
import { type Db, createDb, dropSchema } from "../db.js";
import { testDatabaseUrl, testPostgresSkipReason } from "./postgres.js";
import { truncateAllTables as truncateAll } from "./sql.js";

/** The PostgreSQL URL tests use, if any. */
export const postgresUrl: string | undefined = testDatabaseUrl();

/** Why PostgreSQL tests are skipped, or null when they run. Throws under CI when PostgreSQL is missing. */
export const postgresSkipReason: string | null = await testPostgresSkipReason(
  "PostgreSQL tests (TEST_DATABASE_URL must reach a PostgreSQL server; unset, the tests start their own)",
);

/** The time every test starts at: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

/** A database under test and its manual clock. */
export interface TestDb {
  db: Db;
  clock: ManualClock;
}

/** A fresh, random schema name for one test file. */
export function freshSchemaName(): string {
  return `test_${globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
}


/** Opens a migrated in-memory PGlite database. */
export async function openPglite(clock: Clock): Promise<Db> {
  return createDb({ kind: "pglite", dataDir: "memory://", clock });
}

/** Opens a migrated PostgreSQL database in a fresh schema; returns it and its schema. */
export async function openPostgres(clock: Clock, maxConnections = 4): Promise<{ db: Db; schema: string }> {
  if (postgresUrl === undefined) throw new Error("no PostgreSQL URL");
  const schema = freshSchemaName();
  const db = await createDb({ kind: "postgres", url: postgresUrl, schema, clock, maxConnections });
  return { db, schema };
}

// One in-memory PGlite per test worker process: starting one costs seconds (WASM
// compile, initdb), and with isolate: false the files of a worker share this module.
// Files run one at a time in a worker, and each empties the tables before every test.
let sharedPglite: Promise<PGlite> | undefined;

/** The worker's shared in-memory PGlite (never closed; it ends with the worker). */
export function sharedPgliteInstance(): Promise<PGlite> {
  sharedPglite ??= (async () => {
    const pglite = new PGlite("memory://");
    await pglite.waitReady;
    return pglite;
  })();
  return sharedPglite;
}

/**
 * Runs `suite` once per database (a contract suite): PGlite shared by the worker's files,
 * PostgreSQL in a fresh schema per file; emptied before each test, the clock reset to T0.
 */
export function describeEachDatabase(title: string, suite: (t: TestDb, kind: "pglite" | "postgres") => void): void {
  for (const kind of ["pglite", "postgres"] as const) {
    const skip = kind === "postgres" && postgresSkipReason !== null;
    describe.skipIf(skip)(`${title} [${kind}]`, () => {
      const t = { clock: new ManualClock(T0) } as TestDb;
      // The database keeps this clock; each test gets a fresh ManualClock behind it.
      const clock: Clock = { now: () => t.clock.now() };
      let schema: string | undefined;
      beforeAll(async () => {
        if (kind === "pglite") {
          t.db = await createDb({ kind: "pglite-instance", pglite: await sharedPgliteInstance(), clock });
        } else {
          const opened = await openPostgres(clock);
          t.db = opened.db;
          schema = opened.schema;
        }
      }, 60_000);
      afterAll(async () => {
        await t.db?.close();
        if (schema !== undefined && postgresUrl !== undefined) await dropSchema(postgresUrl, schema);
      });
      beforeEach(async () => {
        t.clock = new ManualClock(T0);
        await truncateAll(t.db);
      });
      suite(t, kind);
    });
  }
}
