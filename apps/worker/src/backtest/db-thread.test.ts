import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@autonome/core";
import { createDb } from "@autonome/db";
import { PGlite } from "@electric-sql/pglite";
import { afterEach, describe, expect, it } from "vitest";
import { BacktestDatabaseError, startDatabaseThread } from "./db-thread.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "db-thread-test-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const socketDirOf = (url: string) => decodeURIComponent(new URL(url).searchParams.get("host")!);

describe("the backtest's database thread", () => {
  it("serves a migrated database over a private Unix socket and writes it to the data directory at the end", { timeout: 60_000 }, async () => {
    const thread = await startDatabaseThread();
    const socketDir = socketDirOf(thread.url);
    // Only this user may reach the socket, and nothing listens on the network.
    expect(statSync(socketDir).mode & 0o777).toBe(0o700);
    expect(thread.url).not.toMatch(/127\.0\.0\.1|0\.0\.0\.0/);
    const db = await createDb({ kind: "postgres", url: thread.url, clock: new ManualClock(1_735_689_600_000), maxConnections: 4 });
    const model = await db.models.upsert({ name: "thread-test", provider: "rule", modelName: "rule" });
    // Two transactions at once on two connections: the thread serialises them, both land.
    await Promise.all([
      db.transaction(async (tx) => tx.portfolio.recordMany([{ modelId: model.id, at: 1_735_689_600_000, total: "10000", available: "10000", unrealizedPnl: "0" }])),
      db.transaction(async (tx) => tx.portfolio.recordMany([{ modelId: model.id, at: 1_735_689_900_000, total: "10001.5", available: "9000", unrealizedPnl: "1.5" }])),
    ]);
    await db.close();
    const dataDir = join(tempDir(), "db");
    await thread.save(dataDir);
    expect(existsSync(socketDir)).toBe(false);

    const saved = new PGlite(dataDir);
    try {
      const rows = await saved.query<{ name: string; total: string }>(
        "select m.name, s.total::text as total from portfolio_snapshots s join models m on m.id = s.model_id order by s.at",
      );
      expect(rows.rows).toEqual([
        { name: "thread-test", total: "10000.00000000" },
        { name: "thread-test", total: "10001.50000000" },
      ]);
    } finally {
      await saved.close();
    }
  });

  it("closes without writing anything, and a second close is harmless", { timeout: 60_000 }, async () => {
    const thread = await startDatabaseThread();
    const socketDir = socketDirOf(thread.url);
    await thread.close();
    await thread.close();
    expect(existsSync(socketDir)).toBe(false);
  });

  it("fails with a typed error when the cluster cannot be written, and still ends the thread", { timeout: 60_000 }, async () => {
    const thread = await startDatabaseThread();
    const socketDir = socketDirOf(thread.url);
    // The data directory's parent is a file: nothing can be created under it.
    const blocker = join(tempDir(), "not-a-directory");
    writeFileSync(blocker, "x");
    const failure = await thread.save(join(blocker, "db")).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BacktestDatabaseError);
    expect((failure as BacktestDatabaseError).code).toBe("BACKTEST_DATABASE");
    expect(existsSync(socketDir)).toBe(false);
  });
});
