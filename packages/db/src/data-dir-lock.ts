/**
 * One process owns a PGlite data directory: a second one opening it would corrupt it
 * (each would write its own pages and WAL; the last to write wins). The owner holds
 * `<dataDir>.lock`, taken BEFORE the directory is opened and kept for the life of the
 * process.
 *
 * The lock file says who holds it: pid, host, boot id and the process's start time on
 * Linux, a random nonce. It is created whole and atomically: written to a file of our
 * own, then hard-linked to the lock's name (link fails when the name exists), so two
 * processes starting at the same instant can never both win and nobody reads a half
 * written lock. A lock whose process is gone (same host: no such pid, another boot, or
 * the pid now belongs to a younger process) is stale and taken over, also without a
 * race: the taker first takes `<lock>.break-<nonce>` the same way (one taker per stale
 * lock), checks that the lock still is the stale one, and only then removes it. The
 * lock is removed on release and when the process exits (process.exit included); after
 * SIGKILL the file stays but its pid is dead, so the next process takes it over.
 * A lock held on another host cannot be checked and is respected; remove it by hand
 * when that host no longer runs the process.
 */
import { createHash, randomUUID } from "node:crypto";
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { StateConflictError } from "@autonome/core";

/** What a lock file says about its holder. */
export interface DataDirLockOwner {
  pid: number;
  host: string;
  /** Epoch ms the lock was taken. */
  startedAt: number;
  /** Random id of this holding (another holding by the same pid has another one). */
  nonce: string;
  /** What holds it ("worker", "cli", "api", ...), for messages. */
  holder?: string;
  /** Linux boot id: a lock from an earlier boot is stale whatever its pid. */
  bootId?: string;
  /** Linux start time of the holding process (clock ticks since boot): tells a reused pid apart. */
  procStart?: string;
  /** Whatever the holder added with update() (the worker: the address it serves the database on). */
  [field: string]: unknown;
}

/** The data directory is locked by a live process (or, on another host, by one we cannot check). */
export class DataDirInUseError extends StateConflictError {
  constructor(
    readonly dataDir: string,
    /** Who holds it, when the lock file could be read. */
    readonly owner: DataDirLockOwner | null,
    message: string,
  ) {
    super(message, "database", dataDir);
  }
}

/** A held lock. */
export interface DataDirLock {
  readonly dataDir: string;
  /** The lock file. */
  readonly path: string;
  /** What the lock file says now. */
  readonly owner: DataDirLockOwner;
  /** Adds fields to the lock file (atomically replaced; the holding stays the same). */
  update(fields: Record<string, unknown>): void;
  /** Removes the lock file (idempotent). Also done when the process exits. */
  release(): void;
}

/** The lock file of a data directory: `<dataDir>.lock`, beside it. */
export function dataDirLockPath(dataDir: string): string {
  return `${resolve(dataDir)}.lock`;
}

// Holdings of this process, by nonce: a lock file naming our pid with another nonce was
// left by an earlier process that had the same pid (a restarted container), so it is stale.
const heldHere = new Map<string, { path: string; tmp: string | null }>();
let exitHookInstalled = false;

function releaseAllOnExit(): void {
  for (const [nonce, held] of heldHere) removeIfOurs(held.path, nonce);
  heldHere.clear();
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

let bootIdCache: string | null | undefined;
function bootId(): string | undefined {
  if (bootIdCache === undefined) bootIdCache = readText("/proc/sys/kernel/random/boot_id")?.trim() || null;
  return bootIdCache ?? undefined;
}

/** Field 22 of /proc/<pid>/stat (start time), or undefined off Linux or when the pid is gone. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19];
  } catch {
    return undefined;
  }
}

/** Parses a lock file; a legacy one holding only a pid is understood too. Null when it names no process. */
export function parseDataDirLock(text: string): DataDirLockOwner | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), host: hostname(), startedAt: 0, nonce: `legacy-${digest(trimmed)}` };
  try {
    const value = JSON.parse(trimmed) as Partial<DataDirLockOwner>;
    if (typeof value !== "object" || value === null || typeof value.pid !== "number") return null;
    return {
      ...value,
      pid: value.pid,
      host: typeof value.host === "string" ? value.host : hostname(),
      startedAt: typeof value.startedAt === "number" ? value.startedAt : 0,
      nonce: typeof value.nonce === "string" ? value.nonce : `legacy-${digest(trimmed)}`,
    };
  } catch {
    return null;
  }
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Reads the lock file of a data directory; null when there is none or it names no process. */
export function readDataDirLock(dataDir: string): DataDirLockOwner | null {
  const text = readText(dataDirLockPath(dataDir));
  return text === null ? null : parseDataDirLock(text);
}

/**
 * Whether the holder of a lock still runs: true, false, or "unknown" for a lock taken on
 * another host (its pid means nothing here).
 */
export function dataDirLockHolderAlive(owner: DataDirLockOwner): boolean | "unknown" {
  if (owner.host !== hostname()) return "unknown";
  const here = bootId();
  if (owner.bootId !== undefined && here !== undefined && owner.bootId !== here) return false;
  if (owner.pid === process.pid) return heldHere.has(owner.nonce);
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (owner.procStart !== undefined) {
    const start = processStart(owner.pid);
    if (start !== undefined && start !== owner.procStart) return false; // the pid was reused
  }
  return true;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function removeIfOurs(path: string, nonce: string): void {
  try {
    const text = readText(path);
    if (text !== null && parseDataDirLock(text)?.nonce === nonce) unlinkSync(path);
  } catch {
    // Exiting: nothing more to do; a left lock is stale once this process is gone.
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"]);

/** Creates `path` holding exactly `text`, atomically; false when it exists. */
function createExclusive(path: string, text: string, tmp: string): boolean {
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (code === "EEXIST") return false;
    if (!NO_HARD_LINKS.has(code)) throw error;
  }
  // A file system without hard links: O_EXCL, then the content. A reader may see it empty
  // for a moment; it waits (see readOwner) instead of calling it stale.
  try {
    writeFileSync(path, text, { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

type Seen = { kind: "gone" } | { kind: "owner"; owner: DataDirLockOwner; text: string } | { kind: "unreadable"; text: string };

function readOwner(path: string): Seen {
  for (let i = 0; ; i++) {
    const text = readText(path);
    if (text === null) return { kind: "gone" };
    const owner = parseDataDirLock(text);
    if (owner !== null) return { kind: "owner", owner, text };
    // Empty or torn: being written on a file system without hard links, or garbage. Give
    // a writer a moment; a file that stays unreadable for a second is garbage (stale).
    let age: number;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      return { kind: "gone" };
    }
    if (age > 1_000 || i >= 20) return { kind: "unreadable", text };
    sleepSync(50);
  }
}

/**
 * Takes `path` for `text` (whose nonce is `nonce`), breaking a stale holding race-free.
 * Returns null when taken, or the live holder.
 */
function take(path: string, text: string, tmp: string, depth: number): { owner: DataDirLockOwner | null; why: "held" | "busy" } | null {
  if (depth > 4) return { owner: null, why: "busy" };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (createExclusive(path, text, tmp)) return null;
    const seen = readOwner(path);
    if (seen.kind === "gone") continue;
    if (seen.kind === "owner") {
      const alive = dataDirLockHolderAlive(seen.owner);
      if (alive !== false) return { owner: seen.owner, why: "held" };
    }
    // Stale. Only the holder of `<path>.break-<id>` may remove this holding, and only after
    // checking that the lock still is this holding: so a fresh lock taken meanwhile by
    // another process is never removed, however the takers interleave.
    const id = seen.kind === "owner" ? seen.owner.nonce : `garbage-${digest(seen.text)}`;
    const breakPath = `${path}.break-${id.replace(/[^A-Za-z0-9_-]/g, "")}`;
    const breaking = take(breakPath, text, tmp, depth + 1);
    if (breaking !== null) {
      // Another process is taking it over right now: let it finish.
      sleepSync(10 + Math.floor(Math.random() * 20));
      continue;
    }
    try {
      const current = readText(path);
      const currentId = current === null ? null : (parseDataDirLock(current)?.nonce ?? `garbage-${digest(current)}`);
      if (currentId === id) unlinkSync(path);
    } finally {
      unlinkQuietly(breakPath);
    }
  }
  return { owner: null, why: "busy" };
}

function describeOwner(owner: DataDirLockOwner): string {
  const what = owner.holder ? `a ${owner.holder}, ` : "";
  const since = owner.startedAt > 0 ? `, since ${new Date(owner.startedAt).toISOString()}` : "";
  return `process ${owner.pid} (${what}host ${owner.host}${since})`;
}

/** Options of lockDataDir. */
export interface LockDataDirOptions {
  /** What takes it, shown to whoever finds it locked ("worker", "cli", "api"). */
  holder?: string;
  /** More fields for the lock file. */
  fields?: Record<string, unknown>;
}

/**
 * Takes the lock of a data directory (whose parent must exist). Throws DataDirInUseError
 * when a live process holds it, this one included.
 */
export function lockDataDir(dataDir: string, options: LockDataDirOptions = {}): DataDirLock {
  const dir = resolve(dataDir);
  const path = dataDirLockPath(dir);
  const nonce = randomUUID();
  const start = processStart(process.pid);
  const boot = bootId();
  let owner: DataDirLockOwner = {
    ...(options.fields ?? {}),
    pid: process.pid,
    host: hostname(),
    startedAt: Date.now(),
    nonce,
    ...(options.holder ? { holder: options.holder } : {}),
    ...(boot ? { bootId: boot } : {}),
    ...(start ? { procStart: start } : {}),
  };
  const text = `${JSON.stringify(owner)}\n`;
  const tmp = `${path}.${nonce}.tmp`;
  writeFileSync(tmp, text, { flag: "wx" });
  let refused: ReturnType<typeof take>;
  try {
    refused = take(path, text, tmp, 0);
  } finally {
    unlinkQuietly(tmp);
  }
  if (refused !== null) {
    const holder = refused.owner;
    if (holder === null) throw new DataDirInUseError(dir, null, `could not lock PGlite data directory ${dir}: other processes keep taking ${path}`);
    const mine = holder.pid === process.pid && heldHere.has(holder.nonce);
    const where = mine ? "this process" : describeOwner(holder);
    const remote = dataDirLockHolderAlive(holder) === "unknown" ? `; if host ${holder.host} no longer runs it, remove ${path}` : "";
    throw new DataDirInUseError(dir, holder, `PGlite data directory ${dir} is in use by ${where}${remote}`);
  }
  heldHere.set(nonce, { path, tmp: null });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", releaseAllOnExit);
  }
  let released = false;
  return {
    dataDir: dir,
    path,
    get owner() {
      return owner;
    },
    update(fields) {
      if (released) throw new StateConflictError(`the lock of ${dir} was released`, "database", dir);
      owner = { ...owner, ...fields, pid: owner.pid, host: owner.host, startedAt: owner.startedAt, nonce };
      const next = `${path}.${nonce}.${randomUUID().slice(0, 8)}.tmp`;
      writeFileSync(next, `${JSON.stringify(owner)}\n`, { flag: "wx" });
      // rename replaces the lock file atomically: a reader sees the old or the new content.
      renameSync(next, path);
    },
    release() {
      if (released) return;
      released = true;
      heldHere.delete(nonce);
      removeIfOurs(path, nonce);
    },
  };
}
