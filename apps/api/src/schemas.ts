/**
 * The wire format: zod schemas of every input and output. The routes validate
 * requests with them and the OpenAPI document is generated from them. Money travels
 * as decimal strings (never floats); ratios as numbers; times as epoch milliseconds.
 */
import { z } from "@hono/zod-openapi";

/** Largest page of any list. */
export const MAX_PAGE_SIZE = 200;
/** Largest page of invocations (each carries a whole prompt). */
export const MAX_INVOCATION_PAGE_SIZE = 50;
/** Most points an equity series returns. */
export const MAX_EQUITY_POINTS = 2_000;
/** Most open positions one response lists. */
export const MAX_POSITIONS = 1_000;

const money = z.string().openapi({ description: "USD as a decimal string", example: "10234.56" });
const moneyOrNull = money.nullable();
const epochMs = z.number().int().openapi({ description: "epoch milliseconds" });
const uuid = z.uuid();

/** Leaderboard and analytics windows. */
export const WINDOWS = ["24h", "7d", "30d", "all"] as const;
/** A window name. */
export type WindowName = (typeof WINDOWS)[number];
/** Window lengths in ms (all: unbounded). */
export const WINDOW_MS: Record<WindowName, number | null> = { "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000, all: null };

const windowParam = z.enum(WINDOWS).default("7d").openapi({ param: { name: "window", in: "query" }, example: "7d" });

/** An error response. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "INVALID_INPUT" }),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

/** A trading model. */
export const ModelSchema = z
  .object({
    id: uuid,
    /** The model's slug (unique with its variant). */
    name: z.string(),
    /** What a person reads: "Trend follower", "GPT 4o (aggressive)". */
    displayName: z.string(),
    /** The mode it trades in: its own, or the worker's default when it names none. */
    effectiveMode: z.enum(["SIM", "LIVE"]),
    provider: z.string(),
    modelName: z.string(),
    variant: z.string(),
    enabled: z.boolean(),
    mode: z.enum(["SIM", "LIVE"]).nullable(),
    invocationCount: z.number().int(),
    failedWorkflowCount: z.number().int(),
    failedToolCallCount: z.number().int(),
    createdAt: epochMs,
  })
  .openapi("Model");

/** Path parameter of a model. */
export const ModelIdParams = z.object({ id: uuid.openapi({ param: { name: "id", in: "path" } }) });

/** Leaderboard sort keys. */
export const LEADERBOARD_SORTS = ["accountValue", "return", "pnl", "sharpe", "winRate", "trades"] as const;

/** Leaderboard query. */
export const LeaderboardQuery = z.object({
  window: windowParam,
  sort: z.enum(LEADERBOARD_SORTS).default("accountValue").openapi({ param: { name: "sort", in: "query" } }),
});

const baselineSchema = z
  .object({
    value: money,
    at: epochMs,
    /** startingCapital: the window began before the model traded (or is "all"); windowStart: the account value at the window's start. */
    kind: z.enum(["startingCapital", "windowStart"]),
  })
  .openapi("Baseline", { description: "Where a window's return and PnL are measured from." });

const failingSchema = z
  .object({ consecutiveFailures: z.number().int(), lastError: z.string().nullable(), since: epochMs.nullable() })
  .nullable()
  .openapi("Failing", { description: "Set when the model failed its last runs in a row (3 or more)." });

/** One leaderboard row. */
export const LeaderboardRowSchema = z
  .object({
    rank: z.number().int(),
    model: ModelSchema,
    accountValue: moneyOrNull,
    /** Account value change over the window as a fraction (0.05 = +5%). */
    return: z.number().nullable(),
    /** Account value change over the window. */
    pnl: moneyOrNull,
    /** What return and PnL are measured from; null without a starting capital (a LIVE model before its first snapshot). */
    baseline: baselineSchema.nullable(),
    realizedPnl: money,
    fees: money,
    winRate: z.number().nullable(),
    trades: z.number().int(),
    wins: z.number().int(),
    losses: z.number().int(),
    biggestWin: moneyOrNull,
    biggestLoss: moneyOrNull,
    sharpe: z.number().nullable(),
    /** Why Sharpe is null (too short a sample, say). */
    sharpeUnavailable: z.string().nullable(),
    maxDrawdown: z.number().nullable(),
    openPositions: z.number().int(),
    lastSnapshotAt: epochMs.nullable(),
    failing: failingSchema,
  })
  .openapi("LeaderboardRow");

/** The leaderboard. */
export const LeaderboardSchema = z
  .object({ window: z.enum(WINDOWS), sort: z.enum(LEADERBOARD_SORTS), from: epochMs.nullable(), to: epochMs, rows: z.array(LeaderboardRowSchema) })
  .openapi("Leaderboard");

/** Analytics query. */
export const AnalyticsQuery = z.object({ window: windowParam });

/** Every metric of @autonome/risk for one model. */
export const AnalyticsSchema = z
  .object({
    model: ModelSchema,
    window: z.enum(WINDOWS),
    from: epochMs.nullable(),
    to: epochMs,
    baseline: baselineSchema.nullable(),
    /** True when the window held more trades than analysed (the newest are used). */
    tradesTruncated: z.boolean(),
    metrics: z.object({
      totalReturn: z.number().nullable(),
      annualizedReturn: z.number().nullable(),
      sharpe: z.number().nullable(),
      sortino: z.number().nullable(),
      calmar: z.number().nullable(),
      maxDrawdown: z.number(),
      maxDrawdownDurationMs: z.number(),
      tradeCount: z.number().int(),
      winRate: z.number().nullable(),
      profitFactor: z.number().nullable(),
      expectancy: moneyOrNull,
      biggestWin: moneyOrNull,
      biggestLoss: moneyOrNull,
      longestWinStreak: z.number().int(),
      longestLossStreak: z.number().int(),
      averageHoldMs: z.number().nullable(),
      medianHoldMs: z.number().nullable(),
      longShare: z.number().nullable(),
      averageLeverage: z.number().nullable(),
      averageConfidence: z.number().nullable(),
      feesPaid: money,
      realizedPnl: money,
      decisionQuality: z.number().nullable(),
    }),
    /** Why each null metric is null (for example "needs 7 d of history to annualize; has 5 min"). */
    unavailable: z.record(z.string(), z.string()),
  })
  .openapi("Analytics");

/** Correlation query. */
export const CorrelationQuery = z.object({ window: windowParam });

/** Pearson correlation of the models' returns. */
export const CorrelationSchema = z
  .object({
    window: z.enum(WINDOWS),
    from: epochMs.nullable(),
    to: epochMs,
    bucketMs: z.number().int(),
    models: z.array(z.object({ id: uuid, displayName: z.string() })),
    /** matrix[i][j]: correlation of model i's returns with model j's; null when undefined. */
    matrix: z.array(z.array(z.number().nullable())),
    note: z.string(),
  })
  .openapi("Correlation");

/** Coin prices. */
export const PricesSchema = z
  .object({
    asOf: epochMs,
    items: z.array(z.object({ symbol: z.string(), price: z.string().nullable(), source: z.enum(["live", "lastKnown", "none"]), at: epochMs.nullable() })),
  })
  .openapi("Prices");

/** Recent events query. */
export const RecentEventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(50).openapi({ param: { name: "limit", in: "query" } }),
});

/** The newest events of the live stream's buffer, newest first. */
export const RecentEventsSchema = z
  .object({ lastEventId: z.string().nullable(), items: z.array(z.object({ id: z.string(), event: z.unknown() })) })
  .openapi("RecentEvents");

const exitPlanSchema = z
  .object({
    stop: z.string().nullable(),
    target: z.string().nullable(),
    invalidation: z.string().nullable(),
    invalidationPrice: z.string().nullable(),
    confidence: z.number().nullable(),
    timeExit: z.number().nullable(),
    cooldownUntil: z.number().nullable(),
  })
  .openapi("ExitPlan");

/** Positions query. */
export const PositionsQuery = z.object({
  modelId: uuid.optional().openapi({ param: { name: "modelId", in: "query" } }),
  limit: z.coerce.number().int().min(1).max(MAX_POSITIONS).default(MAX_POSITIONS).openapi({ param: { name: "limit", in: "query" } }),
});

/** An open position with its live unrealized PnL. */
export const PositionSchema = z
  .object({
    orderId: uuid,
    modelId: uuid,
    symbol: z.string(),
    side: z.enum(["LONG", "SHORT"]),
    quantity: z.string(),
    leverage: z.string(),
    entryPrice: z.string(),
    entryFee: money,
    markPrice: z.string().nullable(),
    /** live: the worker's market; lastKnown: the newest price the arena recorded; none: no price. */
    priceSource: z.enum(["live", "lastKnown", "none"]),
    notional: moneyOrNull,
    unrealizedPnl: moneyOrNull,
    /** Estimated from the market's maintenance margin (isolated; fees and funding left out); null for an unknown market. */
    liquidationPrice: z.string().nullable(),
    /** How long it has been open (ms). */
    holdingMs: z.number().int(),
    exitPlan: exitPlanSchema,
    slTriggerPrice: z.string().nullable(),
    tpTriggerPrice: z.string().nullable(),
    openedAt: epochMs,
  })
  .openapi("Position");

/** Open positions. */
export const PositionsSchema = z
  .object({ asOf: epochMs, items: z.array(PositionSchema), totalUnrealizedPnl: money, truncated: z.boolean() })
  .openapi("Positions");

/** Trades query. */
export const TradesQuery = z.object({
  modelId: uuid.optional().openapi({ param: { name: "modelId", in: "query" } }),
  symbol: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,32}$/)
    .optional()
    .openapi({ param: { name: "symbol", in: "query" }, example: "BTC" }),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50).openapi({ param: { name: "limit", in: "query" } }),
  cursor: z.string().max(500).optional().openapi({ param: { name: "cursor", in: "query" } }),
});

/** A closed trade. */
export const TradeSchema = z
  .object({
    orderId: uuid,
    modelId: uuid,
    symbol: z.string(),
    side: z.enum(["LONG", "SHORT"]),
    quantity: z.string(),
    leverage: z.string(),
    entryPrice: z.string(),
    exitPrice: z.string(),
    realizedPnl: money,
    fees: money,
    closeTrigger: z.enum(["STOP", "TARGET", "LIQUIDATION", "MANUAL"]).nullable(),
    exitPlan: exitPlanSchema,
    openedAt: epochMs,
    closedAt: epochMs,
  })
  .openapi("Trade");

/** A page of trades. */
export const TradesPageSchema = z.object({ items: z.array(TradeSchema), nextCursor: z.string().nullable() }).openapi("TradesPage");

/** Invocations query. */
export const InvocationsQuery = z.object({
  modelId: uuid.optional().openapi({ param: { name: "modelId", in: "query" } }),
  limit: z.coerce.number().int().min(1).max(MAX_INVOCATION_PAGE_SIZE).default(20).openapi({ param: { name: "limit", in: "query" } }),
  cursor: z.string().max(500).optional().openapi({ param: { name: "cursor", in: "query" } }),
});

/** Path parameter of an invocation. */
export const InvocationIdParams = z.object({ id: uuid.openapi({ param: { name: "id", in: "path" } }) });

/** One tool call of an invocation. */
export const ToolCallSchema = z
  .object({
    id: uuid,
    /** Null for a call to a tool that does not exist. */
    type: z.enum(["CREATE_POSITION", "CLOSE_POSITION", "HOLDING", "UPDATE_EXIT_PLAN"]).nullable(),
    /** The tool's name as the model wrote it. */
    tool: z.string(),
    arguments: z.unknown(),
    result: z.unknown(),
    accepted: z.boolean(),
    rejectionReason: z.string().nullable(),
    createdAt: epochMs,
  })
  .openapi("ToolCall");

/** One agent invocation: prompt, response, tool calls, tokens, latency, telemetry. */
export const InvocationSchema = z
  .object({
    id: uuid,
    modelId: uuid,
    prompt: z.string(),
    response: z.string().nullable(),
    /** The model's reasoning when the response payload carries it. */
    reasoning: z.string().nullable(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    cost: moneyOrNull,
    latencyMs: z.number().int().nullable(),
    steps: z.unknown(),
    error: z.string().nullable(),
    startedAt: epochMs,
    finishedAt: epochMs.nullable(),
    toolCalls: z.array(ToolCallSchema),
  })
  .openapi("Invocation");

/** A page of invocations. */
export const InvocationsPageSchema = z.object({ items: z.array(InvocationSchema), nextCursor: z.string().nullable() }).openapi("InvocationsPage");

/** Equity query. */
export const EquityQuery = z.object({
  window: windowParam,
  modelId: uuid.optional().openapi({ param: { name: "modelId", in: "query" } }),
  points: z.coerce.number().int().min(2).max(MAX_EQUITY_POINTS).default(300).openapi({ param: { name: "points", in: "query" } }),
});

/** Equity curves, one series per model, each downsampled to at most `points` points. */
export const EquitySchema = z
  .object({
    window: z.enum(WINDOWS),
    from: epochMs.nullable(),
    to: epochMs,
    series: z.array(
      z.object({
        modelId: uuid,
        /** Display name. */
        name: z.string(),
        /** The first point's value and what it is: percent mode is total / baseline - 1, as the leaderboard's return. */
        baseline: baselineSchema.nullable(),
        points: z.array(z.object({ t: epochMs, total: money })),
      }),
    ),
  })
  .openapi("Equity");

/** The workers' scheduler state. */
export const HealthSchema = z
  .object({
    /** databaseDown: the api cannot read the database; `workers` is what it knew last (and this process's worker, live). */
    status: z.enum(["ok", "degraded", "stale", "noWorker", "databaseDown"]),
    /** Why it is not ok, one sentence each (a degraded worker, a model failing every run). */
    reasons: z.array(z.string()),
    asOf: epochMs,
    database: z.enum(["up", "down"]),
    /** When the api's reads started failing, or null while it can read. */
    databaseDownSince: epochMs.nullable(),
    /** Why the last read failed, or null while it can read. */
    databaseError: z.string().nullable(),
    workers: z.array(
      z.object({
        workerId: z.string(),
        host: z.string(),
        pid: z.number().int(),
        status: z.enum(["running", "stopped"]),
        tick: z.number().int(),
        startedAt: epochMs,
        lastTickAt: epochMs.nullable(),
        lastSuccessAt: epochMs.nullable(),
        runningModelIds: z.array(z.string()),
        consecutiveFailedCycles: z.number().int(),
        degraded: z.boolean(),
        degradedReason: z.string().nullable(),
        updatedAt: epochMs,
        /** No heartbeat for longer than the api's staleAfterMs. */
        stale: z.boolean(),
      }),
    ),
    models: z.array(
      z.object({
        id: uuid,
        name: z.string(),
        displayName: z.string(),
        enabled: z.boolean(),
        /** Why the worker paused the model (configuration errors in a row), or null. */
        pausedReason: z.string().nullable(),
        failedWorkflowCount: z.number().int(),
        failedToolCallCount: z.number().int(),
        failing: failingSchema,
      }),
    ),
    /** Why the status is degraded by a model (named, with its reason), or null. */
    degradedReason: z.string().nullable(),
    stream: z.object({ lastEventSeq: z.number().int(), subscribers: z.number().int() }),
  })
  .openapi("Health");

/** Stream query. */
export const StreamQuery = z.object({
  modelId: uuid.optional().openapi({ param: { name: "modelId", in: "query" } }),
  types: z
    .string()
    .max(500)
    .optional()
    .openapi({ param: { name: "types", in: "query" }, description: "comma-separated event types" }),
  lastEventId: z
    .string()
    .max(100)
    .optional()
    .openapi({ param: { name: "lastEventId", in: "query" }, description: "resume after this event (as the Last-Event-ID header)" }),
});
