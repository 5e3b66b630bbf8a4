/**
 * A small, deterministic arena for tests, the dashboard's browser test and demos:
 * three models with hourly equity over three days, closed trades, open positions,
 * invocations with tool calls (one failed) and a worker heartbeat. Written through the
 * repositories, like the worker writes.
 */
import { type ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";

/** What the seed created. */
export interface SeededArena {
  models: ModelRecord[];
  /** Epoch ms when the seed finished (the clock's now). */
  now: number;
  /** The ids of the OPEN orders. */
  openOrderIds: string[];
  /** Closed trade count per model id. */
  tradesPerModel: Map<string, number>;
}

const HOUR = 3_600_000;

/** Seeds the arena, moving the manual clock forward through three days from its current time. */
export async function seedArena(db: Db, clock: ManualClock, options: { hours?: number } = {}): Promise<SeededArena> {
  const hours = options.hours ?? 72;
  const start = clock.now();
  const models = [
    await db.models.create({ name: "momentum-rule", provider: "rule", modelName: "momentum" }),
    await db.models.create({ name: "mean-reversion-rule", provider: "rule", modelName: "mean-reversion" }),
    await db.models.create({ name: "gpt-test", provider: "openai", modelName: "gpt-test", variant: "aggressive" }),
  ];
  const drift = [6, -3, 1.5];
  const tradesPerModel = new Map<string, number>(models.map((m) => [m.id, 0]));
  for (let h = 0; h <= hours; h++) {
    const at = start + h * HOUR;
    for (const [i, m] of models.entries()) {
      // A wobbling curve with a per-model drift; exact decimals, no randomness.
      const wobble = ((h * (i + 3)) % 7) - 3;
      await db.portfolio.record({ modelId: m.id, at, total: toDecimal(10_000).plus(drift[i]! * h + wobble * 5), available: "5000", unrealizedPnl: String(wobble) });
    }
  }
  const plan = { ...emptyExitPlan(), stop: toDecimal("90000"), target: toDecimal("110000"), confidence: 0.6, invalidation: "4h close below 92k" };
  // Closed trades: model 0 wins more than it loses, model 1 the reverse, model 2 none.
  const outcomes: [number, string, "LONG" | "SHORT", string, string][] = [
    [0, "BTC", "LONG", "100000", "101000"],
    [0, "ETH", "SHORT", "3000", "2950"],
    [0, "BTC", "LONG", "101000", "100500"],
    [1, "BTC", "SHORT", "100000", "100800"],
    [1, "SOL", "LONG", "150", "140"],
    [1, "ETH", "LONG", "2950", "2960"],
  ];
  for (const [k, [i, symbol, side, entry, exit]] of outcomes.entries()) {
    const m = models[i]!;
    clock.advanceTo(start + (k + 1) * 6 * HOUR);
    const o = await db.orders.openPosition({ modelId: m.id, symbol, side, quantity: "0.1", leverage: "5", entryPrice: entry, entryFee: "1", exitPlan: plan });
    clock.advanceTo(start + (k + 1) * 6 * HOUR + 2 * HOUR);
    await db.orders.closePosition({ orderId: o.orderId, exitPrice: exit, closeTrigger: k === 4 ? "STOP" : null, exitFee: "1" });
    tradesPerModel.set(m.id, (tradesPerModel.get(m.id) ?? 0) + 1);
  }
  clock.advanceTo(start + hours * HOUR);
  const openOrderIds = [
    (await db.orders.openPosition({ modelId: models[0]!.id, symbol: "BTC", side: "LONG", quantity: "0.05", leverage: "10", entryPrice: "100000", entryFee: "0.5", exitPlan: plan })).orderId,
    (await db.orders.openPosition({ modelId: models[1]!.id, symbol: "ETH", side: "SHORT", quantity: "1", leverage: "3", entryPrice: "3000", exitPlan: plan })).orderId,
  ];
  for (const [i, m] of models.entries()) {
    const inv = await db.invocations.start({ modelId: m.id, prompt: `You manage account ${m.name}. BTC 100500, ETH 2990.` });
    await db.invocations.recordToolCall({
      invocationId: inv.id,
      type: i === 0 ? "CREATE_POSITION" : "HOLDING",
      arguments: i === 0 ? { symbol: "BTC", side: "LONG", quantity: "0.05" } : { reason: "no edge" },
      accepted: true,
    });
    clock.advanceBy(1500);
    await db.invocations.finish(inv.id, {
      response: i === 0 ? "Opening a small BTC long." : "Holding.",
      // The third model's provider returns no separate reasoning: its final text stands for it.
      ...(i === 2 ? {} : { responsePayload: { reasoning: `${m.name}: trend is ${i === 0 ? "up" : "flat"}` } }),
      inputTokens: 1200 + i,
      outputTokens: 80,
      cost: "0.0021",
      steps: [{ kind: "model", ms: 900 }, { kind: "tool", name: "create_position", ms: 40 }],
    });
  }
  const failed = await db.invocations.start({ modelId: models[2]!.id, prompt: "You manage account gpt-test." });
  clock.advanceBy(30_000);
  await db.invocations.finish(failed.id, { error: "agent timed out after 30000 ms", steps: [{ kind: "model", ms: 30_000, error: "timeout" }] });
  await db.heartbeats.record({
    workerId: "worker-1",
    host: "test-host",
    pid: 4242,
    status: "running",
    tick: 12,
    startedAt: start,
    lastTickAt: clock.now(),
    lastSuccessAt: clock.now(),
    runningModelIds: [],
    consecutiveFailedCycles: 0,
    degraded: false,
    degradedReason: null,
  });
  return { models, now: clock.now(), openOrderIds, tradesPerModel };
}
