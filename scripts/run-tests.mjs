#!/usr/bin/env node
// Runs every package's tests through turbo, then prints one line a script can read:
// "N passed, N failed" summed over all packages (from each package's vitest JSON
// report), plus any extra checks that CI appends through TEST_EXTRA_RESULTS.
// Exits non-zero when turbo failed or any test failed.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const reportDirs = ["packages", "apps", "tools"].flatMap((group) => {
  const dir = join(root, group);
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
});
for (const dir of reportDirs) rmSync(join(dir, "test-results.json"), { force: true });

// Two test tasks at a time: each vitest run already uses every core for its own files.
const args = ["exec", "turbo", "run", "test", "--continue", "--concurrency=2", ...process.argv.slice(2)];
const run = spawnSync("pnpm", args, { stdio: "inherit", cwd: root, env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" } });

let passed = 0;
let failed = 0;
let skipped = 0;
const perPackage = [];
for (const dir of reportDirs) {
  const file = join(dir, "test-results.json");
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A file that failed to load has no tests in it but must still count as a failure.
  const brokenFiles = (report.testResults ?? []).filter((r) => r.status === "failed" && r.assertionResults.length === 0).length;
  failed += brokenFiles;
  perPackage.push(`${dir.slice(root.length)}: ${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed`);
}
console.log(`\n${perPackage.join("\n")}`);
const ok = run.status === 0 && failed === 0 && passed > 0;
if (run.status !== 0 && failed === 0) failed += 1; // turbo failed outside a test (build, crash): count it
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(ok ? 0 : 1);
