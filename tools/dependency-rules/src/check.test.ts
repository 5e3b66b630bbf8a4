import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { checkRepository, findWorkspaces, formatViolation, importsOf, packageOf } from "./check.js";
import { type DependencyRules, findCycle, loadRules, validateRules } from "./rules.js";

const toolDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(toolDir, "../..");

describe("importsOf", () => {
  it("finds every form of import with its line, and nothing in comments or strings", () => {
    const text = [
      'import a from "a";',
      'import type { B } from "b/sub";',
      'import "c";',
      'export * from "d";',
      'export { e } from "@scope/e/deep";',
      'export * as f from "f";',
      'const g = await import("g");',
      'const h = require("h");',
      'type I = typeof import("i");',
      'import j = require("j");',
      '// import k from "k";',
      'const l = "import l from \\"l\\"";',
      "const m = import(`m`);",
    ].join("\n");
    expect(importsOf("x.ts", text)).toEqual([
      { specifier: "a", line: 1 },
      { specifier: "b/sub", line: 2 },
      { specifier: "c", line: 3 },
      { specifier: "d", line: 4 },
      { specifier: "@scope/e/deep", line: 5 },
      { specifier: "f", line: 6 },
      { specifier: "g", line: 7 },
      { specifier: "h", line: 8 },
      { specifier: "i", line: 9 },
      { specifier: "j", line: 10 },
      { specifier: "m", line: 13 },
    ]);
  });

  it("reads JavaScript and JSX files too", () => {
    expect(importsOf("x.mjs", 'const { x } = require("cjs");\nimport("esm");').map((s) => s.specifier)).toEqual(["cjs", "esm"]);
    expect(importsOf("x.tsx", 'import { y } from "jsx";\nconst el = <div>{y}</div>;').map((s) => s.specifier)).toEqual(["jsx"]);
  });
});

describe("packageOf", () => {
  it("names the package of a bare specifier and skips builtins", () => {
    expect(packageOf("@prisma/client/runtime")).toBe("@prisma/client");
    expect(packageOf("langchain/agents")).toBe("langchain");
    expect(packageOf("node:fs")).toBeNull();
    expect(packageOf("fs/promises")).toBeNull();
    expect(packageOf("#internal")).toBeNull();
  });
});

/** A throwaway workspace: files by path, written under a temporary root. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "dependency-rules-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const manifest = (name: string, deps: Record<string, Record<string, string>> = {}) => `${JSON.stringify({ name, version: "0.0.0", ...deps }, null, 2)}\n`;

const fixtureRules: DependencyRules = {
  appDirectory: "apps",
  packages: {
    "@x/core": { mayDependOn: [] },
    "@x/engine": { mayDependOn: ["@x/core"] },
    "@x/client": { mayDependOn: ["@x/core"] },
    "@x/mock": { mayDependOn: ["@x/core", "@x/client", "@x/engine"] },
    "@x/db": { mayDependOn: ["@x/core"] },
    "@x/lib": { mayDependOn: ["@x/core", "@x/mock"] },
    "@x/app": { mayDependOn: ["@x/core", "@x/lib", "@x/db"] },
  },
  restrictedModules: [
    { rule: "prisma-only-in-db", modules: ["@prisma/*", "prisma"], onlyIn: ["@x/db"], why: "db's detail" },
    { rule: "langchain-only-in-agent", modules: ["@langchain/*", "langchain"], onlyIn: [], why: "agent's detail" },
  ],
  forbiddenDependencies: [{ rule: "client-without-engine", from: "@x/client", to: "@x/engine", why: "the mock has the engine" }],
  devOnly: [{ rule: "mock-is-dev-only", packages: ["@x/mock"], why: "tests only" }],
  knownExceptions: [],
};

const fixtureFiles = (): Record<string, string> => ({
  "pnpm-workspace.yaml": "packages:\n  - packages/*\n  - apps/*\n",
  "rules.json": JSON.stringify(fixtureRules, null, 2),
  "packages/core/package.json": manifest("@x/core"),
  "packages/core/src/index.ts": 'export const one = 1;\nimport { x } from "./x.js";\n',
  "packages/engine/package.json": manifest("@x/engine", { dependencies: { "@x/core": "workspace:*" } }),
  "packages/engine/src/index.ts": 'export * from "@x/core";\n',
  "packages/client/package.json": manifest("@x/client", { dependencies: { "@x/core": "workspace:*" } }),
  "packages/client/src/index.ts": 'import { one } from "@x/core";\nimport { readFileSync } from "node:fs";\n',
  "packages/mock/package.json": manifest("@x/mock", { dependencies: { "@x/client": "workspace:*", "@x/engine": "workspace:*" } }),
  "packages/mock/src/index.ts": 'import "@x/client";\nimport "@x/engine";\n',
  "packages/db/package.json": manifest("@x/db", { dependencies: { "@prisma/client": "7", "@x/core": "workspace:*" }, devDependencies: { prisma: "7" } }),
  "packages/db/src/index.ts": 'import { PrismaClient } from "@prisma/client";\nexport { PrismaClient };\n',
  "packages/lib/package.json": manifest("@x/lib", { dependencies: { "@x/core": "workspace:*" }, devDependencies: { "@x/mock": "workspace:*" } }),
  "packages/lib/src/index.ts": 'import { one } from "@x/core";\nimport { readme } from "../../../scripts/readme.js";\n',
  "packages/lib/src/index.test.ts": 'import { mock } from "@x/mock";\n',
  "packages/lib/dist/index.js": 'import "@prisma/client";\n',
  "packages/lib/node_modules/dep/index.js": 'require("langchain");\n',
  "apps/app/package.json": manifest("@x/app", { dependencies: { "@x/lib": "workspace:*", "@x/db": "workspace:*" } }),
  "apps/app/src/main.ts": 'import { one } from "@x/core";\nimport { db } from "@x/db";\n',
});

describe("checkRepository", () => {
  it("passes a workspace that keeps every rule (dist and node_modules are not read)", () => {
    const root = fixture(fixtureFiles());
    const report = checkRepository(root, fixtureRules, "rules.json");
    expect(report.violations.map(formatViolation)).toEqual([]);
    expect(report.sourceFiles).toBe(8);
    expect(report.manifests).toBe(7);
  });

  it("reports each broken rule with its file, line and rule", () => {
    const files = fixtureFiles();
    files["packages/lib/src/bad.ts"] = [
      "// A file that breaks every rule.",
      'import { PrismaClient } from "@prisma/client/runtime";',
      'export * from "@x/app";',
      "const chains = await import(\"langchain/chains\");",
      'const db = require("@x/db");',
      'import type { Internal } from "../../db/src/index.js";',
      'import { one } from "@x/core";',
    ].join("\n");
    files["packages/client/src/sim.ts"] = 'export { Engine } from "@x/engine";\n';
    files["packages/lib/package.json"] = manifest("@x/lib", { dependencies: { "@x/core": "workspace:*", "@x/mock": "workspace:*" }, devDependencies: { "@x/app": "workspace:*" } });
    files["packages/extra/package.json"] = manifest("@x/extra");
    const root = fixture(files);
    const report = checkRepository(root, fixtureRules, "rules.json");
    const found = report.violations.map((v) => `${v.file}:${v.line} ${v.rule}`);
    expect(found.sort()).toEqual(
      [
        "packages/client/src/sim.ts:1 client-without-engine",
        "packages/extra/package.json:2 unlisted-package",
        "packages/lib/package.json:9 no-package-imports-app",
        "packages/lib/package.json:6 mock-is-dev-only",
        "packages/lib/src/bad.ts:2 prisma-only-in-db",
        "packages/lib/src/bad.ts:3 no-package-imports-app",
        "packages/lib/src/bad.ts:4 langchain-only-in-agent",
        "packages/lib/src/bad.ts:5 allowed-dependencies",
        "packages/lib/src/bad.ts:6 no-relative-import-across-packages",
      ].sort(),
    );
    const byRule = new Map(report.violations.map((v) => [v.rule, v.message]));
    expect(byRule.get("prisma-only-in-db")).toBe("@x/lib imports @prisma/client: only @x/db may (db's detail)");
    expect(byRule.get("allowed-dependencies")).toBe("@x/lib imports @x/db, which is not in its mayDependOn (@x/core, @x/mock)");
    expect(formatViolation(report.violations.find((v) => v.rule === "langchain-only-in-agent")!)).toBe(
      "packages/lib/src/bad.ts:4  langchain-only-in-agent  @x/lib imports langchain: no workspace package may (agent's detail)",
    );
  });

  it("reports a package whose lint script does not run the linter", () => {
    const rules: DependencyRules = { ...fixtureRules, lintScript: { rule: "lint-runs-eslint", mustContain: "eslint .", why: "lint every package" } };
    const files: Record<string, string> = { ...fixtureFiles(), "rules.json": JSON.stringify(rules, null, 2) };
    for (const dir of ["packages/core", "packages/engine", "packages/client", "packages/mock", "packages/db", "packages/lib", "apps/app"]) {
      const manifestFile = `${dir}/package.json`;
      const parsed = JSON.parse(files[manifestFile]!) as Record<string, unknown>;
      files[manifestFile] = `${JSON.stringify({ ...parsed, scripts: { lint: dir === "packages/db" ? "publint" : "eslint . && publint" } }, null, 2)}\n`;
    }
    files["apps/app/package.json"] = manifest("@x/app", { dependencies: { "@x/lib": "workspace:*" } });
    const report = checkRepository(fixture(files), rules, "rules.json");
    expect(report.violations.map((v) => `${v.file}:${v.line} ${v.rule} ${v.message}`).sort()).toEqual([
      "apps/app/package.json:1 lint-runs-eslint @x/app's lint script must run `eslint .` (lint every package)",
      "packages/db/package.json:12 lint-runs-eslint @x/db's lint script must run `eslint .` (lint every package)",
    ]);
  });

  it("tolerates a known exception while it occurs and reports it as stale once it no longer does", () => {
    const rules: DependencyRules = {
      ...fixtureRules,
      knownExceptions: [{ rule: "client-without-engine", package: "@x/client", dependency: "@x/engine", why: "until the mock split merges" }],
    };
    const files: Record<string, string> = { ...fixtureFiles(), "rules.json": JSON.stringify(rules, null, 2) };
    files["packages/client/package.json"] = manifest("@x/client", { dependencies: { "@x/core": "workspace:*", "@x/engine": "workspace:*" } });
    const withViolation = checkRepository(fixture(files), rules, "rules.json");
    expect(withViolation.violations).toEqual([]);
    expect(withViolation.excepted.map((v) => `${v.file}:${v.line} ${v.rule}`)).toEqual(["packages/client/package.json:6 client-without-engine"]);

    const fixed = checkRepository(fixture({ ...fixtureFiles(), "rules.json": JSON.stringify(rules, null, 2) }), rules, "rules.json");
    expect(fixed.violations.map((v) => v.rule)).toEqual(["stale-known-exception"]);
    expect(fixed.violations[0]!.message).toContain("client-without-engine (@x/client -> @x/engine) no longer occurs");
  });
});

describe("validateRules", () => {
  const check = (rules: DependencyRules, apps: string[] = ["@x/app"]) => validateRules(rules, new Set(apps), "rules.json", JSON.stringify(rules, null, 2)).map((v) => v.message);

  it("accepts the fixture's rules", () => {
    expect(check(fixtureRules)).toEqual([]);
  });

  it("refuses a cycle, a package allowed an app, an unknown name and an allowed forbidden edge", () => {
    const rules: DependencyRules = {
      ...fixtureRules,
      packages: {
        ...fixtureRules.packages,
        "@x/core": { mayDependOn: ["@x/db"] },
        "@x/lib": { mayDependOn: ["@x/app", "@x/nope"] },
        "@x/client": { mayDependOn: ["@x/core", "@x/engine"] },
      },
    };
    expect(check(rules).sort()).toEqual(
      [
        "@x/lib is not an app but may depend on the app @x/app: no package imports an app",
        "@x/lib may depend on @x/nope, which has no entry in \"packages\"",
        "@x/client may depend on @x/engine, which client-without-engine forbids",
        "the allowed dependencies form a cycle: @x/core -> @x/db -> @x/core",
      ].sort(),
    );
    expect(findCycle(fixtureRules)).toBeNull();
  });
});

describe("the repository's own rules", () => {
  const rulesFile = "tools/dependency-rules/dependency-rules.json";
  const rules = loadRules(join(repoRoot, rulesFile));

  it("hold on every workspace package's sources and package.json", () => {
    const report = checkRepository(repoRoot, rules, rulesFile);
    expect(report.violations.map(formatViolation)).toEqual([]);
    expect(report.sourceFiles).toBeGreaterThan(100);
  });

  it("list every workspace package, forbid lighter-client -> matching-engine and keep Prisma in db, LangChain in agent", () => {
    for (const ws of findWorkspaces(repoRoot, rules.appDirectory)) expect(Object.keys(rules.packages)).toContain(ws.name);
    expect(rules.forbiddenDependencies).toContainEqual(expect.objectContaining({ from: "@autonome/lighter-client", to: "@autonome/matching-engine" }));
    expect(rules.restrictedModules.map((r) => [r.rule, r.onlyIn])).toEqual([
      ["prisma-only-in-db", ["@autonome/db"]],
      ["langchain-only-in-agent", ["@autonome/agent"]],
    ]);
    const text = readFileSync(join(repoRoot, rulesFile), "utf8");
    expect(JSON.parse(text)).toEqual(rules);
  });
});
