/**
 * `pnpm lint`'s dependency check: holds every workspace package against
 * dependency-rules.json, prints one line per violation (file:line, rule, message) and
 * exits 1 when there is any.
 */
import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { checkRepository, formatViolation } from "./check.js";
import { loadRules } from "./rules.js";

const rulesPath = fileURLToPath(new URL("../dependency-rules.json", import.meta.url));
let root = dirname(rulesPath);
while (!existsSync(join(root, "pnpm-workspace.yaml"))) {
  const parent = dirname(root);
  if (parent === root) throw new Error("no pnpm-workspace.yaml above the dependency rules");
  root = parent;
}
const rulesFile = relative(root, rulesPath).split(sep).join("/");
const started = performance.now();
const report = checkRepository(root, loadRules(rulesPath), rulesFile);
for (const v of report.violations) console.error(formatViolation(v));
for (const v of report.excepted) console.log(`known exception: ${formatViolation(v)}`);
const ms = Math.round(performance.now() - started);
console.log(
  `dependency rules (${rulesFile}): ${report.manifests} packages, ${report.sourceFiles} source files, ${report.violations.length} violations, ${report.excepted.length} known exceptions (${ms} ms)`,
);
process.exitCode = report.violations.length > 0 ? 1 : 0;
