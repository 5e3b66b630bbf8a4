/**
 * The audit kill test's child process (not exported): runs one trade workflow of the
 * buy-and-hold rule model through a SimBroker over a PGlite data directory, with the
 * database store that writes at once. The child reads its own environment (the broker
 * never does): with AUDIT_TEST_CRASH=after-order-write it injects a broker hook that
 * SIGKILLs the process right after the Order row is written, before the ToolCall of the
 * call that caused it. Prints the model's id first, then the run's outcome (when it lives).
 */
import { createModelRegistry } from "@autonome/agent";
import { ArenaEventBus, DEFAULT_MARKETS, ManualClock } from "@autonome/core";
import { createDb } from "@autonome/db";
import { MarketIntelligence, SyntheticMarket } from "@autonome/market-data";
import { SimBroker } from "../broker/sim-broker.js";
import { DEFAULT_TRADING_OPTIONS, DefaultBrokerRegistry } from "../runtime.js";
import type { TradingRuntime } from "../runtime-types.js";
import { LiveTradingStore } from "../store.js";
import { runTradeWorkflow } from "../workflow.js";
import { T0 } from "./support.js";

const clock = new ManualClock(T0);
const db = await createDb({ kind: "pglite", dataDir: process.env.AUDIT_TEST_DB_DIR!, clock });
const model = (await db.models.byName("buy-and-hold-btc")) ?? (await db.models.create({ name: "buy-and-hold-btc", provider: "rule", modelName: "buy-and-hold-btc" }));
process.stdout.write(JSON.stringify({ modelId: model.id }) + "\n");
const market = new SyntheticMarket({ clock, seed: 3, markets: DEFAULT_MARKETS.filter((m) => m.symbol === "BTC"), historyMinutes: 24 * 60 });
const crash = process.env.AUDIT_TEST_CRASH === "after-order-write" ? () => void process.kill(process.pid, "SIGKILL") : undefined;
const sim = new SimBroker({ db, market, clock, simulator: { refreshIntervalMs: 0 }, hooks: crash ? { afterOrderWrite: crash } : {} });
await sim.start([model]);
const runtime: TradingRuntime = {
  db,
  store: new LiveTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: 300_000 }),
  market,
  intelligence: new MarketIntelligence(market),
  brokers: new DefaultBrokerRegistry(
    "SIM",
    () => sim,
    () => {
      throw new Error("no live broker in this test");
    },
  ),
  agents: createModelRegistry([{ id: "buy-and-hold-btc", kind: "rule", rule: "buy-and-hold-btc" }], { clock }),
  events: new ArenaEventBus(),
  clock,
  options: DEFAULT_TRADING_OPTIONS,
  logger: { info() {}, warn() {}, error: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f)}\n`) },
  startReport: { actions: [], closes: [], errors: [] },
  close: () => sim.close(),
};
const result = await runTradeWorkflow(runtime, model);
process.stdout.write(JSON.stringify({ ok: result.ok, toolCalls: result.toolCalls.map((c) => c.status) }) + "\n");
await runtime.close();
await market.close();
await db.close();
