/** The api's JSON, typed loosely for display: money arrives as decimal strings. */

/** A model as the api returns it. */
export interface Model {
  id: string;
  name: string;
  displayName: string;
  effectiveMode: "SIM" | "LIVE";
  provider: string;
  modelName: string;
  variant: string;
  enabled: boolean;
  mode: "SIM" | "LIVE" | null;
  invocationCount: number;
  failedWorkflowCount: number;
  failedToolCallCount: number;
}

/** Where a window's return is measured from. */
export interface Baseline {
  value: string;
  at: number;
  kind: "startingCapital" | "windowStart";
}

/** A model failing its runs. */
export interface Failing {
  consecutiveFailures: number;
  lastError: string | null;
  since: number | null;
}

/** One leaderboard row. */
export interface LeaderboardRow {
  rank: number;
  model: Model;
  accountValue: string | null;
  return: number | null;
  pnl: string | null;
  baseline: Baseline | null;
  realizedPnl: string;
  fees: string;
  winRate: number | null;
  trades: number;
  wins: number;
  losses: number;
  biggestWin: string | null;
  biggestLoss: string | null;
  sharpe: number | null;
  sharpeUnavailable: string | null;
  maxDrawdown: number | null;
  openPositions: number;
  failing: Failing | null;
}

/** Equity series. */
export interface Equity {
  series: { modelId: string; name: string; baseline: Baseline | null; points: { t: number; total: string }[] }[];
}

/** An open position. */
export interface Position {
  orderId: string;
  modelId: string;
  symbol: string;
  side: "LONG" | "SHORT";
  quantity: string;
  leverage: string;
  entryPrice: string;
  markPrice: string | null;
  priceSource: string;
  unrealizedPnl: string | null;
  notional: string | null;
  liquidationPrice: string | null;
  holdingMs: number;
  exitPlan: { stop: string | null; target: string | null; invalidation: string | null; confidence: number | null };
  slTriggerPrice: string | null;
  tpTriggerPrice: string | null;
  openedAt: number;
}

/** A closed trade. */
export interface Trade {
  orderId: string;
  modelId: string;
  symbol: string;
  side: "LONG" | "SHORT";
  quantity: string;
  leverage: string;
  entryPrice: string;
  exitPrice: string;
  realizedPnl: string;
  fees: string;
  closeTrigger: string | null;
  openedAt: number;
  closedAt: number;
}

/** One tool call of an invocation. */
export interface ToolCall {
  id: string;
  /** Null for a call to a tool that does not exist. */
  type: string | null;
  /** The tool's name as the model wrote it. */
  tool: string;
  arguments: unknown;
  result: unknown;
  accepted: boolean;
  rejectionReason: string | null;
}

/** An invocation. */
export interface Invocation {
  id: string;
  modelId: string;
  prompt: string;
  response: string | null;
  reasoning: string | null;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number | null;
  steps: unknown;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  toolCalls: ToolCall[];
}

/** A page of a list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Coin prices. */
export interface Prices {
  items: { symbol: string; price: string | null; source: string }[];
}

/** GETs JSON from the api; throws with the api's error message. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) throw new Error(body?.error?.message ?? `${path} answered ${response.status}`);
  return body as T;
}
