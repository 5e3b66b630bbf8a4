import { ManualClock } from "@autonome/core";
import { type Db, LeaseLostError } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeaseFence } from "./fence.js";
import { T0, openTestDb } from "./testing/support.js";

let db: Db;
beforeAll(async () => {
  db = await openTestDb(new ManualClock(T0));
});
afterAll(async () => {
  await db.close();
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("LeaseFence", () => {
  it("sends a call while the run's lease holds and refuses, sending nothing, once another worker has the model", async () => {
    const model = await db.models.create({ name: "fenced", provider: "rule", modelName: "x" });
    const [grant] = await db.leases.claim([model.id], "w1", 60_000);
    const fence = new LeaseFence(db.leases, grant!);
    expect(await fence.guard(async () => "sent")).toBe("sent");
    // w1 lets go (its lease lapsed, say) and w2 takes the model.
    await db.leases.release("w1");
    await db.leases.claim([model.id], "w2", 60_000);
    let sent = false;
    const refused = await fence
      .guard(async () => {
        sent = true;
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaseLostError);
    expect((refused as LeaseLostError).message).toMatch(/held by w2/);
    expect(sent).toBe(false);
  });

  it("refuses at once once revoked, and says when no call it let through is still in flight", async () => {
    const model = await db.models.create({ name: "stale", provider: "rule", modelName: "x" });
    const [grant] = await db.leases.claim([model.id], "w1", 60_000);
    const fence = new LeaseFence(db.leases, grant!);
    const inside = deferred();
    const release = deferred();
    const call = fence.guard(async () => {
      inside.resolve();
      await release.promise;
      return "done";
    });
    await inside.promise;
    fence.revoke("cleared as stale after 600000 ms");
    expect(fence.callsInFlight).toBe(1);
    let idle = false;
    const waited = fence.idle().then(() => (idle = true));
    await expect(fence.guard(async () => "again")).rejects.toThrow(/lost by w1 \(token \d+\): cleared as stale after 600000 ms/);
    await new Promise((r) => setTimeout(r, 20));
    expect(idle).toBe(false);
    release.resolve();
    expect(await call).toBe("done");
    await waited;
    expect(idle).toBe(true);
    expect(fence.callsInFlight).toBe(0);
  });
});
