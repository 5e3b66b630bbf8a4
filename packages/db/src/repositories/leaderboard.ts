/**
 * Leaderboard inputs: per model, its latest snapshot, its open-position count and
 * the statistics of its trades closed in a window, in a handful of queries whatever
 * the number of models. Ranking and ratios (Sharpe, win rate) are the caller's:
 * they are pure functions of these inputs (see @autonome/risk).
 */
import { type Decimal, ZERO } from "@autonome/core";
import { fromDbDecimal, fromDbDecimalOrNull, toDbTime } from "../internal/convert.js";
import { type DbClient, inTransaction } from "../internal/client.js";
import type { ModelRecord, ModelsRepository } from "./models.js";
import { type PortfolioSnapshotRecord, type TimeRange } from "./portfolio-snapshots.js";

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

interface SnapshotRaw {
  model_id: string;
  at: Date;
  total: { toString(): string };
  available: { toString(): string };
  unrealized_pnl: { toString(): string };
}

/** Reads leaderboard inputs. */
export class LeaderboardRepository {
  constructor(
    private readonly prisma: DbClient,
    private readonly models: ModelsRepository,
  ) {}

  /** Inputs for every model (or only enabled ones), trade statistics over trades closed in `window`. */
  async inputs(window: TimeRange = {}, options: { enabledOnly?: boolean } = {}): Promise<LeaderboardInput[]> {
    const closedAt: { gte?: Date; lt?: Date } = {};
    if (window.from !== undefined) closedAt.gte = toDbTime("from", window.from);
    if (window.to !== undefined) closedAt.lt = toDbTime("to", window.to);
    const closedWhere = { status: "CLOSED" as const, closedAt };

    const [models, totals, wins, losses, open, snapshots] = await Promise.all([
      options.enabledOnly ? this.models.listEnabled() : this.models.list(),
      this.prisma.order.groupBy({
        by: ["modelId"],
        where: closedWhere,
        _count: { _all: true },
        _sum: { realizedPnl: true, fees: true },
        _max: { realizedPnl: true },
        _min: { realizedPnl: true },
      }),
      this.prisma.order.groupBy({ by: ["modelId"], where: { ...closedWhere, realizedPnl: { gt: 0 } }, _count: { _all: true } }),
      this.prisma.order.groupBy({ by: ["modelId"], where: { ...closedWhere, realizedPnl: { lt: 0 } }, _count: { _all: true } }),
      this.prisma.order.groupBy({ by: ["modelId"], where: { status: "OPEN" }, _count: { _all: true } }),
      this.prisma.$queryRaw<SnapshotRaw[]>`
        SELECT DISTINCT ON (model_id) model_id::text AS model_id, at, total, available, unrealized_pnl
        FROM portfolio_snapshots
        ORDER BY model_id, at DESC`,
    ]);

    const totalsBy = new Map(totals.map((t) => [t.modelId, t]));
    const winsBy = new Map(wins.map((w) => [w.modelId, w._count._all]));
    const lossesBy = new Map(losses.map((l) => [l.modelId, l._count._all]));
    const openBy = new Map(open.map((o) => [o.modelId, o._count._all]));
    const snapshotBy = new Map(snapshots.map((s) => [s.model_id, s]));

    return models.map((model) => {
      const t = totalsBy.get(model.id);
      const s = snapshotBy.get(model.id);
      return {
        model,
        latestSnapshot:
          s === undefined
            ? null
            : {
                modelId: model.id,
                at: new Date(s.at).getTime(),
                total: fromDbDecimal(s.total),
                available: fromDbDecimal(s.available),
                unrealizedPnl: fromDbDecimal(s.unrealized_pnl),
              },
        openPositions: openBy.get(model.id) ?? 0,
        closedTrades: {
          count: t?._count._all ?? 0,
          wins: winsBy.get(model.id) ?? 0,
          losses: lossesBy.get(model.id) ?? 0,
          realizedPnl: t?._sum.realizedPnl ? fromDbDecimal(t._sum.realizedPnl) : ZERO,
          fees: t?._sum.fees ? fromDbDecimal(t._sum.fees) : ZERO,
          bestTrade: fromDbDecimalOrNull(t?._max.realizedPnl ?? null),
          worstTrade: fromDbDecimalOrNull(t?._min.realizedPnl ?? null),
        },
      };
    });
  }
}
