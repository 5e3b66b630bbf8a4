/**
 * The api under bench, in its own process so autocannon does not share its event loop:
 * opens the bench schema and prints `listening <url>`.
 */
import { createDb } from "@autonome/db";
import { createApiServer } from "../src/server.js";

const url = process.env.BENCH_DATABASE_URL;
const schema = process.env.BENCH_SCHEMA;
if (!url || !schema) throw new Error("BENCH_DATABASE_URL and BENCH_SCHEMA are required");
const db = await createDb({ kind: "postgres", url, schema, maxConnections: 10, migrate: false });
const api = createApiServer({ db, staticDir: null });
const { url: base } = await api.listen({ port: 0, host: "127.0.0.1" });
console.log(`listening ${base}`);
const stop = async () => {
  await api.close();
  await db.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
