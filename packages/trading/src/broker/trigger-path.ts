/**
 * How stops and targets meet a price path between two observations (the SimBroker's
 * trigger checks between ticks).
 *
 * - A jump (paper: one update of the source to the next; a backtest: the close of one
 *   minute to the open of the next) is not a path: a trigger the new price is past fires
 *   against the book of that moment (a gap fills at the gap, not at the trigger price).
 * - A continuous move (a backtest inside a one-minute candle: open, the nearer of high and
 *   low, the other, close) passes every price between its ends: each trigger it crosses
 *   fires when the price reaches it, against the book of the moment moved to the trigger
 *   price (the trigger price plus that book's spread and depth: its slippage), in the order
 *   the move reaches them.
 * - When one minute's range holds both the stop and the target of a position, the stop is
 *   taken (the pessimistic rule freqtrade documents): its target is held back for that minute.
 */
import { type Decimal, type Market, roundToStep, toDecimal } from "@autonome/core";
import type { L2Book } from "@autonome/market-data";

/** The price range of one minute of a symbol: the stop-first rule reads it. */
export interface PriceRange {
  readonly low: Decimal;
  readonly high: Decimal;
}

/** A book as the simulator takes it: [price, size] text pairs, best first. */
export interface BookLevels {
  bids: Array<readonly [string, string]>;
  asks: Array<readonly [string, string]>;
}

/** The source's book as the simulator takes it. */
export function levelsOf(book: L2Book): BookLevels {
  return { bids: book.bids.map((l) => [l.price, l.size] as const), asks: book.asks.map((l) => [l.price, l.size] as const) };
}

/** (best bid + best ask) / 2, or the one side's best; null for an empty book. */
export function bookMid(book: BookLevels): Decimal | null {
  const bid = book.bids[0];
  const ask = book.asks[0];
  if (bid && ask) return toDecimal(bid[0]).plus(ask[0]).div(2);
  if (bid) return toDecimal(bid[0]);
  if (ask) return toDecimal(ask[0]);
  return null;
}

/**
 * The trigger prices a continuous move from `from` to `to` reaches (not `from` itself,
 * `to` included), each once, in the order the move reaches them.
 */
export function crossedLevels(levels: readonly Decimal[], from: Decimal, to: Decimal): Decimal[] {
  if (from.eq(to)) return [];
  const up = to.gt(from);
  const inside = levels.filter((l) => (up ? l.gt(from) && l.lte(to) : l.lt(from) && l.gte(to)));
  inside.sort((a, b) => (up ? a.comparedTo(b) : b.comparedTo(a)));
  return inside.filter((l, i) => i === 0 || !l.eq(inside[i - 1]!));
}

/**
 * The book of this moment moved so that its mid is `price`: every level shifted by
 * price - mid (rounded to the market's tick), the same sizes, levels at or below zero
 * dropped. Its spread and depth are the slippage a trigger fill at `price` pays.
 */
export function shiftBook(book: BookLevels, mid: Decimal, price: Decimal, market: Market): BookLevels {
  const delta = roundToStep(price.minus(mid), market.tickSize);
  const shift = (side: ReadonlyArray<readonly [string, string]>) =>
    side.flatMap(([p, s]) => {
      const moved = toDecimal(p).plus(delta);
      return moved.gt(0) ? [[moved.toFixed(market.priceDecimals), s] as const] : [];
    });
  return { bids: shift(book.bids), asks: shift(book.asks) };
}

/** Whether a minute's range holds both prices (the stop-first rule). */
export function rangeHolds(range: PriceRange, a: Decimal, b: Decimal): boolean {
  return a.gte(range.low) && a.lte(range.high) && b.gte(range.low) && b.lte(range.high);
}
