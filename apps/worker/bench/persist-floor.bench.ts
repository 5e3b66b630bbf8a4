/**
 * The least a backtest's persistence can cost on this machine: what issue 18's "30-day
 * backtest under 15 s" leaves for everything else once the rows it must keep are written.
 *
 * It runs the backtest bench's workload for N ticks (BACKTEST_BENCH_TICKS, default 1,000;
 * the same data, seed and models), then takes the rows the run persisted out of its database
 * and writes them again into a fresh migrated in-memory PGlite by the fastest paths there are:
 * - bulk rows (models, invocations, tool calls, portfolio snapshots): one COPY per table, no
 *   statement per row, no ORM;
 * - Orders, as the trader must write them (each fill in Orders before the tool call returns):
 *   for every order its open (BEGIN, the model row locked, INSERT, COMMIT) and, when it was
 *   closed, its close (one UPDATE), straight on PGlite, no ORM.
 * Each is scaled from N ticks to the 30 days (8,640 ticks) and set against the 15 s budget.
 * Last line: `persist floor: N s of 15 s for 30 days (bulk rows X s, order writes Y s)`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMemoryPglite } from "@autonome/db";
import { PGlite } from "@electric-sql/pglite";
import { runBacktest } from "../src/backtest/run.js";
import { benchBacktest } from "./history.js";

const DAYS_30_TICKS = 8640;
const BUDGET_S = 15;

const out = mkdtempSync(join(tmpdir(), "autonome-persist-floor-"));
try {
  const { prepared } = await benchBacktest(out, Number(process.env.BACKTEST_BENCH_TICKS ?? 1000));
  const result = await runBacktest(prepared);
  if (result.database.kind !== "pglite") throw new Error("run it without DATABASE_URL: it measures PGlite");
  const ticks = result.times.length;

  // The run's rows, as COPY text.
  const source = new PGlite(result.database.dataDir);
  const tables = ["models", "invocations", "tool_calls", "portfolio_snapshots"] as const;
  const dumps = new Map<string, { blob: Blob; rows: number }>();
  for (const table of tables) {
    const copied = await source.query(`COPY ${table} TO '/dev/blob'`);
    const rows = Number((await source.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]!.n);
    dumps.set(table, { blob: copied.blob!, rows });
  }
  type OrderRow = Record<string, unknown> & { id: string; model_id: string; status: string };
  const orders = (await source.query<OrderRow>("SELECT * FROM orders ORDER BY opened_at, id")).rows;
  await source.close();

  const { pglite: target } = await openMemoryPglite();
  let bulkMs = 0;
  const perTable: string[] = [];
  for (const table of tables) {
    const { blob, rows } = dumps.get(table)!;
    const started = performance.now();
    await target.query(`COPY ${table} FROM '/dev/blob'`, [], { blob });
    const ms = performance.now() - started;
    if (table !== "models") bulkMs += ms;
    perTable.push(`${table} ${rows} rows ${(blob.size / 1e6).toFixed(1)} MB ${ms.toFixed(0)} ms`);
  }

  const columns = ["id", "model_id", "symbol", "side", "quantity", "leverage", "entry_price", "exit_plan", "fees", "opened_at", "updated_at", "funding"];
  const insert = `INSERT INTO orders (${columns.join(", ")}) SELECT ${columns.map((c, i) => `$${i + 1}${c === "exit_plan" ? "::jsonb" : ""}`).join(", ")}
    WHERE NOT EXISTS (SELECT 1 FROM orders WHERE model_id = $2 AND symbol = $3 AND status = 'OPEN') RETURNING *`;
  const close = `UPDATE orders SET status = 'CLOSED', exit_price = $2, realized_pnl = $3, close_trigger = $4, closed_at = $5, fees = $6, funding = $7, updated_at = $8
    WHERE id = $1 AND status = 'OPEN' RETURNING *`;
  const started = performance.now();
  let closes = 0;
  for (const o of orders) {
    await target.transaction(async (tx) => {
      await tx.query("SELECT id FROM models WHERE id = $1 FOR UPDATE", [o.model_id]);
      await tx.query(insert, columns.map((c) => (c === "exit_plan" ? JSON.stringify(o[c]) : o[c])));
    });
    if (o.status === "CLOSED") {
      closes++;
      await target.query(close, [o.id, o.exit_price, o.realized_pnl, o.close_trigger, o.closed_at, o.fees, o.funding, o.updated_at]);
    }
  }
  const orderMs = performance.now() - started;
  await target.close();

  const scale = DAYS_30_TICKS / ticks / 1000;
  const bulkS = bulkMs * scale;
  const orderS = orderMs * scale;
  console.log(`${ticks} ticks persisted: ${perTable.join("; ")}`);
  console.log(`orders: ${orders.length} opens, ${closes} closes, ${orderMs.toFixed(0)} ms (${(orderMs / Math.max(1, orders.length + closes)).toFixed(2)} ms a write)`);
  console.log(`per tick: bulk rows ${(bulkMs / ticks).toFixed(2)} ms, order writes ${(orderMs / ticks).toFixed(2)} ms; the 15 s goal allows ${((BUDGET_S * 1000) / DAYS_30_TICKS).toFixed(2)} ms a tick for everything`);
  console.log(`persist floor: ${(bulkS + orderS).toFixed(1)} s of ${BUDGET_S} s for 30 days (bulk rows ${bulkS.toFixed(1)} s, order writes ${orderS.toFixed(1)} s)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
