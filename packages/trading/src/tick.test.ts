import type { ManualClock } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import type { SyntheticMarket } from "@autonome/market-data";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TradingRuntime } from "./runtime-types.js";
import { RULE_MODELS, type RuleRuntime, openRuleRuntime } from "./testing/rule-runtime.js";
import { runTick } from "./tick.js";
import type { WorkflowResult } from "./workflow-types.js";

const TICK = 5 * 60_000;

let arena: RuleRuntime;
let db: Db;
let clock: ManualClock;
let market: SyntheticMarket;
let runtime: TradingRuntime;
/** The three rule models, in configuration order. */
let models: ModelRecord[];
let paused: ModelRecord;
/** Times the market was advanced to. */
const advanced: number[] = [];
/** Makes the next market advance fail. */
let failNextAdvance: Error | undefined;

beforeAll(async () => {
  arena = await openRuleRuntime({ models: [...RULE_MODELS, { name: "paused", rule: RULE_MODELS[0]!.rule, enabled: false }] });
  ({ db, clock, market, runtime } = arena);
  models = arena.models.slice(0, -1);
  paused = arena.models.at(-1)!;
  const advanceTo = market.advanceTo.bind(market);
  market.advanceTo = (ts: number) => {
    const failure = failNextAdvance;
    failNextAdvance = undefined;
    if (failure) throw failure;
    advanced.push(ts);
    advanceTo(ts);
  };
}, 60_000);

afterAll(async () => {
  await arena.close();
});

beforeEach(() => {
  clock.advanceTo(clock.now() + TICK);
  advanced.length = 0;
});

/** The ids of the models with a snapshot at the clock's now. */
async function snapshottedNow(): Promise<string[]> {
  const out: string[] = [];
  for (const m of [...models, paused]) if ((await db.portfolio.latest(m.id))?.at === clock.now()) out.push(m.id);
  return out.sort();
}

describe("runTick", () => {
  it("advances the market, runs every enabled model's workflow, invalidates the intelligence and snapshots each model", async () => {
    const before = await db.invocations.count();
    const seen: string[] = [];
    const tick = await runTick(runtime, { onWorkflow: (m, r) => seen.push(`${m.name}:${r.ok}`) });
    expect(advanced).toEqual([clock.now()]);
    // The enabled models only, each with its own result in order.
    expect(tick.models.map((m) => m.id).sort()).toEqual(models.map((m) => m.id).sort());
    expect(tick.results.map((r) => r?.modelId)).toEqual(tick.models.map((m) => m.id));
    expect(tick.results.every((r) => r?.ok === true)).toBe(true);
    expect(seen.sort()).toEqual(models.map((m) => `${m.name}:true`).sort());
    expect(tick.reconcile.errors).toEqual([]);
    expect(await db.invocations.count()).toBe(before + 3);
    expect(await db.invocations.count({ modelId: paused.id })).toBe(0);
    expect(await snapshottedNow()).toEqual(models.map((m) => m.id).sort());
    // The tick's cached indicators are gone: asking again at the same time computes them anew.
    const computed = runtime.intelligence.computedCount;
    runtime.intelligence.snapshot("BTC");
    expect(runtime.intelligence.computedCount).toBe(computed + 1);
  });

  it("runs the workflows one after another in the given order when sequential, all at once otherwise", async () => {
    const log: string[] = [];
    const runModel = async (m: ModelRecord, workflow: () => Promise<WorkflowResult>) => {
      log.push(`start ${m.name}`);
      await workflow();
      log.push(`end ${m.name}`);
    };
    const order = [models[2]!, models[0]!, models[1]!];
    const sequential = await runTick(runtime, { models: order, concurrency: "sequential", runModel });
    expect(log).toEqual(order.flatMap((m) => [`start ${m.name}`, `end ${m.name}`]));
    expect(sequential.results.map((r) => r?.modelId)).toEqual(order.map((m) => m.id));

    log.length = 0;
    clock.advanceTo(clock.now() + TICK);
    await runTick(runtime, { models: order, runModel });
    expect(log.slice(0, 3)).toEqual(order.map((m) => `start ${m.name}`));
    expect(log.slice(3).sort()).toEqual(order.map((m) => `end ${m.name}`).sort());
  });

  it("ends the tick when a runner stops waiting for a workflow: no result for that model, which reports to onWorkflow when it ends", async () => {
    const [slow, ...rest] = models;
    let late: Promise<WorkflowResult> | undefined;
    const ended: string[] = [];
    const tick = await runTick(runtime, {
      models,
      onWorkflow: (m) => ended.push(m.id),
      runModel: async (m, workflow) => {
        if (m.id !== slow!.id) return workflow();
        late = workflow(); // a deadline fired: the scheduler moves on, the run goes on
        return undefined;
      },
    });
    expect(tick.results[0]).toBeUndefined();
    expect(tick.results.slice(1).map((r) => r?.modelId)).toEqual(rest.map((m) => m.id));
    expect(await snapshottedNow()).toEqual(models.map((m) => m.id).sort());
    const result = await late!;
    expect(result.modelId).toBe(slow!.id);
    expect(ended).toContain(slow!.id);
    expect(tick.results[0]).toBeUndefined();
  });

  it("runs no workflow when the market or reconciliation fails, still snapshots every model, then throws that error", async () => {
    const before = await db.invocations.count();
    const failure = new Error("feed down");
    failNextAdvance = failure;
    const error = await runTick(runtime, { models }).catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(await db.invocations.count()).toBe(before);
    expect(await snapshottedNow()).toEqual(models.map((m) => m.id).sort());
  });

  it("runs the other workflows when one throws, snapshots, then throws the first error", async () => {
    const before = await db.invocations.count();
    const broken = new Error("runner broke");
    const error = await runTick(runtime, {
      models,
      concurrency: "sequential",
      runModel: async (m, workflow) => {
        if (m.id === models[0]!.id) throw broken;
        return workflow();
      },
    }).catch((e: unknown) => e);
    expect(error).toBe(broken);
    expect(await db.invocations.count()).toBe(before + 2);
    expect(await snapshottedNow()).toEqual(models.map((m) => m.id).sort());
  });

  it("passes its signal to every workflow: an aborted tick runs no agent", async () => {
    const controller = new AbortController();
    controller.abort(new Error("shutting down"));
    const tick = await runTick(runtime, { models, signal: controller.signal });
    expect(tick.results.map((r) => [r?.ok, r?.errorCode])).toEqual(models.map(() => [false, "ABORTED"]));
  });
});
