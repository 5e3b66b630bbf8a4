/**
 * One process owns a PGlite data directory: a second one opening it would corrupt it.
 * The owner holds `<dataDir>.lock` (created exclusively, holding its pid); a lock whose
 * process is gone is stale and taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { StateConflictError } from "@autonome/core";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Directories this process holds. A lock file with our own pid but not in here was left
// by an earlier process that had the same pid (a restarted container): it is stale.
const heldHere = new Set<string>();

/** Takes the lock of a data directory; returns its release. StateConflictError when a live process holds it. */
export function lockDataDir(dataDir: string): () => void {
  const lockPath = `${dataDir}.lock`;
  if (heldHere.has(lockPath)) {
    throw new StateConflictError(`PGlite data directory ${dataDir} is already open in this process`, "database", dataDir);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(lockPath);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(lockPath);
        rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let holder: number;
      try {
        holder = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
      } catch {
        continue; // removed meanwhile: try again
      }
      if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) {
        throw new StateConflictError(
          `PGlite data directory ${dataDir} is in use by process ${holder}; use one process per directory, or PostgreSQL (DATABASE_URL) to share a database`,
          "database",
          dataDir,
        );
      }
      rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  throw new StateConflictError(`could not lock PGlite data directory ${dataDir}`, "database", dataDir);
}
