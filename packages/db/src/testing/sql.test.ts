import { expect, it } from "vitest";
import { internalsOf } from "../internal/db-internals.js";
import { describeEachDatabase } from "./databases.js";
import { testSql, truncateAllTables } from "./index.js";

describeEachDatabase("@autonome/db/testing", (t, kind) => {
  it("keeps the Prisma client out of the Db: repositories only, nothing to see when logged or compared", () => {
    expect("prisma" in t.db).toBe(false);
    expect(Object.keys(t.db).sort()).toEqual(
      ["close", "controlRequests", "heartbeats", "invocations", "kind", "leaderboard", "leases", "migrate", "models", "notifications", "orders", "portfolio", "transaction"].sort(),
    );
    expect(internalsOf(t.db).kind).toBe(kind);
    expect(() => internalsOf({ ...t.db })).toThrow(TypeError);
    expect(() => testSql({ ...t.db })).toThrow(/not a Db opened by createDb/);
  });

  it("runs raw SQL in the Db's own schema: statements return the rows they touched, queries their rows", async () => {
    const sql = testSql(t.db);
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    expect(await sql.execute(`UPDATE models SET enabled = false WHERE name = 'm'`)).toBe(1);
    expect((await t.db.models.require(m.id)).enabled).toBe(false);
    const [row] = await sql.query<{ n: bigint; schema: string }>("SELECT count(*) AS n, current_schema() AS schema FROM models");
    expect(row!.n).toBe(1n);
    expect(row!.schema).toBe(internalsOf(t.db).schema ?? "public");
  });

  it("truncateAllTables empties every table but the migrations' bookkeeping", async () => {
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    await t.db.invocations.recordCompleted([{ modelId: m.id, prompt: "p", toolCalls: [{ type: "HOLDING", arguments: {}, accepted: true }] }]);
    await t.db.portfolio.record({ modelId: m.id, total: "1", available: "1", unrealizedPnl: "0" });
    await t.db.heartbeats.record({
      workerId: "w",
      host: "h",
      pid: 1,
      status: "running",
      tick: 1,
      startedAt: t.clock.now(),
      lastTickAt: null,
      lastSuccessAt: null,
      runningModelIds: [],
      consecutiveFailedCycles: 0,
      degraded: false,
      degradedReason: null,
    });
    const sql = testSql(t.db);
    const migrations = await sql.query<{ n: bigint }>("SELECT count(*) AS n FROM _prisma_migrations");
    await truncateAllTables(t.db);
    expect(await t.db.models.list()).toEqual([]);
    expect(await t.db.invocations.count()).toBe(0);
    expect(await t.db.heartbeats.list()).toEqual([]);
    expect(await sql.query("SELECT 1 FROM portfolio_snapshots")).toEqual([]);
    expect(await sql.query<{ n: bigint }>("SELECT count(*) AS n FROM _prisma_migrations")).toEqual(migrations);
    expect(migrations[0]!.n).toBeGreaterThan(0n);
    // The database still works, and migrating again finds nothing to do.
    expect((await t.db.migrate()).applied).toEqual([]);
    await t.db.models.create({ name: "again", provider: "p", modelName: "x" });
  });
});

it("refuses an object createDb did not open", () => {
  expect(() => testSql({} as never)).toThrow(TypeError);
});
