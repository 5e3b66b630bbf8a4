/**
 * A tiny time-bounded cache with single flight and stale-while-revalidate: concurrent
 * requests for one key share one database round trip; an answer older than `ttlMs`
 * is still served while one background reload replaces it, so a slow aggregate never
 * makes a request wait once it has been computed. `invalidate()` (called when an event
 * says trading state changed) drops everything, so the first request after an event
 * always reads the database.
 */

interface Entry<T> {
  value: Promise<T>;
  /** When the value was loaded (epoch ms). */
  at: number;
  /** True once the value resolved. */
  ready: boolean;
  /** A reload in flight. */
  reloading: boolean;
}

/** Keyed, time-bounded, single-flight cache of async reads. */
export class ReadCache {
  private entries = new Map<string, Entry<unknown>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 500,
  ) {}

  /** The cached value of `key`, or the result of `load` (cached unless it fails). */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const entry = this.entries.get(key) as Entry<T> | undefined;
    if (entry !== undefined) {
      if (!entry.ready || this.now() - entry.at < this.ttlMs) return entry.value;
      if (!entry.reloading) this.reload(key, entry, load);
      return entry.value;
    }
    return this.start(key, load).value;
  }

  private start<T>(key: string, load: () => Promise<T>): Entry<T> {
    const entries = this.entries;
    if (entries.size >= this.maxEntries) entries.clear();
    const entry: Entry<T> = { value: load(), at: this.now(), ready: false, reloading: false };
    entries.set(key, entry);
    entry.value.then(
      () => {
        entry.ready = true;
        entry.at = this.now();
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return entry;
  }

  private reload<T>(key: string, stale: Entry<T>, load: () => Promise<T>): void {
    stale.reloading = true;
    const entries = this.entries;
    load().then(
      (value) => {
        // Replace only if nothing newer (or an invalidation) happened meanwhile.
        if (entries === this.entries && entries.get(key) === stale) entries.set(key, { value: Promise.resolve(value), at: this.now(), ready: true, reloading: false });
      },
      () => {
        stale.reloading = false;
      },
    );
  }

  /** Forgets everything (state changed). */
  invalidate(): void {
    this.entries = new Map();
  }
}
