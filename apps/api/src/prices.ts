/**
 * Current prices for unrealized PnL. Embedded in the worker, the api is given the
 * worker's MarketSource (anything with `markPrice(symbol)`), so positions are marked
 * at live prices. Standalone, it has no market: it falls back to the latest price the
 * arena itself recorded for the symbol, i.e. the newest of the events it has seen
 * (entry, exit, trigger and liquidation prices), the exit price of the newest CLOSED
 * order on the symbol, and the entry price of the newest OPEN one, whichever is newest.
 */
import { type Decimal, type DecimalLike, type ArenaEvent, toDecimal } from "@autonome/core";
import type { Db } from "@autonome/db";
import { ReadCache } from "./read-cache.js";

/** Anything that can mark a symbol; a market-data MarketSource fits. */
export interface PriceProvider {
  /** The current mark price; may throw or return undefined when the symbol is unknown. */
  markPrice(symbol: string): DecimalLike | undefined;
}

/** Where a position's mark came from. */
export type PriceSource = "live" | "lastKnown" | "none";

/** A mark and its provenance. */
export interface Mark {
  price: Decimal | null;
  source: PriceSource;
  /** Epoch ms the last-known price was recorded; null for live or none. */
  at: number | null;
}

/** A price and when it was recorded (epoch ms). */
export interface Known {
  price: Decimal;
  at: number;
}

/** The latest prices recorded by the arena: events it saw, then the Orders table. */
export class LastKnownPrices {
  private readonly fromEvents = new Map<string, Known>();
  private readonly fromDb: ReadCache;

  constructor(
    private readonly db: Db,
    now: () => number,
    dbTtlMs = 5_000,
  ) {
    this.fromDb = new ReadCache(dbTtlMs, now);
  }

  /** Learns prices from an arena event (entries, exits, triggers, liquidations). */
  observe(event: ArenaEvent): void {
    const p = event.payload as unknown as Record<string, unknown>;
    const symbol = typeof p.symbol === "string" ? p.symbol : null;
    if (symbol === null) return;
    const text =
      event.type === "positionOpened"
        ? p.entryPrice
        : event.type === "positionClosed" || event.type === "exitTriggered"
          ? p.exitPrice
          : event.type === "positionLiquidated"
            ? p.markPrice
            : undefined;
    if (typeof text !== "string") return;
    let price: Decimal;
    try {
      price = toDecimal(text);
    } catch {
      return;
    }
    const current = this.fromEvents.get(symbol);
    if (current === undefined || event.tsEvent >= current.at) this.fromEvents.set(symbol, { price, at: event.tsEvent });
  }

  /** The newest recorded price of a symbol (`opened`: the newest open entry the caller holds), or null. */
  async price(symbol: string, opened: Known | null = null): Promise<Known | null> {
    const fromDb = await this.fromDb.get(symbol, () => this.readDb(symbol));
    const candidates = [this.fromEvents.get(symbol) ?? null, fromDb, opened].filter((k): k is Known => k !== null);
    candidates.sort((a, b) => b.at - a.at);
    return candidates[0] ?? null;
  }

  private async readDb(symbol: string): Promise<Known | null> {
    const closed = await this.db.orders.closedTrades({ symbol, limit: 1 });
    const trade = closed.items[0];
    return trade === undefined ? null : { price: trade.exitPrice, at: trade.closedAt };
  }
}

/** Marks symbols with the live provider when it knows them, else with the last known price. */
export class Marker {
  constructor(
    private readonly live: PriceProvider | undefined,
    private readonly lastKnown: LastKnownPrices,
  ) {}

  /** The mark of one symbol; `opened` is the newest open entry on it the caller knows. */
  async mark(symbol: string, opened: Known | null = null): Promise<Mark> {
    if (this.live !== undefined) {
      try {
        const value = this.live.markPrice(symbol);
        if (value !== undefined && value !== null) {
          const price = toDecimal(value);
          if (price.gt(0)) return { price, source: "live", at: null };
        }
      } catch {
        // Unknown to the live market: fall back below.
      }
    }
    const known = await this.lastKnown.price(symbol, opened);
    return known === null ? { price: null, source: "none", at: null } : { price: known.price, source: "lastKnown", at: known.at };
  }

  /** The marks of the symbols of some open positions, each symbol looked up once. */
  async marksFor(positions: readonly { symbol: string; entryPrice: Decimal; openedAt: number }[]): Promise<Map<string, Mark>> {
    const newest = new Map<string, Known>();
    for (const p of positions) {
      const seen = newest.get(p.symbol);
      if (seen === undefined || p.openedAt > seen.at) newest.set(p.symbol, { price: p.entryPrice, at: p.openedAt });
    }
    const symbols = [...newest.keys()];
    const marks = await Promise.all(symbols.map((s) => this.mark(s, newest.get(s) ?? null)));
    return new Map(symbols.map((s, i) => [s, marks[i]!]));
  }
}
