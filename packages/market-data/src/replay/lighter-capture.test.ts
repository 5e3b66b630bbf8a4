import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_MARKETS, ManualClock, MarketRegistry } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { BookSequenceError, MarketDataFormatError } from "../errors.js";
import { readLighterCapture } from "./lighter-capture.js";
import { ReplayMarket } from "./replay-market.js";

// A small hand-written capture in the documented format (lighter-api.md §2b).
const FIXTURE = fileURLToPath(new URL("./fixtures/lighter-order-book.jsonl", import.meta.url));
const T = 1766434222000;
const tmp = mkdtempSync(join(tmpdir(), "market-data-lighter-"));
const registry = new MarketRegistry(DEFAULT_MARKETS);

describe("readLighterCapture", () => {
  it("turns snapshots, diffs, trades and market stats into events per market id", () => {
    const events = readLighterCapture(FIXTURE, registry);
    expect([...events.keys()]).toEqual(["ETH", "BTC"]);
    expect(events.get("ETH")!.map((e) => e.kind)).toEqual(["snapshot", "diff", "stats", "trade", "diff"]);
    expect(events.get("BTC")!.map((e) => [e.kind, e.ts])).toEqual([
      ["snapshot", T + 100],
      ["diff", T + 250],
    ]);
  });

  it("throws BookSequenceError with file and line when begin_nonce breaks the chain", () => {
    const lines = readFileSync(FIXTURE, "utf8").split("\n");
    lines[6] = lines[6]!.replace('"begin_nonce":4037957053', '"begin_nonce":4037957054');
    const path = join(tmp, "gap.jsonl");
    writeFileSync(path, lines.join("\n"));
    try {
      readLighterCapture(path, registry);
      expect.unreachable("a nonce gap must throw");
    } catch (error) {
      expect(error).toBeInstanceOf(BookSequenceError);
      expect([(error as BookSequenceError).symbol, (error as BookSequenceError).line]).toEqual(["ETH", 7]);
    }
    expect(readLighterCapture(path, registry, { onGap: "resync" }).get("ETH")!.map((e) => e.kind)).toContain("reset");
  });

  it("names the line of an unknown market or malformed level", () => {
    const path = join(tmp, "bad.jsonl");
    writeFileSync(path, `${readFileSync(FIXTURE, "utf8").split("\n")[1]}\n{"channel":"order_book:4242","order_book":{"bids":[],"asks":[]},"timestamp":1,"type":"subscribed/order_book"}\n`);
    expect(() => readLighterCapture(path, registry)).toThrow(MarketDataFormatError);
    writeFileSync(path, `{"channel":"order_book:0","order_book":{"bids":[{"price":"x","size":"1"}],"asks":[]},"timestamp":1,"type":"subscribed/order_book"}\n`);
    try {
      readLighterCapture(path, registry);
    } catch (error) {
      expect((error as MarketDataFormatError).line).toBe(1);
    }
  });
});

describe("ReplayMarket over a Lighter capture", () => {
  it("rebuilds each book and reads mark, open interest, funding and trades", () => {
    const clock = new ManualClock(T + 60);
    const source = new ReplayMarket({ clock, lighterCaptures: [FIXTURE] });
    expect(source.book("ETH", 5)).toEqual({
      symbol: "ETH",
      ts: T + 60,
      bids: [{ price: "3327.41", size: "2.5000" }, { price: "3327.40", size: "10.2898" }, { price: "3327.00", size: "5.0000" }],
      asks: [{ price: "3327.50", size: "1.0000" }],
    });
    expect(() => source.book("BTC", 5)).toThrow(); // no BTC data yet at this time
    clock.set(T + 60_000);
    expect(source.book("ETH", 1).bids[0]).toEqual({ price: "3327.42", size: "1.0000" });
    expect(source.book("BTC", 5).asks.map((l) => l.price)).toEqual(["87000.3", "87000.5"]);
    expect(source.midPrice("ETH").toString()).toBe("3327.46");
    expect(source.markPrice("ETH").toString()).toBe("3327.45");
    expect(source.openInterest("ETH")!.toString()).toBe("1000");
    expect(source.fundingRate("ETH")!.rate.toString()).toBe("0.000012");
    expect(source.candles("ETH", "1m", 5)).toEqual([
      { openTime: Math.floor(T / 60_000) * 60_000, closeTime: Math.floor(T / 60_000) * 60_000 + 60_000, open: 3327.5, high: 3327.5, low: 3327.5, close: 3327.5, volume: 0.5 },
    ]);
  });
});
