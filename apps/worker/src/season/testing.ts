/**
 * For the season tests: a database of a test file's own in the server of
 * TEST_DATABASE_URL, so its queue and seasons meet no other test file's.
 */
import { testDatabaseUrl } from "@autonome/db/testing";
import pg from "pg";

/** A database made for one test file; `drop()` removes it (and ends its connections). */
export interface SeasonTestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(query: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return await query(client);
  } finally {
    await client.end();
  }
}

/** Creates `autonome_<prefix>_<pid>_<time>` in the test server. */
export async function createSeasonTestDatabase(prefix: string): Promise<SeasonTestDatabase> {
  const database = `autonome_${prefix}_${process.pid}_${Date.now().toString(36)}`;
  await admin((client) => client.query(`CREATE DATABASE ${database}`));
  const parsed = new URL(testDatabaseUrl()!);
  parsed.pathname = `/${database}`;
  return { url: parsed.toString(), drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).then(() => undefined) };
}
