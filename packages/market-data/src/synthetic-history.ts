/**
 * A seeded SyntheticMarket's history written as replay files, for backtests and
 * benchmarks that need weeks of one-minute data without a recorded data set: the
 * same seed, symbols, start and length give the same bytes.
 */
import { rmSync } from "node:fs";
import { DEFAULT_MARKETS, ManualClock, type Market } from "@autonome/core";
import { MINUTE_MS } from "./internal/candle-store.js";
import { MarketRecorder } from "./recorder.js";
import { SyntheticMarket, type SyntheticSignal } from "./synthetic-market.js";

/** What history to write. */
export interface SyntheticHistoryOptions {
  /** Directory the files are written to (created if missing). */
  directory: string;
  /** Seed of the synthetic market. */
  seed: number | string;
  /** One-minute bars a symbol (43,200 = 30 days). */
  minutes: number;
  /** Open time of the first bar, epoch ms on a minute (default 2025-01-01 00:00 UTC). */
  startTime?: number;
  /** Symbols (default every market of `markets`). */
  symbols?: readonly string[];
  /** Market metadata (default core's DEFAULT_MARKETS: the six majors). */
  markets?: readonly Market[];
  /** A planted momentum signal (see SyntheticMarketOptions.signal); none by default. */
  signal?: SyntheticSignal;
}

/** The files written and what they hold. */
export interface SyntheticHistory {
  /** Long-format one-minute klines (`symbol,open_time,open,high,low,close,volume`). */
  klines: string;
  /** Funding settlements (`symbol,funding_time,funding_rate`), hourly as the synthetic market settles. */
  funding: string;
  symbols: string[];
  minutes: number;
  startTime: number;
}

/** Default first bar of a synthetic history. */
export const SYNTHETIC_HISTORY_START = Date.UTC(2025, 0, 1);

const DAY_MS = 86_400_000;

/**
 * Runs a SyntheticMarket (no warm-up history) from `startTime` for `minutes` and
 * records its closed one-minute candles and funding settlements with a MarketRecorder:
 * `klines.csv` and `funding.csv` in `directory`, which ReplayMarket and `pnpm backtest
 * --data` read.
 */
export async function writeSyntheticHistory(options: SyntheticHistoryOptions): Promise<SyntheticHistory> {
  const startTime = options.startTime ?? SYNTHETIC_HISTORY_START;
  if (!Number.isInteger(options.minutes) || options.minutes <= 0) throw new RangeError(`minutes must be a positive integer, got ${options.minutes}`);
  if (startTime % MINUTE_MS !== 0) throw new RangeError(`startTime ${startTime} is not on a minute`);
  const all = options.markets ?? DEFAULT_MARKETS;
  const symbols = options.symbols ?? all.map((m) => m.symbol);
  const markets = symbols.map((symbol) => {
    const market = all.find((m) => m.symbol === symbol);
    if (!market) throw new RangeError(`unknown market ${symbol}`);
    return market;
  });
  const clock = new ManualClock(startTime);
  const source = new SyntheticMarket({ clock, seed: options.seed, markets, historyMinutes: 0, ...(options.signal ? { signal: options.signal } : {}) });
  const recorder = new MarketRecorder({ source, directory: options.directory, bookDepth: 1 });
  // Bars close as the clock passes their minute: advancing to the end closes exactly `minutes` of them.
  const end = startTime + options.minutes * MINUTE_MS;
  for (let t = startTime; t < end; ) {
    t = Math.min(t + DAY_MS, end);
    clock.advanceTo(t);
    source.advanceTo(t);
  }
  const files = await recorder.close();
  await source.close();
  rmSync(files.books, { force: true });
  return { klines: files.klines, funding: files.funding, symbols: markets.map((m) => m.symbol), minutes: options.minutes, startTime };
}
