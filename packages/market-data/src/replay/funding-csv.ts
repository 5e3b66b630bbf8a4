/**
 * Funding-rate CSV: `[symbol,]funding_time,funding_rate[,mark_price...]` with a header;
 * the symbol comes from the column, the options or the file name. Rates are kept
 * as their exact text.
 */
import { MarketDataFormatError } from "../errors.js";
import { marketSymbolOf, pairInFileName, readTextLines } from "./text-file.js";

/** Settlements of one symbol, in time order. */
export interface FundingSeries {
  times: number[];
  rates: string[];
}

/** Reads a funding CSV into settlements keyed by market symbol. */
export function readFundingCsv(path: string, options: { symbol?: string } = {}): Map<string, FundingSeries> {
  const { file, lines } = readTextLines(path);
  const out = new Map<string, FundingSeries>();
  if (lines.length === 0) return out;
  const header = lines[0]!.split(",").map((c) => c.trim().toLowerCase());
  const iTime = header.indexOf("funding_time");
  const iRate = header.indexOf("funding_rate");
  const iSymbol = header.indexOf("symbol");
  if (iTime < 0 || iRate < 0) throw new MarketDataFormatError(file, 1, "expected a header with funding_time and funding_rate");
  const pair = iSymbol >= 0 ? undefined : (options.symbol ?? pairInFileName(path));
  if (iSymbol < 0 && pair === undefined) throw new MarketDataFormatError(file, 1, "no symbol column and no symbol in the options or file name");
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === "") continue;
    const cells = line.split(",");
    const symbol = marketSymbolOf(iSymbol >= 0 ? (cells[iSymbol] ?? "").trim() : pair!);
    const time = Number(cells[iTime]);
    const rateText = (cells[iRate] ?? "").trim();
    if (!Number.isFinite(time) || rateText === "" || !Number.isFinite(Number(rateText)) || symbol === "") {
      throw new MarketDataFormatError(file, n + 1, `expected funding_time and funding_rate, got "${line.slice(0, 120)}"`);
    }
    let series = out.get(symbol);
    if (!series) {
      series = { times: [], rates: [] };
      out.set(symbol, series);
    }
    const last = series.times[series.times.length - 1];
    if (last !== undefined && time <= last) throw new MarketDataFormatError(file, n + 1, `${symbol} funding_time ${time} does not follow ${last}`);
    series.times.push(time);
    series.rates.push(rateText);
  }
  return out;
}
