/** Typed errors of the database package; everything else uses @autonome/core's errors. */
import { AutonomeError } from "@autonome/core";

/** Why the migrator refused to run or stopped. */
export type MigrationFailure =
  /** An applied migration's SQL file changed since it was applied. */
  | "CHECKSUM_MISMATCH"
  /** The database records a migration this package does not have (newer code ran against it). */
  | "UNKNOWN_MIGRATION"
  /** A migration started but never finished (recorded by another tool); fix it by hand. */
  | "INCOMPLETE_MIGRATION"
  /** A migration's SQL failed; its transaction was rolled back. */
  | "SQL_ERROR";

/** The migrator refused to run, or a migration failed and was rolled back. */
export class MigrationError extends AutonomeError {
  readonly code = "MIGRATION_FAILED";
  constructor(
    readonly failure: MigrationFailure,
    readonly migration: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`migration ${migration}: ${message}`, options);
  }
}

/** Who holds a model's lease when a run finds it lost (see LeaseLostError). */
export interface LeaseHolder {
  workerId: string;
  token: number;
  /** Epoch ms, the database's clock. */
  expiresAt: number;
  /** The lease had expired when checked. */
  expired: boolean;
}

/** Why a run's lease is lost, in words. */
function lostBecause(ticket: { workerId: string; token: number }, current: LeaseHolder | null, reason: string | undefined): string {
  if (reason !== undefined) return reason;
  if (current === null) return "released";
  const until = new Date(current.expiresAt).toISOString();
  if (current.workerId === ticket.workerId && current.token === ticket.token) return `expired at ${until}`;
  return `${current.expired ? "last " : ""}held by ${current.workerId} (token ${current.token}) until ${until}`;
}

/**
 * A run's lease no longer holds: it lapsed, another worker took the model over, or the
 * model was claimed again for a new run (its stale run cleared). The run must stop before
 * its next broker call; nothing was sent for the call that found it.
 */
export class LeaseLostError extends AutonomeError {
  readonly code = "LEASE_LOST";
  constructor(
    /** The lease the run was started under. */
    readonly ticket: { modelId: string; workerId: string; token: number },
    /** The lease as it stands now, or null when the model has none (or when `reason` says why instead). */
    readonly current: LeaseHolder | null,
    /** Why, when it was not the database that said so (a run fenced off by its own worker). */
    reason?: string,
  ) {
    super(`lease of model ${ticket.modelId} lost by ${ticket.workerId} (token ${ticket.token}): ${lostBecause(ticket, current, reason)}`);
  }
}
