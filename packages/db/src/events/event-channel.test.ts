import { ArenaEventBus, type ArenaEvent } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { describeEachDatabase } from "../testing/databases.js";
import { type ReceivedEvent, MAX_EVENT_PAYLOAD_BYTES, createEventChannel, decodeEvent, encodeEvent } from "./event-channel.js";

function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error("condition not met in time"));
      setTimeout(poll, 10);
    };
    poll();
  });
}

const bus = new ArenaEventBus();
function tickFinished(n: number): ArenaEvent {
  return bus.publish("tickFinished", { tick: n, durationMs: 5, succeeded: ["m1"], failed: [], timedOut: [] }, 1000 + n);
}

describeEachDatabase("createEventChannel", (t) => {
  it("delivers published events to subscribers in order, as they were published", async () => {
    const channel = createEventChannel(t.db);
    const received: ReceivedEvent[] = [];
    await channel.subscribe((e) => received.push(e));
    const sent = [tickFinished(1), tickFinished(2), tickFinished(3)];
    for (const e of sent) await channel.publish(e);
    await until(() => received.length === 3);
    expect(received).toEqual(sent);
    await channel.close();
  });

  it("sends an oversized event as its metadata marked truncated", async () => {
    const channel = createEventChannel(t.db);
    const received: ReceivedEvent[] = [];
    await channel.subscribe((e) => received.push(e));
    const big = bus.publish(
      "decisionMade",
      { modelId: "m", invocationId: "i", type: "HOLDING", symbol: null, accepted: true, rejectionReason: null, arguments: { reasoning: "x".repeat(9000) } },
      5,
    );
    await channel.publish(big);
    await until(() => received.length === 1);
    expect(received[0]).toEqual({ id: big.id, type: "decisionMade", tsEvent: 5, tsInit: 5, truncated: true });
    await channel.close();
  });

  it("stops delivering after unsubscribe", async () => {
    const channel = createEventChannel(t.db);
    const a: ReceivedEvent[] = [];
    const b: ReceivedEvent[] = [];
    const unsubscribeA = await channel.subscribe((e) => a.push(e));
    await channel.subscribe((e) => b.push(e));
    await channel.publish(tickFinished(1));
    await until(() => a.length === 1 && b.length === 1);
    await unsubscribeA();
    await channel.publish(tickFinished(2));
    await until(() => b.length === 2);
    expect(a).toHaveLength(1);
    await channel.close();
  });
});

describe("event payload encoding", () => {
  it("round-trips a small event and refuses what is not an arena event", () => {
    const e = tickFinished(9);
    expect(decodeEvent(encodeEvent(e))).toEqual(e);
    expect(Buffer.byteLength(encodeEvent(e))).toBeLessThanOrEqual(MAX_EVENT_PAYLOAD_BYTES);
    expect(decodeEvent("not json")).toBeNull();
    expect(decodeEvent(JSON.stringify({ id: "1", type: "nope", tsEvent: 1, tsInit: 1, payload: {} }))).toBeNull();
    expect(decodeEvent(JSON.stringify({ id: "1", type: "tickFinished", tsEvent: 1, tsInit: 1 }))).toBeNull();
  });
});
