import { describe, expect, it } from "vitest";
import { main } from "../examples/market-order-with-sl-tp.js";

describe("README example", () => {
  it("places a market order with SL/TP against the mock server and reports the fill", async () => {
    const log = console.log;
    const lines: string[] = [];
    console.log = (...args: unknown[]) => void lines.push(args.join(" "));
    try {
      const fill = await main();
      expect(fill.status).toBe("filled");
      expect(fill.averagePrice!.toString()).toBe("3000");
    } finally {
      console.log = log;
    }
    expect(lines[0]).toBe("entry filled: 0.5 ETH @ 3000");
  });
});
