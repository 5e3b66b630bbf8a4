/**
 * Portfolio snapshots: each model's account value over time, for equity curves.
 * One row per (model, at); recording the same instant again replaces it. Thinned with
 * age by `thin`: raw for 7 days, then the last snapshot of each UTC hour, then the
 * last of each UTC day, so a year of 5-minute ticks stays a few thousand rows a model.
 */
import { type Clock, type Decimal, type DecimalLike, NotFoundError, ValidationError } from "@autonome/core";
import { Prisma } from "../../generated/prisma/client.js";
import type { PortfolioSnapshot as SnapshotRow } from "../../generated/prisma/client.js";
import { NUMERIC_18_8, checkId, chunks, fromDbDecimal, fromDbTime, toColumnDecimal, toDbTime } from "../internal/convert.js";
import { type DbClient, inTransaction } from "../internal/client.js";
import { isForeignKeyViolation } from "../internal/prisma-errors.js";

/** A model's account at one time. */
export interface PortfolioSnapshotRecord {
  modelId: string;
  /** Epoch ms. */
  at: number;
  /** Account value: collateral plus unrealized PnL, USD. */
  total: Decimal;
  /** Free collateral, USD. */
  available: Decimal;
  /** Unrealized PnL of the open positions at `at`, USD. */
  unrealizedPnl: Decimal;
}

/** What recording a snapshot stores; amounts are rounded half-even to 8 decimals. */
export interface RecordSnapshotInput {
  modelId: string;
  total: DecimalLike;
  available: DecimalLike;
  unrealizedPnl: DecimalLike;
  /** Epoch ms; defaults to the clock's now. */
  at?: number;
}

/** A time range, epoch ms: from inclusive, to exclusive. */
export interface TimeRange {
  from?: number;
  to?: number;
}

/** How long each resolution is kept. */
export interface ThinningPolicy {
  /** Snapshots younger than this are all kept. Default 7 days. */
  rawForMs?: number;
  /** Older ones, up to this age, keep the last of each hour; older still keep the last of each day. Default 30 days. */
  hourlyForMs?: number;
  /** Epoch ms; defaults to the clock's now. */
  now?: number;
}

/** What thinning deleted. */
export interface ThinningResult {
  /** Deleted from the hourly band. */
  deletedHourly: number;
  /** Deleted from the daily band. */
  deletedDaily: number;
}

const DAY_MS = 86_400_000;

/** The snapshot record of a row. */
export function toSnapshotRecord(row: SnapshotRow): PortfolioSnapshotRecord {
  return {
    modelId: row.modelId,
    at: fromDbTime(row.at),
    total: fromDbDecimal(row.total),
    available: fromDbDecimal(row.available),
    unrealizedPnl: fromDbDecimal(row.unrealizedPnl),
  };
}

/** Reads and writes PortfolioSnapshots. */
export class PortfolioSnapshotsRepository {
  constructor(
    private readonly prisma: DbClient,
    private readonly clock: Clock,
  ) {}

  /** Records a snapshot (replacing one of the same model at the same instant); NotFoundError for an unknown model. */
  async record(input: RecordSnapshotInput): Promise<PortfolioSnapshotRecord> {
    const { id, modelId, at, total, available, unrealizedPnl } = this.row(input);
    try {
      const row = await this.prisma.portfolioSnapshot.upsert({
        where: { modelId_at: { modelId, at } },
        create: { id, modelId, at, total, available, unrealizedPnl },
        update: { total, available, unrealizedPnl },
      });
      return toSnapshotRecord(row);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new NotFoundError("model", modelId);
      throw error;
    }
  }

  /**
   * Records many snapshots in one transaction (one statement per thousand), with record's meaning
   * (a snapshot replaces one of the same model at the same instant; within the batch the
   * last one wins). NotFoundError for an unknown model. Returns how many were written.
   */
  async recordMany(inputs: readonly RecordSnapshotInput[]): Promise<number> {
    const rows = new Map<string, ReturnType<PortfolioSnapshotsRepository["row"]>>();
    for (const input of inputs) {
      const row = this.row(input);
      rows.set(`${row.modelId}@${row.at.getTime()}`, row);
    }
    if (rows.size === 0) return 0;
    const data = [...rows.values()];
    try {
      await inTransaction(this.prisma, async (tx) => {
        // One multi-row upsert per chunk: Prisma's createMany costs several times as much per row.
        for (const chunk of chunks(data)) {
          await tx.$executeRaw`INSERT INTO portfolio_snapshots (id, model_id, at, total, available, unrealized_pnl)
            VALUES ${Prisma.join(chunk.map((r) => Prisma.sql`(${r.id}::uuid, ${r.modelId}::uuid, ${r.at}::timestamptz, ${r.total}::numeric, ${r.available}::numeric, ${r.unrealizedPnl}::numeric)`))}
            ON CONFLICT (model_id, at) DO UPDATE SET total = EXCLUDED.total, available = EXCLUDED.available, unrealized_pnl = EXCLUDED.unrealized_pnl`;
        }
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new NotFoundError("model", [...new Set(data.map((r) => r.modelId))].join(", "));
      throw error;
    }
    return data.length;
  }

  /** The validated row of a snapshot. */
  private row(input: RecordSnapshotInput) {
    return {
      id: globalThis.crypto.randomUUID(),
      modelId: checkId("model", input.modelId),
      at: toDbTime("at", input.at ?? this.clock.now()),
      total: toColumnDecimal("total", input.total, { column: NUMERIC_18_8, places: "round" }).toString(),
      available: toColumnDecimal("available", input.available, { column: NUMERIC_18_8, places: "round" }).toString(),
      unrealizedPnl: toColumnDecimal("unrealizedPnl", input.unrealizedPnl, { column: NUMERIC_18_8, places: "round" }).toString(),
    };
  }

  /** The model's snapshots in a range, oldest first (at most `limit`, default 10,000, the newest kept). */
  async history(modelId: string, range: TimeRange = {}, limit = 10_000): Promise<PortfolioSnapshotRecord[]> {
    const id = checkId("model", modelId);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
      throw new ValidationError("invalid limit", [{ path: "limit", message: "must be an integer in [1, 100000]" }]);
    }
    const at: { gte?: Date; lt?: Date } = {};
    if (range.from !== undefined) at.gte = toDbTime("from", range.from);
    if (range.to !== undefined) at.lt = toDbTime("to", range.to);
    const rows = await this.prisma.portfolioSnapshot.findMany({ where: { modelId: id, at }, orderBy: { at: "desc" }, take: limit });
    return rows.reverse().map(toSnapshotRecord);
  }

  /**
   * Every model's (or one model's) curve in a range, sampled in the database: the last
   * snapshot of each `bucketMs`-wide bucket (aligned to the epoch), oldest first. One
   * query whatever the number of models, so a leaderboard or a chart over weeks reads
   * hundreds of rows, not tens of thousands. At most `maxRows` rows (default 200,000).
   */
  async sampled(range: TimeRange, bucketMs: number, options: { modelId?: string; maxRows?: number } = {}): Promise<Map<string, PortfolioSnapshotRecord[]>> {
    if (!Number.isSafeInteger(bucketMs) || bucketMs < 1000) {
      throw new ValidationError("invalid bucket", [{ path: "bucketMs", message: "must be an integer >= 1000" }]);
    }
    const maxRows = options.maxRows ?? 200_000;
    if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > 1_000_000) {
      throw new ValidationError("invalid maxRows", [{ path: "maxRows", message: "must be an integer in [1, 1000000]" }]);
    }
    const conditions: Prisma.Sql[] = [];
    if (range.from !== undefined) conditions.push(Prisma.sql`at >= ${toDbTime("from", range.from)}::timestamptz`);
    if (range.to !== undefined) conditions.push(Prisma.sql`at < ${toDbTime("to", range.to)}::timestamptz`);
    if (options.modelId !== undefined) conditions.push(Prisma.sql`model_id = ${checkId("model", options.modelId)}::uuid`);
    const where = conditions.length === 0 ? Prisma.empty : Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}`;
    const rows = await this.prisma.$queryRaw<{ model_id: string; at: Date; total: { toString(): string }; available: { toString(): string }; unrealized_pnl: { toString(): string } }[]>`
      SELECT DISTINCT ON (model_id, bucket) model_id::text AS model_id, at, total, available, unrealized_pnl
      FROM (
        SELECT model_id, at, total, available, unrealized_pnl, floor(extract(epoch FROM at) * 1000 / ${bucketMs})::bigint AS bucket
        FROM portfolio_snapshots ${where}
      ) AS s
      ORDER BY model_id, bucket, at DESC
      LIMIT ${maxRows}`;
    const byModel = new Map<string, PortfolioSnapshotRecord[]>();
    for (const r of rows) {
      const list = byModel.get(r.model_id) ?? [];
      list.push({ modelId: r.model_id, at: new Date(r.at).getTime(), total: fromDbDecimal(r.total), available: fromDbDecimal(r.available), unrealizedPnl: fromDbDecimal(r.unrealized_pnl) });
      byModel.set(r.model_id, list);
    }
    return byModel;
  }

  /** The model's latest snapshot, or null. */
  async latest(modelId: string): Promise<PortfolioSnapshotRecord | null> {
    const id = checkId("model", modelId);
    const row = await this.prisma.portfolioSnapshot.findFirst({ where: { modelId: id }, orderBy: { at: "desc" } });
    return row === null ? null : toSnapshotRecord(row);
  }

  /**
   * Thins old snapshots in one transaction: older than `rawForMs` keep the last of each
   * UTC hour, older than `hourlyForMs` the last of each UTC day. Idempotent.
   */
  async thin(policy: ThinningPolicy = {}): Promise<ThinningResult> {
    const now = policy.now ?? this.clock.now();
    const rawForMs = policy.rawForMs ?? 7 * DAY_MS;
    const hourlyForMs = policy.hourlyForMs ?? 30 * DAY_MS;
    if (!Number.isSafeInteger(rawForMs) || !Number.isSafeInteger(hourlyForMs) || rawForMs < 0 || hourlyForMs < rawForMs) {
      throw new ValidationError("invalid thinning policy", [{ path: "hourlyForMs", message: "need 0 <= rawForMs <= hourlyForMs (integers)" }]);
    }
    const rawCutoff = toDbTime("now", now - rawForMs);
    const hourlyCutoff = toDbTime("now", Math.max(0, now - hourlyForMs));
    const [deletedHourly, deletedDaily] = await inTransaction(this.prisma, async (tx) => [
      await tx.$executeRaw`
        DELETE FROM portfolio_snapshots AS s
        USING (
          SELECT id, row_number() OVER (
            PARTITION BY model_id, date_trunc('hour', at AT TIME ZONE 'UTC') ORDER BY at DESC, id DESC
          ) AS rank
          FROM portfolio_snapshots
          WHERE at < ${rawCutoff}::timestamptz AND at >= ${hourlyCutoff}::timestamptz
        ) AS ranked
        WHERE s.id = ranked.id AND ranked.rank > 1`,
      await tx.$executeRaw`
        DELETE FROM portfolio_snapshots AS s
        USING (
          SELECT id, row_number() OVER (
            PARTITION BY model_id, date_trunc('day', at AT TIME ZONE 'UTC') ORDER BY at DESC, id DESC
          ) AS rank
          FROM portfolio_snapshots
          WHERE at < ${hourlyCutoff}::timestamptz
        ) AS ranked
        WHERE s.id = ranked.id AND ranked.rank > 1`,
    ]);
    return { deletedHourly, deletedDaily };
  }
}
