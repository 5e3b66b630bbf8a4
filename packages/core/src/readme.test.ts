import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs against the built package and prints what its comments promise", () => {
    const readme = readFileSync(`${packageDir}README.md`, "utf8");
    const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const expected = [...code!.matchAll(/\/\/ (.+)$/gm)].map((m) => m[1]!.trim());
    // The package imports itself by name, through its exports map and built dist.
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", code!], { cwd: packageDir, encoding: "utf8" });
    expect(output.trim().split("\n")).toEqual(expected);
  });
});
