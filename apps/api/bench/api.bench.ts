/**
 * Load bench: 1,000,000 Orders rows in PostgreSQL (TEST_DATABASE_URL or DATABASE_URL),
 * then 200 requests/s against the leaderboard and the positions, each on its own; then
 * 1,000 requests/s while the api hears a real trading event every second (a trade closed,
 * a snapshot written, a tick finished, in turn); then the leaderboard with no answer cache,
 * request after request (what each request would cost without it). Three
 * processes: this one (seeding, orchestration), the api (serve.ts: standalone, no live
 * market, so positions are marked at the last known prices, with its default caches) and
 * the load generator (load.ts: a constant-rate schedule, latency measured from each
 * request's scheduled send time, so no coordinated omission). The last line is the
 * summary a script reads; the generator and its settings are printed above it.
 *
 *   pnpm --filter @autonome/api bench
 *
 * BENCH_DURATION_S (60, long enough to include one periodic reload of the leaderboard)
 * measured seconds per route after BENCH_WARMUP_S (2) of warm-up at the same rate;
 * BENCH_CONNECTIONS (20) keep-alive connections; BENCH_REUSE=1 keeps the seeded schema and
 * reuses it next time; BENCH_WRK=1 adds a closed-loop cross-check with wrk (Debian's
 * package) and BENCH_AUTOCANNON=1 one with autocannon's -R (see the README for why its tail
 * is the generator's); BENCH_EVENT_INTERVAL_MS makes the api hear a trading event at that
 * interval (serve.ts); BENCH_KEEP=1 leaves the data for EXPLAIN ANALYZE.
 */
import { emptyExitPlan, exitPlanToJson } from "@autonome/core";
import { createDb } from "@autonome/db";
import { testSql } from "@autonome/db/testing";
import autocannon from "autocannon";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

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
/** The second phase: this rate with one trading event a second. */
const BUSY_RATE = Number(process.env.BENCH_BUSY_RATE ?? 1000);
/** Sequential requests of the uncached leaderboard. */
const UNCACHED_REQUESTS = 200;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const REUSE = process.env.BENCH_REUSE === "1";
const SCHEMA = "api_bench";
const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const run = promisify(execFile);

/** One route's latencies (ms) as the generator reports them. */
interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  durationS: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Runs bench/load.ts in its own process against `url`. */
async function constantRate(url: string, rate = RATE): Promise<LoadResult> {
  // Scripts are named relative to the bench directory (their working directory), so command lines stay short.
  const { stdout } = await run(process.execPath, ["--import", "tsx", "load.ts", url, String(rate), String(DURATION_S), String(CONNECTIONS), String(WARMUP_S)], {
    cwd: BENCH_DIR,
    timeout: (DURATION_S + WARMUP_S + 60) * 1000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as LoadResult;
}

/** wrk, closed loop: one connection waiting 4 ms after each answer (about 200 req/s); null without wrk. */
async function wrkCrossCheck(url: string): Promise<string | null> {
  if (!existsSync("/usr/bin/wrk")) return null;
  const dir = mkdtempSync(join(tmpdir(), "api-bench-"));
  const script = join(dir, "delay.lua");
  writeFileSync(script, "function delay() return 4 end\n");
  const { stdout } = await run("/usr/bin/wrk", ["-t1", "-c1", `-d${DURATION_S}s`, "--latency", "-s", script, url], { timeout: (DURATION_S + 30) * 1000 }).finally(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
  // Each at the start of its own line (a percentage also ends wrk's "+/- Stdev" columns).
  const pick = (label: string) => new RegExp(`^\\s*${label}\\s+(\\S+)`, "m").exec(stdout)?.[1] ?? "?";
  return `${pick("Requests/sec:")} req/s, latency p50 ${pick("50%")}, p90 ${pick("90%")}, p99 ${pick("99%")}`;
}

const started = Date.now();
/** Orders already in the bench schema (BENCH_REUSE=1), 0 when there is none. */
async function existingOrders(): Promise<number> {
  const probe = await createDb({ kind: "postgres", url: url!, migrate: false, maxConnections: 1 });
  try {
    const [row] = await testSql(probe).query<{ present: boolean }>(`SELECT to_regclass('"${SCHEMA}".orders') IS NOT NULL AS present`);
    if (!REUSE || !row!.present) {
      await testSql(probe).execute(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
      return 0;
    }
    const [count] = await testSql(probe).query<{ n: bigint }>(`SELECT count(*) AS n FROM "${SCHEMA}".orders`);
    // A reused schema also holds the trades the event phase wrote.
    if (Number(count!.n) >= ORDERS) return ORDERS;
    await testSql(probe).execute(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    return 0;
  } finally {
    await probe.close();
  }
}
const reused = (await existingOrders()) === ORDERS;
const db = await createDb({ kind: "postgres", url, schema: SCHEMA, maxConnections: 10 });
try {
  if (!reused) {
    for (let i = 0; i < MODELS; i++) await db.models.create({ name: `model-${String(i).padStart(2, "0")}`, provider: "rule", modelName: "bench" });
    const plan = JSON.stringify(exitPlanToJson(emptyExitPlan()));
    const symbols = `ARRAY[${SYMBOLS.map((s) => `'${s}'`).join(",")}]`;
    // Closed trades: one every 5 s going back ~58 days, spread over models and symbols.
    await testSql(db).execute(`
      INSERT INTO orders (id, model_id, symbol, side, quantity, leverage, entry_price, exit_plan, status, exit_price, realized_pnl, fees, opened_at, closed_at, updated_at)
      SELECT gen_random_uuid(), m.ids[1 + (g % m.n)], (${symbols})[1 + ((g / 7) % 6)],
             CASE WHEN g % 2 = 0 THEN 'LONG'::"Side" ELSE 'SHORT'::"Side" END,
             0.01 + (g % 100) * 0.001, 5, 100 + (g % 1000), '${plan}'::jsonb, 'CLOSED',
             100 + (g % 1000) + ((g * 37) % 21 - 10), ((g * 37) % 21 - 10), 0.05,
             now() - g * interval '5 seconds' - interval '2 hours', now() - g * interval '5 seconds', now()
      FROM generate_series(1, ${ORDERS - OPEN}) AS g,
           (SELECT array_agg(id ORDER BY name) AS ids, count(*)::int AS n FROM models) AS m`);
    // Open positions: one per model and symbol.
    await testSql(db).execute(`
      INSERT INTO orders (id, model_id, symbol, side, quantity, leverage, entry_price, exit_plan, status, fees, opened_at, updated_at)
      SELECT gen_random_uuid(), m.id, s, 'LONG', 0.1, 3, 100, '${plan}'::jsonb, 'OPEN', 0.05, now() - interval '1 hour', now()
      FROM models AS m, unnest(${symbols}) AS s`);
    // Equity: 5-minute snapshots for 7 days, then hourly to 30 days (what thinning keeps).
    await testSql(db).execute(`
      INSERT INTO portfolio_snapshots (id, model_id, at, total, available, unrealized_pnl)
      SELECT gen_random_uuid(), m.id, t, 10000 + (extract(epoch FROM t)::bigint % 997) - 498, 5000, 0
      FROM models AS m,
           (SELECT generate_series(date_trunc('minute', now()) - interval '7 days', now(), interval '5 minutes') AS t
            UNION ALL
            SELECT generate_series(date_trunc('hour', now()) - interval '30 days', now() - interval '7 days 1 hour', interval '1 hour')) AS times`);
    await testSql(db).execute("ANALYZE");
  }
  const counts = await testSql(db).query<{ orders: bigint; snapshots: bigint }>(
    "SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM portfolio_snapshots) AS snapshots",
  );
  console.log(
    `${reused ? "reused" : "seeded"} ${counts[0]!.orders} orders (${OPEN} open) and ${counts[0]!.snapshots} snapshots for ${MODELS} models in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  /** Starts bench/serve.ts with extra environment; resolves once it listens. */
  const serve = async (env: Record<string, string>) => {
    // BENCH_API_NODE_ARGS: extra node flags for the api process (e.g. --cpu-prof).
    const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
    const server = spawn(process.execPath, ["--expose-gc", ...nodeArgs, "--import", "tsx", "serve.ts"], {
      cwd: BENCH_DIR,
      env: { ...process.env, BENCH_DATABASE_URL: url, BENCH_SCHEMA: SCHEMA, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const { base, readyMs } = await new Promise<{ base: string; readyMs: number }>((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /ready (\d+)\s+listening (\S+)/.exec(out);
        if (match) resolve({ readyMs: Number(match[1]), base: match[2]! });
      });
      server.once("exit", (code) => reject(new Error(`api process exited with ${code}`)));
    });
    const stop = async () => {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    };
    return { base, readyMs, stop };
  };
  const first = await serve({ BENCH_EVENT_INTERVAL_MS: process.env.BENCH_EVENT_INTERVAL_MS ?? "0" });
  const base = first.base;
  console.log(`read model built from ${ORDERS} orders in ${first.readyMs} ms (api start)`);
  const p99: Record<string, number> = {};
  try {
    for (const [name, path] of [
      ["leaderboard", "/api/leaderboard?window=7d"],
      ["positions", "/api/positions"],
      // The machine's floor: a cached list of 20 models, nearly no work per request.
      ["floor (cached /api/models)", "/api/models"],
    ] as const) {
      const cold = Date.now();
      const first = await fetch(base + path);
      if (!first.ok) throw new Error(`${path} answered ${first.status}: ${await first.text()}`);
      await first.arrayBuffer();
      console.log(`${name}: first (uncached) request ${Date.now() - cold} ms`);
      const result = await constantRate(base + path);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      console.log(
        `${name}: ${result.requests} requests in ${result.durationS} s, latency p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, p99.9 ${result.p999} ms, max ${result.max} ms`,
      );
      p99[name] = result.p99;
      if (process.env.BENCH_WRK === "1") {
        const wrk = await wrkCrossCheck(base + path);
        console.log(`${name}: wrk cross-check (closed loop, 1 connection, 4 ms pause after each answer): ${wrk ?? "wrk not installed (apt-get install -y wrk)"}`);
      }
      if (process.env.BENCH_AUTOCANNON === "1") {
        const ac = await autocannon({ url: base + path, connections: CONNECTIONS, overallRate: RATE, duration: DURATION_S, timeout: 10 });
        console.log(`${name}: autocannon -c ${CONNECTIONS} -R ${RATE} (bursts at each second, see README): latency p50 ${ac.latency.p50} ms, p99 ${ac.latency.p99} ms, max ${ac.latency.max} ms`);
      }
    }
  } finally {
    await first.stop();
  }

  // Phase 2: BUSY_RATE req/s while a real trading event arrives every second.
  const busy = await serve({ BENCH_EVENT_INTERVAL_MS: "1000", BENCH_EVENTS: "trading" });
  const busyP99: Record<string, number> = {};
  try {
    for (const [name, path] of [
      ["leaderboard", "/api/leaderboard?window=7d"],
      ["positions", "/api/positions"],
    ] as const) {
      const result = await constantRate(busy.base + path, BUSY_RATE);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name} at ${BUSY_RATE} req/s: ${result.non2xx} non-2xx, ${result.errors} errors`);
      console.log(
        `${name} at ${BUSY_RATE} req/s, a trading event every second: ${result.requests} requests in ${result.durationS} s, latency p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, p99.9 ${result.p999} ms, max ${result.max} ms`,
      );
      busyP99[name] = result.p99;
    }
  } finally {
    await busy.stop();
  }

  // Phase 3: no answer cache, one request after another: what building the answer costs (the
  // summary gives the median over HTTP from this process; p99 and the first request after start,
  // which also compiles the code and computes every model's curve metrics, are printed above).
  const uncached = await serve({ BENCH_RESPONSE_CACHE_MS: "0" });
  const uncachedMs: number[] = [];
  let coldMs = 0;
  try {
    for (let i = 0; i <= UNCACHED_REQUESTS; i++) {
      const t = performance.now();
      const response = await fetch(`${uncached.base}/api/leaderboard?window=7d`);
      if (!response.ok) throw new Error(`uncached leaderboard answered ${response.status}`);
      await response.arrayBuffer();
      // The first one also computes every model's curve metrics (remembered until the curve moves).
      if (i === 0) coldMs = performance.now() - t;
      else uncachedMs.push(performance.now() - t);
    }
  } finally {
    await uncached.stop();
  }
  uncachedMs.sort((a, b) => a - b);
  const pick = (p: number) => uncachedMs[Math.min(uncachedMs.length - 1, Math.ceil((p / 100) * uncachedMs.length) - 1)]!;
  console.log(
    `uncached leaderboard (7d, 20 models, no answer cache), ${UNCACHED_REQUESTS} requests one after another: p50 ${pick(50).toFixed(1)} ms, p99 ${pick(99).toFixed(1)} ms, max ${uncachedMs.at(-1)!.toFixed(1)} ms; the first after start ${coldMs.toFixed(1)} ms`,
  );
  console.log(
    `generator: bench/load.ts in its own process (node:http keep-alive), constant rate ${RATE} (then ${BUSY_RATE}) req/s on a fixed schedule, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per route, latency from scheduled send to last byte`,
  );
  const eventIntervalMs = Number(process.env.BENCH_EVENT_INTERVAL_MS ?? 0);
  if (eventIntervalMs > 0) console.log(`events: the api heard tickFinished every ${eventIntervalMs} ms (each clears its caches)`);
  console.log(`api at ${RATE} req/s: leaderboard p99 ${Math.ceil(p99.leaderboard!)} ms, positions p99 ${Math.ceil(p99.positions!)} ms`);
  console.log(
    `api at ${BUSY_RATE} req/s with an event every second: leaderboard p99 ${Math.ceil(busyP99.leaderboard!)} ms, positions p99 ${Math.ceil(busyP99.positions!)} ms, uncached leaderboard ${Math.ceil(pick(50))} ms`,
  );
} finally {
  // BENCH_KEEP=1 leaves the data for EXPLAIN ANALYZE; BENCH_REUSE=1 for the next run.
  if (process.env.BENCH_KEEP !== "1" && !REUSE) await testSql(db).execute(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => undefined);
  await db.close();
}
