/**
 * Latency of the repository calls a tick makes, on embedded PGlite and (when
 * TEST_DATABASE_URL or DATABASE_URL is set) PostgreSQL in a throw-away schema.
 * Run: pnpm --filter @autonome/db bench. Prints median and p99 in ms per operation.
 */
import { performance } from "node:perf_hooks";
import { emptyExitPlan } from "@autonome/core";
import pg from "pg";
import { type Db, createDb } from "../src/index.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 300);

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `${at(0.5).toFixed(2)} / ${at(0.99).toFixed(2)}`;
}

async function time(samples: number[], fn: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  await fn();
  samples.push(performance.now() - start);
}

async function bench(name: string, db: Db): Promise<void> {
  const model = await db.models.upsert({ name: `bench-${Date.now()}`, provider: "bench", modelName: "bench" });
  const open: number[] = [];
  const close: number[] = [];
  const list: number[] = [];
  const snapshot: number[] = [];
  const leaderboard: number[] = [];
  // Keep 5 positions open, like a busy model, while opening and closing another.
  for (let i = 0; i < 5; i++) {
    await db.orders.openPosition({ modelId: model.id, symbol: `HOLD${i}`, side: "LONG", quantity: "1", leverage: "2", entryPrice: "100", exitPlan: emptyExitPlan() });
  }
  for (let i = 0; i < RUNS; i++) {
    let orderId = "";
    await time(open, async () => {
      orderId = (
        await db.orders.openPosition({ modelId: model.id, symbol: "BTC", side: "LONG", quantity: "0.01", leverage: "5", entryPrice: "97000.5", exitPlan: emptyExitPlan() })
      ).orderId;
    });
    await time(list, () => db.orders.openOrdersOfModel(model.id));
    await time(close, () => db.orders.closePosition({ orderId, exitPrice: "97100", closeTrigger: null, exitFee: "0.05" }));
    await time(snapshot, () => db.portfolio.record({ modelId: model.id, total: "10000.5", available: "9000", unrealizedPnl: "1.25", at: 1_700_000_000_000 + i }));
    if (i % 10 === 0) await time(leaderboard, () => db.leaderboard.inputs());
  }
  console.log(`\n${name} (${RUNS} runs, median / p99 ms)`);
  console.log(`| openPosition | ${stats(open)} |`);
  console.log(`| closePosition | ${stats(close)} |`);
  console.log(`| openOrdersOfModel (6 open) | ${stats(list)} |`);
  console.log(`| portfolio.record | ${stats(snapshot)} |`);
  console.log(`| leaderboard.inputs (${RUNS} trades) | ${stats(leaderboard)} |`);
}

let start = performance.now();
const pglite = await createDb({ kind: "pglite", dataDir: "memory://" });
console.log(`PGlite in memory: created and migrated in ${(performance.now() - start).toFixed(0)} ms`);
await bench("PGlite (pglite-prisma-adapter)", pglite);
await pglite.close();

const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
if (url) {
  const schema = `bench_${process.pid}`;
  start = performance.now();
  const postgres = await createDb({ kind: "postgres", url, schema });
  console.log(`\nPostgreSQL: connected and migrated in ${(performance.now() - start).toFixed(0)} ms`);
  try {
    await bench("PostgreSQL (adapter-pg)", postgres);
  } finally {
    await postgres.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
} else {
  console.log("\nPostgreSQL skipped: set TEST_DATABASE_URL to bench it");
}
