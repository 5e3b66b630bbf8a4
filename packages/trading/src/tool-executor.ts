/**
 * The agent's ToolExecutor over a broker: the state each decision is risk-checked
 * against (the agent's TradingSession runs @autonome/risk's checks before calling
 * `execute`), execution through the model's broker with every fill persisted before
 * the result returns, events for what happened, and the account as text after each
 * executed call.
 *
 * Invariants: with a fence, no broker call that trades is sent unless the run's lease is
 * proven held just before it (a lost lease is reported once, and the call is not sent);
 * with an invocation and a store that writes at once, an executed call's ToolCall is
 * written in the transaction of the Order it caused (`recordedWithOrder` tells the
 * workflow not to write it again). A fill Orders do not record (FILLED_NOT_RECORDED) halts the
 * model: it is paused with the reason (health shows it), `fillNotRecorded` is published with
 * what protects the position, and no further call of the run is sent.
 */
import type { RiskState, ToolCallContext, ToolExecutor, ToolResult } from "@autonome/agent";
import { type ArenaEventBus, type Clock, type DecisionType, type TradingDecision, exitPlanToJson, formatUsd } from "@autonome/core";
import { type Db, LeaseLostError, type ModelRecord } from "@autonome/db";
import { evaluateCircuitBreaker } from "@autonome/risk";
import type { Broker, BrokerAccount, BrokerFailure, OrderAudit } from "./broker/broker.js";
import type { BrokerFence } from "./fence.js";
import { errorMessage, positionOrder, to8, toPosition } from "./internal/util.js";
import { publishCloses } from "./runtime.js";
import { DbTradingStore, type TradingStore } from "./store.js";

/** Options of a BrokerToolExecutor. */
export interface BrokerToolExecutorOptions {
  db: Db;
  /** Where recent closes and equity are read; default the database. */
  store?: TradingStore;
  broker: Broker;
  model: ModelRecord;
  clock: Clock;
  events: ArenaEventBus;
  /** Trailing window of snapshots for the circuit breaker. Default 24 h. */
  circuitBreakerWindowMs?: number;
  /** The lease the run holds: checked before every broker call that trades. */
  fence?: BrokerFence;
  /** Told once when the fence finds the lease lost (the workflow stops the run). */
  onLeaseLost?: (error: LeaseLostError) => void;
  /** The invocation the calls belong to: an executed call's ToolCall is written with its Order (when the store writes at once). */
  invocationId?: string;
}

/** Executes a model's approved decisions through its broker. */
export class BrokerToolExecutor implements ToolExecutor {
  /** Orders opened by this executor. */
  readonly openedOrderIds: string[] = [];
  /** Orders closed by this executor. */
  readonly closedOrderIds: string[] = [];
  private readonly o: BrokerToolExecutorOptions;
  /** Results whose ToolCall was written in their Order's transaction. */
  private readonly withOrder = new WeakSet<ToolResult>();
  private leaseLost: LeaseLostError | null = null;
  /** Why this run's model was halted (a fill Orders do not record), or null. */
  private haltedBy: string | null = null;

  constructor(options: BrokerToolExecutorOptions) {
    this.o = options;
  }

  /** @inheritdoc */
  async riskState(): Promise<RiskState> {
    const { broker, model, clock } = this.o;
    const now = clock.now();
    const windowMs = this.o.circuitBreakerWindowMs ?? 86_400_000;
    const store = this.o.store ?? new DbTradingStore(this.o.db, () => clock.now());
    const [account, marks, history] = await Promise.all([broker.account(model), broker.marks(), store.riskHistory(model.id, now, windowMs)]);
    return {
      accountValue: account.equity,
      positions: account.positions.map((p) => toPosition(p.order)),
      marks,
      markets: broker.markets(),
      recentCloses: history.recentCloses.map((t) => ({ symbol: t.symbol, side: t.side, closedAt: t.closedAt, exitPlan: t.exitPlan })),
      circuitBreaker: evaluateCircuitBreaker(
        history.equity,
        now,
        { windowMs },
        account.equity,
      ),
    };
  }

  /** Whether this result's ToolCall was written with the Order it caused (the workflow does not write it again). */
  recordedWithOrder(result: ToolResult | undefined): boolean {
    return result !== undefined && this.withOrder.has(result);
  }

  /** The lease loss that stopped this run's broker calls, or null. */
  get lostLease(): LeaseLostError | null {
    return this.leaseLost;
  }

  /** Why the model was halted in this run (a fill Orders do not record), or null. */
  get halted(): string | null {
    return this.haltedBy;
  }

  /** @inheritdoc */
  async execute(decision: TradingDecision, call?: ToolCallContext): Promise<ToolResult> {
    if (this.haltedBy !== null && decision.type !== "HOLDING") {
      return { ok: false, message: `not sent: the model is halted (${this.haltedBy})` };
    }
    try {
      const audit = this.auditOf(decision.type, call);
      const result = await this.executeNow(decision, audit?.write);
      if (result.ok && audit?.written()) this.withOrder.add(result);
      return result;
    } catch (error) {
      if (error instanceof LeaseLostError) {
        if (this.leaseLost === null) {
          this.leaseLost = error;
          this.o.onLeaseLost?.(error);
        }
        return { ok: false, message: `not sent: ${error.message}` };
      }
      return { ok: false, message: errorMessage(error) };
    }
  }

  /** The ToolCall of an executed call, to write with its Order, when the store writes at once. */
  private auditOf(type: DecisionType, call: ToolCallContext | undefined): { write: OrderAudit; written: () => boolean } | undefined {
    const { store, invocationId, clock } = this.o;
    if (!store?.writesImmediately || invocationId === undefined || call === undefined || type === "HOLDING") return undefined;
    let written = false;
    const write: OrderAudit = async (tx, { order, message }) => {
      await store.recordToolCall(
        {
          invocationId,
          type,
          arguments: call.args ?? {},
          result: { ok: true, message, orderId: order.orderId, status: "executed" },
          accepted: true,
          rejectionReason: null,
          createdAt: clock.now(),
        },
        tx,
      );
      written = true;
    };
    return { write, written: () => written };
  }

  /** Runs a broker call that trades: through the fence when the run has one. */
  private send<T>(call: () => Promise<T>): Promise<T> {
    return this.o.fence ? this.o.fence.guard(call) : call();
  }

  private async executeNow(decision: TradingDecision, audit: OrderAudit | undefined): Promise<ToolResult> {
    const { broker, model, events, clock } = this.o;
    switch (decision.type) {
      case "HOLDING":
        return { ok: true, message: `holding: ${decision.reason}` };
      case "CREATE_POSITION": {
        if (decision.quantity === null) return { ok: false, message: "no quantity: give quantity or risk_usd with a stop" };
        const quantity = decision.quantity;
        const result = await this.send(() =>
          broker.openPosition(
            model,
            {
              symbol: decision.symbol,
              side: decision.side,
              quantity,
              leverage: decision.leverage,
              exitPlan: decision.exitPlan,
            },
            audit,
          ),
        );
        if (!result.ok) return this.failure(decision, result);
        const order = result.value;
        this.openedOrderIds.push(order.orderId);
        this.o.store?.positionOpened(order);
        events.publish(
          "positionOpened",
          {
            modelId: model.id,
            orderId: order.orderId,
            symbol: order.symbol,
            side: order.side,
            quantity: order.quantity.toString(),
            entryPrice: order.entryPrice.toString(),
            leverage: order.leverage.toString(),
            fee: to8(order.fees).toString(),
            exitPlan: exitPlanToJson(order.exitPlan),
          },
          order.openedAt,
          clock.now(),
        );
        return { ok: true, message: result.message, orderId: order.orderId };
      }
      case "CLOSE_POSITION": {
        const result = await this.send(() => broker.closePosition(model, decision.symbol, null, audit));
        if (!result.ok) return this.failure(decision, result);
        const order = result.value;
        this.closedOrderIds.push(order.orderId);
        // The model's own close: positionClosed (and the store told), the way every close is published.
        publishCloses({ events, clock, ...(this.o.store ? { store: this.o.store } : {}) }, [{ order, closeTrigger: "MANUAL", triggerPrice: null, markPrice: null }]);
        return { ok: true, message: result.message, orderId: order.orderId };
      }
      case "UPDATE_EXIT_PLAN": {
        const result = await this.send(() => broker.updateExitPlan(model, decision.symbol, decision.exitPlan, audit));
        if (!result.ok) return this.failure(decision, result);
        const order = result.value;
        events.publish(
          "exitPlanUpdated",
          { modelId: model.id, orderId: order.orderId, symbol: order.symbol, exitPlan: exitPlanToJson(order.exitPlan) },
          clock.now(),
        );
        return { ok: true, message: result.message, orderId: order.orderId };
      }
    }
  }

  /** What the model is told of a broker call that did not execute; a fill Orders do not record halts the model first. */
  private async failure(decision: Exclude<TradingDecision, { type: "HOLDING" }>, result: BrokerFailure): Promise<ToolResult> {
    if (result.code !== "FILLED_NOT_RECORDED") return failure(result);
    const halt = await this.halt(decision, result);
    return { ...failure(result), message: `${result.reason}; ${halt}` };
  }

  /**
   * Halts the model after a fill Orders do not record: pauses it with the reason (health shows
   * paused models and why; an operator resumes it after checking the venue), publishes
   * `fillNotRecorded` with the position's protection, and refuses the run's further calls.
   */
  private async halt(decision: Exclude<TradingDecision, { type: "HOLDING" }>, result: BrokerFailure): Promise<string> {
    const { db, model, events, clock, store } = this.o;
    const protection = result.protection ?? "unknown: the next sync reconciles the position";
    const reason = `${decision.type} ${decision.symbol} filled but not recorded: ${result.reason}; protection: ${protection}`.slice(0, 1000);
    this.haltedBy = reason;
    let paused = true;
    try {
      if (store) await store.pauseModel(model.id, reason);
      else await db.models.setEnabled(model.id, false, reason);
    } catch {
      paused = false;
    }
    events.publish("fillNotRecorded", { modelId: model.id, symbol: decision.symbol, decision: decision.type, reason: result.reason, paused, protection }, clock.now());
    return `protection: ${protection}; ${paused ? "the model is paused until an operator resumes it" : "pausing the model failed"}, and no further order is sent in this run`;
  }

  /** @inheritdoc */
  async accountState(): Promise<string> {
    const account = await this.o.broker.account(this.o.model);
    return describeAccount(account);
  }
}

/** What the model is told of a broker call that did not execute, by its code. */
function failure(result: BrokerFailure): ToolResult {
  switch (result.code) {
    case "REFUSED":
    case "FAILED":
      return { ok: false, message: result.reason };
    case "FILLED_NOT_RECORDED":
      // The session locks the symbol: the account does not show this fill yet, and a second order would double it.
      return { ok: false, message: result.reason, filledNotRecorded: true };
  }
}

/** The account as the model reads it after an executed call. */
export function describeAccount(account: BrokerAccount): string {
  const lines = [
    `Account value ${formatUsd(account.equity)}, available ${formatUsd(account.available)}, unrealized PnL ${formatUsd(account.unrealizedPnl)}.`,
  ];
  if (account.positions.length === 0) lines.push("No open positions.");
  for (const p of [...account.positions].sort((x, y) => positionOrder(x.order, y.order))) {
    const o = p.order;
    const stop = o.exitPlan.stop ? `, stop ${o.exitPlan.stop.toString()}` : "";
    const target = o.exitPlan.target ? `, target ${o.exitPlan.target.toString()}` : "";
    lines.push(
      `${o.symbol} ${o.side} ${o.quantity.toString()} @ ${o.entryPrice.toString()} (${o.leverage.toString()}x), mark ${p.markPrice.toString()}, unrealized ${formatUsd(p.unrealizedPnl)}${stop}${target}`,
    );
  }
  return lines.join("\n");
}
