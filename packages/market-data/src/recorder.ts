/**
 * Records any MarketSource's stream in the formats ReplayMarket reads, so a live
 * or simulated session can be replayed later:
 * - `klines.csv`: long-format one-minute klines (`symbol,open_time,open,high,low,close,volume`);
 * - `funding.csv`: settlements (`symbol,funding_time,funding_rate`);
 * - `books.jsonl`: a Lighter order_book capture (a snapshot per symbol, then diffs
 *   with begin_nonce = previous nonce) of the top `bookDepth` levels, plus trades.
 * Numbers are written in their shortest round-trip text, so a replay reads back
 * exactly the values the source gave. Replaying the files with the same advance
 * times reproduces the recorded books, candles and funding.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { L2Book, L2Level, MarketSource, MarketUpdate } from "./types.js";

/** Options of a recorder. */
export interface MarketRecorderOptions {
  source: MarketSource;
  /** Directory the three files are written to (created if missing). */
  directory: string;
  /** Levels a side recorded (default 20). */
  bookDepth?: number;
  /** Closed one-minute candles before the start to write as history (default 0). */
  historyMinutes?: number;
  /** Symbols to record (default: all of the source's markets). */
  symbols?: readonly string[];
}

/** The files a recorder writes. */
export interface RecordingFiles {
  klines: string;
  funding: string;
  books: string;
}

const FLUSH_LINES = 4096;

/** Writes a source's stream to replayable files until closed. */
export class MarketRecorder {
  /** Paths of the recording. */
  readonly files: RecordingFiles;
  private readonly source: MarketSource;
  private readonly depth: number;
  private readonly symbols: Set<string>;
  private readonly marketIds = new Map<string, number>();
  private readonly lastBooks = new Map<string, L2Book>();
  private readonly nonces = new Map<string, number>();
  private readonly buffers: Record<keyof RecordingFiles, string[]> = { klines: [], funding: [], books: [] };
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(options: MarketRecorderOptions) {
    this.source = options.source;
    this.depth = options.bookDepth ?? 20;
    mkdirSync(options.directory, { recursive: true });
    this.files = {
      klines: join(options.directory, "klines.csv"),
      funding: join(options.directory, "funding.csv"),
      books: join(options.directory, "books.jsonl"),
    };
    writeFileSync(this.files.klines, "symbol,open_time,open,high,low,close,volume\n");
    writeFileSync(this.files.funding, "symbol,funding_time,funding_rate\n");
    writeFileSync(this.files.books, "");
    const markets = this.source.markets().filter((m) => !options.symbols || options.symbols.includes(m.symbol));
    this.symbols = new Set(markets.map((m) => m.symbol));
    for (const market of markets) this.marketIds.set(market.symbol, market.marketId);
    const history = options.historyMinutes ?? 0;
    for (const symbol of this.symbols) {
      if (history > 0) for (const candle of this.source.candles(symbol, "1m", history)) this.writeCandle(symbol, candle);
      const funding = this.source.fundingRate(symbol);
      if (funding) this.buffers.funding.push(`${symbol},${funding.ts},${funding.rate.toString()}`);
      this.writeBook(symbol, this.source.book(symbol, this.depth));
    }
    this.unsubscribe = this.source.subscribe((update) => this.record(update));
  }

  private record(update: MarketUpdate): void {
    if (this.closed || !this.symbols.has(update.symbol)) return;
    switch (update.type) {
      case "candleClosed":
        this.writeCandle(update.symbol, update.candle);
        break;
      case "fundingSettled":
        this.buffers.funding.push(`${update.symbol},${update.ts},${update.rate}`);
        break;
      case "bookChanged":
        this.writeBook(update.symbol, this.source.book(update.symbol, this.depth));
        break;
      case "tradePrinted":
        this.buffers.books.push(
          JSON.stringify({
            channel: `trade:${this.marketIds.get(update.symbol)}`,
            trades: [
              {
                type: "trade",
                market_id: this.marketIds.get(update.symbol),
                price: update.price,
                size: update.size,
                is_maker_ask: update.takerSide === "buy",
                timestamp: update.ts,
              },
            ],
            timestamp: update.ts,
            type: "update/trade",
          }),
        );
        break;
    }
    if (this.buffers.books.length + this.buffers.klines.length >= FLUSH_LINES) this.flush();
  }

  private writeCandle(symbol: string, candle: { openTime: number; open: number; high: number; low: number; close: number; volume: number }): void {
    this.buffers.klines.push(`${symbol},${candle.openTime},${candle.open},${candle.high},${candle.low},${candle.close},${candle.volume}`);
  }

  private writeBook(symbol: string, book: L2Book): void {
    const marketId = this.marketIds.get(symbol)!;
    const previous = this.lastBooks.get(symbol);
    const nonce = (this.nonces.get(symbol) ?? 0) + 1;
    const levels = (side: readonly L2Level[]) => side.map((l) => ({ price: l.price, size: l.size }));
    if (!previous) {
      this.buffers.books.push(
        JSON.stringify({
          channel: `order_book:${marketId}`,
          offset: nonce,
          order_book: { code: 0, asks: levels(book.asks), bids: levels(book.bids), offset: nonce, nonce },
          timestamp: book.ts,
          type: "subscribed/order_book",
        }),
      );
    } else {
      const bids = diffLevels(previous.bids, book.bids);
      const asks = diffLevels(previous.asks, book.asks);
      if (bids.length === 0 && asks.length === 0) return;
      this.buffers.books.push(
        JSON.stringify({
          channel: `order_book:${marketId}`,
          offset: nonce,
          order_book: { code: 0, asks, bids, offset: nonce, nonce, begin_nonce: nonce - 1 },
          timestamp: book.ts,
          type: "update/order_book",
        }),
      );
    }
    this.nonces.set(symbol, nonce);
    this.lastBooks.set(symbol, book);
  }

  /** Writes buffered lines to disk. */
  flush(): void {
    for (const key of ["klines", "funding", "books"] as const) {
      const lines = this.buffers[key];
      if (lines.length === 0) continue;
      appendFileSync(this.files[key], `${lines.join("\n")}\n`);
      lines.length = 0;
    }
  }

  /** Stops recording and flushes; returns the files. */
  async close(): Promise<RecordingFiles> {
    if (!this.closed) {
      this.closed = true;
      this.unsubscribe();
      this.flush();
    }
    return this.files;
  }
}

/** The levels to send so `before` becomes `after`: changed or new levels, and removed ones at size "0". */
function diffLevels(before: readonly L2Level[], after: readonly L2Level[]): Array<{ price: string; size: string }> {
  const old = new Map(before.map((l) => [Number(l.price), l] as const));
  const out: Array<{ price: string; size: string }> = [];
  const seen = new Set<number>();
  for (const level of after) {
    const key = Number(level.price);
    seen.add(key);
    const prior = old.get(key);
    if (!prior || prior.size !== level.size || prior.price !== level.price) out.push({ price: level.price, size: level.size });
  }
  for (const [key, level] of old) if (!seen.has(key)) out.push({ price: level.price, size: "0" });
  return out;
}
