/**
 * Fencing a run's broker calls with its lease. A run is started under a lease (holder and
 * fencing token, see @autonome/db's LeasesRepository); before each broker call that trades
 * it proves, with the database's clock, that the lease still holds, so a run whose lease
 * lapsed, was taken over or was claimed again for a new run stops before its next order.
 *
 * Invariants: a guarded call starts only after the check passed and while the fence is not
 * revoked; once revoked (locally, by the scheduler that cleared the run) no guarded call
 * starts again, without asking the database; `idle()` resolves only when no guarded call
 * is in flight, so a cleared run's model is not started again while its old run may still
 * be inside a broker call.
 */
import { type LeaseTicket, LeaseLostError, type LeasesRepository } from "@autonome/db";

/** Guards a run's broker calls with the lease the run was started under. */
export interface BrokerFence {
  /**
   * Runs `call` once the lease is proven held, counting it in flight until it settles;
   * rejects with LeaseLostError, and sends nothing, when the lease is lost.
   */
  guard<T>(call: () => Promise<T>): Promise<T>;
}

/** A run's fence over the leases table (see the module header). */
export class LeaseFence implements BrokerFence {
  private revokedWith: LeaseLostError | null = null;
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly leases: Pick<LeasesRepository, "assertHeld">,
    /** The lease the run was started under. */
    readonly ticket: LeaseTicket,
  ) {}

  /** Why the run was revoked, or null. */
  private revocation(): LeaseLostError | null {
    return this.revokedWith;
  }

  /** @inheritdoc */
  async guard<T>(call: () => Promise<T>): Promise<T> {
    if (this.revokedWith) throw this.revokedWith;
    this.inFlight++;
    try {
      await this.leases.assertHeld(this.ticket);
      // Revoked while the check ran: the scheduler may be starting the model again
      // (read through a method: the field changes across the await, which narrowing ignores).
      const revoked = this.revocation();
      if (revoked) throw revoked;
      return await call();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Fences the run off here and now: every later guarded call fails at once (`reason` says why). */
  revoke(reason: string): void {
    this.revokedWith ??= new LeaseLostError(this.ticket, null, reason);
  }

  /** Whether `revoke` was called. */
  get revoked(): boolean {
    return this.revokedWith !== null;
  }

  /** Guarded calls running now. */
  get callsInFlight(): number {
    return this.inFlight;
  }

  /** Resolves once no guarded call is in flight (at once when none is). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
