import { DEFAULT_MODEL_CONFIGS } from "@autonome/agent";
import type { ManualClock } from "@autonome/core";
import { type Db, type ModelRecord, createDb } from "@autonome/db";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TradingRuntime } from "./runtime-types.js";
import { LiveTradingStore } from "./store.js";
import { type RuleRuntime, openRuleRuntime } from "./testing/rule-runtime.js";
import { runTick } from "./tick.js";

const TICK = 5 * 60_000;

/** What the database was sent: statements parsed and transactions begun (PGlite's wire messages, counted on the instance). */
const sent = { statements: 0, transactions: 0 };
let pglite: PGlite;
let arena: RuleRuntime;
let db: Db;
let clock: ManualClock;
let runtime: TradingRuntime;
let models: ModelRecord[];

beforeAll(async () => {
  pglite = new PGlite("memory://");
  const raw = pglite.execProtocolRaw.bind(pglite);
  pglite.execProtocolRaw = (message: Uint8Array, ...rest: unknown[]) => {
    const kind = String.fromCharCode(message[0]!);
    if (kind === "P") sent.statements++;
    if (kind === "Q" && /^BEGIN/i.test(Buffer.from(message.subarray(5)).toString("utf8"))) sent.transactions++;
    return (raw as (m: Uint8Array, ...r: unknown[]) => ReturnType<PGlite["execProtocolRaw"]>)(message, ...rest);
  };
  // Twelve buy-and-hold models: they open their position on the first tick and hold from then on.
  const rule = DEFAULT_MODEL_CONFIGS.find((c) => c.kind === "rule" && c.rule === "buy-and-hold-btc")!;
  arena = await openRuleRuntime({
    models: Array.from({ length: 12 }, (_, i) => ({ name: `hold-${i}`, rule: rule.id })),
    openDb: (clock) => createDb({ kind: "pglite-instance", pglite, clock }),
    store: (db, clock) => new LiveTradingStore({ db, now: () => clock.now(), snapshotIntervalMs: TICK }),
  });
  ({ db, clock, runtime, models } = arena);
}, 60_000);

afterAll(async () => {
  await arena.close();
  await pglite.close();
});

/** One tick of the first `count` models: what it sent the database. */
async function measuredTick(count: number): Promise<{ statements: number; transactions: number }> {
  clock.advanceTo(clock.now() + TICK);
  sent.statements = 0;
  sent.transactions = 0;
  const tick = await runTick(runtime, { models: models.slice(0, count) });
  expect(tick.results.every((r) => r?.ok === true)).toBe(true);
  return { ...sent };
}

describe("a tick on the worker's store", () => {
  it("writes its records in one transaction of batched statements: as many statements for 12 models as for 3", async () => {
    // Warm-up: each model's history is loaded and its first positions opened.
    await runTick(runtime, { models });
    await runTick(runtime, { models });
    const invocationsBefore = await db.invocations.count();
    const few = await measuredTick(3);
    const many = await measuredTick(12);
    expect(many).toEqual(few);
    // The starts in one statement (written before the runs go on), the rest in one transaction.
    expect(many.transactions).toBe(1);
    expect(many.statements).toBeLessThanOrEqual(12);
    // Every record is there: 15 invocations finished, each with its tool calls, and a snapshot per model.
    const written = await db.invocations.history({ from: clock.now() - TICK });
    expect(written).toHaveLength(15);
    expect(written.every((i) => i.finishedAt !== null && i.toolCalls.length > 0)).toBe(true);
    expect(await db.invocations.count()).toBe(invocationsBefore + 15);
    for (const m of models) expect((await db.portfolio.latest(m.id))?.at).toBe(clock.now());
  });
});
