import { SystemClock } from "@autonome/core";
import { afterEach, describe, expect, it } from "vitest";
import { type InvokeOptions, createModelRegistry } from "./registry.js";
import { toInvocationFinished } from "./result.js";
import { TOOL_NAMES } from "./tools.js";
import { BTC_FLAT, inputFor, paperAccount } from "./testing/helpers.js";
import { type OpenAiTestServer, type ScriptStep, errorReply, startOpenAiTestServer, textReply, toolCallsReply } from "./testing/openai-test-server.js";

const OPEN_BTC = {
  name: "create_position",
  arguments: { symbol: "BTC", side: "LONG", quantity: 0.02, leverage: 5, exit_plan: { stop: 97000, target: 106000, invalidation: "loses 97k", confidence: 0.7 } },
};
const HOLD = { name: "hold", arguments: { reason: "no edge" } };
const FAST: InvokeOptions = { policy: { backoffBaseMs: 5, timeoutMs: 20_000 } };

let server: OpenAiTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(script: ScriptStep[], extra: Record<string, unknown> = {}) {
  server = await startOpenAiTestServer({ script });
  const registry = createModelRegistry(
    [{ id: "gpt", kind: "openai", baseURL: server.baseURL, apiKeyEnv: "TEST_KEY", model: "gpt-test", pricing: { inputPerMillionUsd: 2, outputPerMillionUsd: 8 }, ...extra }],
    { env: { TEST_KEY: "sk-test-123" }, clock: new SystemClock() },
  );
  const { executor } = paperAccount(new SystemClock() as never);
  return { agent: registry.get("gpt"), executor, input: await inputFor(executor, [BTC_FLAT]) };
}

function lastMessage(index: number) {
  return server!.requests[index]!.messages.at(-1)!;
}

describe("runOpenAiAgent over a real HTTP OpenAI-compatible server", () => {
  it("executes a tool call, shows the model the result and the updated account, and records usage and cost", async () => {
    const { agent, executor, input } = await setup([toolCallsReply(OPEN_BTC), textReply("Opened BTC long on strength.")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(result.text).toBe("Opened BTC long on strength.");
    expect(result.toolCalls.map((c) => c.status)).toEqual(["executed"]);
    expect(executor.positions.map((p) => `${p.symbol} ${p.side} ${p.quantity}`)).toEqual(["BTC LONG 0.02"]);
    // The second request carries the tool result with the account after the fill.
    const toolMessage = lastMessage(1);
    expect(toolMessage.role).toBe("tool");
    expect(String(toolMessage.content)).toMatch(/^EXECUTED: opened LONG 0.02 BTC at 100000/);
    expect(String(toolMessage.content)).toContain("Updated account:\nAccount value $9,999.00");
    // The first request had the system prompt, the user prompt and the four tools.
    expect(server!.requests[0]!.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(server!.requests[0]!.tools?.map((t) => t.function.name).sort()).toEqual(["close_position", "create_position", "hold", "update_exit_plan"]);
    expect(server!.requests[0]!.headers.authorization).toBe("Bearer sk-test-123");
    // Two completions at 100 in / 20 out; cost = (200 * 2 + 40 * 8) / 1e6
    expect(result.usage).toEqual({ inputTokens: 200, outputTokens: 40, totalTokens: 240, cachedInputTokens: 0 });
    expect(result.costUsd.toString()).toBe("0.00072");
    expect(result.steps.map((s) => s.kind)).toEqual(["model", "tool", "model"]);
    expect(result.attempts).toHaveLength(1);
    expect(toInvocationFinished(result, "inv-1")).toEqual({
      modelId: "gpt",
      invocationId: "inv-1",
      ok: true,
      latencyMs: result.latencyMs,
      inputTokens: 200,
      outputTokens: 40,
      toolCalls: 1,
      error: null,
    });
    // The system prompt from @autonome/prompts names exactly the tools the agent offers.
    const content = server!.requests[0]!.messages[0]!.content;
    const systemPrompt = Array.isArray(content) ? content.map((part: { text?: string }) => part.text ?? "").join("") : String(content);
    expect(systemPrompt).toContain("Strategy: Balanced.");
    for (const name of TOOL_NAMES) expect(systemPrompt).toContain(`- ${name}:`);
  });

  it("returns a risk rejection to the model in the same run and executes its corrected call", async () => {
    const wrongStop = { ...OPEN_BTC, arguments: { ...OPEN_BTC.arguments, exit_plan: { stop: 101000, target: 106000, confidence: 0.7 } } };
    const { agent, executor, input } = await setup([toolCallsReply(wrongStop), toolCallsReply(OPEN_BTC), textReply("fixed the stop")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.toolCalls.map((c) => [c.status, c.check ?? null])).toEqual([
      ["rejected", "STOP_WRONG_SIDE"],
      ["executed", null],
    ]);
    expect(String(lastMessage(1).content)).toBe("REJECTED by risk check STOP_WRONG_SIDE: a LONG stop must be below the entry price 100000, got 101000. Nothing was executed.");
    expect(executor.executed).toHaveLength(1);
    expect(result.ok).toBe(true);
  });

  it("answers invalid tool arguments with the validation error and never executes them", async () => {
    const badArgs = { name: "create_position", arguments: { symbol: "BTC", side: "LONG", quantity: 0.02, leverage: "lots", exit_plan: {} } };
    const { agent, executor, input } = await setup([toolCallsReply(badArgs), textReply("giving up")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.toolCalls[0]).toMatchObject({ status: "invalid", tool: "create_position" });
    expect(String(lastMessage(1).content)).toMatch(/^INVALID: invalid create_position arguments: leverage: /);
    expect(executor.executed).toHaveLength(0);
  });

  it("records a reply with malformed tool-call JSON, never executes it, and retries with a correction", async () => {
    const { agent, executor, input } = await setup([
      toolCallsReply({ name: "create_position", arguments: '{"symbol": "BTC", "side": "LONG", "quantity": 0.02' }),
      toolCallsReply(OPEN_BTC),
      textReply("done"),
    ]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(result.attempts.map((a) => a.outcome)).toEqual(["malformed", "ok"]);
    expect(result.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["create_position:invalid", "create_position:executed"]);
    expect(executor.executed).toHaveLength(1);
    // The retry drops the broken reply and tells the model what was wrong.
    const retry = server!.requests[1]!.messages;
    expect(retry.map((m) => m.role)).toEqual(["system", "user", "user"]);
    expect(String(retry.at(-1)!.content)).toMatch(/malformed JSON arguments \(create_position: /);
    // Usage of the malformed reply still counts.
    expect(result.usage.totalTokens).toBe(360);
  });

  it("gives up with MALFORMED_REPLY after two retries of malformed replies", async () => {
    const broken = toolCallsReply({ name: "hold", arguments: "{not json" });
    const { agent, executor, input } = await setup([broken, broken, broken]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("MALFORMED_REPLY");
    expect(server!.requests).toHaveLength(3);
    expect(result.toolCalls.every((c) => c.status === "invalid")).toBe(true);
    expect(executor.executed).toHaveLength(0);
  });

  it("retries a 500 and a 429 with backoff and succeeds on the third attempt", async () => {
    const { agent, executor, input } = await setup([errorReply(500), errorReply(429), toolCallsReply(HOLD), textReply("holding")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(result.text).toBe("holding");
    expect(result.attempts.map((a) => a.outcome)).toEqual(["error", "error", "ok"]);
    expect(result.steps.filter((s) => s.kind === "error").map((s) => s.kind === "error" && s.retryable)).toEqual([true, true]);
  });

  it("honours a Retry-After hint longer than the backoff", async () => {
    const { agent, executor, input } = await setup([errorReply(429, "slow down", { "retry-after": "1" }), toolCallsReply(HOLD), textReply("ok")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    const [first, second] = result.attempts;
    // A lower bound only: the retry cannot start before the hinted second has passed.
    expect(second!.startedAt - first!.endedAt).toBeGreaterThanOrEqual(950);
  });

  it("stops after two retries and reports the failure code", async () => {
    const { agent, executor, input } = await setup([errorReply(429), errorReply(429), errorReply(429), textReply("never reached")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("RATE_LIMITED");
    expect(server!.requests).toHaveLength(3);
  });

  it("does not retry a 400", async () => {
    const { agent, executor, input } = await setup([errorReply(400, "bad request"), textReply("never")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("MODEL_ERROR");
    expect(server!.requests).toHaveLength(1);
  });

  it("keeps the conversation across a retry after a tool already executed, so nothing executes twice", async () => {
    const { agent, executor, input } = await setup([toolCallsReply(OPEN_BTC), errorReply(502), textReply("done")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(executor.executed).toHaveLength(1);
    expect(server!.requests[2]!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
  });

  it("aborts the HTTP request when the per-agent timeout passes and reports TIMEOUT", async () => {
    const { agent, executor, input } = await setup([{ kind: "text", content: "too late", delayMs: 30_000 }]);
    const result = await agent.invoke(input, executor, { policy: { timeoutMs: 3000, backoffBaseMs: 5 } });

    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("TIMEOUT");
    expect(result.error).toBe("agent gpt timed out after 3000 ms");
    expect(result.attempts.map((a) => a.outcome)).toEqual(["timeout"]);
    // The server sees the connection close before it answered (bounded wait for the close event).
    for (let i = 0; i < 100 && !server!.requests[0]?.aborted; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server!.requests[0]!.aborted).toBe(true);
  });

  it("stops when the caller aborts, without retrying", async () => {
    const controller = new AbortController();
    const { agent, executor, input } = await setup([
      () => {
        controller.abort();
        return { kind: "text", content: "too late", delayMs: 30_000 };
      },
    ]);
    const result = await agent.invoke(input, executor, { ...FAST, signal: controller.signal });

    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("ABORTED");
    expect(server!.requests).toHaveLength(1);
  });

  it("ends the run at the step limit", async () => {
    server = await startOpenAiTestServer({ fallback: () => toolCallsReply({ name: "hold", arguments: { reason: "waiting" } }) });
    const registry = createModelRegistry([{ id: "loop", kind: "openai", baseURL: server.baseURL, model: "m", maxSteps: 3 }], { env: {} });
    const { executor } = paperAccount();
    const result = await registry.get("loop").invoke(await inputFor(executor, [BTC_FLAT]), executor, FAST);

    expect(result.stepLimitReached).toBe(true);
    expect(server.requests).toHaveLength(3);
    expect(result.steps.filter((s) => s.kind === "model")).toHaveLength(3);
    expect(result.toolCalls.map((c) => c.status)).toEqual(["executed", "executed", "executed"]);
  });

  it("allows one action per symbol per run even when the model asks twice in one reply", async () => {
    const close = { name: "close_position", arguments: { symbol: "BTC", reason: "flip" } };
    const { agent, executor, input } = await setup([toolCallsReply(OPEN_BTC, close), textReply("ok")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.toolCalls.map((c) => [c.tool, c.status, c.check ?? null])).toEqual([
      ["create_position", "executed", null],
      ["close_position", "rejected", "ONE_ACTION_PER_SYMBOL"],
    ]);
    expect(executor.positions).toHaveLength(1);
  });
});
