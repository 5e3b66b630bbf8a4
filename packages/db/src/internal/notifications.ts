/**
 * PostgreSQL LISTEN/NOTIFY over the two drivers. NOTIFY goes through any connection;
 * LISTEN needs a connection of its own on a server (a pooled one would be returned to
 * the pool and lose its subscription), and PGlite delivers notifications in process.
 */
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/** Sends and receives notifications on named channels. */
export interface NotificationTransport {
  /** The prefix-free channel name suffix of this database's schema ("" for the default schema). */
  readonly channelSuffix: string;
  /** Sends `payload` on `channel` (pg_notify). */
  notify(channel: string, payload: string): Promise<void>;
  /** Subscribes to `channel`; resolves once subscribed, to the function that unsubscribes. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
}

/** Notifications of an embedded PGlite instance (in process). */
export function pgliteNotifications(pglite: PGlite): NotificationTransport {
  return {
    channelSuffix: "",
    async notify(channel, payload) {
      await pglite.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    async listen(channel, onPayload) {
      const unlisten = await pglite.listen(channel, onPayload);
      return async () => {
        await unlisten();
      };
    },
  };
}

/** Notifications of a PostgreSQL server: NOTIFY through the pool, LISTEN on one dedicated client per subscription. */
export function postgresNotifications(pool: pg.Pool, connectionString: string, schema: string | undefined): NotificationTransport {
  return {
    // Notifications are database-wide; a schema (tests, several arenas in one database) gets channels of its own.
    channelSuffix: schema === undefined ? "" : `_${schema}`,
    async notify(channel, payload) {
      await pool.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    async listen(channel, onPayload) {
      const client = new pg.Client({ connectionString });
      client.on("error", () => undefined);
      await client.connect();
      client.on("notification", (message) => {
        if (message.channel === channel && message.payload !== undefined) onPayload(message.payload);
      });
      await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      return async () => {
        await client.query(`UNLISTEN "${channel.replaceAll('"', '""')}"`).catch(() => undefined);
        await client.end().catch(() => undefined);
      };
    },
  };
}
