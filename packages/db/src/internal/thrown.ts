/**
 * PGlite (Emscripten underneath) throws plain objects, not Errors: an `ErrnoError` with a
 * numeric Emscripten errno, which prints as `[object Object]`. This turns anything thrown
 * into an Error whose message says what happened.
 */

// Emscripten's errno numbers (not the host's) for the file-system failures worth naming.
const EMSCRIPTEN_ERRNO: Record<number, string> = {
  2: "EACCES (permission denied)",
  10: "EBUSY (resource busy)",
  20: "EEXIST (file exists)",
  28: "EINVAL (invalid argument)",
  29: "EIO (input/output error)",
  31: "EISDIR (is a directory)",
  33: "EMFILE (too many open files)",
  44: "ENOENT (no such file or directory)",
  51: "ENOSPC (no space left on device)",
  54: "ENOTDIR (not a directory)",
  55: "ENOTEMPTY (directory not empty)",
  63: "EPERM (operation not permitted)",
  69: "EROFS (read-only file system)",
};

/** A readable one-line description of any thrown value. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) {
    const inner = (value as { errors?: unknown }).errors;
    if (value.message === "" && Array.isArray(inner) && inner.length > 0) return inner.map(describeThrown).join("; ");
    return value.message || value.name;
  }
  if (typeof value === "object" && value !== null) {
    const v = value as { name?: unknown; message?: unknown; errno?: unknown; code?: unknown; status?: unknown };
    if (typeof v.errno === "number" && (v.name === "ErrnoError" || v.message === undefined)) {
      return `${EMSCRIPTEN_ERRNO[v.errno] ?? `errno ${v.errno}`}`;
    }
    if (typeof v.message === "string" && v.message !== "") return v.message;
    if (typeof v.name === "string" && typeof v.status === "number") return `${v.name} ${v.status}`;
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

/** `value` itself when it is an Error, else an Error saying `context: <what was thrown>` (the value as its cause). */
export function asError(value: unknown, context: string): Error {
  if (value instanceof Error) return value;
  return new Error(`${context}: ${describeThrown(value)}`, { cause: value });
}
