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

describe("a crash between an Order's write and the ToolCall of the call that caused it", () => {
  const auditChild = fileURLToPath(new URL("../testing/audit-kill-child.ts", import.meta.url));
  const runChild = (env: Record<string, string>) =>
    new Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
      const proc = spawn(process.execPath, ["--import", "tsx", auditChild], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      proc.on("error", reject);
      proc.on("close", (_code, signal) => resolve({ signal, stdout, stderr }));
    });
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "autonome-audit-kill-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("leaves neither behind: no Order without its ToolCall, and the unfinished invocation is closed as ABANDONED on start", async () => {
    const dataDir = join(dir, "db");
    const killed = await runChild({ AUDIT_TEST_DB_DIR: dataDir, AUDIT_TEST_CRASH: "after-order-write" });
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const { modelId } = JSON.parse(killed.stdout.trim().split("\n")[0]!) as { modelId: string };
    const clock = new ManualClock(T0);
    const check = async () => {
      const db = await createDb({ kind: "pglite", dataDir, clock });
      try {
        const orders = await db.orders.allOpenOrders();
        const calls = (await db.invocations.history({ modelId })).flatMap((i) => i.toolCalls);
        const recorded = new Set(calls.map((c) => (c.result as { orderId?: string } | null)?.orderId));
        return { db, orders, calls, recorded };
      } catch (error) {
        await db.close();
        throw error;
      }
    };
    let seen = await check();
    try {
      // The Order's write was rolled back with the transaction the crash cut short: no Order, no ToolCall.
      expect(seen.orders.filter((o) => !seen.recorded.has(o.orderId))).toEqual([]);
      expect(seen.orders).toEqual([]);
      // The run's invocation was left unfinished; a worker's start closes it as ABANDONED and counts it.
      const abandoned = await seen.db.invocations.abandonUnfinished({ startedBefore: T0 + 1, reason: "its worker died" });
      expect(abandoned.map((a) => a.modelId)).toEqual([modelId]);
      expect((await seen.db.models.require(modelId)).failedWorkflowCount).toBe(1);
    } finally {
      await seen.db.close();
    }

    // Without the crash the same run writes the Order and its ToolCall, together.
    const lived = await runChild({ AUDIT_TEST_DB_DIR: dataDir });
    expect(lived.signal, lived.stderr).toBeNull();
    expect(JSON.parse(lived.stdout.trim().split("\n")[1]!)).toEqual({ ok: true, toolCalls: ["executed"] });
    seen = await check();
    try {
      expect(seen.orders).toHaveLength(1);
      expect(seen.recorded.has(seen.orders[0]!.orderId)).toBe(true);
      expect(seen.calls.filter((c) => c.type === "CREATE_POSITION")).toHaveLength(1);
    } finally {
      await seen.db.close();
    }
  }, 120_000);
});
