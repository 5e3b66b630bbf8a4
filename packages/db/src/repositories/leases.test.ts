import { expect, it } from "vitest";
import { LeaseLostError } from "../errors.js";
import { describeEachDatabase } from "../testing/databases.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (grants: ReadonlyArray<{ modelId: string }>) => grants.map((g) => g.modelId).sort();

// Expiry is judged by the database's clock, so these tests wait in real time. Every
// window that must still be open when the next statement runs is at least 900 ms wide:
// CI runs every package's tests at once on two cores, and a statement can wait that long.
describeEachDatabase("LeasesRepository", (t) => {
  async function twoModels() {
    const a = await t.db.models.create({ name: "a", provider: "rule", modelName: "a" });
    const b = await t.db.models.create({ name: "b", provider: "rule", modelName: "b" });
    return [a.id, b.id] as const;
  }

  it("gives each model to one worker and refuses another worker until the lease expires", async () => {
    const [a, b] = await twoModels();
    expect(ids(await t.db.leases.claim([a, b], "w1", 1500))).toEqual([a, b].sort());
    expect(await t.db.leases.claim([a, b], "w2", 60_000)).toEqual([]);
    // Its own lease it claims again.
    expect(ids(await t.db.leases.claim([a], "w1", 1500))).toEqual([a]);
    await sleep(1700);
    expect(ids(await t.db.leases.claim([a, b], "w2", 60_000))).toEqual([a, b].sort());
    const leases = await t.db.leases.list();
    expect(leases.map((l) => [l.workerId, l.expired])).toEqual([
      ["w2", false],
      ["w2", false],
    ]);
  });

  it("judges expiry by the database's clock, not the worker's: a clock an hour fast takes nothing early", async () => {
    const [a] = await twoModels();
    const [grant] = await t.db.leases.claim([a], "w1", 60_000);
    // The repository's clock (every other timestamp's) runs an hour ahead; the lease is still w1's.
    t.clock.advanceBy(3_600_000);
    expect(await t.db.leases.claim([a], "w2", 60_000)).toEqual([]);
    expect(await t.db.leases.check(grant!)).toBe(true);
    // The expiry is one TTL after the database's now, whatever the worker's clock says.
    const [lease] = await t.db.leases.list();
    expect(lease!.expiresAt - lease!.acquiredAt).toBe(60_000);
    expect(Math.abs(lease!.acquiredAt - Date.now())).toBeLessThan(30_000);
  });

  it("takes a new fencing token at every claim and says whether the claim continued the claimer's own live lease", async () => {
    const [a, b] = await twoModels();
    const first = await t.db.leases.claim([a], "w1", 1500);
    expect(first).toEqual([expect.objectContaining({ modelId: a, workerId: "w1", continued: false })]);
    const again = await t.db.leases.claim([a, b], "w1", 1500);
    const byModel = new Map(again.map((g) => [g.modelId, g]));
    expect(byModel.get(a)!.token).toBeGreaterThan(first[0]!.token);
    expect(byModel.get(a)!.continued).toBe(true);
    expect(byModel.get(b)!.continued).toBe(false);
    // The earlier run of a is fenced off by the new claim, the new one holds.
    expect(await t.db.leases.check(first[0]!)).toBe(false);
    expect(await t.db.leases.check(byModel.get(a)!)).toBe(true);
    await sleep(1700);
    // Lapsed: claimed again by its own worker, but not a continuation (anyone may have had it).
    const lapsed = await t.db.leases.claim([a], "w1", 300);
    expect(lapsed[0]!.continued).toBe(false);
    // Taken over: not a continuation for the new holder either.
    await sleep(400);
    expect((await t.db.leases.claim([a], "w2", 60_000))[0]!.continued).toBe(false);
  });

  it("renews a live worker's unexpired leases with their tokens and never revives an expired one", async () => {
    const [a, b] = await twoModels();
    const [ga] = await t.db.leases.claim([a], "w1", 2000);
    await t.db.leases.claim([b], "w2", 2000);
    await sleep(1000);
    const renewed = await t.db.leases.renew("w1", 2000);
    expect(renewed.map((g) => [g.modelId, g.token])).toEqual([[a, ga!.token]]);
    await sleep(1100);
    // w1 renewed in time and keeps a; w2 did not, and its b is free.
    expect(ids(await t.db.leases.claim([a, b], "w3", 2000))).toEqual([b]);
    expect(await t.db.leases.check(ga!)).toBe(true);
    await sleep(1000);
    expect(await t.db.leases.renew("w1", 2000)).toEqual([]);
    expect(await t.db.leases.check(ga!)).toBe(false);
    expect(ids(await t.db.leases.claim([a], "w3", 2000))).toEqual([a]);
  });

  it("tells a run whose lease is gone who holds the model now, with a typed error", async () => {
    const [a] = await twoModels();
    const [mine] = await t.db.leases.claim([a], "w1", 1500);
    await expect(t.db.leases.assertHeld(mine!)).resolves.toBeUndefined();
    await sleep(1600);
    const expired = await t.db.leases.assertHeld(mine!).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(LeaseLostError);
    expect((expired as LeaseLostError).code).toBe("LEASE_LOST");
    expect((expired as LeaseLostError).message).toMatch(/lost by w1 \(token \d+\): expired at /);
    const [theirs] = await t.db.leases.claim([a], "w2", 60_000);
    const taken = (await t.db.leases.assertHeld(mine!).catch((e: unknown) => e)) as LeaseLostError;
    expect(taken.current).toMatchObject({ workerId: "w2", token: theirs!.token, expired: false });
    expect(taken.message).toMatch(new RegExp(`held by w2 \\(token ${theirs!.token}\\) until `));
    await t.db.leases.release("w2");
    expect(((await t.db.leases.assertHeld(theirs!).catch((e: unknown) => e)) as LeaseLostError).current).toBeNull();
  });

  it("frees released models at once and keeps other workers' leases", async () => {
    const [a, b] = await twoModels();
    await t.db.leases.claim([a], "w1", 60_000);
    await t.db.leases.claim([b], "w2", 60_000);
    expect(await t.db.leases.release("w1", [a, b])).toBe(1);
    expect(ids(await t.db.leases.claim([a, b], "w3", 60_000))).toEqual([a]);
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
    expect(ids(await t.db.leases.claim([a, "00000000-0000-4000-8000-000000000000"], "w1", 1000))).toEqual([a]);
  });
});
