import { ManualClock } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { ReadCache } from "./read-cache.js";

describe("ReadCache", () => {
  it("shares one load between concurrent reads, serves a stale value while one reload runs, and reloads at once after invalidate", async () => {
    const clock = new ManualClock(0);
    const cache = new ReadCache(1000, () => clock.now());
    let loads = 0;
    const load = async () => ++loads;
    expect(await Promise.all([cache.get("k", load), cache.get("k", load)])).toEqual([1, 1]);
    clock.advanceBy(1500);
    expect(await cache.get("k", load)).toBe(1); // stale, reload started
    await Promise.resolve();
    await Promise.resolve();
    expect(await cache.get("k", load)).toBe(2);
    expect(loads).toBe(2);
    cache.invalidate();
    expect(await cache.get("k", load)).toBe(3);
  });

  it("does not keep a failed load", async () => {
    const cache = new ReadCache(1000, () => 0);
    await expect(cache.get("k", () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
    expect(await cache.get("k", async () => 7)).toBe(7);
  });
});
