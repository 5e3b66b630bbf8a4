import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { runMarketSourceContract } from "./market-source.case.js";
import { MarketRecorder, type RecordingFiles } from "./recorder.js";
import { ReplayMarket } from "./replay/replay-market.js";
import { SyntheticMarket } from "./synthetic-market.js";
import { FIXTURES } from "./testing/fixtures.js";
import type { MarketSource } from "./types.js";

const START = Date.UTC(2025, 2, 3, 12);

interface Observation {
  ts: number;
  books: Record<string, unknown>;
  candles1m: Record<string, unknown>;
  candles5m: Record<string, unknown>;
  funding: Record<string, unknown>;
  mid: Record<string, string>;
}

function observe(source: MarketSource, ts: number): Observation {
  const o: Observation = { ts, books: {}, candles1m: {}, candles5m: {}, funding: {}, mid: {} };
  for (const { symbol } of source.markets()) {
    o.books[symbol] = source.book(symbol, 10);
    o.candles1m[symbol] = source.candles(symbol, "1m", 150);
    o.candles5m[symbol] = source.candles(symbol, "5m", 30);
    const f = source.fundingRate(symbol);
    o.funding[symbol] = f && { rate: f.rate.toString(), ts: f.ts };
    o.mid[symbol] = source.midPrice(symbol).toString();
  }
  return o;
}

async function recordSynthetic(steps: number, stepMs: number): Promise<{ files: RecordingFiles; observations: Observation[] }> {
  const clock = new ManualClock(START);
  const source = new SyntheticMarket({ clock, seed: 11, historyMinutes: 120 });
  const recorder = new MarketRecorder({ source, directory: mkdtempSync(join(tmpdir(), "market-data-rec-")), bookDepth: 10, historyMinutes: 120 });
  const observations = [observe(source, clock.now())];
  for (let i = 0; i < steps; i++) {
    clock.advanceTo(clock.now() + stepMs);
    source.advanceTo(clock.now());
    observations.push(observe(source, clock.now()));
  }
  return { files: await recorder.close(), observations };
}

let recording: Promise<{ files: RecordingFiles; observations: Observation[] }> | undefined;
const sharedRecording = () => (recording ??= recordSynthetic(120, 10_000));

function replayOf(files: RecordingFiles, clock: ManualClock): ReplayMarket {
  return new ReplayMarket({ clock, klines: [files.klines], funding: [files.funding], lighterCaptures: [files.books] });
}

runMarketSourceContract("ReplayMarket over a recorded session (Lighter capture + klines + funding)", async () => {
  const { files } = await sharedRecording();
  const clock = new ManualClock(START);
  const source = replayOf(files, clock);
  source.advanceTo(START);
  const advance = async (ms: number) => {
    clock.advanceTo(clock.now() + ms);
    source.advanceTo(clock.now());
  };
  return { source, advance, manualClock: true, deterministic: true, close: () => source.close() };
});

describe("MarketRecorder", () => {
  it("records a synthetic session that replays to identical books, mids, candles and funding", async () => {
    const { files, observations } = await sharedRecording();
    const clock = new ManualClock(START);
    const replay = replayOf(files, clock);
    expect(replay.symbols().sort()).toEqual(["BNB", "BTC", "DOGE", "ETH", "SOL", "XRP"]);
    let fundingSeen = 0;
    for (const expected of observations) {
      clock.set(expected.ts);
      const actual = observe(replay, expected.ts);
      expect(actual).toEqual(expected);
      fundingSeen += Object.values(expected.funding).filter(Boolean).length;
    }
    expect(fundingSeen).toBeGreaterThan(0);
    // Books are written as a snapshot per symbol, then diffs only.
    const lines = readFileSync(files.books, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string });
    expect(lines.filter((l) => l.type === "subscribed/order_book")).toHaveLength(6);
    expect(lines.filter((l) => l.type === "update/order_book").length).toBeGreaterThan(100);
  });

  it("records a replay of recorded klines and funding that replays to the same candles and funding", async () => {
    const clock = new ManualClock(0);
    const klines = FIXTURES.demoKlines();
    const funding = FIXTURES.demoFunding();
    const original = new ReplayMarket({ clock, klines: [klines], funding: [funding] });
    clock.set(original.startTime + 8 * 3_600_000);
    const recorder = new MarketRecorder({ source: original, directory: mkdtempSync(join(tmpdir(), "market-data-rec2-")), historyMinutes: 8 * 60, symbols: ["BTC"] });
    const expected: Array<{ ts: number; candles: unknown; funding: unknown; book: unknown }> = [];
    for (let i = 0; i < 30; i++) {
      clock.advanceTo(clock.now() + 17 * 60_000);
      original.advanceTo(clock.now());
      const f = original.fundingRate("BTC")!;
      expected.push({ ts: clock.now(), candles: original.candles("BTC", "1h", 12), funding: [f.rate.toString(), f.ts], book: original.book("BTC", 10) });
    }
    const files = await recorder.close();
    const replayClock = new ManualClock(0);
    const replay = replayOf(files, replayClock);
    for (const e of expected) {
      replayClock.set(e.ts);
      const f = replay.fundingRate("BTC")!;
      expect({ ts: e.ts, candles: replay.candles("BTC", "1h", 12), funding: [f.rate.toString(), f.ts], book: replay.book("BTC", 10) }).toEqual(e);
    }
  });
});
