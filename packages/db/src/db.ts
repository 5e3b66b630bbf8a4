/**
 * The client factory: PostgreSQL through @prisma/adapter-pg when a URL is given,
 * embedded PGlite (a data directory, in memory, or an instance you own) otherwise.
 * Either way you get the same repositories over the same Prisma client and the same
 * migrator, so the default run needs no database server. The Prisma client stays
 * inside this package: callers get repositories, never the client.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Clock, ConfigError, SystemClock } from "@autonome/core";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { bundledMigrations } from "../generated/migrations.js";
import { PrismaClient } from "../generated/prisma/client.js";
import { type NotificationTransport, pgliteNotifications, postgresNotifications } from "./internal/notifications.js";
import { TRANSACTION_LIMITS, markTransaction } from "./internal/client.js";
import { attachInternals } from "./internal/db-internals.js";
import { lockDataDir } from "./data-dir-lock.js";
import { pgClientSession, pgliteSession } from "./internal/sessions.js";
import { openMemoryPglite, pgliteTemplateTar, unpackTar } from "./pglite-template.js";
import { asError } from "./internal/thrown.js";
import { type Migration, type MigrationResult, runMigrations } from "./migrator.js";
import { ControlRequestsRepository } from "./repositories/control-requests.js";
import { InvocationsRepository } from "./repositories/invocations.js";
import { LeaderboardRepository } from "./repositories/leaderboard.js";
import { LeasesRepository } from "./repositories/leases.js";
import { ModelsRepository } from "./repositories/models.js";
import { OrdersRepository } from "./repositories/orders.js";
import { PortfolioSnapshotsRepository } from "./repositories/portfolio-snapshots.js";
import { WorkerHeartbeatsRepository } from "./repositories/worker-heartbeats.js";

/** The default PGlite data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = "./.autonome/db";

/** Where the database is. */
export type DbTarget =
  /** A PostgreSQL server. `schema` (or `?schema=` in the URL) selects a schema other than public. */
  | { kind: "postgres"; url: string; schema?: string; maxConnections?: number }
  /**
   * Embedded PGlite persisted in `dataDir` (default ./.autonome/db), or in memory with
   * "memory://". The directory is locked (see lockDataDir) before it is opened;
   * `holder` names the opener in the lock file ("cli", "api").
   */
  | { kind: "pglite"; dataDir?: string; holder?: string }
  /** A PGlite instance you created and will close yourself. */
  | { kind: "pglite-instance"; pglite: PGlite };

/** Options of createDb. */
export type DbConfig = DbTarget & {
  /** Time source for every default timestamp; defaults to the system clock. */
  clock?: Clock;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** The migrations to apply; defaults to the package's own. */
  migrations?: readonly Migration[];
};

/**
 * An open database: the repositories, migrate() and close(). A query no repository offers
 * belongs in a repository of this package (typed, tested on PGlite and PostgreSQL), not in
 * the caller; tests that need raw SQL for set-up use `@autonome/db/testing`.
 */
export interface Db {
  readonly kind: "postgres" | "pglite";
  readonly models: ModelsRepository;
  readonly orders: OrdersRepository;
  readonly invocations: InvocationsRepository;
  readonly portfolio: PortfolioSnapshotsRepository;
  readonly leaderboard: LeaderboardRepository;
  /** Model run leases shared by the workers on this database. */
  readonly leases: LeasesRepository;
  /** Each worker's scheduler state, for health. */
  readonly heartbeats: WorkerHeartbeatsRepository;
  /** Commands left for the workers (CLI flatten). */
  readonly controlRequests: ControlRequestsRepository;
  /** LISTEN/NOTIFY on this database (use createEventChannel for arena events). */
  readonly notifications: NotificationTransport;
  /**
   * Runs `fn` in one transaction: every repository call on `tx` joins it, and all of it
   * commits or rolls back together (for example a tick's close, tool call and snapshot).
   * Keep it short: on PGlite it holds the only connection.
   */
  transaction<T>(fn: (tx: DbTransaction) => Promise<T>, options?: { timeoutMs?: number; maxWaitMs?: number }): Promise<T>;
  /** Applies pending migrations (idempotent; safe with several processes starting at once). */
  migrate(): Promise<MigrationResult>;
  /** Disconnects; closes the pool or the PGlite instance the factory created. */
  close(): Promise<void>;
}

/** The repositories bound to one transaction (see Db.transaction). */
export interface DbTransaction {
  readonly models: ModelsRepository;
  readonly orders: OrdersRepository;
  readonly invocations: InvocationsRepository;
  readonly portfolio: PortfolioSnapshotsRepository;
}

/** A URL with its password replaced by "***" (anything that is not a URL by "***"), for logs and error lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "***";
  }
}

/** The target an environment names: DATABASE_URL for PostgreSQL, else PGlite in AUTONOME_DB_DIR or ./.autonome/db. */
export function dbTargetFromEnv(env: Record<string, string | undefined> = process.env): DbTarget {
  const url = env.DATABASE_URL?.trim();
  if (url) return { kind: "postgres", url };
  const dataDir = env.AUTONOME_DB_DIR?.trim();
  return { kind: "pglite", dataDir: dataDir || DEFAULT_DATA_DIR };
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Drops a schema of the PostgreSQL at `url` and everything in it (a test's or a season run's
 * own schema); nothing when it does not exist.
 */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Splits `?schema=` off a PostgreSQL URL (Prisma's convention; pg does not know it). */
export function splitSchemaFromUrl(url: string): { url: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError("DATABASE_URL is not a valid URL", "DATABASE_URL");
  }
  if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") {
    throw new ConfigError("DATABASE_URL must be a postgresql:// URL", "DATABASE_URL");
  }
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  return { url: parsed.toString(), schema };
}

function buildDb(
  kind: "postgres" | "pglite",
  prisma: PrismaClient,
  schema: string | null,
  clock: Clock,
  migrate: () => Promise<MigrationResult>,
  close: () => Promise<void>,
  notifications: NotificationTransport,
): Db {
  let closed: Promise<void> | undefined;
  const models = new ModelsRepository(prisma, clock);
  const db: Db = {
    kind,
    models,
    orders: new OrdersRepository(prisma, clock),
    invocations: new InvocationsRepository(prisma, clock),
    portfolio: new PortfolioSnapshotsRepository(prisma, clock),
    leaderboard: new LeaderboardRepository(prisma, models),
    transaction: (fn, options) =>
      prisma.$transaction(
        (tx) => {
          markTransaction(tx);
          return fn({
            models: new ModelsRepository(tx, clock),
            orders: new OrdersRepository(tx, clock),
            invocations: new InvocationsRepository(tx, clock),
            portfolio: new PortfolioSnapshotsRepository(tx, clock),
          });
        },
        { timeout: options?.timeoutMs ?? TRANSACTION_LIMITS.timeout, maxWait: options?.maxWaitMs ?? TRANSACTION_LIMITS.maxWait },
      ),
    leases: new LeasesRepository(prisma),
    heartbeats: new WorkerHeartbeatsRepository(prisma, clock),
    controlRequests: new ControlRequestsRepository(prisma, clock),
    notifications,
    migrate,
    close: () => (closed ??= close()),
  };
  return attachInternals(db, { prisma, kind, schema });
}

/**
 * Opens the database. Without an argument it reads the environment (dbTargetFromEnv).
 * Migrates before returning unless `migrate: false`.
 */
export async function createDb(config: DbConfig = dbTargetFromEnv()): Promise<Db> {
  const clock = config.clock ?? new SystemClock();
  const migrations = config.migrations ?? bundledMigrations;
  let db: Db;

  if (config.kind === "postgres") {
    const { url, schema: urlSchema } = splitSchemaFromUrl(config.url);
    const schema = config.schema ?? urlSchema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new ConfigError(`invalid schema name ${schema}`, "DATABASE_URL");
    const pool = new pg.Pool({
      connectionString: url,
      max: config.maxConnections ?? 10,
      // Raw SQL and the migrator see the same schema as Prisma's generated queries.
      ...(schema === undefined ? {} : { options: `-c search_path="${schema}"` }),
    });
    // An idle client's network error must not crash the process; the next query reconnects.
    pool.on("error", () => undefined);
    const adapter = new PrismaPg(pool, schema === undefined ? undefined : { schema });
    const prisma = new PrismaClient({ adapter });
    const migrate = async () => {
      const client = await pool.connect();
      try {
        if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        return await runMigrations(pgClientSession(client), migrations);
      } finally {
        client.release();
      }
    };
    db = buildDb(
      "postgres",
      prisma,
      schema ?? null,
      clock,
      migrate,
      async () => {
        await prisma.$disconnect();
        await pool.end();
      },
      postgresNotifications(pool, url, schema),
    );
  } else {
    let pglite: PGlite;
    let owned: boolean;
    let unlock = () => {};
    if (config.kind === "pglite-instance") {
      pglite = config.pglite;
      owned = false;
    } else {
      const dataDir = config.dataDir ?? DEFAULT_DATA_DIR;
      if (dataDir.startsWith("memory://")) {
        // Migrated databases start from the migrated template (initdb and the migrations once a process, or once a machine).
        pglite = (config.migrate ?? true) ? (await openMemoryPglite({ migrations })).pglite : new PGlite(dataDir);
      } else {
        const path = resolve(dataDir);
        // The lock first: never open a directory another process has open.
        mkdirSync(dirname(path), { recursive: true });
        const lock = lockDataDir(path, { holder: config.holder ?? "pglite" });
        unlock = () => lock.release();
        try {
          mkdirSync(path, { recursive: true });
          // A new directory starts as a copy of the migrated template: no initdb, no migrations to run.
          if ((config.migrate ?? true) && readdirSync(path).length === 0) {
            const tar = await pgliteTemplateTar({ migrations });
            if (tar !== null) {
              // Unpacked beside, then renamed into place: a crash half-way leaves the directory empty, never half a cluster.
              const staging = `${path}.template-${process.pid}`;
              rmSync(staging, { recursive: true, force: true });
              mkdirSync(staging, { recursive: true, mode: 0o700 });
              unpackTar(tar, staging);
              rmdirSync(path);
              renameSync(staging, path);
            }
          }
          pglite = new PGlite(path);
        } catch (error) {
          unlock();
          throw asError(error, `PGlite could not open ${path}`);
        }
      }
      owned = true;
    }
    try {
      await pglite.waitReady;
    } catch (error) {
      unlock();
      throw asError(error, "PGlite could not open its data directory");
    }
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    db = buildDb(
      "pglite",
      prisma,
      null,
      clock,
      () => runMigrations(pgliteSession(pglite), migrations),
      async () => {
        await prisma.$disconnect();
        if (owned) await pglite.close();
        unlock();
      },
      pgliteNotifications(pglite),
    );
  }

  if (config.migrate ?? true) {
    try {
      await db.migrate();
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}
