/**
 * Resumable, verified downloads: a file is fetched into `<path>.part`, resumed with an
 * HTTP Range request after a dropped connection, checked against its sha256, and only
 * then renamed into place. A file already in place and verified is skipped.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { AutonomeError } from "@autonome/core";

/** A downloaded file's sha256 differs from the published checksum. */
export class ChecksumMismatchError extends AutonomeError {
  readonly code = "CHECKSUM_MISMATCH";
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${url}: sha256 ${actual} does not match the published checksum ${expected}`);
  }
}

/** A download failed for good (HTTP status or repeated connection failures). */
export class DownloadError extends AutonomeError {
  readonly code = "DOWNLOAD_FAILED";
  constructor(
    readonly url: string,
    readonly reason: string,
    /** HTTP status when the server answered. */
    readonly status: number | null = null,
  ) {
    super(`${url}: ${reason}`);
  }
}

/** What happened to one file. */
export interface FetchOutcome {
  path: string;
  /** "skipped": already present and verified; "downloaded": fetched now (resumes counted). */
  status: "skipped" | "downloaded" | "missing";
  bytes: number;
  resumes: number;
}

/** Options of {@link fetchFile}. */
export interface FetchFileOptions {
  /** Expected sha256 (hex); null = not verified. */
  sha256?: string | null;
  /** Connection failures survived per file (default 4). */
  maxResumes?: number;
  /** Whole-file retries after a checksum mismatch (default 1). */
  checksumRetries?: number;
  /** A 404 is reported as "missing" instead of thrown. */
  allowMissing?: boolean;
  /** Bytes received so far, for progress. */
  onBytes?: (bytes: number) => void;
}

/** sha256 of a file, hex. */
export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

async function fetchOnce(url: string, part: string, onBytes?: (bytes: number) => void): Promise<"done" | "dropped" | "missing"> {
  const have = existsSync(part) ? statSync(part).size : 0;
  let response: Response;
  try {
    response = await fetch(url, have > 0 ? { headers: { range: `bytes=${have}-` } } : {});
  } catch {
    return "dropped";
  }
  if (response.status === 404) return "missing";
  if (response.status === 416) return "done"; // the part already holds the whole file
  if (response.status !== 200 && response.status !== 206) throw new DownloadError(url, `HTTP ${response.status}`, response.status);
  // A 200 to a Range request means the server ignored it: start over.
  const fd = openSync(part, response.status === 206 ? "a" : "w");
  let received = response.status === 206 ? have : 0;
  try {
    if (!response.body) return "dropped";
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      writeSync(fd, chunk);
      received += chunk.length;
      onBytes?.(received);
    }
  } catch {
    return "dropped";
  } finally {
    closeSync(fd);
  }
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  const expectedTotal = response.status === 206 ? have + length : length;
  if (Number.isFinite(expectedTotal) && received < expectedTotal) return "dropped";
  return "done";
}

/** Downloads `url` to `path` unless a verified copy is there; resumes dropped connections; verifies sha256. */
export async function fetchFile(url: string, path: string, options: FetchFileOptions = {}): Promise<FetchOutcome> {
  const expected = options.sha256?.toLowerCase() ?? null;
  if (existsSync(path) && (expected === null || sha256File(path) === expected)) return { path, status: "skipped", bytes: statSync(path).size, resumes: 0 };
  mkdirSync(dirname(path), { recursive: true });
  const part = `${path}.part`;
  const maxResumes = options.maxResumes ?? 4;
  let resumes = 0;
  for (let attempt = 0; attempt <= (options.checksumRetries ?? 1); attempt++) {
    for (;;) {
      const result = await fetchOnce(url, part, options.onBytes);
      if (result === "missing") {
        rmSync(part, { force: true });
        if (options.allowMissing) return { path, status: "missing", bytes: 0, resumes };
        throw new DownloadError(url, "HTTP 404 (not published)", 404);
      }
      if (result === "done") break;
      if (++resumes > maxResumes) throw new DownloadError(url, `connection dropped ${resumes} times; the partial file ${part} is kept for the next run`);
    }
    const actual = sha256File(part);
    if (expected === null || actual === expected) {
      renameSync(part, path);
      return { path, status: "downloaded", bytes: statSync(path).size, resumes };
    }
    rmSync(part, { force: true });
    if (attempt === (options.checksumRetries ?? 1)) throw new ChecksumMismatchError(url, expected, actual);
  }
  throw new DownloadError(url, "unreachable");
}
