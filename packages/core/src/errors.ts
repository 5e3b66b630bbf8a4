/**
 * Typed errors. Every expected failure is an `AutonomeError` with a stable `code`,
 * a human message and the facts as fields, so callers branch on `code`, never on text.
 */

/** Base of every Autonome error: a stable machine-readable `code` and a human message. */
export abstract class AutonomeError extends Error {
  /** Stable, machine-readable error code. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** A JSON-safe view for logs and HTTP bodies (never carries secrets). */
  toJSON(): { code: string; message: string; name: string } {
    return { code: this.code, message: this.message, name: this.name };
  }
}

/** One problem with an input, located by its path. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Input from outside (env, HTTP, model tool arguments, files) failed validation. */
export class ValidationError extends AutonomeError {
  readonly code = "INVALID_INPUT";
  constructor(
    message: string,
    readonly issues: readonly ValidationIssue[] = [],
  ) {
    super(issues.length > 0 ? `${message}: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}` : message);
  }
}

/** Configuration (environment, files) is missing or invalid. */
export class ConfigError extends AutonomeError {
  readonly code = "CONFIG_INVALID";
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

/**
 * A boolean environment variable: true/1/yes/on or false/0/no/off (any case, trimmed);
 * `fallback` when unset or empty; anything else is a ConfigError naming the variable.
 */
export function readBooleanEnv(env: Readonly<Record<string, string | undefined>>, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1" || raw === "yes" || raw === "on") return true;
  if (raw === "false" || raw === "0" || raw === "no" || raw === "off") return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`, name);
}

/** A symbol or market id that no loaded market has. */
export class UnknownMarketError extends AutonomeError {
  readonly code = "UNKNOWN_MARKET";
  constructor(readonly market: string | number) {
    super(`unknown market ${String(market)}`);
  }
}

/** Why an order was rejected. Stable strings, shown to users and models. */
export type RejectReason =
  | "UNKNOWN_MARKET"
  | "INVALID_PRICE_TICK"
  | "INVALID_SIZE_LOT"
  | "BELOW_MIN_SIZE"
  | "BELOW_MIN_NOTIONAL"
  | "NON_POSITIVE_SIZE"
  | "NON_POSITIVE_PRICE"
  | "PRICE_OUT_OF_RANGE"
  | "SIZE_OUT_OF_RANGE"
  | "DUPLICATE_ORDER_ID"
  | "UNKNOWN_ORDER"
  | "POST_ONLY_WOULD_CROSS"
  | "FOK_NOT_FILLABLE"
  | "NO_LIQUIDITY"
  /** A command that needs an open position (close it, change its exit plan) found none. */
  | "NO_POSITION"
  | "REDUCE_ONLY_NO_POSITION"
  | "REDUCE_ONLY_WRONG_SIDE"
  | "INSUFFICIENT_MARGIN"
  | "LEVERAGE_TOO_HIGH"
  /** Leverage that is not a positive finite number. */
  | "INVALID_LEVERAGE"
  | "INVALID_TRIGGER"
  | "UNKNOWN_ACCOUNT"
  | "SELF_TRADE";

/** An order the exchange (real or simulated) refused. Nothing changed. */
export class OrderRejectedError extends AutonomeError {
  readonly code = "ORDER_REJECTED";
  constructor(
    readonly reason: RejectReason,
    readonly orderId: string,
    readonly detail?: string,
  ) {
    super(`order ${orderId} rejected: ${reason}${detail ? ` (${detail})` : ""}`);
  }
}

/** A record the caller named does not exist (model, order, account). */
export class NotFoundError extends AutonomeError {
  readonly code = "NOT_FOUND";
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

/** The record is not in a state that allows the change (for example closing a CLOSED order). */
export class StateConflictError extends AutonomeError {
  readonly code = "STATE_CONFLICT";
  constructor(
    message: string,
    readonly entity: string,
    readonly id: string,
  ) {
    super(message);
  }
}

/** A pre-trade risk check refused an action; `reason` is what the model is shown. */
export class RiskLimitError extends AutonomeError {
  readonly code = "RISK_LIMIT";
  constructor(
    readonly check: string,
    readonly reason: string,
  ) {
    super(`risk check ${check} failed: ${reason}`);
  }
}

/** An operation ran past its deadline. */
export class TimeoutError extends AutonomeError {
  readonly code = "TIMEOUT";
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} timed out after ${timeoutMs} ms`);
  }
}

/** Whether a value is an AutonomeError (across package copies too). */
export function isAutonomeError(value: unknown): value is AutonomeError {
  return (
    value instanceof AutonomeError ||
    (value instanceof Error && typeof (value as { code?: unknown }).code === "string" && "toJSON" in value)
  );
}
