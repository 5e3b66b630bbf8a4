/**
 * Small adapters of L2Book: the matching engine's ExchangeSimulator takes books as
 * [price, size] pairs, and analytics want numbers.
 */
import type { L2Book } from "./types.js";

/** A book as [price, size] text pairs, best first: the shape ExchangeSimulator.applyBook takes. */
export interface L2BookPairs {
  readonly bids: ReadonlyArray<readonly [string, string]>;
  readonly asks: ReadonlyArray<readonly [string, string]>;
}

/** Converts a book's levels to [price, size] pairs (exact text, no rounding). */
export function l2BookToPairs(book: L2Book): L2BookPairs {
  return {
    bids: book.bids.map((l) => [l.price, l.size] as const),
    asks: book.asks.map((l) => [l.price, l.size] as const),
  };
}

/** Sums the size on each side of a book within `depth` levels, as floats (analytics only). */
export function bookDepthTotals(book: L2Book, depth = Infinity): { bidSize: number; askSize: number } {
  const sum = (levels: L2Book["bids"]) => levels.slice(0, depth).reduce((total, l) => total + Number(l.size), 0);
  return { bidSize: sum(book.bids), askSize: sum(book.asks) };
}
