import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RecordedRequest, type ScriptedReply, startOpenAiTestServer, toolCallsReply } from "@autonome/agent/testing";
import { afterAll, describe, expect, it } from "vitest";
import { parseBacktestArgs } from "./options.js";
import { buildReport, reportJson } from "./report.js";
import { prepareBacktest, runBacktest } from "./run.js";

const work = mkdtempSync(join(tmpdir(), "autonome-llm-cache-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let decisions = 0;
/** Opens a small BTC long at the first decision, holds after; answers "done" after a tool result. */
function reply(request: RecordedRequest): ScriptedReply {
  if (request.messages.at(-1)?.role === "tool") return { kind: "text", content: "done", usage: { promptTokens: 900, completionTokens: 10 } };
  // Two positions opened in the same tick: the prompts after it list both, in an order that must not depend on their random order ids.
  const call =
    decisions++ === 0
      ? toolCallsReply(
          { name: "create_position", arguments: { symbol: "ETH", side: "LONG", quantity: 0.1, leverage: 2, exit_plan: { stop: 2000, target: 3000, invalidation: "ETH below 2k", confidence: 0.6 } } },
          { name: "create_position", arguments: { symbol: "BTC", side: "LONG", quantity: 0.01, leverage: 2, exit_plan: { stop: 90000, target: 120000, invalidation: "BTC below 90k", confidence: 0.6 } } },
        )
      : toolCallsReply({ name: "hold", arguments: { reason: "trend intact" } });
  return { ...(call as Extract<ScriptedReply, { kind: "tool_calls" }>), usage: { promptTokens: 1000, completionTokens: 40 } };
}

describe("LLM models in a backtest", () => {
  it("run through the registry and LangChain loop, and a rerun answers every request from the cache: zero HTTP calls, same report", { timeout: 120_000 }, async () => {
    const server = await startOpenAiTestServer({ fallback: reply });
    try {
      const modelsFile = join(work, "models.json");
      writeFileSync(
        modelsFile,
        JSON.stringify([{ id: "llm", kind: "openai", baseURL: server.baseURL, model: "test-model", pricing: { inputPerMillionUsd: 1, outputPerMillionUsd: 2 } }]),
      );
      const run = async (out: string) => {
        const options = parseBacktestArgs(["--models-file", modelsFile, "--from", "2025-06-22T12:00:00Z", "--to", "2025-06-22T12:15:00Z", "--out", out, "--llm-cache", join(work, "cache")], {});
        return buildReport(await runBacktest(prepareBacktest(options)));
      };
      const first = await run(join(work, "first"));
      const calls = server.requests.length;
      expect(calls).toBeGreaterThanOrEqual(6); // 3 ticks, a tool call and an answer each
      expect(first.llm.requestedResponses).toBe(calls);
      expect(first.rows[0]!.inputTokens).toBeGreaterThan(0);
      expect(first.rows[0]!.costUsd).not.toBe("0.000000");
      expect(first.rows[0]!.feesUsd).not.toBe("0.00"); // the scripted long was really opened
      expect(readdirSync(join(work, "cache")).length).toBe(calls);
      // Both positions were open together in the later prompts (what the stable order is about).
      expect(server.requests.some((r) => JSON.stringify(r.messages).includes("- BTC LONG") && JSON.stringify(r.messages).includes("- ETH LONG"))).toBe(true);

      const second = await run(join(work, "second"));
      expect(server.requests.length).toBe(calls);
      expect(second.llm.requestedResponses).toBe(0);
      expect(second.llm.cachedResponses).toBe(calls);
      expect(first.llm.spentInputTokens).toBe(first.llm.inputTokens);
      expect(first.llm.spentCostUsd).toBe(first.llm.costUsd);
      expect(second.llm.spentInputTokens).toBe(0); // a rerun costs no tokens
      expect(second.llm.spentCostUsd).toBe("0.000000");
      expect(second.llm.costUsd).toBe(first.llm.costUsd); // the same invocations, as if paid
      const { llm: _a, ...restFirst } = first;
      const { llm: _b, ...restSecond } = second;
      expect(reportJson(restSecond as never)).toBe(reportJson(restFirst as never));
    } finally {
      await server.close();
    }
  });
});
