/** The one embedded-PostgreSQL starter: a persistent server resumes with its data, a second start on a running directory is refused, a throw-away one leaves nothing. */
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "./embedded-postgres.js";

const parent = mkdtempSync(join(tmpdir(), "autonome-embedded-pg-"));
chmodSync(parent, 0o755); // as root the server runs as "postgres", who must reach it
afterAll(() => rmSync(parent, { recursive: true, force: true }));

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe("startEmbeddedPostgres", () => {
  it("keeps a persistent directory's data across a stop and a start, and refuses a second server on it", { timeout: 180_000 }, async () => {
    const dataDir = join(parent, "season-db");
    const lines: string[] = [];
    const first = await startEmbeddedPostgres({ database: "arena_test", dataDir, log: (l) => lines.push(l) });
    try {
      expect(first.url).toMatch(/^postgresql:\/\/postgres:[0-9a-f]{24}@127\.0\.0\.1:\d+\/arena_test$/);
      expect(lines).toEqual([expect.stringMatching(/^PostgreSQL 1\d\.\d+ \(embedded-postgres\) in .*season-db on 127\.0\.0\.1:\d+ \(\d+ ms\)$/)]);
      await query(first.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('0.000000000001')");
      await expect(startEmbeddedPostgres({ database: "arena_test", dataDir })).rejects.toThrow(/is in use by another process \(PostgreSQL pid \d+\)/);
      expect((await query<{ v: string }>(first.url, "SELECT v FROM kept"))[0]?.v).toBe("0.000000000001");
    } finally {
      await first.stop();
    }
    await expect(query(first.url, "SELECT 1")).rejects.toThrow();
    const second = await startEmbeddedPostgres({ database: "arena_test", dataDir });
    try {
      expect(second.url.split("@")[0]).toBe(first.url.split("@")[0]); // the same password, from the 0600 file
      expect(await query<{ v: string }>(second.url, "SELECT v FROM kept")).toEqual([{ v: "0.000000000001" }]);
    } finally {
      await second.stop();
    }
  });

  it("throw-away: a fresh temporary directory, removed on stop; a bad database name changes nothing", { timeout: 120_000 }, async () => {
    await expect(startEmbeddedPostgres({ database: "drop table; --" })).rejects.toThrow(/invalid database name/);
    const server = await startEmbeddedPostgres({ database: "scratch" });
    expect(existsSync(server.dataDir)).toBe(true);
    expect(await query<{ fsync: string }>(server.url, "SHOW fsync")).toEqual([{ fsync: "off" }]);
    await server.stop();
    await server.stop(); // idempotent
    expect(existsSync(server.dataDir)).toBe(false);
  });
});
