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
  | { readonly kind: "diff"; readonly ts: number; readonly bids: readonly LevelText[]; readonly asks: readonly LevelText[] }
  | { readonly kind: "reset"; readonly ts: number }
  | { readonly kind: "trade"; readonly ts: number; readonly price: string; readonly size: string; readonly takerSide: "buy" | "sell" }
  | { readonly kind: "bbo"; readonly ts: number; readonly bid: string; readonly bidSize: string; readonly ask: string; readonly askSize: string }
  | {
      readonly kind: "stats";
      readonly ts: number;
      readonly markPrice?: string;
      readonly openInterest?: string;
      readonly fundingRate?: string;
    };

/** Events of each market symbol, in time order. */
export type FeedEventsBySymbol = Map<string, FeedEvent[]>;

/** A local L2 book built from snapshots and diffs. */
export class LocalBook {
  private readonly bids = new Map<number, L2Level>();
  private readonly asks = new Map<number, L2Level>();
  private sortedBids: L2Level[] | undefined;
  private sortedAsks: L2Level[] | undefined;
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
    apply(this.bids, bids);
    apply(this.asks, asks);
    if (bids.length > 0) this.sortedBids = undefined;
    if (asks.length > 0) this.sortedAsks = undefined;
  }

  /** Empties the book and marks it unusable until the next snapshot. */
  reset(): void {
    this.bids.clear();
    this.asks.clear();
    this.sortedBids = undefined;
    this.sortedAsks = undefined;
    this.ready = false;
  }

  /** The top `depth` levels a side, best first. */
  snapshot(symbol: string, ts: number, depth: number): L2Book {
    this.sortedBids ??= sortLevels(this.bids, -1);
    this.sortedAsks ??= sortLevels(this.asks, 1);
    return { symbol, ts, bids: this.sortedBids.slice(0, depth), asks: this.sortedAsks.slice(0, depth) };
  }
}

function apply(side: Map<number, L2Level>, levels: readonly LevelText[]): void {
  for (const [price, size] of levels) {
    const key = Number(price);
    if (Number(size) === 0) side.delete(key);
    else side.set(key, { price, size });
  }
}

function sortLevels(side: Map<number, L2Level>, direction: 1 | -1): L2Level[] {
  const keys = [...side.keys()].sort((a, b) => (a - b) * direction);
  return keys.map((k) => side.get(k)!);
}
