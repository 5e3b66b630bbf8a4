/**
 * The api under bench, in its own process so the load generator does not share its event
 * loop: opens the bench schema, waits for its read model (one pass over the Orders) and
 * prints `ready <ms>` then `listening <url>`.
 *
 * BENCH_EVENT_INTERVAL_MS, when set, makes the api hear an event at that interval, as a
 * worker would publish it. BENCH_EVENTS=tick (the default) publishes `tickFinished`;
 * BENCH_EVENTS=trading cycles through real trading: a position opened and closed in the
 * Orders table (`positionClosed`), a portfolio snapshot written (`portfolioSnapshotted`)
 * and a `tickFinished`, each written to the database before it is announced.
 * BENCH_RESPONSE_CACHE_MS sets the answer cache (0: every request builds its answer).
 */
import { ArenaEventBus, emptyExitPlan } from "@autonome/core";
import { createDb } from "@autonome/db";
import { createApiServer } from "../src/server.js";

const url = process.env.BENCH_DATABASE_URL;
const schema = process.env.BENCH_SCHEMA;
if (!url || !schema) throw new Error("BENCH_DATABASE_URL and BENCH_SCHEMA are required");
const db = await createDb({ kind: "postgres", url, schema, maxConnections: 10, migrate: false });
const events = new ArenaEventBus();
const responseCacheMs = process.env.BENCH_RESPONSE_CACHE_MS === undefined ? undefined : Number(process.env.BENCH_RESPONSE_CACHE_MS);
const api = createApiServer({ db, events, staticDir: null, ...(responseCacheMs === undefined ? {} : { responseCacheMs }) });
const built = Date.now();
await api.ledger.ready();
console.log(`ready ${Date.now() - built}`);
const { url: base } = await api.listen({ port: 0, host: "127.0.0.1" });
const intervalMs = Number(process.env.BENCH_EVENT_INTERVAL_MS ?? 0);
const trading = process.env.BENCH_EVENTS === "trading";
const models = await db.models.list();
let tick = 0;
let busy = false;

/** One event as a worker would publish it, after writing what it announces. */
async function publishNext(): Promise<void> {
  tick++;
  if (!trading || tick % 3 === 0) {
    events.publish("tickFinished", { tick, durationMs: 0, succeeded: models.map((m) => m.id), failed: [], timedOut: [] }, Date.now());
    return;
  }
  const model = models[tick % models.length]!;
  if (tick % 3 === 1) {
    const plan = emptyExitPlan();
    const opened = await db.orders.openPosition({ modelId: model.id, symbol: "ADA", side: "LONG", quantity: "0.01", leverage: "2", entryPrice: "100", entryFee: "0.01", exitPlan: plan });
    const closed = await db.orders.closePosition({ orderId: opened.orderId, exitPrice: String(99 + (tick % 3)), closeTrigger: null, exitFee: "0.01" });
    events.publish(
      "positionClosed",
      { modelId: model.id, orderId: opened.orderId, symbol: "ADA", side: "LONG", quantity: "0.01", entryPrice: "100", exitPrice: closed.exitPrice.toString(), realizedPnl: closed.realizedPnl.toString(), closeTrigger: null },
      Date.now(),
    );
  } else {
    const total = String(10_000 + (tick % 50));
    await db.portfolio.record({ modelId: model.id, total, available: "5000", unrealizedPnl: "0" });
    events.publish("portfolioSnapshotted", { modelId: model.id, total, available: "5000", unrealizedPnl: "0" }, Date.now());
  }
}

const ticker =
  intervalMs > 0
    ? setInterval(() => {
        if (busy) return;
        busy = true;
        publishNext()
          .catch((error: unknown) => console.error("bench event failed", error))
          .finally(() => {
            busy = false;
          });
      }, intervalMs)
    : undefined;
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
