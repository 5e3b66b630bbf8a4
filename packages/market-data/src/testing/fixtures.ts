/**
 * The recorded market data the tests and the replay bench read, all inside the
 * repository: the slices in packages/market-data/fixtures (origin and how each was
 * cut: fixtures/README.md) and the backtest demo set that apps/worker ships in
 * apps/worker/data/demo (one copy of each slice). Not exported by the package.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** packages/market-data/fixtures. */
const FIXTURE_DIR = resolve(here, "..", "..", "fixtures");
/** apps/worker/data/demo, from packages/market-data/src/testing. */
const DEMO_DIR = resolve(here, "..", "..", "..", "..", "apps", "worker", "data", "demo");

function existing(path: string): string {
  if (!existsSync(path)) throw new Error(`fixture ${path} is missing from the repository`);
  return path;
}

/** Absolute path of a file of packages/market-data/fixtures; throws when it is missing. */
export function fixtureFile(name: string): string {
  return existing(join(FIXTURE_DIR, name));
}

/** Absolute path of a file of the worker's demo set (apps/worker/data/demo); throws when it is missing. */
export function demoFile(name: string): string {
  return existing(join(DEMO_DIR, name));
}

/** The recorded slices by what they hold. */
export const FIXTURES = {
  /** Binance USD-M BTCUSDT one-minute klines, 2025-05-25 10:33 UTC + 2 days (2,880 rows, one-symbol format, gzip). */
  btcKlines: () => fixtureFile("binance-usdm-perp_BTCUSDT_1m_2025-05-25_2025-05-27.csv.gz"),
  /** The same two days of ETHUSDT. */
  ethKlines: () => fixtureFile("binance-usdm-perp_ETHUSDT_1m_2025-05-25_2025-05-27.csv.gz"),
  /** BTCUSDT and ETHUSDT 8-hour funding settlements over the two kline days and the next one. */
  funding: () => fixtureFile("binance-usdm_funding-8h_BTC-ETH_2025-05-25_2025-05-27.csv.gz"),
  /** Binance USD-M BTCUSDT raw WebSocket feed: REST snapshot, then 30 s of depth diffs, trades and book tickers. */
  usdmFeed: () => fixtureFile("hftbacktest_binance-usdm_BTCUSDT_raw-feed_2024-08-08T2354_30s.gz"),
  /** Binance spot BTCUSDT raw feed in two consecutive files: 23:54:13-23:59:59 (with the snapshot), then 00:00:00-00:00:30. */
  spotFeed: () => [
    fixtureFile("hftbacktest_binance-spot_BTCUSDT_raw-feed_2024-08-08T2354-2400.gz"),
    fixtureFile("hftbacktest_binance-spot_BTCUSDT_raw-feed_2024-08-09T0000_30s.gz"),
  ],
  /** Demo klines: six symbols, 2025-06-21 00:00 to 06-23 23:59 UTC, long format (25,920 rows, gzip). */
  demoKlines: () => demoFile("klines_6sym_1m_2025-06-21_2025-06-23.csv.gz"),
  /** Demo funding: the six symbols' 8-hour settlements from 2025-06-20 16:00 to 06-23 16:00 UTC (gzip). */
  demoFunding: () => demoFile("funding_6sym_8h_2025-06-21_2025-06-23.csv.gz"),
} as const;
