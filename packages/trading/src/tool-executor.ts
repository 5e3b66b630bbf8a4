/**
 * The agent's ToolExecutor over a broker: the state each decision is risk-checked
 * against (the agent's TradingSession runs @autonome/risk's checks before calling
 * `execute`), execution through the model's broker with every fill persisted before
 * the result returns, events for what happened, and the account as text after each
 * executed call.
 */
import type { RiskState, ToolExecutor, ToolResult } from "@autonome/agent";
import { type ArenaEventBus, type Clock, type TradingDecision, exitPlanToJson, formatUsd } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { evaluateCircuitBreaker } from "@autonome/risk";
import type { Broker, BrokerAccount, BrokerFailure } from "./broker/broker.js";
import { errorMessage, to8, toPosition } from "./internal/util.js";
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
}

/** Executes a model's approved decisions through its broker. */
export class BrokerToolExecutor implements ToolExecutor {
  /** Orders opened by this executor. */
  readonly openedOrderIds: string[] = [];
  /** Orders closed by this executor. */
  readonly closedOrderIds: string[] = [];
  private readonly o: BrokerToolExecutorOptions;

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

  /** @inheritdoc */
  async execute(decision: TradingDecision): Promise<ToolResult> {
    const { broker, model, events, clock } = this.o;
    try {
      switch (decision.type) {
        case "HOLDING":
          return { ok: true, message: `holding: ${decision.reason}` };
        case "CREATE_POSITION": {
          if (decision.quantity === null) return { ok: false, message: "no quantity: give quantity or risk_usd with a stop" };
          const result = await broker.openPosition(model, {
            symbol: decision.symbol,
            side: decision.side,
            quantity: decision.quantity,
            leverage: decision.leverage,
            exitPlan: decision.exitPlan,
          });
          if (!result.ok) return failure(result);
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
          const result = await broker.closePosition(model, decision.symbol, null);
          if (!result.ok) return failure(result);
          const order = result.value;
          this.closedOrderIds.push(order.orderId);
          // The model's own close: positionClosed (and the store told), the way every close is published.
          publishCloses({ events, clock, ...(this.o.store ? { store: this.o.store } : {}) }, [{ order, closeTrigger: "MANUAL", triggerPrice: null, markPrice: null }]);
          return { ok: true, message: result.message, orderId: order.orderId };
        }
        case "UPDATE_EXIT_PLAN": {
          const result = await broker.updateExitPlan(model, decision.symbol, decision.exitPlan);
          if (!result.ok) return failure(result);
          const order = result.value;
          events.publish(
            "exitPlanUpdated",
            { modelId: model.id, orderId: order.orderId, symbol: order.symbol, exitPlan: exitPlanToJson(order.exitPlan) },
            clock.now(),
          );
          return { ok: true, message: result.message, orderId: order.orderId };
        }
      }
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
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
  for (const p of account.positions) {
    const o = p.order;
    const stop = o.exitPlan.stop ? `, stop ${o.exitPlan.stop.toString()}` : "";
    const target = o.exitPlan.target ? `, target ${o.exitPlan.target.toString()}` : "";
    lines.push(
      `${o.symbol} ${o.side} ${o.quantity.toString()} @ ${o.entryPrice.toString()} (${o.leverage.toString()}x), mark ${p.markPrice.toString()}, unrealized ${formatUsd(p.unrealizedPnl)}${stop}${target}`,
    );
  }
  return lines.join("\n");
}
