import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock } from "@autonome/core";
import { createDb } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_INDEX, MockVenue } from "../testing/lighter-venue.js";
import { ControlledMarket, T0 } from "../testing/support.js";

const child = fileURLToPath(new URL("../testing/kill-child.ts", import.meta.url));

function run(env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", child], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.on("error", reject);
    proc.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe("a crash between the exchange fill and the database write", () => {
  let venue: MockVenue;
  let dir: string;
  beforeAll(async () => {
    venue = await MockVenue.start({ BTC: 100_000 });
    dir = mkdtempSync(join(tmpdir(), "autonome-kill-"));
  });
  afterAll(async () => {
    await venue.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is repaired by reconciliation on restart: the exchange's position becomes an OPEN Order", async () => {
    const clock = new ManualClock(T0);
    const dataDir = join(dir, "db");
    const exit = await run({ KILL_TEST_DB_DIR: dataDir, KILL_TEST_VENUE_URL: venue.url, KILL_TEST_CRASH_POINT: "after-fill" });
    expect(exit.signal, exit.stderr).toBe("SIGKILL");
    const { modelId } = JSON.parse(exit.stdout.trim().split("\n")[0]!) as { modelId: string };
    // The exchange filled the order; the database never heard of it.
    expect(venue.server.exchange.positionsOf(ACCOUNT_INDEX)).toEqual([expect.objectContaining({ marketId: 1, lots: 3000 })]);

    const db = await createDb({ kind: "pglite", dataDir, clock });
    const model = await db.models.require(modelId);
    try {
      expect(await db.orders.openOrdersOfModel(model.id)).toEqual([]);
      const broker = venue.broker(db, new ControlledMarket(clock, { BTC: 100_000 }), clock);
      const report = await broker.start([model]);
      expect(report.errors).toEqual([]);
      expect(report.actions).toEqual([expect.objectContaining({ kind: "adoptedUnknownPosition", symbol: "BTC", side: "LONG", quantity: "0.03", entryPrice: "100000.1" })]);
      const order = await db.orders.openPositionOf(model.id, "BTC");
      expect(order?.quantity.toString()).toBe("0.03");
      // A second reconciliation finds nothing left to repair.
      expect((await broker.sync([model])).actions).toEqual([]);
      await broker.close();
    } finally {
      await db.close();
    }
  });
  it("is repaired on restart when the crash comes after the exchange closed the position: the Order closes at the real fill", async () => {
    const clock = new ManualClock(T0);
    const dataDir = join(dir, "db-close");
    // Start flat: close what an earlier test left on the shared mock account.
    for (const p of venue.server.exchange.positionsOf(ACCOUNT_INDEX)) {
      await venue.outsider().placeMarketOrder({ symbol: "BTC", side: p.lots > 0 ? "sell" : "buy", size: (Math.abs(p.lots) / 1e5).toString(), reduceOnly: true, maxSlippage: "0.05" });
    }
    venue.setLiquidity("BTC", 100_000);
    const exit = await run({ KILL_TEST_DB_DIR: dataDir, KILL_TEST_VENUE_URL: venue.url, KILL_TEST_CRASH_POINT: "after-close-fill" });
    expect(exit.signal, exit.stderr).toBe("SIGKILL");
    const lines = exit.stdout.trim().split("\n");
    const { modelId } = JSON.parse(lines[0]!) as { modelId: string };
    expect(JSON.parse(lines[1]!)).toEqual({ opened: true });
    // The exchange is flat; the database still holds the position.
    expect(venue.server.exchange.positionsOf(ACCOUNT_INDEX), exit.stdout + exit.stderr).toEqual([]);

    const db = await createDb({ kind: "pglite", dataDir, clock });
    const model = await db.models.require(modelId);
    try {
      const open = (await db.orders.openPositionOf(model.id, "BTC"))!;
      expect(open).not.toBeNull();
      const broker = venue.broker(db, new ControlledMarket(clock, { BTC: 100_500 }), clock);
      const report = await broker.start([model]);
      expect(report.errors, JSON.stringify(report.errors)).toEqual([]);
      // The close sold into the bid at 100000: that, not the 100500 mark, is the exit.
      expect(report.actions).toEqual(
        expect.arrayContaining([expect.objectContaining({ kind: "closedMissingPosition", orderId: open.orderId, exitPrice: "100000" })]),
      );
      const closed = await db.orders.byId(open.orderId);
      expect(closed?.status).toBe("CLOSED");
      // The stop leg of the closed position is gone from the exchange too.
      expect(venue.server.exchange.accountOrders(ACCOUNT_INDEX, true)).toEqual([]);
      await broker.close();
    } finally {
      await db.close();
    }
  });
});
