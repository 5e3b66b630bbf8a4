import { createModelRegistry } from "@autonome/agent";
import { type OpenAiTestServer, startOpenAiTestServer, textReply, toolCallsReply } from "@autonome/agent/testing";
import { type ArenaEvent, ArenaEventBus, DEFAULT_MARKETS, ManualClock } from "@autonome/core";
import type { Db } from "@autonome/db";
import { SyntheticMarket } from "@autonome/market-data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0, openTestDb } from "./testing/support.js";
import { createTradingRuntime, flattenModel, reconcile, snapshotPortfolios } from "./runtime.js";
import type { TradingRuntime } from "./runtime-types.js";
import { LeaseFence } from "./fence.js";
import { DbTradingStore } from "./store.js";
import { runTradeWorkflow } from "./workflow.js";

let db: Db;
let clock: ManualClock;
let market: SyntheticMarket;
let server: OpenAiTestServer;
let runtime: TradingRuntime;
const events: ArenaEvent[] = [];

beforeAll(async () => {
  clock = new ManualClock(T0);
  db = await openTestDb(clock);
  market = new SyntheticMarket({ clock, seed: 7, markets: DEFAULT_MARKETS.filter((m) => ["BTC", "ETH"].includes(m.symbol)), historyMinutes: 24 * 60 });
  server = await startOpenAiTestServer();
  const agents = createModelRegistry([
    { id: "buy-and-hold-btc", kind: "rule", rule: "buy-and-hold-btc" },
    { id: "llm", kind: "openai", baseURL: server.baseURL, model: "test-model" },
  ], { clock });
  const bus = new ArenaEventBus();
  bus.onAny((e) => events.push(e));
  runtime = await createTradingRuntime({
    db,
    market,
    agents,
    events: bus,
    clock,
    simulator: { refreshIntervalMs: 0 },
    options: { retryBackoffMs: 1, agentTimeoutMs: 20_000 },
  });
});

afterAll(async () => {
  await runtime.close();
  await server.close();
  await market.close();
  await db.close();
});

describe("runTradeWorkflow", () => {
  it("runs a rule model on the synthetic market through the simulated broker into Orders, Invocations and events", async () => {
    const model = await db.models.create({ name: "buy-and-hold-btc", provider: "rule", modelName: "buy-and-hold-btc" });
    events.length = 0;
    const result = await runTradeWorkflow(runtime, model);
    expect(result.ok).toBe(true);
    expect(result.toolCalls).toEqual([expect.objectContaining({ tool: "create_position", status: "executed", symbol: "BTC" })]);
    const order = await db.orders.openPositionOf(model.id, "BTC");
    expect(order).not.toBeNull();
    expect(result.openedOrderIds).toEqual([order!.orderId]);
    const invocation = await db.invocations.byId(result.invocationId!);
    expect(invocation?.finishedAt).not.toBeNull();
    expect(invocation?.prompt).toContain("BTC");
    expect(invocation?.toolCalls).toEqual([expect.objectContaining({ type: "CREATE_POSITION", accepted: true, rejectionReason: null })]);
    expect(events.map((e) => e.type)).toEqual(["positionOpened", "decisionMade", "invocationFinished"]);

    // A second run holds: buy and hold never sells.
    clock.advanceTo(clock.now() + 60_000);
    const again = await runTradeWorkflow(runtime, model);
    expect(again.toolCalls.map((c) => c.tool)).toEqual(["hold"]);
    expect((await db.orders.openOrdersOfModel(model.id)).length).toBe(1);

    await snapshotPortfolios(runtime, [model]);
    const snapshot = await db.portfolio.latest(model.id);
    expect(snapshot?.total.gt(9_000)).toBe(true);
    expect(events.at(-1)?.type).toBe("portfolioSnapshotted");

    const flat = await flattenModel(runtime, model.id);
    expect(flat.closed.map((o) => o.closeTrigger)).toEqual(["MANUAL"]);
    expect(await db.orders.openPositionOf(model.id, "BTC")).toBeNull();
  });

  it("runs a language model through the real LangChain loop against the test server and records the same kind of rows", async () => {
    const model = await db.models.create({ name: "llm", provider: "openai", modelName: "test-model" });
    const mid = market.midPrice("ETH").toNumber();
    server.push(
      toolCallsReply({
        name: "create_position",
        arguments: { symbol: "ETH", side: "SHORT", quantity: 1, leverage: 3, exit_plan: { stop: Math.round(mid * 1.05), target: Math.round(mid * 0.9), confidence: 0.7 } },
      }),
      textReply("Short ETH with a stop 5% above."),
    );
    const result = await runTradeWorkflow(runtime, model);
    expect(result.ok).toBe(true);
    const order = await db.orders.openPositionOf(model.id, "ETH");
    expect(order?.side).toBe("SHORT");
    expect(order?.quantity.toString()).toBe("1");
    expect(order?.exitPlan.stop?.toNumber()).toBe(Math.round(mid * 1.05));
    const invocation = await db.invocations.byId(result.invocationId!);
    expect(invocation?.response).toBe("Short ETH with a stop 5% above.");
    expect(invocation?.inputTokens).toBeGreaterThan(0);
    expect(invocation?.toolCalls).toEqual([expect.objectContaining({ type: "CREATE_POSITION", accepted: true })]);
    // The tool result the model saw carried the updated account.
    const toolMessage = server.requests.at(-1)!.messages.find((m) => m.role === "tool");
    expect(String(toolMessage?.content)).toContain("Account value");
  });

  it("updates an exit plan through update_exit_plan and publishes exitPlanUpdated", async () => {
    const model = (await db.models.byName("llm"))!;
    const mid = market.midPrice("ETH").toNumber();
    server.push(toolCallsReply({ name: "update_exit_plan", arguments: { symbol: "ETH", exit_plan: { stop: Math.round(mid * 1.03) } } }), textReply("Tighter stop."));
    events.length = 0;
    const result = await runTradeWorkflow(runtime, model);
    expect(result.toolCalls.map((c) => c.status)).toEqual(["executed"]);
    expect((await db.orders.openPositionOf(model.id, "ETH"))?.exitPlan.stop?.toNumber()).toBe(Math.round(mid * 1.03));
    expect(events.map((e) => e.type)).toEqual(["exitPlanUpdated", "decisionMade", "invocationFinished"]);
  });

  it("records each tool call before the model sees its reply, so a crash mid-run leaves the calls made so far", async () => {
    const model = (await db.models.byName("llm"))!;
    const log: string[] = [];
    const base = new DbTradingStore(db, () => clock.now());
    const spy = Object.assign(Object.create(base) as DbTradingStore, {
      recordToolCall: async (input: Parameters<DbTradingStore["recordToolCall"]>[0]) => {
        await base.recordToolCall(input);
        log.push(`recorded ${input.type}`);
      },
    });
    server.push(toolCallsReply({ name: "hold", arguments: { reason: "watching" } }), () => {
      log.push("model asked again");
      return textReply("Holding.");
    });
    const result = await runTradeWorkflow({ ...runtime, store: spy }, model);
    expect(result.ok).toBe(true);
    expect(log).toEqual(["recorded HOLDING", "model asked again"]);
    // Recorded once, not again after the run.
    expect((await db.invocations.byId(result.invocationId!))?.toolCalls.map((c) => c.type)).toEqual(["HOLDING"]);
  });

  it("shows the competition's standings in the prompt once models have snapshots", async () => {
    const model = (await db.models.byName("llm"))!;
    await snapshotPortfolios(runtime, await db.models.list());
    clock.advanceTo(clock.now() + 120_000);
    server.push(toolCallsReply({ name: "hold", arguments: { reason: "watching" } }), textReply("Holding."));
    const result = await runTradeWorkflow(runtime, model);
    const prompt = (await db.invocations.byId(result.invocationId!))!.prompt;
    expect(prompt).toContain("### COMPETITION");
    expect(prompt).toContain("buy-and-hold-btc");
  });

  it("records a malformed reply as rejected, retries, and never executes it", async () => {
    const model = await db.models.create({ name: "llm-malformed", provider: "openai", modelName: "llm" });
    server.push(
      toolCallsReply({ name: "create_position", arguments: '{"symbol": "BTC", "side": "LONG", "quantity": 0.01, "leverage": 2, "exit_plan": {' }),
      toolCallsReply({ name: "hold", arguments: { reason: "nothing compelling" } }),
      textReply("Holding."),
    );
    const result = await runTradeWorkflow(runtime, model);
    expect(result.attempts).toBe(2);
    expect(result.ok).toBe(true);
    expect(await db.orders.openOrdersOfModel(model.id)).toEqual([]);
    const invocation = await db.invocations.byId(result.invocationId!);
    // Both calls happened at the same (manual) clock time, so compare them as a set.
    expect(invocation?.toolCalls.map((c) => [c.type, c.accepted]).sort()).toEqual([
      ["CREATE_POSITION", false],
      ["HOLDING", true],
    ]);
    expect(invocation?.toolCalls.find((c) => !c.accepted)?.rejectionReason).toMatch(/^invalid: /);
  });

  it("returns a risk rejection's reason to the model and records it", async () => {
    const model = await db.models.create({ name: "llm-risky", provider: "openai", modelName: "llm" });
    server.push(
      toolCallsReply({ name: "create_position", arguments: { symbol: "BTC", side: "LONG", quantity: 0.01, leverage: 2, exit_plan: { confidence: 0.5 } } }),
      textReply("Fine."),
    );
    const result = await runTradeWorkflow(runtime, model);
    expect(result.toolCalls).toEqual([expect.objectContaining({ status: "rejected", accepted: false })]);
    expect(result.toolCalls[0]!.reason).toMatch(/stop/);
    expect(await db.orders.openOrdersOfModel(model.id)).toEqual([]);
    const toolMessage = server.requests.at(-1)!.messages.find((m) => m.role === "tool");
    expect(String(toolMessage?.content)).toMatch(/REJECTED by risk check STOP_REQUIRED/);
  });

  it("records a model without an agent as a failed run without throwing", async () => {
    const model = await db.models.create({ name: "nobody", provider: "openai", modelName: "missing" });
    const result = await runTradeWorkflow(runtime, model);
    expect(result).toEqual(expect.objectContaining({ ok: false, errorCode: "NO_AGENT" }));
  });

  it("publishes a stop that fires between runs as exitTriggered and positionClosed on reconcile", async () => {
    const model = await db.models.create({ name: "llm-stop", provider: "openai", modelName: "llm" });
    const mid = market.midPrice("BTC").toNumber();
    server.push(
      toolCallsReply({ name: "create_position", arguments: { symbol: "BTC", side: "SHORT", quantity: 0.01, leverage: 2, exit_plan: { stop: Math.ceil(mid * 1.0005) } } }),
      textReply("Tight stop."),
    );
    await runTradeWorkflow(runtime, model);
    expect(await db.orders.openPositionOf(model.id, "BTC")).not.toBeNull();
    events.length = 0;
    // Walk the synthetic market until the stop is crossed (bounded).
    for (let i = 0; i < 200 && (await db.orders.openPositionOf(model.id, "BTC")) !== null; i++) {
      clock.advanceTo(clock.now() + 60_000);
      await reconcile(runtime);
    }
    const trade = (await db.orders.closedTradesOfModel(model.id)).items[0];
    expect(trade?.closeTrigger).toBe("STOP");
    expect(events.filter((e) => "modelId" in e.payload && e.payload.modelId === model.id).map((e) => e.type)).toEqual(["exitTriggered", "positionClosed"]);
  });

  it("closes a position whose exit plan's time exit passed, on reconcile, with closeTrigger null", async () => {
    const model = await db.models.create({ name: "llm-time", provider: "openai", modelName: "llm" });
    const mid = market.midPrice("ETH").toNumber();
    server.push(
      toolCallsReply({
        name: "create_position",
        arguments: { symbol: "ETH", side: "LONG", quantity: 0.5, leverage: 2, exit_plan: { stop: Math.round(mid * 0.8), time_exit_minutes: 5 } },
      }),
      textReply("Five minutes only."),
    );
    await runTradeWorkflow(runtime, model);
    const order = (await db.orders.openPositionOf(model.id, "ETH"))!;
    clock.advanceTo(clock.now() + 4 * 60_000);
    expect((await reconcile(runtime, [model])).actions).toEqual([]);
    clock.advanceTo(clock.now() + 2 * 60_000);
    const report = await reconcile(runtime, [model]);
    expect(report.actions).toEqual([expect.objectContaining({ kind: "closedByExitPlan", orderId: order.orderId, reason: "TIME_EXIT" })]);
    const closed = await db.orders.byId(order.orderId);
    expect(closed?.status === "CLOSED" && closed.closeTrigger).toBeNull();
  });

  it("stops a run whose lease is lost before its next broker call: nothing sent, the model not asked again, LEASE_LOST recorded and counted once", async () => {
    const model = await db.models.create({ name: "llm-fenced", provider: "openai", modelName: "llm" });
    const [grant] = await db.leases.claim([model.id], "w1", 60_000);
    const asked = server.requests.length;
    const mid = market.midPrice("BTC").toNumber();
    server.push({
      kind: "tool_calls",
      toolCalls: [{ name: "create_position", arguments: { symbol: "BTC", side: "LONG", quantity: 0.01, leverage: 2, exit_plan: { stop: Math.round(mid * 0.95), confidence: 0.5 } } }],
      delayMs: 400,
    });
    const run = runTradeWorkflow(runtime, model, undefined, { fence: new LeaseFence(db.leases, grant!) });
    // While the model thinks, its lease lapses and another worker takes the model.
    while (server.requests.length === asked) await new Promise((r) => setTimeout(r, 10));
    await db.leases.release("w1");
    await db.leases.claim([model.id], "w2", 60_000);
    const result = await run;
    expect(result).toMatchObject({ ok: false, errorCode: "LEASE_LOST" });
    expect(result.error).toMatch(/lease of model .* lost by w1 \(token \d+\): held by w2/);
    expect(result.toolCalls).toEqual([expect.objectContaining({ tool: "create_position", status: "failed", reason: expect.stringMatching(/^not sent: lease of model/) })]);
    expect(await db.orders.openOrdersOfModel(model.id)).toEqual([]);
    // The agent was stopped: the model was not asked again after the refused call.
    expect(server.requests.length).toBe(asked + 1);
    const invocation = (await db.invocations.byId(result.invocationId!))!;
    expect(invocation.error).toMatch(/^LEASE_LOST: lease of model/);
    expect(invocation.toolCalls).toEqual([expect.objectContaining({ type: "CREATE_POSITION", accepted: false })]);
    expect((await db.models.require(model.id)).failedWorkflowCount).toBe(1);
  });

  it("writes an executed call's ToolCall with its Order, once, and the workflow does not write it again", async () => {
    const model = await db.models.create({ name: "llm-audited", provider: "openai", modelName: "llm" });
    const mid = market.midPrice("BTC").toNumber();
    server.push(
      toolCallsReply({ name: "create_position", arguments: { symbol: "BTC", side: "SHORT", quantity: 0.01, leverage: 2, exit_plan: { stop: Math.round(mid * 1.05), confidence: 0.5 } } }),
      toolCallsReply({ name: "hold", arguments: { reason: "done for now" } }),
      textReply("Short BTC."),
    );
    const result = await runTradeWorkflow(runtime, model);
    expect(result.ok).toBe(true);
    const order = (await db.orders.openPositionOf(model.id, "BTC"))!;
    const calls = (await db.invocations.byId(result.invocationId!))!.toolCalls;
    expect(calls.map((c) => c.type)).toEqual(["CREATE_POSITION", "HOLDING"]);
    expect(calls[0]!.result).toEqual({ ok: true, message: expect.stringMatching(/^opened SHORT 0\.01 BTC at /), orderId: order.orderId, status: "executed" });
    expect(calls[0]!.arguments).toMatchObject({ symbol: "BTC", side: "SHORT", quantity: 0.01 });
  });
});
