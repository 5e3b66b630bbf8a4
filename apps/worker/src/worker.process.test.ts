/**
 * The worker as a process, the way `pnpm start` runs it: embedded PGlite served to the
 * CLI from another process, pause and flatten on a running worker, graceful SIGTERM,
 * and a restart that restores the open positions and their triggers.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./commands.js";
import { lockPathOf } from "./embedded.js";
import { type RunningWorker, startWorkerProcess } from "./testing/worker-process.js";


type Running = RunningWorker;
const startWorker = startWorkerProcess;

async function waitFor(running: Running, predicate: (lines: string[]) => boolean, timeoutMs = 150_000): Promise<void> {
  const started = Date.now();
  while (!predicate(running.lines)) {
    if (running.child.exitCode !== null) throw new Error(`worker exited early:\n${running.lines.join("\n")}`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out; worker output:\n${running.lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the worker process with the embedded database", () => {
  const dir = mkdtempSync(join(tmpdir(), "autonome-worker-"));
  const env = { INIT_CWD: dir, AUTONOME_DB_DIR: "db", TRADE_INTERVAL_MS: "2000", LOG_LEVEL: "info", DATABASE_URL: "" };
  const workers: Running[] = [];
  afterAll(() => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("trades, takes commands from another process, stops on SIGTERM with exit 0 and restores positions on restart", async () => {
    const first = startWorker(env);
    workers.push(first);
    await waitFor(first, (lines) => lines.some((l) => l.includes("tick finished")));
    expect(existsSync(lockPathOf(join(dir, "db")))).toBe(true);
    // One line per decision, readable and parseable.
    expect(first.lines.some((l) => /INFO {2}decision model=buy-and-hold-btc tool=create_position symbol=BTC status=executed/.test(l))).toBe(true);

    const out: string[] = [];
    const cli = (...args: string[]) => runCli(args, env, (line) => out.push(line));
    expect(await cli("models", "list")).toBe(0);
    expect(out.join("\n")).toMatch(/buy-and-hold-btc\s+default\s+rule\/buy-and-hold-btc\s+yes\s+sim\*\s+1/);

    out.length = 0;
    expect(await cli("models", "pause", "buy-and-hold-btc")).toBe(0);
    expect(await cli("models", "flatten", "buy-and-hold-btc")).toBe(0);
    expect(out.join("\n")).toMatch(/flattened buy-and-hold-btc: 1 closed\n {2}BTC at [\d.]+, PnL -?[\d.]+/);
    // Paused: it does not open BTC again, tick after tick.
    const ticksAfterPause = first.lines.filter((l) => l.includes("tick finished")).length;
    await waitFor(first, (lines) => lines.filter((l) => l.includes("tick finished")).length >= ticksAfterPause + 2);
    out.length = 0;
    await cli("models", "list");
    expect(out.join("\n")).toMatch(/buy-and-hold-btc\s+default\s+rule\/buy-and-hold-btc\s+paused\s+sim\*\s+0/);

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.lines.some((l) => l.includes("worker stopped"))).toBe(true);
    expect(existsSync(lockPathOf(join(dir, "db")))).toBe(false);

    // No worker: the CLI opens the data directory itself.
    out.length = 0;
    expect(await cli("models", "list")).toBe(0);
    const openAtStop = out
      .join("\n")
      .split("\n")
      .slice(1)
      .map((row) => Number(row.split(/\s+/)[5]))
      .reduce((a, b) => a + b, 0);
    expect(openAtStop).toBeGreaterThan(0);
    expect(await cli("models", "resume", "buy-and-hold-btc")).toBe(0);

    const second = startWorker(env);
    workers.push(second);
    await waitFor(second, (lines) => lines.some((l) => l.includes("open positions restored")));
    const restored = Number(second.lines.find((l) => l.includes("open positions restored"))!.match(/positions=(\d+)/)![1]);
    expect(restored).toBe(openAtStop);
    await waitFor(second, (lines) => lines.some((l) => l.includes("tick finished")));
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  }, 400_000);

  it("after SIGKILL mid-run, a restarted worker takes over its dead predecessor's leases and trades within 15 s, positions restored", async () => {
    const doomed = startWorker(env);
    workers.push(doomed);
    await waitFor(doomed, (lines) => lines.some((l) => /tick started .*models=[1-9]/.test(l)));
    await waitFor(doomed, (lines) => lines.some((l) => l.includes("tick finished")));
    doomed.child.kill("SIGKILL");
    await doomed.exited;

    const out: string[] = [];
    expect(await runCli(["models", "list"], env, (line) => out.push(line))).toBe(0);
    const openAtKill = out
      .join("\n")
      .split("\n")
      .slice(1)
      .map((row) => Number(row.split(/\s+/)[5]))
      .reduce((a, b) => a + b, 0);
    expect(openAtKill).toBeGreaterThan(0);

    // The dead worker's heartbeat is fresh, but its process is gone: flatten says so and fails, or queues on request.
    out.length = 0;
    expect(await runCli(["models", "flatten", "buy-and-hold-btc", "--wait-ms", "3000"], env, (line) => out.push(line))).toBe(1);
    expect(out.join("\n")).toMatch(/no live worker holds buy-and-hold-btc \(it is leased by \S+, not running, until [\d-]+T[\d:.]+Z\): nothing flattened/);
    out.length = 0;
    expect(await runCli(["models", "flatten", "buy-and-hold-btc", "--queue"], env, (line) => out.push(line))).toBe(0);
    expect(out.join("\n")).toMatch(/no live worker holds buy-and-hold-btc .*: flatten queued \(request [\w-]+\)/);

    const startedAt = Date.now();
    const next = startWorker(env);
    workers.push(next);
    // Without the takeover every tick skips the models, leased by the dead worker, for one TTL (60 s).
    await waitFor(next, (lines) => lines.some((l) => /tick started .*models=[1-9]/.test(l)) && lines.some((l) => l.includes("tick finished")), 15_000);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(next.lines.some((l) => l.includes("leases of dead workers taken over"))).toBe(true);
    const restored = Number(next.lines.find((l) => l.includes("open positions restored"))!.match(/positions=(\d+)/)![1]);
    expect(restored).toBe(openAtKill);
    next.child.kill("SIGTERM");
    expect(await next.exited).toBe(0);
  }, 200_000);

  it("stops gracefully on a SIGTERM that comes while it is still starting: exit 0, lock released, the directory opens again", async () => {
    const startEnv = { ...env, AUTONOME_DB_DIR: "db-starting" };
    const starting = startWorker(startEnv);
    workers.push(starting);
    // Printed just before the start (a fresh directory: seconds of database set-up follow).
    await waitFor(starting, (lines) => lines.some((l) => l.includes("configuration")));
    starting.child.kill("SIGTERM");
    expect(await starting.exited).toBe(0);
    expect(starting.lines.some((l) => l.includes("stop requested while starting; stopping once started"))).toBe(true);
    expect(starting.lines.some((l) => l.includes("worker stopped"))).toBe(true);
    expect(existsSync(lockPathOf(join(dir, "db-starting")))).toBe(false);
    const out: string[] = [];
    expect(await runCli(["models", "list"], startEnv, (line) => out.push(line))).toBe(0);
    expect(out.join("\n")).toMatch(/buy-and-hold-btc/);
  }, 120_000);
});
