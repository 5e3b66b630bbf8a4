import { createModelRegistry } from "@autonome/agent";
import { type OpenAiTestServer, type ScriptedToolCall, startOpenAiTestServer, textReply, toolCallsReply } from "@autonome/agent/testing";
import { ConfigError, ManualClock } from "@autonome/core";
import type { Db, ModelRecord, OrderRecord } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_INDEX, API_KEY_INDEX, MockVenue, TEST_PRIVATE_KEY_HEX } from "./testing/lighter-venue.js";
import { ControlledMarket, T0, openTestDb } from "./testing/support.js";
import { createTradingRuntime, reconcile } from "./runtime.js";
import type { TradingRuntime } from "./runtime-types.js";
import { runTradeWorkflow } from "./workflow.js";

let db: Db;
let clock: ManualClock;
let venue: MockVenue;
let market: ControlledMarket;
let server: OpenAiTestServer;
let runtime: TradingRuntime;
let paper: ModelRecord;
let live: ModelRecord;
/** The tool call every model makes this tick (the same prompt, on paper and live). */
let decision: ScriptedToolCall = { name: "hold", arguments: { reason: "start" } };

beforeAll(async () => {
  clock = new ManualClock(T0);
  db = await openTestDb(clock);
  venue = await MockVenue.start({ BTC: 100_000 });
  market = new ControlledMarket(clock, { BTC: 100_000 });
  server = await startOpenAiTestServer({
    fallback: (request) => (request.messages.some((m) => m.role === "tool") ? textReply("done") : toolCallsReply(decision)),
  });
  paper = await db.models.create({ name: "scripted", provider: "openai", modelName: "scripted", mode: null });
  live = await db.models.create({ name: "scripted-live", provider: "openai", modelName: "scripted", mode: "LIVE", accountIndex: ACCOUNT_INDEX });
  runtime = await createTradingRuntime({
    db,
    market,
    agents: createModelRegistry([{ id: "scripted", kind: "openai", baseURL: server.baseURL, model: "scripted" }], { clock }),
    clock,
    simulationEnabled: true,
    simulator: { refreshIntervalMs: 0, takerFeeRate: 0, makerFeeRate: 0 },
    lighter: { baseUrl: venue.url, accounts: [{ accountIndex: ACCOUNT_INDEX, apiKeyIndex: API_KEY_INDEX, privateKeyHex: TEST_PRIVATE_KEY_HEX }], pollIntervalMs: 10 },
    options: { retryBackoffMs: 1 },
  });
});

afterAll(async () => {
  await runtime.close();
  await server.close();
  await venue.stop();
  await db.close();
});

function movePrice(price: number): void {
  clock.advanceTo(clock.now() + 60_000);
  market.setMid("BTC", price);
  venue.setPrice("BTC", price);
}

async function tick(call: ScriptedToolCall): Promise<void> {
  decision = call;
  for (const model of [paper, live]) {
    const result = await runTradeWorkflow(runtime, model);
    expect(result.toolCalls.map((c) => c.status), `${model.name}: ${result.toolCalls.map((c) => c.reason).join("; ")}`).toEqual(["executed"]);
  }
}

/** An Order without what legitimately differs between venues: ids, prices, fees, PnL, times, trigger indices. */
function shape(o: OrderRecord) {
  return {
    symbol: o.symbol,
    side: o.side,
    quantity: o.quantity.toString(),
    leverage: o.leverage.toString(),
    status: o.status,
    closeTrigger: o.status === "CLOSED" ? o.closeTrigger : undefined,
    stop: o.exitPlan.stop?.toString() ?? null,
    target: o.exitPlan.target?.toString() ?? null,
    confidence: o.exitPlan.confidence,
  };
}

async function ordersOf(model: ModelRecord): Promise<OrderRecord[]> {
  const closed = (await db.orders.closedTradesOfModel(model.id, { limit: 100 })).items.reverse();
  return [...closed, ...(await db.orders.openOrdersOfModel(model.id))];
}

describe("a prompt on paper beside the same prompt live", () => {
  it("routes each model by its own mode: null follows IS_SIMULATION_ENABLED, LIVE overrides it", () => {
    expect(runtime.brokers.modeOf(paper)).toBe("SIM");
    expect(runtime.brokers.modeOf(live)).toBe("LIVE");
    expect(runtime.brokers.brokerFor(paper).mode).toBe("SIM");
    expect(runtime.brokers.brokerFor(live).mode).toBe("LIVE");
  });

  it("turns the same scripted decisions into the same Orders rows through SimBroker and LighterBroker", async () => {
    await tick({ name: "create_position", arguments: { symbol: "BTC", side: "LONG", quantity: 0.01, leverage: 5, exit_plan: { stop: 97_000, target: 104_000, confidence: 0.6 } } });
    movePrice(101_000);
    await reconcile(runtime);
    await tick({ name: "update_exit_plan", arguments: { symbol: "BTC", exit_plan: { stop: 99_000 } } });
    await tick({ name: "close_position", arguments: { symbol: "BTC", reason: "take the gain" } });
    // Past the risk checks' no-flip window.
    clock.advanceTo(clock.now() + 61 * 60_000);
    await tick({ name: "create_position", arguments: { symbol: "BTC", side: "SHORT", quantity: 0.02, leverage: 3, exit_plan: { stop: 102_500, confidence: 0.5 } } });
    movePrice(103_000);
    const report = await reconcile(runtime);
    expect(report.errors).toEqual([]);
    expect(report.closes.map((c) => [c.order.modelId === paper.id ? "paper" : "live", c.closeTrigger]).sort()).toEqual([
      ["live", "STOP"],
      ["paper", "STOP"],
    ]);

    const paperRows = (await ordersOf(paper)).map(shape);
    const liveRows = (await ordersOf(live)).map(shape);
    expect(paperRows).toEqual([
      { symbol: "BTC", side: "LONG", quantity: "0.01", leverage: "5", status: "CLOSED", closeTrigger: null, stop: "99000", target: "104000", confidence: 0.6 },
      { symbol: "BTC", side: "SHORT", quantity: "0.02", leverage: "3", status: "CLOSED", closeTrigger: "STOP", stop: "102500", target: null, confidence: 0.5 },
    ]);
    expect(liveRows).toEqual(paperRows);
    // Both stops filled at the market where the price went (103000), above the 102500 trigger.
    const exits = [...(await ordersOf(paper)), ...(await ordersOf(live))].filter((o) => o.status === "CLOSED" && o.closeTrigger === "STOP");
    for (const o of exits) if (o.status === "CLOSED") expect(o.exitPrice.toNumber()).toBeGreaterThan(102_500);
  });

  it("refuses to start with two live models on one Lighter account", async () => {
    const other = await db.models.create({ name: "second-live", provider: "openai", modelName: "scripted", mode: "LIVE", accountIndex: ACCOUNT_INDEX });
    await expect(createTradingRuntime({ db, market, agents: runtime.agents, clock })).rejects.toBeInstanceOf(ConfigError);
    await db.models.upsert({ name: other.name, provider: other.provider, modelName: other.modelName, mode: "SIM", accountIndex: null });
  });
});
