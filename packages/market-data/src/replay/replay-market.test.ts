import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { ManualClock, toDecimal } from "@autonome/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MarketDataFormatError } from "../errors.js";
import { runMarketSourceContract } from "../market-source.case.js";
import { FIXTURES } from "../testing/fixtures.js";
import type { MarketUpdate } from "../types.js";
import { ReplayMarket, type ReplayMarketOptions, ReplayRecording } from "./replay-market.js";

const SYMBOLS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE"];
const BTC = FIXTURES.btcKlines();
const ETH = FIXTURES.ethKlines();
const FUNDING = FIXTURES.funding();
const DEMO = FIXTURES.demoKlines();
const DEMO_FUNDING = FIXTURES.demoFunding();
const tmp = mkdtempSync(join(tmpdir(), "market-data-replay-"));

function replayHarness(options: Omit<ReplayMarketOptions, "clock">, startOffsetMs = 0) {
  const clock = new ManualClock(0);
  const source = new ReplayMarket({ clock, ...options });
  clock.set(source.startTime + startOffsetMs);
  source.advanceTo(clock.now());
  const advance = async (ms: number) => {
    clock.advanceTo(clock.now() + ms);
    source.advanceTo(clock.now());
  };
  return { clock, source, advance };
}

// The demo file (three days, six symbols, long format) keeps the contract quick.
let demoRecording: ReplayRecording | undefined;
runMarketSourceContract("ReplayMarket over klines and funding", async () => {
  demoRecording ??= ReplayRecording.load({ klines: [DEMO], funding: [DEMO_FUNDING] });
  const { source, advance } = replayHarness({ recording: demoRecording }, 2 * 86_400_000);
  return { source, advance, manualClock: true, deterministic: true, close: () => source.close() };
});

// The feed is read once and shared: every market built on it replays independently.
// Spot, split over two files: six minutes of a real book, enough for the contract's steps.
let spotFeed: ReplayRecording | undefined;
runMarketSourceContract("ReplayMarket over a Binance spot raw feed in two files", async () => {
  spotFeed ??= ReplayRecording.load({ binanceFeeds: [FIXTURES.spotFeed()] });
  const { source, advance } = replayHarness({ recording: spotFeed }, 1_000);
  return { source, advance, manualClock: true, deterministic: true, close: () => source.close() };
}, { timeoutMs: 20_000 });

describe("ReplayMarket over one-minute klines", () => {
  let btc: ReturnType<typeof replayHarness>;
  beforeAll(() => {
    btc = replayHarness({ klines: [BTC], funding: [FUNDING] });
  });

  it("reads the two-day gzip file whole and spans its window", () => {
    expect(btc.source.symbols()).toEqual(["BTC"]);
    // 2,880 gapless rows: 2025-05-25 10:33 to the bar opening 2025-05-27 10:32 UTC.
    expect(btc.source.startTime).toBe(1748169180000);
    expect(btc.source.endTime).toBe(1748341920000 + 60_000);
    expect(btc.source.endTime - btc.source.startTime).toBe(2880 * 60_000);
  });

  it("prices at the open of the minute in progress and shows only the candles closed before now", () => {
    const { clock, source } = btc;
    clock.set(source.startTime + 90_000); // 30 s into the second minute
    const candles = source.candles("BTC", "1m", 10);
    expect(candles).toHaveLength(1);
    expect(candles[0]).toMatchObject({ openTime: 1748169180000, open: 107187.4, high: 107194.2, low: 107165.0, close: 107194.2, volume: 22.67 });
    // The second bar opened at 107194.2 (its own open is known when it opens; its close is not).
    expect(source.midPrice("BTC").toString()).toBe("107194.2");
    expect(source.recordedPrice("BTC")).toBe("107194.2");
  });

  it("never returns a candle that closes after the clock, at any interval, however many are asked for", () => {
    const { clock, source } = btc;
    for (const step of [3_600_000 + 7_000, 4 * 3_600_000 - 1, 86_400_000]) {
      clock.advanceTo(clock.now() + step);
      for (const interval of ["1m", "5m", "1h", "4h"] as const) {
        const candles = source.candles("BTC", interval, 100_000);
        if (interval === "1m") expect(candles.length).toBeGreaterThan(0);
        for (const candle of candles) expect(candle.closeTime).toBeLessThanOrEqual(clock.now());
        expect(candles[0]?.openTime ?? source.startTime).toBeGreaterThanOrEqual(source.startTime);
      }
    }
  });

  it("settles funding from the funding CSV at its recorded times", () => {
    const { source } = btc;
    const funding = source.fundingRate("BTC")!;
    expect(funding.intervalMs).toBe(8 * 3_600_000);
    expect(funding.ts).toBeLessThanOrEqual(source.clock.now());
    expect(funding.nextFundingTime!).toBeGreaterThan(source.clock.now());
    const csv = gunzipSync(readFileSync(FUNDING)).toString("utf8").split("\n").filter((l) => l.startsWith("BTCUSDT,"));
    const row = csv.find((l) => Number(l.split(",")[1]) === funding.ts)!;
    expect(funding.rate.eq(toDecimal(row.split(",")[2]!))).toBe(true);
  });

  it("gives every settlement's recorded rate, parsed once: the same Decimal however often it is asked", () => {
    const { clock, source } = replayHarness({ recording: ReplayRecording.load({ klines: [BTC], funding: [FUNDING] }) });
    const csv = gunzipSync(readFileSync(FUNDING)).toString("utf8").split("\n").filter((l) => l.startsWith("BTCUSDT,"));
    const rateOf = new Map(csv.map((l) => [Number(l.split(",")[1]), l.split(",")[2]!]));
    let checked = 0;
    for (let t = source.startTime; t < source.endTime; t += 3 * 3_600_000) {
      clock.set(t);
      const first = source.fundingRate("BTC");
      if (first === undefined) continue;
      const again = source.fundingRate("BTC")!;
      expect(again.rate).toBe(first.rate);
      expect(first.rate.toString()).toBe(toDecimal(rateOf.get(first.ts)!).toString());
      checked++;
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("synthesizes depth around the recorded price with the spread widening after a volatile hour", () => {
    const { source } = btc;
    const book = source.book("BTC", 20);
    expect(book.bids).toHaveLength(20);
    const mid = toDecimal(book.bids[0]!.price).plus(book.asks[0]!.price).div(2);
    expect(mid.toString()).toBe(source.recordedPrice("BTC"));
  });

  it("emits closed candles, book changes and funding settlements while advancing", () => {
    const { clock, source } = replayHarness({ klines: [ETH], funding: [FUNDING] });
    const updates: MarketUpdate[] = [];
    source.subscribe((u) => updates.push(u));
    const start = clock.now();
    clock.advanceTo(start + 9 * 3_600_000);
    source.advanceTo(clock.now());
    const closed = updates.filter((u) => u.type === "candleClosed");
    expect(closed).toHaveLength(9 * 60);
    expect(updates.filter((u) => u.type === "fundingSettled").length).toBeGreaterThanOrEqual(1);
    expect(updates.filter((u) => u.type === "bookChanged")).toHaveLength(1);
  });

  it("walks the open, nearer extreme, other extreme, close path inside a minute with intrabar ohlc", () => {
    const { clock, source } = replayHarness({ klines: [BTC], intrabar: "ohlc" });
    // First bar: open 107187.4, high 107194.2 (6.8 away), low 107165.0 (22.4 away), close 107194.2: high first.
    const t0 = clock.now();
    const seen: Array<string | undefined> = [];
    for (const offset of [0, 15_000, 30_000, 45_000]) {
      clock.set(t0 + offset);
      seen.push(source.recordedPrice("BTC"));
      expect(source.nextEventTime()).toBe(t0 + offset + 15_000);
    }
    expect(seen).toEqual(["107187.4", "107194.2", "107165", "107194.2"]);
    expect(source.minuteBar("BTC", t0 + 45_000)).toEqual({ openTime: t0, open: "107187.4", high: "107194.2", low: "107165", close: "107194.2" });
    expect(source.minuteBar("BTC", t0 + 60_000)).toBeUndefined(); // later than the clock
  });

  it("lets several markets replay one recording independently", () => {
    const recording = ReplayRecording.load({ klines: [DEMO], funding: [DEMO_FUNDING] });
    expect(recording.symbols()).toHaveLength(6);
    const a = replayHarness({ recording });
    const b = replayHarness({ recording });
    a.clock.advanceTo(a.clock.now() + 86_400_000);
    a.source.advanceTo(a.clock.now());
    expect(b.source.candles("ETH", "1m", 5)).toEqual([]);
    b.clock.advanceTo(b.clock.now() + 86_400_000);
    expect(b.source.candles("ETH", "1h", 24)).toEqual(a.source.candles("ETH", "1h", 24));
    expect(b.source.book("SOL", 5)).toEqual(a.source.book("SOL", 5));
  });

  it("reads the long-format demo identically to one-symbol files of the same rows", () => {
    // Split the demo into one gzip file a symbol (Binance's own layout: no symbol column, the pair in the name).
    const [, ...rows] = gunzipSync(readFileSync(DEMO)).toString("utf8").trim().split("\n");
    const singleFiles = SYMBOLS.map((symbol) => {
      const own = rows.filter((r) => r.startsWith(`${symbol}USDT,`)).map((r) => r.slice(r.indexOf(",") + 1));
      expect(own).toHaveLength(3 * 1440);
      const path = join(tmp, `${symbol}USDT-1m-demo.csv.gz`);
      writeFileSync(path, gzipSync(`open_time,open,high,low,close,volume\n${own.join("\n")}\n`));
      return path;
    });
    const long = replayHarness({ klines: [DEMO] });
    const single = new ReplayMarket({ clock: long.clock, klines: singleFiles });
    long.clock.advanceTo(long.clock.now() + 2 * 86_400_000 + 123_000);
    for (const symbol of SYMBOLS) {
      expect(long.source.candles(symbol, "1h", 40)).toEqual(single.candles(symbol, "1h", 40));
      expect(long.source.book(symbol, 5)).toEqual(single.book(symbol, 5));
    }
  });

  it("reads plain and gzip copies of a file alike, and a headerless Binance file with extra columns", () => {
    const rows = ["1750464000000,100.5,101,100,100.7,3.5,1750464059999,351.2,10,1,100,0", "1750464060000,100.7,100.9,100.1,100.2,2,1750464119999,200.4,5,1,100,0"];
    writeFileSync(join(tmp, "PLAINUSDT-1m.csv"), rows.join("\n"));
    writeFileSync(join(tmp, "ZIPPEDUSDT-1m.csv"), gzipSync(rows.join("\n")));
    const markets = [{ ...btc.source.markets()[0]!, symbol: "PLAIN", marketId: 901 }, { ...btc.source.markets()[0]!, symbol: "ZIPPED", marketId: 902 }];
    const clock = new ManualClock(1750464000000 + 120_000);
    const source = new ReplayMarket({ clock, markets, klines: [join(tmp, "PLAINUSDT-1m.csv"), join(tmp, "ZIPPEDUSDT-1m.csv")] });
    expect(source.candles("PLAIN", "1m", 5)).toEqual(source.candles("ZIPPED", "1m", 5));
    expect(source.candles("PLAIN", "1m", 5)[1]).toMatchObject({ open: 100.7, close: 100.2, volume: 2 });
  });

  afterAll(() => btc.source.close());
});

describe("ReplayMarket input errors", () => {
  const write = (name: string, text: string) => {
    const path = join(tmp, name);
    writeFileSync(path, text);
    return path;
  };
  const load = (options: Omit<ReplayMarketOptions, "clock">) => () => new ReplayMarket({ clock: new ManualClock(0), ...options });
  const failure = (fn: () => unknown): MarketDataFormatError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof MarketDataFormatError) return error;
      throw error;
    }
    throw new Error("expected a MarketDataFormatError");
  };

  it("names the file and line of a row that is not numeric", () => {
    const path = write("bad-BTCUSDT.csv", "open_time,open,high,low,close,volume\n1750464000000,1,2,0.5,1.5,3\n1750464060000,1,2,oops,1.5,3\n");
    const error = failure(load({ klines: [path] }));
    expect(error.code).toBe("MARKET_DATA_FORMAT");
    expect(error.file).toBe(path);
    expect(error.line).toBe(3);
  });

  it("rejects out-of-order klines, inconsistent OHLC and non-minute intervals", () => {
    const header = "open_time,open,high,low,close,volume\n";
    expect(failure(load({ klines: [write("order-BTCUSDT.csv", `${header}1750464060000,1,2,0.5,1.5,3\n1750464000000,1,2,0.5,1.5,3\n`)] })).line).toBe(3);
    expect(failure(load({ klines: [write("ohlc-BTCUSDT.csv", `${header}1750464000000,1,0.9,0.5,1.5,3\n`)] })).line).toBe(2);
    expect(failure(load({ klines: [write("fivemin-BTCUSDT.csv", `${header}1750464000000,1,2,0.5,1.5,3\n1750464300000,1,2,0.5,1.5,3\n`)] })).reason).toMatch(/1m/);
  });

  it("asks for a symbol when neither a column nor the file name gives one", () => {
    const path = write("nameless.csv", "open_time,open,high,low,close,volume\n1750464000000,1,2,0.5,1.5,3\n");
    expect(failure(load({ klines: [path] })).reason).toMatch(/symbol/);
    const source = new ReplayMarket({ clock: new ManualClock(1750464060000), klines: [{ path, symbol: "SOLUSDT" }] });
    expect(source.symbols()).toEqual(["SOL"]);
  });

  it("names the line of a bad funding row", () => {
    const path = write("funding-bad.csv", "symbol,funding_time,funding_rate\nBTCUSDT,1,0.0001\nBTCUSDT,2,abc\n");
    const klines = write("ok-BTCUSDT.csv", "open_time,open,high,low,close,volume\n1750464000000,1,2,0.5,1.5,3\n");
    expect(failure(load({ klines: [klines], funding: [path] })).line).toBe(3);
  });

  it("reports a missing file as a format error on that file", () => {
    expect(failure(load({ klines: [join(tmp, "missing.csv")] })).file).toBe(join(tmp, "missing.csv"));
  });
});
