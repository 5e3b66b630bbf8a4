/**
 * runTradeWorkflow: one model's run. Gathers the portfolio, open positions and the
 * latest decision index in parallel; enriches positions with the exposure summary;
 * computes performance metrics; reads the shared market intelligence; builds the
 * variant's prompts; records the invocation; runs the agent (retries and timeouts are
 * the agent's run policy) with a ToolExecutor over the model's broker; records every
 * tool call (accepted, or rejected with the reason; a call to a tool that does not exist
 * too); finishes the invocation with the reasoning and the answer apart (responsePayload);
 * pauses a model after CONFIG_ERRORS_TO_PAUSE configuration errors in a row (a bad key, a
 * mistyped model); and publishes the events. Model and broker failures end up in the result
 * and the Invocations row, never as a throw. Everything the prompt lists is in a stable order
 * (positions by symbol, then time), so a rerun of a backtest sends the same prompts.
 *
 * Invariants: an executed call's ToolCall is written with the Order it caused (one
 * transaction, when the store writes at once), never after it; with a fence, a run whose
 * lease is lost sends no further broker call and is stopped (LEASE_LOST); a failed run is
 * counted once: now, or, when the database cannot take it, by the store once it can (and
 * not again when its invocation was closed as ABANDONED meanwhile).
 */
import { type InvocationResult, type ToolCallRecord, type TradingAgent, responsePayloadOf, toInvocationFinished } from "@autonome/agent";
import { type DecisionType, type Position, decisionTypeOfTool, toDecimal } from "@autonome/core";
import { LeaseLostError, type ModelRecord } from "@autonome/db";
import type { MarketSnapshot } from "@autonome/market-data";
import { type SymbolIntelligence, type TradingPromptContext, buildTradingPrompts, toPositionContexts } from "@autonome/prompts";
import { summarizePositionRisk } from "@autonome/risk";
import type { BrokerFence } from "./fence.js";
import { errorMessage, positionOrder, toPosition } from "./internal/util.js";
import type { TradingRuntime } from "./runtime-types.js";
import { BrokerToolExecutor } from "./tool-executor.js";
import type { WorkflowResult, WorkflowToolCall } from "./workflow-types.js";

/** Configuration errors (401, 403, 404) in a row after which the worker pauses a model. */
export const CONFIG_ERRORS_TO_PAUSE = 3;

/** What a tool call was, as the records and the result describe it; `type` null for a tool we do not know. */
function describeCall(call: ToolCallRecord): { type: DecisionType | null; symbol: string | null; accepted: boolean; reason: string | null } {
  const accepted = call.status === "executed";
  return {
    type: call.decision?.type ?? decisionTypeOfTool(call.tool) ?? null,
    symbol: call.decision && call.decision.type !== "HOLDING" ? call.decision.symbol : null,
    accepted,
    reason: accepted ? null : (call.reason ?? call.reply),
  };
}

/** The agent of a model: registered under the model's name, else under its modelName. */
export function agentFor(runtime: TradingRuntime, model: ModelRecord): TradingAgent | null {
  if (runtime.agents.has(model.name)) return runtime.agents.get(model.name);
  if (runtime.agents.has(model.modelName)) return runtime.agents.get(model.modelName);
  return null;
}

/** Maps market-data's snapshot onto the prompt's symbol intelligence. */
export function toSymbolIntelligence(s: MarketSnapshot): SymbolIntelligence {
  return {
    symbol: s.symbol,
    currentPrice: s.midPrice,
    ema20: s.ema20,
    macd: s.macd,
    rsi7: s.rsi7,
    openInterestLatest: s.openInterest ?? null,
    fundingRate: s.fundingRate?.rate ?? null,
    intraday: {
      intervalMinutes: s.intraday.interval === "1m" ? 1 : s.intraday.interval === "3m" ? 3 : 5,
      midPrices: s.intraday.mid,
      ema20: s.intraday.ema20,
      macd: s.intraday.macd,
      rsi7: s.intraday.rsi7,
      rsi14: s.intraday.rsi14,
    },
    longerTerm: {
      ema20: s.longTerm.ema20,
      ema50: s.longTerm.ema50,
      atr3: s.longTerm.atr3,
      atr14: s.longTerm.atr14,
      currentVolume: s.longTerm.volume,
      averageVolume: s.longTerm.averageVolume,
      macd: s.longTerm.macd,
      rsi14: s.longTerm.rsi14,
    },
  };
}

/** The prompt's view of each market snapshot (the intelligence caches snapshots per tick, so every model shares one object and its formatted block). */
const symbolIntelligence = new WeakMap<MarketSnapshot, SymbolIntelligence>();

function intelligenceOf(runtime: TradingRuntime, symbols: readonly string[]): SymbolIntelligence[] {
  return symbols.map((symbol) => {
    try {
      const snapshot = runtime.intelligence.snapshot(symbol);
      let view = symbolIntelligence.get(snapshot);
      if (!view) {
        view = toSymbolIntelligence(snapshot);
        symbolIntelligence.set(snapshot, view);
      }
      return view;
    } catch {
      // Not enough history for indicators: the prompt shows what there is.
      try {
        return { symbol, currentPrice: runtime.market.midPrice(symbol) };
      } catch {
        return { symbol };
      }
    }
  });
}

function failure(model: ModelRecord, startedAt: number, now: number, error: string, code: string, invocationId: string | null = null): WorkflowResult {
  return {
    modelId: model.id,
    invocationId,
    ok: false,
    error,
    errorCode: code,
    toolCalls: [],
    openedOrderIds: [],
    closedOrderIds: [],
    attempts: 0,
    inputTokens: 0,
    outputTokens: 0,
    durationMs: now - startedAt,
  };
}

/** What a driver gives one run besides its model. */
export interface WorkflowRunOptions {
  /** The lease the run holds: every broker call that trades checks it first, and a lost lease stops the run (LEASE_LOST). */
  fence?: BrokerFence;
}

/** Runs one model's trade workflow. */
export async function runTradeWorkflow(runtime: TradingRuntime, model: ModelRecord, signal?: AbortSignal, runOptions: WorkflowRunOptions = {}): Promise<WorkflowResult> {
  const { store, clock, events, logger, options } = runtime;
  const startedAt = clock.now();
  if (signal?.aborted) return failure(model, startedAt, clock.now(), "aborted before start", "ABORTED");
  // The run's own abort, with a fence: a lost lease stops the agent before it asks the model again.
  const stop = new AbortController();
  const runSignal = runOptions.fence === undefined ? signal : signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const agent = agentFor(runtime, model);
  if (!agent) return failure(model, startedAt, clock.now(), `no agent configured for model ${model.name} (${model.modelName})`, "NO_AGENT");

  let invocationId: string | null = null;
  try {
    const broker = runtime.brokers.brokerFor(model);
    // Portfolio, open positions and the competition in parallel; then the model's history up to its current equity.
    const [account, marks, competition] = await Promise.all([
      broker.account(model),
      broker.marks(),
      store.standings(model, toDecimal(options.initialCapitalUsd)).catch(() => null),
    ]);
    const history = await store.modelHistory(model, startedAt, account.equity);
    const markets = broker.markets();
    const positions: Position[] = account.positions.map((p) => toPosition(p.order)).sort(positionOrder);
    const liquidationPrices = new Map(account.positions.flatMap((p) => (p.liquidationPrice ? [[p.order.symbol, p.liquidationPrice] as const] : [])));
    const exposure = summarizePositionRisk({ positions, marks, markets, accountValue: account.equity, liquidationPrices });
    const { performance } = history;
    const symbols = (options.symbols ?? [...markets.keys()]).filter((s) => markets.has(s));
    const context: TradingPromptContext = {
      modelName: model.name,
      startedAtMs: model.createdAt,
      nowMs: startedAt,
      invocationCount: history.invocationCount + 1,
      markets: intelligenceOf(runtime, symbols),
      account: {
        availableCash: account.available,
        accountValue: account.equity,
        totalReturn: performance.totalReturn,
        sharpe: performance.sharpe,
      },
      positions: toPositionContexts(positions, exposure),
      exposure,
      performance,
      actionCounts: history.actionCounts,
      competition,
      variant: model.variant === "default" ? options.variantDefault : model.variant,
    };
    const prompts = buildTradingPrompts(context);
    invocationId = await store.startInvocation(model.id, `${prompts.systemPrompt}\n\n${prompts.userPrompt}`, startedAt);

    const executor = new BrokerToolExecutor({
      db: runtime.db,
      store,
      broker,
      model,
      clock,
      events,
      invocationId,
      ...(runOptions.fence
        ? {
            fence: runOptions.fence,
            onLeaseLost: (error: Error) => {
              logger.warn("lease lost, run stopped before its next broker call", { modelId: model.id, model: model.name, error: error.message });
              stop.abort(error);
            },
          }
        : {}),
    });
    const id = invocationId;
    // Each tool call is recorded (and its decisionMade published) as the agent handles it, before
    // the model sees the reply: a crash mid-run leaves the calls made so far on record.
    const recorded = new Set<number>();
    const pending: Promise<void>[] = [];
    const record = async (call: ToolCallRecord): Promise<void> => {
      const { type, symbol, accepted, reason } = describeCall(call);
      if (recorded.has(call.sequence)) return;
      recorded.add(call.sequence);
      try {
        // Written already, with the Order it caused.
        if (!executor.recordedWithOrder(call.result)) await store.recordToolCall({
          invocationId: id,
          type,
          tool: call.tool,
          arguments: call.args ?? {},
          result: call.result ? { ok: call.result.ok, message: call.result.message, orderId: call.result.orderId ?? null, status: call.status } : { status: call.status },
          accepted,
          rejectionReason: accepted ? null : `${call.status}: ${reason ?? "no reason given"}`,
          createdAt: call.at,
        });
      } catch (error) {
        recorded.delete(call.sequence); // tried again once the agent is done
        throw error;
      }
      if (type === null) return; // no decision to publish: the call named no tool we know
      events.publish(
        "decisionMade",
        {
          modelId: model.id,
          invocationId: id,
          type,
          symbol,
          accepted,
          rejectionReason: accepted ? null : (reason ?? call.status),
          arguments: (typeof call.args === "object" && call.args !== null ? call.args : { raw: String(call.args) }) as Record<string, unknown>,
        },
        call.at,
        clock.now(),
      );
    };
    const result: InvocationResult = await agent.invoke({ systemPrompt: prompts.systemPrompt, userPrompt: prompts.userPrompt, context }, executor, {
      policy: { timeoutMs: options.agentTimeoutMs, maxSteps: options.maxSteps, maxRetries: options.maxRetries, backoffBaseMs: options.retryBackoffMs },
      ...(runSignal ? { signal: runSignal } : {}),
      onToolCall: (call) => {
        const done = record(call);
        pending.push(done.catch(() => undefined));
        return done;
      },
    });
    await Promise.all(pending);

    const toolCalls: WorkflowToolCall[] = [];
    for (const call of result.toolCalls) {
      const { type, symbol, accepted, reason } = describeCall(call);
      toolCalls.push({ type, tool: call.tool, symbol, accepted, status: call.status, reason, orderId: call.result?.orderId ?? null });
      await record(call);
    }

    // A run stopped by its lease failed for that reason, whatever the agent made of the abort.
    const lost = executor.lostLease ?? (runSignal?.reason instanceof LeaseLostError ? runSignal.reason : null);
    const ok = result.ok && lost === null;
    const error = lost ? lost.message : result.error;
    const errorCode = lost ? "LEASE_LOST" : result.errorCode;
    const finishedAt = Math.max(clock.now(), startedAt);
    const finish = {
      response: result.text,
      responsePayload: responsePayloadOf(result),
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      cost: result.costUsd,
      latencyMs: result.latencyMs,
      steps: { steps: result.steps, attempts: result.attempts, stepLimitReached: result.stepLimitReached },
      error: error === null ? null : `${errorCode ?? "ERROR"}: ${error}`,
      finishedAt,
    };
    if (ok) await store.finishInvocation(invocationId, finish);
    else await store.recordFailedRun({ modelId: model.id, invocationId, finish });
    if (result.errorCode === "NO_ACTION") logger.warn("model decided nothing", { modelId: model.id, model: model.name, error: result.error });
    let pausedReason: string | null = null;
    if (errorCode === "CONFIG") pausedReason = await pauseAfterConfigErrors(runtime, model);
    events.publish(
      "invocationFinished",
      // The agent's payload, under the model's row id (the agent knows its configuration id).
      { ...toInvocationFinished(result, invocationId), modelId: model.id },
      finishedAt,
      clock.now(),
    );
    logger.info("model decided", {
      modelId: model.id,
      model: model.name,
      ok,
      decisions: toolCalls.map((c) => `${c.tool}${c.symbol ? ` ${c.symbol}` : ""}: ${c.status}`).join("; "),
      error,
    });
    return {
      modelId: model.id,
      invocationId,
      ok,
      error,
      errorCode,
      toolCalls,
      openedOrderIds: executor.openedOrderIds,
      closedOrderIds: executor.closedOrderIds,
      attempts: result.attempts.length,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      durationMs: clock.now() - startedAt,
      ...(pausedReason !== null ? { pausedReason } : {}),
    };
  } catch (error) {
    const message = errorMessage(error);
    logger.error("trade workflow failed", { modelId: model.id, model: model.name, error: message });
    // Kept by the store until the database takes it, when it cannot now (an outage failed the run).
    const outcome = await store.recordFailedRun({ modelId: model.id, invocationId, finish: { error: `WORKFLOW: ${message}`, finishedAt: Math.max(clock.now(), startedAt) } });
    return failure(model, startedAt, clock.now(), message, outcome === "abandoned" ? "ABANDONED" : "WORKFLOW", invocationId);
  }
}

/**
 * After a configuration error: when the model's last CONFIG_ERRORS_TO_PAUSE invocations all
 * ended in one, pauses it with the reason (resume with `autonome models resume`). Returns the
 * reason when it paused the model.
 */
async function pauseAfterConfigErrors(runtime: TradingRuntime, model: ModelRecord): Promise<string | null> {
  const { store, logger } = runtime;
  try {
    const errors = await store.recentErrors(model.id, CONFIG_ERRORS_TO_PAUSE);
    if (errors.length < CONFIG_ERRORS_TO_PAUSE || !errors.every((e) => e !== null && e.startsWith("CONFIG: "))) return null;
    const reason = `${CONFIG_ERRORS_TO_PAUSE} configuration errors in a row: ${errors[0]!.slice("CONFIG: ".length)}`;
    await store.pauseModel(model.id, reason);
    logger.error("model paused", { modelId: model.id, model: model.name, reason });
    return reason;
  } catch (error) {
    logger.warn("could not pause the model after configuration errors", { modelId: model.id, error: errorMessage(error) });
    return null;
  }
}
