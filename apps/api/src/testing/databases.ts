/**
 * Test databases: in-memory PGlite always; PostgreSQL at TEST_DATABASE_URL (each suite in a
 * fresh schema, dropped afterwards), which the vitest globalSetup sets to a PostgreSQL 18 it
 * starts when unset. Unreachable PostgreSQL is skipped with a message locally and fails the
 * run when CI=true.
 */
import type { Clock } from "@autonome/core";
import { type Db, createDb } from "@autonome/db";
import { testDatabaseUrl, testPostgresSkipReason, testSql } from "@autonome/db/testing";

/** The PostgreSQL URL of the tests, if any. */
export const postgresUrl: string | undefined = testDatabaseUrl();

/** Why PostgreSQL tests are skipped, or null when they run; throws under CI=true when PostgreSQL is unusable. */
export function postgresSkipReason(): Promise<string | null> {
  return testPostgresSkipReason("PostgreSQL tests");
}

/** Opens a migrated database of the kind; `dispose` closes it (and drops its schema). */
export async function openTestDb(kind: "pglite" | "postgres", clock: Clock): Promise<{ db: Db; dispose: () => Promise<void> }> {
  if (kind === "pglite") {
    const db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
    return { db, dispose: () => db.close() };
  }
  if (postgresUrl === undefined) throw new Error("no TEST_DATABASE_URL");
  const schema = `api_test_${globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const db = await createDb({ kind: "postgres", url: postgresUrl, schema, clock, maxConnections: 4 });
  return {
    db,
    async dispose() {
      await testSql(db).execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    },
  };
}
