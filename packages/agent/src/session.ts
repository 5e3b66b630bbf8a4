/**
 * One run of one model: every tool call, from a language model or a rule model,
 * goes through `TradingSession.handle`: validate the arguments, run the risk
 * checks, execute through the injected executor, and answer with the text the
 * model sees next (the rejection reason, or the result and the updated account).
 * Invariants: an invalid or rejected call is never executed; calls are handled
 * one at a time, in order, even when a model asks for several at once; after an
 * executed call (or one that failed after its order filled) the symbol is locked for
 * the rest of the run.
 */
import { type Clock, type TradingDecision, isAutonomeError } from "@autonome/core";
import { DEFAULT_RISK_LIMITS, type RiskCheckName, type RiskLimits, checkDecision } from "@autonome/risk";
import type { ToolExecutor, ToolResult } from "./executor.js";
import { decisionFromToolCall } from "./tools.js";

/** What became of one tool call. */
export type ToolCallStatus = "executed" | "rejected" | "invalid" | "failed";

/** The record of one tool call, as the Invocations table stores it. */
export interface ToolCallRecord {
  /** Order within the run, from 1. */
  sequence: number;
  tool: string;
  /** The arguments as the model sent them. */
  args: unknown;
  status: ToolCallStatus;
  /** The decision, when the arguments were valid. */
  decision?: TradingDecision;
  /** The failed risk check, when rejected. */
  check?: RiskCheckName;
  /** Why it was rejected, invalid or failed. */
  reason?: string;
  /** The executor's result, when executed. */
  result?: ToolResult;
  /** What the model was told. */
  reply: string;
  /** Epoch ms when handled. */
  at: number;
}

/** Options of a session. */
export interface TradingSessionOptions {
  executor: ToolExecutor;
  clock: Clock;
  limits?: RiskLimits;
  /**
   * Called with each record as it is made, in order (a caller persists calls as they
   * happen). A handled call's reply waits for it; a failure of the hook is ignored.
   */
  onRecord?: (record: ToolCallRecord) => unknown;
}

function symbolOf(decision: TradingDecision): string | null {
  return decision.type === "HOLDING" ? null : decision.symbol;
}

/** The risk gate and tool-call log of one run. */
export class TradingSession {
  private readonly executor: ToolExecutor;
  private readonly clock: Clock;
  private readonly limits: RiskLimits;
  private readonly acted = new Set<string>();
  private readonly log: ToolCallRecord[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly onRecord: ((record: ToolCallRecord) => unknown) | undefined;
  /** The hook calls, chained in record order. */
  private hooks: Promise<unknown> = Promise.resolve();

  constructor(options: TradingSessionOptions) {
    this.executor = options.executor;
    this.clock = options.clock;
    this.limits = options.limits ?? DEFAULT_RISK_LIMITS;
    this.onRecord = options.onRecord;
  }

  /** Every tool call handled so far, in order. */
  get records(): readonly ToolCallRecord[] {
    return this.log;
  }

  /** Symbols acted on in this run. */
  get actedSymbols(): ReadonlySet<string> {
    return this.acted;
  }

  /** Handles one tool call and returns the reply the model sees; never throws for a bad call. */
  handle(tool: string, args: unknown): Promise<ToolCallRecord> {
    const next = this.queue.then(async () => {
      const record = await this.handleNow(tool, args);
      await this.hooks;
      return record;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Records a tool call that never reached `handle` (malformed JSON in the reply). */
  recordMalformed(tool: string, args: unknown, reason: string): ToolCallRecord {
    return this.push({ tool, args, status: "invalid", reason, reply: `Malformed call to ${tool}: ${reason}. Nothing was executed.` });
  }

  private push(record: Omit<ToolCallRecord, "sequence" | "at">): ToolCallRecord {
    const full = { ...record, sequence: this.log.length + 1, at: this.clock.now() };
    this.log.push(full);
    const hook = this.onRecord;
    if (hook) this.hooks = this.hooks.then(() => hook(full)).catch(() => undefined);
    return full;
  }

  private async handleNow(tool: string, args: unknown): Promise<ToolCallRecord> {
    let state;
    try {
      state = await this.executor.riskState();
    } catch (error) {
      const reason = `account state unavailable: ${error instanceof Error ? error.message : String(error)}`;
      return this.push({ tool, args, status: "failed", reason, reply: `FAILED: ${reason}. Nothing was executed.` });
    }
    const nowMs = this.clock.now();
    let decision: TradingDecision;
    try {
      decision = decisionFromToolCall(tool, args, {
        nowMs,
        currentExitPlan: (symbol) => state.positions.find((p) => p.symbol === symbol)?.exitPlan,
      });
    } catch (error) {
      const reason = isAutonomeError(error) || error instanceof Error ? error.message : String(error);
      return this.push({ tool, args, status: "invalid", reason, reply: `INVALID: ${reason}. Nothing was executed; call again with valid arguments.` });
    }

    const check = checkDecision(decision, { ...state, nowMs, actedSymbols: this.acted }, this.limits);
    if (!check.ok) {
      return this.push({
        tool,
        args,
        status: "rejected",
        decision,
        check: check.check,
        reason: check.reason,
        reply: `REJECTED by risk check ${check.check}: ${check.reason}. Nothing was executed.`,
      });
    }

    let result: ToolResult;
    try {
      result = await this.executor.execute(check.decision, { tool, args });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return this.push({ tool, args, status: "failed", decision: check.decision, reason, reply: `FAILED: ${reason}.` });
    }
    const symbol = symbolOf(check.decision);
    if (!result.ok) {
      // It filled nonetheless: no second action on the symbol this run, or the model would trade a position it cannot see.
      const locked = result.filledNotRecorded === true && symbol !== null;
      if (locked) this.acted.add(symbol);
      const note = locked ? ` The exchange did fill it: take no other action on ${symbol} this run.` : "";
      return this.push({ tool, args, status: "failed", decision: check.decision, result, reason: result.message, reply: `FAILED: ${result.message}.${note}` });
    }
    if (symbol) this.acted.add(symbol);
    const notes = check.notes.length > 0 ? ` (${check.notes.join("; ")})` : "";
    let account = "";
    if (check.decision.type !== "HOLDING") {
      try {
        account = `\n\nUpdated account:\n${await this.executor.accountState()}`;
      } catch {
        account = "\n\nUpdated account: unavailable";
      }
    }
    return this.push({ tool, args, status: "executed", decision: check.decision, result, reply: `EXECUTED: ${result.message}${notes}${account}` });
  }
}
