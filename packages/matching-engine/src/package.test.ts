/**
 * The consumer test: packs @autonome/core and this package exactly as they would be
 * published, installs the two tarballs into a fresh npm project outside the workspace
 * (third-party dependencies from npm's cache when it has them, else the registry), and runs
 * there the README's examples, as ESM and as CommonJS, and the programs of examples/,
 * comparing their output with the output the READMEs show. A broken exports map, a file
 * missing from the tarball or a stale README fails it. Needs the builds of both packages
 * (turbo runs `build` before `test`).
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const coreDir = join(packageDir, "..", "core");

interface ReadmeExample {
  name: string;
  code: string;
  output: string;
}

/** The README's runnable examples: a ```js block after `<!-- example: name -->`, its output in a ```text block after `<!-- output: name -->`. */
function readmeExamples(markdown: string): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  for (const match of markdown.matchAll(/<!-- example: ([\w-]+) -->\s*```js\n([\s\S]*?)```/g)) {
    const name = match[1] as string;
    const output = new RegExp(`<!-- output: ${name} -->\\s*\`\`\`text\\n([\\s\\S]*?)\`\`\``).exec(markdown);
    if (output === null) throw new Error(`README example ${name} has no output block`);
    examples.push({ name, code: match[2] as string, output: (output[1] as string).trimEnd() });
  }
  return examples;
}

/** The same example as CommonJS: each `import { a, b as c } from "x";` becomes `const { a, b: c } = require("x");`. */
function toCommonJs(code: string): string {
  const converted = code.replace(/^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";?/gm, (_all, names: string, from: string) => {
    const bindings = names
      .split(",")
      .map((n) => n.trim())
      .filter((n) => n.length > 0)
      .map((n) => n.replace(/\s+as\s+/, ": "));
    return `const { ${bindings.join(", ")} } = require(${JSON.stringify(from)});`;
  });
  if (/^\s*import\s/m.test(converted) || /\bawait\s/.test(converted)) throw new Error("example is not convertible to CommonJS");
  return converted;
}

const examples = readmeExamples(readFileSync(join(packageDir, "README.md"), "utf8"));

/** The programs of examples/ with the output examples/README.md shows for each (`<!-- example-output: name.mjs -->` then a ```text block). */
function examplePrograms(markdown: string): Array<{ file: string; output: string }> {
  return [...markdown.matchAll(/<!-- example-output: ([\w.-]+) -->\s*```text\n([\s\S]*?)```/g)].map((m) => ({ file: m[1] as string, output: (m[2] as string).trimEnd() }));
}
const programs = examplePrograms(readFileSync(join(packageDir, "examples", "README.md"), "utf8"));
let consumerDir = "";

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 150_000 });
}

describe("the packed package in a fresh npm project", () => {
  beforeAll(() => {
    consumerDir = mkdtempSync(join(tmpdir(), "autonome-consumer-"));
    run("pnpm", ["pack", "--pack-destination", consumerDir], coreDir);
    run("pnpm", ["pack", "--pack-destination", consumerDir], packageDir);
    const tarballs = readdirSync(consumerDir).filter((f) => f.endsWith(".tgz"));
    writeFileSync(join(consumerDir, "package.json"), `${JSON.stringify({ name: "consumer", version: "0.0.0", private: true }, null, 2)}\n`);
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => `./${t}`)], consumerDir);
    cpSync(join(packageDir, "examples"), join(consumerDir, "examples"), { recursive: true });
  }, 180_000);

  afterAll(() => {
    if (consumerDir !== "") rmSync(consumerDir, { recursive: true, force: true });
  });

  it("finds the README's runnable examples and every program of examples/", () => {
    expect(examples.map((e) => e.name)).toEqual(["quickstart", "book", "fast"]);
    const files = readdirSync(join(packageDir, "examples")).filter((f) => f.endsWith(".mjs"));
    expect(programs.map((p) => p.file).sort()).toEqual(files.sort());
    expect(files).toEqual(expect.arrayContaining(["market-maker.mjs", "binance-depth-backtest.mjs", "liquidation.mjs"]));
  });

  it("ships only the build, the README and the manifest, with the workspace dependency pinned to a version", () => {
    const installed = join(consumerDir, "node_modules", "@autonome", "matching-engine");
    expect(existsSync(join(installed, "dist", "index.js"))).toBe(true);
    expect(existsSync(join(installed, "dist", "index.cjs"))).toBe(true);
    expect(existsSync(join(installed, "dist", "index.d.ts"))).toBe(true);
    expect(existsSync(join(installed, "dist", "internals.js"))).toBe(true);
    expect(existsSync(join(installed, "src"))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(manifest.dependencies["@autonome/core"]).toMatch(/^\d+\.\d+\.\d+/);
  });

  describe.each(["mjs", "cjs"] as const)("as %s", (extension) => {
    it.each(examples.map((e) => [e.name, e] as const))("runs the README's %s example and prints what the README shows", (name, example) => {
      const file = join(consumerDir, `${name}.${extension}`);
      writeFileSync(file, extension === "mjs" ? example.code : toCommonJs(example.code));
      expect(run(process.execPath, [file], consumerDir).trimEnd()).toBe(example.output);
    }, 120_000);
  });

  it.each(programs.map((p) => [p.file, p] as const))("runs examples/%s from the installed package and prints what examples/README.md shows", (file, program) => {
    expect(run(process.execPath, [join(consumerDir, "examples", file)], consumerDir).trimEnd()).toBe(program.output);
  }, 120_000);

  it("reaches the internals entry and nothing else", () => {
    const script = [
      'const internals = require("@autonome/matching-engine/internals");',
      'console.log(typeof internals.applyFillToPosition, typeof internals.validateOrderInput);',
      'try { require("@autonome/matching-engine/dist/simulator/simulator.js"); } catch (e) { console.log(e.code); }',
    ].join("\n");
    writeFileSync(join(consumerDir, "internals.cjs"), script);
    expect(run(process.execPath, [join(consumerDir, "internals.cjs")], consumerDir).trim().split("\n")).toEqual(["function function", "ERR_PACKAGE_PATH_NOT_EXPORTED"]);
  });
});
