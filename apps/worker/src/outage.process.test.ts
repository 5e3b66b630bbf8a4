/**
 * A PostgreSQL outage under a running worker: one line when the database goes away, one
 * with the duration when it is back, nothing shouted in between; /api/health answers
 * 200 with `database: "down"` and the worker's last tick meanwhile. The database is cut
 * by a TCP relay in front of TEST_DATABASE_URL (skipped without it, failing when CI=true).
 */
import { type AddressInfo, createServer } from "node:net";
import { TcpRelay, testDatabaseUrl, testPostgresSkipReason } from "@autonome/db/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorkerProcess } from "./testing/worker-process.js";

const url = testDatabaseUrl();
const problem = await testPostgresSkipReason("the database outage test");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(running: RunningWorker, what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (running.child.exitCode !== null) throw new Error(`worker exited while waiting for ${what}:\n${running.lines.join("\n")}`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}:\n${running.lines.slice(-40).join("\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(problem !== null)("a database outage under a running worker", () => {
  const target = new URL(url ?? "postgresql://localhost/x");
  const relay = new TcpRelay({ host: target.hostname || "127.0.0.1", port: Number(target.port || 5432) });
  const schema = `test_${globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  let worker: RunningWorker | undefined;
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await relay.cut();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it("is one line down, one line back with its duration, and /api/health says database down with the last tick", async () => {
    await relay.open();
    const viaRelay = new URL(target);
    viaRelay.hostname = "127.0.0.1";
    viaRelay.port = String(relay.port);
    viaRelay.searchParams.set("schema", schema);
    const apiPort = await freePort();
    worker = startWorkerProcess({
      DATABASE_URL: viaRelay.toString(),
      API_PORT: String(apiPort),
      TRADE_INTERVAL_MS: "2000",
      MODELS: JSON.stringify([{ id: "hold", kind: "rule", rule: "buy-and-hold-btc" }]),
      LOG_LEVEL: "info",
    });
    const running = worker;
    const health = async () => {
      const response = await fetch(`http://127.0.0.1:${apiPort}/api/health`);
      return { status: response.status, json: (await response.json()) as { status: string; database: string; databaseDownSince: number | null; workers: Array<{ pid: number; tick: number; lastTickAt: number | null }> } };
    };
    const count = (text: string) => running.lines.filter((l) => l.includes(text)).length;
    await until(running, "two ticks", () => count("tick finished") >= 2);
    expect((await health()).json).toMatchObject({ database: "up", status: "ok" });

    await relay.cut();
    const cutAt = running.lines.length;
    const cutTime = Date.now();
    await until(running, "the outage line", () => count("database unreachable") >= 1);
    // Several seconds down: control requests (every second), ticks (every 2 s), heartbeats and leases all fail.
    await new Promise((r) => setTimeout(r, 8_000));
    const during = await health();
    expect(during.status).toBe(200);
    expect(during.json).toMatchObject({ status: "databaseDown", database: "down" });
    expect(during.json.databaseDownSince).toBeGreaterThanOrEqual(cutTime - 1_000);
    const self = during.json.workers.find((w) => w.pid === running.child.pid);
    expect(self?.tick).toBeGreaterThanOrEqual(2);
    expect(self?.lastTickAt).toBeGreaterThan(cutTime);

    await relay.open();
    await until(running, "the line saying it is back", () => count("database reachable again") >= 1);
    const outageLines = running.lines.slice(cutAt);
    const loud = outageLines.filter((l) => / (WARN|ERROR) /.test(l));
    expect(loud, outageLines.join("\n")).toEqual([expect.stringMatching(/ WARN {2}database unreachable; the worker waits for it and says when it is back error=.+ during=.+/)]);
    const back = outageLines.find((l) => l.includes("database reachable again"))!;
    expect(Number(back.match(/downForMs=(\d+)/)![1])).toBeGreaterThanOrEqual(8_000);

    const ticksBack = count("tick finished");
    await until(running, "a tick after the outage", () => count("tick finished") > ticksBack);
    expect((await health()).json).toMatchObject({ database: "up", databaseDownSince: null });
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
  }, 300_000);
});
