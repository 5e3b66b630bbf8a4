/**
 * Snapshots as pure functions of the simulator state: `takeSnapshot` reads a state and
 * returns a JSON-safe SimulatorSnapshot, `restoreState` builds a new state from one (with
 * fresh engines from the factory it is given), and `describeState` gives the JSON picture
 * used to compare two simulators. None of them changes anything it is given, starts a timer
 * or draws a random number; the simulator re-arms timers and the latency generator itself.
 *
 * Invariant: restoreState(takeSnapshot(s)) has the same accounts, positions, resting orders in
 * the same queue order, remaining external liquidity, marks, records, in-flight orders and
 * counters as s, so the journal entries after `snapshot.sequence` replay to the same state.
 */
import {
  type CloseTrigger,
  type Decimal,
  type ExitPlanJson,
  type Market,
  type OrderSide,
  type RejectReason,
  ValidationError,
  exitPlanFromJson,
  exitPlanToJson,
  toDecimal,
} from "@autonome/core";
import type { TimeInForce } from "../types.js";
import { jsonSafe } from "../decimal-input.js";
import { type AccountState, exitTriggerOf } from "./ledger.js";
import type { MarketEngine, RestingOrder } from "./market-engine.js";
import { OrderRecords } from "./order-records.js";
import { type EngineFactory, type PendingOrder, type SimulatorState, enginesFor } from "./state.js";
import type { AccountView, OrderView, SimulatedTrade, SimulatorSnapshot } from "./types.js";

/** A JSON-safe snapshot of a simulator state taken at clock time `takenAt`. */
export function takeSnapshot(state: SimulatorState, takenAt: number, externalAccountId: string): SimulatorSnapshot {
  const markets: SimulatorSnapshot["markets"] = [];
  for (const [symbol, engine] of state.engines) {
    const levels = { bids: [] as Array<[number, number]>, asks: [] as Array<[number, number]> };
    const ownOrders: SimulatorSnapshot["markets"][number]["ownOrders"] = [];
    for (const order of engine.book.restingOrders()) {
      if (order.accountId === externalAccountId) {
        const side = order.side === "buy" ? levels.bids : levels.asks;
        const last = side[side.length - 1];
        if (last !== undefined && last[0] === order.priceTicks) last[1] += order.sizeLots;
        else side.push([order.priceTicks, order.sizeLots]);
      } else {
        ownOrders.push({ orderId: order.id, accountId: order.accountId, sizeLots: order.sizeLots });
      }
    }
    markets.push({
      symbol,
      mark: engine.mark?.toString() ?? null,
      fundingRate: engine.fundingRate.toString(),
      lastLoadAt: engine.lastLoadAt,
      tradeSeq: engine.tradeSeq,
      external: levels,
      ownOrders,
    });
  }
  const accounts: SimulatorSnapshot["accounts"] = [...state.accounts.values()].map((a) => ({
    accountId: a.id,
    initialCapital: a.initialCapital.toString(),
    cash: a.cash.toString(),
    realizedPnl: a.realizedPnl.toString(),
    fees: a.fees.toString(),
    funding: a.funding.toString(),
    badDebt: a.badDebt.toString(),
    positionIds: [...a.positionIds],
    positions: [...a.positions.values()].map((p) => ({
      id: p.id,
      symbol: p.symbol,
      side: p.amount.side,
      quantity: p.amount.quantity.toString(),
      costBasis: p.amount.costBasis.toString(),
      leverage: p.leverage.toString(),
      exitPlan: exitPlanToJson(p.exitPlan),
      openedAt: p.openedAt,
      openedQuantity: p.openedQuantity.toString(),
      openedNotional: p.openedNotional.toString(),
      closedQuantity: p.closedQuantity.toString(),
      closedNotional: p.closedNotional.toString(),
      realizedPnl: p.realizedPnl.toString(),
      fees: p.fees.toString(),
      funding: p.funding.toString(),
    })),
    openOrders: [...a.openOrders.values()].map((o) => ({
      orderId: o.orderId,
      symbol: o.symbol,
      side: o.side,
      priceTicks: o.priceTicks,
      leverage: o.leverage.toString(),
      reduceOnly: o.reduceOnly,
      postOnly: o.postOnly,
      exitPlan: o.exitPlan === null ? null : exitPlanToJson(o.exitPlan),
    })),
  }));
  const pendingOrders: SimulatorSnapshot["pendingOrders"] = [...state.pendingOrders.values()].map(({ order, arrivesAt }) => ({
    orderId: order.orderId,
    accountId: order.accountId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    sizeLots: order.sizeLots,
    priceTicks: order.priceTicks ?? null,
    timeInForce: order.timeInForce,
    postOnly: order.postOnly,
    reduceOnly: order.reduceOnly,
    leverage: order.leverage?.toString() ?? null,
    exitPlan: order.exitPlan === null ? null : exitPlanToJson(order.exitPlan),
    closeTrigger: order.closeTrigger,
    arrivesAt,
  }));
  return {
    version: 1,
    takenAt,
    sequence: state.commandSeq,
    eventSeq: state.eventSeq,
    autoOrderSeq: state.autoOrderSeq,
    latencyDraws: state.latencyDraws,
    usedOrderIds: [...state.usedOrderIds],
    markets,
    accounts,
    pendingOrders,
    trades: state.closedTrades.map((t) => jsonSafe(t) as Record<string, unknown>),
    orders: [...state.orders.values()].map((o) => jsonSafe(o) as Record<string, unknown>),
  };
}

/** A JSON-safe picture of the whole state (accounts as `accounts` views them, books, marks, trades, orders), for comparisons. */
export function describeState(state: SimulatorState, accounts: AccountView[], externalAccountId: string): Record<string, unknown> {
  const markets: Record<string, unknown> = {};
  for (const [symbol, engine] of state.engines) {
    const ownOrders = engine.book
      .restingOrders()
      .filter((o) => o.accountId !== externalAccountId)
      .map((o) => ({ orderId: o.id, accountId: o.accountId, side: o.side, priceTicks: o.priceTicks, sizeLots: o.sizeLots }));
    markets[symbol] = { mark: engine.mark, fundingRate: engine.fundingRate, lastLoadAt: engine.lastLoadAt, tradeSeq: engine.tradeSeq, depth: engine.book.snapshot(), ownOrders };
  }
  return jsonSafe({ sequence: state.commandSeq, accounts, markets, trades: state.closedTrades, orders: [...state.orders.values()] }) as Record<string, unknown>;
}

/** Throws ValidationError unless this code can read the snapshot's version. */
export function checkSnapshotVersion(snapshot: SimulatorSnapshot): void {
  if (snapshot.version !== 1) throw new ValidationError("unsupported simulator snapshot", [{ path: "version", message: `expected 1, got ${String(snapshot.version)}` }]);
}

/**
 * Builds the state a snapshot describes, with one fresh engine per configured market (a
 * configured market the snapshot lacks stays empty). Throws ValidationError for an unknown
 * version, a market that is not configured, or a snapshot that contradicts itself.
 */
export function restoreState(snapshot: SimulatorSnapshot, markets: readonly Market[], newEngine: EngineFactory): SimulatorState {
  checkSnapshotVersion(snapshot);
  const d = (text: string): Decimal => toDecimal(text);
  const engines = enginesFor(markets, newEngine);
  const engineOf = (symbol: string): MarketEngine => {
    const engine = engines.get(symbol);
    if (engine === undefined) throw new ValidationError("simulator snapshot does not match the markets", [{ path: "markets", message: `unknown market ${symbol}` }]);
    return engine;
  };
  for (const m of snapshot.markets) engineOf(m.symbol);

  const accounts = new Map<string, AccountState>();
  /** Resting orders of the accounts by account and order id; taken out as they are put back on a book. */
  const resting = new Map<string, RestingOrder>();
  for (const [ordinal, a] of snapshot.accounts.entries()) {
    const account: AccountState = {
      id: a.accountId,
      ordinal,
      initialCapital: d(a.initialCapital),
      cash: d(a.cash),
      realizedPnl: d(a.realizedPnl),
      fees: d(a.fees),
      funding: d(a.funding),
      badDebt: d(a.badDebt),
      positions: new Map(),
      openOrders: new Map(),
      positionIds: new Set(a.positionIds),
    };
    for (const p of a.positions) {
      account.positions.set(p.symbol, {
        id: p.id,
        symbol: p.symbol,
        amount: { side: p.side, quantity: d(p.quantity), costBasis: d(p.costBasis) },
        leverage: d(p.leverage),
        exitPlan: exitPlanFromJson(p.exitPlan),
        openedAt: p.openedAt,
        openedQuantity: d(p.openedQuantity),
        openedNotional: d(p.openedNotional),
        closedQuantity: d(p.closedQuantity),
        closedNotional: d(p.closedNotional),
        realizedPnl: d(p.realizedPnl),
        fees: d(p.fees),
        funding: d(p.funding),
      });
    }
    for (const o of a.openOrders) {
      engineOf(o.symbol);
      const order: RestingOrder = {
        orderId: o.orderId,
        accountId: a.accountId,
        symbol: o.symbol,
        side: o.side,
        priceTicks: o.priceTicks,
        leverage: d(o.leverage),
        reduceOnly: o.reduceOnly,
        postOnly: o.postOnly,
        exitPlan: o.exitPlan === null ? null : exitPlanFromJson(o.exitPlan),
        remainingLots: 0,
      };
      account.openOrders.set(o.orderId, order);
      resting.set(`${a.accountId}\u0000${o.orderId}`, order);
    }
    accounts.set(a.accountId, account);
  }
  for (const account of accounts.values()) {
    for (const position of account.positions.values()) engineOf(position.symbol).setExitTrigger(account.id, exitTriggerOf(account, position));
  }

  for (const m of snapshot.markets) {
    const engine = engineOf(m.symbol);
    engine.restoreState({ mark: m.mark === null ? null : d(m.mark), fundingRate: d(m.fundingRate), lastLoadAt: m.lastLoadAt, tradeSeq: m.tradeSeq }, m.external);
    for (const own of m.ownOrders) {
      const key = `${own.accountId}\u0000${own.orderId}`;
      const open = resting.get(key);
      if (open === undefined || open.symbol !== m.symbol) {
        throw new ValidationError("inconsistent simulator snapshot", [{ path: "ownOrders", message: `no open order ${own.orderId}` }]);
      }
      resting.delete(key);
      engine.restoreResting(open, own.sizeLots);
    }
  }
  // An account's order the book no longer held keeps its record, with nothing left.
  for (const order of resting.values()) engineOf(order.symbol).restoreResting(order, null);

  const closedTrades: SimulatedTrade[] = snapshot.trades.map((t) => {
    const trade = t as Record<string, unknown> & { exitPlan: ExitPlanJson };
    const dec = (key: string) => d(String(trade[key]));
    return {
      orderId: String(trade.orderId),
      modelId: String(trade.modelId),
      accountId: String(trade.accountId),
      symbol: String(trade.symbol),
      side: trade.side as SimulatedTrade["side"],
      quantity: dec("quantity"),
      entryPrice: dec("entryPrice"),
      exitPrice: dec("exitPrice"),
      leverage: dec("leverage"),
      grossPnl: dec("grossPnl"),
      realizedPnl: dec("realizedPnl"),
      fees: dec("fees"),
      funding: dec("funding"),
      closeTrigger: trade.closeTrigger as CloseTrigger,
      exitPlan: exitPlanFromJson(trade.exitPlan),
      openedAt: Number(trade.openedAt),
      closedAt: Number(trade.closedAt),
    };
  });
  const records: OrderView[] = snapshot.orders.map((o) => {
    const text = (key: string): string => String(o[key]);
    const decimalOrNull = (key: string): Decimal | null => (o[key] === null ? null : d(text(key)));
    return {
      orderId: text("orderId"),
      accountId: text("accountId"),
      symbol: text("symbol"),
      side: o.side as OrderSide,
      type: o.type as OrderView["type"],
      size: d(text("size")),
      price: decimalOrNull("price"),
      timeInForce: o.timeInForce as TimeInForce,
      postOnly: o.postOnly === true,
      reduceOnly: o.reduceOnly === true,
      leverage: decimalOrNull("leverage"),
      closeTrigger: (o.closeTrigger ?? null) as CloseTrigger | null,
      status: o.status as OrderView["status"],
      filledSize: d(text("filledSize")),
      filledNotional: d(text("filledNotional")),
      averagePrice: decimalOrNull("averagePrice"),
      rejectReason: (o.rejectReason ?? null) as RejectReason | null,
      createdAt: Number(o.createdAt),
      updatedAt: Number(o.updatedAt),
    };
  });
  const pendingOrders = new Map<string, PendingOrder>();
  for (const p of snapshot.pendingOrders) {
    pendingOrders.set(p.orderId, {
      order: {
        orderId: p.orderId,
        accountId: p.accountId,
        symbol: p.symbol,
        side: p.side,
        type: p.type,
        sizeLots: p.sizeLots,
        priceTicks: p.priceTicks ?? undefined,
        timeInForce: p.timeInForce,
        postOnly: p.postOnly,
        reduceOnly: p.reduceOnly,
        leverage: p.leverage === null ? null : d(p.leverage),
        exitPlan: p.exitPlan === null ? null : exitPlanFromJson(p.exitPlan),
        closeTrigger: p.closeTrigger,
      },
      arrivesAt: p.arrivesAt,
    });
  }
  return {
    engines,
    accounts,
    usedOrderIds: new Set(snapshot.usedOrderIds),
    pendingOrders,
    closedTrades,
    orders: new OrderRecords(records),
    commandSeq: snapshot.sequence,
    eventSeq: snapshot.eventSeq,
    autoOrderSeq: snapshot.autoOrderSeq,
    latencyDraws: snapshot.latencyDraws,
  };
}
