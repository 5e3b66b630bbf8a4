/**
 * `autonome data download`: history for backtests, in the replay format.
 * - Binance USD-M public archives (data.binance.vision layout): monthly kline zips for
 *   whole months, daily ones for the rest, monthly funding-rate zips; each verified
 *   against its published `.CHECKSUM` (sha256) and unzipped in process (fflate).
 * - Lighter REST: /api/v1/candles (1m) and /api/v1/fundings (1h), paged, each page
 *   kept on disk so a rerun skips what it has.
 * Output (under --out): `<source>_klines_1m_<from>_<to>.csv.gz` in long format
 * (`symbol,open_time,open,high,low,close,volume`) and `<source>_funding_<from>_<to>.csv`
 * (`symbol,funding_time,funding_rate`), which `pnpm backtest --data <out>` reads.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DEFAULT_MARKETS } from "@autonome/core";
import { unzipSync } from "fflate";
import { DownloadError, type FetchOutcome, fetchFile } from "./fetch-file.js";

/** Default base URL of Binance's public archives (--binance-url). */
export const DEFAULT_BINANCE_URL = "https://data.binance.vision";
/** Default base URL of Lighter's REST API (--lighter-url). */
export const DEFAULT_LIGHTER_URL = "https://mainnet.zklighter.elliot.ai";

/** What to download. */
export interface DownloadOptions {
  source: "binance" | "lighter";
  /** Market symbols (BTC, ETH...). */
  symbols: string[];
  /** First day (UTC midnight, epoch ms). */
  fromMs: number;
  /** End, exclusive (UTC midnight, epoch ms). */
  toMs: number;
  outDir: string;
  binanceUrl?: string;
  lighterUrl?: string;
  /** Progress lines (default none). */
  log?: (line: string) => void;
}

/** What a download produced. */
export interface DownloadResult {
  klinesFile: string;
  fundingFile: string;
  klineRows: number;
  fundingRows: number;
  files: FetchOutcome[];
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const month = (ms: number) => new Date(ms).toISOString().slice(0, 7);

function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
function nextMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The archive files (path under the base URL) covering [from, to): whole months monthly, the rest daily. */
export function binanceKlineArchives(pair: string, fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  let t = fromMs;
  while (t < toMs) {
    const m0 = monthStart(t);
    const m1 = nextMonth(t);
    if (t === m0 && m1 <= toMs) {
      out.push(`/data/futures/um/monthly/klines/${pair}/1m/${pair}-1m-${month(t)}.zip`);
      t = m1;
    } else {
      out.push(`/data/futures/um/daily/klines/${pair}/1m/${pair}-1m-${day(t)}.zip`);
      t += DAY_MS;
    }
  }
  return out;
}

/** The monthly funding-rate archives touching [from, to). */
export function binanceFundingArchives(pair: string, fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  for (let t = monthStart(fromMs); t < toMs; t = nextMonth(t)) out.push(`/data/futures/um/monthly/fundingRate/${pair}/${pair}-fundingRate-${month(t)}.zip`);
  return out;
}

function csvOfZip(path: string): string {
  const entries = unzipSync(new Uint8Array(readFileSync(path)));
  const name = Object.keys(entries).find((n) => n.endsWith(".csv"));
  if (!name) throw new DownloadError(path, "the archive holds no CSV file");
  return Buffer.from(entries[name]!).toString("utf8");
}

async function checksumOf(url: string, path: string): Promise<string> {
  await fetchFile(url, path, { maxResumes: 4 });
  const text = readFileSync(path, "utf8").trim();
  const hash = text.split(/\s+/)[0] ?? "";
  if (!/^[0-9a-f]{64}$/i.test(hash)) throw new DownloadError(url, `not a sha256 checksum file: "${text.slice(0, 80)}"`);
  return hash;
}

function writeOutputs(outDir: string, source: string, options: DownloadOptions, klines: Map<string, string[]>, funding: Map<string, string[]>): Pick<DownloadResult, "klinesFile" | "fundingFile" | "klineRows" | "fundingRows"> {
  const span = `${day(options.fromMs)}_${day(options.toMs - 1)}`;
  const klinesFile = join(outDir, `${source}_klines_1m_${span}.csv.gz`);
  const fundingFile = join(outDir, `${source}_funding_${span}.csv`);
  const kl = ["symbol,open_time,open,high,low,close,volume"];
  let klineRows = 0;
  for (const symbol of [...klines.keys()].sort()) {
    for (const row of klines.get(symbol)!) kl.push(`${symbol},${row}`);
    klineRows += klines.get(symbol)!.length;
  }
  writeFileSync(klinesFile, gzipSync(`${kl.join("\n")}\n`));
  const fu = ["symbol,funding_time,funding_rate"];
  let fundingRows = 0;
  for (const symbol of [...funding.keys()].sort()) {
    for (const row of funding.get(symbol)!) fu.push(`${symbol},${row}`);
    fundingRows += funding.get(symbol)!.length;
  }
  writeFileSync(fundingFile, `${fu.join("\n")}\n`);
  return { klinesFile, fundingFile, klineRows, fundingRows };
}

/** Sorted unique rows by their first (time) column, kept within [from, to). */
function window(rows: Map<number, string>, fromMs: number, toMs: number): string[] {
  return [...rows.entries()].filter(([t]) => t >= fromMs && t < toMs).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

async function downloadBinance(options: DownloadOptions): Promise<DownloadResult> {
  const base = (options.binanceUrl ?? DEFAULT_BINANCE_URL).replace(/\/+$/, "");
  const raw = join(options.outDir, "raw", "binance");
  const files: FetchOutcome[] = [];
  const klines = new Map<string, string[]>();
  const funding = new Map<string, string[]>();
  const log = options.log ?? (() => {});
  const plan = options.symbols.flatMap((s) => [...binanceKlineArchives(`${s}USDT`, options.fromMs, options.toMs), ...binanceFundingArchives(`${s}USDT`, options.fromMs, options.toMs)]);
  let done = 0;
  for (const symbol of options.symbols) {
    const pair = `${symbol}USDT`;
    const rows = new Map<number, string>();
    for (const archive of binanceKlineArchives(pair, options.fromMs, options.toMs)) {
      const path = join(raw, archive);
      const sha = await checksumOf(`${base}${archive}.CHECKSUM`, `${path}.CHECKSUM`);
      const outcome = await fetchFile(`${base}${archive}`, path, { sha256: sha });
      files.push(outcome);
      log(`data: ${++done}/${plan.length} ${archive} ${outcome.status}${outcome.resumes > 0 ? ` (resumed ${outcome.resumes}x)` : ""}, ${outcome.bytes} bytes`);
      for (const line of csvOfZip(path).split(/\r?\n/)) {
        const cells = line.split(",");
        if (cells.length < 6 || !/^\d+$/.test(cells[0]!)) continue; // header or blank
        let t = Number(cells[0]);
        if (t > 1e14) t = Math.floor(t / 1000); // microseconds (newer archives)
        rows.set(t, `${t},${cells[1]},${cells[2]},${cells[3]},${cells[4]},${cells[5]}`);
      }
    }
    klines.set(pair, window(rows, options.fromMs, options.toMs));
    const rates = new Map<number, string>();
    for (const archive of binanceFundingArchives(pair, options.fromMs, options.toMs)) {
      const path = join(raw, archive);
      const sha = await checksumOf(`${base}${archive}.CHECKSUM`, `${path}.CHECKSUM`);
      const outcome = await fetchFile(`${base}${archive}`, path, { sha256: sha });
      files.push(outcome);
      log(`data: ${++done}/${plan.length} ${archive} ${outcome.status}, ${outcome.bytes} bytes`);
      for (const line of csvOfZip(path).split(/\r?\n/)) {
        const cells = line.split(",");
        if (cells.length < 3 || !/^\d+$/.test(cells[0]!)) continue; // calc_time,funding_interval_hours,last_funding_rate
        const t = Number(cells[0]);
        rates.set(t, `${t},${cells[2]}`);
      }
    }
    // The settlement in force at the start is kept too (the one before `from`).
    const before = [...rates.keys()].filter((t) => t < options.fromMs).sort((a, b) => b - a)[0];
    funding.set(pair, window(rates, before ?? options.fromMs, options.toMs));
  }
  return { ...writeOutputs(options.outDir, "binance", options, klines, funding), files };
}

async function getJson(url: string, path: string): Promise<unknown> {
  if (!existsSync(path)) {
    const outcome = await fetchFile(url, path, { maxResumes: 4 });
    if (outcome.status === "missing") throw new DownloadError(url, "HTTP 404");
  }
  try {
    const body = JSON.parse(readFileSync(path, "utf8")) as { code?: number };
    if (body.code !== undefined && body.code !== 200) throw new DownloadError(url, `Lighter error code ${body.code}`);
    return body;
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    throw new DownloadError(url, `not JSON (${(error as Error).message})`);
  }
}

const LIGHTER_PAGE_MINUTES = 1000;

async function downloadLighter(options: DownloadOptions): Promise<DownloadResult> {
  const base = (options.lighterUrl ?? DEFAULT_LIGHTER_URL).replace(/\/+$/, "");
  const raw = join(options.outDir, "raw", "lighter");
  mkdirSync(raw, { recursive: true });
  const klines = new Map<string, string[]>();
  const funding = new Map<string, string[]>();
  const files: FetchOutcome[] = [];
  const log = options.log ?? (() => {});
  const pages = Math.ceil((options.toMs - options.fromMs) / (LIGHTER_PAGE_MINUTES * MINUTE_MS));
  for (const symbol of options.symbols) {
    const market = DEFAULT_MARKETS.find((m) => m.symbol === symbol);
    if (!market) throw new DownloadError(symbol, `no Lighter market id known for ${symbol}`);
    const rows = new Map<number, string>();
    for (let page = 0; page < pages; page++) {
      const start = options.fromMs + page * LIGHTER_PAGE_MINUTES * MINUTE_MS;
      const end = Math.min(options.toMs, start + LIGHTER_PAGE_MINUTES * MINUTE_MS);
      const url = `${base}/api/v1/candles?market_id=${market.marketId}&resolution=1m&start_timestamp=${start}&end_timestamp=${end}&count_back=${LIGHTER_PAGE_MINUTES}`;
      const body = (await getJson(url, join(raw, `candles_${symbol}_${start}.json`))) as { c?: Array<{ t: number; o: number; h: number; l: number; c: number; v: number }> };
      for (const c of body.c ?? []) rows.set(c.t, `${c.t},${c.o},${c.h},${c.l},${c.c},${c.v}`);
      log(`data: lighter ${symbol} candles ${page + 1}/${pages}`);
    }
    klines.set(symbol, window(rows, options.fromMs, options.toMs));
    const hours = Math.ceil((options.toMs - options.fromMs) / 3_600_000) + 1;
    const url = `${base}/api/v1/fundings?market_id=${market.marketId}&resolution=1h&start_timestamp=${options.fromMs - 3_600_000}&end_timestamp=${options.toMs}&count_back=${hours}`;
    const body = (await getJson(url, join(raw, `fundings_${symbol}_${options.fromMs}_${options.toMs}.json`))) as {
      fundings?: Array<{ timestamp: number; rate: string; direction?: string }>;
    };
    const rates = new Map<number, string>();
    for (const f of body.fundings ?? []) {
      const t = f.timestamp < 1e11 ? f.timestamp * 1000 : f.timestamp; // seconds in the API
      // Signed as in Binance's files: positive when longs pay shorts.
      const rate = f.direction === "short" && !f.rate.startsWith("-") ? `-${f.rate}` : f.rate;
      rates.set(t, `${t},${rate}`);
    }
    funding.set(symbol, window(rates, options.fromMs - 3_600_000, options.toMs));
    log(`data: lighter ${symbol} fundings ${rates.size}`);
  }
  return { ...writeOutputs(options.outDir, "lighter", options, klines, funding), files };
}

/** Downloads history for a symbol set and date range into the replay format; resumable. */
export async function downloadHistory(options: DownloadOptions): Promise<DownloadResult> {
  mkdirSync(options.outDir, { recursive: true });
  return options.source === "binance" ? downloadBinance(options) : downloadLighter(options);
}
