import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OrderStore } from "./book-side.js";
import { IdIndex, hashId } from "./id-index.js";

/** Drives an IdIndex and a Map side by side through inserts and removals. */
function model(ops: Array<{ insert: boolean; key: number }>, idOf: (k: number) => string): void {
  const store = new OrderStore(4);
  const index = new IdIndex(store, 8);
  const expected = new Map<string, number>();
  for (const op of ops) {
    const id = idOf(op.key);
    const found = index.find(id);
    expect(found).toBe(expected.get(id) ?? -1);
    if (op.insert && found === -1) {
      const h = store.alloc(id, 0, 1, 1, 0);
      index.insertFound(h);
      expected.set(id, h);
    } else if (!op.insert && found !== -1) {
      index.remove(found);
      store.free(found);
      expected.delete(id);
    }
    expect(index.size).toBe(expected.size);
  }
  for (const [id, h] of expected) expect(index.find(id)).toBe(h);
  expect(index.handles().sort((a, b) => a - b)).toEqual([...expected.values()].sort((a, b) => a - b));
}

describe("IdIndex", () => {
  it("agrees with a Map through growth, tombstones and rebuilds", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ insert: fc.boolean(), key: fc.integer({ min: 0, max: 300 }) }), { maxLength: 2000 }), (ops) =>
        model(ops, (k) => `o${k}`),
      ),
      { numRuns: 50 },
    );
  });

  it("finds ids whose hashes collide in the low bits (long probe chains)", () => {
    // Keep only ids that land in the same home slot of a 1024-slot table.
    const colliding: string[] = [];
    for (let i = 0; colliding.length < 200; i++) if ((hashId(`x${i}`) & 1023) === 7) colliding.push(`x${i}`);
    const ops = [
      ...colliding.map((_, key) => ({ insert: true, key })),
      ...colliding.map((_, key) => ({ insert: key % 2 === 0, key })),
      ...colliding.map((_, key) => ({ insert: true, key })),
    ];
    model(ops, (k) => colliding[k] as string);
  });

  it("tells apart equal strings built separately and different ids with the same characters reordered", () => {
    const store = new OrderStore();
    const index = new IdIndex(store);
    const a = ["ab", "c"].join("");
    const h = store.alloc(a, 0, 1, 1, 0);
    index.insert(a, h);
    expect(index.find(`a${"bc"}`)).toBe(h);
    expect(index.find("bac")).toBe(-1);
    expect(index.find("")).toBe(-1);
  });

  it("refuses an insert that no missed find prepared", () => {
    const store = new OrderStore();
    const index = new IdIndex(store);
    expect(() => index.insertFound(store.alloc("a", 0, 1, 1, 0))).toThrow(/without a missed find/);
  });
});
