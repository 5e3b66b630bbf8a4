import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runReadmeExample } from "../../../scripts/readme-example.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs against the built package and prints what its comment promises", { timeout: 60_000 }, () => {
    const { output } = runReadmeExample(packageDir);
    expect(output).toContain("Strategy: Monk mode.");
    expect(output).toContain("current_price = 101234.6");
    expect(output).toContain("current_rsi (7 period) = 61.99");
    expect(output).not.toContain("current_macd");
  });
});
