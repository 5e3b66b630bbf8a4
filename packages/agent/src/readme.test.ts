import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runReadmeExample } from "../../../scripts/readme-example.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs a rule model's decision end to end on the ExchangeSimulator and prints what the README says", () => {
    const { output, readme } = runReadmeExample(packageDir);
    const expected = /It prints:\n\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(expected).toBeDefined();
    expect(output.trim()).toBe(expected!.trim());
  });
});
