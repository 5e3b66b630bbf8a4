/**
 * A tiny time-bounded cache with single flight: concurrent requests for one key share
 * one database round trip, and an answer lives at most `ttlMs`. The api clears it when
 * an event says trading state changed, so a cached answer is never older than the
 * newest event the api has heard, nor older than ttlMs.
 */

interface Entry<T> {
  value: Promise<T>;
  at: number;
  generation: number;
}

/** Keyed, time-bounded, single-flight cache of async reads. */
export class ReadCache {
  private readonly entries = new Map<string, Entry<unknown>>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 500,
  ) {}

  /** The cached value of `key`, or the result of `load` (cached unless it fails). */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const entry = this.entries.get(key) as Entry<T> | undefined;
    if (entry !== undefined && entry.generation === this.generation && this.now() - entry.at < this.ttlMs) return entry.value;
    const generation = this.generation;
    const value = load();
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, at: this.now(), generation });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** Forgets everything (state changed). */
  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
