/**
 * Lighter errors in two roots (the ccxt split): a request error means the request
 * itself is wrong (do not retry it), a transient error means try again later
 * (with backoff; for an invalid nonce, after a resync). Every error carries
 * Lighter's numeric code and message. One table maps codes to classes.
 */
import { AutonomeError } from "@autonome/core";

/** Base of every Lighter error: Lighter's numeric code (or HTTP status) and message. */
export abstract class LighterError extends AutonomeError {
  readonly code = "LIGHTER_API";
  /** Whether retrying the same request later can succeed. */
  abstract readonly retryable: boolean;
  constructor(
    /** Lighter's `code` from the body, or the HTTP status when the body had none. */
    readonly lighterCode: number,
    /** Lighter's `message`. */
    readonly lighterMessage: string,
    /** HTTP status, 0 when no response arrived. */
    readonly httpStatus: number,
    options?: { cause?: unknown },
  ) {
    super(`Lighter error ${lighterCode}: ${lighterMessage}`, options);
  }
  /** JSON view with Lighter's code and HTTP status (never secrets). */
  override toJSON(): { code: string; message: string; name: string; lighterCode: number; httpStatus: number } {
    return { ...super.toJSON(), lighterCode: this.lighterCode, httpStatus: this.httpStatus };
  }
}

/** The request is wrong (bad parameters, rejected order, not found): retrying it unchanged will fail again. */
export class LighterRequestError extends LighterError {
  readonly retryable = false;
}

/** The order itself was refused (margin, reduce-only, price bands, ...). */
export class LighterOrderRejectedError extends LighterRequestError {}

/** The record does not exist (unknown tx hash, account, order). */
export class LighterNotFoundError extends LighterRequestError {}

/** The auth token is missing, expired or wrong. */
export class LighterAuthError extends LighterRequestError {}

/** A temporary failure: retry later with backoff. */
export class LighterTransientError extends LighterError {
  readonly retryable = true;
}

/** Rate limited (HTTP 429 or code 23000). */
export class LighterRateLimitError extends LighterTransientError {}

/** The request timed out (client deadline or code 29501). */
export class LighterTimeoutError extends LighterTransientError {}

/** The nonce was not the next one (21104): resync the nonce, re-sign, retry once. */
export class LighterInvalidNonceError extends LighterTransientError {}

/** The exchange failed internally or was unreachable. */
export class LighterUnavailableError extends LighterTransientError {}

type LighterErrorClass = new (code: number, message: string, httpStatus: number, options?: { cause?: unknown }) => LighterError;

/**
 * Lighter's codes (apidocs "Data Structures, Constants and Errors") -> classes.
 * Codes not listed fall back by range: 217xx/216xx order rules are rejections,
 * other 2xxxx are request errors, HTTP 5xx are unavailable.
 */
export const LIGHTER_ERROR_CLASSES: ReadonlyMap<number, LighterErrorClass> = new Map<number, LighterErrorClass>([
  [21104, LighterInvalidNonceError], // invalid nonce: the local counter drifted
  [21500, LighterNotFoundError], // transaction not found (also while it is still queued)
  [21501, LighterRequestError], // invalid tx info
  [21505, LighterRequestError], // unsupported tx type
  [21506, LighterRateLimitError], // too many pending txs: wait for some to execute
  [21507, LighterOrderRejectedError], // below maintenance margin
  [21508, LighterOrderRejectedError], // below initial margin
  [21513, LighterRequestError], // batch TxInfos/TxTypes length mismatch
  [21514, LighterRequestError], // more than 50 txs in a batch
  [21600, LighterOrderRejectedError], // not an active limit order
  [21601, LighterOrderRejectedError], // order book full
  [21602, LighterRequestError], // invalid market index
  [21614, LighterOrderRejectedError], // no position found (position-tied order)
  [21739, LighterOrderRejectedError], // not enough margin
  [23000, LighterRateLimitError], // too many requests
  [23001, LighterRateLimitError], // too many subscriptions
  [23002, LighterRateLimitError], // too many different accounts
  [23003, LighterRateLimitError], // too many connections
  [29404, LighterNotFoundError], // not found
  [29500, LighterUnavailableError], // internal server error
  [29501, LighterTimeoutError], // server-side timeout
  [30009, LighterRateLimitError], // WS: too many messages
  [30010, LighterRateLimitError], // WS: too many inflight messages
]);

/** The error for a Lighter code (and HTTP status), by the table, then by range. */
export function lighterErrorFor(code: number, message: string, httpStatus: number, options?: { cause?: unknown }): LighterError {
  const cls =
    LIGHTER_ERROR_CLASSES.get(code) ??
    (httpStatus === 429 || code === 429
      ? LighterRateLimitError
      : httpStatus === 401 || httpStatus === 403
        ? LighterAuthError
        : code >= 21600 && code < 21800
          ? LighterOrderRejectedError
          : httpStatus >= 500 || (code >= 500 && code < 600)
            ? LighterUnavailableError
            : LighterRequestError);
  return new cls(code, message, httpStatus, options);
}
