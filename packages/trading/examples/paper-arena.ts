import { createModelRegistry } from "@autonome/agent";
import { ArenaEventBus, ManualClock } from "@autonome/core";
import { createDb } from "@autonome/db";
import { SyntheticMarket } from "@autonome/market-data";
import { createTradingRuntime, runTick } from "@autonome/trading";

const clock = new ManualClock(Date.parse("2026-01-05T00:00:00Z"));
const db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
const market = new SyntheticMarket({ clock, seed: 42, historyMinutes: 24 * 60 });
const agents = createModelRegistry(undefined, { clock }); // the three built-in rule models
for (const agent of agents.list()) await db.models.upsert({ name: agent.id, provider: "rule", modelName: agent.id });

const events = new ArenaEventBus();
events.on("positionOpened", ({ payload: p }) => console.log(`opened ${p.side} ${p.quantity} ${p.symbol} at ${p.entryPrice}`));
events.on("positionClosed", ({ payload: p }) => console.log(`closed ${p.symbol} at ${p.exitPrice} (${p.closeTrigger ?? "model"}), net ${p.realizedPnl}`));

// Simulation by default: every model trades on the ExchangeSimulator fed by the market.
const runtime = await createTradingRuntime({ db, market, agents, events, clock });
for (let tick = 0; tick < 3; tick++) {
  // Market to now; fresh books, stops, targets and liquidations written; every enabled
  // model's workflow at once; one portfolio snapshot per model.
  await runTick(runtime);
  clock.advanceTo(clock.now() + 5 * 60_000);
}
console.log(`${(await db.orders.allOpenOrders()).length} open positions in Orders`);

await runtime.close();
await market.close();
await db.close();
