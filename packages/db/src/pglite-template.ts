/**
 * A migrated PGlite cluster to start from. A fresh PGlite runs initdb (about 4 s on a
 * small machine) and then every migration; a PGlite loaded from a dump of a cluster that
 * already has them starts in about a second. The first in-memory database of a process
 * builds that dump (or reads it from the disk cache) and every later one loads it.
 *
 * The dump is keyed by PGlite's version and the migrations' names and checksums, so a
 * changed migration or another PGlite never loads a stale cluster. On disk it is a gzip
 * file (its CRC and length guard against a torn or corrupt copy: such a file is removed and
 * rebuilt) in AUTONOME_CACHE_DIR, else $XDG_CACHE_HOME/autonome, else ~/.cache/autonome.
 * AUTONOME_PGLITE_TEMPLATE=off turns it off (each database runs initdb and its migrations).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync, gzip } from "node:zlib";
import { readBooleanEnv } from "@autonome/core";
import { PGlite } from "@electric-sql/pglite";
import { bundledMigrations } from "../generated/migrations.js";
import { pgliteSession } from "./internal/sessions.js";
import { type Migration, migrationChecksum, runMigrations } from "./migrator.js";

/** Where a template comes from, for logs and tests. */
export type PgliteTemplateSource = "memory" | "disk" | "built";

/** Options of {@link openMemoryPglite}. */
export interface MemoryPgliteOptions {
  /** The migrations the database must have; default the package's own. */
  migrations?: readonly Migration[];
  /** Environment read for AUTONOME_PGLITE_TEMPLATE, AUTONOME_CACHE_DIR, XDG_CACHE_HOME (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A started in-memory PGlite with every migration applied, and where its cluster came from. */
export interface MemoryPglite {
  pglite: PGlite;
  source: PgliteTemplateSource | "initdb";
}

const templates = new Map<string, Promise<Blob>>();
let pgliteVersionMemo: string | null | undefined;

/** Forgets the templates this process keeps (tests: the next open reads the disk cache or builds). */
export function forgetPgliteTemplates(): void {
  templates.clear();
}

/** PGlite's package version, read from its package.json beside its entry (null when it cannot be found: no disk cache then). */
function pgliteVersion(): string | null {
  if (pgliteVersionMemo !== undefined) return pgliteVersionMemo;
  pgliteVersionMemo = null;
  try {
    let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
    for (let i = 0; i < 5; i++) {
      const file = join(dir, "package.json");
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "@electric-sql/pglite" && typeof pkg.version === "string") {
          pgliteVersionMemo = pkg.version;
          break;
        }
      }
      dir = dirname(dir);
    }
  } catch {
    // No version, no disk cache: the in-process template still serves.
  }
  return pgliteVersionMemo;
}

/** The key of a template: PGlite's version and each migration's name and checksum. */
export function pgliteTemplateKey(migrations: readonly Migration[] = bundledMigrations): string {
  const hash = createHash("sha256").update(`pglite ${pgliteVersion() ?? "unknown"}\n`);
  for (const m of migrations) hash.update(`${m.name} ${migrationChecksum(m.sql)}\n`);
  return hash.digest("hex").slice(0, 32);
}

/** The directory of the disk cache (null when the environment gives none). */
export function pgliteCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  if (env.AUTONOME_CACHE_DIR) return env.AUTONOME_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "autonome");
  try {
    const home = homedir();
    return home ? join(home, ".cache", "autonome") : null;
  } catch {
    return null;
  }
}

/** Where one migration set's template is kept: its key, and its file in the disk cache (null: no disk cache). */
interface TemplateSlot {
  key: string;
  file: string | null;
}

/** The slot of `migrations`, or null when AUTONOME_PGLITE_TEMPLATE turns templates off (a ConfigError for a value that is not a boolean). */
function templateSlot(migrations: readonly Migration[], env: Readonly<Record<string, string | undefined>>): TemplateSlot | null {
  if (!readBooleanEnv(env, "AUTONOME_PGLITE_TEMPLATE", true)) return null;
  const key = pgliteTemplateKey(migrations);
  const cacheDir = pgliteVersion() === null ? null : pgliteCacheDir(env);
  return { key, file: cacheDir === null ? null : join(cacheDir, `pglite-template-${key}.tar.gz`) };
}

function readDiskTemplate(file: string): Blob | null {
  if (!existsSync(file)) return null;
  try {
    return new Blob([gunzipSync(readFileSync(file))]);
  } catch {
    // Torn or corrupt (gzip's CRC and length say so): drop it, it is rebuilt.
    rmSync(file, { force: true });
    return null;
  }
}

/** Writes the template beside, then renames it into place (a reader never sees half a file); failures only cost the cache. */
function writeDiskTemplate(file: string, tar: Uint8Array): void {
  gzip(tar, (error, zipped) => {
    if (error) return;
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      writeFileSync(tmp, zipped);
      renameSync(tmp, file);
    } catch {
      // A read-only or full disk: the next process builds its own.
    }
  });
}

/**
 * A started in-memory PGlite with the migrations applied: loaded from the template when
 * there is one (in this process or on disk), else built by initdb and the migrations, and
 * its dump kept as the template for the next ones. The caller owns (and closes) it.
 */
export async function openMemoryPglite(options: MemoryPgliteOptions = {}): Promise<MemoryPglite> {
  const migrations = options.migrations ?? bundledMigrations;
  const slot = templateSlot(migrations, options.env ?? process.env);
  if (slot === null) {
    const pglite = new PGlite("memory://");
    await pglite.waitReady;
    await runMigrations(pgliteSession(pglite), migrations);
    return { pglite, source: "initdb" };
  }
  const kept = await keptTemplate(slot);
  if (kept !== null) {
    try {
      return { pglite: await loadTemplate(kept.template), source: kept.source };
    } catch {
      forgetTemplate(slot);
    }
  }
  return buildTemplate(slot, migrations);
}

/**
 * The migrated cluster as a tar archive (PGlite's dump: the data directory's files), for a
 * new file-backed data directory to start from (see {@link unpackTar}); null when
 * AUTONOME_PGLITE_TEMPLATE=off.
 */
export async function pgliteTemplateTar(options: MemoryPgliteOptions = {}): Promise<Uint8Array | null> {
  const migrations = options.migrations ?? bundledMigrations;
  const slot = templateSlot(migrations, options.env ?? process.env);
  if (slot === null) return null;
  let kept = await keptTemplate(slot);
  if (kept === null) {
    await (await buildTemplate(slot, migrations)).pglite.close();
    kept = await keptTemplate(slot);
  }
  return kept === null ? null : new Uint8Array(await kept.template.arrayBuffer());
}

/** The template this process keeps, else the one on disk (then kept); null when there is none yet. */
async function keptTemplate(slot: TemplateSlot): Promise<{ template: Blob; source: "memory" | "disk" } | null> {
  const memo = templates.get(slot.key);
  if (memo !== undefined) {
    const template = await memo.catch(() => null);
    if (template !== null) return { template, source: "memory" };
  }
  const onDisk = slot.file === null ? null : readDiskTemplate(slot.file);
  if (onDisk === null) return null;
  templates.set(slot.key, Promise.resolve(onDisk));
  return { template: onDisk, source: "disk" };
}

/** A template that would not load: forgotten here and on disk. */
function forgetTemplate(slot: TemplateSlot): void {
  templates.delete(slot.key);
  if (slot.file !== null) rmSync(slot.file, { force: true });
}

/** initdb and the migrations in memory: this instance is returned, and its dump (taken before anything else is written) kept as the template. */
async function buildTemplate(slot: TemplateSlot, migrations: readonly Migration[]): Promise<MemoryPglite> {
  const pglite = new PGlite("memory://");
  let resolveTemplate!: (blob: Blob) => void;
  let rejectTemplate!: (error: unknown) => void;
  const built = new Promise<Blob>((res, rej) => {
    resolveTemplate = res;
    rejectTemplate = rej;
  });
  built.catch(() => undefined);
  templates.set(slot.key, built);
  try {
    await pglite.waitReady;
    await runMigrations(pgliteSession(pglite), migrations);
    await pglite.exec("CHECKPOINT");
    const dump = await pglite.dumpDataDir("none");
    const tar = new Uint8Array(await dump.arrayBuffer());
    resolveTemplate(new Blob([tar]));
    if (slot.file !== null) writeDiskTemplate(slot.file, tar);
  } catch (error) {
    templates.delete(slot.key);
    rejectTemplate(error);
    await pglite.close().catch(() => undefined);
    throw error;
  }
  return { pglite, source: "built" };
}

async function loadTemplate(template: Blob): Promise<PGlite> {
  const pglite = new PGlite("memory://", { loadDataDir: template });
  try {
    await pglite.waitReady;
  } catch (error) {
    await pglite.close().catch(() => undefined);
    throw error;
  }
  return pglite;
}

/**
 * Writes an in-memory PGlite's cluster into `dataDir` (emptied first), ready for
 * `new PGlite(dataDir)` or `createDb({ kind: "pglite", dataDir })`: its dump unpacked
 * straight to disk, without starting a second PGlite over the directory.
 */
export async function saveMemoryPglite(pglite: PGlite, dataDir: string): Promise<void> {
  const dump = await pglite.dumpDataDir("none");
  const tar = new Uint8Array(await dump.arrayBuffer());
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  unpackTar(tar, dataDir);
}

const decoder = new TextDecoder();

function tarText(bytes: Uint8Array, from: number, length: number): string {
  const field = bytes.subarray(from, from + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

/** Unpacks a ustar archive's directories and regular files under `root` (PGlite's dumps hold nothing else). */
export function unpackTar(tar: Uint8Array, root: string): void {
  let offset = 0;
  let longName: string | null = null;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(tarText(header, 124, 12).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`malformed tar header at byte ${offset}`);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = tarText(header, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${tarText(header, 0, 100)}` : tarText(header, 0, 100));
    longName = null;
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = tarText(body, 0, body.length);
      continue;
    }
    name = name.replace(/^\/+/, "");
    if (name === "" || name.split("/").includes("..")) throw new Error(`refusing tar entry ${JSON.stringify(name)}`);
    const path = join(root, name);
    if (type === "5") mkdirSync(path, { recursive: true, mode: 0o700 });
    else if (type === "0" || type === "\0") {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, body, { mode: 0o600 });
    } else throw new Error(`unsupported tar entry type ${JSON.stringify(type)} for ${name}`);
  }
}
