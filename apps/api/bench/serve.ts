/**
 * The api under bench, in its own process so the load generator does not share its event
 * loop: opens the bench schema, waits for its read model (one pass over the Orders) and
 * prints `ready <ms>` then `listening <url>`. It hears arena events as a standalone api
 * does, over PostgreSQL LISTEN/NOTIFY (createEventChannel).
 *
 * BENCH_EVENT_INTERVAL_MS, when set, starts bench/writer.ts beside it: a process that
 * writes and announces an event at that interval, as a worker would (BENCH_EVENTS=tick, the
 * default, only `tickFinished`; BENCH_EVENTS=trading a trade, a snapshot and a tick in turn).
 * BENCH_RESPONSE_CACHE_MS sets the answer cache (0: every request builds its answer).
 */
import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createDb, createEventChannel } from "@autonome/db";
import { createApiServer } from "../src/server.js";
import { onStopSignals } from "./stop-signals.js";

const url = process.env.BENCH_DATABASE_URL;
const schema = process.env.BENCH_SCHEMA;
if (!url || !schema) throw new Error("BENCH_DATABASE_URL and BENCH_SCHEMA are required");
const db = await createDb({ kind: "postgres", url, schema, maxConnections: 10, migrate: false });
const responseCacheMs = process.env.BENCH_RESPONSE_CACHE_MS === undefined ? undefined : Number(process.env.BENCH_RESPONSE_CACHE_MS);
const api = createApiServer({ db, eventChannel: createEventChannel(db), staticDir: null, ...(responseCacheMs === undefined ? {} : { responseCacheMs }) });
const built = Date.now();
await api.ledger.ready();
(globalThis as { gc?: () => void }).gc?.();
const heap = process.memoryUsage();
console.error(`api read model built: heap ${Math.round(heap.heapUsed / 2 ** 20)} MB, RSS ${Math.round(heap.rss / 2 ** 20)} MB`);
console.log(`ready ${Date.now() - built}`);
const { url: base } = await api.listen({ port: 0, host: "127.0.0.1" });
const intervalMs = Number(process.env.BENCH_EVENT_INTERVAL_MS ?? 0);
const writer =
  intervalMs > 0
    ? spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("writer.ts", import.meta.url))], { env: process.env, stdio: ["ignore", "ignore", "inherit"] })
    : undefined;
console.log(`listening ${base}`);
// The api's event-loop delay over its life (what every request behind a long task waits), printed at exit.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
onStopSignals(async () => {
  loopDelay.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  console.error(`api event-loop delay: p50 ${ms(loopDelay.percentile(50))} ms, p99 ${ms(loopDelay.percentile(99))} ms, p99.9 ${ms(loopDelay.percentile(99.9))} ms, max ${ms(loopDelay.max)} ms`);
  if (writer !== undefined && writer.exitCode === null) {
    const exited = new Promise((resolve) => writer.once("exit", resolve));
    writer.kill("SIGTERM");
    await exited;
  }
  await api.close();
  await db.close();
});
