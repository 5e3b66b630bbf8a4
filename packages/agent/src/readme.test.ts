import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs a rule model's decision end to end on the ExchangeSimulator and prints what the README says", () => {
    const readme = readFileSync(`${packageDir}README.md`, "utf8");
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const expected = /It prints:\n\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    expect(expected).toBeDefined();
    // The example imports the package by name, through its exports map and built dist.
    const file = `${packageDir}.readme-example.tmp.mts`;
    writeFileSync(file, code!);
    try {
      const output = execFileSync(process.execPath, ["--import", "tsx", file], { cwd: packageDir, encoding: "utf8" });
      expect(output.trim()).toBe(expected!.trim());
    } finally {
      rmSync(file, { force: true });
    }
  });
});
