/**
 * The storage layout of one side of the book (internal, not exported).
 *
 * Invariants:
 * - Every price level is an intrusive doubly-linked FIFO of resting orders: an order
 *   carries `prev`/`next`/`level`, so unlinking it is O(1) and needs no search.
 * - `keys` holds the side's active levels sorted ascending by key, where the key is
 *   `priceTicks` for bids and `-priceTicks` for asks; so the best level is always the
 *   LAST element (for both sides) and consuming the best level is an O(1) `pop`.
 *   `levels` is parallel to `keys` (same index, same level).
 * - `byPrice` maps an integer tick to its level for O(1) lookup of an existing level.
 * - A level is in the side exactly while it has at least one order; `totalLots` is the
 *   sum of its orders' `sizeLots` and `orderCount` their number.
 * - Everything is integer (ticks and lots); no floating-point arithmetic touches a price.
 */
import type { SelfTradePrevention } from "../types.js";

/** A resting order as the book stores it (mutable, pooled by the book). */
export class RestingOrder {
  id = "";
  accountId = "";
  isBuy = true;
  priceTicks = 0;
  sizeLots = 0;
  seq = 0;
  selfTrade: SelfTradePrevention = "cancel_taker";
  postOnly = false;
  prev: RestingOrder | null = null;
  next: RestingOrder | null = null;
  level: PriceLevel | null = null;
}

/** One price level: a FIFO queue of resting orders at the same tick. */
export class PriceLevel {
  priceTicks = 0;
  totalLots = 0;
  orderCount = 0;
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;

  /** Appends at the back of the queue (time priority: last). */
  pushBack(order: RestingOrder): void {
    order.level = this;
    order.next = null;
    order.prev = this.tail;
    if (this.tail === null) this.head = order;
    else this.tail.next = order;
    this.tail = order;
    this.totalLots += order.sizeLots;
    this.orderCount++;
  }

  /** Inserts at the front of the queue (used for external snapshot liquidity). */
  pushFront(order: RestingOrder): void {
    order.level = this;
    order.prev = null;
    order.next = this.head;
    if (this.head === null) this.tail = order;
    else this.head.prev = order;
    this.head = order;
    this.totalLots += order.sizeLots;
    this.orderCount++;
  }

  /** Unlinks an order of this level in O(1); the caller keeps `totalLots` right for partial sizes. */
  unlink(order: RestingOrder): void {
    const prev = order.prev;
    const next = order.next;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    order.prev = null;
    order.next = null;
    order.level = null;
    this.totalLots -= order.sizeLots;
    this.orderCount--;
  }
}

/** One side (bids or asks): sorted level keys with the best level last. */
export class BookSide {
  readonly isBid: boolean;
  /** Sorted ascending; key = price for bids, -price for asks; best = last. */
  readonly keys: number[] = [];
  /** Parallel to `keys`. */
  readonly levels: PriceLevel[] = [];
  readonly byPrice = new Map<number, PriceLevel>();
  private readonly pool: PriceLevel[] = [];

  constructor(isBid: boolean) {
    this.isBid = isBid;
  }

  /** The best level, or null when the side is empty. */
  best(): PriceLevel | null {
    const n = this.levels.length;
    return n === 0 ? null : (this.levels[n - 1] as PriceLevel);
  }

  /** The level at a price, created (empty, already placed) if missing. */
  levelAt(priceTicks: number): PriceLevel {
    const existing = this.byPrice.get(priceTicks);
    if (existing !== undefined) return existing;
    const level = this.pool.pop() ?? new PriceLevel();
    level.priceTicks = priceTicks;
    level.totalLots = 0;
    level.orderCount = 0;
    level.head = null;
    level.tail = null;
    const key = this.isBid ? priceTicks : -priceTicks;
    const keys = this.keys;
    const n = keys.length;
    if (n === 0 || key > (keys[n - 1] as number)) {
      // New best: the common case when quoting inside the spread.
      keys.push(key);
      this.levels.push(level);
    } else {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((keys[mid] as number) < key) lo = mid + 1;
        else hi = mid;
      }
      keys.splice(lo, 0, key);
      this.levels.splice(lo, 0, level);
    }
    this.byPrice.set(priceTicks, level);
    return level;
  }

  /** Removes an empty level from the side and returns it to the pool. */
  removeLevel(level: PriceLevel): void {
    const keys = this.keys;
    const n = keys.length;
    const key = this.isBid ? level.priceTicks : -level.priceTicks;
    if (n > 0 && keys[n - 1] === key) {
      keys.pop();
      this.levels.pop();
    } else {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((keys[mid] as number) < key) lo = mid + 1;
        else hi = mid;
      }
      keys.splice(lo, 1);
      this.levels.splice(lo, 1);
    }
    this.byPrice.delete(level.priceTicks);
    level.head = null;
    level.tail = null;
    if (this.pool.length < 1024) this.pool.push(level);
  }

  /** Number of active levels. */
  get size(): number {
    return this.keys.length;
  }
}
