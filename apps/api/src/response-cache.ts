/**
 * Short-lived cache of whole JSON answers, already serialized: a hot read route (the
 * leaderboard, positions, equity, models) builds and `JSON.stringify`s its answer once
 * per `ttlMs` and every other request in that interval writes the same bytes. Builds are
 * single flight (concurrent requests for one key share one build) and strict: an answer
 * is never served more than `ttlMs` after its build began, so a route that marks positions
 * at live prices is at most that stale. `invalidate()` (a trading event) drops every
 * answer at once; a build that was running then is handed to the requests already waiting
 * for it but not kept. Failed builds are not kept either.
 */

/** UTF-8 JSON bytes of a value of type T (the brand keeps the route's typed answer). */
export type SerializedJson<T> = Uint8Array<ArrayBuffer> & { readonly __json?: T };

interface Entry {
  body: Promise<SerializedJson<unknown>>;
  /** When its build began (epoch ms of the injected clock). */
  startedAt: number;
}

const encoder = new TextEncoder();

/** Keyed cache of serialized JSON answers with a strict time bound and single-flight builds. */
export class ResponseCache {
  private entries = new Map<string, Entry>();

  constructor(
    /** How long an answer is reused (ms); 0 disables the cache. */
    readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 500,
  ) {}

  /** The answer of `key` as UTF-8 JSON: the cached bytes, or `build()`'s value serialized. */
  get<T>(key: string, build: () => Promise<T>): Promise<SerializedJson<T>> {
    if (this.ttlMs <= 0) return build().then(serialize);
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry !== undefined && now - entry.startedAt < this.ttlMs) return entry.body as Promise<SerializedJson<T>>;
    const entries = this.entries;
    if (entry === undefined && entries.size >= this.maxEntries) entries.clear();
    const body = build().then(serialize);
    const fresh: Entry = { body, startedAt: now };
    entries.set(key, fresh);
    body.catch(() => {
      if (entries.get(key) === fresh) entries.delete(key);
    });
    return body;
  }

  /** Forgets every answer (trading state changed). */
  invalidate(): void {
    this.entries = new Map();
  }
}

function serialize<T>(value: T): SerializedJson<T> {
  return encoder.encode(JSON.stringify(value));
}
