import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runReadmeExample } from "../../../scripts/readme-example.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs against the built package and prints what its comments promise", () => {
    const { code, output } = runReadmeExample(packageDir, "js");
    const expected = [...code.matchAll(/\/\/ (.+)$/gm)].map((m) => m[1]!.trim());
    expect(output.trim().split("\n")).toEqual(expected);
  });
});
