import { expect, it } from "vitest";
import { describeEachDatabase } from "../testing/databases.js";

describeEachDatabase("LeasesRepository", (t) => {
  async function twoModels() {
    const a = await t.db.models.create({ name: "a", provider: "rule", modelName: "a" });
    const b = await t.db.models.create({ name: "b", provider: "rule", modelName: "b" });
    return [a.id, b.id] as const;
  }

  it("gives each model to one worker and refuses another worker until the lease expires", async () => {
    const [a, b] = await twoModels();
    expect((await t.db.leases.claim([a, b], "w1", 60_000)).sort()).toEqual([a, b].sort());
    expect(await t.db.leases.claim([a, b], "w2", 60_000)).toEqual([]);
    // Its own lease is renewed.
    expect((await t.db.leases.claim([a], "w1", 60_000))).toEqual([a]);
    t.clock.advanceTo(t.clock.now() + 60_000);
    expect((await t.db.leases.claim([a, b], "w2", 60_000)).sort()).toEqual([a, b].sort());
    const leases = await t.db.leases.list();
    expect(leases.map((l) => l.workerId)).toEqual(["w2", "w2"]);
  });

  it("renews a live worker's unexpired leases and never revives an expired one", async () => {
    const [a, b] = await twoModels();
    await t.db.leases.claim([a], "w1", 10_000);
    await t.db.leases.claim([b], "w2", 10_000);
    t.clock.advanceTo(t.clock.now() + 8_000);
    expect(await t.db.leases.renew("w1", 10_000)).toBe(1);
    t.clock.advanceTo(t.clock.now() + 5_000);
    // w1 renewed in time and keeps a; w2 did not, and its b is free.
    expect(await t.db.leases.claim([a, b], "w3", 10_000)).toEqual([b]);
    t.clock.advanceTo(t.clock.now() + 20_000);
    expect(await t.db.leases.renew("w1", 10_000)).toBe(0);
    expect(await t.db.leases.claim([a], "w3", 10_000)).toEqual([a]);
  });

  it("frees released models at once and keeps other workers' leases", async () => {
    const [a, b] = await twoModels();
    await t.db.leases.claim([a], "w1", 60_000);
    await t.db.leases.claim([b], "w2", 60_000);
    expect(await t.db.leases.release("w1", [a, b])).toBe(1);
    expect(await t.db.leases.claim([a, b], "w3", 60_000)).toEqual([a]);
    expect(await t.db.leases.release("w2")).toBe(1);
    expect((await t.db.leases.list()).map((l) => l.modelId)).toEqual([a]);
  });

  it("hands a contested model to exactly one of many concurrent claimers", async () => {
    const [a] = await twoModels();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.db.leases.claim([a], `w${i}`, 60_000)));
    expect(results.filter((r) => r.length === 1)).toHaveLength(1);
  });

  it("ignores ids of models that do not exist", async () => {
    const [a] = await twoModels();
    expect(await t.db.leases.claim([a, "00000000-0000-4000-8000-000000000000"], "w1", 1000)).toEqual([a]);
  });
});
