/**
 * The season's own PostgreSQL when no DATABASE_URL is set: @autonome/db's embedded
 * PostgreSQL (the starter the tests use too) in a data directory that persists, so a
 * stopped season resumes, durability on (this data is a season's record). PGlite, the
 * worker's embedded database, is one process's database; a season's workers are several
 * processes sharing one job queue, which needs a server.
 */
import { AutonomeError } from "@autonome/core";
import { type EmbeddedPostgres, startEmbeddedPostgres as startServer } from "@autonome/db/embedded-postgres";

export type { EmbeddedPostgres };

/** The embedded PostgreSQL could not be started. */
export class EmbeddedPostgresError extends AutonomeError {
  readonly code = "EMBEDDED_POSTGRES";
}

/** Starts (initialising on first use) the PostgreSQL in `dataDir`; `log` gets one line when it is up. */
export async function startEmbeddedPostgres(dataDir: string, log: (line: string) => void = () => undefined): Promise<EmbeddedPostgres> {
  try {
    return await startServer({ database: "autonome_season", dataDir, durable: true, log: (line) => log(`season database: ${line}`) });
  } catch (error) {
    throw new EmbeddedPostgresError(`${error instanceof Error ? error.message : String(error)}; or set DATABASE_URL`);
  }
}
