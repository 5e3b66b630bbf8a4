/**
 * The real LangChain loop against the test server speaking each vendor's dialect: reasoning
 * round trip and record, errors inside a 200, empty choices, truncation, id reuse, missing
 * usage, provider cost, cached tokens, configuration errors, no-action runs and JSON decisions.
 */
import { SystemClock } from "@autonome/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type InvokeOptions, createModelRegistry } from "./registry.js";
import { responsePayloadOf } from "./result.js";
import { BTC_FLAT, inputFor, paperAccount } from "./testing/helpers.js";
import {
  type Dialect,
  type OpenAiTestServer,
  type ScriptStep,
  errorReply,
  jsonDecisionReply,
  startOpenAiTestServer,
  textReply,
  toolCallsReply,
} from "./testing/openai-test-server.js";

const OPEN_ARGS = { symbol: "BTC", side: "LONG", quantity: 0.02, leverage: 5, exit_plan: { stop: 97000, target: 106000, invalidation: "loses 97k", confidence: 0.7 } };
const OPEN_BTC = { name: "create_position", arguments: OPEN_ARGS };
const HOLD = { name: "hold", arguments: { reason: "no edge" } };
const FAST: InvokeOptions = { policy: { backoffBaseMs: 5, timeoutMs: 20_000 } };

let server: OpenAiTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

async function setup(dialect: Dialect, script: ScriptStep[], extra: Record<string, unknown> = {}) {
  server = await startOpenAiTestServer({ script, dialect });
  const registry = createModelRegistry([{ id: "m", kind: "openai", baseURL: server.baseURL, model: "test-model", pricing: { inputPerMillionUsd: 2, outputPerMillionUsd: 8 }, ...extra }], {
    env: {},
    clock: new SystemClock(),
  });
  const { executor } = paperAccount(new SystemClock() as never);
  return { agent: registry.get("m"), executor, input: await inputFor(executor, [BTC_FLAT]) };
}

describe("reasoning round trip and record", () => {
  it("DeepSeek thinking mode: sends reasoning_content back with the tool-call turn, so the run ends well and the model sees its trade", async () => {
    const { agent, executor, input } = await setup("deepseek", [
      { kind: "tool_calls", toolCalls: [OPEN_BTC], reasoning: "BTC holds above the EMA; a small long with a stop at 97k." },
      { kind: "text", content: "Opened a BTC long.", reasoning: "The fill is confirmed." },
    ]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.error).toBeNull();
    expect(result.ok).toBe(true);
    expect(executor.executed).toHaveLength(1);
    const assistant = server!.requests[1]!.messages.find((m) => m.role === "assistant") as { reasoning_content?: string };
    expect(assistant.reasoning_content).toBe("BTC holds above the EMA; a small long with a stop at 97k.");
    expect(String(server!.requests[1]!.messages.at(-1)!.content)).toMatch(/^EXECUTED: /);
    expect(result.reasoning).toBe("BTC holds above the EMA; a small long with a stop at 97k.\n\nThe fill is confirmed.");
    expect(result.text).toBe("Opened a BTC long.");
    const payload = responsePayloadOf(result);
    expect(payload.reasoning).toBe(result.reasoning);
    expect(payload.answer).toBe("Opened a BTC long.");
    expect(payload.replies.map((r) => r.reasoning)).toEqual(["BTC holds above the EMA; a small long with a stop at 97k.", "The fill is confirmed."]);
  });

  it("DeepSeek dialect refuses a tool-call turn sent back without its reasoning_content (the server check the round trip satisfies)", async () => {
    server = await startOpenAiTestServer({ dialect: "deepseek" });
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "deepseek-reasoner",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "", tool_calls: [{ id: "c1", type: "function", function: { name: "hold", arguments: "{}" } }] },
          { role: "tool", tool_call_id: "c1", content: "ok" },
        ],
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe("The `reasoning_content` in the thinking mode must be passed back to the API.");
  });

  it("OpenRouter: keeps message.reasoning, sends it back with its reasoning_details, and uses usage.cost as the cost", async () => {
    const { agent, executor, input } = await setup("openrouter", [
      { kind: "tool_calls", toolCalls: [HOLD], reasoning: "Nothing clear.", usage: { promptTokens: 1000, completionTokens: 50, costUsd: 0.0123 } },
      { kind: "text", content: "Held.", usage: { promptTokens: 1100, completionTokens: 5, costUsd: 0.0011 } },
    ]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(result.reasoning).toBe("Nothing clear.");
    const assistant = server!.requests[1]!.messages.find((m) => m.role === "assistant") as { reasoning?: string; reasoning_details?: unknown[] };
    expect(assistant.reasoning).toBe("Nothing clear.");
    expect(assistant.reasoning_details).toHaveLength(1);
    // The provider's cost, not the configured prices (which would give 0.00436).
    expect(result.costUsd.toString()).toBe("0.0134");
  });

  it("Ollama R1-style: <think> in the content is the reasoning, the content without it is the answer; reused completion ids lose no step; no usage is 0 tokens", async () => {
    const { agent, executor, input } = await setup("ollama", [
      { kind: "tool_calls", toolCalls: [OPEN_BTC], content: "", reasoning: "Momentum is up." },
      { kind: "text", content: "Long BTC.", reasoning: "Done." },
    ]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(result.text).toBe("Long BTC.");
    expect(result.reasoning).toBe("Momentum is up.\n\nDone.");
    const models = result.steps.filter((s) => s.kind === "model");
    expect(models).toHaveLength(2);
    expect(new Set(models.map((s) => s.kind === "model" && s.messageId)).size).toBe(2);
    // The conversation kept the tool-call reply (a reducer merging by id would have replaced it).
    expect(server!.requests[1]!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0, cachedInputTokens: 0 });
  });

  it("vLLM with a reasoning parser: reasoning_content is recorded", async () => {
    const { agent, executor, input } = await setup("vllm", [{ kind: "tool_calls", toolCalls: [HOLD], reasoning: "Flat market." }, textReply("held")]);
    const result = await agent.invoke(input, executor, FAST);
    expect(result.ok).toBe(true);
    expect(result.reasoning).toBe("Flat market.");
  });
});

describe("replies validated before they are parsed", () => {
  it("an error inside a 200 maps to its code and is retried like it (502), then the run goes on", async () => {
    const { agent, executor, input } = await setup("openrouter", [{ kind: "error_in_200", code: 502, message: "Provider returned error" }, toolCallsReply(HOLD), textReply("held")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(result.attempts.map((a) => [a.outcome, a.error])).toEqual([
      ["error", "502 Provider returned error"],
      ["ok", null],
    ]);
  });

  it("an error inside a 200 with a 429 code is retried; with 401 it is a configuration error, not retried", async () => {
    const a = await setup("openrouter", [{ kind: "error_in_200", code: 429, message: "Rate limit exceeded" }, toolCallsReply(HOLD), textReply("held")]);
    expect((await a.agent.invoke(a.input, a.executor, FAST)).ok).toBe(true);
    await server!.close();
    const b = await setup("openrouter", [{ kind: "error_in_200", code: 401, message: "User not found." }, textReply("never")]);
    const result = await b.agent.invoke(b.input, b.executor, FAST);
    expect(result.errorCode).toBe("CONFIG");
    expect(result.error).toBe("401 User not found.");
    expect(server!.requests).toHaveLength(1);
  });

  it('"choices": [] is a named error, retried, and named when the retries run out', async () => {
    const empty = { kind: "empty_choices" } as const;
    const { agent, executor, input } = await setup("openai", [empty, empty, empty]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("EMPTY_REPLY");
    expect(result.error).toBe("502 the endpoint answered without a choice (empty choices)");
    expect(server!.requests).toHaveLength(3);
  });

  it('finish_reason "length" says the reply was truncated at the output limit, with the model\'s maxOutputTokens, and nothing parses its cut JSON', async () => {
    const warn = vi.spyOn(console, "warn");
    const { agent, executor, input } = await setup("openai", [{ kind: "truncated", toolCalls: [OPEN_BTC], usage: { promptTokens: 500, completionTokens: 64 } }], { maxOutputTokens: 64 });
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("TRUNCATED");
    expect(result.error).toBe("400 reply truncated at the output limit (maxOutputTokens 64)");
    expect(result.toolCalls).toEqual([]);
    expect(executor.executed).toHaveLength(0);
    // The truncated reply's tokens were paid for: they count.
    expect(result.usage.outputTokens).toBe(64);
    expect(warn.mock.calls.flat().join(" ")).not.toMatch(/upgrade your packages/);
    expect(server!.requests[0]!.body.max_tokens).toBe(64);
  });

  it("a 401 or a 404 is a configuration error: not retried, one clean line without vendor boilerplate", async () => {
    for (const [status, message] of [
      [401, "Incorrect API key provided: sk-***"],
      [404, "The model `gpt-9` does not exist or you do not have access to it."],
    ] as const) {
      const { agent, executor, input } = await setup("openai", [errorReply(status, message), textReply("never")]);
      const result = await agent.invoke(input, executor, FAST);
      expect(result.errorCode).toBe("CONFIG");
      expect(result.error).toBe(`${status} ${message}`);
      expect(server!.requests).toHaveLength(1);
      await server!.close();
      server = undefined;
    }
  });
});

describe("cost and tokens", () => {
  it("reads cached prompt tokens of OpenAI's and DeepSeek's usage shapes and prices them at the cached price", async () => {
    for (const dialect of ["openai", "deepseek"] as const) {
      const { agent, executor, input } = await setup(
        dialect,
        [
          { kind: "tool_calls", toolCalls: [HOLD], usage: { promptTokens: 1000, completionTokens: 100, cachedTokens: 800 } },
          { kind: "text", content: "held", usage: { promptTokens: 1000, completionTokens: 0, cachedTokens: 1000 } },
        ],
        { pricing: { inputPerMillionUsd: 2, outputPerMillionUsd: 8, cachedInputPerMillionUsd: 0.5 } },
      );
      const result = await agent.invoke(input, executor, FAST);
      expect(result.usage).toEqual({ inputTokens: 2000, outputTokens: 100, totalTokens: 2100, cachedInputTokens: 1800 });
      // 200 fresh * 2 + 1800 cached * 0.5 + 100 out * 8, per million
      expect(result.costUsd.toString()).toBe("0.0021");
      await server!.close();
      server = undefined;
    }
  });
});

describe("no silent no-ops", () => {
  it("a reply without a tool call is asked again once in the same run, and a hold then is a decision", async () => {
    const { agent, executor, input } = await setup("openai", [textReply("I think the market is flat."), toolCallsReply(HOLD), textReply("held")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(result.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["hold:executed"]);
    expect(String(server!.requests[1]!.messages.at(-1)!.content)).toMatch(/without calling a tool/);
    expect(result.attempts.map((a) => a.outcome)).toEqual(["no-action", "ok"]);
    expect(result.steps.some((s) => s.kind === "nudge")).toBe(true);
  });

  it("two replies without a tool call end the run as NO_ACTION", async () => {
    const { agent, executor, input } = await setup("openai", [textReply("flat"), textReply("still flat")]);
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("NO_ACTION");
    expect(result.error).toMatch(/without calling a tool, also when asked again/);
    expect(result.text).toBe("still flat");
    expect(server!.requests).toHaveLength(2);
  });
});

describe("JSON decisions for endpoints without tools", () => {
  it("a json-only model gets no tools, and its fenced JSON decision is validated, risk-checked and executed like a tool call", async () => {
    const { agent, executor, input } = await setup("json-only", [jsonDecisionReply("create_position", { ...OPEN_ARGS, quantity: "0.02", leverage: "5" })], { decisionFormat: "json" });
    const result = await agent.invoke(input, executor, FAST);

    expect(result.error).toBeNull();
    expect(result.ok).toBe(true);
    expect(server!.requests[0]!.tools).toBeUndefined();
    expect(result.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["create_position:executed"]);
    expect(executor.positions.map((p) => `${p.symbol} ${p.quantity}`)).toEqual(["BTC 0.02"]);
  });

  it("a JSON decision that breaks a risk check is rejected with the check, like a tool call", async () => {
    const { agent, executor, input } = await setup("json-only", [jsonDecisionReply("create_position", { ...OPEN_ARGS, exit_plan: { stop: 101000, target: 106000 } })], {
      decisionFormat: "json",
    });
    const result = await agent.invoke(input, executor, FAST);
    expect(result.toolCalls.map((c) => [c.status, c.check])).toEqual([["rejected", "STOP_WRONG_SIDE"]]);
    expect(executor.executed).toHaveLength(0);
  });

  it("a JSON decision that does not parse is recorded and corrected; a reply with none is asked again", async () => {
    const { agent, executor, input } = await setup(
      "json-only",
      [textReply('```json\n{"tool": "hold", "arguments": {"reason": "x"\n```'), textReply("I would rather wait."), jsonDecisionReply("hold", { reason: "waiting" })],
      { decisionFormat: "json" },
    );
    const result = await agent.invoke(input, executor, FAST);

    expect(result.ok).toBe(true);
    expect(result.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["hold:invalid", "hold:executed"]);
    expect(result.attempts.map((a) => a.outcome)).toEqual(["malformed", "no-action", "ok"]);
  });

  it("a json-only endpoint refuses a tools request with a clean, unretried error", async () => {
    const { agent, executor, input } = await setup("json-only", [textReply("never")]);
    const result = await agent.invoke(input, executor, FAST);
    expect(result.errorCode).toBe("MODEL_ERROR");
    expect(result.error).toBe("400 registry.ollama.ai/library/test-model does not support tools");
    expect(server!.requests).toHaveLength(1);
  });

  it("vLLM without --enable-auto-tool-choice refuses tools cleanly, and a JSON-decision entry trades through it", async () => {
    const a = await setup("vllm-no-auto-tools", [textReply("never")]);
    const refused = await a.agent.invoke(a.input, a.executor, FAST);
    expect(refused.errorCode).toBe("MODEL_ERROR");
    expect(refused.error).toBe('400 "auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');
    await server!.close();

    const b = await setup("vllm-no-auto-tools", [{ ...jsonDecisionReply("hold", { reason: "range" }), reasoning: "Range-bound." } as ScriptStep], { decisionFormat: "json" });
    const result = await b.agent.invoke(b.input, b.executor, FAST);
    expect(result.ok).toBe(true);
    expect(result.reasoning).toBe("Range-bound.");
    expect(result.toolCalls.map((c) => c.status)).toEqual(["executed"]);
  });
});

describe("per-model settings win over the caller's defaults", () => {
  const GLOBALS: InvokeOptions = { policy: { backoffBaseMs: 5, timeoutMs: 20_000, maxSteps: 20, maxRetries: 2 } };

  it("timeoutMs", async () => {
    const { agent, executor, input } = await setup("openai", [{ kind: "text", content: "late", delayMs: 10_000 }], { timeoutMs: 500 });
    const result = await agent.invoke(input, executor, GLOBALS);
    expect(result.errorCode).toBe("TIMEOUT");
    expect(result.error).toBe("agent m timed out after 500 ms");
  });

  it("maxSteps", async () => {
    const { agent, executor, input } = await setup("openai", [toolCallsReply(HOLD), textReply("held")], { maxSteps: 1 });
    const result = await agent.invoke(input, executor, GLOBALS);
    expect(server!.requests).toHaveLength(1);
    expect(result.stepLimitReached).toBe(true);
  });

  it("maxRetries", async () => {
    const { agent, executor, input } = await setup("openai", [errorReply(500), toolCallsReply(HOLD), textReply("held")], { maxRetries: 0 });
    const result = await agent.invoke(input, executor, GLOBALS);
    expect(result.errorCode).toBe("UPSTREAM");
    expect(server!.requests).toHaveLength(1);
  });

  it("temperature", async () => {
    const { agent, executor, input } = await setup("openai", [toolCallsReply(HOLD), textReply("held")], { temperature: 0.3 });
    await agent.invoke(input, executor, GLOBALS);
    expect(server!.requests.map((r) => r.body.temperature)).toEqual([0.3, 0.3]);
  });

  it("maxOutputTokens", async () => {
    const { agent, executor, input } = await setup("openai", [toolCallsReply(HOLD), textReply("held")], { maxOutputTokens: 333 });
    await agent.invoke(input, executor, GLOBALS);
    expect(server!.requests.map((r) => r.body.max_tokens)).toEqual([333, 333]);
  });

  it("pricing", async () => {
    const { agent, executor, input } = await setup("openai", [toolCallsReply(HOLD), textReply("held")], { pricing: { inputPerMillionUsd: 10, outputPerMillionUsd: 0 } });
    const result = await agent.invoke(input, executor, GLOBALS);
    expect(result.costUsd.toString()).toBe("0.002"); // 200 input tokens at $10/M
  });

  it("limits", async () => {
    const { agent, executor, input } = await setup("openai", [toolCallsReply(OPEN_BTC), textReply("ok")], { limits: { maxLeverage: 2 } });
    const result = await agent.invoke(input, executor, { ...GLOBALS, limits: { ...(await import("@autonome/risk")).DEFAULT_RISK_LIMITS, maxLeverage: 20 } });
    expect(result.toolCalls.map((c) => [c.status, c.check])).toEqual([["rejected", "MODEL_MAX_LEVERAGE"]]);
  });

  it("decisionFormat", async () => {
    const { agent, executor, input } = await setup("openai", [jsonDecisionReply("hold", { reason: "x" })], { decisionFormat: "json" });
    const result = await agent.invoke(input, executor, GLOBALS);
    expect(server!.requests[0]!.tools).toBeUndefined();
    expect(result.toolCalls.map((c) => c.status)).toEqual(["executed"]);
  });
});
