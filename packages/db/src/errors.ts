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
