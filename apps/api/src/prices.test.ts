import { ArenaEventBus, ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import { type Db, createDb } from "@autonome/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LastKnownPrices, Marker } from "./prices.js";

describe("Marker", () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let db: Db;

  beforeAll(async () => {
    db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
    const m = await db.models.create({ name: "m", provider: "rule", modelName: "x" });
    const o = await db.orders.openPosition({ modelId: m.id, symbol: "SOL", side: "LONG", quantity: "1", leverage: "1", entryPrice: "150", exitPlan: emptyExitPlan() });
    clock.advanceBy(60_000);
    await db.orders.closePosition({ orderId: o.orderId, exitPrice: "152.5", closeTrigger: null });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("prefers the live provider, falls back to the newest recorded price, and says which it used", async () => {
    const lastKnown = new LastKnownPrices(db, () => clock.now());
    const marker = new Marker({ markPrice: (s) => (s === "BTC" ? toDecimal("100000") : undefined) }, lastKnown);
    expect(await marker.mark("BTC")).toEqual({ price: toDecimal("100000"), source: "live", at: null });
    expect(await marker.mark("SOL")).toEqual({ price: toDecimal("152.5"), source: "lastKnown", at: clock.now() });
    expect(await marker.mark("DOGE")).toEqual({ price: null, source: "none", at: null });
    // A newer event price wins over the database; an older one does not.
    const bus = new ArenaEventBus();
    lastKnown.observe(bus.publish("exitTriggered", { modelId: "m", orderId: "o", symbol: "SOL", trigger: "STOP", triggerPrice: "149", exitPrice: "148.9" }, clock.now() + 1000));
    lastKnown.observe(bus.publish("positionOpened", { modelId: "m", orderId: "p", symbol: "SOL", side: "LONG", quantity: "1", entryPrice: "10", leverage: "1", fee: "0", exitPlan: { stop: null, target: null, invalidation: null, invalidationPrice: null, confidence: null, timeExit: null, cooldownUntil: null } }, clock.now() - 5000));
    expect((await marker.mark("SOL")).price?.toString()).toBe("148.9");
  });

  it("treats a provider that throws for a symbol as not knowing it", async () => {
    const marker = new Marker(
      {
        markPrice: () => {
          throw new Error("unknown market");
        },
      },
      new LastKnownPrices(db, () => clock.now()),
    );
    expect((await marker.mark("SOL")).source).toBe("lastKnown");
  });
});
