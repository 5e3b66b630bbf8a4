import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LocalBook, type LevelText } from "./feed-events.js";

describe("LocalBook", () => {
  it("equals a naive map of levels after any sequence of snapshots and diffs", () => {
    const level = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 3 })).map(([p, s]) => [`${p / 4}`, `${s}`] as const);
    const op = fc.record({ snapshot: fc.boolean(), bids: fc.array(level, { maxLength: 8 }), asks: fc.array(level, { maxLength: 8 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const book = new LocalBook();
        const bids = new Map<number, string>();
        const asks = new Map<number, string>();
        const apply = (side: Map<number, string>, levels: readonly LevelText[]) => {
          for (const [p, s] of levels) {
            if (Number(s) === 0) side.delete(Number(p));
            else side.set(Number(p), s);
          }
        };
        for (const { snapshot, bids: b, asks: a } of ops) {
          if (snapshot) {
            bids.clear();
            asks.clear();
            book.applySnapshot(b, a);
          } else {
            book.applyDiff(b, a);
          }
          apply(bids, b);
          apply(asks, a);
        }
        const view = book.snapshot("X", 0, 1000);
        expect(view.bids.map((l) => [Number(l.price), l.size])).toEqual([...bids].sort((x, y) => y[0] - x[0]));
        expect(view.asks.map((l) => [Number(l.price), l.size])).toEqual([...asks].sort((x, y) => x[0] - y[0]));
      }),
    );
  });
});
