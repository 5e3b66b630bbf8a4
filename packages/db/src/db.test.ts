import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, ManualClock, StateConflictError, emptyExitPlan } from "@autonome/core";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { bundledMigrations } from "../generated/migrations.js";
import { DEFAULT_DATA_DIR, createDb, dbTargetFromEnv, dropSchema, redactUrl, splitSchemaFromUrl } from "./db.js";
import { MigrationError } from "./errors.js";
import { prismaOf } from "./internal/db-internals.js";
import { T0, freshSchemaName, postgresSkipReason, postgresUrl } from "./testing/databases.js";

describe("redactUrl", () => {
  it("hides the password and nothing else, and all of what is not a URL", () => {
    expect(redactUrl("postgresql://app:s3cret@db.example:5432/autonome?schema=x")).toBe("postgresql://app:***@db.example:5432/autonome?schema=x");
    expect(redactUrl("postgresql://app@db.example/autonome")).toBe("postgresql://app@db.example/autonome");
    expect(redactUrl("not a url with s3cret")).toBe("***");
  });
});

describe("dbTargetFromEnv", () => {
  it("chooses PostgreSQL when DATABASE_URL is set and embedded PGlite otherwise", () => {
    expect(dbTargetFromEnv({ DATABASE_URL: "postgresql://u:p@h:5432/d" })).toEqual({ kind: "postgres", url: "postgresql://u:p@h:5432/d" });
    expect(dbTargetFromEnv({})).toEqual({ kind: "pglite", dataDir: DEFAULT_DATA_DIR });
    expect(dbTargetFromEnv({ DATABASE_URL: "  ", AUTONOME_DB_DIR: "/var/lib/autonome" })).toEqual({ kind: "pglite", dataDir: "/var/lib/autonome" });
  });
});

describe("splitSchemaFromUrl", () => {
  it("takes Prisma's ?schema= off the URL and keeps the other parameters", () => {
    expect(splitSchemaFromUrl("postgresql://u:p@h:5432/d?schema=arena&sslmode=require")).toEqual({
      url: "postgresql://u:p@h:5432/d?sslmode=require",
      schema: "arena",
    });
    expect(splitSchemaFromUrl("postgres://h/d").schema).toBeUndefined();
  });

  it("rejects what is not a PostgreSQL URL with ConfigError", () => {
    expect(() => splitSchemaFromUrl("mysql://h/d")).toThrow(ConfigError);
    expect(() => splitSchemaFromUrl("not a url")).toThrow(ConfigError);
  });
});

describe("createDb with embedded PGlite", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("takes over a stale data directory lock left by a dead process", async () => {
    const parent = mkdtempSync(join(tmpdir(), "autonome-db-"));
    dirs.push(parent);
    const dir = join(parent, "db");
    // A pid that cannot be alive (above Linux's pid_max).
    writeFileSync(`${dir}.lock`, "99999999");
    const db = await createDb({ kind: "pglite", dataDir: dir, migrate: false });
    expect(JSON.parse(readFileSync(`${dir}.lock`, "utf8"))).toMatchObject({ pid: process.pid, holder: "pglite" });
    await db.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    // Our own pid in a lock we do not hold: an earlier process with the same pid (a restarted container).
    writeFileSync(`${dir}.lock`, String(process.pid));
    const again = await createDb({ kind: "pglite", dataDir: dir, migrate: false });
    await again.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  }, 60_000);

  it("persists to its data directory: reopened, the data is there and nothing is migrated twice", async () => {
    const parent = mkdtempSync(join(tmpdir(), "autonome-db-"));
    dirs.push(parent);
    const dir = join(parent, "nested", "db");
    const clock = new ManualClock(T0);
    const first = await createDb({ kind: "pglite", dataDir: dir, clock });
    const model = await first.models.create({ name: "persisted", provider: "p", modelName: "m" });
    await first.orders.openPosition({ modelId: model.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "3", entryPrice: "100", exitPlan: emptyExitPlan() });
    await first.close();
    await first.close(); // idempotent

    const second = await createDb({ kind: "pglite", dataDir: dir, clock, migrate: false });
    // One process per data directory: a second open while it is in use is refused.
    await expect(createDb({ kind: "pglite", dataDir: dir, clock })).rejects.toBeInstanceOf(StateConflictError);
    expect(await second.migrate()).toEqual({ applied: [], alreadyApplied: bundledMigrations.length });
    const open = await second.orders.allOpenOrders();
    expect(open.map((o) => [o.modelId, o.symbol, o.leverage.toString()])).toEqual([[model.id, "BTC", "3"]]);
    await second.close();
  }, 60_000);

  it("uses a PGlite instance it is given and leaves it open on close", async () => {
    const pglite = new PGlite("memory://");
    const db = await createDb({ kind: "pglite-instance", pglite });
    expect(db.kind).toBe("pglite");
    await db.models.create({ name: "x", provider: "p", modelName: "m" });
    await db.close();
    expect(pglite.closed).toBe(false);
    const rows = await pglite.query<{ n: number }>("SELECT count(*)::int AS n FROM models");
    expect(rows.rows[0]?.n).toBe(1);

    // A changed migration file is refused at start-up, and the client is closed again.
    const edited = bundledMigrations.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    const error = await createDb({ kind: "pglite-instance", pglite, migrations: edited }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).failure).toBe("CHECKSUM_MISMATCH");
    await pglite.close();
  });
});

describe.skipIf(postgresSkipReason !== null)("createDb with PostgreSQL", () => {
  it("creates the schema named by ?schema=, migrates it and works in it alone", async () => {
    const schema = freshSchemaName();
    const url = new URL(postgresUrl as string);
    url.searchParams.set("schema", schema);
    try {
      const db = await createDb({ kind: "postgres", url: url.toString() });
      expect(db.kind).toBe("postgres");
      await db.models.create({ name: "pg", provider: "p", modelName: "m" });
      const where = await prismaOf(db).$queryRawUnsafe<{ schema: string; n: number }[]>(
        `SELECT current_schema() AS schema, (SELECT count(*)::int FROM "${schema}".models) AS n`,
      );
      expect(where).toEqual([{ schema, n: 1 }]);
      await db.close();
    } finally {
      await dropSchema(postgresUrl as string, schema);
    }
  });

  it("fails with a clear error when the server is unreachable", async () => {
    const db = createDb({ kind: "postgres", url: "postgresql://postgres:postgres@127.0.0.1:1/none" });
    await expect(db).rejects.toThrow();
  });
});
