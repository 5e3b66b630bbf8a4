/**
 * Binance raw WebSocket recordings (the hftbacktest raw-feed format): one message a
 * line, `<local_recv_ts_ns> <json>`, where the JSON is a combined-stream message
 * (`{"stream":"btcusdt@depth@0ms","data":{...}}`) or the REST depth snapshot
 * (`{"lastUpdateId":...,"bids":...,"asks":...}`). Several files of one feed are read
 * as one stream (a later file continues an earlier one without a snapshot).
 *
 * Book sync follows Binance's rules. Diffs received before the snapshot are
 * buffered; those ending before it (u < lastUpdateId) are dropped. USD-M (diffs
 * carry `pu`): the first diff applied must straddle the snapshot (U <= L <= u), and
 * each later one must have pu equal to the previous u. Spot: first U <= L+1 <= u,
 * then U = previous u + 1. A break throws BookSequenceError with file and line, or
 * (onGap "resync") empties the book until the next snapshot.
 */
import { BookSequenceError, MarketDataFormatError } from "../errors.js";
import type { FeedEvent, FeedEventsBySymbol, LevelText } from "./feed-events.js";
import { marketSymbolOf, pairInFileName, readTextLines } from "./text-file.js";

/** Options of the Binance feed reader. */
export interface BinanceFeedOptions {
  /** Pair of the snapshot lines when the files hold several (default: the one pair seen, or the file name's). */
  symbol?: string;
  /** What a sequence break does (default "throw"). */
  onGap?: "throw" | "resync";
}

interface PendingDiff {
  ts: number;
  U: number;
  u: number;
  pu: number | undefined;
  bids: LevelText[];
  asks: LevelText[];
  line: number;
  file: string;
}

/** Reads one feed (one or more consecutive files) into events keyed by market symbol. */
export function readBinanceFeed(paths: string | readonly string[], options: BinanceFeedOptions = {}): FeedEventsBySymbol {
  const files = (typeof paths === "string" ? [paths] : [...paths]).map(readTextLines);
  const onGap = options.onGap ?? "throw";
  const out: FeedEventsBySymbol = new Map();
  const pairs = new Set<string>();
  // The snapshot carries no symbol: find the feed's pair first.
  for (const { lines } of files) {
    for (let n = 0; n < Math.min(lines.length, 200); n++) {
      const match = /"s":"([A-Z0-9]+)"/.exec(lines[n]!);
      if (match) pairs.add(match[1]!);
    }
  }
  const snapshotPair = options.symbol ?? (pairs.size === 1 ? [...pairs][0] : pairInFileName(files[0]?.file ?? ""));
  const books = new Map<string, { synced: boolean; lastU: number; first: boolean; pending: PendingDiff[] }>();
  const bookOf = (symbol: string) => {
    let book = books.get(symbol);
    if (!book) {
      book = { synced: false, lastU: 0, first: false, pending: [] };
      books.set(symbol, book);
    }
    return book;
  };
  const push = (symbol: string, event: FeedEvent) => {
    let list = out.get(symbol);
    if (!list) {
      list = [];
      out.set(symbol, list);
    }
    list.push(event);
  };
  const applyDiff = (symbol: string, diff: PendingDiff, ts: number) => {
    const book = bookOf(symbol);
    if (diff.u < book.lastU + (diff.pu === undefined ? 1 : 0)) return; // older than the book: drop
    let continues: boolean;
    if (book.first) {
      continues = diff.pu === undefined ? diff.U <= book.lastU + 1 && diff.u >= book.lastU + 1 : diff.U <= book.lastU && diff.u >= book.lastU;
    } else {
      continues = diff.pu === undefined ? diff.U === book.lastU + 1 : diff.pu === book.lastU;
    }
    if (!continues) {
      const expected = book.first ? `a diff spanning ${book.lastU}` : diff.pu === undefined ? `U=${book.lastU + 1}` : `pu=${book.lastU}`;
      const received = diff.pu === undefined ? `U=${diff.U}` : `U=${diff.U} pu=${diff.pu}`;
      if (onGap === "throw") throw new BookSequenceError(symbol, expected, received, diff.file, diff.line);
      book.synced = false;
      book.pending = [];
      push(symbol, { kind: "reset", ts });
      return;
    }
    book.first = false;
    book.lastU = diff.u;
    push(symbol, { kind: "diff", ts, bids: diff.bids, asks: diff.asks, updateId: diff.u });
  };

  for (const { file, lines } of files) {
    for (let n = 0; n < lines.length; n++) {
      const raw = lines[n]!;
      if (raw.trim() === "") continue;
      const lineNo = n + 1;
      const space = raw.indexOf(" ");
      if (space <= 0) throw new MarketDataFormatError(file, lineNo, "expected `<timestamp> <json>`");
      const ts = timestampMs(raw.slice(0, space), file, lineNo);
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(raw.slice(space + 1)) as Record<string, unknown>;
      } catch {
        throw new MarketDataFormatError(file, lineNo, "invalid JSON");
      }
      if ("lastUpdateId" in message) {
        if (snapshotPair === undefined) throw new MarketDataFormatError(file, lineNo, "depth snapshot of an unknown pair: pass `symbol`");
        const symbol = marketSymbolOf(snapshotPair);
        const bids = levels(message.bids, file, lineNo);
        const asks = levels(message.asks, file, lineNo);
        const lastUpdateId = Number(message.lastUpdateId);
        const book = bookOf(symbol);
        push(symbol, { kind: "snapshot", ts, bids, asks });
        book.synced = true;
        book.first = true;
        book.lastU = lastUpdateId;
        const pending = book.pending;
        book.pending = [];
        for (const diff of pending) applyDiff(symbol, diff, ts);
        continue;
      }
      const stream = typeof message.stream === "string" ? message.stream : "";
      const data = message.data as Record<string, unknown> | undefined;
      if (!data || typeof data !== "object") throw new MarketDataFormatError(file, lineNo, "expected a combined-stream message with `data`");
      const pair = typeof data.s === "string" ? data.s : undefined;
      if (!pair) throw new MarketDataFormatError(file, lineNo, "message without a symbol `s`");
      const symbol = marketSymbolOf(pair);
      const type = data.e ?? (stream.endsWith("@bookTicker") ? "bookTicker" : undefined);
      if (type === "depthUpdate") {
        const diff: PendingDiff = {
          ts,
          U: num(data.U, file, lineNo, "U"),
          u: num(data.u, file, lineNo, "u"),
          pu: data.pu === undefined ? undefined : num(data.pu, file, lineNo, "pu"),
          bids: levels(data.b, file, lineNo),
          asks: levels(data.a, file, lineNo),
          line: lineNo,
          file,
        };
        const book = bookOf(symbol);
        if (!book.synced) {
          // Before the first snapshot, buffer; after a gap (resync), wait for the next snapshot.
          if (book.lastU === 0) {
            book.pending.push(diff);
            if (book.pending.length > 100_000) book.pending.shift();
          }
          continue;
        }
        applyDiff(symbol, diff, ts);
      } else if (type === "trade" || type === "aggTrade") {
        push(symbol, {
          kind: "trade",
          ts,
          price: decimalText(data.p, file, lineNo),
          size: decimalText(data.q, file, lineNo),
          takerSide: data.m === true ? "sell" : "buy",
        });
      } else if (type === "bookTicker") {
        push(symbol, {
          kind: "bbo",
          ts,
          bid: decimalText(data.b, file, lineNo),
          bidSize: decimalText(data.B, file, lineNo),
          ask: decimalText(data.a, file, lineNo),
          askSize: decimalText(data.A, file, lineNo),
          ...(typeof data.u === "number" ? { updateId: data.u } : {}),
        });
      }
      // Other streams (markPrice, kline, ...) are ignored.
    }
  }
  return out;
}

/** Epoch ms from a ns, µs or ms integer text without losing precision. */
export function timestampMs(text: string, file: string, line: number): number {
  if (!/^\d{10,19}$/.test(text)) throw new MarketDataFormatError(file, line, `bad timestamp "${text.slice(0, 30)}"`);
  if (text.length >= 18) return Number(text.slice(0, text.length - 6));
  if (text.length >= 15) return Number(text.slice(0, text.length - 3));
  return Number(text);
}

/** Canonical decimal text: no trailing zeros after the point ("61800.20000" -> "61800.2"). */
export function canonicalDecimal(text: string): string {
  if (!text.includes(".")) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

function decimalText(value: unknown, file: string, line: number): string {
  if (typeof value !== "string" || !/^\d+(\.\d+)?$/.test(value)) throw new MarketDataFormatError(file, line, `bad decimal ${JSON.stringify(value)}`);
  return canonicalDecimal(value);
}

function num(value: unknown, file: string, line: number, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new MarketDataFormatError(file, line, `bad ${name} ${JSON.stringify(value)}`);
  return value;
}

/** Parses `[[price, size], ...]` into canonical level text. */
export function levels(value: unknown, file: string, line: number): LevelText[] {
  if (!Array.isArray(value)) throw new MarketDataFormatError(file, line, "expected an array of [price, size] levels");
  return value.map((level) => {
    if (!Array.isArray(level) || level.length < 2) throw new MarketDataFormatError(file, line, "expected [price, size]");
    return [decimalText(level[0], file, line), decimalText(level[1], file, line)] as const;
  });
}
