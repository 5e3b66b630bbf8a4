/**
 * A local copy of one market's order book kept from Lighter's order_book channel:
 * a snapshot, then price-level diffs (size 0 removes a level). Continuity rule
 * (Lighter docs): each update's begin_nonce must equal the previous update's
 * nonce; otherwise an update was missed and the book must be rebuilt from a
 * fresh snapshot.
 */
import { Decimal } from "@autonome/core";

/** One price level. */
export interface BookLevel {
  readonly price: Decimal;
  readonly size: Decimal;
}

/** A level as it arrives on the wire. */
export interface WireLevel {
  price: string;
  size: string;
}

/** What applying an update did. */
export type ApplyResult = "applied" | "gap";

/** One market's book from snapshot + diffs. */
export class LocalOrderBook {
  private readonly bidLevels = new Map<string, BookLevel>();
  private readonly askLevels = new Map<string, BookLevel>();
  private lastNonce: number | undefined;

  constructor(readonly marketId: number) {}

  /** The nonce of the last applied message. */
  get nonce(): number | undefined {
    return this.lastNonce;
  }

  /** Replaces the book with a snapshot. */
  reset(asks: readonly WireLevel[], bids: readonly WireLevel[], nonce: number | undefined): void {
    this.bidLevels.clear();
    this.askLevels.clear();
    this.set(this.askLevels, asks);
    this.set(this.bidLevels, bids);
    this.lastNonce = nonce;
  }

  /** Applies a diff if it continues the sequence; returns "gap" (changing nothing) if it does not. */
  apply(asks: readonly WireLevel[], bids: readonly WireLevel[], beginNonce: number | undefined, nonce: number | undefined): ApplyResult {
    if (this.lastNonce !== undefined && beginNonce !== undefined && beginNonce !== this.lastNonce) return "gap";
    this.set(this.askLevels, asks);
    this.set(this.bidLevels, bids);
    if (nonce !== undefined) this.lastNonce = nonce;
    return "applied";
  }

  /** Bids, best (highest) first. */
  bids(depth = Infinity): BookLevel[] {
    return [...this.bidLevels.values()].sort((a, b) => b.price.comparedTo(a.price)).slice(0, depth);
  }

  /** Asks, best (lowest) first. */
  asks(depth = Infinity): BookLevel[] {
    return [...this.askLevels.values()].sort((a, b) => a.price.comparedTo(b.price)).slice(0, depth);
  }

  /** Best bid, if any. */
  bestBid(): BookLevel | undefined {
    return this.bids(1)[0];
  }

  /** Best ask, if any. */
  bestAsk(): BookLevel | undefined {
    return this.asks(1)[0];
  }

  private set(side: Map<string, BookLevel>, levels: readonly WireLevel[]): void {
    for (const level of levels) {
      const price = new Decimal(level.price);
      const size = new Decimal(level.size);
      const key = price.toString();
      if (size.isZero()) side.delete(key);
      else side.set(key, { price, size });
    }
  }
}
