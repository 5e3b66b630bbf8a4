/**
 * Errors as JSON: every failure leaves the api as `{ error: { code, message, issues? } }`
 * with the status its kind implies. Unknown errors become a 500 that never echoes
 * internals (the message is generic; the cause is logged by the caller's logger).
 */
import { AutonomeError, NotFoundError, StateConflictError, ValidationError, isAutonomeError } from "@autonome/core";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The JSON body of every error response. */
export interface ApiErrorBody {
  error: {
    /** Stable machine-readable code, e.g. INVALID_INPUT, NOT_FOUND, METHOD_NOT_ALLOWED. */
    code: string;
    message: string;
    /** Which inputs were wrong, for INVALID_INPUT. */
    issues?: { path: string; message: string }[];
  };
}

/** An HTTP-level failure the api raises itself (unknown route, wrong method). */
export class HttpError extends AutonomeError {
  /** Stable code of the failure. */
  readonly code: string;
  constructor(
    readonly status: ContentfulStatusCode,
    code: string,
    message: string,
  ) {
    super(message);
    this.code = code;
  }
}

/** The status and body an error maps to. */
export function toErrorResponse(error: unknown): { status: ContentfulStatusCode; body: ApiErrorBody } {
  if (error instanceof HttpError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof ValidationError) {
    return {
      status: 400,
      body: { error: { code: error.code, message: error.message, issues: error.issues.map((i) => ({ path: i.path, message: i.message })) } },
    };
  }
  if (error instanceof NotFoundError) return { status: 404, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof StateConflictError) return { status: 409, body: { error: { code: error.code, message: error.message } } };
  if (isAutonomeError(error)) return { status: 400, body: { error: { code: error.code, message: error.message } } };
  return { status: 500, body: { error: { code: "INTERNAL", message: "internal error" } } };
}
