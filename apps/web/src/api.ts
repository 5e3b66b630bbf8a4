/** The api's JSON, typed loosely for display: money arrives as decimal strings. */

/** A model as the api returns it. */
export interface Model {
  id: string;
  name: string;
  provider: string;
  modelName: string;
  variant: string;
  enabled: boolean;
  mode: "SIM" | "LIVE" | null;
  invocationCount: number;
  failedWorkflowCount: number;
  failedToolCallCount: number;
}

/** One leaderboard row. */
export interface LeaderboardRow {
  rank: number;
  model: Model;
  accountValue: string | null;
  return: number | null;
  pnl: string | null;
  realizedPnl: string;
  fees: string;
  winRate: number | null;
  trades: number;
  biggestWin: string | null;
  biggestLoss: string | null;
  sharpe: number | null;
  maxDrawdown: number | null;
  openPositions: number;
}

/** Equity series. */
export interface Equity {
  series: { modelId: string; name: string; points: { t: number; total: string }[] }[];
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
  exitPlan: { stop: string | null; target: string | null; invalidation: string | null; confidence: number | null };
  openedAt: number;
}

/** A closed trade. */
export interface Trade {
  orderId: string;
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
  toolCalls: { id: string; type: string | null; tool: string; arguments: unknown; accepted: boolean; rejectionReason: string | null }[];
}

/** A page of a list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** GETs JSON from the api; throws with the api's error message. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) throw new Error(body?.error?.message ?? `${path} answered ${response.status}`);
  return body as T;
}
