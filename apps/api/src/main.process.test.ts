/**
 * The standalone api as a process: it never opens an embedded data directory that a
 * worker holds, a start that fails is one line naming the setting, exit code 2, and a
 * SIGTERM while it starts stops it cleanly once started.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dataDirLockPath, lockDataDir } from "@autonome/db";
import { afterAll, describe, expect, it } from "vitest";

const main = join(import.meta.dirname, "main.ts");

async function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", main], { env: { ...process.env, DATABASE_URL: "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr: stderr.split("\n").filter((l) => l !== "") };
}

describe("the standalone api process", () => {
  const dir = mkdtempSync(join(tmpdir(), "autonome-api-main-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a data directory a worker holds: exit 2 and one line naming the directory and the pid", async () => {
    const dataDir = join(dir, "db");
    const lock = lockDataDir(dataDir, { holder: "worker" });
    try {
      const result = await run({ AUTONOME_DB_DIR: dataDir, API_PORT: "0" });
      expect(result.code).toBe(2);
      expect(result.stderr).toEqual([
        `autonome api: AUTONOME_DB_DIR ${dataDir} is in use by worker process ${process.pid} on ${lock.owner.host}; with the embedded database, let the worker serve the api (its API_PORT), or use PostgreSQL (DATABASE_URL) to run the api apart`,
      ]);
    } finally {
      lock.release();
    }
  }, 120_000);

  it("stops cleanly on a SIGTERM that comes while it opens the database: exit 0, the directory's lock released", async () => {
    const dataDir = join(dir, "starting");
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, DATABASE_URL: "", AUTONOME_DB_DIR: dataDir, API_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stderr.resume();
    const closed = new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    // Printed before the database opens (a fresh embedded one: a second or more).
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        if (stdout.includes("autonome api starting")) resolve();
      }),
    );
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    expect(await closed).toBe(0);
    clearTimeout(timer);
    expect(stdout).toContain(`autonome api starting: embedded database in ${dataDir}`);
    expect(existsSync(dataDirLockPath(dataDir))).toBe(false);
  }, 120_000);

  it("a bad API_PORT and a closed DATABASE_URL are one line each, exit 2", async () => {
    const bad = await run({ API_PORT: "http" });
    expect(bad).toEqual({ code: 2, stderr: ['autonome api: API_PORT must be a whole number from 0 to 65535, got "http"'] });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const closed = await run({ DATABASE_URL: `postgresql://api:s3cret@127.0.0.1:${port}/autonome` });
    expect(closed.code).toBe(2);
    expect(closed.stderr).toEqual([`autonome api: DATABASE_URL postgresql://api:***@127.0.0.1:${port}/autonome: connect ECONNREFUSED 127.0.0.1:${port}`]);
  }, 120_000);
});
