/**
 * The PostgreSQL that tests run on: TEST_DATABASE_URL (the vitest globalSetup sets it to
 * a PostgreSQL 18 it starts from npm when unset). One probe for every package's tests,
 * published as part of `@autonome/db/testing`.
 */
import pg from "pg";

/** TEST_DATABASE_URL, trimmed; undefined when unset or empty. */
export function testDatabaseUrl(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  return env.TEST_DATABASE_URL?.trim() || undefined;
}

/** Why `url` cannot be used (connect and `SELECT 1`), or null when it can. */
export async function postgresProblem(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  // A server that drops the connection after connect emits "error" on the client: not a crash.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Why the tests named `what` skip for want of PostgreSQL, or null when TEST_DATABASE_URL
 * answers. Under CI=true an unusable PostgreSQL throws instead; otherwise the reason is
 * printed once as a warning.
 */
export async function testPostgresSkipReason(what: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<string | null> {
  const url = testDatabaseUrl(env);
  const problem = url === undefined ? "TEST_DATABASE_URL is not set" : await postgresProblem(url);
  if (problem === null) return null;
  if (env.CI === "true") throw new Error(`CI=true but PostgreSQL is not usable: ${problem}`);
  const reason = `skipping ${what}: ${problem}`;
  console.warn(reason);
  return reason;
}
