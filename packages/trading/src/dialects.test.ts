/**
 * Every vendor dialect of the test server, end to end through the trade workflow and the real
 * LangChain loop: the model trades (or is refused cleanly), and every model call and tool call is
 * on record with a clear outcome: reasoning and answer apart, unknown tools, no-action runs,
 * configuration errors that pause the model, per-model settings, stable prompt order.
 */
import { createModelRegistry } from "@autonome/agent";
import { type Dialect, type OpenAiTestServer, type ScriptStep, errorReply, jsonDecisionReply, startOpenAiTestServer, textReply, toolCallsReply } from "@autonome/agent/testing";
import { ArenaEventBus, DEFAULT_MARKETS, ManualClock } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { SyntheticMarket } from "@autonome/market-data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0, openTestDb } from "./testing/support.js";
import { createTradingRuntime } from "./runtime.js";
import type { TradingRuntime } from "./runtime-types.js";
import { CONFIG_ERRORS_TO_PAUSE, runTradeWorkflow } from "./workflow.js";

let db: Db;
let clock: ManualClock;
let market: SyntheticMarket;
let runtime: TradingRuntime;
const servers = new Map<string, OpenAiTestServer>();

/** Each registry entry: its id (also the model's name), the dialect it talks to, and its own settings. */
const ENTRIES: Array<{ id: string; dialect: Dialect; extra?: Record<string, unknown> }> = [
  { id: "openai", dialect: "openai", extra: { pricing: { inputPerMillionUsd: 2, outputPerMillionUsd: 8 } } },
  { id: "openrouter", dialect: "openrouter", extra: { pricing: { inputPerMillionUsd: 2, outputPerMillionUsd: 8 } } },
  { id: "deepseek", dialect: "deepseek", extra: { model: "deepseek-reasoner" } },
  { id: "ollama", dialect: "ollama", extra: { model: "deepseek-r1:14b" } },
  { id: "vllm", dialect: "vllm" },
  { id: "vllm-json", dialect: "vllm-no-auto-tools", extra: { decisionFormat: "json" } },
  { id: "vllm-tools", dialect: "vllm-no-auto-tools" },
  { id: "json-only", dialect: "json-only", extra: { decisionFormat: "json" } },
  { id: "plain", dialect: "openai" },
  { id: "bad-key", dialect: "openai" },
  { id: "quick", dialect: "openai", extra: { timeoutMs: 400, maxSteps: 1 } },
  { id: "order", dialect: "openai" },
];

beforeAll(async () => {
  clock = new ManualClock(T0);
  db = await openTestDb(clock);
  market = new SyntheticMarket({ clock, seed: 11, markets: DEFAULT_MARKETS.filter((m) => ["BTC", "ETH"].includes(m.symbol)), historyMinutes: 24 * 60 });
  for (const e of ENTRIES) servers.set(e.id, await startOpenAiTestServer({ dialect: e.dialect }));
  const agents = createModelRegistry(
    ENTRIES.map((e) => ({ id: e.id, kind: "openai", baseURL: servers.get(e.id)!.baseURL, model: "test-model", ...e.extra })),
    { clock },
  );
  runtime = await createTradingRuntime({
    db,
    market,
    agents,
    events: new ArenaEventBus(),
    clock,
    simulator: { refreshIntervalMs: 0 },
    // The workflow's globals: each model entry's own settings must win over them.
    options: { retryBackoffMs: 1, agentTimeoutMs: 20_000, maxSteps: 20, maxRetries: 2 },
  });
});

afterAll(async () => {
  await runtime.close();
  for (const s of servers.values()) await s.close();
  await market.close();
  await db.close();
});

async function modelFor(id: string): Promise<ModelRecord> {
  return (await db.models.byName(id)) ?? db.models.create({ name: id, provider: "openai", modelName: "test-model" });
}

function openBtc(quantity: number | string = 0.01) {
  const mid = market.midPrice("BTC").toNumber();
  return { symbol: "BTC", side: "LONG", quantity, leverage: 2, exit_plan: { stop: Math.round(mid * 0.95), target: Math.round(mid * 1.1), invalidation: "below the stop", confidence: 0.6 } };
}

async function run(id: string, ...script: ScriptStep[]) {
  servers.get(id)!.push(...script);
  const model = await modelFor(id);
  const result = await runTradeWorkflow(runtime, model);
  const invocation = result.invocationId ? await db.invocations.byId(result.invocationId) : null;
  return { model, result, invocation, payload: invocation?.responsePayload as { reasoning: string | null; answer: string } | null };
}

describe("each vendor dialect through the trade workflow", () => {
  it("OpenAI: trades; usage and cost at the configured prices are on record", async () => {
    const { result, invocation, payload } = await run("openai", toolCallsReply({ name: "create_position", arguments: openBtc() }), textReply("Long BTC."));
    expect(result.ok).toBe(true);
    expect(invocation?.toolCalls.map((c) => [c.type, c.tool, c.accepted])).toEqual([["CREATE_POSITION", "create_position", true]]);
    expect(invocation?.inputTokens).toBe(200);
    expect(invocation?.cost?.toString()).toBe("0.00072");
    expect(payload).toMatchObject({ reasoning: null, answer: "Long BTC." });
  });

  it("OpenRouter: a 502 inside a 200 is retried; the reasoning and the provider's cost are on record", async () => {
    const { result, invocation, payload } = await run(
      "openrouter",
      { kind: "error_in_200", code: 502, message: "Provider returned error" },
      { kind: "tool_calls", toolCalls: [{ name: "create_position", arguments: openBtc() }], reasoning: "Uptrend intact.", usage: { promptTokens: 1000, completionTokens: 40, costUsd: 0.004 } },
      { kind: "text", content: "Long BTC.", usage: { promptTokens: 1100, completionTokens: 5, costUsd: 0.001 } },
    );
    expect(result.ok).toBe(true);
    expect(result.attempts).toBe(2);
    expect(invocation?.toolCalls.map((c) => c.accepted)).toEqual([true]);
    expect(payload).toMatchObject({ reasoning: "Uptrend intact.", answer: "Long BTC." });
    expect(invocation?.cost?.toString()).toBe("0.005");
    expect(JSON.stringify(invocation?.steps)).toContain("502 Provider returned error");
  });

  it("DeepSeek thinking mode: the trade's result reaches the model and the run is recorded as a success, with its chain of thought", async () => {
    const { result, invocation, payload } = await run(
      "deepseek",
      { kind: "tool_calls", toolCalls: [{ name: "create_position", arguments: openBtc() }], reasoning: "Risk 1% with a 5% stop." },
      { kind: "text", content: "Opened.", reasoning: "Filled as planned." },
    );
    expect(result.error).toBeNull();
    expect(result.ok).toBe(true);
    expect(invocation?.error).toBeNull();
    expect(String(servers.get("deepseek")!.requests.at(-1)!.messages.at(-1)!.content)).toMatch(/^EXECUTED/);
    expect(payload).toMatchObject({ reasoning: "Risk 1% with a 5% stop.\n\nFilled as planned.", answer: "Opened." });
  });

  it("Ollama: reused completion ids and no usage lose no step; <think> is the reasoning", async () => {
    const { result, invocation, payload } = await run(
      "ollama",
      { kind: "tool_calls", toolCalls: [{ name: "create_position", arguments: openBtc() }], content: "", reasoning: "Breakout." },
      { kind: "text", content: "Long.", reasoning: "Done." },
    );
    expect(result.ok).toBe(true);
    expect(invocation?.inputTokens).toBe(0);
    expect((invocation?.steps as { steps: Array<{ kind: string }> }).steps.filter((s) => s.kind === "model")).toHaveLength(2);
    expect(payload).toMatchObject({ reasoning: "Breakout.\n\nDone.", answer: "Long." });
  });

  it("vLLM with auto tool choice and a reasoning parser: trades with reasoning on record", async () => {
    const { result, payload } = await run("vllm", { kind: "tool_calls", toolCalls: [{ name: "create_position", arguments: openBtc() }], reasoning: "Momentum." }, textReply("Long."));
    expect(result.ok).toBe(true);
    expect(payload?.reasoning).toBe("Momentum.");
  });

  it("vLLM without auto tool choice: a tools entry is refused cleanly (one clean line, not retried); a JSON-decision entry trades", async () => {
    const refused = await run("vllm-tools", textReply("never"));
    expect(refused.result.ok).toBe(false);
    expect(refused.invocation?.error).toBe('MODEL_ERROR: 400 "auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');
    expect(servers.get("vllm-tools")!.requests).toHaveLength(1);

    const { result, invocation } = await run("vllm-json", jsonDecisionReply("create_position", openBtc("0.01")));
    expect(result.ok).toBe(true);
    expect(invocation?.toolCalls.map((c) => [c.type, c.accepted])).toEqual([["CREATE_POSITION", true]]);
    expect(await db.orders.openPositionOf(result.modelId, "BTC")).not.toBeNull();
  });

  it("a JSON-only model: its fenced JSON decision goes through the same validation, risk checks and records", async () => {
    const mid = market.midPrice("BTC").toNumber();
    const { result, invocation } = await run("json-only", jsonDecisionReply("create_position", { ...openBtc(), exit_plan: { stop: Math.round(mid * 1.05) } }));
    expect(result.toolCalls.map((c) => c.status)).toEqual(["rejected"]);
    expect(invocation?.toolCalls.map((c) => [c.type, c.accepted, c.rejectionReason?.split(":")[0]])).toEqual([["CREATE_POSITION", false, "rejected"]]);
    expect(await db.orders.openPositionOf(result.modelId, "BTC")).toBeNull();
  });
});

describe("every call on record", () => {
  it("a call to a tool that does not exist and a call with invalid arguments are ToolCalls rows with the reason, counted as failed tool calls", async () => {
    const { model, result, invocation } = await run(
      "plain",
      toolCallsReply({ name: "buy_btc", arguments: { size: 1 } }, { name: "create_position", arguments: { ...openBtc(), leverage: "lots" } }),
      toolCallsReply({ name: "hold", arguments: { reason: "fine" } }),
      textReply("ok"),
    );
    expect(result.toolCalls.map((c) => `${c.tool}:${c.status}`)).toEqual(["buy_btc:invalid", "create_position:invalid", "hold:executed"]);
    const rows = [...(invocation?.toolCalls ?? [])].sort((a, b) => a.tool.localeCompare(b.tool));
    expect(rows.map((c) => [c.tool, c.type, c.accepted])).toEqual([
      ["buy_btc", null, false],
      ["create_position", "CREATE_POSITION", false],
      ["hold", "HOLDING", true],
    ]);
    expect(rows[0]!.rejectionReason).toMatch(/^invalid: unknown tool buy_btc/);
    expect(rows[1]!.rejectionReason).toMatch(/^invalid: invalid create_position arguments: leverage/);
    expect((await db.models.require(model.id)).failedToolCallCount).toBe(2);
  });

  it("a run without a tool call is asked once more and then recorded with NO_ACTION", async () => {
    const { result, invocation } = await run("plain", textReply("The market is flat."), textReply("Still flat."));
    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe("NO_ACTION");
    expect(invocation?.error).toMatch(/^NO_ACTION: the model replied without calling a tool, also when asked again/);
    expect(String(servers.get("plain")!.requests.at(-1)!.messages.at(-1)!.content)).toMatch(/call hold/);
  });

  it(`${CONFIG_ERRORS_TO_PAUSE} configuration errors in a row pause the model with the reason, in one clean line each`, async () => {
    const model = await modelFor("bad-key");
    const message = "Incorrect API key provided: sk-****1234. You can find your API key at https://platform.openai.com/account/api-keys.";
    for (let i = 1; i <= CONFIG_ERRORS_TO_PAUSE; i++) {
      servers.get("bad-key")!.push(errorReply(401, message));
      clock.advanceTo(clock.now() + 60_000);
      const result = await runTradeWorkflow(runtime, model);
      expect(result.errorCode).toBe("CONFIG");
      const row = await db.models.require(model.id);
      expect(row.enabled).toBe(i < CONFIG_ERRORS_TO_PAUSE);
      if (i === CONFIG_ERRORS_TO_PAUSE) {
        expect(result.pausedReason).toBe(`${CONFIG_ERRORS_TO_PAUSE} configuration errors in a row: 401 ${message}`);
        expect(row.pausedReason).toBe(result.pausedReason);
      }
      const invocation = await db.invocations.byId(result.invocationId!);
      expect(invocation?.error).toBe(`CONFIG: 401 ${message}`);
    }
    // Not retried within a run: one request each.
    expect(servers.get("bad-key")!.requests).toHaveLength(CONFIG_ERRORS_TO_PAUSE);
  });

  it("a model's own timeoutMs and maxSteps win over the workflow's globals", async () => {
    const timedOut = await run("quick", { kind: "text", content: "late", delayMs: 5_000 });
    expect(timedOut.result.errorCode).toBe("TIMEOUT");
    expect(timedOut.invocation?.error).toBe("TIMEOUT: agent quick timed out after 400 ms");
    const before = servers.get("quick")!.requests.length;
    const limited = await run("quick", toolCallsReply({ name: "hold", arguments: { reason: "x" } }), textReply("never asked"));
    expect(servers.get("quick")!.requests.length - before).toBe(1);
    expect(limited.result.ok).toBe(true);
  });

  it("lists positions in the prompt by symbol, whatever order they were opened in", async () => {
    const mid = market.midPrice("ETH").toNumber();
    await run(
      "order",
      toolCallsReply({ name: "create_position", arguments: { symbol: "ETH", side: "LONG", quantity: 0.1, leverage: 2, exit_plan: { stop: Math.round(mid * 0.9) } } }),
      textReply("eth"),
    );
    clock.advanceTo(clock.now() + 60_000);
    await run("order", toolCallsReply({ name: "create_position", arguments: openBtc() }), textReply("btc"));
    clock.advanceTo(clock.now() + 60_000);
    const { invocation } = await run("order", toolCallsReply({ name: "hold", arguments: { reason: "x" } }), textReply("hold"));
    const positions = invocation!.prompt.split("### OPEN POSITIONS")[1]!;
    expect(positions.indexOf("- BTC LONG")).toBeGreaterThan(-1);
    expect(positions.indexOf("- BTC LONG")).toBeLessThan(positions.indexOf("- ETH LONG"));
  });
});
