/**
 * Lighter WebSocket captures: JSONL, one message a line, optionally prefixed by a
 * receive timestamp (`<ts> <json>`, ns/µs/ms). Read: `order_book` snapshots
 * ("subscribed/order_book") and diffs ("update/order_book", size "0" removes a
 * level), `trade` and `market_stats` messages. Continuity: each diff's begin_nonce
 * must equal the previous message's nonce (Lighter's documented check); a break
 * throws BookSequenceError with file and line, or (onGap "resync") empties the book
 * until the next snapshot. Assumptions, unverified against a live capture:
 * market_stats.open_interest is quote notional (converted to base by the mark
 * price) and current_funding_rate is a percentage per hour.
 */
import type { MarketRegistry } from "@autonome/core";
import { BookSequenceError, MarketDataFormatError } from "../errors.js";
import { timestampMs } from "./binance-feed.js";
import type { FeedEvent, FeedEventsBySymbol, LevelText } from "./feed-events.js";
import { readTextLines } from "./text-file.js";

/** Options of the Lighter capture reader. */
export interface LighterCaptureOptions {
  /** What a nonce break does (default "throw"). */
  onGap?: "throw" | "resync";
}

/** Reads a Lighter capture into events keyed by market symbol (markets looked up by id). */
export function readLighterCapture(path: string, markets: MarketRegistry, options: LighterCaptureOptions = {}): FeedEventsBySymbol {
  const { file, lines } = readTextLines(path);
  const onGap = options.onGap ?? "throw";
  const out: FeedEventsBySymbol = new Map();
  const nonces = new Map<string, number | undefined>();
  const push = (symbol: string, event: FeedEvent) => {
    let list = out.get(symbol);
    if (!list) {
      list = [];
      out.set(symbol, list);
    }
    list.push(event);
  };
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!.trim();
    if (raw === "") continue;
    const lineNo = n + 1;
    let prefixTs: number | undefined;
    let jsonText = raw;
    if (!raw.startsWith("{")) {
      const space = raw.indexOf(" ");
      if (space <= 0) throw new MarketDataFormatError(file, lineNo, "expected a JSON message or `<timestamp> <json>`");
      prefixTs = timestampMs(raw.slice(0, space), file, lineNo);
      jsonText = raw.slice(space + 1);
    }
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(jsonText) as Record<string, unknown>;
    } catch {
      throw new MarketDataFormatError(file, lineNo, "invalid JSON");
    }
    const type = typeof message.type === "string" ? message.type : "";
    const channel = typeof message.channel === "string" ? message.channel : "";
    const [channelName, channelId] = channel.split(/[:/]/);
    const ts = typeof message.timestamp === "number" ? message.timestamp : prefixTs;
    if (type === "connected" || type === "pong" || type === "ping" || type === "") continue;
    if (ts === undefined) throw new MarketDataFormatError(file, lineNo, "message without a timestamp");
    const marketOf = (id: unknown) => {
      const marketId = Number(id);
      if (!Number.isInteger(marketId)) throw new MarketDataFormatError(file, lineNo, `bad market id ${JSON.stringify(id)}`);
      try {
        return markets.getById(marketId).symbol;
      } catch {
        throw new MarketDataFormatError(file, lineNo, `unknown market id ${marketId}`);
      }
    };
    if (channelName === "order_book") {
      const symbol = marketOf(channelId);
      const book = message.order_book as Record<string, unknown> | undefined;
      if (!book || typeof book !== "object") throw new MarketDataFormatError(file, lineNo, "order_book message without `order_book`");
      const bids = priceSizeLevels(book.bids, file, lineNo);
      const asks = priceSizeLevels(book.asks, file, lineNo);
      const nonce = typeof book.nonce === "number" ? book.nonce : undefined;
      if (type.startsWith("subscribed/")) {
        push(symbol, { kind: "snapshot", ts, bids, asks });
        nonces.set(symbol, nonce);
        continue;
      }
      if (!nonces.has(symbol)) continue; // a diff before any snapshot cannot be applied
      const previous = nonces.get(symbol);
      const begin = typeof book.begin_nonce === "number" ? book.begin_nonce : undefined;
      if (previous !== undefined && begin !== undefined && begin !== previous) {
        if (onGap === "throw") throw new BookSequenceError(symbol, `begin_nonce=${previous}`, `begin_nonce=${begin}`, file, lineNo);
        push(symbol, { kind: "reset", ts });
        nonces.delete(symbol);
        continue;
      }
      nonces.set(symbol, nonce);
      push(symbol, { kind: "diff", ts, bids, asks });
    } else if (channelName === "trade") {
      const trades = message.trades;
      if (!Array.isArray(trades)) throw new MarketDataFormatError(file, lineNo, "trade message without `trades`");
      for (const trade of trades as Array<Record<string, unknown>>) {
        push(marketOf(trade.market_id ?? channelId), {
          kind: "trade",
          ts,
          price: text(trade.price, file, lineNo),
          size: text(trade.size, file, lineNo),
          takerSide: trade.is_maker_ask === true ? "buy" : "sell",
        });
      }
    } else if (channelName === "market_stats") {
      const stats = message.market_stats as Record<string, unknown> | undefined;
      if (!stats || typeof stats !== "object") throw new MarketDataFormatError(file, lineNo, "market_stats message without `market_stats`");
      const mark = typeof stats.mark_price === "string" ? stats.mark_price : undefined;
      const oiQuote = typeof stats.open_interest === "string" ? Number(stats.open_interest) : undefined;
      const funding = typeof stats.current_funding_rate === "string" ? Number(stats.current_funding_rate) / 100 : undefined;
      push(marketOf(stats.market_id ?? channelId), {
        kind: "stats",
        ts,
        ...(mark !== undefined ? { markPrice: mark } : {}),
        ...(oiQuote !== undefined && mark !== undefined && Number(mark) > 0 ? { openInterest: (oiQuote / Number(mark)).toFixed(6) } : {}),
        ...(funding !== undefined && Number.isFinite(funding) ? { fundingRate: funding.toFixed(10) } : {}),
      });
    }
  }
  return out;
}

function text(value: unknown, file: string, line: number): string {
  if (typeof value !== "string" || !/^\d+(\.\d+)?$/.test(value)) throw new MarketDataFormatError(file, line, `bad decimal ${JSON.stringify(value)}`);
  return value;
}

function priceSizeLevels(value: unknown, file: string, line: number): LevelText[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MarketDataFormatError(file, line, "expected [{price, size}] levels");
  return value.map((level: Record<string, unknown>) => [text(level?.price, file, line), text(level?.size, file, line)] as const);
}
