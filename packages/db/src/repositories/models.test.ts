import { NotFoundError, StateConflictError, ValidationError } from "@autonome/core";
import { expect, it } from "vitest";
import { prismaOf } from "../internal/db-internals.js";
import { describeEachDatabase } from "../testing/databases.js";

describeEachDatabase("ModelsRepository", (t) => {
  it("creates a model with defaults and the clock's time", async () => {
    const m = await t.db.models.create({ name: "gpt", provider: "openai", modelName: "gpt-5" });
    expect(m).toMatchObject({
      name: "gpt",
      provider: "openai",
      modelName: "gpt-5",
      variant: "default",
      enabled: true,
      mode: null,
      accountIndex: null,
      invocationCount: 0,
      failedWorkflowCount: 0,
      failedToolCallCount: 0,
      createdAt: t.clock.now(),
    });
    expect(await t.db.models.byId(m.id)).toEqual(m);
    expect(await t.db.models.byName("gpt")).toEqual(m);
  });

  it("refuses a second model with the same name and variant, but allows another variant", async () => {
    await t.db.models.create({ name: "gpt", provider: "openai", modelName: "gpt-5" });
    await expect(t.db.models.create({ name: "gpt", provider: "x", modelName: "y" })).rejects.toBeInstanceOf(StateConflictError);
    const aggressive = await t.db.models.create({ name: "gpt", provider: "openai", modelName: "gpt-5", variant: "aggressive" });
    expect(aggressive.variant).toBe("aggressive");
    expect(await prismaOf(t.db).model.count()).toBe(2);
  });

  it("upserts by name and variant, updating the definition and keeping enabled unless given", async () => {
    const created = await t.db.models.upsert({ name: "claude", provider: "anthropic", modelName: "opus", mode: "LIVE", accountIndex: 2 ** 47 + 5 });
    await t.db.models.setEnabled(created.id, false);
    const updated = await t.db.models.upsert({ name: "claude", provider: "anthropic", modelName: "sonnet" });
    expect(updated.id).toBe(created.id);
    expect(updated.modelName).toBe("sonnet");
    expect(updated.enabled).toBe(false);
    expect(updated.mode).toBeNull();
    const reenabled = await t.db.models.upsert({ name: "claude", provider: "anthropic", modelName: "sonnet", enabled: true, accountIndex: 2 ** 47 + 5 });
    expect(reenabled.enabled).toBe(true);
    expect(reenabled.accountIndex).toBe(2 ** 47 + 5);
    expect(await prismaOf(t.db).model.count()).toBe(1);
  });

  it("lists enabled models only when asked, ordered by name then variant", async () => {
    await t.db.models.create({ name: "b", provider: "p", modelName: "m" });
    const paused = await t.db.models.create({ name: "a", provider: "p", modelName: "m", variant: "z" });
    await t.db.models.create({ name: "a", provider: "p", modelName: "m", variant: "y" });
    await t.db.models.setEnabled(paused.id, false);
    expect((await t.db.models.list()).map((m) => `${m.name}/${m.variant}`)).toEqual(["a/y", "a/z", "b/default"]);
    expect((await t.db.models.listEnabled()).map((m) => `${m.name}/${m.variant}`)).toEqual(["a/y", "b/default"]);
  });

  it("keeps the reason of a pause and clears it on resume", async () => {
    const m = await t.db.models.create({ name: "r", provider: "p", modelName: "m" });
    expect(m.pausedReason).toBeNull();
    const paused = await t.db.models.setEnabled(m.id, false, "3 configuration errors in a row: 401 Incorrect API key provided");
    expect([paused.enabled, paused.pausedReason]).toEqual([false, "3 configuration errors in a row: 401 Incorrect API key provided"]);
    const resumed = await t.db.models.setEnabled(m.id, true);
    expect([resumed.enabled, resumed.pausedReason]).toEqual([true, null]);
    expect((await t.db.models.setEnabled(m.id, false)).pausedReason).toBeNull();
  });

  it("increments counters atomically under concurrency", async () => {
    const m = await t.db.models.create({ name: "c", provider: "p", modelName: "m" });
    await Promise.all(Array.from({ length: 20 }, () => t.db.models.incrementCounters(m.id, { invocations: 1, failedToolCalls: 2 })));
    await t.db.models.recordFailedWorkflow(m.id);
    const after = await t.db.models.require(m.id);
    expect(after.invocationCount).toBe(20);
    expect(after.failedToolCallCount).toBe(40);
    expect(after.failedWorkflowCount).toBe(1);
  });

  it("rejects bad input and unknown ids with typed errors", async () => {
    await expect(t.db.models.create({ name: "", provider: "p", modelName: "m" })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.models.create({ name: "x", provider: "p", modelName: "m", mode: "PAPER" as never })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.models.create({ name: "x", provider: "p", modelName: "m", accountIndex: -1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.models.incrementCounters(globalThis.crypto.randomUUID(), { invocations: 1 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.models.setEnabled("nope", true)).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.models.require(globalThis.crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    expect(await t.db.models.byId("nope")).toBeNull();
    expect(await prismaOf(t.db).model.count()).toBe(0);
  });
});
