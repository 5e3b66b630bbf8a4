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

describe("ResponseCache.refresh", () => {
  it("rebuilds the answers in use in the background, serving the previous one until the new one is built", async () => {
    const clock = new ManualClock(0);
    const cache = new ResponseCache(500, () => clock.now());
    let version = "v1";
    let release: () => void = () => undefined;
    let gate: Promise<void> = Promise.resolve();
    const build = async () => {
      const seen = version;
      await gate;
      return seen;
    };
    expect(decode(await cache.get("k", build))).toBe("v1");
    version = "v2";
    gate = new Promise((resolve) => (release = resolve));
    const refreshed = cache.refresh();
    // The rebuild is under way: a request does not wait for it.
    expect(decode(await cache.get("k", build))).toBe("v1");
    release();
    await refreshed;
    expect(decode(await cache.get("k", build))).toBe("v2");
    // Past the bound with a rebuild under way, a request gets the rebuild, never the stale bytes.
    version = "v3";
    gate = new Promise((resolve) => (release = resolve));
    const again = cache.refresh();
    clock.advanceBy(500);
    const pending = cache.get("k", build);
    release();
    expect(decode(await pending)).toBe("v3");
    await again;
  });

  it("never replaces a newer rebuild with an older one, and drops answers nobody asked for", async () => {
    const clock = new ManualClock(0);
    const cache = new ResponseCache(60_000, () => clock.now(), 500, 1_000);
    const releases: (() => void)[] = [];
    let version = 0;
    const build = async () => {
      const seen = ++version;
      if (seen > 1) await new Promise<void>((resolve) => releases.push(resolve));
      return seen;
    };
    expect(decode(await cache.get("k", build))).toBe(1);
    // Past 80% of the bound a request starts a rebuild ahead (build 2) and is served build 1.
    clock.advanceBy(48_000);
    expect(decode(await cache.get("k", build))).toBe(1);
    // An event's refresh starts build 3 while build 2 is still running.
    const refreshed = cache.refresh();
    while (releases.length < 2) await new Promise((resolve) => setImmediate(resolve));
    releases[1]!();
    await refreshed;
    releases[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(decode(await cache.get("k", build))).toBe(3);
    clock.advanceBy(2_000);
    await cache.refresh();
    let rebuilt = false;
    expect(decode(await cache.get("k", async () => ((rebuilt = true), "fresh")))).toBe("fresh");
    expect(rebuilt).toBe(true);
  });

  it("rebuilds one answer at a time, letting other work run between two builds, and coalesces calls", async () => {
    const cache = new ResponseCache(60_000, () => 0);
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const build = (key: string) => async () => {
      running++;
      most = Math.max(most, running);
      order.push(`build ${key}`);
      // A request arriving while this build runs.
      setImmediate(() => order.push(`request during ${key}`));
      await Promise.resolve();
      running--;
      return key;
    };
    for (const key of ["a", "b", "c"]) await cache.get(key, build(key));
    await new Promise((resolve) => setImmediate(resolve));
    order.length = 0;
    const first = cache.refresh();
    const second = cache.refresh();
    const third = cache.refresh();
    await Promise.all([first, second, third]);
    expect(most).toBe(1);
    // A request that arrives during a build is served before the next build starts.
    expect(order.slice(0, 6)).toEqual(["build a", "request during a", "build b", "request during b", "build c", "request during c"]);
    // The three calls made two rounds (the running one and one more), not three.
    expect(order.filter((o) => o.startsWith("build")).length).toBe(6);
  });

  it("rebuilds an answer in use ahead of its bound, so no request waits for it", async () => {
    const clock = new ManualClock(0);
    const cache = new ResponseCache(500, () => clock.now());
    let builds = 0;
    let release: () => void = () => undefined;
    const build = async () => {
      const n = ++builds;
      if (n > 1) await new Promise<void>((resolve) => (release = resolve));
      return n;
    };
    expect(decode(await cache.get("k", build))).toBe(1);
    clock.advanceBy(399);
    expect(decode(await cache.get("k", build))).toBe(1);
    expect(builds).toBe(1);
    clock.advanceBy(1);
    // At 80% of the bound: served at once, and one rebuild starts behind it.
    expect(decode(await cache.get("k", build))).toBe(1);
    expect(decode(await cache.get("k", build))).toBe(1);
    expect(builds).toBe(2);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(decode(await cache.get("k", build))).toBe(2);
    expect(builds).toBe(2);
  });
});
