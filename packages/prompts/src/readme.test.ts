import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs against the built package and prints what its comment promises", { timeout: 60_000 }, () => {
    const readme = readFileSync(`${packageDir}README.md`, "utf8");
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const file = `${packageDir}.readme-example.tmp.mts`;
    writeFileSync(file, code!);
    try {
      const output = execFileSync(process.execPath, ["--import", "tsx", file], { cwd: packageDir, encoding: "utf8" });
      expect(output).toContain("Strategy: Monk mode.");
      expect(output).toContain("current_price = 101234.6");
      expect(output).toContain("current_rsi (7 period) = 61.99");
      expect(output).not.toContain("current_macd");
    } finally {
      rmSync(file, { force: true });
    }
  });
});
