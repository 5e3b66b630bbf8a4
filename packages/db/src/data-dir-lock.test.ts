import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirInUseError, dataDirLockHolderAlive, dataDirLockPath, lockDataDir, readDataDirLock } from "./data-dir-lock.js";

const taker = join(import.meta.dirname, "testing", "data-dir-lock-taker.ts");

interface Taker {
  outcome: Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<void>;
}

/** Separate processes that try the lock at one instant, once all of them are loaded. */
async function race(dataDir: string, count: number): Promise<{ takers: Taker[]; outcomes: string[] }> {
  const started = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ["--import", "tsx", taker, dataDir], { stdio: ["pipe", "pipe", "inherit"] });
    const lines: string[] = [];
    let buffer = "";
    let onLine = () => {};
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts);
      onLine();
    });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const line = (i: number) =>
      new Promise<string>((resolve, reject) => {
        const check = () => (lines.length > i ? resolve(lines[i]!) : child.exitCode !== null ? reject(new Error(`taker exited ${child.exitCode}: ${lines.join(" | ")}`)) : undefined);
        onLine = check;
        child.once("exit", check);
        check();
      });
    return { child, exited, line };
  });
  for (const s of started) expect(await s.line(0)).toBe("ready");
  const startAt = Date.now() + 300;
  for (const s of started) s.child.stdin.end(`${startAt}\n`);
  const outcomes = await Promise.all(started.map((s) => s.line(1)));
  return { outcomes, takers: started.map((s, i) => ({ outcome: Promise.resolve(outcomes[i]!), exited: s.exited, kill: (signal: NodeJS.Signals = "SIGKILL") => void s.child.kill(signal) })) };
}

/** The pid of a process that just ended: surely not alive. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid!;
  await new Promise((resolve) => child.on("exit", resolve));
  return pid;
}

describe("lockDataDir", () => {
  const parent = mkdtempSync(join(tmpdir(), "autonome-lock-"));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => join(parent, `db-${++n}`);

  it("holds the directory for this process, says who holds it, and refuses a second holding", () => {
    const dir = fresh();
    const lock = lockDataDir(dir, { holder: "worker" });
    expect(readDataDirLock(dir)).toMatchObject({ pid: process.pid, host: hostname(), holder: "worker", nonce: lock.owner.nonce });
    expect(dataDirLockHolderAlive(lock.owner)).toBe(true);
    const refused = (() => {
      try {
        lockDataDir(dir);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toBe(`PGlite data directory ${dir} is in use by this process`);
    lock.update({ port: 5555, url: "postgresql://x" });
    expect(readDataDirLock(dir)).toMatchObject({ pid: process.pid, nonce: lock.owner.nonce, port: 5555 });
    lock.release();
    lock.release();
    expect(existsSync(dataDirLockPath(dir))).toBe(false);
    // Nothing but the lock itself was ever left beside the directory.
    expect(readdirSync(parent).filter((f) => f.startsWith(`db-${n}`))).toEqual([]);
  });

  it("takes over a stale lock: a dead pid, a legacy pid-only file, another boot, a reused pid, garbage", async () => {
    const dead = await deadPid();
    const staleOnes = [
      JSON.stringify({ pid: dead, host: hostname(), startedAt: 1, nonce: "dead" }),
      String(dead),
      JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 1, nonce: "earlier-process-same-pid" }),
      JSON.stringify({ pid: 1, host: hostname(), startedAt: 1, nonce: "other-boot", bootId: "not-this-boot" }),
      ...(existsSync("/proc/1/stat") ? [JSON.stringify({ pid: 1, host: hostname(), startedAt: 1, nonce: "reused", procStart: "1" })] : []),
      "{ torn",
    ];
    for (const stale of staleOnes) {
      const dir = fresh();
      writeFileSync(dataDirLockPath(dir), stale);
      if (stale === "{ torn") {
        // Garbage is only called stale once it stayed garbage for a second.
        const past = new Date(Date.now() - 5_000);
        (await import("node:fs")).utimesSync(dataDirLockPath(dir), past, past);
      }
      const lock = lockDataDir(dir);
      expect(readDataDirLock(dir)?.nonce).toBe(lock.owner.nonce);
      lock.release();
    }
  });

  it("respects a lock held on another host, naming the file to remove", () => {
    const dir = fresh();
    writeFileSync(dataDirLockPath(dir), JSON.stringify({ pid: 4242, host: "elsewhere", startedAt: Date.UTC(2026, 0, 1), nonce: "remote", holder: "worker" }));
    expect(() => lockDataDir(dir)).toThrow(
      `PGlite data directory ${dir} is in use by process 4242 (a worker, host elsewhere, since 2026-01-01T00:00:00.000Z); if host elsewhere no longer runs it, remove ${dataDirLockPath(dir)}`,
    );
  });

  it("lets exactly one of 8 processes trying at the same instant win, on a fresh directory and over a stale lock", async () => {
    const dead = await deadPid();
    for (const stale of [false, true]) {
      const dir = fresh();
      if (stale) writeFileSync(dataDirLockPath(dir), JSON.stringify({ pid: dead, host: hostname(), startedAt: 1, nonce: "stale" }));
      // The winner holds the lock until every taker has tried.
      const { takers, outcomes } = await race(dir, 8);
      const won = outcomes.filter((o) => o.startsWith("won "));
      expect(won, outcomes.join("\n")).toHaveLength(1);
      expect(outcomes.filter((o) => o.startsWith("lost in-use ")), outcomes.join("\n")).toHaveLength(7);
      expect(readDataDirLock(dir)?.nonce).toBe(won[0]!.slice(4));
      for (const t of takers) t.kill("SIGTERM");
      await Promise.all(takers.map((t) => t.exited));
      expect(existsSync(dataDirLockPath(dir))).toBe(false);
      // No temporary or break file is left behind.
      expect(readdirSync(parent).filter((f) => f.startsWith(`db-${n}.`))).toEqual([]);
    }
  }, 120_000);

  it("is free again after its holder is killed with SIGKILL, and exactly one of several takers gets it", async () => {
    const dir = fresh();
    const first = await race(dir, 1);
    const held = first.outcomes[0]!;
    expect(held).toMatch(/^won /);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    first.takers[0]!.kill("SIGKILL");
    await first.takers[0]!.exited;
    // The file stays (nothing runs at SIGKILL) but names a dead process.
    expect(readFileSync(dataDirLockPath(dir), "utf8")).toContain(held.slice(4));
    const { takers, outcomes } = await race(dir, 4);
    expect(outcomes.filter((o) => o.startsWith("won ")), outcomes.join("\n")).toHaveLength(1);
    for (const t of takers) t.kill("SIGTERM");
    await Promise.all(takers.map((t) => t.exited));
    const lock = lockDataDir(dir);
    lock.release();
  }, 60_000);
});
