import { NotFoundError, StateConflictError, ValidationError } from "@autonome/core";
import { expect, it } from "vitest";
import { prismaOf } from "../internal/db-internals.js";
import { describeEachDatabase } from "../testing/databases.js";

describeEachDatabase("InvocationsRepository", (t) => {
  async function model(name = "m") {
    return t.db.models.create({ name, provider: "p", modelName: "x" });
  }

  it("records an invocation from start to finish with tokens, exact cost, latency and steps, and counts it on the model", async () => {
    const m = await model();
    const started = await t.db.invocations.start({ modelId: m.id, prompt: "You are a trader." });
    expect(started.finishedAt).toBeNull();
    expect(started.startedAt).toBe(t.clock.now());
    t.clock.advanceBy(1234);
    const finished = await t.db.invocations.finish(started.id, {
      response: "holding",
      responsePayload: { messages: [{ role: "assistant", content: "holding" }] },
      inputTokens: 1500,
      outputTokens: 200,
      cost: "0.00123456789",
      steps: [{ kind: "model", ms: 1000 }],
    });
    expect(finished.latencyMs).toBe(1234);
    expect(finished.cost?.toString()).toBe("0.00123457");
    expect(finished.inputTokens).toBe(1500);
    expect(finished.responsePayload).toEqual({ messages: [{ role: "assistant", content: "holding" }] });
    expect(finished.steps).toEqual([{ kind: "model", ms: 1000 }]);
    expect(finished.error).toBeNull();
    expect((await t.db.models.require(m.id)).invocationCount).toBe(1);
    await expect(t.db.invocations.finish(started.id, {})).rejects.toBeInstanceOf(StateConflictError);
  });

  it("records a failed invocation's error", async () => {
    const m = await model();
    const started = await t.db.invocations.start({ modelId: m.id, prompt: "p" });
    const finished = await t.db.invocations.finish(started.id, { error: "timed out after 60000 ms", latencyMs: 60_000 });
    expect(finished.error).toBe("timed out after 60000 ms");
    expect(finished.response).toBeNull();
  });

  it("records accepted and rejected tool calls; a rejected one counts as a failed tool call", async () => {
    const m = await model();
    const inv = await t.db.invocations.start({ modelId: m.id, prompt: "p" });
    await t.db.invocations.recordToolCall({
      invocationId: inv.id,
      type: "CREATE_POSITION",
      arguments: { symbol: "BTC", side: "LONG", quantity: "0.1" },
      result: { orderId: "o-1" },
      accepted: true,
    });
    t.clock.advanceBy(10);
    await t.db.invocations.recordToolCall({
      invocationId: inv.id,
      type: "CLOSE_POSITION",
      arguments: { symbol: "ETH" },
      accepted: false,
      rejectionReason: "no open position on ETH",
    });
    const stored = await t.db.invocations.byId(inv.id);
    expect(stored?.toolCalls.map((c) => [c.type, c.accepted, c.rejectionReason])).toEqual([
      ["CREATE_POSITION", true, null],
      ["CLOSE_POSITION", false, "no open position on ETH"],
    ]);
    expect(stored?.toolCalls[0]?.arguments).toEqual({ symbol: "BTC", side: "LONG", quantity: "0.1" });
    expect((await t.db.models.require(m.id)).failedToolCallCount).toBe(1);
  });

  it("records a call to a tool that does not exist, under its name, as a failed tool call; in batches too", async () => {
    const m = await model();
    const inv = await t.db.invocations.start({ modelId: m.id, prompt: "p" });
    await t.db.invocations.recordToolCall({ invocationId: inv.id, type: null, tool: "buy_btc", arguments: { size: 1 }, accepted: false, rejectionReason: "invalid: unknown tool buy_btc" });
    await t.db.invocations.recordToolCall({ invocationId: inv.id, type: "HOLDING", arguments: { reason: "x" }, accepted: true });
    const stored = await t.db.invocations.byId(inv.id);
    expect(stored?.toolCalls.map((c) => [c.type, c.tool, c.accepted, c.rejectionReason])).toEqual([
      [null, "buy_btc", false, "invalid: unknown tool buy_btc"],
      ["HOLDING", "hold", true, null],
    ]);
    expect((await t.db.models.require(m.id)).failedToolCallCount).toBe(1);
    const [id] = await t.db.invocations.recordCompleted([
      { modelId: m.id, prompt: "p", toolCalls: [{ type: null, tool: "sell_all", arguments: {}, accepted: false, rejectionReason: "invalid: unknown tool sell_all" }] },
    ]);
    expect((await t.db.invocations.byId(id!))?.toolCalls.map((c) => [c.type, c.tool])).toEqual([[null, "sell_all"]]);
    expect((await t.db.models.require(m.id)).failedToolCallCount).toBe(2);
    // An unknown tool needs its name and cannot be accepted.
    await expect(t.db.invocations.recordToolCall({ invocationId: inv.id, type: null, arguments: {}, accepted: false, rejectionReason: "x" })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.invocations.recordToolCall({ invocationId: inv.id, type: null, tool: "x", arguments: {}, accepted: true })).rejects.toBeInstanceOf(ValidationError);
  });

  it("rejects bad tool calls and unknown ids with typed errors and writes nothing", async () => {
    const m = await model();
    const inv = await t.db.invocations.start({ modelId: m.id, prompt: "p" });
    const base = { invocationId: inv.id, type: "HOLDING" as const, arguments: {} };
    await expect(t.db.invocations.recordToolCall({ ...base, accepted: false })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.invocations.recordToolCall({ ...base, accepted: true, rejectionReason: "x" })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.invocations.recordToolCall({ ...base, type: "YOLO" as never, accepted: true })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.invocations.recordToolCall({ ...base, invocationId: globalThis.crypto.randomUUID(), accepted: true })).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.invocations.start({ modelId: globalThis.crypto.randomUUID(), prompt: "p" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.invocations.finish(inv.id, { inputTokens: -1 })).rejects.toBeInstanceOf(ValidationError);
    expect(await prismaOf(t.db).toolCall.count()).toBe(0);
    expect(await prismaOf(t.db).invocation.count()).toBe(1);
    expect((await t.db.models.require(m.id)).failedToolCallCount).toBe(0);
  });

  it("lists invocations newest first, per model, page by page", async () => {
    const a = await model("a");
    const b = await model("b");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await t.db.invocations.start({ modelId: a.id, prompt: `tick ${i}` })).id);
      await t.db.invocations.start({ modelId: b.id, prompt: `tick ${i}` });
      t.clock.advanceBy(300_000);
    }
    const first = await t.db.invocations.list({ modelId: a.id, limit: 2 });
    expect(first.items.map((i) => i.prompt)).toEqual(["tick 4", "tick 3"]);
    const second = await t.db.invocations.list({ modelId: a.id, limit: 2, cursor: first.nextCursor });
    const third = await t.db.invocations.list({ modelId: a.id, limit: 2, cursor: second.nextCursor });
    expect([...first.items, ...second.items, ...third.items].map((i) => i.id)).toEqual([...ids].reverse());
    expect(third.nextCursor).toBeNull();
    expect((await t.db.invocations.list({ limit: 200 })).items).toHaveLength(10);
  });

  it("lists only failed invocations with their step telemetry when asked", async () => {
    const m = await model("f");
    const ok = await t.db.invocations.start({ modelId: m.id, prompt: "fine" });
    await t.db.invocations.finish(ok.id, { response: "hold" });
    const bad = await t.db.invocations.start({ modelId: m.id, prompt: "broken" });
    t.clock.advanceBy(10);
    await t.db.invocations.finish(bad.id, { error: "timeout after 3 steps", steps: [{ kind: "model", ms: 5 }] });
    const running = await t.db.invocations.start({ modelId: m.id, prompt: "running" });
    const failed = await t.db.invocations.list({ modelId: m.id, failedOnly: true });
    expect(failed.items.map((i) => [i.id, i.error, i.steps])).toEqual([[bad.id, "timeout after 3 steps", [{ kind: "model", ms: 5 }]]]);
    expect((await t.db.invocations.list({ modelId: m.id })).items.map((i) => i.id)).toContain(running.id);
  });

  it("records completed invocations in one batch exactly as start, recordToolCall and finish would", async () => {
    const a = await model("a");
    const b = await model("b");
    // The same facts, one way...
    const t0 = t.clock.now();
    const inv = await t.db.invocations.start({ modelId: a.id, prompt: "p1", startedAt: t0 });
    await t.db.invocations.recordToolCall({ invocationId: inv.id, type: "CREATE_POSITION", arguments: { symbol: "BTC" }, result: { ok: true }, accepted: true, createdAt: t0 + 5 });
    await t.db.invocations.recordToolCall({ invocationId: inv.id, type: "CLOSE_POSITION", arguments: { symbol: "ETH" }, accepted: false, rejectionReason: "no ETH position", createdAt: t0 + 6 });
    const one = await t.db.invocations.finish(inv.id, { response: "done", inputTokens: 10, outputTokens: 2, cost: "0.000000123", finishedAt: t0 + 9 });
    // ...and in one batch (with an id chosen before the write).
    const id = globalThis.crypto.randomUUID();
    const ids = await t.db.invocations.recordCompleted([
      {
        id,
        modelId: b.id,
        prompt: "p1",
        startedAt: t0,
        finishedAt: t0 + 9,
        response: "done",
        inputTokens: 10,
        outputTokens: 2,
        cost: "0.000000123",
        toolCalls: [
          { type: "CREATE_POSITION", arguments: { symbol: "BTC" }, result: { ok: true }, accepted: true, createdAt: t0 + 5 },
          { type: "CLOSE_POSITION", arguments: { symbol: "ETH" }, accepted: false, rejectionReason: "no ETH position", createdAt: t0 + 6 },
        ],
      },
      { modelId: b.id, prompt: "p2", startedAt: t0 + 10, finishedAt: t0 + 20, error: "TIMEOUT: slow" },
    ]);
    expect(ids[0]).toBe(id);
    const two = await t.db.invocations.byId(id);
    const strip = (r: typeof one) => ({ ...r, id: "", modelId: "", toolCalls: r.toolCalls.map((c) => ({ ...c, id: "", invocationId: "" })) });
    expect(strip(two!)).toEqual(strip(one));
    expect((await t.db.invocations.byId(ids[1]!))?.latencyMs).toBe(10);
    const [ma, mb] = [await t.db.models.require(a.id), await t.db.models.require(b.id)];
    expect([ma.invocationCount, ma.failedToolCallCount]).toEqual([1, 1]);
    expect([mb.invocationCount, mb.failedToolCallCount]).toEqual([2, 1]);
  });

  it("refuses a bad batch whole: invalid input, unknown model or a repeated id change nothing", async () => {
    const m = await model();
    await expect(t.db.invocations.recordCompleted([{ modelId: m.id, prompt: "p", toolCalls: [{ type: "HOLDING", arguments: {}, accepted: false }] }])).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.invocations.recordCompleted([{ modelId: m.id, prompt: "p", startedAt: t.clock.now() + 1, finishedAt: t.clock.now() }])).rejects.toBeInstanceOf(ValidationError);
    await expect(
      t.db.invocations.recordCompleted([{ modelId: m.id, prompt: "p" }, { modelId: globalThis.crypto.randomUUID(), prompt: "p" }]),
    ).rejects.toBeInstanceOf(NotFoundError);
    const [id] = await t.db.invocations.recordCompleted([{ modelId: m.id, prompt: "p" }]);
    await expect(t.db.invocations.recordCompleted([{ modelId: m.id, prompt: "again" }, { id: id!, modelId: m.id, prompt: "p" }])).rejects.toBeInstanceOf(StateConflictError);
    expect((await t.db.invocations.list({ modelId: m.id })).items.map((i) => i.prompt)).toEqual(["p"]);
    expect((await t.db.models.require(m.id)).invocationCount).toBe(1);
    expect(await t.db.invocations.recordCompleted([])).toEqual([]);
  });

  it("reads a run back in time order (from inclusive, to exclusive), per model, with tool calls; the newest kept past the limit", async () => {
    const a = await model("a");
    const b = await model("b");
    const t0 = t.clock.now();
    // Three ticks; both models start at the same instant in each, as a backtest's ManualClock does.
    for (let i = 0; i < 3; i++) {
      await t.db.invocations.recordCompleted([
        { modelId: a.id, prompt: `a${i}`, startedAt: t0 + i * 300_000, finishedAt: t0 + i * 300_000, toolCalls: [{ type: "HOLDING", arguments: { i }, accepted: true }] },
        { modelId: b.id, prompt: `b${i}`, startedAt: t0 + i * 300_000, finishedAt: t0 + i * 300_000 },
      ]);
    }
    const all = await t.db.invocations.history();
    expect(all.map((r) => r.startedAt)).toEqual([t0, t0, t0 + 300_000, t0 + 300_000, t0 + 600_000, t0 + 600_000]);
    // Within an instant the order is by id: stable, whatever the insertion order.
    for (let k = 0; k < all.length; k += 2) expect(all[k]!.id < all[k + 1]!.id).toBe(true);
    expect((await t.db.invocations.history({ modelId: a.id })).map((r) => [r.prompt, r.toolCalls.map((c) => c.arguments)])).toEqual([
      ["a0", [{ i: 0 }]],
      ["a1", [{ i: 1 }]],
      ["a2", [{ i: 2 }]],
    ]);
    expect((await t.db.invocations.history({ from: t0 + 300_000, to: t0 + 600_000 })).map((r) => r.prompt).sort()).toEqual(["a1", "b1"]);
    expect((await t.db.invocations.history({ modelId: b.id, limit: 2 })).map((r) => r.prompt)).toEqual(["b1", "b2"]);
    await expect(t.db.invocations.history({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.invocations.history({ modelId: "nope" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("counts invocations per model, range and failure", async () => {
    const a = await model("a");
    const b = await model("b");
    const t0 = t.clock.now();
    await t.db.invocations.recordCompleted([
      { modelId: a.id, prompt: "ok", startedAt: t0, finishedAt: t0 + 1 },
      { modelId: a.id, prompt: "bad", startedAt: t0 + 10, finishedAt: t0 + 11, error: "TIMEOUT" },
      { modelId: b.id, prompt: "ok", startedAt: t0 + 20, finishedAt: t0 + 21 },
    ]);
    await t.db.invocations.start({ modelId: b.id, prompt: "running", startedAt: t0 + 30 });
    expect(await t.db.invocations.count()).toBe(4);
    expect(await t.db.invocations.count({ modelId: a.id })).toBe(2);
    expect(await t.db.invocations.count({ failedOnly: true })).toBe(1);
    expect(await t.db.invocations.count({ from: t0 + 10, to: t0 + 30 })).toBe(2);
    expect(await t.db.invocations.count({ modelId: b.id, failedOnly: true })).toBe(0);
  });

  it("sums the exact cost per model over a range; a model whose invocations have no cost sums to 0, one without invocations is absent", async () => {
    const a = await model("a");
    const rule = await model("rule");
    const idle = await model("idle");
    const t0 = t.clock.now();
    await t.db.invocations.recordCompleted([
      { modelId: a.id, prompt: "1", startedAt: t0, finishedAt: t0, cost: "0.00000001" },
      { modelId: a.id, prompt: "2", startedAt: t0 + 1, finishedAt: t0 + 1, cost: "0.1" },
      { modelId: a.id, prompt: "3", startedAt: t0 + 2, finishedAt: t0 + 2, cost: "0.2" },
      { modelId: a.id, prompt: "4", startedAt: t0 + 3, finishedAt: t0 + 3 },
      { modelId: rule.id, prompt: "r", startedAt: t0, finishedAt: t0 },
    ]);
    const costs = await t.db.invocations.costByModel();
    // 0.1 + 0.2 is exactly 0.3 here, and the 1e-8 is kept: sums of numeric(18,8), not of floats.
    expect(costs.get(a.id)?.toString()).toBe("0.30000001");
    expect(costs.get(rule.id)?.toString()).toBe("0");
    expect(costs.has(idle.id)).toBe(false);
    expect([...costs.keys()].sort()).toEqual([a.id, rule.id].sort());
    const window = await t.db.invocations.costByModel({ from: t0 + 1, to: t0 + 3 });
    expect(window.get(a.id)?.toString()).toBe("0.3");
    expect(window.has(rule.id)).toBe(false);
  });

  it("reads tool calls made in the same millisecond back in the order they were made", async () => {
    const m = await model();
    const symbols = Array.from({ length: 12 }, (_, i) => `S${i}`);
    const inv = await t.db.invocations.start({ modelId: m.id, prompt: "p" });
    for (const symbol of symbols) await t.db.invocations.recordToolCall({ invocationId: inv.id, type: "HOLDING", arguments: { symbol }, accepted: true });
    const [batched] = await t.db.invocations.recordCompleted([
      { modelId: m.id, prompt: "q", toolCalls: symbols.map((symbol) => ({ type: "HOLDING" as const, arguments: { symbol }, accepted: true })) },
    ]);
    const order = (r: { toolCalls: Array<{ arguments: unknown }> } | null | undefined) => r?.toolCalls.map((c) => (c.arguments as { symbol: string }).symbol);
    expect(order(await t.db.invocations.byId(inv.id))).toEqual(symbols);
    expect(order(await t.db.invocations.byId(batched!))).toEqual(symbols);
    expect((await t.db.invocations.history()).map(order)).toEqual([symbols, symbols]);
  });

  it("closes unfinished invocations older than a cutoff as ABANDONED, counts each as a failed workflow once, and leaves the rest", async () => {
    const a = await model("a");
    const b = await model("b");
    const old1 = await t.db.invocations.start({ modelId: a.id, prompt: "p" });
    const old2 = await t.db.invocations.start({ modelId: b.id, prompt: "p" });
    const done = await t.db.invocations.start({ modelId: a.id, prompt: "p" });
    await t.db.invocations.finish(done.id, { response: "ok" });
    t.clock.advanceBy(60_000);
    const fresh = await t.db.invocations.start({ modelId: a.id, prompt: "p" });
    t.clock.advanceBy(5_000);
    // Only model a's, and only those started before the cutoff.
    const onlyA = await t.db.invocations.abandonUnfinished({ startedBefore: t.clock.now() - 30_000, modelIds: [a.id], reason: "its run was cleared as stale" });
    expect(onlyA.map((i) => i.id)).toEqual([old1.id]);
    const closed = (await t.db.invocations.byId(old1.id))!;
    expect(closed.error).toBe("ABANDONED: its run was cleared as stale");
    expect(closed.finishedAt).toBe(t.clock.now());
    expect(closed.latencyMs).toBe(65_000);
    expect((await t.db.models.require(a.id)).failedWorkflowCount).toBe(1);
    expect((await t.db.invocations.byId(fresh.id))!.finishedAt).toBeNull();
    expect((await t.db.invocations.byId(done.id))!.error).toBeNull();
    // Every model's; the one already closed is not closed or counted again.
    const all = await t.db.invocations.abandonUnfinished({ startedBefore: t.clock.now() - 30_000, reason: "no worker finished it" });
    expect(all.map((i) => i.modelId)).toEqual([b.id]);
    expect((await t.db.models.require(a.id)).failedWorkflowCount).toBe(1);
    expect((await t.db.models.require(b.id)).failedWorkflowCount).toBe(1);
    // The run that comes back late cannot finish it.
    await expect(t.db.invocations.finish(old2.id, { response: "late" })).rejects.toBeInstanceOf(StateConflictError);
    expect(await t.db.invocations.abandonUnfinished({ startedBefore: t.clock.now(), modelIds: [], reason: "x" })).toEqual([]);
    await expect(t.db.invocations.abandonUnfinished({ startedBefore: t.clock.now(), reason: " " })).rejects.toBeInstanceOf(ValidationError);
  });
  it("records a tick's tool calls and finishes in batches exactly as recordToolCall and finish would, and leaves an ABANDONED one as it is", async () => {
    const a = await model("a");
    const b = await model("b");
    const ia = await t.db.invocations.start({ modelId: a.id, prompt: "p" });
    const ib = await t.db.invocations.start({ modelId: b.id, prompt: "q" });
    const ic = await t.db.invocations.start({ modelId: b.id, prompt: "r" });
    t.clock.advanceBy(500);
    expect(
      await t.db.invocations.recordToolCalls([
        { invocationId: ia.id, type: "HOLDING", arguments: {}, accepted: true },
        { invocationId: ib.id, type: "CREATE_POSITION", arguments: { symbol: "BTC" }, accepted: false, rejectionReason: "no margin" },
        { invocationId: ib.id, type: null, tool: "nope", arguments: {}, accepted: false, rejectionReason: "unknown tool" },
      ]),
    ).toBe(3);
    expect((await t.db.models.require(a.id)).failedToolCallCount).toBe(0);
    expect((await t.db.models.require(b.id)).failedToolCallCount).toBe(2);
    await t.db.invocations.abandonUnfinished({ startedBefore: t.clock.now(), modelIds: [b.id], reason: "stale" });
    // ib and ic are ABANDONED now; their late finishes change nothing.
    const result = await t.db.invocations.finishMany([
      { invocationId: ia.id, finish: { response: "held", inputTokens: 10, outputTokens: 2, cost: "0.000000015", steps: [{ kind: "rule" }] } },
      { invocationId: ib.id, finish: { response: "late" } },
      { invocationId: ic.id, finish: { error: "late" } },
    ]);
    expect(result.alreadyFinished).toEqual([ib.id, ic.id]);
    expect(result.finished.map((i) => i.id)).toEqual([ia.id]);
    const done = result.finished[0]!;
    expect(done).toMatchObject({ response: "held", inputTokens: 10, outputTokens: 2, latencyMs: 500, error: null, finishedAt: t.clock.now(), steps: [{ kind: "rule" }] });
    expect(done.cost?.toString()).toBe("0.00000002");
    expect(done.responsePayload).toBeNull();
    expect(done.toolCalls.map((c) => c.type)).toEqual(["HOLDING"]);
    expect((await t.db.invocations.byId(ib.id))!.error).toMatch(/^ABANDONED: /);
    // The single-row finish agrees on what it would have written.
    const single = await t.db.invocations.start({ modelId: a.id, prompt: "p" });
    t.clock.advanceBy(500);
    const one = await t.db.invocations.finish(single.id, { response: "held", inputTokens: 10, outputTokens: 2, cost: "0.000000015", steps: [{ kind: "rule" }] });
    expect({ ...one, id: done.id, startedAt: done.startedAt, finishedAt: done.finishedAt, toolCalls: [] }).toEqual({ ...done, toolCalls: [] });
  });

  it("starts many invocations in one statement as start would, counting each on its model; an unknown model or a bad prompt changes nothing", async () => {
    const a = await model("a");
    const b = await model("b");
    const ids = await t.db.invocations.startMany([
      { modelId: a.id, prompt: "pa" },
      { modelId: b.id, prompt: "pb", startedAt: t.clock.now() - 5 },
      { modelId: a.id, prompt: "pa2" },
    ]);
    expect(ids).toHaveLength(3);
    const read = await Promise.all(ids.map((id) => t.db.invocations.byId(id)));
    expect(read.map((i) => [i!.modelId, i!.prompt, i!.startedAt, i!.finishedAt, i!.inputTokens])).toEqual([
      [a.id, "pa", t.clock.now(), null, 0],
      [b.id, "pb", t.clock.now() - 5, null, 0],
      [a.id, "pa2", t.clock.now(), null, 0],
    ]);
    expect((await t.db.models.require(a.id)).invocationCount).toBe(2);
    expect((await t.db.models.require(b.id)).invocationCount).toBe(1);
    await expect(t.db.invocations.startMany([{ modelId: a.id, prompt: "p" }, { modelId: "00000000-0000-4000-8000-000000000000", prompt: "p" }])).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.invocations.startMany([{ modelId: a.id, prompt: "p" }, { modelId: a.id, prompt: 7 as unknown as string }])).rejects.toBeInstanceOf(ValidationError);
    expect((await t.db.models.require(a.id)).invocationCount).toBe(2);
    expect(await t.db.invocations.count({ modelId: a.id })).toBe(2);
  });

  it("refuses a bad batch of tool calls or finishes whole: unknown invocation, bad input, a finish before its start, one named twice", async () => {
    const m = await model();
    const inv = await t.db.invocations.start({ modelId: m.id, prompt: "p" });
    const unknown = "00000000-0000-4000-8000-000000000000";
    await expect(
      t.db.invocations.recordToolCalls([
        { invocationId: inv.id, type: "HOLDING", arguments: {}, accepted: true },
        { invocationId: unknown, type: "HOLDING", arguments: {}, accepted: true },
      ]),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      t.db.invocations.recordToolCalls([
        { invocationId: inv.id, type: "HOLDING", arguments: {}, accepted: true },
        { invocationId: inv.id, type: "HOLDING", arguments: {}, accepted: false },
      ]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await t.db.invocations.byId(inv.id))!.toolCalls).toEqual([]);
    await expect(t.db.invocations.finishMany([{ invocationId: inv.id, finish: {} }, { invocationId: unknown, finish: {} }])).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.invocations.finishMany([{ invocationId: inv.id, finish: { finishedAt: inv.startedAt - 1 } }])).rejects.toBeInstanceOf(ValidationError);
    await expect(t.db.invocations.finishMany([{ invocationId: inv.id, finish: {} }, { invocationId: inv.id, finish: {} }])).rejects.toBeInstanceOf(ValidationError);
    expect((await t.db.invocations.byId(inv.id))!.finishedAt).toBeNull();
    expect((await t.db.models.require(m.id)).failedToolCallCount).toBe(0);
  });
});
