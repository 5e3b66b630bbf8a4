/**
 * The API reference in docs/api/matching-engine is generated from the types by TypeDoc
 * (`pnpm --filter @autonome/matching-engine docs`) and committed. This regenerates it into a
 * temporary directory and fails, naming the files, when the committed copy differs: a
 * changed signature or TSDoc comment without regenerated docs.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(packageDir, "..", "..", "docs", "api", "matching-engine");
const fresh = mkdtempSync(join(tmpdir(), "me-api-docs-"));

function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.set(relative(root, path), readFileSync(path, "utf8"));
    }
  };
  walk(root);
  return out;
}

describe("the committed API reference", () => {
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it("is what TypeDoc generates from the current types (regenerate with `pnpm --filter @autonome/matching-engine docs`)", () => {
    execFileSync(join(packageDir, "node_modules", ".bin", "typedoc"), ["--out", fresh, "--logLevel", "Warn"], { cwd: packageDir, stdio: "pipe", timeout: 120_000 });
    const expected = files(fresh);
    const actual = files(committed);
    const stale = [...new Set([...expected.keys(), ...actual.keys()])].filter((f) => expected.get(f) !== actual.get(f)).sort();
    expect(stale).toEqual([]);
    expect(expected.size).toBeGreaterThan(50);
  }, 120_000);
});
