/**
 * Replay speed in simulated minutes per second for one symbol (30 days of one-minute
 * klines, stepping the ManualClock minute by minute), with and without synthesized
 * L2 depth, and the cost of one market-intelligence snapshot.
 * Run: pnpm --filter @autonome/market-data bench [-- --data DIR]. The klines are BTC's
 * from a data directory (`--data DIR` or AUTONOME_DATA_DIR, e.g. what `pnpm autonome
 * data download` wrote) or, without one, a deterministic synthetic market of the same
 * size; the `data:` line says which. The last line is the summary a script reads:
 * `market-data replay: N sim-min/s`, the replay speed reading the price each minute
 * (no synthesized depth); the 20-level depth figure is printed above it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@autonome/core";
import { ReplayMarket, SyntheticMarket, computeMarketSnapshot } from "../src/index.js";
import { FIXTURES } from "../src/testing/fixtures.js";
import { dataDirOption } from "../../../scripts/bench-data.js";
import { btcHistory } from "./data.js";

const scratch = mkdtempSync(join(tmpdir(), "market-data-bench-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
const data = await btcHistory(dataDirOption(), scratch);
console.log(`data: ${data.label}`);
const RUNS = 3;

function load(): { market: ReplayMarket; clock: ManualClock; ms: number } {
  const started = performance.now();
  const clock = new ManualClock(0);
  const market = new ReplayMarket({ clock, klines: data.klines, funding: data.funding });
  return { market, clock, ms: performance.now() - started };
}

/** Replays every minute of the file once; returns simulated minutes per wall-clock second. */
function replaySpeed(read: (market: ReplayMarket) => unknown): number {
  const { market, clock } = load();
  const start = market.startTime;
  const minutes = Math.floor((market.endTime - start) / 60_000);
  let sink = 0;
  const started = performance.now();
  for (let i = 0; i <= minutes; i++) {
    const t = start + i * 60_000;
    clock.set(t);
    market.advanceTo(t);
    sink += read(market) === undefined ? 0 : 1;
  }
  const seconds = (performance.now() - started) / 1000;
  if (sink !== minutes + 1) throw new Error("replay lost a step");
  return minutes / seconds;
}

function best(fn: () => number): number {
  let top = 0;
  for (let i = 0; i < RUNS; i++) top = Math.max(top, fn());
  return top;
}

const loaded = load();
const minutes = Math.floor((loaded.market.endTime - loaded.market.startTime) / 60_000);
console.log(`load: ${minutes} one-minute klines of BTC (gzip CSV) + funding in ${loaded.ms.toFixed(0)} ms`);

const advanceOnly = best(() => replaySpeed((m) => m.nextEventTime() ?? 0));
console.log(`replay, clock + advanceTo only:                 ${Math.round(advanceOnly).toLocaleString("en-US")} sim-min/s`);
const withoutDepth = best(() => replaySpeed((m) => m.midPrice("BTC")));
console.log(`replay + midPrice (no synthesized depth):      ${Math.round(withoutDepth).toLocaleString("en-US")} sim-min/s`);
const withDepth = best(() => replaySpeed((m) => m.book("BTC", 20)));
console.log(`replay + 20-level synthesized L2 book:         ${Math.round(withDepth).toLocaleString("en-US")} sim-min/s`);
const withCandles = best(() => replaySpeed((m) => m.candles("BTC", "5m", 1)));
console.log(`replay + last closed 5m candle:                ${Math.round(withCandles).toLocaleString("en-US")} sim-min/s`);

// Indicator cost: uncached snapshots (3-minute intraday + 4-hour context) over the six-symbol demo set of the repository.
{
  const clock = new ManualClock(0);
  const market = new ReplayMarket({ clock, klines: [FIXTURES.demoKlines()], funding: [FIXTURES.demoFunding()] });
  clock.set(market.startTime + 2 * 86_400_000);
  const symbols = market.markets().map((m) => m.symbol);
  let count = 0;
  const started = performance.now();
  for (let i = 0; i < 200; i++) {
    clock.advanceTo(clock.now() + 60_000);
    for (const symbol of symbols) {
      computeMarketSnapshot(market, symbol);
      count++;
    }
  }
  const perSnapshotUs = ((performance.now() - started) * 1000) / count;
  console.log(`market intelligence: ${perSnapshotUs.toFixed(0)} µs per snapshot (replay, 3m intraday + 4h context, ${count} snapshots)`);
}
{
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  const built = performance.now();
  const market = new SyntheticMarket({ clock, seed: 1 });
  const buildMs = performance.now() - built;
  let count = 0;
  const started = performance.now();
  for (let i = 0; i < 100; i++) {
    clock.advanceTo(clock.now() + 60_000);
    for (const { symbol } of market.markets()) {
      computeMarketSnapshot(market, symbol);
      count++;
    }
  }
  const perSnapshotUs = ((performance.now() - started) * 1000) / count;
  console.log(`synthetic market: built 6 symbols with 10 days of history in ${buildMs.toFixed(0)} ms; ${perSnapshotUs.toFixed(0)} µs per snapshot incl. simulation`);
}

console.log(`market-data replay: ${Math.round(withoutDepth)} sim-min/s`);
