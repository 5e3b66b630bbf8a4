/**
 * Our migrator, because `prisma migrate` needs a native engine that cannot be had
 * everywhere. It applies prisma/migrations/<name>/migration.sql in name order, each
 * in its own transaction together with its bookkeeping row, and records them in
 * Prisma's own `_prisma_migrations` table with Prisma's checksum (sha256 of the file),
 * so `prisma migrate deploy` and `prisma migrate status` agree with it.
 *
 * Invariants: it refuses to run when an applied migration's file changed, when the
 * database has a migration this code does not know, or when a migration is recorded
 * as started but unfinished. Concurrent migrators (several processes starting at
 * once) serialize on a PostgreSQL advisory lock keyed by the current schema.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { MigrationError } from "./errors.js";

/** One migration: its directory name (sortable, timestamp first) and its SQL. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

/** What a migration run did. */
export interface MigrationResult {
  /** Names applied by this run, in order. */
  applied: string[];
  /** How many were applied before this run. */
  alreadyApplied: number;
}

/** A queryable connection: parameterised single statements and multi-statement scripts. */
export interface SqlConnection {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  exec(sql: string): Promise<void>;
}

/** A database session the migrator can run transactions on (one connection throughout). */
export interface MigrationSession extends SqlConnection {
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T>;
}

/** The sha256 hex of a migration's SQL: the checksum Prisma records too. */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/** Reads migrations in Prisma's layout (<dir>/<name>/migration.sql), sorted by name. */
export function readMigrationsDir(dir: string): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name, "migration.sql"), "utf8") }));
}

// Prisma's own definition of its bookkeeping table, so its CLI can read ours.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

// Two int4 keys: a constant for "autonome migrations" and the schema, so tests that
// migrate different schemas of one database do not wait on each other.
const LOCK_KEY = 0x4155_544f; // "AUTO"
const LOCK = `SELECT pg_advisory_lock(${LOCK_KEY}, hashtext(current_schema()))`;
const UNLOCK = `SELECT pg_advisory_unlock(${LOCK_KEY}, hashtext(current_schema()))`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
}

/**
 * Applies the pending migrations in order, each in its own transaction.
 * Throws MigrationError (and applies nothing) when the recorded history disagrees
 * with `migrations`; a failing migration is rolled back and stops the run.
 */
export async function runMigrations(session: MigrationSession, migrations: readonly Migration[]): Promise<MigrationResult> {
  const names = migrations.map((m) => m.name);
  if (new Set(names).size !== names.length) throw new MigrationError("SQL_ERROR", "(list)", "duplicate migration names");
  const sorted = [...migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  await session.query(LOCK);
  try {
    await session.exec(CREATE_MIGRATIONS_TABLE);
    const rows = (await session.query(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name`,
    )) as unknown as AppliedRow[];
    const known = new Map(sorted.map((m) => [m.name, m]));
    const applied = new Set<string>();
    for (const row of rows) {
      if (row.finished_at === null) {
        throw new MigrationError("INCOMPLETE_MIGRATION", row.migration_name, "is recorded as started but not finished; resolve it before migrating");
      }
      const migration = known.get(row.migration_name);
      if (migration === undefined) {
        throw new MigrationError("UNKNOWN_MIGRATION", row.migration_name, "is applied in the database but unknown to this code (is the code older than the database?)");
      }
      const checksum = migrationChecksum(migration.sql);
      if (checksum !== row.checksum) {
        throw new MigrationError(
          "CHECKSUM_MISMATCH",
          row.migration_name,
          `was modified after it was applied (recorded checksum ${row.checksum}, file ${checksum}); add a new migration instead`,
        );
      }
      applied.add(row.migration_name);
    }

    const done: string[] = [];
    for (const migration of sorted) {
      if (applied.has(migration.name)) continue;
      try {
        await session.transaction(async (tx) => {
          await tx.exec(migration.sql);
          await tx.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
             VALUES ($1, $2, $3, now(), now(), 1)`,
            [globalThis.crypto.randomUUID(), migrationChecksum(migration.sql), migration.name],
          );
        });
      } catch (error) {
        throw new MigrationError("SQL_ERROR", migration.name, `failed and was rolled back: ${(error as Error).message}`, { cause: error });
      }
      done.push(migration.name);
    }
    return { applied: done, alreadyApplied: applied.size };
  } finally {
    await session.query(UNLOCK);
  }
}
