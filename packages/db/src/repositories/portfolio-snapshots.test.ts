import { NotFoundError, ValidationError } from "@autonome/core";
import { expect, it } from "vitest";
import { T0, describeEachDatabase } from "../internal/test-databases.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describeEachDatabase("PortfolioSnapshotsRepository", (t) => {
  it("records snapshots as exact decimals and returns a model's history in a range, oldest first", async () => {
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    for (let i = 0; i < 5; i++) {
      await t.db.portfolio.record({ modelId: m.id, total: `10000.${i}`, available: "9000", unrealizedPnl: `-${i}.123456789` });
      t.clock.advanceBy(5 * MINUTE);
    }
    const all = await t.db.portfolio.history(m.id);
    expect(all.map((s) => s.total.toString())).toEqual(["10000", "10000.1", "10000.2", "10000.3", "10000.4"]);
    expect(all[1]?.unrealizedPnl.toString()).toBe("-1.12345679");
    const some = await t.db.portfolio.history(m.id, { from: T0 + 5 * MINUTE, to: T0 + 15 * MINUTE });
    expect(some.map((s) => s.at)).toEqual([T0 + 5 * MINUTE, T0 + 10 * MINUTE]);
    expect((await t.db.portfolio.latest(m.id))?.total.toString()).toBe("10000.4");
  });

  it("replaces a snapshot recorded twice at the same instant", async () => {
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    await t.db.portfolio.record({ modelId: m.id, total: "1", available: "1", unrealizedPnl: "0" });
    await t.db.portfolio.record({ modelId: m.id, total: "2", available: "1", unrealizedPnl: "1" });
    const history = await t.db.portfolio.history(m.id);
    expect(history.map((s) => s.total.toString())).toEqual(["2"]);
  });

  it("rejects an unknown model and non-numbers with typed errors, writing nothing", async () => {
    await expect(t.db.portfolio.record({ modelId: globalThis.crypto.randomUUID(), total: "1", available: "1", unrealizedPnl: "0" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    await expect(t.db.portfolio.record({ modelId: m.id, total: "lots", available: "1", unrealizedPnl: "0" })).rejects.toBeInstanceOf(ValidationError);
    expect(await t.db.prisma.portfolioSnapshot.count()).toBe(0);
  });

  it("thins with age: raw for 7 days, the last of each hour to 30 days, the last of each day after", async () => {
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    const other = await t.db.models.create({ name: "o", provider: "p", modelName: "x" });
    // Every 20 minutes for 40 days, for two models.
    const start = T0;
    const rows = [];
    for (let at = start; at < start + 40 * DAY; at += 20 * MINUTE) {
      for (const modelId of [m.id, other.id]) {
        rows.push({ id: globalThis.crypto.randomUUID(), modelId, at: new Date(at), total: String(at / MINUTE), available: "0", unrealizedPnl: "0" });
      }
    }
    await t.db.prisma.portfolioSnapshot.createMany({ data: rows });
    const now = start + 40 * DAY;
    const result = await t.db.portfolio.thin({ now });

    const history = await t.db.portfolio.history(m.id, {}, 100_000);
    const raw = history.filter((s) => s.at >= now - 7 * DAY);
    const hourly = history.filter((s) => s.at < now - 7 * DAY && s.at >= now - 30 * DAY);
    const daily = history.filter((s) => s.at < now - 30 * DAY);
    expect(raw).toHaveLength(7 * 24 * 3);
    expect(hourly).toHaveLength(23 * 24);
    expect(daily).toHaveLength(10);
    // The survivor of each bucket is its last snapshot (the hour's / day's closing value).
    expect(hourly.every((s) => s.at % HOUR === 40 * MINUTE)).toBe(true);
    expect(daily.every((s) => s.at % DAY === DAY - 20 * MINUTE)).toBe(true);
    expect(result.deletedHourly).toBe(2 * 23 * 24 * 2);
    expect(result.deletedDaily).toBe(2 * 10 * (72 - 1));
    expect(await t.db.portfolio.thin({ now })).toEqual({ deletedHourly: 0, deletedDaily: 0 });
    expect(await t.db.prisma.portfolioSnapshot.count({ where: { modelId: other.id } })).toBe(history.length);
  });
});
