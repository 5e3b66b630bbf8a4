import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundledMigrations } from "../generated/migrations.js";
import { MigrationError } from "./errors.js";
import { pgClientSession, pgliteSession } from "./internal/sessions.js";
import { freshSchemaName, postgresSkipReason, postgresUrl } from "./testing/databases.js";
import { type Migration, type MigrationSession, migrationChecksum, readMigrationsDir, runMigrations } from "./migrator.js";

const CREATE_A: Migration = { name: "20260101000000_a", sql: 'CREATE TABLE "a" ("id" INTEGER PRIMARY KEY);\nINSERT INTO "a" VALUES (1);' };
const CREATE_B: Migration = { name: "20260102000000_b", sql: 'CREATE TABLE "b" ("id" INTEGER PRIMARY KEY);' };
const BROKEN: Migration = { name: "20260101120000_broken", sql: 'CREATE TABLE "c" ("id" INTEGER);\nSELECT * FROM "no_such_table";' };

/** Each test gets a session in a fresh, empty schema. */
function describeEachSession(title: string, suite: (s: { session: MigrationSession; tables(): Promise<string[]> }) => void) {
  describe(`${title} [pglite]`, () => {
    const ctx = {} as { session: MigrationSession; tables(): Promise<string[]> };
    let pglite: PGlite;
    beforeAll(async () => {
      pglite = new PGlite("memory://");
      await pglite.waitReady;
    });
    afterAll(async () => pglite?.close());
    beforeEach(async () => {
      const schema = freshSchemaName();
      await pglite.exec(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"`);
      ctx.session = pgliteSession(pglite);
      ctx.tables = async () =>
        (await pglite.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema])).rows.map((r) => r.t);
    });
    suite(ctx);
  });

  describe.skipIf(postgresSkipReason !== null)(`${title} [postgres]`, () => {
    const ctx = {} as { session: MigrationSession; tables(): Promise<string[]> };
    let client: pg.Client;
    const schemas: string[] = [];
    beforeAll(async () => {
      client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
    });
    afterAll(async () => {
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client?.end();
    });
    beforeEach(async () => {
      const schema = freshSchemaName();
      schemas.push(schema);
      await client.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"`);
      ctx.session = pgClientSession(client);
      ctx.tables = async () =>
        (await client.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema])).rows.map((r) => r.t);
    });
    suite(ctx);
  });
}

describeEachSession("runMigrations", (ctx) => {
  it("applies migrations in name order once and records them with Prisma's checksum", async () => {
    const first = await runMigrations(ctx.session, [CREATE_B, CREATE_A]);
    expect(first).toEqual({ applied: [CREATE_A.name, CREATE_B.name], alreadyApplied: 0 });
    const second = await runMigrations(ctx.session, [CREATE_A, CREATE_B]);
    expect(second).toEqual({ applied: [], alreadyApplied: 2 });
    const rows = await ctx.session.query(`SELECT migration_name, checksum, finished_at IS NOT NULL AS finished FROM "_prisma_migrations" ORDER BY migration_name`);
    expect(rows).toEqual([
      { migration_name: CREATE_A.name, checksum: migrationChecksum(CREATE_A.sql), finished: true },
      { migration_name: CREATE_B.name, checksum: migrationChecksum(CREATE_B.sql), finished: true },
    ]);
    expect(await ctx.tables()).toEqual(["_prisma_migrations", "a", "b"]);
  });

  it("applies only the new migration when one is added later", async () => {
    await runMigrations(ctx.session, [CREATE_A]);
    expect(await runMigrations(ctx.session, [CREATE_A, CREATE_B])).toEqual({ applied: [CREATE_B.name], alreadyApplied: 1 });
  });

  it("refuses to run when an applied migration's file changed, and applies nothing", async () => {
    await runMigrations(ctx.session, [CREATE_A]);
    const edited = { ...CREATE_A, sql: `${CREATE_A.sql}\n-- edited` };
    const error = await runMigrations(ctx.session, [edited, CREATE_B]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).failure).toBe("CHECKSUM_MISMATCH");
    expect((error as MigrationError).migration).toBe(CREATE_A.name);
    expect(await ctx.tables()).toEqual(["_prisma_migrations", "a"]);
  });

  it("refuses to run against a database that has a migration this code does not know", async () => {
    await runMigrations(ctx.session, [CREATE_A, CREATE_B]);
    const error = await runMigrations(ctx.session, [CREATE_A]).catch((e: unknown) => e);
    expect((error as MigrationError).failure).toBe("UNKNOWN_MIGRATION");
  });

  it("refuses to run while a migration is recorded as started but unfinished", async () => {
    await runMigrations(ctx.session, [CREATE_A]);
    await ctx.session.query(`UPDATE "_prisma_migrations" SET finished_at = NULL`);
    const error = await runMigrations(ctx.session, [CREATE_A, CREATE_B]).catch((e: unknown) => e);
    expect((error as MigrationError).failure).toBe("INCOMPLETE_MIGRATION");
    expect(await ctx.tables()).toEqual(["_prisma_migrations", "a"]);
  });

  it("rolls a failing migration back whole, records nothing for it and keeps the earlier ones", async () => {
    const error = await runMigrations(ctx.session, [CREATE_A, BROKEN, CREATE_B]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).failure).toBe("SQL_ERROR");
    expect((error as MigrationError).migration).toBe(BROKEN.name);
    expect(await ctx.tables()).toEqual(["_prisma_migrations", "a"]);
    const names = await ctx.session.query(`SELECT migration_name FROM "_prisma_migrations"`);
    expect(names).toEqual([{ migration_name: CREATE_A.name }]);
    // Fixed, the run goes on from there.
    const fixed = { ...BROKEN, sql: 'CREATE TABLE "c" ("id" INTEGER);' };
    expect(await runMigrations(ctx.session, [CREATE_A, fixed, CREATE_B])).toEqual({ applied: [fixed.name, CREATE_B.name], alreadyApplied: 1 });
  });

  it("applies the package's own migrations", async () => {
    const result = await runMigrations(ctx.session, bundledMigrations);
    expect(result.applied).toEqual(bundledMigrations.map((m) => m.name));
    expect(await ctx.tables()).toEqual(expect.arrayContaining(["_prisma_migrations", "invocations", "models", "orders", "portfolio_snapshots", "tool_calls"]));
  });
});

describe("bundledMigrations", () => {
  it("are exactly the SQL files in prisma/migrations, in order", () => {
    const dir = join(fileURLToPath(new URL(".", import.meta.url)), "..", "prisma", "migrations");
    expect(bundledMigrations).toEqual(readMigrationsDir(dir));
    expect(bundledMigrations.length).toBeGreaterThan(0);
  });
});

describe.skipIf(postgresSkipReason !== null)("runMigrations with concurrent processes [postgres]", () => {
  it("applies each migration once when several migrators start at the same time", async () => {
    const schema = freshSchemaName();
    const clients = Array.from({ length: 3 }, () => new pg.Client({ connectionString: postgresUrl }));
    try {
      for (const c of clients) {
        await c.connect();
      }
      await clients[0]?.query(`CREATE SCHEMA "${schema}"`);
      for (const c of clients) await c.query(`SET search_path TO "${schema}"`);
      const results = await Promise.all(clients.map((c) => runMigrations(pgClientSession(c), bundledMigrations)));
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, bundledMigrations.length]);
      const rows = await clients[0]?.query(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
      expect(rows?.rows[0]).toEqual({ n: bundledMigrations.length });
    } finally {
      await clients[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      for (const c of clients) await c.end();
    }
  });
});
