import { describe, expect, it } from "vitest";
import { orderedUuid } from "./ids.js";

describe("orderedUuid", () => {
  it("makes version-7 UUIDs that increase in the order they are made, within a millisecond, past 4,096 of them and when the clock goes back", () => {
    // A day ahead of the wall clock: ahead of every id made before (the module is shared by the test files of a worker).
    const now = Date.now() + 86_400_000;
    const ids = [
      ...Array.from({ length: 5000 }, () => orderedUuid(now)),
      orderedUuid(now - 60_000),
      orderedUuid(now + 1),
      ...Array.from({ length: 100 }, () => orderedUuid()),
    ];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    // The first 48 bits are the millisecond.
    expect(Number.parseInt(ids[0]!.replace("-", "").slice(0, 12), 16)).toBe(now);
  });
});
