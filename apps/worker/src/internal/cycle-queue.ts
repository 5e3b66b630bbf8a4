/**
 * A query queue for pglite-socket that keeps each client's protocol cycle whole.
 * PGlite is one PostgreSQL session: the stock queue runs one wire message at a time,
 * so two clients' extended-protocol messages (Parse, Bind, Execute, Sync) interleave
 * and clobber each other's unnamed statement and portal, and the worker's own direct
 * queries slip in between too. This queue lets one client own the session from its
 * first message until a Sync or simple Query leaves the session idle (outside a
 * transaction), and holds PGlite's transaction lock meanwhile, so in-process queries
 * (which take that lock) wait for the cycle as well.
 */
import type { PGlite } from "@electric-sql/pglite";

interface Item {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

type PGliteInternals = PGlite & { _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T> };

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

function simpleQuery(sql: string): Uint8Array {
  const body = Buffer.from(`${sql}\0`, "utf8");
  const message = Buffer.alloc(5 + body.length);
  message[0] = QUERY;
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return new Uint8Array(message);
}

/** Drop-in replacement of pglite-socket's QueryQueueManager (same four methods). */
export class CycleQueue {
  private queue: Item[] = [];
  private owner: number | null = null;
  private releaseLock: (() => void) | null = null;
  private processing = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error("Handler disconnected"));
      return false;
    });
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    // A client that vanished mid-cycle or mid-transaction must not keep the session.
    if (this.db.isInTransaction()) {
      await this.db.runExclusive(async () => {
        await this.db.execProtocolRawStream(simpleQuery("ROLLBACK"), { onRawData: () => undefined });
      });
    }
    this.release();
    void this.pump();
  }

  private acquire(handlerId: number): Promise<void> {
    return new Promise((acquired) => {
      void (this.db as PGliteInternals)._runExclusiveTransaction(
        () =>
          new Promise<void>((release) => {
            this.owner = handlerId;
            this.releaseLock = release;
            acquired();
          }),
      );
    });
  }

  private release(): void {
    const release = this.releaseLock;
    this.owner = null;
    this.releaseLock = null;
    release?.();
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (;;) {
        const index = this.owner === null ? (this.queue.length > 0 ? 0 : -1) : this.queue.findIndex((i) => i.handlerId === this.owner);
        if (index < 0) break;
        const item = this.queue.splice(index, 1)[0]!;
        if (this.owner === null) await this.acquire(item.handlerId);
        let bytes = 0;
        try {
          await this.db.runExclusive(async () => {
            await this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            });
          });
          item.resolve(bytes);
        } catch (error) {
          item.reject(error);
        }
        const type = item.message[0];
        // A startup packet has no type byte (its first byte is the length's high byte, 0).
        const endsCycle = type === SYNC || type === QUERY || type === TERMINATE || type === 0;
        if (endsCycle && !this.db.isInTransaction()) this.release();
      }
    } finally {
      this.processing = false;
    }
  }
}
