/**
 * The read side: turns repository records into the wire format of the routes. It
 * composes @autonome/db (records) and @autonome/risk (metrics) and holds no trading
 * rule of its own; ranking is a sort of what the metrics say.
 */
import { type Clock, type Decimal, type ExitPlan, NotFoundError, ZERO, notional, unrealizedPnl } from "@autonome/core";
import type { ClosedOrder, Db, InvocationRecord, LeaderboardInput, ModelRecord, OpenOrder, PortfolioSnapshotRecord } from "@autonome/db";
import { type EquitySnapshot, computePerformanceMetrics } from "@autonome/risk";
import type { z } from "@hono/zod-openapi";
import type { Marker } from "./prices.js";
import type { ReadCache } from "./read-cache.js";
import {
  type AnalyticsSchema,
  type EquitySchema,
  type HealthSchema,
  type InvocationSchema,
  type LEADERBOARD_SORTS,
  type LeaderboardRowSchema,
  type LeaderboardSchema,
  type ModelSchema,
  type PositionSchema,
  type PositionsSchema,
  type TradeSchema,
  WINDOW_MS,
  type WindowName,
} from "./schemas.js";

type ModelDto = z.infer<typeof ModelSchema>;
type LeaderboardRow = z.infer<typeof LeaderboardRowSchema>;
type Leaderboard = z.infer<typeof LeaderboardSchema>;
type Analytics = z.infer<typeof AnalyticsSchema>;
type PositionDto = z.infer<typeof PositionSchema>;
type Positions = z.infer<typeof PositionsSchema>;
type TradeDto = z.infer<typeof TradeSchema>;
type InvocationDto = z.infer<typeof InvocationSchema>;
type Equity = z.infer<typeof EquitySchema>;
type Health = z.infer<typeof HealthSchema>;

/** Most trades the analytics of one window reads. */
export const MAX_ANALYTICS_TRADES = 10_000;
/** Most snapshots one model's metrics read. */
const MAX_SNAPSHOTS = 10_000;
/**
 * The leaderboard's Sharpe and drawdown use the last snapshot of each bucket: 5-minute
 * returns over a day, hourly over a week, 4-hourly over a month, daily over all time
 * (the resolutions thinning keeps), so one database query serves every model.
 */
export const LEADERBOARD_BUCKET_MS: Record<WindowName, number> = { "24h": 300_000, "7d": 3_600_000, "30d": 4 * 3_600_000, all: 86_400_000 };

/** Resolves after the I/O and timers already due have run (breaks long computations into slices). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function str(value: Decimal | null): string | null {
  return value === null ? null : value.toString();
}

function exitPlanDto(plan: ExitPlan): PositionDto["exitPlan"] {
  return {
    stop: str(plan.stop),
    target: str(plan.target),
    invalidation: plan.invalidation,
    invalidationPrice: str(plan.invalidationPrice),
    confidence: plan.confidence,
    timeExit: plan.timeExit,
    cooldownUntil: plan.cooldownUntil,
  };
}

/** The wire form of a model. */
export function modelDto(m: ModelRecord): ModelDto {
  return {
    id: m.id,
    name: m.name,
    provider: m.provider,
    modelName: m.modelName,
    variant: m.variant,
    enabled: m.enabled,
    mode: m.mode,
    invocationCount: m.invocationCount,
    failedWorkflowCount: m.failedWorkflowCount,
    failedToolCallCount: m.failedToolCallCount,
    createdAt: m.createdAt,
  };
}

/** The wire form of a closed trade. */
export function tradeDto(t: ClosedOrder): TradeDto {
  return {
    orderId: t.orderId,
    modelId: t.modelId,
    symbol: t.symbol,
    side: t.side,
    quantity: t.quantity.toString(),
    leverage: t.leverage.toString(),
    entryPrice: t.entryPrice.toString(),
    exitPrice: t.exitPrice.toString(),
    realizedPnl: t.realizedPnl.toString(),
    fees: t.fees.toString(),
    closeTrigger: t.closeTrigger,
    exitPlan: exitPlanDto(t.exitPlan),
    openedAt: t.openedAt,
    closedAt: t.closedAt,
  };
}

/**
 * The model's reasoning: a reasoning field of the stored response payload when the provider
 * returned one separately, else the model's final text (the agent records its reasoning there).
 */
function reasoningOf(inv: InvocationRecord): string | null {
  const payload = inv.responsePayload as Record<string, unknown> | null | undefined;
  // The agent's payload keeps the chain of thought and the answer apart: no reasoning is null, not the answer.
  if (payload !== null && typeof payload === "object" && "answer" in payload && payload.reasoning === null) return null;
  if (payload !== null && typeof payload === "object") {
    for (const key of ["reasoning", "thinking", "rationale"]) {
      const value = payload[key];
      if (typeof value === "string" && value.trim() !== "") return value;
    }
  }
  return inv.response !== null && inv.response.trim() !== "" ? inv.response : null;
}

/** The models' health rows, and the reason health is degraded by models the worker paused (named, with why), or null. */
function modelHealth(models: ReadonlyArray<ModelRecord>): { modelRows: Health["models"]; degradedReason: string | null } {
  const modelRows = models.map((m) => ({
    id: m.id,
    name: m.name,
    enabled: m.enabled,
    pausedReason: m.pausedReason,
    failedWorkflowCount: m.failedWorkflowCount,
    failedToolCallCount: m.failedToolCallCount,
  }));
  const paused = models.filter((m) => !m.enabled && m.pausedReason !== null).map((m) => `model ${m.name} paused: ${m.pausedReason}`);
  return { modelRows, degradedReason: paused.length > 0 ? paused.join("; ") : null };
}

/** The wire form of an invocation. */
export function invocationDto(inv: InvocationRecord): InvocationDto {
  return {
    id: inv.id,
    modelId: inv.modelId,
    prompt: inv.prompt,
    response: inv.response,
    reasoning: reasoningOf(inv),
    inputTokens: inv.inputTokens,
    outputTokens: inv.outputTokens,
    cost: str(inv.cost),
    latencyMs: inv.latencyMs,
    steps: inv.steps,
    error: inv.error,
    startedAt: inv.startedAt,
    finishedAt: inv.finishedAt,
    toolCalls: inv.toolCalls.map((t) => ({
      id: t.id,
      type: t.type,
      tool: t.tool,
      arguments: t.arguments,
      result: t.result,
      accepted: t.accepted,
      rejectionReason: t.rejectionReason,
      createdAt: t.createdAt,
    })),
  };
}

/** Keeps at most `points` snapshots: the first, the last, and the last of each of `points - 2` equal time buckets between them. */
export function downsample<T extends { at: number }>(snapshots: readonly T[], points: number): T[] {
  if (snapshots.length <= points) return [...snapshots];
  const first = snapshots[0]!;
  const last = snapshots[snapshots.length - 1]!;
  const inner = points - 2;
  if (inner <= 0) return points === 1 ? [last] : [first, last];
  const span = last.at - first.at;
  const kept: T[] = [first];
  let bucket = -1;
  let candidate: T | undefined;
  for (let i = 1; i < snapshots.length - 1; i++) {
    const s = snapshots[i]!;
    const b = span > 0 ? Math.min(inner - 1, Math.floor(((s.at - first.at) * inner) / span)) : 0;
    if (b !== bucket && candidate !== undefined) kept.push(candidate);
    bucket = b;
    candidate = s;
  }
  if (candidate !== undefined) kept.push(candidate);
  kept.push(last);
  return kept;
}

function toEquity(snapshots: readonly PortfolioSnapshotRecord[]): EquitySnapshot[] {
  return snapshots.map((s) => ({ ts: s.at, equity: s.total }));
}

/** One leaderboard row (unranked) from a model's inputs and its sampled curve over the window. */
function leaderboardRow(input: LeaderboardInput, snapshots: readonly PortfolioSnapshotRecord[]): Omit<LeaderboardRow, "rank"> {
  const metrics = computePerformanceMetrics({ snapshots: toEquity(snapshots), trades: [] });
  const first = snapshots[0];
  const latest = input.latestSnapshot;
  const stats = input.closedTrades;
  const accountValue = latest?.total ?? null;
  const pnl = first !== undefined && accountValue !== null ? accountValue.minus(first.total) : null;
  const ret = first !== undefined && accountValue !== null && first.total.gt(0) ? accountValue.div(first.total).minus(1).toNumber() : null;
  return {
    model: modelDto(input.model),
    accountValue: str(accountValue),
    return: ret,
    pnl: str(pnl),
    realizedPnl: stats.realizedPnl.toString(),
    fees: stats.fees.toString(),
    winRate: stats.count > 0 ? stats.wins / stats.count : null,
    trades: stats.count,
    wins: stats.wins,
    losses: stats.losses,
    biggestWin: stats.bestTrade !== null && stats.bestTrade.gt(0) ? stats.bestTrade.toString() : null,
    biggestLoss: stats.worstTrade !== null && stats.worstTrade.lt(0) ? stats.worstTrade.toString() : null,
    sharpe: metrics.sharpe,
    maxDrawdown: snapshots.length >= 2 ? metrics.maxDrawdown : null,
    openPositions: input.openPositions,
    lastSnapshotAt: latest?.at ?? null,
  };
}

function compareNullable(a: number | null, b: number | null): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return b - a;
}

/** Options of the reader. */
export interface ArenaReaderOptions {
  db: Db;
  clock: Clock;
  marker: Marker;
  cache: ReadCache;
  /** The cache of the heavy aggregates (leaderboard, equity curves), reloaded less often. */
  aggregates: ReadCache;
  /** A worker whose heartbeat is older than this is reported stale. */
  staleAfterMs: number;
  /** The scheduler state of a worker in this process, shown live (also while the database is down). */
  localWorker?: () => LocalWorkerHealth | null;
}

/** A worker's scheduler state as it knows it itself (a heartbeat row not yet written). */
export type LocalWorkerHealth = Omit<Health["workers"][number], "stale">;

/** Reads everything the routes show. */
export class ArenaReader {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly marker: Marker;
  private readonly cache: ReadCache;
  private readonly aggregates: ReadCache;
  private readonly staleAfterMs: number;
  private readonly localWorker: (() => LocalWorkerHealth | null) | undefined;
  /** The last health the database gave, shown while it is down. */
  private lastRead: { workers: Health["workers"]; models: Health["models"]; degradedReason: string | null } | null = null;
  private databaseDownSince: number | null = null;

  constructor(options: ArenaReaderOptions) {
    this.localWorker = options.localWorker;
    this.db = options.db;
    this.clock = options.clock;
    this.marker = options.marker;
    this.cache = options.cache;
    this.aggregates = options.aggregates;
    this.staleAfterMs = options.staleAfterMs;
  }

  private range(window: WindowName): { from: number | null; to: number } {
    const to = this.clock.now();
    const length = WINDOW_MS[window];
    return { from: length === null ? null : to - length, to };
  }

  /** Every model. */
  async models(): Promise<ModelDto[]> {
    return this.cache.get("models", async () => (await this.db.models.list()).map(modelDto));
  }

  /** One model (NotFoundError when unknown). */
  async model(id: string): Promise<ModelDto> {
    return modelDto(await this.db.models.require(id));
  }

  private snapshots(modelId: string, from: number | null): Promise<PortfolioSnapshotRecord[]> {
    return this.cache.get(`snapshots:${modelId}:${from === null ? "all" : Math.floor(from / 60_000)}`, () =>
      this.db.portfolio.history(modelId, from === null ? {} : { from }, MAX_SNAPSHOTS),
    );
  }

  /** The leaderboard over a window, sorted. */
  async leaderboard(window: WindowName, sort: (typeof LEADERBOARD_SORTS)[number]): Promise<Leaderboard> {
    return this.aggregates.get(`leaderboard:${window}:${sort}`, async () => {
      const { from, to } = this.range(window);
      const [inputs, curves] = await Promise.all([
        this.db.leaderboard.inputs(from === null ? {} : { from }),
        this.db.portfolio.sampled(from === null ? {} : { from }, LEADERBOARD_BUCKET_MS[window]),
      ]);
      const rows: Omit<LeaderboardRow, "rank">[] = [];
      for (const input of inputs) {
        // Each model's metrics are a few ms of Decimal work: let waiting requests run between them.
        if (rows.length > 0) await yieldToEventLoop();
        rows.push(leaderboardRow(input, curves.get(input.model.id) ?? []));
      }
      const key = (r: Omit<LeaderboardRow, "rank">): number | null => {
        switch (sort) {
          case "accountValue":
            return r.accountValue === null ? null : Number(r.accountValue);
          case "return":
            return r.return;
          case "pnl":
            return r.pnl === null ? null : Number(r.pnl);
          case "sharpe":
            return r.sharpe;
          case "winRate":
            return r.winRate;
          case "trades":
            return r.trades;
        }
      };
      rows.sort((a, b) => compareNullable(key(a), key(b)) || a.model.name.localeCompare(b.model.name) || a.model.variant.localeCompare(b.model.variant));
      return { window, sort, from, to, rows: rows.map((r, i) => ({ rank: i + 1, ...r })) };
    });
  }

  /** Every performance metric of one model over a window. */
  async analytics(modelId: string, window: WindowName): Promise<Analytics> {
    const model = await this.db.models.require(modelId);
    const { from, to } = this.range(window);
    const [snapshots, { trades, truncated }] = await Promise.all([this.snapshots(model.id, from), this.tradesSince(model.id, from)]);
    const m = computePerformanceMetrics({ snapshots: toEquity(snapshots), trades });
    return {
      model: modelDto(model),
      window,
      from,
      to,
      tradesTruncated: truncated,
      metrics: {
        ...m,
        expectancy: str(m.expectancy),
        biggestWin: str(m.biggestWin),
        biggestLoss: str(m.biggestLoss),
        feesPaid: m.feesPaid.toString(),
        realizedPnl: m.realizedPnl.toString(),
      },
    };
  }

  private async tradesSince(modelId: string, from: number | null): Promise<{ trades: ClosedOrder[]; truncated: boolean }> {
    const trades: ClosedOrder[] = [];
    let cursor: string | null = null;
    // Bounded: at most MAX_ANALYTICS_TRADES / 500 pages.
    for (let page = 0; page < MAX_ANALYTICS_TRADES / 500; page++) {
      const result = await this.db.orders.closedTrades({ modelId, limit: 500, cursor });
      for (const t of result.items) {
        if (from !== null && t.closedAt < from) return { trades, truncated: false };
        trades.push(t);
      }
      cursor = result.nextCursor;
      if (cursor === null) return { trades, truncated: false };
    }
    return { trades, truncated: true };
  }

  /** Open positions marked at current prices. */
  async positions(modelId: string | undefined, limit: number): Promise<Positions> {
    if (modelId !== undefined) await this.db.models.require(modelId);
    const open = await this.cache.get(`open:${modelId ?? "all"}`, () =>
      modelId === undefined ? this.db.orders.allOpenOrders() : this.db.orders.openOrdersOfModel(modelId),
    );
    const shown = open.slice(0, limit);
    const marks = await this.marker.marksFor(shown);
    let total = ZERO;
    const items = shown.map((o: OpenOrder): PositionDto => {
      const mark = marks.get(o.symbol) ?? { price: null, source: "none" as const, at: null };
      const pnl = mark.price === null ? null : unrealizedPnl(o.side, o.quantity, o.entryPrice, mark.price);
      if (pnl !== null) total = total.plus(pnl);
      return {
        orderId: o.orderId,
        modelId: o.modelId,
        symbol: o.symbol,
        side: o.side,
        quantity: o.quantity.toString(),
        leverage: o.leverage.toString(),
        entryPrice: o.entryPrice.toString(),
        entryFee: o.fees.toString(),
        markPrice: str(mark.price),
        priceSource: mark.source,
        notional: mark.price === null ? null : notional(o.quantity, mark.price).toDecimalPlaces(8).toString(),
        unrealizedPnl: pnl === null ? null : pnl.toDecimalPlaces(8).toString(),
        exitPlan: exitPlanDto(o.exitPlan),
        slTriggerPrice: str(o.slTriggerPrice),
        tpTriggerPrice: str(o.tpTriggerPrice),
        openedAt: o.openedAt,
      };
    });
    return { asOf: this.clock.now(), items, totalUnrealizedPnl: total.toDecimalPlaces(8).toString(), truncated: open.length > shown.length };
  }

  /** Closed trades, newest first, one page. */
  async trades(query: { modelId?: string; symbol?: string; limit: number; cursor?: string }): Promise<{ items: TradeDto[]; nextCursor: string | null }> {
    if (query.modelId !== undefined) await this.db.models.require(query.modelId);
    const page = await this.db.orders.closedTrades({
      ...(query.modelId === undefined ? {} : { modelId: query.modelId }),
      ...(query.symbol === undefined ? {} : { symbol: query.symbol }),
      limit: query.limit,
      cursor: query.cursor ?? null,
    });
    return { items: page.items.map(tradeDto), nextCursor: page.nextCursor };
  }

  /** Invocations (or only failed ones), newest first, one page. */
  async invocations(query: { modelId?: string; limit: number; cursor?: string; failedOnly: boolean }): Promise<{ items: InvocationDto[]; nextCursor: string | null }> {
    if (query.modelId !== undefined) await this.db.models.require(query.modelId);
    const page = await this.db.invocations.list({
      ...(query.modelId === undefined ? {} : { modelId: query.modelId }),
      limit: query.limit,
      cursor: query.cursor ?? null,
      failedOnly: query.failedOnly,
    });
    return { items: page.items.map(invocationDto), nextCursor: page.nextCursor };
  }

  /** One invocation (NotFoundError when unknown). */
  async invocation(id: string): Promise<InvocationDto> {
    const inv = await this.db.invocations.byId(id);
    if (inv === null) throw new NotFoundError("invocation", id);
    return invocationDto(inv);
  }

  /** Equity curves of every model (or one), downsampled. */
  async equity(window: WindowName, points: number, modelId?: string): Promise<Equity> {
    return this.aggregates.get(`equity:${window}:${points}:${modelId ?? "all"}`, async () => {
      const models = modelId === undefined ? await this.db.models.list() : [await this.db.models.require(modelId)];
      const { from, to } = this.range(window);
      // Coarse buckets in the database (about 2x the points asked for; hourly for all
      // time, which thinning keeps at most for 30 days), the exact count here.
      const bucketMs = from === null ? 3_600_000 : Math.max(1000, Math.floor((to - from) / (points * 2)));
      const curves = await this.db.portfolio.sampled(from === null ? {} : { from }, bucketMs, modelId === undefined ? {} : { modelId });
      const series = models.map((m) => ({
        modelId: m.id,
        name: m.variant === "default" ? m.name : `${m.name} (${m.variant})`,
        points: downsample(curves.get(m.id) ?? [], points).map((s) => ({ t: s.at, total: s.total.toString() })),
      }));
      return { window, from, to, series };
    });
  }

  /** The workers' scheduler state and the models' failure counters. */
  async health(stream: { lastEventSeq: number; subscribers: number }): Promise<Health> {
    const now = this.clock.now();
    let rows: [Awaited<ReturnType<Db["heartbeats"]["list"]>>, Awaited<ReturnType<Db["models"]["list"]>>];
    try {
      rows = await Promise.all([this.db.heartbeats.list(), this.db.models.list()]);
    } catch (error) {
      // The database is down: say so (200, not 500) with what was known last and the local worker, live.
      this.databaseDownSince ??= now;
      return {
        status: "databaseDown",
        asOf: now,
        database: "down",
        databaseDownSince: this.databaseDownSince,
        databaseError: error instanceof Error ? error.message.split("\n").filter((l) => l.trim() !== "").pop()!.trim() : String(error),
        workers: this.withLocalWorker(this.lastRead?.workers ?? [], now),
        models: this.lastRead?.models ?? [],
        degradedReason: this.lastRead?.degradedReason ?? null,
        stream,
      };
    }
    this.databaseDownSince = null;
    const [workers, models] = rows;
    const shown = this.withLocalWorker(
      workers.map((w) => ({ ...w, stale: w.status === "running" && now - w.updatedAt > this.staleAfterMs })),
      now,
    );
    const running = shown.filter((w) => w.status === "running");
    let status: Health["status"];
    if (running.length === 0) status = "noWorker";
    else if (running.every((w) => w.stale)) status = "stale";
    else if (running.some((w) => w.degraded && !w.stale)) status = "degraded";
    else status = "ok";
    const { modelRows, degradedReason } = modelHealth(models);
    if (status === "ok" && degradedReason !== null) status = "degraded";
    this.lastRead = { workers: shown, models: modelRows, degradedReason };
    return { status, asOf: now, database: "up", databaseDownSince: null, databaseError: null, workers: shown, models: modelRows, degradedReason, stream };
  }

  /** `workers` with this process's worker (if any) replaced by its live state. */
  private withLocalWorker(workers: Health["workers"], now: number): Health["workers"] {
    const local = this.localWorker?.() ?? null;
    if (local === null) return workers;
    return [...workers.filter((w) => w.workerId !== local.workerId), { ...local, updatedAt: now, stale: false }];
  }

}
