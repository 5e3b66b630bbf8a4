import { PGlite } from "@electric-sql/pglite";
const dir = process.argv[2]!;
const db = await PGlite.create(dir);
const r = await db.query<{ side: string; close_trigger: string; exit_price: string; closed_at: Date; plan: any; symbol: string }>(
  `select side, close_trigger, exit_price::text, closed_at, exit_plan as plan, symbol from orders where status='CLOSED' and close_trigger in ('STOP','TARGET') order by closed_at`);
let offGrid = 0; const dists: number[] = [];
for (const row of r.rows) {
  const t = row.closed_at.getTime();
  const on = t % 300000 === 0;
  if (!on) offGrid++;
  const trig = Number(row.close_trigger === "STOP" ? row.plan.stop : row.plan.target);
  const d = (Number(row.exit_price) - trig) / trig * 100;
  dists.push(Math.abs(d));
  console.log(row.symbol, row.side, row.close_trigger, row.closed_at.toISOString(), "trigger", trig, "exit", row.exit_price, d.toFixed(4) + "%", on ? "ON-GRID" : "");
}
console.log(`total ${r.rows.length} offGrid ${offGrid} maxDist% ${Math.max(...dists).toFixed(4)} meanDist% ${(dists.reduce((a,b)=>a+b,0)/dists.length).toFixed(4)}`);
await db.close();
