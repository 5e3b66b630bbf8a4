#!/usr/bin/env node
// Runs every package's tests through turbo, then prints one line a script can read:
// "N passed, N failed, N skipped" summed over all packages (from each package's vitest
// JSON report), naming the skipped tests' files above it when there are any.
// Without TEST_DATABASE_URL it first starts one PostgreSQL 18 from npm for the whole run
// (scripts/test-postgres.mjs) and hands its URL to every package as TEST_DATABASE_URL;
// that server is stopped and removed at the end, on a signal or a failure too.
// Exits non-zero when turbo failed or any test failed.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startTestPostgres } from "./test-postgres.mjs";
import { summarizeReports } from "./test-summary.mjs";

const root = new URL("..", import.meta.url).pathname;
const reportDirs = ["packages", "apps", "tools"].flatMap((group) => {
  const dir = join(root, group);
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
});
for (const dir of reportDirs) rmSync(join(dir, "test-results.json"), { force: true });

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };
/** @type {import("./test-postgres.mjs").TestPostgres | undefined} */
let postgres;
if (!process.env.TEST_DATABASE_URL?.trim()) {
  try {
    postgres = await startTestPostgres({ log: (line) => console.log(line) });
    env.TEST_DATABASE_URL = postgres.url;
  } catch (error) {
    if (process.env.CI === "true") throw error;
    // Each package's vitest globalSetup tries once more, and skips its PostgreSQL tests if that fails too.
    console.warn(error instanceof Error ? error.message : String(error));
  }
}
// turbo hashes this instead of TEST_DATABASE_URL (passed through unhashed, see turbo.json):
// the embedded server's port and password change every run, and a new URL would discard
// every cached test result.
env.TEST_DATABASE_SERVER = postgres ? `embedded PostgreSQL ${postgres.version}` : (env.TEST_DATABASE_URL ?? "");

// Two test tasks at a time: each vitest run already uses every core for its own files.
const args = ["exec", "turbo", "run", "test", "--continue", "--concurrency=2", ...process.argv.slice(2)];
// In a process group of its own, so that a signal reaches every process of the run (pnpm,
// turbo, each vitest and what it started) through this script, which waits for them all
// before PostgreSQL goes.
const child = spawn("pnpm", args, { stdio: "inherit", cwd: root, env, detached: true });
/** @type {Promise<number>} */
const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));

/** Sends a signal to the run's process group; false once the group is gone. */
function signalRun(/** @type {NodeJS.Signals | 0} */ signal) {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

// Ctrl-C, a SIGTERM or a hang-up: passed on to the run, which then ends with 128 + its number.
/** @type {{ signal: NodeJS.Signals; code: number } | undefined} */
let interrupted;
for (const [signal, number] of /** @type {const} */ ([["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]])) {
  process.on(signal, () => {
    interrupted ??= { signal, code: 128 + number };
    signalRun(signal);
    setTimeout(() => signalRun("SIGKILL"), 20_000).unref();
  });
}

let status;
try {
  status = await exited;
  // pnpm may end before turbo and its tasks do (it does on SIGTERM): wait for the whole group.
  for (let waited = 0; signalRun(0) && waited < 30_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  signalRun("SIGKILL");
} finally {
  await postgres?.stop();
}
if (interrupted) {
  console.log(`\ninterrupted by ${interrupted.signal}`);
  process.exit(interrupted.code);
}

const summary = summarizeReports(root, reportDirs);
const { passed } = summary;
let { failed } = summary;
console.log(`\n${summary.packages.join("\n")}`);
if (summary.failures.length > 0) console.log(`failed tests:\n${summary.failures.join("\n")}`);
if (summary.skippedFiles.length > 0) console.log(`skipped tests (their reasons are printed above):\n${summary.skippedFiles.join("\n")}`);
const ok = status === 0 && failed === 0 && passed > 0;
if (status !== 0 && failed === 0) failed += 1; // turbo failed outside a test (build, crash): count it
console.log(`${passed} passed, ${failed} failed, ${summary.skipped} skipped`);
process.exit(ok ? 0 : 1);
