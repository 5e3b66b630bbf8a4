/**
 * The bench's trading worker, in its own process as in a deployment: every
 * BENCH_EVENT_INTERVAL_MS it writes what a worker writes and announces it over PostgreSQL
 * LISTEN/NOTIFY (createEventChannel, the worker's own transport), in turn a position opened
 * and closed in Orders (`positionClosed`), a portfolio snapshot (`portfolioSnapshotted`) and
 * a `tickFinished`; BENCH_EVENTS=tick publishes only `tickFinished`. The api process
 * (serve.ts) hears them as a standalone api does, so the writes' own CPU (Prisma, pg) is not
 * spent on the api's event loop.
 */
import { ArenaEventBus, emptyExitPlan } from "@autonome/core";
import { createDb, createEventChannel } from "@autonome/db";
import { onStopSignals } from "./stop-signals.js";

const url = process.env.BENCH_DATABASE_URL;
const schema = process.env.BENCH_SCHEMA;
if (!url || !schema) throw new Error("BENCH_DATABASE_URL and BENCH_SCHEMA are required");
const intervalMs = Number(process.env.BENCH_EVENT_INTERVAL_MS ?? 0);
if (!(intervalMs > 0)) throw new Error("BENCH_EVENT_INTERVAL_MS must be positive");
const trading = process.env.BENCH_EVENTS === "trading";
const db = await createDb({ kind: "postgres", url, schema, maxConnections: 2, migrate: false });
const channel = createEventChannel(db);
const events = new ArenaEventBus();
events.onAny((event) => {
  channel.publish(event).catch((error: unknown) => console.error("bench event not sent", error));
});
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
    const opened = await db.orders.openPosition({ modelId: model.id, symbol: "ADA", side: "LONG", quantity: "0.01", leverage: "2", entryPrice: "100", entryFee: "0.01", exitPlan: emptyExitPlan() });
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

const ticker = setInterval(() => {
  if (busy) return;
  busy = true;
  publishNext()
    .catch((error: unknown) => console.error("bench event failed", error))
    .finally(() => {
      busy = false;
    });
}, intervalMs);
console.log("writing");
onStopSignals(async () => {
  clearInterval(ticker);
  await channel.close();
  await db.close();
});
