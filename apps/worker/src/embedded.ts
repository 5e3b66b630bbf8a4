/**
 * The embedded database. One process may own a PGlite data directory, so the worker
 * takes the directory's lock (`<dataDir>.lock`, see lockDataDir of @autonome/db) BEFORE
 * it opens it, holds it for its whole life, serves the database over PostgreSQL's wire
 * protocol (pglite-socket) on 127.0.0.1 and adds that address to the lock file; the CLI
 * connects through it while the worker lives, and opens the directory itself (taking the
 * lock) when no process holds it. The worker queries PGlite directly; a queue of our own
 * keeps each client's protocol cycle and transaction whole (see internal/cycle-queue.ts).
 */
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { dirname, resolve } from "node:path";
import type { Clock } from "@autonome/core";
import { type DataDirLock, type DataDirLockOwner, type Db, DataDirInUseError, createDb, dataDirLockHolderAlive, dataDirLockPath, describeThrown, lockDataDir, readDataDirLock } from "@autonome/db";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { CycleQueue } from "./internal/cycle-queue.js";
import { StartupError, fileSystemFailure, listenFailure } from "./startup.js";

/** What the lock file says about the worker that serves a data directory. */
export interface EmbeddedLock {
  pid: number;
  host: string;
  port: number;
  url: string;
  startedAt: number;
}

/** The lock file of a data directory. */
export function lockPathOf(dataDir: string): string {
  return dataDirLockPath(dataDir);
}

function servedBy(owner: DataDirLockOwner | null): EmbeddedLock | null {
  if (owner === null || typeof owner.port !== "number" || typeof owner.url !== "string") return null;
  return { pid: owner.pid, host: typeof owner.servedHost === "string" ? owner.servedHost : "127.0.0.1", port: owner.port, url: owner.url, startedAt: owner.startedAt };
}

/** The served address in the lock file, or null when there is no lock or its holder serves nothing. */
export function readLock(dataDir: string): EmbeddedLock | null {
  return servedBy(readDataDirLock(dataDir));
}

function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolvePort(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The lock of a live worker serving the directory, or null (a stale lock is ignored). */
export async function liveLock(dataDir: string): Promise<EmbeddedLock | null> {
  const owner = readDataDirLock(dataDir);
  const lock = servedBy(owner);
  if (owner === null || lock === null || dataDirLockHolderAlive(owner) === false) return null;
  return (await portOpen(lock.host, lock.port)) ? lock : null;
}

/** The one line for a directory another process holds, naming the setting, the directory and the pid. */
export function inUseFailure(error: DataDirInUseError, advice: string): StartupError {
  const owner = error.owner;
  const holder = owner === null ? "another process" : `${owner.holder ? `${owner.holder} ` : ""}process ${owner.pid}${owner.host ? ` on ${owner.host}` : ""}${owner.startedAt > 0 ? ` since ${new Date(owner.startedAt).toISOString()}` : ""}`;
  const remote = owner !== null && dataDirLockHolderAlive(owner) === "unknown" ? ` (if ${owner.host} no longer runs it, remove ${dataDirLockPath(error.dataDir)})` : "";
  return new StartupError("AUTONOME_DB_DIR", `AUTONOME_DB_DIR ${error.dataDir} is in use by ${holder}${remote}; ${advice}`, { cause: error });
}

/**
 * Locks a data directory for this process, creating it, and checks that it can be written:
 * every failure is a StartupError naming AUTONOME_DB_DIR.
 */
export function lockAndPrepare(dataDir: string, holder: string, advice: string): DataDirLock {
  // A file where a directory should be: say which one (mkdir only says EEXIST or ENOTDIR).
  const exists = (path: string) => {
    try {
      return statSync(path, { throwIfNoEntry: false });
    } catch {
      return undefined; // ENOTDIR: a file further up, found on the way up
    }
  };
  for (let path = dataDir; ; path = dirname(path)) {
    const stat = exists(path);
    if (stat !== undefined) {
      if (!stat.isDirectory()) {
        throw new StartupError("AUTONOME_DB_DIR", path === dataDir ? `AUTONOME_DB_DIR ${dataDir} is a file, not a directory` : `AUTONOME_DB_DIR ${dataDir} cannot be created: ${path} is a file, not a directory`);
      }
      break;
    }
    if (dirname(path) === path) break;
  }
  try {
    mkdirSync(dirname(dataDir), { recursive: true });
  } catch (error) {
    throw fileSystemFailure("AUTONOME_DB_DIR", `${dataDir} cannot be created`, error);
  }
  // The lock file lives beside the directory, so its parent must be writable.
  const parent = dirname(dataDir);
  try {
    accessSync(parent, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw exists(dataDir) === undefined
      ? fileSystemFailure("AUTONOME_DB_DIR", `${dataDir} cannot be created in ${parent}`, error)
      : fileSystemFailure("AUTONOME_DB_DIR", `${dataDir} cannot be locked: its lock file ${dataDirLockPath(dataDir)} cannot be created in ${parent}`, error);
  }
  let lock: DataDirLock;
  try {
    lock = lockDataDir(dataDir, { holder });
  } catch (error) {
    if (error instanceof DataDirInUseError) throw inUseFailure(error, advice);
    throw fileSystemFailure("AUTONOME_DB_DIR", `${dataDir} cannot be locked (its lock file ${dataDirLockPath(dataDir)} cannot be written)`, error);
  }
  try {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw fileSystemFailure("AUTONOME_DB_DIR", `${dataDir} cannot be created`, error);
    }
    try {
      accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      throw fileSystemFailure("AUTONOME_DB_DIR", `${dataDir} is not writable`, error);
    }
  } catch (error) {
    lock.release();
    throw error;
  }
  return lock;
}

/** Opens PGlite in a locked, writable directory; what it throws (not always an Error) becomes a StartupError. */
export async function openPGlite(dataDir: string): Promise<PGlite> {
  let pglite: PGlite | undefined;
  try {
    pglite = new PGlite(dataDir);
    await pglite.waitReady;
    return pglite;
  } catch (error) {
    await pglite?.close().catch(() => undefined);
    throw new StartupError("AUTONOME_DB_DIR", `AUTONOME_DB_DIR ${dataDir} cannot be opened by PGlite: ${describeThrown(error)}`, { cause: error });
  }
}

/** An embedded database served to other processes. */
export interface EmbeddedServer {
  readonly db: Db;
  readonly lock: EmbeddedLock;
  close(): Promise<void>;
}

/** Options of {@link serveEmbedded}. */
export interface ServeEmbeddedOptions {
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  clock?: Clock;
}

/**
 * Locks the data directory, opens it, serves it on 127.0.0.1 and adds the address to
 * the lock file. Refuses (StartupError naming AUTONOME_DB_DIR) when another live process
 * holds the directory, or when it cannot be created, written or opened; a port in use is
 * a StartupError naming AUTONOME_DB_PORT.
 */
export async function serveEmbedded(options: ServeEmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const lock = lockAndPrepare(dataDir, "worker", "stop that process first, or set DATABASE_URL to share a PostgreSQL database between workers");
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const pglite = await openPGlite(dataDir);
    cleanup.push(() => pglite.close());
    const host = options.host ?? "127.0.0.1";
    const requestedPort = options.port ?? 0;
    // The default of 1 connection would drop every client but the first.
    const server = new PGLiteSocketServer({ db: pglite, host, port: requestedPort, maxConnections: 64 });
    // Whole protocol cycles per client; see internal/cycle-queue.ts. The field is private in the types only.
    (server as unknown as { queryQueue: CycleQueue }).queryQueue = new CycleQueue(pglite);
    try {
      await server.start();
    } catch (error) {
      throw listenFailure("AUTONOME_DB_PORT", host, requestedPort, error);
    }
    cleanup.unshift(() => server.stop());
    const port = Number(server.getServerConn().split(":").pop());
    const url = `postgresql://postgres@${host}:${port}/postgres`;
    // This process queries PGlite directly (no socket round trip); the cycle queue keeps it apart from clients.
    const db = await createDb({ kind: "pglite-instance", pglite, ...(options.clock ? { clock: options.clock } : {}) });
    lock.update({ servedHost: host, port, url });
    const served: EmbeddedLock = { pid: process.pid, host, port, url, startedAt: lock.owner.startedAt };
    let closed: Promise<void> | undefined;
    return {
      db,
      lock: served,
      close: () =>
        (closed ??= (async () => {
          try {
            await db.close();
            await server.stop();
            await pglite.close();
          } finally {
            lock.release();
          }
        })()),
    };
  } catch (error) {
    for (const close of cleanup) await close().catch(() => undefined);
    lock.release();
    throw error;
  }
}

/** How a shell reached the database. */
export type Connection = { db: Db; via: "postgres" | "worker" | "data-dir" };

/**
 * Opens the database for a shell (CLI, api): DATABASE_URL when set; else through the
 * live worker that serves the data directory; else the data directory itself, under its
 * lock. A worker still starting (lock taken, address not yet written) is waited for up to
 * `waitMs`; a directory held by another shell is refused (StartupError naming AUTONOME_DB_DIR).
 */
export async function connectDatabase(databaseUrl: string | null, dataDir: string, clock?: Clock, options: { holder?: string; waitMs?: number } = {}): Promise<Connection> {
  const withClock = clock ? { clock } : {};
  if (databaseUrl !== null) return { db: await createDb({ kind: "postgres", url: databaseUrl, maxConnections: 2, ...withClock }), via: "postgres" };
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    const lock = await liveLock(dataDir);
    if (lock !== null) return { db: await createDb({ kind: "postgres", url: lock.url, maxConnections: 2, migrate: false, ...withClock }), via: "worker" };
    const owner = readDataDirLock(dataDir);
    const alive = owner === null ? false : dataDirLockHolderAlive(owner);
    if (owner !== null && alive !== false) {
      // A worker that took the lock and is opening the directory: its address comes soon.
      if (owner.holder === "worker" && alive === true && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
    }
    const resolved = resolve(dataDir);
    try {
      // createDb locks the directory before it opens it.
      return { db: await createDb({ kind: "pglite", dataDir: resolved, holder: options.holder ?? "cli", ...withClock }), via: "data-dir" };
    } catch (error) {
      if (error instanceof DataDirInUseError) {
        if (error.owner?.holder === "worker" && Date.now() < deadline) continue;
        throw inUseFailure(error, "wait for it to finish, or stop it");
      }
      if (typeof (error as { code?: unknown }).code === "string" && (error as { syscall?: unknown }).syscall !== undefined) throw fileSystemFailure("AUTONOME_DB_DIR", `${resolved} cannot be opened`, error);
      throw error;
    }
  }
}
