import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BarBuilder, CandleStore, MINUTE_MS } from "./candle-store.js";

const T0 = Date.UTC(2025, 5, 1); // on a 4-hour boundary

function storeOf(bars: number): CandleStore {
  const store = new CandleStore(4);
  for (let i = 0; i < bars; i++) store.push(T0 + i * MINUTE_MS, 100 + i, 101 + i + (i % 3), 99 + i, 100.5 + i, 1 + i);
  return store;
}

describe("CandleStore", () => {
  it("shows a one-minute bar only once its minute has ended", () => {
    const store = storeOf(10);
    expect(store.candles("1m", 100, T0 + 3 * MINUTE_MS - 1).map((c) => c.openTime)).toEqual([T0, T0 + MINUTE_MS]);
    expect(store.candles("1m", 100, T0 + 3 * MINUTE_MS)).toHaveLength(3);
    expect(store.candles("1m", 2, T0 + 10 * MINUTE_MS).map((c) => c.openTime)).toEqual([T0 + 8 * MINUTE_MS, T0 + 9 * MINUTE_MS]);
  });

  it("aggregates five-minute candles from the bars inside each window, only once the window ended", () => {
    const store = storeOf(12);
    const now = T0 + 12 * MINUTE_MS; // 10 bars form two windows; bars 10-11 are in an open window
    const candles = store.candles("5m", 10, now);
    expect(candles).toHaveLength(2);
    const [first, second] = candles;
    expect(first).toEqual({ openTime: T0, closeTime: T0 + 5 * MINUTE_MS, open: 100, high: 106, low: 99, close: 104.5, volume: 15 });
    // bars 5..9: open 105, highs 106+2,107+0,108+1,109+2,110+0 -> max 111, low 104, close 109.5, volume 6+7+8+9+10.
    expect(second).toEqual({ openTime: T0 + 5 * MINUTE_MS, closeTime: T0 + 10 * MINUTE_MS, open: 105, high: 111, low: 104, close: 109.5, volume: 40 });
    expect(store.candles("1h", 10, now)).toEqual([]);
  });

  it("grows past its initial capacity and finds bars by time", () => {
    const store = storeOf(100);
    expect(store.length).toBe(100);
    expect(store.indexAtOrBefore(T0 + 50 * MINUTE_MS + 5)).toBe(50);
    expect(store.indexAtOrBefore(T0 - 1)).toBe(-1);
  });
});

describe("BarBuilder", () => {
  it("builds OHLCV bars from prints and fills silent minutes with flat bars", () => {
    const store = new CandleStore();
    const closed: number[] = [];
    const builder = new BarBuilder(store, (i) => closed.push(i), 3);
    builder.add(T0 + 1_000, 10, 0.1);
    builder.add(T0 + 20_000, 12, 0.2);
    builder.add(T0 + 40_000, 9, 0.3);
    builder.add(T0 + 3 * MINUTE_MS + 5_000, 11, 1);
    builder.closeUntil(T0 + 4 * MINUTE_MS);
    expect(closed).toEqual([0, 1, 2, 3]);
    expect(store.bar(0)).toMatchObject({ open: 10, high: 12, low: 9, close: 9, volume: 0.6 });
    expect(store.bar(1)).toMatchObject({ openTime: T0 + MINUTE_MS, open: 9, high: 9, low: 9, close: 9, volume: 0 });
    expect(store.bar(3)).toMatchObject({ openTime: T0 + 3 * MINUTE_MS, open: 11, close: 11, volume: 1 });
  });
});

describe("CandleStore window cache", () => {
  it("gives what a fresh store gives, however bars and queries interleave", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 1, max: 4 }), price: fc.integer({ min: 1, max: 1000 }), query: fc.boolean() }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(3, 5, 15, 60),
        (steps, minutes) => {
          const width = minutes * MINUTE_MS;
          const cached = new CandleStore(4);
          let t = 1_700_000_040_000;
          const pushed: Array<[number, number, number]> = [];
          for (const step of steps) {
            t += step.gap * MINUTE_MS;
            cached.push(t, step.price, step.price + 1, step.price - 1, step.price, step.gap);
            pushed.push([t, step.price, step.gap]);
            if (!step.query) continue;
            const fresh = new CandleStore(4);
            for (const [at, p, v] of pushed) fresh.push(at, p, p + 1, p - 1, p, v);
            const now = t + step.gap * MINUTE_MS;
            expect(cached.candlesOfWidth(width, 50, now)).toEqual(fresh.candlesOfWidth(width, 50, now));
            expect(cached.candlesOfWidth(width, 3, now)).toEqual(fresh.candlesOfWidth(width, 3, now));
          }
        },
      ),
      { numRuns: 150, seed: 5 },
    );
  });
});

describe("CandleStore one-minute candles built once", () => {
  it("hands out, for any queries while bars are appended, the candles bar() builds, the same object for the same bar", () => {
    const query = fc.record({ append: fc.integer({ min: 0, max: 40 }), limit: fc.integer({ min: 0, max: 60 }), back: fc.integer({ min: -2, max: 50 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.array(query, { maxLength: 25 }), (start, queries) => {
        const store = new CandleStore(4);
        let n = 0;
        const append = (count: number) => {
          for (let k = 0; k < count; k++, n++) store.push(T0 + n * MINUTE_MS, 100 + (n % 7), 102 + (n % 5), 98 - (n % 3), 101 + (n % 11), 1 + n);
        };
        append(start);
        const seen = new Map<number, object>();
        for (const q of queries) {
          append(q.append);
          const now = T0 + (n - q.back) * MINUTE_MS;
          const got = store.candles("1m", q.limit, now);
          const closed = store.closedCount(now);
          const from = Math.max(0, closed - q.limit);
          expect(got).toEqual(Array.from({ length: closed - from }, (_, k) => store.bar(from + k)));
          for (const [k, candle] of got.entries()) {
            const before = seen.get(from + k);
            if (before !== undefined) expect(candle).toBe(before);
            seen.set(from + k, candle);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

