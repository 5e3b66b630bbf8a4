/**
 * The api under bench, in its own process so the load generator does not share its event
 * loop: opens the bench schema and prints `listening <url>`. BENCH_EVENT_INTERVAL_MS, when
 * set, publishes a `tickFinished` event at that interval (what a worker does after each
 * tick), so every cached read is dropped and recomputed as in production.
 */
import { ArenaEventBus } from "@autonome/core";
import { createDb } from "@autonome/db";
import { createApiServer } from "../src/server.js";

const url = process.env.BENCH_DATABASE_URL;
const schema = process.env.BENCH_SCHEMA;
if (!url || !schema) throw new Error("BENCH_DATABASE_URL and BENCH_SCHEMA are required");
const db = await createDb({ kind: "postgres", url, schema, maxConnections: 10, migrate: false });
const events = new ArenaEventBus();
const api = createApiServer({ db, events, staticDir: null });
const { url: base } = await api.listen({ port: 0, host: "127.0.0.1" });
const intervalMs = Number(process.env.BENCH_EVENT_INTERVAL_MS ?? 0);
let tick = 0;
const ticker = intervalMs > 0 ? setInterval(() => events.publish("tickFinished", { tick: ++tick, durationMs: 0, succeeded: [], failed: [], timedOut: [] }, Date.now()), intervalMs) : undefined;
console.log(`listening ${base}`);
const stop = async () => {
  clearInterval(ticker);
  await api.close();
  await db.close();
  process.exit(0);
};
const onSignal = () => {
  stop().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
};
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);
