/**
 * Load bench: 1,000,000 Orders rows in PostgreSQL (TEST_DATABASE_URL or DATABASE_URL),
 * then autocannon at 200 requests/s against the leaderboard and the positions, each on
 * its own. The api runs standalone in a child process (no live market: positions are
 * marked at the last known prices, the slower path) with its default 10 s read cache
 * (stale-while-revalidate); autocannon runs here. The last line is the summary a script reads.
 *
 *   pnpm --filter @autonome/api bench   (BENCH_DURATION_S, default 20)
 */
import { emptyExitPlan, exitPlanToJson } from "@autonome/core";
import { createDb } from "@autonome/db";
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const url = process.env.TEST_DATABASE_URL?.trim() || process.env.DATABASE_URL?.trim();
if (!url) {
  console.error("set TEST_DATABASE_URL to a PostgreSQL database the bench may fill (schema api_bench)");
  process.exit(1);
}
const ORDERS = 1_000_000;
const MODELS = 20;
const SYMBOLS = ["BTC", "ETH", "SOL", "BNB", "DOGE", "XRP"];
const OPEN = MODELS * SYMBOLS.length;
const RATE = 200;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20);
const SCHEMA = "api_bench";

const started = Date.now();
const setup = await createDb({ kind: "postgres", url, migrate: false, maxConnections: 1 });
await setup.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
await setup.close();
const db = await createDb({ kind: "postgres", url, schema: SCHEMA, maxConnections: 10 });
try {
  for (let i = 0; i < MODELS; i++) await db.models.create({ name: `model-${String(i).padStart(2, "0")}`, provider: "rule", modelName: "bench" });
  const plan = JSON.stringify(exitPlanToJson(emptyExitPlan()));
  const symbols = `ARRAY[${SYMBOLS.map((s) => `'${s}'`).join(",")}]`;
  // Closed trades: one every 5 s going back ~58 days, spread over models and symbols.
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO orders (id, model_id, symbol, side, quantity, leverage, entry_price, exit_plan, status, exit_price, realized_pnl, fees, opened_at, closed_at, updated_at)
    SELECT gen_random_uuid(), m.ids[1 + (g % m.n)], (${symbols})[1 + ((g / 7) % 6)],
           CASE WHEN g % 2 = 0 THEN 'LONG'::"Side" ELSE 'SHORT'::"Side" END,
           0.01 + (g % 100) * 0.001, 5, 100 + (g % 1000), '${plan}'::jsonb, 'CLOSED',
           100 + (g % 1000) + ((g * 37) % 21 - 10), ((g * 37) % 21 - 10), 0.05,
           now() - g * interval '5 seconds' - interval '2 hours', now() - g * interval '5 seconds', now()
    FROM generate_series(1, ${ORDERS - OPEN}) AS g,
         (SELECT array_agg(id ORDER BY name) AS ids, count(*)::int AS n FROM models) AS m`);
  // Open positions: one per model and symbol.
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO orders (id, model_id, symbol, side, quantity, leverage, entry_price, exit_plan, status, fees, opened_at, updated_at)
    SELECT gen_random_uuid(), m.id, s, 'LONG', 0.1, 3, 100, '${plan}'::jsonb, 'OPEN', 0.05, now() - interval '1 hour', now()
    FROM models AS m, unnest(${symbols}) AS s`);
  // Equity: 5-minute snapshots for 7 days, then hourly to 30 days (what thinning keeps).
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO portfolio_snapshots (id, model_id, at, total, available, unrealized_pnl)
    SELECT gen_random_uuid(), m.id, t, 10000 + (extract(epoch FROM t)::bigint % 997) - 498, 5000, 0
    FROM models AS m,
         (SELECT generate_series(date_trunc('minute', now()) - interval '7 days', now(), interval '5 minutes') AS t
          UNION ALL
          SELECT generate_series(date_trunc('hour', now()) - interval '30 days', now() - interval '7 days 1 hour', interval '1 hour')) AS times`);
  await db.prisma.$executeRawUnsafe("ANALYZE");
  const counts = await db.prisma.$queryRawUnsafe<{ orders: bigint; snapshots: bigint }[]>(
    "SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM portfolio_snapshots) AS snapshots",
  );
  console.log(`seeded ${counts[0]!.orders} orders (${OPEN} open) and ${counts[0]!.snapshots} snapshots for ${MODELS} models in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const server = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./serve.ts", import.meta.url))], {
    env: { ...process.env, BENCH_DATABASE_URL: url, BENCH_SCHEMA: SCHEMA },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    server.once("exit", (code) => reject(new Error(`api process exited with ${code}`)));
  });
  const p99: Record<string, number> = {};
  try {
    for (const [name, path] of [
      ["leaderboard", "/api/leaderboard?window=7d"],
      ["positions", "/api/positions"],
      // The machine's floor: a cached read of 20 models, nearly no work per request.
      ["floor (cached /api/models)", "/api/models"],
    ] as const) {
      const cold = Date.now();
      const first = await fetch(base + path);
      if (!first.ok) throw new Error(`${path} answered ${first.status}: ${await first.text()}`);
      await first.arrayBuffer();
      console.log(`${name}: first (uncached) request ${Date.now() - cold} ms`);
      const result = await autocannon({ url: base + path, connections: 20, overallRate: RATE, duration: DURATION_S, timeout: 10 });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      console.log(
        `${name}: ${result.requests.total} requests in ${result.duration} s, latency p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
      );
      p99[name] = result.latency.p99;
    }
  } finally {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  console.log(`api at ${RATE} req/s: leaderboard p99 ${p99.leaderboard} ms, positions p99 ${p99.positions} ms`);
} finally {
  // BENCH_KEEP=1 leaves the data for EXPLAIN ANALYZE.
  if (process.env.BENCH_KEEP !== "1") await db.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => undefined);
  await db.close();
}
