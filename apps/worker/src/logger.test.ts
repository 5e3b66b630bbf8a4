import { describe, expect, it } from "vitest";
import { createLogger, formatLine } from "./logger.js";

describe("createLogger", () => {
  it("writes one readable key=value line per fact, quoting what needs it and hiding secret fields", () => {
    const line = formatLine(Date.UTC(2026, 0, 1), "info", "decision", { model: "trend-follower", reason: "risk limit: too big", apiKey: "sk-1", nothing: undefined, payload: { a: 1 } });
    expect(line).toBe('2026-01-01T00:00:00.000Z INFO  decision model=trend-follower reason="risk limit: too big" apiKey=*** payload="{\\"a\\":1}"');
  });

  it("drops lines below its level", () => {
    const lines: string[] = [];
    const logger = createLogger("warn", (l) => lines.push(l), () => 0);
    logger.info("hidden");
    logger.debug("hidden");
    logger.warn("shown");
    logger.error("shown too", { error: new Error("boom") });
    expect(lines).toEqual(["1970-01-01T00:00:00.000Z WARN  shown", "1970-01-01T00:00:00.000Z ERROR shown too error=boom"]);
  });
});
