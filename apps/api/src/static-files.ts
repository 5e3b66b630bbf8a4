/**
 * The dashboard's static files (apps/web's build), served at /. Paths are resolved
 * inside the directory only (no `..` escapes); unknown paths without an extension get
 * index.html so the dashboard's own routes load on refresh.
 */
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** A file to send, or null. */
export async function readStaticFile(root: string, urlPath: string): Promise<{ body: Uint8Array; type: string; immutable: boolean } | null> {
  const base = resolve(root);
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const wanted = normalize(join(base, decoded === "/" ? "index.html" : decoded));
  if (wanted !== base && !wanted.startsWith(base + sep)) return null;
  const candidates = extname(wanted) === "" ? [wanted, join(base, "index.html")] : [wanted];
  for (const path of candidates) {
    try {
      const info = await stat(path);
      if (!info.isFile()) continue;
      const body = await readFile(path);
      return { body, type: TYPES[extname(path)] ?? "application/octet-stream", immutable: path.includes(`${sep}assets${sep}`) };
    } catch {
      // try the next candidate
    }
  }
  return null;
}
