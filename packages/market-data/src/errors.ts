/**
 * Typed errors of market data: malformed recordings (with file and line), broken
 * book sequences, look-ahead requests and symbols without data yet.
 */
import { AutonomeError } from "@autonome/core";

/** A recorded file has a line this package cannot read. */
export class MarketDataFormatError extends AutonomeError {
  readonly code = "MARKET_DATA_FORMAT";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/** A depth diff does not continue the book it should apply to (U/u/pu or begin_nonce). */
export class BookSequenceError extends AutonomeError {
  readonly code = "BOOK_SEQUENCE_GAP";
  constructor(
    readonly symbol: string,
    readonly expected: string,
    readonly received: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(
      `${symbol} book sequence gap: expected ${expected}, received ${received}${file ? ` (${file}:${line ?? "?"})` : ""}`,
    );
  }
}

/** A caller asked a source for a time later than its clock. */
export class LookAheadError extends AutonomeError {
  readonly code = "LOOK_AHEAD";
  constructor(
    readonly requestedTs: number,
    readonly nowTs: number,
  ) {
    super(`cannot advance to ${requestedTs}: the clock is at ${nowTs}`);
  }
}

/** A symbol has no price or book yet at the current time. */
export class NoMarketDataError extends AutonomeError {
  readonly code = "NO_MARKET_DATA";
  constructor(
    readonly symbol: string,
    readonly ts: number,
  ) {
    super(`no market data for ${symbol} at ${ts}`);
  }
}
