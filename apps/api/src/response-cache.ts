/**
 * Short-lived cache of whole JSON answers, already serialized: a hot read route (the
 * leaderboard, positions, equity, models) builds and `JSON.stringify`s its answer once
 * per `ttlMs` and every other request in that interval writes the same bytes. Builds are
 * single flight (concurrent requests for one key share one build) and strict: an answer
 * is never served more than `ttlMs` after its build began, so a route that marks positions
 * at live prices is at most that stale. `invalidate()` (a trading event) drops every
 * answer at once; a build that was running then is handed to the requests already waiting
 * for it but not kept. Failed builds are not kept either.
 *
 * No request waits for a build once a key has been built and stays in use: an answer past
 * `refreshAheadFraction` of its bound is rebuilt in the background while its bytes are still
 * served, and `refresh()` (the state behind the answers changed) rebuilds them one at a time,
 * with a turn of the event loop between two, so requests are served between builds instead
 * of waiting behind all of them.
 */

/** UTF-8 JSON bytes of a value of type T (the brand keeps the route's typed answer). */
export type SerializedJson<T> = Uint8Array<ArrayBuffer> & { readonly __json?: T };

interface Entry {
  body: Promise<SerializedJson<unknown>>;
  /** When its build began (epoch ms of the injected clock). */
  startedAt: number;
  build: () => Promise<unknown>;
  /** Order of the build among the key's builds (a newer one is never replaced by an older one). */
  seq: number;
  /** When it was last asked for. */
  usedAt: number;
  /** A background rebuild under way. */
  next?: Entry;
}

const encoder = new TextEncoder();

/** Lets pending I/O (requests) run before the next build. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Keyed cache of serialized JSON answers with a strict time bound and single-flight builds. */
export class ResponseCache {
  private entries = new Map<string, Entry>();
  private seq = 0;
  private refreshing: Promise<void> = Promise.resolve();
  /** A refresh() asked for while one runs: the running one goes round once more. */
  private refreshAgain = false;
  private refreshRunning = false;
  /** Age (ms) from which a served answer is rebuilt in the background. */
  private readonly refreshAheadMs: number;

  constructor(
    /** How long an answer is reused (ms); 0 disables the cache. */
    readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 500,
    /** Answers not asked for in this long are dropped by refresh() instead of rebuilt. */
    private readonly idleMs = 10_000,
    /** Part of `ttlMs` after which an answer in use is rebuilt ahead of its bound (1: never ahead). */
    refreshAheadFraction = 0.8,
  ) {
    this.refreshAheadMs = ttlMs * Math.min(1, Math.max(0, refreshAheadFraction));
  }

  /** The answer of `key` as UTF-8 JSON: the cached bytes, or `build()`'s value serialized. */
  get<T>(key: string, build: () => Promise<T>): Promise<SerializedJson<T>> {
    if (this.ttlMs <= 0) return build().then(serialize);
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      entry.usedAt = now;
      const age = now - entry.startedAt;
      if (age < this.ttlMs) {
        // Rebuilt ahead of the bound, in the background: the request is served the bytes it has.
        if (age >= this.refreshAheadMs && entry.next === undefined && this.entries.get(key) === entry) entry.next = this.start(this.entries, key, entry.build, now, false);
        return entry.body as Promise<SerializedJson<T>>;
      }
      if (entry.next !== undefined && now - entry.next.startedAt < this.ttlMs) return entry.next.body as Promise<SerializedJson<T>>;
    }
    const entries = this.entries;
    if (entry === undefined && entries.size >= this.maxEntries) entries.clear();
    return this.start(entries, key, build, now, true).body as Promise<SerializedJson<T>>;
  }

  /** Starts a build of `key`; the entry takes its place now (`replace`) or once it is built. */
  private start(entries: Map<string, Entry>, key: string, build: () => Promise<unknown>, now: number, replace: boolean): Entry {
    const body = build().then(serialize);
    const fresh: Entry = { body, startedAt: now, build, seq: ++this.seq, usedAt: now };
    if (replace) entries.set(key, fresh);
    body.then(
      () => {
        const current = entries.get(key);
        if (current !== undefined && current.seq < fresh.seq) entries.set(key, { ...fresh, usedAt: current.usedAt });
        if (current?.next === fresh) current.next = undefined;
      },
      () => {
        const current = entries.get(key);
        if (current === fresh) entries.delete(key);
        else if (current?.next === fresh) current.next = undefined;
      },
    );
    return fresh;
  }

  /**
   * Rebuilds every answer in use in the background (the state behind them changed), one at
   * a time with a turn of the event loop between two; each is swapped in when built. Called
   * again while it runs, it goes round once more when done (calls in between coalesce).
   * Resolves once the answers in use now have been rebuilt.
   */
  refresh(): Promise<void> {
    if (this.ttlMs <= 0) return Promise.resolve();
    if (this.refreshRunning) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshRunning = true;
    const done = (async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.rebuildAll();
        } while (this.refreshAgain);
      } finally {
        this.refreshRunning = false;
      }
    })();
    this.refreshing = done;
    return done;
  }

  private async rebuildAll(): Promise<void> {
    const entries = this.entries;
    const now = this.now();
    const keys: string[] = [];
    for (const [key, entry] of entries) {
      if (now - entry.usedAt > this.idleMs) entries.delete(key);
      else keys.push(key);
    }
    for (const key of keys) {
      await nextTurn();
      // Invalidated meanwhile, or dropped: nothing to rebuild.
      if (entries !== this.entries) return;
      const entry = entries.get(key);
      if (entry === undefined) continue;
      const next = this.start(entries, key, entry.build, this.now(), false);
      entry.next = next;
      await next.body.catch(() => undefined);
    }
  }

  /** Resolves once the rebuilds started so far are done. */
  settled(): Promise<void> {
    return this.refreshing;
  }

  /** Forgets every answer (trading state changed). */
  invalidate(): void {
    this.entries = new Map();
  }
}

function serialize<T>(value: T): SerializedJson<T> {
  return encoder.encode(JSON.stringify(value));
}
