import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runReadmeExample } from "../../../scripts/readme-example.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs against the built packages and prints what its comments say", { timeout: 60_000 }, () => {
    const { code, output } = runReadmeExample(packageDir);
    const lines = output.trim().split("\n");
    // Each printed line is the one its comment in the README promises.
    expect(lines).toEqual(["entry filled: 0.5 ETH @ 3000", "stop filled @ 2999: 0 positions, collateral 9999.5"]);
    expect(code).toContain("// entry filled: 0.5 ETH @ 3000");
    expect(code).toContain("// stop filled @ 2999: 0 positions, collateral 9999.5");
  });
});
