import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runReadmeExample } from "../../../scripts/readme-example.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs against the built package and sizes the entry as its comment says", { timeout: 60_000 }, () => {
    const { output } = runReadmeExample(packageDir);
    // The comment promises "0.02" (0.05 x 0.8 x 0.5) and the notes explain it.
    expect(output).toMatch(/^0\.02 \[/);
    expect(output).toContain("sized 0.02 BTC from risk $100 and confidence 0.8");
    expect(output).toContain("drawdown 12% in 24h exceeds 10%: position sizes x0.5");
  });
});
