/**
 * One tick (runTick) of N rule models on the synthetic market, simulated broker, in-memory
 * PGlite: reconcile, every model's workflow in parallel, snapshots. Rule models decide in well
 * under a millisecond, so this is our own overhead per tick. Prints one line per N and a
 * summary line a script can read.
 */
import { createModelRegistry } from "@autonome/agent";
import { DEFAULT_MARKETS, ManualClock } from "@autonome/core";
import { createDb } from "@autonome/db";
import { SyntheticMarket } from "@autonome/market-data";
import { createTradingRuntime, runTick } from "../src/index.js";

const RULES = ["buy-and-hold-btc", "trend-follower", "mean-reverter"] as const;

async function measure(count: number): Promise<number> {
  const clock = new ManualClock(Date.parse("2026-01-05T00:00:00Z"));
  const db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
  const market = new SyntheticMarket({ clock, seed: 1, markets: DEFAULT_MARKETS, historyMinutes: 24 * 60 });
  const configs = Array.from({ length: count }, (_, i) => ({ id: `rule-${i}`, kind: "rule" as const, rule: RULES[i % RULES.length]! }));
  const agents = createModelRegistry(configs, { clock });
  for (const c of configs) await db.models.upsert({ name: c.id, provider: "rule", modelName: c.rule });
  const runtime = await createTradingRuntime({ db, market, agents, clock });
  const models = await db.models.listEnabled();
  const tick = async () => {
    await runTick(runtime, { models });
    clock.advanceTo(clock.now() + 300_000);
  };
  await tick(); // warm-up: first entries, JIT
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    await tick();
    times.push(performance.now() - start);
  }
  await runtime.close();
  await market.close();
  await db.close();
  return times.sort((a, b) => a - b)[1]!;
}

const results: string[] = [];
for (const n of [5, 20]) {
  const ms = await measure(n);
  console.log(`${n} rule models, 6 symbols: median tick ${ms.toFixed(0)} ms (${(ms / n).toFixed(1)} ms a model)`);
  results.push(`${n} models ${ms.toFixed(0)} ms`);
}
console.log(`trading tick overhead: ${results.join(", ")}`);
