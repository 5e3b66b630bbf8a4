import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { BookSequenceError, MarketDataFormatError } from "../errors.js";
import { FIXTURES } from "../testing/fixtures.js";
import { readBinanceFeed } from "./binance-feed.js";
import { LocalBook } from "./feed-events.js";
import { ReplayMarket } from "./replay-market.js";

const tmp = mkdtempSync(join(tmpdir(), "market-data-binance-"));
const T = 1723161255000; // ms
const ns = (ms: number) => `${ms}000000`;
const diff = (ms: number, U: number, u: number, pu: number | undefined, b: string[][], a: string[][]) =>
  `${ns(ms)} ${JSON.stringify({ stream: "btcusdt@depth@0ms", data: { e: "depthUpdate", s: "BTCUSDT", U, u, ...(pu === undefined ? {} : { pu }), b, a } })}`;
const snapshot = (ms: number, id: number, bids: string[][], asks: string[][]) => `${ns(ms)} ${JSON.stringify({ lastUpdateId: id, bids, asks })}`;
const ticker = (ms: number, bid: string, ask: string) =>
  `${ns(ms)} ${JSON.stringify({ stream: "btcusdt@bookTicker", data: { e: "bookTicker", s: "BTCUSDT", u: 1, b: bid, B: "1.000", a: ask, A: "2.000" } })}`;
const write = (name: string, lines: string[]) => {
  const path = join(tmp, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};

describe("readBinanceFeed", () => {
  it("buffers diffs before the snapshot, drops stale ones and applies the one spanning it", () => {
    const path = write("BTCUSDT-sync.txt", [
      diff(T, 90, 95, 89, [["100.0", "9"]], []), // ends before the snapshot: dropped
      diff(T + 1, 96, 101, 95, [["100.5", "2"]], []), // spans lastUpdateId 100: applied after the snapshot
      snapshot(T + 2, 100, [["100.0", "1"], ["99.5", "3"]], [["101.0", "4"]]),
      diff(T + 3, 102, 104, 101, [["100.0", "0"]], [["100.8", "1.5"]]),
    ]);
    const events = readBinanceFeed(path).get("BTC")!;
    expect(events.map((e) => e.kind)).toEqual(["snapshot", "diff", "diff"]);
    const book = new LocalBook();
    for (const e of events) {
      if (e.kind === "snapshot") book.applySnapshot(e.bids, e.asks);
      if (e.kind === "diff") book.applyDiff(e.bids, e.asks);
    }
    expect(book.snapshot("BTC", 0, 5)).toEqual({
      symbol: "BTC",
      ts: 0,
      bids: [{ price: "100.5", size: "2" }, { price: "99.5", size: "3" }],
      asks: [{ price: "100.8", size: "1.5" }, { price: "101", size: "4" }],
    });
  });

  it("throws BookSequenceError with file and line when pu does not continue the previous u", () => {
    const path = write("BTCUSDT-gap.txt", [
      snapshot(T, 100, [["100", "1"]], [["101", "1"]]),
      diff(T + 1, 99, 101, 98, [], []),
      diff(T + 2, 102, 105, 101, [], []),
      diff(T + 3, 107, 110, 104, [], []),
    ]);
    try {
      readBinanceFeed(path);
      expect.unreachable("a gap must throw");
    } catch (error) {
      expect(error).toBeInstanceOf(BookSequenceError);
      const gap = error as BookSequenceError;
      expect([gap.file, gap.line, gap.expected, gap.code]).toEqual([path, 4, "pu=105", "BOOK_SEQUENCE_GAP"]);
    }
  });

  it("empties the book until the next snapshot when told to resync, falling back to the book ticker", () => {
    const path = write("BTCUSDT-resync.txt", [
      snapshot(T, 100, [["100", "1"]], [["101", "1"]]),
      diff(T + 1, 99, 101, 98, [], []),
      diff(T + 2, 107, 110, 104, [], []),
      ticker(T + 3, "100.2", "100.3"),
    ]);
    expect(readBinanceFeed(path, { onGap: "resync" }).get("BTC")!.map((e) => e.kind)).toEqual(["snapshot", "diff", "reset", "bbo"]);
    const clock = new ManualClock(T + 10);
    const source = new ReplayMarket({ clock, binanceFeeds: [path], onGap: "resync" });
    expect(source.book("BTC", 5)).toEqual({ symbol: "BTC", ts: T + 10, bids: [{ price: "100.2", size: "1" }], asks: [{ price: "100.3", size: "2" }] });
  });

  it("checks spot diffs by U = previous u + 1", () => {
    const spot = (ms: number, U: number, u: number) => diff(ms, U, u, undefined, [], []);
    const ok = write("BTCUSDT-spot.txt", [snapshot(T, 100, [["1", "1"]], [["2", "1"]]), spot(T + 1, 100, 101), spot(T + 2, 102, 103)]);
    expect(readBinanceFeed(ok).get("BTC")!).toHaveLength(3);
    const bad = write("BTCUSDT-spot-gap.txt", [snapshot(T, 100, [["1", "1"]], [["2", "1"]]), spot(T + 1, 100, 101), spot(T + 2, 103, 104)]);
    expect(() => readBinanceFeed(bad)).toThrow(BookSequenceError);
  });

  it("names the line of a malformed message", () => {
    const path = write("BTCUSDT-bad.txt", [snapshot(T, 100, [["1", "1"]], [["2", "1"]]), `${ns(T + 1)} {not json`]);
    expect(() => readBinanceFeed(path)).toThrow(MarketDataFormatError);
    try {
      readBinanceFeed(path);
    } catch (error) {
      expect((error as MarketDataFormatError).line).toBe(2);
    }
  });

  it("rebuilds the recorded USD-M book so its touch equals the book ticker of the same update id", () => {
    const events = readBinanceFeed(FIXTURES.usdmFeed()).get("BTC")!;
    const book = new LocalBook();
    let lastUpdateId: number | undefined;
    let compared = 0;
    let matched = 0;
    let crossed = 0;
    for (const e of events) {
      if (e.kind === "snapshot") book.applySnapshot(e.bids, e.asks);
      else if (e.kind === "diff") {
        book.applyDiff(e.bids, e.asks);
        lastUpdateId = e.updateId;
        const top = book.snapshot("BTC", e.ts, 1);
        if (Number(top.bids[0]!.price) >= Number(top.asks[0]!.price)) crossed++;
      } else if (e.kind === "bbo" && book.ready && e.updateId === lastUpdateId) {
        // The ticker describes exactly the book after this diff.
        const top = book.snapshot("BTC", e.ts, 1);
        compared++;
        if (top.bids[0]!.price === e.bid && top.asks[0]!.price === e.ask) matched++;
      }
    }
    // Counted from the fixture's raw lines alone (fixtures/README.md): after the snapshot,
    // 577 diffs continue the book (2 of them buffered before it) and 19 book tickers carry
    // the update id of the diff just before them.
    expect(events.filter((e) => e.kind === "diff")).toHaveLength(577);
    expect(compared).toBe(19);
    expect(matched).toBe(compared);
    expect(crossed).toBe(0);
  }, 20_000);

  it("reads a spot feed split over two files as one stream", () => {
    const [first, second] = FIXTURES.spotFeed() as [string, string];
    const events = readBinanceFeed([first, second]).get("BTC")!;
    expect(events.filter((e) => e.kind === "snapshot")).toHaveLength(1);
    // The second file starts at midnight without a snapshot: its 300 depth diffs continue
    // the first file's book (U = previous u + 1 across the files), none dropped.
    const midnight = Date.UTC(2024, 7, 9);
    expect(events.filter((e) => e.kind === "diff" && e.ts >= midnight)).toHaveLength(300);
    expect(events[events.length - 1]!.ts).toBeGreaterThanOrEqual(midnight + 29_000);
    // Read alone, the second file has no snapshot to sync to: no diff is applied.
    expect(readBinanceFeed(second).get("BTC")!.filter((e) => e.kind === "diff")).toEqual([]);
  }, 20_000);
});
