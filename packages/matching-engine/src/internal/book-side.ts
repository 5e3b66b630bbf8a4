/**
 * The storage layout of the book (internal, not exported): structure-of-arrays in typed
 * arrays, so resting orders and price levels are integer handles, not objects, and the
 * garbage collector never has to copy or trace them.
 *
 * Invariants:
 * - An order handle `h` is live exactly while its id maps to `h` in the book's id index;
 *   a freed handle goes on a free list and is reused. `NIL` (-1) means "none".
 * - Every price level is an intrusive doubly-linked FIFO of orders: `prev`/`next`/`level`
 *   live beside the order, so unlinking is O(1) and needs no search.
 * - Each side keeps its active levels sorted ascending by key in `keys` (key = price for
 *   bids, -price for asks) with `handles` parallel; the best level is always the LAST
 *   entry, so consuming it is O(1) and inserting next to the top moves few entries.
 * - `get(price)` finds a level in O(1): prices within DENSE_WINDOW ticks of the window's
 *   base (placed around the first price seen while the side was empty) index a dense
 *   Int32Array; any other price goes through the `far` Map. A level is in exactly one.
 * - A level is on its side exactly while it has at least one order; its `total` is the
 *   sum of its orders' sizes and `count` their number.
 * - Prices, sizes and sequence numbers are integers stored in Float64Array, which holds
 *   every safe integer exactly; no fractional value is ever written.
 */
import type { SelfTradePrevention } from "../types.js";
import type { OrderKey } from "./id-index.js";

/** "No handle". */
export const NIL = -1;

/** How many levels from the top a new level's insertion shifts one by one before a binary search. */
const NEAR_TOP = 32;

/** Ticks covered by the dense level index of a side. */
export const DENSE_WINDOW = 32_768;

const STP_MODES: readonly SelfTradePrevention[] = ["cancel_taker", "cancel_maker", "cancel_both", "allow"];

/** Encodes an order's flags: bit 0 buy, bit 1 post-only, bits 2-3 self-trade mode. */
export function packFlags(isBuy: boolean, postOnly: boolean, selfTrade: SelfTradePrevention): number {
  const mode = selfTrade === "cancel_taker" ? 0 : selfTrade === "cancel_maker" ? 4 : selfTrade === "cancel_both" ? 8 : 12;
  return (isBuy ? 1 : 0) | (postOnly ? 2 : 0) | mode;
}

/** The self-trade mode stored in an order's flags. */
export function selfTradeOf(flags: number): SelfTradePrevention {
  return STP_MODES[(flags >> 2) & 3] as SelfTradePrevention;
}

function grownFloat64(a: Float64Array, capacity: number): Float64Array {
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}

function grownInt32(a: Int32Array, capacity: number, fill?: number): Int32Array {
  const b = new Int32Array(capacity);
  if (fill !== undefined) b.fill(fill, a.length);
  b.set(a);
  return b;
}

/** All resting orders of a book, as parallel arrays indexed by handle. */
export class OrderStore {
  /** The caller's ids, as given (a numeric id stays a number: no string is made for it). */
  ids: OrderKey[];
  /** Each order's account as a small number (see `accountNo`): a typed-array write, and self-trade checks compare integers. */
  account: Int32Array;
  /** Account number -> account id (every account ever seen by the book; never shrinks). */
  readonly accountNames: string[] = [];
  private readonly accountNumbers = new Map<string, number>();
  private lastAccountId = "";
  private lastAccountNo = 0;
  price: Float64Array;
  size: Float64Array;
  seq: Float64Array;
  prev: Int32Array;
  next: Int32Array;
  level: Int32Array;
  /** Where the book's IdIndex holds the handle (kept by the index; -1 = not indexed). */
  slot: Int32Array;
  flags: Uint8Array;
  private freeList: Int32Array;
  private freeCount = 0;
  /** Handles ever handed out: every handle is below this. */
  top = 0;
  private capacity: number;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.price = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.level = new Int32Array(capacity);
    this.slot = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.account = new Int32Array(capacity);
    this.freeList = new Int32Array(capacity);
    // Filled up front with strings: one elements kind whatever ids come (numbers or strings),
    // so the optimised code of one book fits the next.
    this.ids = new Array<OrderKey>(capacity).fill("");
    // Account "" is number 0 from the start: the cache always holds a string and the names
    // array holds strings before the first real account (no type change in optimised code).
    this.accountNames.push("");
    this.accountNumbers.set("", 0);
  }

  /** The number of an account id (assigned on first sight; the last one is cached, so a run of one account's orders does no lookup). */
  accountNo(accountId: string): number {
    if (accountId === this.lastAccountId) return this.lastAccountNo;
    let no = this.accountNumbers.get(accountId);
    if (no === undefined) {
      no = this.accountNames.length;
      this.accountNames.push(accountId);
      this.accountNumbers.set(accountId, no);
    }
    this.lastAccountId = accountId;
    this.lastAccountNo = no;
    return no;
  }

  /** The account id of a live handle. */
  accountIdOf(h: number): string {
    return this.accountNames[this.account[h] as number] as string;
  }

  /** A fresh handle (reused from the free list when possible). */
  alloc(id: OrderKey, accountNo: number, priceTicks: number, sizeLots: number, flags: number): number {
    let h: number;
    if (this.freeCount > 0) h = this.freeList[--this.freeCount] as number;
    else {
      if (this.top === this.capacity) this.grow();
      h = this.top++;
    }
    this.ids[h] = id;
    this.account[h] = accountNo;
    this.price[h] = priceTicks;
    this.size[h] = sizeLots;
    this.flags[h] = flags;
    this.prev[h] = NIL;
    this.next[h] = NIL;
    this.level[h] = NIL;
    this.slot[h] = NIL;
    return h;
  }

  /** Returns a handle to the free list (its stale id is overwritten when the handle is reused). */
  free(h: number): void {
    this.freeList[this.freeCount++] = h;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.price = grownFloat64(this.price, capacity);
    this.size = grownFloat64(this.size, capacity);
    this.seq = grownFloat64(this.seq, capacity);
    this.prev = grownInt32(this.prev, capacity);
    this.next = grownInt32(this.next, capacity);
    this.level = grownInt32(this.level, capacity);
    this.slot = grownInt32(this.slot, capacity);
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    this.flags = flags;
    this.account = grownInt32(this.account, capacity);
    this.ids.length = capacity; // holey from the start (new Array(n)), so no elements-kind change
    this.ids.fill("", this.capacity);
    this.freeList = grownInt32(this.freeList, capacity);
    this.capacity = capacity;
  }
}

/** One side (bids or asks): its levels (parallel arrays by level handle) and their order. */
export class BookSide {
  readonly isBid: boolean;
  private readonly orders: OrderStore;

  // Levels by handle.
  levelPrice: Float64Array;
  levelTotal: Float64Array;
  levelCount: Int32Array;
  levelHead: Int32Array;
  levelTail: Int32Array;
  private levelFree: Int32Array;
  private levelFreeCount = 0;
  private levelTop = 0;
  private levelCapacity: number;

  /** Sorted ascending by key (price for bids, -price for asks); best = last. */
  keys: Float64Array;
  /** Level handles parallel to `keys`. */
  handles: Int32Array;
  /** Number of active levels. */
  size = 0;

  private dense: Int32Array | null = null;
  private base = 0;
  private readonly far = new Map<number, number>();

  constructor(isBid: boolean, orders: OrderStore, capacity = 256) {
    this.isBid = isBid;
    this.orders = orders;
    this.levelCapacity = capacity;
    this.levelPrice = new Float64Array(capacity);
    this.levelTotal = new Float64Array(capacity);
    this.levelCount = new Int32Array(capacity);
    this.levelHead = new Int32Array(capacity);
    this.levelTail = new Int32Array(capacity);
    this.levelFree = new Int32Array(capacity);
    this.keys = new Float64Array(capacity);
    this.handles = new Int32Array(capacity);
  }

  /** The best level's handle, or NIL when the side is empty. */
  best(): number {
    return this.size === 0 ? NIL : (this.handles[this.size - 1] as number);
  }

  /** The level handle at a price, or NIL. */
  get(priceTicks: number): number {
    const offset = priceTicks - this.base;
    if (offset >= 0 && offset < DENSE_WINDOW && this.dense !== null) return this.dense[offset] as number;
    if (this.far.size === 0) return NIL;
    return this.far.get(priceTicks) ?? NIL;
  }

  /** The level at a price, created (empty, already placed) if missing. */
  levelAt(priceTicks: number): number {
    const existing = this.get(priceTicks);
    if (existing !== NIL) return existing;
    let level: number;
    if (this.levelFreeCount > 0) level = this.levelFree[--this.levelFreeCount] as number;
    else {
      if (this.levelTop === this.levelCapacity) this.growLevels();
      level = this.levelTop++;
    }
    this.levelPrice[level] = priceTicks;
    this.levelTotal[level] = 0;
    this.levelCount[level] = 0;
    this.levelHead[level] = NIL;
    this.levelTail[level] = NIL;

    const n = this.size;
    if (n === this.keys.length) {
      this.keys = grownFloat64(this.keys, n * 2);
      this.handles = grownInt32(this.handles, n * 2);
    }
    const key = this.isBid ? priceTicks : -priceTicks;
    const keys = this.keys;
    const handles = this.handles;
    // Insertion step from the top (where most new levels appear): shift the entries above
    // `key` up one at a time, which for a few entries is much cheaper than a binary search
    // and two copyWithin calls; past NEAR_TOP entries, binary search the rest and move it in bulk.
    let at = n;
    const stop = n > NEAR_TOP ? n - NEAR_TOP : 0;
    while (at > stop && (keys[at - 1] as number) > key) {
      keys[at] = keys[at - 1] as number;
      handles[at] = handles[at - 1] as number;
      at--;
    }
    if (at === stop && stop > 0 && (keys[stop - 1] as number) > key) {
      at = this.search(key, stop);
      keys.copyWithin(at + 1, at, stop);
      handles.copyWithin(at + 1, at, stop);
    }
    keys[at] = key;
    handles[at] = level;
    this.size = n + 1;

    if (n === 0) {
      // The side was empty: (re)centre the dense window on this price.
      this.base = Math.max(0, priceTicks - DENSE_WINDOW / 2);
      if (this.dense === null) this.dense = new Int32Array(DENSE_WINDOW).fill(NIL);
    }
    const offset = priceTicks - this.base;
    if (offset >= 0 && offset < DENSE_WINDOW) (this.dense as Int32Array)[offset] = level;
    else this.far.set(priceTicks, level);
    return level;
  }

  /** Removes an empty level from the side and frees its handle. */
  removeLevel(level: number): void {
    const priceTicks = this.levelPrice[level] as number;
    const n = this.size;
    if (this.handles[n - 1] !== level) {
      const at = this.search(this.isBid ? priceTicks : -priceTicks, n);
      this.keys.copyWithin(at, at + 1, n);
      this.handles.copyWithin(at, at + 1, n);
    }
    this.size = n - 1;
    const offset = priceTicks - this.base;
    if (offset >= 0 && offset < DENSE_WINDOW) (this.dense as Int32Array)[offset] = NIL;
    else this.far.delete(priceTicks);
    this.levelFree[this.levelFreeCount++] = level;
  }

  /** Appends an order at the back of a level's queue (time priority: last). */
  pushBack(level: number, h: number): void {
    const o = this.orders;
    const tail = this.levelTail[level] as number;
    o.level[h] = level;
    o.next[h] = NIL;
    o.prev[h] = tail;
    if (tail === NIL) this.levelHead[level] = h;
    else o.next[tail] = h;
    this.levelTail[level] = h;
    this.levelTotal[level] = (this.levelTotal[level] as number) + (o.size[h] as number);
    this.levelCount[level] = (this.levelCount[level] as number) + 1;
  }

  /** Inserts an order at the front of a level's queue (external snapshot liquidity). */
  pushFront(level: number, h: number): void {
    const o = this.orders;
    const head = this.levelHead[level] as number;
    o.level[h] = level;
    o.prev[h] = NIL;
    o.next[h] = head;
    if (head === NIL) this.levelTail[level] = h;
    else o.prev[head] = h;
    this.levelHead[level] = h;
    this.levelTotal[level] = (this.levelTotal[level] as number) + (o.size[h] as number);
    this.levelCount[level] = (this.levelCount[level] as number) + 1;
  }

  /** Unlinks an order from its level in O(1), taking its whole remaining size off the level. */
  unlink(h: number): void {
    const o = this.orders;
    const level = o.level[h] as number;
    const prev = o.prev[h] as number;
    const next = o.next[h] as number;
    if (prev === NIL) this.levelHead[level] = next;
    else o.next[prev] = next;
    if (next === NIL) this.levelTail[level] = prev;
    else o.prev[next] = prev;
    o.level[h] = NIL;
    this.levelTotal[level] = (this.levelTotal[level] as number) - (o.size[h] as number);
    this.levelCount[level] = (this.levelCount[level] as number) - 1;
  }

  /** Index of the first key >= `key` among the first `end` keys. */
  private search(key: number, end: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as number) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private growLevels(): void {
    const capacity = this.levelCapacity * 2;
    this.levelPrice = grownFloat64(this.levelPrice, capacity);
    this.levelTotal = grownFloat64(this.levelTotal, capacity);
    this.levelCount = grownInt32(this.levelCount, capacity);
    this.levelHead = grownInt32(this.levelHead, capacity);
    this.levelTail = grownInt32(this.levelTail, capacity);
    this.levelFree = grownInt32(this.levelFree, capacity);
    this.levelCapacity = capacity;
  }
}
