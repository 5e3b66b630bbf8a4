/**
 * The book's order-id index (internal, not exported): caller's string id -> order handle,
 * an open-addressing hash table in typed arrays instead of a `Map<string, number>`.
 *
 * Why: a `Map` costs two hash lookups for a resting order (duplicate check, then insert),
 * two for a cancel (get, then delete) and one for every maker a fill removes, and its
 * backing store is reallocated as deleted entries pile up. Here:
 * - `find` probes once and remembers where the id would go, so the insert after a
 *   successful match (`insertFound`) does not probe again;
 * - each live handle records its slot (`store.slot`), so removing a known handle is O(1)
 *   with no hashing at all (cancel = one probe, a filled maker = none);
 * - rebuilding (growth, or too many tombstones) reuses or swaps typed arrays, so the hot
 *   path allocates nothing.
 *
 * Invariants:
 * - `slots[s]` is EMPTY, TOMBSTONE, or a live handle h with `store.slot[h] === s` and
 *   `hashes[s] === hash(ids[h])`; every live id is reachable from its home slot by linear
 *   probing without crossing an EMPTY slot.
 * - `used` (live + tombstones) stays at most 1/2 of the capacity, so probes are short.
 * - Between `find` and `insertFound` only `remove` may run (it turns live slots into
 *   tombstones, so the remembered free slot stays free and the probe chain stays intact).
 */
import type { OrderStore } from "./book-side.js";

/** No such slot or handle. */
const EMPTY = -1;
/** A slot whose handle was removed (probing continues past it). */
const TOMBSTONE = -2;
const NOT_FOUND = -1;

/** 32-bit FNV-1a over the UTF-16 code units, with a final avalanche so the low bits mix. */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

export class IdIndex {
  private slots: Int32Array;
  private hashes: Int32Array;
  private mask: number;
  /** Live entries. */
  size = 0;
  /** Live entries plus tombstones. */
  private used = 0;
  /** Where the last `find` that missed would insert, and the id's hash. */
  private pendingSlot = EMPTY;
  private pendingHash = 0;
  /** Same-capacity arrays a rebuild writes into, swapped with the live ones (no allocation). */
  private spareSlots: Int32Array | null = null;
  private spareHashes: Int32Array | null = null;

  /** Reads the store's `ids` and keeps each live handle's slot in its `slot` array. */
  constructor(
    private readonly store: OrderStore,
    capacity = 1024,
  ) {
    this.slots = new Int32Array(capacity).fill(EMPTY);
    this.hashes = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** The handle of `id`, or -1. On a miss, remembers the slot for `insertFound`. */
  find(id: string): number {
    const hash = hashId(id);
    const slots = this.slots;
    const hashes = this.hashes;
    const ids = this.store.ids;
    const mask = this.mask;
    let s = hash & mask;
    let free = EMPTY;
    for (;;) {
      const h = slots[s] as number;
      if (h === EMPTY) break;
      if (h === TOMBSTONE) {
        if (free === EMPTY) free = s;
      } else if (hashes[s] === hash && ids[h] === id) {
        return h;
      }
      s = (s + 1) & mask;
    }
    this.pendingSlot = free === EMPTY ? s : free;
    this.pendingHash = hash;
    return NOT_FOUND;
  }

  /** Whether `id` is indexed (same as find(id) !== -1). */
  has(id: string): boolean {
    return this.find(id) !== NOT_FOUND;
  }

  /** Indexes handle `h` under the id the last (missed) `find` was given. */
  insertFound(h: number): void {
    const s = this.pendingSlot;
    if (s === EMPTY) throw new Error("IdIndex.insertFound without a missed find");
    if (this.slots[s] === EMPTY) this.used++;
    this.slots[s] = h;
    this.hashes[s] = this.pendingHash;
    this.store.slot[h] = s;
    this.size++;
    this.pendingSlot = EMPTY;
    if (this.used * 2 > this.slots.length) this.rebuild();
  }

  /** Indexes handle `h` under `id`, which must not be indexed yet. */
  insert(id: string, h: number): void {
    this.find(id);
    this.insertFound(h);
  }

  /** Removes a live handle (its slot is known: no hashing). */
  remove(h: number): void {
    this.slots[this.store.slot[h] as number] = TOMBSTONE;
    this.size--;
  }

  /** Every live handle, in slot order. */
  handles(): number[] {
    const out: number[] = [];
    for (const h of this.slots) if (h >= 0) out.push(h);
    return out;
  }

  /** Re-inserts every live entry into a table sized for them (drops tombstones, grows when over 1/4 full). */
  private rebuild(): void {
    const oldSlots = this.slots;
    const oldHashes = this.hashes;
    let capacity = oldSlots.length;
    while (this.size * 4 > capacity) capacity *= 2;
    const same = capacity === oldSlots.length && this.spareSlots !== null;
    const slots = same ? (this.spareSlots as Int32Array) : new Int32Array(capacity);
    const hashes = same ? (this.spareHashes as Int32Array) : new Int32Array(capacity);
    slots.fill(EMPTY);
    const mask = capacity - 1;
    const slotOf = this.store.slot;
    for (let i = 0; i < oldSlots.length; i++) {
      const h = oldSlots[i] as number;
      if (h < 0) continue;
      const hash = oldHashes[i] as number;
      let s = hash & mask;
      while (slots[s] !== EMPTY) s = (s + 1) & mask;
      slots[s] = h;
      hashes[s] = hash;
      slotOf[h] = s;
    }
    this.spareSlots = capacity === oldSlots.length ? oldSlots : null;
    this.spareHashes = capacity === oldSlots.length ? oldHashes : null;
    this.slots = slots;
    this.hashes = hashes;
    this.mask = mask;
    this.used = this.size;
  }
}
