/**
 * The dependency check: every workspace package's source files (every import, export-from,
 * dynamic import(), import type, `import x = require()` and require() with a literal
 * specifier) and its package.json dependencies are held against the rules.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { type DependencyRules, type Violation, lineOf, validateRules } from "./rules.js";

/** A package of the pnpm workspace. */
export interface Workspace {
  name: string;
  /** Directory relative to the repository root, with forward slashes. */
  dir: string;
  isApp: boolean;
}

/** One module specifier found in a source file. */
export interface ImportSite {
  specifier: string;
  line: number;
}

/** What the check found. */
export interface CheckReport {
  violations: Violation[];
  /** Violations that a known exception tolerates. */
  excepted: Violation[];
  sourceFiles: number;
  manifests: number;
}

const SOURCE_EXTENSIONS = /\.(?:[cm]?[jt]s|[jt]sx)$/;
/** Directories that hold no source of ours: build output, Prisma's client, caches. */
const SKIPPED_DIRECTORIES = new Set(["node_modules", "dist", "generated", "coverage"]);
const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const;

/** The workspace packages: the directories pnpm-workspace.yaml's `packages` globs (`dir/*` or `dir`) name that hold a package.json. */
export function findWorkspaces(root: string, appDirectory: string): Workspace[] {
  const yaml = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const globs: string[] = [];
  let inPackages = false;
  for (const line of yaml.split("\n")) {
    if (/^packages:\s*$/.test(line)) inPackages = true;
    else if (/^\S/.test(line)) inPackages = false;
    else if (inPackages) {
      const m = /^\s+-\s+["']?([^"'#\s]+)["']?/.exec(line);
      if (m?.[1] !== undefined) globs.push(m[1]);
    }
  }
  const dirs = globs.flatMap((glob) => {
    if (!glob.endsWith("/*")) return [glob];
    const parent = glob.slice(0, -2);
    const abs = join(root, parent);
    if (!isDirectory(abs)) return [];
    return readdirSync(abs)
      .filter((name) => !name.startsWith(".") && isDirectory(join(abs, name)))
      .map((name) => `${parent}/${name}`);
  });
  return dirs
    .filter((dir) => isFile(join(root, dir, "package.json")))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as { name?: unknown };
      if (typeof manifest.name !== "string") throw new Error(`${dir}/package.json has no name`);
      return { name: manifest.name, dir, isApp: dir.startsWith(`${appDirectory}/`) };
    })
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Every module specifier in a source file, with its line. */
export function importsOf(fileName: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, scriptKind(fileName));
  const sites: ImportSite[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node === undefined || !ts.isStringLiteralLike(node)) return;
    sites.push({ specifier: node.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

function scriptKind(fileName: string): ts.ScriptKind {
  if (/\.[jt]sx$/.test(fileName)) return fileName.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.JSX;
  return /\.[cm]?js$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
}

/** The package a bare specifier names ("@scope/name/sub" -> "@scope/name"), or null for builtins and `#` imports. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith("#") || specifier.startsWith("node:") || isBuiltin(specifier)) return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? null);
}

function matchesModule(pattern: string, name: string): boolean {
  return pattern.endsWith("/*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The rules applied to one package's dependencies. */
class Checker {
  readonly violations: Violation[] = [];
  private readonly byName: Map<string, Workspace>;

  constructor(
    private readonly rules: DependencyRules,
    private readonly workspaces: readonly Workspace[],
  ) {
    this.byName = new Map(workspaces.map((w) => [w.name, w]));
  }

  /** Checks that `from` may depend on the package `name`. */
  dependency(from: Workspace, name: string, file: string, line: number, how: string): void {
    const report = (rule: string, message: string) => this.violations.push({ file, line, rule, message, package: from.name, dependency: name });
    if (name === from.name) return;
    for (const r of this.rules.restrictedModules) {
      if (r.modules.some((p) => matchesModule(p, name)) && !r.onlyIn.includes(from.name)) {
        report(r.rule, `${from.name} ${how} ${name}: ${r.onlyIn.length > 0 ? `only ${r.onlyIn.join(", ")} may` : "no workspace package may"} (${r.why})`);
      }
    }
    const target = this.byName.get(name);
    const allowed = this.rules.packages[from.name]?.mayDependOn;
    const workspaceLike = target !== undefined || name in this.rules.packages;
    if (!workspaceLike) return;
    if (target?.isApp === true && !from.isApp) {
      report("no-package-imports-app", `${from.name} ${how} the app ${name}: no package imports an app`);
      return;
    }
    const forbidden = this.rules.forbiddenDependencies.find((r) => r.from === from.name && r.to === name);
    if (forbidden !== undefined) {
      report(forbidden.rule, `${from.name} ${how} ${name}, which is forbidden (${forbidden.why})`);
      return;
    }
    if (allowed !== undefined && !allowed.includes(name)) {
      report("allowed-dependencies", `${from.name} ${how} ${name}, which is not in its mayDependOn (${allowed.join(", ") || "nothing"})`);
    }
  }

  /** Checks a relative or absolute path import: it must stay inside its own package. */
  pathImport(from: Workspace, root: string, file: string, line: number, specifier: string): void {
    const target = resolve(dirname(join(root, file)), specifier);
    const owner = this.workspaces.find((w) => target === join(root, w.dir) || target.startsWith(join(root, w.dir) + sep));
    if (owner === undefined || owner.name === from.name) return;
    this.violations.push({
      file,
      line,
      rule: "no-relative-import-across-packages",
      message: `${from.name} imports "${specifier}", a file of ${owner.name}, by path: depend on ${owner.name} and import it by name`,
      package: from.name,
      dependency: owner.name,
    });
  }

  /** Checks a package.json: every dependency, and that dev-only packages appear in devDependencies only. */
  manifest(ws: Workspace, file: string, text: string): void {
    const manifest = JSON.parse(text) as Partial<Record<(typeof DEPENDENCY_FIELDS)[number], Record<string, string>>> & { scripts?: Record<string, string> };
    if (!(ws.name in this.rules.packages)) {
      this.violations.push({ file, line: lineOf(text, '"name"'), rule: "unlisted-package", message: `${ws.name} has no entry in dependency-rules.json: add it with the packages it may depend on` });
    }
    const lint = this.rules.lintScript;
    if (lint !== undefined && !(manifest.scripts?.lint ?? "").includes(lint.mustContain)) {
      const line = manifest.scripts?.lint === undefined ? lineOf(text, '"scripts"') : lineOf(text, '"lint"', text.indexOf('"scripts"'));
      this.violations.push({ file, line, rule: lint.rule, message: `${ws.name}'s lint script must run \`${lint.mustContain}\` (${lint.why})`, package: ws.name });
    }
    for (const field of DEPENDENCY_FIELDS) {
      const fieldAt = text.indexOf(`"${field}"`);
      for (const name of Object.keys(manifest[field] ?? {})) {
        const line = lineOf(text, `"${name}"`, fieldAt);
        this.dependency(ws, name, file, line, `lists in ${field}`);
        if (field === "devDependencies") continue;
        for (const r of this.rules.devOnly) {
          if (r.packages.includes(name) && name !== ws.name) {
            this.violations.push({ file, line, rule: r.rule, message: `${ws.name} lists ${name} in ${field}: it may be a devDependency only (${r.why})`, package: ws.name, dependency: name });
          }
        }
      }
    }
  }
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIPPED_DIRECTORIES.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.isFile() && SOURCE_EXTENSIONS.test(entry.name)) yield path;
  }
}

/** Checks every workspace package under `root` against `rules` (read from `rulesFile`, relative to root). */
export function checkRepository(root: string, rules: DependencyRules, rulesFile: string): CheckReport {
  const workspaces = findWorkspaces(root, rules.appDirectory);
  const apps = new Set(workspaces.filter((w) => w.isApp).map((w) => w.name));
  const checker = new Checker(rules, workspaces);
  checker.violations.push(...validateRules(rules, apps, rulesFile, readFileSync(join(root, rulesFile), "utf8")));
  let files = 0;
  for (const ws of workspaces) {
    const manifestFile = `${ws.dir}/package.json`;
    checker.manifest(ws, manifestFile, readFileSync(join(root, manifestFile), "utf8"));
    for (const path of sourceFiles(join(root, ws.dir))) {
      files += 1;
      const file = relative(root, path).split(sep).join("/");
      for (const site of importsOf(path, readFileSync(path, "utf8"))) {
        if (site.specifier.startsWith(".") || site.specifier.startsWith("/")) checker.pathImport(ws, root, file, site.line, site.specifier);
        else {
          const name = packageOf(site.specifier);
          if (name !== null) checker.dependency(ws, name, file, site.line, "imports");
        }
      }
    }
  }
  return { ...applyExceptions(checker.violations, rules, rulesFile, readFileSync(join(root, rulesFile), "utf8")), sourceFiles: files, manifests: workspaces.length };
}

/** Splits violations into those a known exception tolerates and the rest; an exception that tolerates nothing is itself a violation. */
export function applyExceptions(all: Violation[], rules: DependencyRules, rulesFile: string, rulesText: string): Pick<CheckReport, "violations" | "excepted"> {
  const violations: Violation[] = [];
  const excepted: Violation[] = [];
  const used = new Set<number>();
  for (const v of all) {
    const i = rules.knownExceptions.findIndex((e) => e.rule === v.rule && e.package === v.package && e.dependency === v.dependency);
    if (i < 0) violations.push(v);
    else {
      used.add(i);
      excepted.push(v);
    }
  }
  const exceptionsAt = rulesText.indexOf('"knownExceptions"');
  rules.knownExceptions.forEach((e, i) => {
    if (used.has(i)) return;
    violations.push({
      file: rulesFile,
      line: lineOf(rulesText, `"${e.rule}"`, exceptionsAt),
      rule: "stale-known-exception",
      message: `the known exception ${e.rule} (${e.package} -> ${e.dependency}) no longer occurs: remove it from knownExceptions`,
    });
  });
  return { violations, excepted };
}

/** One line a violation is reported as. */
export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}  ${v.rule}  ${v.message}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
