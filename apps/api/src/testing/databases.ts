/**
 * Test databases: in-memory PGlite always; PostgreSQL at TEST_DATABASE_URL (each suite in a
 * fresh schema, dropped afterwards), which the vitest globalSetup sets to a PostgreSQL 18 it
 * starts when unset. Unreachable PostgreSQL is skipped with a message locally and fails the
 * run when CI=true.
 */
import type { Clock } from "@autonome/core";
import { type Db, createDb } from "@autonome/db";
import { testSql } from "@autonome/db/testing";

/** The PostgreSQL URL of the tests, if any. */
export const postgresUrl: string | undefined = process.env.TEST_DATABASE_URL?.trim() || undefined;

async function probe(url: string): Promise<string | null> {
  let db: Db | undefined;
  try {
    db = await createDb({ kind: "postgres", url, migrate: false, maxConnections: 1 });
    await testSql(db).query("SELECT 1");
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

/** Why PostgreSQL tests are skipped, or null when they run; throws under CI=true when PostgreSQL is unusable. */
export async function postgresSkipReason(): Promise<string | null> {
  const problem = postgresUrl === undefined ? "TEST_DATABASE_URL is not set" : await probe(postgresUrl);
  if (problem === null) return null;
  if (process.env.CI === "true") throw new Error(`CI=true but PostgreSQL is not usable: ${problem}`);
  const reason = `skipping PostgreSQL tests: ${problem}`;
  console.warn(reason);
  return reason;
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
