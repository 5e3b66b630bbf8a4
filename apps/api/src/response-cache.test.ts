import { ManualClock } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { ResponseCache } from "./response-cache.js";

const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown;

describe("ResponseCache", () => {
  it("serializes one build for concurrent requests and reuses its bytes until the time bound", async () => {
    const clock = new ManualClock(0);
    const cache = new ResponseCache(500, () => clock.now());
    let builds = 0;
    const build = async () => ({ build: ++builds, price: "101.5" });
    const [a, b] = await Promise.all([cache.get("k", build), cache.get("k", build)]);
    expect(a).toBe(b);
    expect(decode(a)).toEqual({ build: 1, price: "101.5" });
    expect(new TextDecoder().decode(a)).toBe(JSON.stringify({ build: 1, price: "101.5" }));
    clock.advanceBy(499);
    expect(decode(await cache.get("k", build))).toEqual({ build: 1, price: "101.5" });
    clock.advanceBy(1);
    // Strict: past the bound the answer is rebuilt before it is served, never served stale.
    expect(decode(await cache.get("k", build))).toEqual({ build: 2, price: "101.5" });
    expect(decode(await cache.get("other", build))).toEqual({ build: 3, price: "101.5" });
    expect(builds).toBe(3);
  });

  it("drops every answer on invalidate and does not keep a build that was running then", async () => {
    const clock = new ManualClock(0);
    const cache = new ResponseCache(60_000, () => clock.now());
    let release: (value: string) => void = () => undefined;
    const slow = cache.get("k", () => new Promise<string>((resolve) => (release = resolve)));
    cache.invalidate();
    release("before the event");
    expect(decode(await slow)).toBe("before the event");
    expect(decode(await cache.get("k", async () => "after the event"))).toBe("after the event");
    cache.invalidate();
    expect(decode(await cache.get("k", async () => "after the second event"))).toBe("after the second event");
  });

  it("does not keep a failed build, and builds every time when disabled", async () => {
    const cache = new ResponseCache(1000, () => 0);
    await expect(cache.get("k", () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
    expect(decode(await cache.get("k", async () => 7))).toBe(7);
    const off = new ResponseCache(0, () => 0);
    let builds = 0;
    await off.get("k", async () => ++builds);
    expect(decode(await off.get("k", async () => ++builds))).toBe(2);
  });
});
