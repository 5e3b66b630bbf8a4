/**
 * Raw SQL for test and benchmark set-up, published as `@autonome/db/testing`: seeding in
 * bulk, emptying tables between tests, dropping a test schema. Product code never uses it;
 * what product code reads or writes is a repository method.
 */
import type { Db } from "../db.js";
import { internalsOf } from "../internal/db-internals.js";

/** Raw SQL on the database (and schema) a Db was opened on. */
export interface TestSql {
  /** Runs one statement that returns no rows; resolves with the number of rows it affected. */
  execute(sql: string): Promise<number>;
  /** Runs one query and returns its rows (int8 columns such as count(*) come back as bigint). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

/** Raw SQL on `db`, for test and benchmark set-up only. */
export function testSql(db: Db): TestSql {
  const { prisma } = internalsOf(db);
  return {
    execute: (sql) => prisma.$executeRawUnsafe(sql),
    query: <T>(sql: string) => prisma.$queryRawUnsafe<T[]>(sql),
  };
}

/** Empties every table of the database's schema but the migrations' bookkeeping (`_prisma_migrations`), in one TRUNCATE. */
export async function truncateAllTables(db: Db): Promise<void> {
  const sql = testSql(db);
  const tables = await sql.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`,
  );
  if (tables.length > 0) await sql.execute(`TRUNCATE ${tables.map((t) => `"${t.name}"`).join(", ")} CASCADE`);
}
