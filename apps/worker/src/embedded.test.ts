import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createDb } from "@autonome/db";
import { afterAll, describe, expect, it } from "vitest";
import { connectDatabase, liveLock, lockPathOf, serveEmbedded } from "./embedded.js";
import { StartupError } from "./startup.js";

describe("serveEmbedded", () => {
  const dir = mkdtempSync(join(tmpdir(), "autonome-embedded-"));
  const dataDir = join(dir, "db");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the data directory to several clients at once (transactions included), refuses a second server, and hands the directory back when closed", async () => {
    const server = await serveEmbedded({ dataDir });
    try {
      expect(await liveLock(dataDir)).toEqual(server.lock);
      await expect(serveEmbedded({ dataDir })).rejects.toThrow(new StartupError("AUTONOME_DB_DIR", `AUTONOME_DB_DIR ${dataDir} is in use by worker process ${process.pid} on ${hostname()} since ${new Date(server.lock.startedAt).toISOString()}; stop that process first, or set DATABASE_URL to share a PostgreSQL database between workers`));

      const a = await createDb({ kind: "postgres", url: server.lock.url, migrate: false, maxConnections: 8 });
      const b = await connectDatabase(null, dataDir);
      expect(b.via).toBe("worker");
      try {
        // Parameterized (extended protocol) queries from three sides at once: the in-process
        // database and two socket clients with pools of their own.
        const sides = [server.db, a, b.db];
        const created = await Promise.all(
          Array.from({ length: 60 }, (_, i) => sides[i % 3]!.models.create({ name: `m${i}`, provider: "rule", modelName: `rule-${i}` })),
        );
        const read = await Promise.all(created.map((m, i) => sides[(i + 1) % 3]!.models.byId(m.id)));
        expect(read.map((m) => m?.modelName)).toEqual(created.map((_, i) => `rule-${i}`));
        // Many statements in flight on one pool: each connection's Parse/Bind/Execute must stay whole.
        const many = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a.models.byName(`m${i % 60}`) : a.orders.openOrdersOfModel(created[i % 60]!.id))));
        expect(many.filter((_, i) => i % 2 === 0).map((m) => (m as { name: string } | null)?.name)).toEqual(Array.from({ length: 100 }, (_, k) => `m${(2 * k) % 60}`));
        // An interactive transaction on one client while others query.
        const [, count] = await Promise.all([
          a.transaction(async (tx) => {
            await tx.models.setEnabled(created[0]!.id, false);
            await tx.models.setEnabled(created[1]!.id, false);
          }),
          b.db.models.list().then((all) => all.length),
        ]);
        expect(count).toBe(60);
        expect((await server.db.models.listEnabled()).length).toBe(58);
      } finally {
        await a.close();
        await b.db.close();
      }
    } finally {
      await server.close();
    }
    expect(existsSync(lockPathOf(dataDir))).toBe(false);
    const direct = await connectDatabase(null, dataDir);
    expect(direct.via).toBe("data-dir");
    expect((await direct.db.models.list()).length).toBe(60);
    await direct.db.close();
  }, 180_000);
});
