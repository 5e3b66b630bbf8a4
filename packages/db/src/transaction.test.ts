import { StateConflictError, emptyExitPlan } from "@autonome/core";
import { expect, it } from "vitest";
import { prismaOf } from "./internal/db-internals.js";
import { describeEachDatabase } from "./testing/databases.js";

describeEachDatabase("Db.transaction", (t) => {
  it("commits a tick's writes across repositories together", async () => {
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: emptyExitPlan() });
    const inv = await t.db.invocations.start({ modelId: m.id, prompt: "p" });
    const trade = await t.db.transaction(async (tx) => {
      const closed = await tx.orders.closePosition({ orderId: o.orderId, exitPrice: "105", closeTrigger: null });
      await tx.invocations.recordToolCall({ invocationId: inv.id, type: "CLOSE_POSITION", arguments: { symbol: "BTC" }, accepted: true });
      await tx.portfolio.record({ modelId: m.id, total: "10005", available: "10005", unrealizedPnl: "0" });
      return closed;
    });
    expect(trade.realizedPnl.toString()).toBe("5");
    expect((await t.db.orders.byId(o.orderId))?.status).toBe("CLOSED");
    expect(await prismaOf(t.db).toolCall.count()).toBe(1);
    expect(await prismaOf(t.db).portfolioSnapshot.count()).toBe(1);
  });

  it("rolls every write back when one step fails", async () => {
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: emptyExitPlan() });
    const inv = await t.db.invocations.start({ modelId: m.id, prompt: "p" });
    const failing = t.db.transaction(async (tx) => {
      await tx.orders.closePosition({ orderId: o.orderId, exitPrice: "105", closeTrigger: null });
      await tx.invocations.recordToolCall({ invocationId: inv.id, type: "CLOSE_POSITION", arguments: {}, accepted: false, rejectionReason: "r" });
      await tx.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "SHORT", quantity: "1", leverage: "1", entryPrice: "10", exitPlan: emptyExitPlan() });
      await tx.orders.closePosition({ orderId: o.orderId, exitPrice: "106", closeTrigger: null }); // already closed in this transaction
    });
    await expect(failing).rejects.toBeInstanceOf(StateConflictError);
    expect((await t.db.orders.byId(o.orderId))?.status).toBe("OPEN");
    expect(await t.db.orders.openPositionOf(m.id, "ETH")).toBeNull();
    expect(await prismaOf(t.db).toolCall.count()).toBe(0);
    expect((await t.db.models.require(m.id)).failedToolCallCount).toBe(0);
  });
});
