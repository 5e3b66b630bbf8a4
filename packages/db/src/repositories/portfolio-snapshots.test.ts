import { NotFoundError, ValidationError } from "@autonome/core";
import { expect, it } from "vitest";
import { prismaOf } from "../internal/db-internals.js";
import { T0, describeEachDatabase } from "../testing/databases.js";

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

  it("samples every model's curve in the database: the last snapshot of each bucket, oldest first, within the range", async () => {
    const a = await t.db.models.create({ name: "a", provider: "p", modelName: "x" });
    const b = await t.db.models.create({ name: "b", provider: "p", modelName: "x" });
    // 12 five-minute snapshots per model: one hour, from T0 (aligned to the hour).
    for (let i = 0; i < 12; i++) {
      await t.db.portfolio.record({ modelId: a.id, at: T0 + i * 5 * MINUTE, total: String(100 + i), available: "1", unrealizedPnl: "0" });
      await t.db.portfolio.record({ modelId: b.id, at: T0 + i * 5 * MINUTE, total: String(200 + i), available: "1", unrealizedPnl: "0" });
    }
    const quarterly = await t.db.portfolio.sampled({}, 15 * MINUTE);
    expect(quarterly.get(a.id)?.map((s) => s.total.toString())).toEqual(["102", "105", "108", "111"]);
    expect(quarterly.get(b.id)?.map((s) => s.at)).toEqual([T0 + 10 * MINUTE, T0 + 25 * MINUTE, T0 + 40 * MINUTE, T0 + 55 * MINUTE]);
    const one = await t.db.portfolio.sampled({ from: T0 + 30 * MINUTE }, 30 * MINUTE, { modelId: a.id });
    expect([...one.keys()]).toEqual([a.id]);
    expect(one.get(a.id)?.map((s) => s.total.toString())).toEqual(["111"]);
    await expect(t.db.portfolio.sampled({}, 10)).rejects.toBeInstanceOf(ValidationError);
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
    expect(await prismaOf(t.db).portfolioSnapshot.count()).toBe(0);
  });

  it("thins with age: raw while young, then the last snapshot of each UTC hour, then of each UTC day", async () => {
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    const other = await t.db.models.create({ name: "o", provider: "p", modelName: "x" });
    // Every 20 minutes for 5 days, for two models; policy: raw 1 day, hourly to 3 days.
    const rows = [];
    for (let at = T0; at < T0 + 5 * DAY; at += 20 * MINUTE) {
      for (const modelId of [m.id, other.id]) {
        rows.push({ id: globalThis.crypto.randomUUID(), modelId, at: new Date(at), total: String(at / MINUTE), available: "0", unrealizedPnl: "0" });
      }
    }
    await prismaOf(t.db).portfolioSnapshot.createMany({ data: rows });
    const now = T0 + 5 * DAY;
    const policy = { now, rawForMs: DAY, hourlyForMs: 3 * DAY };
    const result = await t.db.portfolio.thin(policy);

    const history = await t.db.portfolio.history(m.id);
    const raw = history.filter((s) => s.at >= now - DAY);
    const hourly = history.filter((s) => s.at < now - DAY && s.at >= now - 3 * DAY);
    const daily = history.filter((s) => s.at < now - 3 * DAY);
    expect(raw).toHaveLength(24 * 3);
    expect(hourly).toHaveLength(2 * 24);
    expect(daily).toHaveLength(2);
    // The survivor of each bucket is its last snapshot (the hour's / day's closing value).
    expect(hourly.every((s) => s.at % HOUR === 40 * MINUTE)).toBe(true);
    expect(daily.every((s) => s.at % DAY === DAY - 20 * MINUTE)).toBe(true);
    expect(result).toEqual({ deletedHourly: 2 * (2 * 24) * 2, deletedDaily: 2 * 2 * (72 - 1) });
    expect(await t.db.portfolio.thin(policy)).toEqual({ deletedHourly: 0, deletedDaily: 0 });
    expect(await prismaOf(t.db).portfolioSnapshot.count({ where: { modelId: other.id } })).toBe(history.length);
  });

  it("keeps 7 days raw and hourly up to 30 days by default", async () => {
    const m = await t.db.models.create({ name: "m", provider: "p", modelName: "x" });
    const now = T0 + 40 * DAY;
    const hourStart = (ageDays: number) => Math.floor((now - ageDays * DAY) / HOUR) * HOUR;
    const dayStart = (ageDays: number) => Math.floor((now - ageDays * DAY) / DAY) * DAY;
    const pairs = [
      [hourStart(6) + MINUTE, hourStart(6) + 2 * MINUTE], // 6 days old: both kept
      [hourStart(8) + MINUTE, hourStart(8) + 2 * MINUTE], // 8 days old, same hour: one kept
      [dayStart(29) + HOUR, dayStart(29) + 2 * HOUR], // 29 days old, two hours: both kept
      [dayStart(32) + HOUR, dayStart(32) + 2 * HOUR], // 32 days old, same day: one kept
    ];
    for (const at of pairs.flat()) await t.db.portfolio.record({ modelId: m.id, at, total: "1", available: "1", unrealizedPnl: "0" });
    t.clock.set(now);
    expect(await t.db.portfolio.thin()).toEqual({ deletedHourly: 1, deletedDaily: 1 });
    const kept = (await t.db.portfolio.history(m.id)).map((s) => s.at);
    expect(kept).toEqual([pairs[3]?.[1], pairs[2]?.[0], pairs[2]?.[1], pairs[1]?.[1], pairs[0]?.[0], pairs[0]?.[1]]);
  });

  it("records many snapshots at once with record's meaning: the same instant is replaced, the last of a batch wins", async () => {
    const a = await t.db.models.create({ name: "a", provider: "p", modelName: "x" });
    const b = await t.db.models.create({ name: "b", provider: "p", modelName: "x" });
    await t.db.portfolio.record({ modelId: a.id, total: "1", available: "1", unrealizedPnl: "0", at: T0 });
    const written = await t.db.portfolio.recordMany([
      { modelId: a.id, total: "2", available: "2", unrealizedPnl: "0", at: T0 },
      { modelId: a.id, total: "10000.123456789", available: "9000", unrealizedPnl: "-1", at: T0 + MINUTE },
      { modelId: b.id, total: "5", available: "5", unrealizedPnl: "0", at: T0 },
      { modelId: b.id, total: "6", available: "6", unrealizedPnl: "0", at: T0 },
    ]);
    expect(written).toBe(3);
    expect((await t.db.portfolio.history(a.id)).map((s) => [s.at, s.total.toString()])).toEqual([
      [T0, "2"],
      [T0 + MINUTE, "10000.12345679"],
    ]);
    expect((await t.db.portfolio.history(b.id)).map((s) => s.total.toString())).toEqual(["6"]);
    expect(await t.db.portfolio.recordMany([])).toBe(0);
  });

  it("refuses a batch with an unknown model or a bad value and writes none of it", async () => {
    const a = await t.db.models.create({ name: "a", provider: "p", modelName: "x" });
    const good = { modelId: a.id, total: "1", available: "1", unrealizedPnl: "0", at: T0 };
    await expect(t.db.portfolio.recordMany([good, { ...good, modelId: globalThis.crypto.randomUUID() }])).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.db.portfolio.recordMany([good, { ...good, at: T0 + MINUTE, total: "not a number" }])).rejects.toBeInstanceOf(ValidationError);
    expect(await t.db.portfolio.history(a.id)).toEqual([]);
  });
});
