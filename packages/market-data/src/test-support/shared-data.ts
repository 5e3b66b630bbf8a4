/**
 * Finds the recorded data of ../shared/data for tests and benchmarks: the
 * AUTONOME_SHARED_DATA directory when set, else the first `shared/data` beside
 * one of this file's ancestors (the repository and shared/ are siblings, locally
 * and in CI). Not exported by the package.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute directory of the recorded data, or undefined when absent. */
export function sharedDataDir(): string | undefined {
  const fromEnv = process.env.AUTONOME_SHARED_DATA;
  if (fromEnv) return existsSync(fromEnv) ? resolve(fromEnv) : undefined;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 12; i++) {
    const candidate = join(dir, "shared", "data");
    if (existsSync(join(candidate, "README.md"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** Absolute path of a recorded file; throws with a clear message when the data is missing. */
export function sharedDataFile(name: string): string {
  const dir = sharedDataDir();
  if (!dir) throw new Error("recorded data not found: set AUTONOME_SHARED_DATA or place shared/data beside the repository");
  return join(dir, name);
}
