import { ArenaEventBus, type ArenaEvent } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { EventHub, matches } from "./event-hub.js";
import { downsample } from "./read-model.js";

function events(n: number): ArenaEvent[] {
  const bus = new ArenaEventBus();
  return Array.from({ length: n }, (_, i) => bus.publish("tickStarted", { tick: i, modelIds: [] }, 1000 + i));
}

describe("EventHub", () => {
  it("numbers events consecutively and replays those after a sequence number while they are buffered", () => {
    const hub = new EventHub(3);
    for (const e of events(5)) hub.push(e);
    expect(hub.lastSeq).toBe(5);
    expect(hub.since(3)).toEqual({ events: [expect.objectContaining({ seq: 4 }), expect.objectContaining({ seq: 5 })], gap: false });
    expect(hub.since(2).gap).toBe(false);
    expect(hub.since(1)).toMatchObject({ gap: true, events: [{ seq: 3 }, { seq: 4 }, { seq: 5 }] });
    expect(hub.since(5)).toEqual({ events: [], gap: false });
    expect(hub.since(9).gap).toBe(true);
  });

  it("keeps the first copy of an event that arrives twice and isolates a throwing subscriber", () => {
    const hub = new EventHub(10);
    const got: number[] = [];
    hub.subscribe(() => {
      throw new Error("broken stream");
    });
    hub.subscribe((e) => got.push(e.seq));
    const [e] = events(1);
    expect(hub.push(e!)).not.toBeNull();
    expect(hub.push(e!)).toBeNull();
    expect(got).toEqual([1]);
  });

  it("filters by model, letting arena-wide events through, and by type", () => {
    const bus = new ArenaEventBus();
    const tick = bus.publish("tickStarted", { tick: 1, modelIds: [] }, 1);
    const mine = bus.publish("modelStale", { modelId: "a", runningForMs: 5 }, 2);
    const theirs = bus.publish("modelStale", { modelId: "b", runningForMs: 5 }, 3);
    expect([tick, mine, theirs].map((e) => matches(e, { modelId: "a" }))).toEqual([true, true, false]);
    expect([tick, mine].map((e) => matches(e, { types: new Set(["modelStale"]) }))).toEqual([false, true]);
  });
});

describe("downsample", () => {
  it("keeps the first and last points and at most the requested count, in time order", () => {
    const series = Array.from({ length: 1000 }, (_, i) => ({ at: i * 60_000, v: i }));
    for (const points of [2, 3, 10, 299]) {
      const kept = downsample(series, points);
      expect(kept.length).toBeLessThanOrEqual(points);
      expect(kept[0]).toBe(series[0]);
      expect(kept.at(-1)).toBe(series.at(-1));
      expect(kept.map((p) => p.at)).toEqual([...kept.map((p) => p.at)].sort((a, b) => a - b));
    }
    expect(downsample(series.slice(0, 5), 10)).toEqual(series.slice(0, 5));
    expect(downsample(series, 10).length).toBeGreaterThanOrEqual(9);
  });
});
