/**
 * Normalized events of a recorded order-book feed (Binance or Lighter), already
 * checked for sequence continuity by their reader, and the local book they build.
 * Invariant: a diff level with size 0 removes the level; book sides come out best
 * first; the book is usable only after a snapshot (and until a reset).
 */
import type { L2Book, L2Level } from "../types.js";

/** A price level as [price, size] text. */
export type LevelText = readonly [string, string];

/** One event of a recorded feed for one symbol. */
export type FeedEvent =
  | { readonly kind: "snapshot"; readonly ts: number; readonly bids: readonly LevelText[]; readonly asks: readonly LevelText[] }
  | {
      readonly kind: "diff";
      readonly ts: number;
      readonly bids: readonly LevelText[];
      readonly asks: readonly LevelText[];
      /** The exchange's last update id in this diff, when it has one (Binance `u`). */
      readonly updateId?: number;
    }
  | { readonly kind: "reset"; readonly ts: number }
  | { readonly kind: "trade"; readonly ts: number; readonly price: string; readonly size: string; readonly takerSide: "buy" | "sell" }
  | {
      readonly kind: "bbo";
      readonly ts: number;
      readonly bid: string;
      readonly bidSize: string;
      readonly ask: string;
      readonly askSize: string;
      /** The exchange's update id of this top of book, when it has one (Binance `u`). */
      readonly updateId?: number;
    }
  | {
      readonly kind: "stats";
      readonly ts: number;
      readonly markPrice?: string;
      readonly openInterest?: string;
      readonly fundingRate?: string;
    };

/** Events of each market symbol, in time order. */
export type FeedEventsBySymbol = Map<string, FeedEvent[]>;

/** A local L2 book built from snapshots and diffs: levels by price, plus price keys kept sorted best first. */
export class LocalBook {
  private readonly bids = new BookSide(-1);
  private readonly asks = new BookSide(1);
  /** Whether a snapshot has been applied since the last reset. */
  ready = false;

  /** Replaces the whole book. */
  applySnapshot(bids: readonly LevelText[], asks: readonly LevelText[]): void {
    this.bids.clear();
    this.asks.clear();
    this.applyDiff(bids, asks);
    this.ready = true;
  }

  /** Sets or removes (size 0) levels. */
  applyDiff(bids: readonly LevelText[], asks: readonly LevelText[]): void {
    for (const [price, size] of bids) this.bids.set(price, size);
    for (const [price, size] of asks) this.asks.set(price, size);
  }

  /** Empties the book and marks it unusable until the next snapshot. */
  reset(): void {
    this.bids.clear();
    this.asks.clear();
    this.ready = false;
  }

  /** The top `depth` levels a side, best first. */
  snapshot(symbol: string, ts: number, depth: number): L2Book {
    return { symbol, ts, bids: this.bids.top(depth), asks: this.asks.top(depth) };
  }
}

/** One side: `keys` sorted best first (descending bids, ascending asks). */
class BookSide {
  private readonly levels = new Map<number, L2Level>();
  private readonly keys: number[] = [];

  constructor(private readonly direction: 1 | -1) {}

  clear(): void {
    this.levels.clear();
    this.keys.length = 0;
  }

  set(price: string, size: string): void {
    const key = Number(price);
    const remove = Number(size) === 0;
    if (this.levels.has(key)) {
      if (remove) {
        this.levels.delete(key);
        this.keys.splice(this.indexOf(key), 1);
      } else {
        this.levels.set(key, { price, size });
      }
      return;
    }
    if (remove) return;
    this.levels.set(key, { price, size });
    this.keys.splice(this.indexOf(key), 0, key);
  }

  /** Index of `key` if present, else where it would be inserted (binary search). */
  private indexOf(key: number): number {
    const keys = this.keys;
    const d = this.direction;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid]! - key) * d < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  top(depth: number): L2Level[] {
    const n = Math.min(depth, this.keys.length);
    const out = new Array<L2Level>(n);
    for (let i = 0; i < n; i++) out[i] = this.levels.get(this.keys[i]!)!;
    return out;
  }
}
