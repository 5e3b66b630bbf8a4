/** Migration sessions over the two drivers: a pg client (PostgreSQL) and a PGlite instance. */
import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";
import type { MigrationSession, SqlConnection } from "../migrator.js";

function pgliteConnection(db: PGlite | Transaction): SqlConnection {
  return {
    async query(sql, params) {
      const result = await db.query<Record<string, unknown>>(sql, params);
      return result.rows;
    },
    async exec(sql) {
      await db.exec(sql);
    },
  };
}

/** A migration session on PGlite; its transactions hold PGlite's lock, so no other query interleaves. */
export function pgliteSession(db: PGlite): MigrationSession {
  return {
    ...pgliteConnection(db),
    transaction: (fn) => db.transaction((tx) => fn(pgliteConnection(tx))),
  };
}

/** A migration session on one checked-out pg client (BEGIN/COMMIT on that client). */
export function pgClientSession(client: pg.ClientBase): MigrationSession {
  const connection: SqlConnection = {
    async query(sql, params) {
      const result = await client.query<Record<string, unknown>>(sql, params);
      return result.rows;
    },
    async exec(sql) {
      await client.query(sql);
    },
  };
  return {
    ...connection,
    async transaction(fn) {
      await client.query("BEGIN");
      try {
        const value = await fn(connection);
        await client.query("COMMIT");
        return value;
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    },
  };
}
