/**
 * Leaderboard inputs: per model, its latest snapshot, its open-position count and
 * the statistics of its trades closed in a window, in a handful of queries whatever
 * the number of models. Ranking and ratios (Sharpe, win rate) are the caller's:
 * they are pure functions of these inputs (see @autonome/risk).
 */
import { type Decimal, ValidationError, ZERO } from "@autonome/core";
import { Prisma } from "../../generated/prisma/client.js";
import { checkId, fromDbDecimal, fromDbDecimalOrNull, toDbTime } from "../internal/convert.js";
import type { DbClient } from "../internal/client.js";
import type { ModelRecord, ModelsRepository } from "./models.js";
import type { PortfolioSnapshotRecord, TimeRange } from "./portfolio-snapshots.js";

/** Statistics of a model's trades closed in a window. */
export interface ClosedTradeStats {
  count: number;
  /** Trades with realized PnL > 0. */
  wins: number;
  /** Trades with realized PnL < 0. */
  losses: number;
  /** Sum of realized PnL, net of fees, USD. */
  realizedPnl: Decimal;
  /** Sum of fees, USD. */
  fees: Decimal;
  /** Largest realized PnL, or null without trades. */
  bestTrade: Decimal | null;
  /** Smallest realized PnL, or null without trades. */
  worstTrade: Decimal | null;
}

/** What the leaderboard needs about one model. */
export interface LeaderboardInput {
  model: ModelRecord;
  latestSnapshot: PortfolioSnapshotRecord | null;
  openPositions: number;
  closedTrades: ClosedTradeStats;
}

interface TotalsRaw {
  model_id: string;
  count: number;
  wins: number;
  losses: number;
  realized_pnl: { toString(): string } | null;
  fees: { toString(): string } | null;
  best: { toString(): string } | null;
  worst: { toString(): string } | null;
}

interface SnapshotRaw {
  model_id: string;
  at: Date;
  total: { toString(): string };
  available: { toString(): string };
  unrealized_pnl: { toString(): string };
}

/** A closed trade as an incremental read model keeps it: exact decimal strings, epoch ms. */
export interface LedgerTrade {
  orderId: string;
  modelId: string;
  openedAt: number;
  closedAt: number;
  /** Net of fees, USD, exact decimal string. */
  realizedPnl: string;
  /** USD, exact decimal string. */
  fees: string;
}

/** Where a page of the ledger starts: strictly after this (closedAt, orderId). */
export interface LedgerCursor {
  closedAt: number;
  orderId: string;
}

/** A model's standing: its latest snapshot and how many positions it holds (LeaderboardRepository.standings). */
export interface ModelStanding {
  model: ModelRecord;
  latestSnapshot: PortfolioSnapshotRecord | null;
  openPositions: number;
}

function toLatest(modelId: string, s: SnapshotRaw | undefined): PortfolioSnapshotRecord | null {
  if (s === undefined) return null;
  return { modelId, at: new Date(s.at).getTime(), total: fromDbDecimal(s.total), available: fromDbDecimal(s.available), unrealizedPnl: fromDbDecimal(s.unrealized_pnl) };
}

/** Reads leaderboard inputs. */
export class LeaderboardRepository {
  constructor(
    private readonly prisma: DbClient,
    private readonly models: ModelsRepository,
  ) {}

  /**
   * Closed trades in (closedAt, id) order, strictly after `after` (from the first when null),
   * at most `limit` (1..100,000): the pages an incremental read model is built from once and
   * caught up with afterwards, through the (status, closed_at) index.
   */
  async ledgerPage(after: LedgerCursor | null, limit: number): Promise<LedgerTrade[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
      throw new ValidationError("invalid limit", [{ path: "limit", message: "must be an integer in [1, 100000]" }]);
    }
    const where =
      after === null
        ? Prisma.sql`status = 'CLOSED'`
        : Prisma.sql`status = 'CLOSED' AND closed_at >= ${toDbTime("after.closedAt", after.closedAt)}::timestamptz
            AND (closed_at > ${toDbTime("after.closedAt", after.closedAt)}::timestamptz OR id > ${checkId("order", after.orderId)}::uuid)`;
    // One row per page: the trades packed in one text (a line each), so a first pass over a
    // million orders decodes twenty strings instead of a million rows.
    const [packed] = await this.prisma.$queryRaw<{ lines: string | null }[]>`
      SELECT string_agg(
               id::text || ' ' || model_id::text || ' ' ||
               (extract(epoch FROM opened_at) * 1000)::bigint::text || ' ' || (extract(epoch FROM closed_at) * 1000)::bigint::text || ' ' ||
               coalesce(trim_scale(realized_pnl)::text, '0') || ' ' || trim_scale(fees)::text,
               E'\n' ORDER BY closed_at, id) AS lines
      FROM (SELECT id, model_id, opened_at, closed_at, realized_pnl, fees FROM orders WHERE ${where} ORDER BY closed_at, id LIMIT ${limit}) AS page`;
    const text = packed?.lines ?? null;
    if (text === null || text === "") return [];
    return text.split("\n").map((line) => {
      const [orderId, modelId, openedAt, closedAt, realizedPnl, fees] = line.split(" ") as [string, string, string, string, string, string];
      return { orderId, modelId, openedAt: Number(openedAt), closedAt: Number(closedAt), realizedPnl, fees };
    });
  }

  /**
   * Every model's (or every enabled model's) latest snapshot and open-position count, without
   * the trade statistics: index lookups and the open orders only, so its cost does not grow with
   * history (what a running tick shows the models of their competition).
   */
  async standings(options: { enabledOnly?: boolean } = {}): Promise<ModelStanding[]> {
    const [models, open, snapshots] = await Promise.all([
      options.enabledOnly ? this.models.listEnabled() : this.models.list(),
      this.prisma.order.groupBy({ by: ["modelId"], where: { status: "OPEN" }, _count: { _all: true } }),
      this.latestSnapshots(),
    ]);
    const openBy = new Map(open.map((o) => [o.modelId, o._count._all]));
    const snapshotBy = new Map(snapshots.map((s) => [s.model_id, s]));
    return models.map((model) => ({ model, latestSnapshot: toLatest(model.id, snapshotBy.get(model.id)), openPositions: openBy.get(model.id) ?? 0 }));
  }

  /** The latest snapshot of each model, through the (model_id, at) index instead of sorting every snapshot. */
  private latestSnapshots(): Promise<SnapshotRaw[]> {
    return this.prisma.$queryRaw<SnapshotRaw[]>`
      SELECT m.id::text AS model_id, s.at, s.total, s.available, s.unrealized_pnl
      FROM models AS m
      CROSS JOIN LATERAL (
        SELECT at, total, available, unrealized_pnl FROM portfolio_snapshots AS p
        WHERE p.model_id = m.id ORDER BY at DESC LIMIT 1
      ) AS s`;
  }

  /** Inputs for every model (or only enabled ones), trade statistics over trades closed in `window`. */
  async inputs(window: TimeRange = {}, options: { enabledOnly?: boolean } = {}): Promise<LeaderboardInput[]> {
    const conditions: Prisma.Sql[] = [Prisma.sql`status = 'CLOSED'`];
    if (window.from !== undefined) conditions.push(Prisma.sql`closed_at >= ${toDbTime("from", window.from)}::timestamptz`);
    if (window.to !== undefined) conditions.push(Prisma.sql`closed_at < ${toDbTime("to", window.to)}::timestamptz`);

    // One pass over the window's trades for every statistic, and the latest snapshot of
    // each model through the (model_id, at) index instead of sorting every snapshot.
    const [models, totals, open, snapshots] = await Promise.all([
      options.enabledOnly ? this.models.listEnabled() : this.models.list(),
      this.prisma.$queryRaw<TotalsRaw[]>`
        SELECT model_id::text AS model_id,
               count(*)::int AS count,
               (count(*) FILTER (WHERE realized_pnl > 0))::int AS wins,
               (count(*) FILTER (WHERE realized_pnl < 0))::int AS losses,
               sum(realized_pnl) AS realized_pnl,
               sum(fees) AS fees,
               max(realized_pnl) AS best,
               min(realized_pnl) AS worst
        FROM orders
        WHERE ${Prisma.join(conditions, " AND ")}
        GROUP BY model_id`,
      this.prisma.order.groupBy({ by: ["modelId"], where: { status: "OPEN" }, _count: { _all: true } }),
      this.latestSnapshots(),
    ]);

    const totalsBy = new Map(totals.map((t) => [t.model_id, t]));
    const openBy = new Map(open.map((o) => [o.modelId, o._count._all]));
    const snapshotBy = new Map(snapshots.map((s) => [s.model_id, s]));

    return models.map((model) => {
      const t = totalsBy.get(model.id);
      const s = snapshotBy.get(model.id);
      return {
        model,
        latestSnapshot: toLatest(model.id, s),
        openPositions: openBy.get(model.id) ?? 0,
        closedTrades: {
          count: t?.count ?? 0,
          wins: t?.wins ?? 0,
          losses: t?.losses ?? 0,
          realizedPnl: t?.realized_pnl ? fromDbDecimal(t.realized_pnl) : ZERO,
          fees: t?.fees ? fromDbDecimal(t.fees) : ZERO,
          bestTrade: fromDbDecimalOrNull(t?.best ?? null),
          worstTrade: fromDbDecimalOrNull(t?.worst ?? null),
        },
      };
    });
  }
}
