/**
 * The read side: turns repository records into the wire format of the routes. It
 * composes @autonome/db (records) and @autonome/risk (metrics) and holds no trading
 * rule of its own; ranking is a sort of what the metrics say.
 */
import { type Clock, DEFAULT_MARKETS, type Decimal, type ExitPlan, NotFoundError, ZERO, notional, toDecimal, unrealizedPnl } from "@autonome/core";
import type { ClosedOrder, Db, InvocationRecord, ModelRecord, OpenOrder } from "@autonome/db";
import { DEFAULT_METRIC_MINIMUMS, computeCurveMetrics, computePerformanceMetrics, estimateLiquidationPrice, pearsonCorrelation } from "@autonome/risk";
import { type ArenaLedger, type Baseline, FAILING_AFTER_RUNS, upperBound } from "./ledger.js";
import type { z } from "@hono/zod-openapi";
import type { Marker } from "./prices.js";
import type { ReadCache } from "./read-cache.js";
import {
  type AnalyticsSchema,
  type CorrelationSchema,
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
type Correlation = z.infer<typeof CorrelationSchema>;

/** Most trades the analytics of one window reads. */
export const MAX_ANALYTICS_TRADES = 10_000;
const MARKETS = new Map(DEFAULT_MARKETS.map((m) => [m.symbol, m]));

/** Points of each curve the leaderboard's Sharpe and drawdown read (buckets sized to the data's real span). */
const METRIC_POINTS = 300;
/** Words shown in capitals in display names. */
const ACRONYMS = new Set(["btc", "eth", "sol", "bnb", "xrp", "doge", "gpt", "llm", "ai", "api", "usd", "ml"]);

/**
 * A model's display name: "Trend follower" for the slug trend-follower, "GPT 4o mini
 * (aggressive)" for gpt-4o-mini in variant aggressive; a name that is not a slug is kept.
 */
export function displayNameOf(m: Pick<ModelRecord, "name" | "variant">, configured?: (m: Pick<ModelRecord, "name" | "variant">) => string | undefined): string {
  const given = configured?.(m);
  if (given !== undefined && given.trim() !== "") return m.variant === "default" ? given : `${given} (${m.variant})`;
  const slug = /^[a-z0-9]+(?:[-_][a-z0-9.]+)*$/.test(m.name);
  const words = slug ? m.name.split(/[-_]/).map((w, i) => (ACRONYMS.has(w) ? w.toUpperCase() : i === 0 ? w[0]!.toUpperCase() + w.slice(1) : w)) : [m.name];
  const name = words.join(" ");
  return m.variant === "default" ? name : `${name} (${m.variant})`;
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

/** The wire form of a model; `defaultMode` is the mode of a model that names none. */
export function modelDto(m: ModelRecord, defaultMode: "SIM" | "LIVE" = "SIM", names?: (m: Pick<ModelRecord, "name" | "variant">) => string | undefined): ModelDto {
  return {
    id: m.id,
    name: m.name,
    displayName: displayNameOf(m, names),
    effectiveMode: m.mode ?? defaultMode,
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
export function reasoningOf(inv: InvocationRecord): string | null {
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

/** Why the worker paused each model (configuration errors in a row), and the reason health is degraded by them (named, with why), or null. */
function pausedModels(models: ReadonlyArray<ModelRecord>): { pausedBy: Map<string, string>; degradedReason: string | null } {
  const pausedBy = new Map<string, string>();
  for (const m of models) if (m.pausedReason !== null) pausedBy.set(m.id, m.pausedReason);
  const paused = models.filter((m) => !m.enabled && m.pausedReason !== null).map((m) => `model ${m.name} paused: ${m.pausedReason}`);
  return { pausedBy, degradedReason: paused.length > 0 ? paused.join("; ") : null };
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

/**
 * The points of a window's curve from its baseline: the baseline as the first point, then
 * every snapshot after it. The table's return, the chart's percent and the analytics all
 * read these, so they agree.
 */
export function windowPoints(ledger: ArenaLedger, modelId: string, baseline: Baseline | null): { ts: number[]; total: string[]; value: number[] } {
  const curve = ledger.curveOf(modelId);
  if (baseline === null) return { ts: [...curve.ts], total: [...curve.total], value: [...curve.value] };
  const i = upperBound(curve.ts, baseline.at);
  return {
    ts: [baseline.at, ...curve.ts.slice(i)],
    total: [baseline.value.toString(), ...curve.total.slice(i)],
    value: [baseline.value.toNumber(), ...curve.value.slice(i)],
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
  /** The incremental read model (trades, curves, open orders, run outcomes). */
  ledger: ArenaLedger;
  /** A worker whose heartbeat is older than this is reported stale. */
  staleAfterMs: number;
  /** The scheduler state of a worker in this process, shown live (also while the database is down). */
  localWorker?: () => LocalWorkerHealth | null;
  /** The mode of a model that names none (IS_SIMULATION_ENABLED of the worker). Default SIM. */
  defaultMode?: "SIM" | "LIVE";
  /** Display names the configuration gives (by slug); a slug without one is shown humanized. */
  displayNames?: (m: Pick<ModelRecord, "name" | "variant">) => string | undefined;
}

/** A worker's scheduler state as it knows it itself (a heartbeat row not yet written). */
export type LocalWorkerHealth = Omit<Health["workers"][number], "stale">;

/** A model that fails every run: who, since when and why (for the leaderboard and health). */
export interface FailingModel {
  modelId: string;
  name: string;
  consecutiveFailures: number;
  lastError: string | null;
  lastFailureAt: number | null;
}

/**
 * Health's view of the models' runs: the models failing every run (FAILING_AFTER_RUNS in a
 * row or more). Kept apart so other checks can join it; any entry makes health degraded.
 */
export function failingModels(ledger: ArenaLedger, models: readonly ModelRecord[], names?: (m: Pick<ModelRecord, "name" | "variant">) => string | undefined): FailingModel[] {
  const out: FailingModel[] = [];
  for (const m of models) {
    if (!m.enabled) continue;
    const runs = ledger.runsOf(m.id);
    if (runs.consecutiveFailures >= FAILING_AFTER_RUNS) {
      out.push({ modelId: m.id, name: displayNameOf(m, names), consecutiveFailures: runs.consecutiveFailures, lastError: runs.lastError, lastFailureAt: runs.lastFailureAt });
    }
  }
  return out;
}

/** Reads everything the routes show. */
export class ArenaReader {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly marker: Marker;
  private readonly cache: ReadCache;
  readonly ledger: ArenaLedger;
  private readonly staleAfterMs: number;
  private readonly defaultMode: "SIM" | "LIVE";
  private readonly names: ((m: Pick<ModelRecord, "name" | "variant">) => string | undefined) | undefined;
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
    this.ledger = options.ledger;
    this.staleAfterMs = options.staleAfterMs;
    this.defaultMode = options.defaultMode ?? "SIM";
    this.names = options.displayNames;
  }

  private range(window: WindowName): { from: number | null; to: number } {
    const to = this.clock.now();
    const length = WINDOW_MS[window];
    return { from: length === null ? null : to - length, to };
  }

  private dto(m: ModelRecord): ModelDto {
    return modelDto(m, this.defaultMode, this.names);
  }

  /** Every model. */
  async models(): Promise<ModelDto[]> {
    return this.cache.get("models", async () => (await this.db.models.list()).map((m) => this.dto(m)));
  }

  /** One model (NotFoundError when unknown). */
  async model(id: string): Promise<ModelDto> {
    return this.dto(await this.db.models.require(id));
  }

  private async requireModel(id: string): Promise<ModelRecord> {
    await this.ledger.ready();
    return this.ledger.model(id) ?? (await this.db.models.require(id));
  }

  /** The leaderboard over a window, sorted; from the ledger, no database read. */
  async leaderboard(window: WindowName, sort: (typeof LEADERBOARD_SORTS)[number]): Promise<Leaderboard> {
    await this.ledger.ready();
    const { from, to } = this.range(window);
    const rows: Omit<LeaderboardRow, "rank">[] = [];
    const openBy = new Map<string, number>();
    for (const o of this.ledger.openOrders()) openBy.set(o.modelId, (openBy.get(o.modelId) ?? 0) + 1);
    for (const model of this.ledger.models()) {
      const baseline = this.ledger.baseline(model.id, from);
      const curve = this.ledger.curveOf(model.id);
      const latestTotal = curve.total.at(-1);
      const accountValue = latestTotal === undefined ? null : toDecimal(latestTotal);
      const effectiveFrom = baseline?.kind === "windowStart" ? from : null;
      const stats = this.ledger.tradesOf(model.id).stats(effectiveFrom);
      const metrics = this.curveMetrics(model.id, window, baseline);
      const pnl = baseline !== null && accountValue !== null ? accountValue.minus(baseline.value) : null;
      const ret = pnl !== null && baseline !== null && baseline.value.gt(0) ? pnl.div(baseline.value).toNumber() : null;
      const runs = this.ledger.runsOf(model.id);
      const curvePoints = curve.ts.length - (baseline === null ? 0 : upperBound(curve.ts, baseline.at)) + (baseline === null ? 0 : 1);
      rows.push({
        model: this.dto(model),
        accountValue: str(accountValue),
        return: ret,
        pnl: str(pnl),
        baseline: baseline === null ? null : { value: baseline.value.toString(), at: baseline.at, kind: baseline.kind },
        realizedPnl: stats.realizedPnl,
        fees: stats.fees,
        winRate: stats.count > 0 ? stats.wins / stats.count : null,
        trades: stats.count,
        wins: stats.wins,
        losses: stats.losses,
        biggestWin: stats.best !== null && Number(stats.best) > 0 ? stats.best : null,
        biggestLoss: stats.worst !== null && Number(stats.worst) < 0 ? stats.worst : null,
        sharpe: metrics.sharpe,
        sharpeUnavailable: metrics.sharpe === null ? (metrics.unavailable.sharpe ?? null) : null,
        maxDrawdown: curvePoints >= 2 ? metrics.maxDrawdown : null,
        openPositions: openBy.get(model.id) ?? 0,
        lastSnapshotAt: curve.ts.at(-1) ?? null,
        failing:
          model.enabled && runs.consecutiveFailures >= FAILING_AFTER_RUNS
            ? { consecutiveFailures: runs.consecutiveFailures, lastError: runs.lastError, since: runs.lastFailureAt }
            : null,
      });
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
    // A model failing every run ranks below the ones that run, whatever its numbers.
    rows.sort(
      (a, b) =>
        Number(a.failing !== null) - Number(b.failing !== null) ||
        compareNullable(key(a), key(b)) ||
        a.model.name.localeCompare(b.model.name) ||
        a.model.variant.localeCompare(b.model.variant),
    );
    return { window, sort, from, to, rows: rows.map((r, i) => ({ rank: i + 1, ...r })) };
  }

  /**
   * Sharpe and drawdown of a model's curve over a window, sampled to METRIC_POINTS over its
   * real span. Remembered until the curve or its baseline changes (a snapshot arrives or
   * leaves the window), so a leaderboard rebuilt after an event recomputes only what moved.
   */
  private curveMetrics(modelId: string, window: WindowName, baseline: Baseline | null): ReturnType<typeof computeCurveMetrics> {
    const curve = this.ledger.curveOf(modelId);
    const key = `${modelId}:${window}:${curve.ts.length}:${curve.ts.at(-1) ?? ""}:${baseline?.at ?? ""}:${baseline?.value.toString() ?? ""}`;
    const known = this.metricsMemo.get(key);
    if (known !== undefined) return known;
    const points = windowPoints(this.ledger, modelId, baseline);
    const sampled = downsample(
      points.ts.map((at, k) => ({ at, k })),
      METRIC_POINTS,
    ).map(({ k }) => ({ ts: points.ts[k]!, value: points.value[k]! }));
    const metrics = computeCurveMetrics(sampled, undefined, DEFAULT_METRIC_MINIMUMS);
    if (this.metricsMemo.size > 2_000) this.metricsMemo.clear();
    this.metricsMemo.set(key, metrics);
    return metrics;
  }

  private readonly metricsMemo = new Map<string, ReturnType<typeof computeCurveMetrics>>();

  /** Every performance metric of one model over a window; ratios of too short a sample are null with the reason. */
  async analytics(modelId: string, window: WindowName): Promise<Analytics> {
    const model = await this.requireModel(modelId);
    const { from, to } = this.range(window);
    const baseline = this.ledger.baseline(model.id, from);
    const points = windowPoints(this.ledger, model.id, baseline);
    const effectiveFrom = baseline?.kind === "windowStart" ? from : null;
    const { trades, truncated } = await this.tradesSince(model.id, effectiveFrom);
    const m = computePerformanceMetrics({
      snapshots: points.ts.map((ts, k) => ({ ts, equity: toDecimal(points.total[k]!) })),
      trades,
      minimums: DEFAULT_METRIC_MINIMUMS,
    });
    const { unavailable, ...rest } = m;
    return {
      model: this.dto(model),
      window,
      from,
      to,
      baseline: baseline === null ? null : { value: baseline.value.toString(), at: baseline.at, kind: baseline.kind },
      tradesTruncated: truncated,
      metrics: {
        ...rest,
        expectancy: str(m.expectancy),
        biggestWin: str(m.biggestWin),
        biggestLoss: str(m.biggestLoss),
        feesPaid: m.feesPaid.toString(),
        realizedPnl: m.realizedPnl.toString(),
      },
      unavailable: unavailable ?? {},
    };
  }

  /** Pearson correlation of the models' returns over a window, on a common time grid. */
  async correlation(window: WindowName): Promise<Correlation> {
    await this.ledger.ready();
    const { from, to } = this.range(window);
    const models = this.ledger.models();
    const grids = models.map((m) => windowPoints(this.ledger, m.id, this.ledger.baseline(m.id, from)));
    const start = Math.min(...grids.map((g) => g.ts[0] ?? to), to);
    const buckets = 60;
    const step = Math.max(1, (to - start) / buckets);
    // Each model's value at the end of each bucket (the last point at or before it), then its returns.
    const returns = grids.map((g) => {
      const values: (number | null)[] = [];
      for (let b = 1; b <= buckets; b++) {
        const i = upperBound(g.ts, start + b * step) - 1;
        values.push(i < 0 ? null : g.value[i]!);
      }
      const r: (number | null)[] = [];
      for (let b = 1; b < values.length; b++) {
        const prev = values[b - 1];
        const cur = values[b];
        r.push(prev === null || prev === undefined || cur === null || cur === undefined || prev <= 0 ? null : cur / prev - 1);
      }
      return r;
    });
    const matrix = models.map((_, i) =>
      models.map((__, j) => {
        if (i === j) return 1;
        const xs: number[] = [];
        const ys: number[] = [];
        returns[i]!.forEach((x, k) => {
          const y = returns[j]![k];
          if (x !== null && y !== null && y !== undefined) {
            xs.push(x);
            ys.push(y);
          }
        });
        return xs.length >= 3 ? pearsonCorrelation(xs, ys) : null;
      }),
    );
    return {
      window,
      from,
      to,
      bucketMs: Math.round(step),
      models: models.map((m) => ({ id: m.id, displayName: displayNameOf(m, this.names) })),
      matrix,
      note: "Pearson correlation of returns over 60 equal buckets of the window; null where two models share fewer than three returns or one has no variance.",
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

  /** Open positions marked at current prices, from the ledger's open orders. */
  async positions(modelId: string | undefined, limit: number): Promise<Positions> {
    if (modelId !== undefined) await this.requireModel(modelId);
    await this.ledger.ready();
    const all = this.ledger.openOrders();
    const open = modelId === undefined ? all : all.filter((o) => o.modelId === modelId);
    const shown = open.slice(0, limit);
    const marks = await this.marker.marksFor(shown);
    const now = this.clock.now();
    let total = ZERO;
    const items = shown.map((o: OpenOrder): PositionDto => {
      const mark = marks.get(o.symbol) ?? { price: null, source: "none" as const, at: null };
      const pnl = mark.price === null ? null : unrealizedPnl(o.side, o.quantity, o.entryPrice, mark.price);
      if (pnl !== null) total = total.plus(pnl);
      // Estimated from the market's maintenance margin (isolated margin, fees and funding left out).
      const market = MARKETS.get(o.symbol);
      const liquidation = market === undefined || o.leverage.lte(0) ? null : estimateLiquidationPrice(o.side, o.entryPrice, o.leverage, market.maintenanceMarginFraction);
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
        liquidationPrice: liquidation === null ? null : liquidation.toDecimalPlaces(8).toString(),
        holdingMs: Math.max(0, now - o.openedAt),
        exitPlan: exitPlanDto(o.exitPlan),
        slTriggerPrice: str(o.slTriggerPrice),
        tpTriggerPrice: str(o.tpTriggerPrice),
        openedAt: o.openedAt,
      };
    });
    return { asOf: now, items, totalUnrealizedPnl: total.toDecimalPlaces(8).toString(), truncated: open.length > shown.length };
  }

  /** Prices of every symbol the arena trades or traded: live, else the last the arena recorded. */
  async prices(): Promise<{ asOf: number; items: { symbol: string; price: string | null; source: "live" | "lastKnown" | "none"; at: number | null }[] }> {
    await this.ledger.ready();
    const symbols = new Set<string>(this.ledger.openOrders().map((o) => o.symbol));
    for (const s of this.knownSymbols) symbols.add(s);
    const sorted = [...symbols].sort();
    const marks = await Promise.all(sorted.map((s) => this.marker.mark(s)));
    return { asOf: this.clock.now(), items: sorted.map((symbol, i) => ({ symbol, price: str(marks[i]!.price), source: marks[i]!.source, at: marks[i]!.at })) };
  }

  /** Symbols seen in events or trades (the price strip's coins). */
  readonly knownSymbols = new Set<string>();

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

  /**
   * Equity curves of every model (or one) over a window, each from its baseline (the same
   * one the leaderboard's return uses) and downsampled to `points` over the data's real
   * span, so a minutes-old arena shows a curve.
   */
  async equity(window: WindowName, points: number, modelId?: string): Promise<Equity> {
    const models = modelId === undefined ? (await this.ledger.ready(), this.ledger.models()) : [await this.requireModel(modelId)];
    const { from, to } = this.range(window);
    const series = models.map((m) => {
      const baseline = this.ledger.baseline(m.id, from);
      const w = windowPoints(this.ledger, m.id, baseline);
      const kept = downsample(
        w.ts.map((at, k) => ({ at, k })),
        points,
      );
      return {
        modelId: m.id,
        name: displayNameOf(m, this.names),
        baseline: baseline === null ? null : { value: baseline.value.toString(), at: baseline.at, kind: baseline.kind },
        points: kept.map(({ k }) => ({ t: w.ts[k]!, total: w.total[k]! })),
      };
    });
    return { window, from, to, series };
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
        reasons: ["the database cannot be read"],
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
    await this.ledger.ready().catch(() => undefined);
    const failing = failingModels(this.ledger, models, this.names);
    let status: Health["status"];
    if (running.length === 0) status = "noWorker";
    else if (running.every((w) => w.stale)) status = "stale";
    else if (running.some((w) => w.degraded && !w.stale) || failing.length > 0) status = "degraded";
    else status = "ok";
    const failingBy = new Map(failing.map((f) => [f.modelId, f]));
    const { pausedBy, degradedReason } = pausedModels(models);
    if (status === "ok" && degradedReason !== null) status = "degraded";
    const modelRows = models.map((m) => {
      const f = failingBy.get(m.id);
      return {
        id: m.id,
        name: m.name,
        displayName: displayNameOf(m, this.names),
        enabled: m.enabled,
        pausedReason: pausedBy.get(m.id) ?? null,
        failedWorkflowCount: m.failedWorkflowCount,
        failedToolCallCount: m.failedToolCallCount,
        failing: f === undefined ? null : { consecutiveFailures: f.consecutiveFailures, lastError: f.lastError, since: f.lastFailureAt },
      };
    });
    const reasons = [
      ...running.filter((w) => w.degraded && !w.stale).map((w) => `worker ${w.workerId}: ${w.degradedReason ?? "degraded"}`),
      ...(degradedReason === null ? [] : [degradedReason]),
      ...failing.map((f) => `${f.name} failed its last ${f.consecutiveFailures} runs${f.lastError === null ? "" : `: ${f.lastError}`}`),
    ];
    this.lastRead = { workers: shown, models: modelRows, degradedReason };
    return { status, reasons, asOf: now, database: "up", databaseDownSince: null, databaseError: null, workers: shown, models: modelRows, degradedReason, stream };
  }

  /** `workers` with this process's worker (if any) replaced by its live state. */
  private withLocalWorker(workers: Health["workers"], now: number): Health["workers"] {
    const local = this.localWorker?.() ?? null;
    if (local === null) return workers;
    return [...workers.filter((w) => w.workerId !== local.workerId), { ...local, updatedAt: now, stale: false }];
  }

}
