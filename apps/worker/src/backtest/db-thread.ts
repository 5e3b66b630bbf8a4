/**
 * The backtest's embedded database in a thread of its own. A PGlite runs its SQL on the
 * thread that calls it, so in-process it takes its share of every tick (about a sixth of a
 * 30-day run goes to writing the batched invocations, tool calls and snapshots). Here the
 * in-memory PGlite (started from @autonome/db's migrated template) lives in a worker thread
 * and serves the PostgreSQL wire protocol (pglite-socket) on a Unix socket in a private
 * directory (mode 0700: no other user can connect, and nothing listens on the network); the
 * run talks to it as to any PostgreSQL (`createDb({ kind: "postgres" })`), so its writes run
 * on the other core while the next ticks are computed. At the end the thread writes the
 * cluster to the output directory (saveMemoryPglite), exactly as the in-process run did.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { AutonomeError } from "@autonome/core";

/** The database thread could not start, or failed or exited during the run. */
export class BacktestDatabaseError extends AutonomeError {
  readonly code = "BACKTEST_DATABASE";
}

/** A running database thread. */
export interface DatabaseThread {
  /** The connection URL (PostgreSQL over the thread's Unix socket). */
  readonly url: string;
  /** Writes the cluster into `dataDir` (replacing it) and ends the thread. */
  save(dataDir: string): Promise<void>;
  /** Ends the thread without writing anything (a failed run). Safe to call twice. */
  close(): Promise<void>;
}

type Reply = { kind: "ready" } | { kind: "saved" } | { kind: "closed" } | { kind: "failed"; message: string };

/**
 * The thread's code. It is evaluated from a data: URL, so its imports are the absolute URLs
 * this module resolves (the same packages the run uses, from src under tsx or from dist).
 */
function threadSource(dbModule: string, socketModule: string): string {
  return `
import { parentPort, workerData } from "node:worker_threads";
const fail = (error) => parentPort.postMessage({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
let server = null;
let pglite = null;
try {
  const { openMemoryPglite } = await import(${JSON.stringify(dbModule)});
  const { PGLiteSocketServer } = await import(${JSON.stringify(socketModule)});
  pglite = (await openMemoryPglite()).pglite;
  server = new PGLiteSocketServer({ db: pglite, path: workerData.socketPath, maxConnections: 8 });
  await server.start();
  parentPort.postMessage({ kind: "ready" });
} catch (error) {
  fail(error);
}
parentPort.on("message", async (message) => {
  try {
    await server?.stop();
    server = null;
    if (message.kind === "save") {
      const { saveMemoryPglite } = await import(${JSON.stringify(dbModule)});
      await saveMemoryPglite(pglite, message.dataDir);
    }
    await pglite?.close();
    pglite = null;
    parentPort.postMessage({ kind: message.kind === "save" ? "saved" : "closed" });
  } catch (error) {
    fail(error);
  }
});
`;
}

/** Starts the thread and waits until its database accepts connections. */
export async function startDatabaseThread(): Promise<DatabaseThread> {
  const socketDir = mkdtempSync(join(tmpdir(), "autonome-backtest-db-"));
  // libpq's convention (what pg follows): host is the directory, the file is .s.PGSQL.<port>.
  const port = 5432;
  const socketPath = join(socketDir, `.s.PGSQL.${port}`);
  const source = threadSource(import.meta.resolve("@autonome/db"), import.meta.resolve("@electric-sql/pglite-socket"));
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), { workerData: { socketPath } });
  let exited: Error | null = null;
  const waiting = new Set<{ expect: Reply["kind"]; resolve: () => void; reject: (error: Error) => void }>();
  const failAll = (error: Error) => {
    for (const w of waiting) w.reject(error);
    waiting.clear();
  };
  worker.on("message", (reply: Reply) => {
    if (reply.kind === "failed") return failAll(new BacktestDatabaseError(`the backtest database thread failed: ${reply.message}`));
    for (const w of waiting) {
      if (w.expect === reply.kind) {
        waiting.delete(w);
        w.resolve();
      }
    }
  });
  worker.on("error", (error) => failAll(new BacktestDatabaseError(`the backtest database thread failed: ${error.message}`)));
  worker.on("exit", (code) => {
    exited = new BacktestDatabaseError(`the backtest database thread exited (code ${code})`);
    failAll(exited);
  });
  const expect = (kind: Reply["kind"]) =>
    new Promise<void>((resolve, reject) => {
      if (exited) return reject(exited);
      waiting.add({ expect: kind, resolve, reject });
    });
  let ended: Promise<void> | null = null;
  const end = (message: { kind: "save"; dataDir: string } | { kind: "close" }) =>
    (ended ??= (async () => {
      try {
        if (!exited) {
          const done = expect(message.kind === "save" ? "saved" : "closed");
          worker.postMessage(message);
          await done;
        }
      } finally {
        await worker.terminate();
        rmSync(socketDir, { recursive: true, force: true });
      }
    })());
  try {
    await expect("ready");
  } catch (error) {
    await worker.terminate();
    rmSync(socketDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgresql://postgres@localhost:${port}/postgres?host=${encodeURIComponent(socketDir)}`,
    save: (dataDir) => end({ kind: "save", dataDir }),
    close: () => end({ kind: "close" }),
  };
}
