import { describe, expect, it } from "vitest";
import { type ArenaEvent, ArenaEventBus } from "./events.js";

describe("ArenaEventBus", () => {
  it("publishes typed events with unique ids and delivers them to typed and catch-all listeners", () => {
    const bus = new ArenaEventBus();
    const all: ArenaEvent[] = [];
    const closes: string[] = [];
    const off = bus.onAny((e) => all.push(e));
    bus.on("positionClosed", (e) => closes.push(e.payload.realizedPnl));
    bus.publish("tickStarted", { tick: 1, modelIds: ["m1"] }, 1000);
    bus.publish("positionClosed", { modelId: "m1", orderId: "o1", symbol: "BTC", side: "LONG", quantity: "0.1", entryPrice: "100", exitPrice: "110", realizedPnl: "1", closeTrigger: "TARGET" }, 1001, 1002);
    expect(all.map((e) => e.type)).toEqual(["tickStarted", "positionClosed"]);
    expect(new Set(all.map((e) => e.id)).size).toBe(2);
    expect(all[1]).toMatchObject({ tsEvent: 1001, tsInit: 1002 });
    expect(closes).toEqual(["1"]);
    off();
    bus.publish("tickStarted", { tick: 2, modelIds: [] }, 2000);
    expect(all).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(all[1]))).toEqual(all[1]);
  });
});
