/**
 * The embedded database. One process may own a PGlite data directory, so the worker
 * that owns it serves it over PostgreSQL's wire protocol (pglite-socket) on 127.0.0.1
 * and writes the address to `<dataDir>.lock`; the CLI and the api connect through it
 * while the worker lives, and open the directory themselves when no worker runs.
 * The worker queries PGlite directly; a queue of our own keeps each client's protocol
 * cycle and transaction whole (see internal/cycle-queue.ts).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { dirname, resolve } from "node:path";
import { type Clock, ConfigError } from "@autonome/core";
import { type Db, createDb } from "@autonome/db";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { CycleQueue } from "./internal/cycle-queue.js";

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
  return `${resolve(dataDir)}.lock`;
}

/** Reads the lock file, or null when there is none or it is unreadable. */
export function readLock(dataDir: string): EmbeddedLock | null {
  const path = lockPathOf(dataDir);
  if (!existsSync(path)) return null;
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as EmbeddedLock;
    return typeof value.port === "number" && typeof value.url === "string" && typeof value.pid === "number" ? value : null;
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
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
  const lock = readLock(dataDir);
  if (lock === null) return null;
  if (!processAlive(lock.pid)) return null;
  return (await portOpen(lock.host, lock.port)) ? lock : null;
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
 * Opens the data directory, serves it on 127.0.0.1 and writes the lock file. Refuses
 * (ConfigError) when a live worker already serves it.
 */
export async function serveEmbedded(options: ServeEmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const existing = await liveLock(dataDir);
  if (existing !== null) {
    throw new ConfigError(`the embedded database ${dataDir} is served by a running worker (pid ${existing.pid}, ${existing.host}:${existing.port}); stop it or set DATABASE_URL`, "DATABASE_URL");
  }
  mkdirSync(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir);
  await pglite.waitReady;
  const host = options.host ?? "127.0.0.1";
  // The default of 1 connection would drop every client but the first.
  const server = new PGLiteSocketServer({ db: pglite, host, port: options.port ?? 0, maxConnections: 64 });
  // Whole protocol cycles per client; see internal/cycle-queue.ts. The field is private in the types only.
  (server as unknown as { queryQueue: CycleQueue }).queryQueue = new CycleQueue(pglite);
  await server.start();
  const port = Number(server.getServerConn().split(":").pop());
  const url = `postgresql://postgres@${host}:${port}/postgres`;
  let db: Db;
  try {
    // This process queries PGlite directly (no socket round trip); the cycle queue keeps it apart from clients.
    db = await createDb({ kind: "pglite-instance", pglite, ...(options.clock ? { clock: options.clock } : {}) });
  } catch (error) {
    await server.stop();
    await pglite.close();
    throw error;
  }
  const lock: EmbeddedLock = { pid: process.pid, host, port, url, startedAt: Date.now() };
  mkdirSync(dirname(lockPathOf(dataDir)), { recursive: true });
  writeFileSync(lockPathOf(dataDir), `${JSON.stringify(lock)}\n`);
  let closed: Promise<void> | undefined;
  return {
    db,
    lock,
    close: () =>
      (closed ??= (async () => {
        await db.close();
        await server.stop();
        await pglite.close();
        const current = readLock(dataDir);
        if (current?.pid === process.pid && current.port === port) rmSync(lockPathOf(dataDir), { force: true });
      })()),
  };
}

/** How a shell reached the database. */
export type Connection = { db: Db; via: "postgres" | "worker" | "data-dir" };

/**
 * Opens the database for a shell (CLI, api): DATABASE_URL when set; else through the
 * live worker that serves the data directory; else the data directory itself.
 */
export async function connectDatabase(databaseUrl: string | null, dataDir: string, clock?: Clock): Promise<Connection> {
  const withClock = clock ? { clock } : {};
  if (databaseUrl !== null) return { db: await createDb({ kind: "postgres", url: databaseUrl, maxConnections: 2, ...withClock }), via: "postgres" };
  const lock = await liveLock(dataDir);
  if (lock !== null) return { db: await createDb({ kind: "postgres", url: lock.url, maxConnections: 2, migrate: false, ...withClock }), via: "worker" };
  return { db: await createDb({ kind: "pglite", dataDir, ...withClock }), via: "data-dir" };
}
