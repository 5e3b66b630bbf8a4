/**
 * Nonces per (account, API key): fetched once from the exchange, then handed
 * out by local increment (each tx must carry exactly the next nonce). On an
 * "invalid nonce" (21104) the counter is resynced from the exchange and the
 * operation is retried once with a freshly signed tx.
 */
import { LighterInvalidNonceError } from "./errors.js";

/** Where the next nonce comes from (the REST client's nextNonce). */
export type NonceSource = (accountIndex: number, apiKeyIndex: number) => Promise<number>;

/** Hands out nonces per (account, API key). */
export class NonceManager {
  private readonly next = new Map<string, number>();
  private readonly pending = new Map<string, Promise<number>>();

  constructor(private readonly source: NonceSource) {}

  /** Reserves and returns the next nonce (fetches it the first time). */
  async acquire(accountIndex: number, apiKeyIndex: number): Promise<number> {
    const id = `${accountIndex}:${apiKeyIndex}`;
    if (!this.next.has(id)) await this.load(id, accountIndex, apiKeyIndex);
    const nonce = this.next.get(id)!;
    this.next.set(id, nonce + 1);
    return nonce;
  }

  /** Forgets the local counter and fetches it again. */
  async resync(accountIndex: number, apiKeyIndex: number): Promise<number> {
    const id = `${accountIndex}:${apiKeyIndex}`;
    this.next.delete(id);
    return this.load(id, accountIndex, apiKeyIndex);
  }

  /**
   * Runs `send(nonce)`; if it fails with an invalid nonce, resyncs and runs it
   * once more with the fresh nonce (`send` must re-sign with the nonce it is given).
   */
  async withNonce<T>(accountIndex: number, apiKeyIndex: number, send: (nonce: number) => Promise<T>): Promise<T> {
    try {
      return await send(await this.acquire(accountIndex, apiKeyIndex));
    } catch (error) {
      if (!(error instanceof LighterInvalidNonceError)) {
        // Whether a refused tx consumed its nonce is the exchange's business: ask it next time.
        this.invalidate(accountIndex, apiKeyIndex);
        throw error;
      }
      await this.resync(accountIndex, apiKeyIndex);
      return send(await this.acquire(accountIndex, apiKeyIndex));
    }
  }

  /** Drops the local counter; the next acquire fetches it from the exchange. */
  invalidate(accountIndex: number, apiKeyIndex: number): void {
    this.next.delete(`${accountIndex}:${apiKeyIndex}`);
  }

  /** One fetch per key at a time; concurrent callers share it. */
  private async load(id: string, accountIndex: number, apiKeyIndex: number): Promise<number> {
    let pending = this.pending.get(id);
    if (!pending) {
      pending = this.source(accountIndex, apiKeyIndex).finally(() => this.pending.delete(id));
      this.pending.set(id, pending);
    }
    const fetched = await pending;
    if (!this.next.has(id)) this.next.set(id, fetched);
    return this.next.get(id)!;
  }
}
