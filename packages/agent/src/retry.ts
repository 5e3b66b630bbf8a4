/**
 * The agent's own retry policy (LangChain's is switched off with maxRetries 0):
 * which failures are worth another attempt, and exponential backoff between them.
 */

/** How a failed model request is classified. */
export interface FailureClass {
  /** Stable code recorded with the invocation. */
  code: "RATE_LIMITED" | "UPSTREAM" | "NETWORK" | "MODEL_ERROR" | "CONFIG" | "TRUNCATED" | "EMPTY_REPLY";
  retryable: boolean;
  /** HTTP status, when the endpoint answered. */
  status: number | null;
  /** The endpoint's Retry-After hint in ms, when it gave one. */
  retryAfterMs: number | null;
}

function retryAfterOf(error: unknown): number | null {
  const e = error as { retryAfterMs?: unknown; headers?: { get?: (name: string) => string | null } | Record<string, string> } | null;
  if (!e || typeof e !== "object") return null;
  if (typeof e.retryAfterMs === "number" && Number.isFinite(e.retryAfterMs) && e.retryAfterMs >= 0) return e.retryAfterMs;
  const raw = typeof e.headers?.get === "function" ? e.headers.get("retry-after") : (e.headers as Record<string, string> | undefined)?.["retry-after"];
  if (typeof raw !== "string") return null;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

function statusOf(error: unknown): number | null {
  const e = error as { status?: unknown; response?: { status?: unknown }; cause?: unknown } | null;
  if (!e || typeof e !== "object") return null;
  if (typeof e.status === "number") return e.status;
  if (e.response && typeof e.response.status === "number") return e.response.status;
  if (e.cause && e.cause !== error) return statusOf(e.cause);
  return null;
}

/** The error code of an endpoint's error body (`error.code`), as the OpenAI client keeps it. */
function wireCodeOf(error: unknown): string | null {
  const e = error as { code?: unknown; error?: { code?: unknown } } | null;
  if (!e || typeof e !== "object") return null;
  const code = e.code ?? e.error?.code;
  return typeof code === "string" ? code : null;
}

/**
 * Classifies an error thrown by a model request: 429, 5xx, 408/409, an empty reply and connection
 * failures are retryable; 401, 403 and 404 are configuration errors (a bad key, a mistyped model),
 * never retried; a reply truncated at the output limit and other 4xx are not retried.
 */
export function classifyFailure(error: unknown): FailureClass {
  const status = statusOf(error);
  const retryAfterMs = retryAfterOf(error);
  const wire = wireCodeOf(error);
  if (wire === "reply_truncated") return { code: "TRUNCATED", retryable: false, status, retryAfterMs };
  if (wire === "empty_choices") return { code: "EMPTY_REPLY", retryable: true, status, retryAfterMs };
  if (status === 401 || status === 403 || status === 404) return { code: "CONFIG", retryable: false, status, retryAfterMs };
  if (status === 429) return { code: "RATE_LIMITED", retryable: true, status, retryAfterMs };
  if (status !== null && (status >= 500 || status === 408 || status === 409)) return { code: "UPSTREAM", retryable: true, status, retryAfterMs };
  if (status !== null) return { code: "MODEL_ERROR", retryable: false, status, retryAfterMs };
  const name = error instanceof Error ? `${error.name} ${error.constructor.name} ${error.message}` : String(error);
  if (/Connection|ECONNRESET|ECONNREFUSED|socket hang up|fetch failed|EPIPE|terminated/i.test(name)) return { code: "NETWORK", retryable: true, status: null, retryAfterMs: null };
  return { code: "MODEL_ERROR", retryable: false, status: null, retryAfterMs: null };
}

/**
 * An error as one clean line for the record: the endpoint's message without the client's
 * troubleshooting boilerplate ("Troubleshooting URL: ..."), stack or extra lines.
 */
export function failureMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error);
  const text = (raw ?? "unknown error").split(/\n\s*Troubleshooting URL:/)[0] ?? "";
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "unknown error";
  return line.trim();
}

/** The wait before a retry: the exponential backoff, or the endpoint's Retry-After hint when longer (capped at 60 s). */
export function retryDelayMs(retry: number, baseMs: number, failure: FailureClass): number {
  const backoff = backoffDelayMs(retry, baseMs);
  return failure.retryAfterMs === null ? backoff : Math.max(backoff, Math.min(failure.retryAfterMs, 60_000));
}

/** Delay before retry number `retry` (1-based): base * 2^(retry - 1), capped. */
export function backoffDelayMs(retry: number, baseMs: number, capMs = 30_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
}

/** Sleeps `ms` unless the signal aborts first (then rejects with its reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
