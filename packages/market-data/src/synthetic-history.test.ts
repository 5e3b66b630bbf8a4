import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { ReplayMarket } from "./replay/replay-market.js";
import { SyntheticMarket } from "./synthetic-market.js";
import { writeSyntheticHistory } from "./synthetic-history.js";

const START = Date.UTC(2025, 3, 7, 9, 30);
const MINUTES = 600;
const dir = () => mkdtempSync(join(tmpdir(), "market-data-synth-history-"));

describe("writeSyntheticHistory", () => {
  it("writes every closed minute of the synthetic market and its funding, which a replay reads back", async () => {
    const history = await writeSyntheticHistory({ directory: dir(), seed: "s", minutes: MINUTES, startTime: START, symbols: ["BTC", "SOL"] });
    expect(history.symbols).toEqual(["BTC", "SOL"]);
    const rows = readFileSync(history.klines, "utf8").trim().split("\n");
    expect(rows[0]).toBe("symbol,open_time,open,high,low,close,volume");
    expect(rows).toHaveLength(1 + 2 * MINUTES);
    // Hourly settlements from 10:00: 10 hours of them, the last at the end of the window.
    const funding = readFileSync(history.funding, "utf8").trim().split("\n").slice(1);
    expect(funding.filter((r) => r.startsWith("BTC,")).map((r) => Number(r.split(",")[1]))).toEqual(
      Array.from({ length: 10 }, (_, i) => Date.UTC(2025, 3, 7, 10 + i)),
    );

    // The same market run directly, with the same seed and symbols, shows the same candles.
    const clock = new ManualClock(START);
    const direct = new SyntheticMarket({
      clock,
      seed: "s",
      historyMinutes: 0,
      markets: new ReplayMarket({ clock, klines: [history.klines] }).markets(),
    });
    const end = START + MINUTES * 60_000;
    clock.set(end);
    const replay = new ReplayMarket({ clock, klines: [history.klines], funding: [history.funding] });
    expect(replay.startTime).toBe(START);
    expect(replay.endTime).toBe(end);
    for (const symbol of ["BTC", "SOL"]) {
      expect(replay.candles(symbol, "1m", 10_000)).toEqual(direct.candles(symbol, "1m", 10_000));
      expect(replay.candles(symbol, "1m", 10_000)).toHaveLength(MINUTES);
      expect(replay.fundingRate(symbol)!.rate.toString()).toBe(direct.fundingRate(symbol)!.rate.toString());
    }
  });

  it("gives the same bytes for the same seed and different ones for another seed", async () => {
    const a = await writeSyntheticHistory({ directory: dir(), seed: 7, minutes: 120, startTime: START });
    const b = await writeSyntheticHistory({ directory: dir(), seed: 7, minutes: 120, startTime: START });
    const c = await writeSyntheticHistory({ directory: dir(), seed: 8, minutes: 120, startTime: START });
    expect(a.symbols).toEqual(["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE"]);
    expect(readFileSync(b.klines, "utf8")).toBe(readFileSync(a.klines, "utf8"));
    expect(readFileSync(b.funding, "utf8")).toBe(readFileSync(a.funding, "utf8"));
    expect(readFileSync(c.klines, "utf8")).not.toBe(readFileSync(a.klines, "utf8"));
  });

  it("refuses a start off the minute, an empty length and an unknown symbol", async () => {
    await expect(writeSyntheticHistory({ directory: dir(), seed: 1, minutes: 10, startTime: START + 1 })).rejects.toThrow(RangeError);
    await expect(writeSyntheticHistory({ directory: dir(), seed: 1, minutes: 0 })).rejects.toThrow(RangeError);
    await expect(writeSyntheticHistory({ directory: dir(), seed: 1, minutes: 10, symbols: ["NOPE"] })).rejects.toThrow(/NOPE/);
  });
});
