/**
 * The consumer test: packs @autonome/core and this package exactly as they would be
 * published, installs the two tarballs into a fresh npm project outside the workspace
 * (third-party dependencies come from the registry), and runs the README's examples there
 * as ESM and as CommonJS, comparing their output with the output the README shows.
 * A broken exports map, a file missing from the tarball or a stale README fails it.
 * Needs the builds of both packages (turbo runs `build` before `test`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => `./${t}`)], consumerDir);
  }, 180_000);

  afterAll(() => {
    if (consumerDir !== "") rmSync(consumerDir, { recursive: true, force: true });
  });

  it("finds the README's runnable examples, the book's and the simulator's", () => {
    expect(examples.map((e) => e.name)).toEqual(expect.arrayContaining(["book", "simulator"]));
  });

  it("ships only the build, the README and the manifest, with the workspace dependency pinned to a version", () => {
    const installed = join(consumerDir, "node_modules", "@autonome", "matching-engine");
    expect(existsSync(join(installed, "dist", "index.js"))).toBe(true);
    expect(existsSync(join(installed, "dist", "index.cjs"))).toBe(true);
    expect(existsSync(join(installed, "dist", "index.d.ts"))).toBe(true);
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
});
