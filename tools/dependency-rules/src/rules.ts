/**
 * The dependency rules as data (dependency-rules.json): their shape, how they are read,
 * and the checks of the data itself (every name known, no package allowed an app, the
 * allowed graph acyclic, no forbidden edge allowed).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

const packageName = z.string().regex(/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/, "a package name");
const ruleId = z.string().regex(/^[a-z][a-z0-9-]*$/, "a kebab-case rule id");

export const dependencyRulesSchema = z
  .object({
    description: z.string().optional(),
    /** Workspace packages under this directory are apps: no other package may depend on them. */
    appDirectory: z.string().min(1),
    /** Each workspace package and the workspace packages it may depend on. */
    packages: z.record(packageName, z.object({ mayDependOn: z.array(packageName), note: z.string().optional() }).strict()),
    /** Modules only some packages may import or list (patterns: a name, or "@scope/*"). */
    restrictedModules: z.array(z.object({ rule: ruleId, modules: z.array(z.string().min(1)).min(1), onlyIn: z.array(packageName), why: z.string() }).strict()),
    /** Edges that must never exist, whatever `packages` says. */
    forbiddenDependencies: z.array(z.object({ rule: ruleId, from: packageName, to: packageName, why: z.string() }).strict()),
    /** Packages others may list in devDependencies only. */
    devOnly: z.array(z.object({ rule: ruleId, packages: z.array(packageName).min(1), why: z.string() }).strict()),
    /** Every workspace package's `lint` script must contain this command (so that `turbo run lint` lints each package). */
    lintScript: z.object({ rule: ruleId, mustContain: z.string().min(1), why: z.string() }).strict().optional(),
    /** Violations tolerated for now; each must still occur, or the check reports it as stale. */
    knownExceptions: z.array(z.object({ rule: ruleId, package: packageName, dependency: z.string().min(1), why: z.string() }).strict()),
  })
  .strict();

export type DependencyRules = z.infer<typeof dependencyRulesSchema>;

/** One broken rule, where it is broken. */
export interface Violation {
  /** Path relative to the repository root. */
  file: string;
  /** 1-based line. */
  line: number;
  rule: string;
  message: string;
  /** The package at fault and what it depends on (for known exceptions). */
  package?: string;
  dependency?: string;
}

/** Reads and parses the rules file; throws with the file's name on a malformed one. */
export function loadRules(file: string): DependencyRules {
  const parsed = dependencyRulesSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The 1-based line of the first occurrence of `needle` in `text` at or after `from`, or 1. */
export function lineOf(text: string, needle: string, from = 0): number {
  const at = text.indexOf(needle, from);
  return at < 0 ? 1 : text.slice(0, at).split("\n").length;
}

/**
 * Checks the rules themselves. `apps` names the workspace packages that are apps (known
 * from their directory); `rulesText` is the file's text, to point at lines.
 */
export function validateRules(rules: DependencyRules, apps: ReadonlySet<string>, rulesFile: string, rulesText: string): Violation[] {
  const violations: Violation[] = [];
  const at = (needle: string, message: string) => violations.push({ file: rulesFile, line: lineOf(rulesText, needle), rule: "rules-data", message });
  const known = new Set(Object.keys(rules.packages));
  for (const [name, { mayDependOn }] of Object.entries(rules.packages)) {
    for (const dep of mayDependOn) {
      if (dep === name) at(`"${name}"`, `${name} lists itself in mayDependOn`);
      else if (!known.has(dep)) at(`"${name}"`, `${name} may depend on ${dep}, which has no entry in "packages"`);
      else if (apps.has(dep) && !apps.has(name)) at(`"${name}"`, `${name} is not an app but may depend on the app ${dep}: no package imports an app`);
    }
  }
  for (const r of rules.forbiddenDependencies) {
    for (const name of [r.from, r.to]) if (!known.has(name)) at(`"${r.rule}"`, `${r.rule} names ${name}, which has no entry in "packages"`);
    if (rules.packages[r.from]?.mayDependOn.includes(r.to)) at(`"${r.from}"`, `${r.from} may depend on ${r.to}, which ${r.rule} forbids`);
  }
  for (const r of rules.restrictedModules) for (const name of r.onlyIn) if (!known.has(name)) at(`"${r.rule}"`, `${r.rule} names ${name}, which has no entry in "packages"`);
  for (const r of rules.devOnly) for (const name of r.packages) if (!known.has(name)) at(`"${r.rule}"`, `${r.rule} names ${name}, which has no entry in "packages"`);
  const cycle = findCycle(rules);
  if (cycle !== null) at(`"${cycle[0]}"`, `the allowed dependencies form a cycle: ${cycle.join(" -> ")}`);
  return violations;
}

/** A cycle in the mayDependOn graph (first node repeated at the end), or null. */
export function findCycle(rules: DependencyRules): string[] | null {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const s = state.get(name);
    if (s === "done") return null;
    if (s === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    path.push(name);
    for (const dep of rules.packages[name]?.mayDependOn ?? []) {
      const cycle = visit(dep);
      if (cycle !== null) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const name of Object.keys(rules.packages)) {
    const cycle = visit(name);
    if (cycle !== null) return cycle;
  }
  return null;
}
