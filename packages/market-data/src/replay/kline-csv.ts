/**
 * Binance-format kline CSV: `open_time,open,high,low,close,volume[,...]`, one symbol
 * a file (symbol from the options or the file name) or long format with a
 * `symbol` column; a header is optional (without one, Binance's column order is
 * assumed), open_time may be epoch ms or µs. Only one-minute klines are accepted:
 * every larger interval is aggregated from them.
 */
import { MarketDataFormatError } from "../errors.js";
import { CandleStore, MINUTE_MS } from "../internal/candle-store.js";
import { marketSymbolOf, pairInFileName, readTextLines } from "./text-file.js";

const REQUIRED = ["open_time", "open", "high", "low", "close", "volume"] as const;

/** Reads a kline CSV into one-minute stores keyed by market symbol ("BTC"). */
export function readKlineCsv(path: string, options: { symbol?: string } = {}): Map<string, CandleStore> {
  const { file, lines } = readTextLines(path);
  const out = new Map<string, CandleStore>();
  if (lines.length === 0) return out;
  const first = lines[0]!.split(",").map((c) => c.trim().toLowerCase());
  const hasHeader = first.some((c) => c !== "" && Number.isNaN(Number(c)));
  const columns = hasHeader ? first : [...REQUIRED];
  const at = (name: string) => columns.indexOf(name);
  for (const name of REQUIRED) {
    if (at(name) < 0) throw new MarketDataFormatError(file, 1, `missing column ${name}`);
  }
  const symbolColumn = at("symbol");
  const fixedSymbol =
    symbolColumn >= 0
      ? undefined
      : marketSymbolOf(options.symbol ?? pairInFileName(path) ?? fail(file, "no symbol column and no symbol in the options or file name"));
  const [iTime, iOpen, iHigh, iLow, iClose, iVolume] = REQUIRED.map(at) as [number, number, number, number, number, number];
  const minDelta = new Map<string, number>();
  for (let n = hasHeader ? 1 : 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === "") continue;
    const cells = line.split(",");
    const lineNo = n + 1;
    const symbol = fixedSymbol ?? marketSymbolOf((cells[symbolColumn] ?? "").trim());
    if (symbol === "") throw new MarketDataFormatError(file, lineNo, "empty symbol");
    let openTime = Number(cells[iTime]);
    const open = Number(cells[iOpen]);
    const high = Number(cells[iHigh]);
    const low = Number(cells[iLow]);
    const close = Number(cells[iClose]);
    const volume = Number(cells[iVolume]);
    if (![openTime, open, high, low, close, volume].every(Number.isFinite) || cells.length < columns.length) {
      throw new MarketDataFormatError(file, lineNo, `expected ${columns.length} numeric columns, got "${line.slice(0, 120)}"`);
    }
    if (openTime > 1e14) openTime = Math.floor(openTime / 1000); // microseconds (Binance spot since 2025)
    if (openTime % MINUTE_MS !== 0) throw new MarketDataFormatError(file, lineNo, `open_time ${openTime} is not on a minute`);
    if (high < Math.max(open, close, low) || low > Math.min(open, close) || open <= 0 || low <= 0 || volume < 0) {
      throw new MarketDataFormatError(file, lineNo, "inconsistent OHLCV (high below a price, low above one, or a non-positive price)");
    }
    let store = out.get(symbol);
    if (!store) {
      store = new CandleStore(Math.min(lines.length, 65_536));
      out.set(symbol, store);
    }
    const last = store.lastOpenTime();
    if (openTime <= last) {
      throw new MarketDataFormatError(file, lineNo, `${symbol} open_time ${openTime} does not follow ${last} (duplicate or out of order)`);
    }
    if (Number.isFinite(last)) minDelta.set(symbol, Math.min(minDelta.get(symbol) ?? Infinity, openTime - last));
    store.push(openTime, open, high, low, close, volume);
  }
  for (const [symbol, delta] of minDelta) {
    if (delta !== MINUTE_MS) throw new MarketDataFormatError(file, 0, `${symbol} rows are ${delta / MINUTE_MS} minutes apart: only 1m klines are accepted`);
  }
  return out;
}

function fail(file: string, reason: string): never {
  throw new MarketDataFormatError(file, 1, reason);
}
