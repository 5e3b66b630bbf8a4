import { describe, expect, it } from "vitest";
import { ManualClock, SystemClock } from "./clock.js";

describe("ManualClock", () => {
  it("fires due timers in time order, at their due time, and returns them", () => {
    const clock = new ManualClock(1000);
    const seen: Array<[string, number]> = [];
    clock.schedule(3000, () => seen.push(["c", clock.now()]), "c");
    clock.schedule(2000, () => seen.push(["a", clock.now()]), "a");
    clock.schedule(2000, () => seen.push(["b", clock.now()]), "b");
    clock.schedule(9000, () => seen.push(["late", clock.now()]), "late");
    const fired = clock.advanceTo(5000);
    expect(fired.map((t) => t.name)).toEqual(["a", "b", "c"]);
    expect(seen).toEqual([["a", 2000], ["b", 2000], ["c", 3000]]);
    expect(clock.now()).toBe(5000);
    expect(clock.pendingTimers().map((t) => t.name)).toEqual(["late"]);
  });

  it("fires timers scheduled by a firing timer when they are due, and honours cancel", () => {
    const clock = new ManualClock(0);
    const names: string[] = [];
    clock.schedule(10, () => {
      names.push("first");
      clock.schedule(15, () => names.push("chained"), "chained");
    });
    const cancelled = clock.schedule(12, () => names.push("cancelled"));
    expect(clock.cancel(cancelled)).toBe(true);
    clock.advanceTo(20);
    expect(names).toEqual(["first", "chained"]);
  });

  it("never goes back in time", () => {
    const clock = new ManualClock(100);
    expect(() => clock.advanceTo(50)).toThrow(RangeError);
  });

  it("resolves sleep when advanced and rejects it on abort", async () => {
    const clock = new ManualClock(0);
    const slept = clock.sleep(100);
    clock.advanceBy(100);
    await expect(slept).resolves.toBeUndefined();
    const controller = new AbortController();
    const aborted = clock.sleep(100, controller.signal);
    controller.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    expect(clock.pendingTimers()).toEqual([]);
  });
});

describe("SystemClock", () => {
  it("tells wall-clock time and runs real timers", async () => {
    const clock = new SystemClock();
    const before = Date.now();
    expect(clock.now()).toBeGreaterThanOrEqual(before);
    await clock.sleep(5);
    // Node's timers run on the monotonic clock and Date.now() is rounded to the
    // millisecond, so a 5 ms sleep can read as 4 ms of wall-clock time (seen in a full run).
    expect(clock.now()).toBeGreaterThanOrEqual(before + 4);
  });
});
