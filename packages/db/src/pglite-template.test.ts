import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@autonome/core";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { bundledMigrations } from "../generated/migrations.js";
import { createDb } from "./db.js";
import { forgetPgliteTemplates, openMemoryPglite, pgliteCacheDir, pgliteTemplateKey, saveMemoryPglite, unpackTar } from "./pglite-template.js";

const work = mkdtempSync(join(tmpdir(), "autonome-pglite-template-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tables = async (pglite: PGlite) =>
  (await pglite.query<{ n: string }>("select table_name as n from information_schema.tables where table_schema = 'public' order by 1")).rows.map((r) => r.n);
const applied = async (pglite: PGlite) => (await pglite.query<{ migration_name: string }>('select migration_name from "_prisma_migrations" order by 1')).rows.map((r) => r.migration_name);

/** The template is gzipped and written in the background: on a loaded CI machine that can take seconds. */
async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

describe("openMemoryPglite", () => {
  it("builds the template once, then starts every database from it (in this process, then from the disk cache), each one separate", async () => {
    const env = { AUTONOME_CACHE_DIR: join(work, "cache") };
    const file = join(work, "cache", `pglite-template-${pgliteTemplateKey()}.tar.gz`);
    forgetPgliteTemplates();
    const first = await openMemoryPglite({ env });
    expect(first.source).toBe("built");
    expect(await applied(first.pglite)).toEqual(bundledMigrations.map((m) => m.name).sort());
    await first.pglite.exec("create table only_in_first (x int)");
    const second = await openMemoryPglite({ env });
    expect(second.source).toBe("memory");
    expect(await tables(second.pglite)).toEqual((await tables(first.pglite)).filter((t) => t !== "only_in_first"));
    expect(await applied(second.pglite)).toEqual(await applied(first.pglite));
    await waitFor(() => existsSync(file));
    expect(existsSync(file)).toBe(true);
    forgetPgliteTemplates();
    const third = await openMemoryPglite({ env });
    expect(third.source).toBe("disk");
    expect(await applied(third.pglite)).toEqual(await applied(first.pglite));
    for (const p of [first, second, third]) await p.pglite.close();
  }, 120_000);

  it("drops a torn cache file and builds again; a changed migration never loads the old template", async () => {
    const env = { AUTONOME_CACHE_DIR: join(work, "torn") };
    forgetPgliteTemplates();
    const built = await openMemoryPglite({ env });
    const file = join(work, "torn", `pglite-template-${pgliteTemplateKey()}.tar.gz`);
    await waitFor(() => existsSync(file));
    await built.pglite.close();
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    forgetPgliteTemplates();
    const again = await openMemoryPglite({ env });
    expect(again.source).toBe("built");
    expect((await applied(again.pglite)).length).toBe(bundledMigrations.length);
    await again.pglite.close();

    const extra = [...bundledMigrations, { name: "99999999999999_extra", sql: "CREATE TABLE extra_table (x int);" }];
    expect(pgliteTemplateKey(extra)).not.toBe(pgliteTemplateKey());
    const withExtra = await openMemoryPglite({ env, migrations: extra });
    expect(withExtra.source).toBe("built");
    expect(await tables(withExtra.pglite)).toContain("extra_table");
    await withExtra.pglite.close();
    await waitFor(() => readdirSync(join(work, "torn")).filter((f) => f.endsWith(".tar.gz")).length === 2);
    expect(readdirSync(join(work, "torn")).filter((f) => f.endsWith(".tar.gz")).length).toBe(2);
  }, 120_000);

  it("runs initdb and the migrations itself when AUTONOME_PGLITE_TEMPLATE=off", async () => {
    const opened = await openMemoryPglite({ env: { AUTONOME_PGLITE_TEMPLATE: "off", AUTONOME_CACHE_DIR: join(work, "off") } });
    expect(opened.source).toBe("initdb");
    expect((await applied(opened.pglite)).length).toBe(bundledMigrations.length);
    await opened.pglite.close();
    expect(existsSync(join(work, "off"))).toBe(false);
    await expect(openMemoryPglite({ env: { AUTONOME_PGLITE_TEMPLATE: "of" } })).rejects.toThrow(ConfigError);
  }, 120_000);

  it("gives createDb's in-memory databases their migrations", async () => {
    const db = await createDb({ kind: "pglite", dataDir: "memory://" });
    try {
      expect(await db.models.list()).toEqual([]);
      expect((await db.migrate()).applied).toEqual([]);
    } finally {
      await db.close();
    }
  }, 120_000);
});

describe("pgliteCacheDir", () => {
  it("prefers AUTONOME_CACHE_DIR, then XDG_CACHE_HOME", () => {
    expect(pgliteCacheDir({ AUTONOME_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" })).toBe("/c");
    expect(pgliteCacheDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "autonome"));
  });
});

describe("saveMemoryPglite", () => {
  it("writes a data directory a file-backed database opens with everything in it", async () => {
    const { pglite } = await openMemoryPglite();
    const db = await createDb({ kind: "pglite-instance", pglite });
    const dir = join(work, "saved");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "stale-file"), "from an earlier run");
    try {
      await db.models.upsert({ name: "kept", provider: "rule", modelName: "kept" });
      await saveMemoryPglite(pglite, dir);
    } finally {
      await db.close();
      await pglite.close();
    }
    const disk = await createDb({ kind: "pglite", dataDir: dir });
    try {
      expect((await disk.models.list()).map((m) => m.name)).toEqual(["kept"]);
      expect((await disk.migrate()).applied).toEqual([]);
    } finally {
      await disk.close();
    }
    expect(existsSync(join(dir, "stale-file"))).toBe(false);
  }, 120_000);

  it("starts a new file-backed data directory as a copy of the template, and opens an existing one as it is", async () => {
    const dir = join(work, "new-dir");
    const db = await createDb({ kind: "pglite", dataDir: dir });
    try {
      expect((await db.migrate()).applied).toEqual([]);
      await db.models.upsert({ name: "first", provider: "rule", modelName: "first" });
    } finally {
      await db.close();
    }
    expect(readdirSync(work).filter((f) => f.startsWith("new-dir.template-"))).toEqual([]);
    const again = await createDb({ kind: "pglite", dataDir: dir });
    try {
      expect((await again.models.list()).map((m) => m.name)).toEqual(["first"]);
    } finally {
      await again.close();
    }
  }, 120_000);

  it("refuses an archive entry that leaves its directory", () => {
    const header = new Uint8Array(1024);
    header.set(new TextEncoder().encode("../escape"), 0);
    header.set(new TextEncoder().encode("0000000\0"), 124);
    header[156] = "0".charCodeAt(0);
    expect(() => unpackTar(header, join(work, "escape-root"))).toThrow(/refusing tar entry/);
    expect(existsSync(join(work, "escape"))).toBe(false);
  });
});
