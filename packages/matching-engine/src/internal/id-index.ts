/**
 * The book's order-id index (internal, not exported): caller's id (string or number) -> order handle,
 * an open-addressing (linear probing) hash table in one typed array instead of a
 * `Map<string, number>`.
 *
 * Why: a `Map` costs two hash lookups for a resting order (duplicate check, then insert),
 * two for a cancel (get, then delete) and one for every maker a fill removes, and its
 * backing store is reallocated as deleted entries pile up. Here:
 * - `find` probes once and keeps the id's hash, so the insert after a match
 *   (`insertFound`) re-walks only the few slots `find` just brought into cache;
 * - each live handle records its slot (`store.slot`), so removing a known handle is O(1)
 *   with no hashing at all (cancel = one probe, a filled maker = none);
 * - a slot holds [handle, hash] side by side (one cache line per probe), and the hash is
 *   compared before the id string is touched;
 * - a removal at the end of a probe run empties its slot (and the tombstones before it)
 *   instead of leaving a tombstone, so rebuilds are rare; a rebuild reuses a spare array
 *   of the same size, so the hot path allocates nothing.
 *
 * - numeric ids below DIRECT_LIMIT (and the strings naming them) skip the table: a direct
 *   array indexed by the id holds their handles.
 *
 * Invariants:
 * - `store.slot[h]` is -1 for a handle not indexed, `-2 - id` for one in the direct array
 *   (`direct[id] === h + 1`; 0 there means none), and its table slot otherwise.
 * - `table[2s]` is EMPTY, TOMBSTONE, or a live handle h with `store.slot[h] === s`, and
 *   then `table[2s + 1] === hashId(store.ids[h])`; every live id is reachable from its
 *   home slot (hash & mask) by linear probing without crossing an EMPTY slot.
 * - `used` (live + tombstones) stays at most half the slots, so probes are short.
 * - `insertFound` indexes under the hash of the last `find`, which must have missed;
 *   only `remove` may run in between (the id is still absent then).
 */
import type { OrderId } from "../types.js";
import type { OrderStore } from "./book-side.js";

/** A never-used slot: probing stops here. */
const EMPTY = -1;
/** A slot whose handle was removed: probing continues past it. */
const TOMBSTONE = -2;
const NOT_FOUND = -1;

/** An order id as the book takes it (the public `OrderId`: a string, or a safe integer naming the same order as its decimal string). */
export type OrderKey = OrderId;

/** murmur3's 32-bit finalizer over a safe integer's two halves. */
function hashInteger(v: number): number {
  let h = (v >>> 0) ^ Math.imul((v / 4294967296) | 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The numeric value of the string `hashText` last hashed, or -1 when it was not a canonical safe integer. */
let lastNumeric = -1;

/** `hashId` of a string; leaves its numeric value (or -1) in `lastNumeric`. */
function hashText(id: string): number {
  const n = id.length;
  let h = 0x811c9dc5;
  let numeric = n > 0 && n <= 16 && (n === 1 || id.charCodeAt(0) !== 48);
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    h = Math.imul(h ^ c, 0x01000193);
    if (numeric) {
      const d = c - 48;
      if (d < 0 || d > 9) numeric = false;
      else v = v * 10 + d;
    }
  }
  // Past 2^53 the running value rounds, but never back to a safe integer.
  if (numeric && v <= Number.MAX_SAFE_INTEGER) {
    lastNumeric = v;
    return hashInteger(v);
  }
  lastNumeric = -1;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

/**
 * 32-bit FNV-1a over the UTF-16 code units, with a final avalanche so the low bits mix. A
 * string that is the canonical decimal form of a safe integer (digits only, no leading zero)
 * hashes as that integer, so `"5"` and `5` land on the same slot.
 */
export function hashId(id: OrderKey): number {
  return typeof id === "number" ? hashInteger(id) : hashText(id);
}

/** Whether two ids with the same hash name the same order (`5` and `"5"` do). */
export function sameId(a: OrderKey, b: OrderKey): boolean {
  if (a === b) return true;
  if (typeof a === typeof b) return false;
  return String(a) === String(b);
}

/** Whether `id` is a well-formed order id (see OrderKey). */
export function isOrderKey(id: unknown): id is OrderKey {
  return typeof id === "string" ? id.length > 0 : Number.isSafeInteger(id) && (id as number) >= 0;
}

/** The id as the book's results and views report it: the decimal string of a numeric id. */
export function idText(id: OrderKey): string {
  return typeof id === "string" ? id : String(id);
}

/**
 * Numeric ids (and canonical numeric strings) below this go in a direct array indexed by the
 * id itself, grown to the largest such id seen: sequence-like ids then cost no hashing and
 * land next to the previous id in memory. At most 4 Mi entries (16 MB).
 */
export const DIRECT_LIMIT = 1 << 22;

/** An id -> handle hash table over an OrderStore's ids. */
export class IdIndex {
  /** [handle, hash] per slot. */
  private table: Int32Array;
  /** Slots - 1 (slots is a power of two). */
  private mask: number;
  /** Live entries. */
  size = 0;
  /** Live entries plus tombstones. */
  private used = 0;
  /** Hash of the id the last `find` missed, valid while `pending`. */
  private pendingHash = 0;
  /** The direct key (numeric id) the last `find` missed, or -1 when it missed in the table. */
  private pendingDirect = -1;
  private pending = false;
  /** Numeric id -> handle + 1 (0 when none, so a fresh array needs no fill), for ids below DIRECT_LIMIT; grows on demand. */
  private direct = new Int32Array(0);
  /** A same-size array a rebuild writes into and swaps with the live one. */
  private spare: Int32Array | null = null;

  /** Reads the store's `ids` and keeps each live handle's slot in the store's `slot` array. */
  constructor(
    private readonly store: OrderStore,
    slots = 1024,
  ) {
    this.table = new Int32Array(2 * slots).fill(EMPTY);
    this.mask = slots - 1;
  }

  /** The handle of `id`, or -1. A miss prepares `insertFound` for this id. */
  find(id: OrderKey): number {
    let hash: number;
    if (typeof id === "number") {
      if (id < DIRECT_LIMIT) return this.findDirect(id);
      hash = hashInteger(id);
    } else {
      hash = hashText(id);
      const v = lastNumeric;
      if (v >= 0 && v < DIRECT_LIMIT) return this.findDirect(v);
    }
    const table = this.table;
    const ids = this.store.ids;
    const mask = this.mask;
    let s = hash & mask;
    for (;;) {
      const h = table[2 * s] as number;
      if (h === EMPTY) break;
      if (h >= 0 && table[2 * s + 1] === hash) {
        const stored = ids[h] as OrderKey;
        if (stored === id || (typeof stored !== typeof id && sameId(stored, id))) return h;
      }
      s = (s + 1) & mask;
    }
    this.pendingHash = hash;
    this.pendingDirect = -1;
    this.pending = true;
    return NOT_FOUND;
  }

  private findDirect(key: number): number {
    const direct = this.direct;
    if (key < direct.length) {
      const entry = direct[key] as number;
      if (entry !== 0) return entry - 1;
    }
    this.pendingDirect = key;
    this.pending = true;
    return NOT_FOUND;
  }

  /** Whether `id` is indexed (same as find(id) !== -1). */
  has(id: OrderKey): boolean {
    return this.find(id) !== NOT_FOUND;
  }

  /** Indexes handle `h` under the id the last (missed) `find` was given. */
  insertFound(h: number): void {
    if (!this.pending) throw new Error("IdIndex.insertFound without a missed find");
    this.pending = false;
    const key = this.pendingDirect;
    if (key >= 0) {
      if (key >= this.direct.length) this.growDirect(key);
      this.direct[key] = h + 1;
      this.store.slot[h] = -2 - key;
      this.size++;
      return;
    }
    const hash = this.pendingHash;
    const table = this.table;
    const mask = this.mask;
    let s = hash & mask;
    let at = table[2 * s] as number;
    while (at >= 0) {
      s = (s + 1) & mask;
      at = table[2 * s] as number;
    }
    if (at === EMPTY) this.used++;
    table[2 * s] = h;
    table[2 * s + 1] = hash;
    this.store.slot[h] = s;
    this.size++;
    if (2 * this.used > mask + 1) this.rebuild();
  }

  /** Indexes handle `h` under `id`, which must not be indexed yet. */
  insert(id: OrderKey, h: number): void {
    this.find(id);
    this.insertFound(h);
  }

  /** Removes a live handle (its slot is known: no hashing). */
  remove(h: number): void {
    const slotOf = this.store.slot;
    let s = slotOf[h] as number;
    slotOf[h] = NOT_FOUND;
    this.size--;
    if (s < 0) {
      this.direct[-2 - s] = 0;
      return;
    }
    const table = this.table;
    const mask = this.mask;
    if (table[2 * ((s + 1) & mask)] !== EMPTY) {
      table[2 * s] = TOMBSTONE; // a live id may probe past this slot
      return;
    }
    // End of a probe run: nothing probes past here, so this slot and the tombstones
    // right before it can become EMPTY again.
    table[2 * s] = EMPTY;
    this.used--;
    s = (s - 1) & mask;
    while (table[2 * s] === TOMBSTONE) {
      table[2 * s] = EMPTY;
      this.used--;
      s = (s - 1) & mask;
    }
  }

  /** Every live handle, in handle order. */
  handles(): number[] {
    const out: number[] = [];
    const slotOf = this.store.slot;
    for (let h = 0; h < this.store.top; h++) if (slotOf[h] !== NOT_FOUND) out.push(h);
    return out;
  }

  /** Grows the direct array (x4 at a time: fewer copies of a large array) to hold `key`, below DIRECT_LIMIT. */
  private growDirect(key: number): void {
    let length = Math.max(1024, this.direct.length);
    while (length <= key) length *= 4;
    const grown = new Int32Array(Math.min(length, DIRECT_LIMIT));
    grown.set(this.direct);
    this.direct = grown;
  }

  /** Re-inserts every live entry into a table sized for them (drops tombstones, grows when over 1/4 full). */
  private rebuild(): void {
    const old = this.table;
    const oldSlots = old.length / 2;
    let slots = oldSlots;
    while (this.size * 4 > slots) slots *= 2;
    const table = slots === oldSlots && this.spare !== null ? this.spare : new Int32Array(2 * slots);
    table.fill(EMPTY);
    const mask = slots - 1;
    const slotOf = this.store.slot;
    for (let i = 0; i < old.length; i += 2) {
      const h = old[i] as number;
      if (h < 0) continue;
      const hash = old[i + 1] as number;
      let s = hash & mask;
      while (table[2 * s] !== EMPTY) s = (s + 1) & mask;
      table[2 * s] = h;
      table[2 * s + 1] = hash;
      slotOf[h] = s;
    }
    this.spare = slots === oldSlots ? old : null;
    this.table = table;
    this.mask = mask;
    this.used = this.size;
  }
}
