// Reads the vitest JSON reports (test-results.json) of a test run and sums them up for
// scripts/run-tests.mjs: tests passed, failed and skipped, one line per package, and the
// files whose tests did not run, and each failed test with the start of its message (CI
// keeps only the end of a run's output, so the failure has to be named there).
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * @typedef {object} TestSummary
 * @property {number} passed
 * @property {number} failed tests that failed, plus each file that failed with none of its
 *   tests failing (it did not load, or a hook failed and its tests were skipped)
 * @property {number} skipped tests skipped or left to do
 * @property {string[]} packages "dir: N passed, N failed" for each package with a report
 * @property {string[]} skippedFiles "  file: N (\"suite\", ...)" for each file with tests that did not run
 * @property {string[]} failures "  file > suite > test: first lines of the message" for each failed test or broken file
 */

/**
 * Sums the reports found in `dirs` (package directories under `root`).
 * @param {string} root
 * @param {readonly string[]} dirs
 * @returns {TestSummary}
 */
export function summarizeReports(root, dirs) {
  /** @type {TestSummary} */
  const summary = { passed: 0, failed: 0, skipped: 0, packages: [], skippedFiles: [], failures: [] };
  for (const dir of dirs) {
    const file = join(dir, "test-results.json");
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, "utf8"));
    /** @type {{ name: string; status: string; message?: string; assertionResults: { status: string; title: string; ancestorTitles: string[]; failureMessages?: string[] }[] }[]} */
    const results = report.testResults ?? [];
    // A file can fail with no test failing: it did not load (no tests in it) or a hook
    // failed (its tests are reported skipped). Each such file counts as one failure.
    const brokenFiles = results.filter((r) => r.status === "failed" && !r.assertionResults.some((a) => a.status === "failed"));
    summary.passed += report.numPassedTests;
    summary.failed += report.numFailedTests + brokenFiles.length;
    summary.skipped += report.numPendingTests + report.numTodoTests;
    summary.packages.push(`${relative(root, dir)}: ${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles.length} failed`);
    for (const result of results) {
      const failedTests = result.assertionResults.filter((a) => a.status === "failed");
      for (const a of failedTests) {
        summary.failures.push(`  ${[relative(root, result.name), ...a.ancestorTitles, a.title].join(" > ")}:\n${excerpt((a.failureMessages ?? []).join("\n"))}`);
      }
      if (brokenFiles.includes(result)) summary.failures.push(`  ${relative(root, result.name)} (the file):\n${excerpt(result.message ?? "")}`);
      const notRun = result.assertionResults.filter((a) => ["skipped", "pending", "todo"].includes(a.status));
      if (notRun.length === 0) continue;
      const suites = [...new Set(notRun.map((a) => a.ancestorTitles.join(" > ") || a.title))].map((s) => `"${s}"`).join(", ");
      const why = brokenFiles.includes(result) ? `; not run, the file failed: ${(result.message ?? "").split("\n")[0]}` : "";
      summary.skippedFiles.push(`  ${relative(root, result.name)}: ${notRun.length} (${suites})${why}`);
    }
  }
  return summary;
}

/** The first lines of a failure message, indented: enough to say what failed and where. */
function excerpt(/** @type {string} */ message, lines = 12) {
  // The stack frames of the test runner and of dependencies say nothing about the failure.
  const all = message.split("\n").filter((line) => line.trim() !== "" && !/node_modules|\(<anonymous>\)|^\s*at new Promise/.test(line));
  const kept = all.slice(0, lines).map((line) => `    ${line.slice(0, 300)}`);
  if (all.length > lines) kept.push(`    ... (${all.length - lines} more lines)`);
  return kept.join("\n");
}
