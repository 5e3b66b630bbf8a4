/**
 * What the agent needs from the outside: a `ToolExecutor` that gives the state
 * risk checks run against, executes approved decisions (a broker behind it) and
 * describes the account after each executed call. The trading package implements
 * it over the simulated or live broker; tests use an in-memory account.
 */
import type { TradingDecision } from "@autonome/core";
import type { RiskContext } from "@autonome/risk";

/** The state a decision is risk-checked against; the agent adds the time and the symbols acted on in this run. */
export type RiskState = Omit<RiskContext, "nowMs" | "actedSymbols">;

/** The outcome of executing one decision. */
export interface ToolResult {
  ok: boolean;
  /** What happened, in a sentence the model reads ("opened 0.05 BTC LONG at 100012.5"). */
  message: string;
  /** The order that holds the position, when one was created or closed. */
  orderId?: string;
  /**
   * With `ok` false: the venue did act (an order filled) although the account does not show
   * it yet, for example the fill's database write failed. The session then counts the symbol
   * as acted on for the rest of the run, so the model cannot send the order again into a
   * position its account does not show.
   */
  filledNotRecorded?: boolean;
}

/** The tool call a decision came from, as the model sent it (for a record written with the order it causes). */
export interface ToolCallContext {
  tool: string;
  /** The arguments as the model sent them. */
  args: unknown;
}

/** Executes decisions for one model's account. */
export interface ToolExecutor {
  /** Positions, marks, markets, account value, recent closes and the circuit breaker, fresh for each call. */
  riskState(): Promise<RiskState>;
  /** Executes a decision that passed the risk checks (`call`: the tool call it came from). May reject it (ok false) but should not throw. */
  execute(decision: TradingDecision, call?: ToolCallContext): Promise<ToolResult>;
  /** The account as text, shown to the model after each executed call. */
  accountState(): Promise<string>;
}
