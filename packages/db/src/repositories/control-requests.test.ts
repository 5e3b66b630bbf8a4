import { expect, it } from "vitest";
import { describeEachDatabase } from "../testing/databases.js";

describeEachDatabase("ControlRequestsRepository", (t) => {
  it("queues a request, lets exactly one worker take it, and records its result", async () => {
    const m = await t.db.models.create({ name: "m", provider: "rule", modelName: "trend-follower" });
    const request = await t.db.controlRequests.enqueue(m.id, "flatten");
    expect(await t.db.controlRequests.pending()).toEqual([request]);
    expect(await t.db.controlRequests.pending(["00000000-0000-4000-8000-000000000000"])).toEqual([]);
    const takes = await Promise.all([t.db.controlRequests.take(request.id, "w1"), t.db.controlRequests.take(request.id, "w2")]);
    expect(takes.filter(Boolean)).toHaveLength(1);
    expect(await t.db.controlRequests.pending()).toEqual([]);
    t.clock.advanceTo(t.clock.now() + 1000);
    const done = await t.db.controlRequests.complete(request.id, { result: { closed: 2 } });
    expect(done).toMatchObject({ doneAt: t.clock.now(), result: { closed: 2 }, error: null });
    expect(await t.db.controlRequests.byId(request.id)).toEqual(done);
  });

  it("records a failure as an error", async () => {
    const m = await t.db.models.create({ name: "m", provider: "rule", modelName: "trend-follower" });
    const request = await t.db.controlRequests.enqueue(m.id, "flatten");
    const done = await t.db.controlRequests.complete(request.id, { error: "no liquidity" });
    expect(done).toMatchObject({ error: "no liquidity", result: null });
  });
});
