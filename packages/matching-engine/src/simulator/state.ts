/**
 * Everything a simulator knows, in one value: the markets' engines, the accounts, the order
 * records and closed trades, the orders in flight and the counters that make ids and events
 * deterministic. Timers, the latency generator and the journal are not state: the first two
 * are rebuilt from it, the journal is what comes after it. Snapshots are pure functions of it
 * (see snapshot.ts).
 */
import type { Market } from "@autonome/core";
import type { AccountState } from "./ledger.js";
import type { MarketEngine } from "./market-engine.js";
import type { NormalizedOrder } from "./order-input.js";
import { OrderRecords } from "./order-records.js";
import type { SimulatedTrade } from "./types.js";

/** An order in flight (latency): it meets the book at `arrivesAt`. */
export interface PendingOrder {
  order: NormalizedOrder;
  arrivesAt: number;
}

/** The whole state of a simulator. */
export interface SimulatorState {
  /** By symbol, in the configured order. */
  readonly engines: Map<string, MarketEngine>;
  /** By id, in creation order. */
  readonly accounts: Map<string, AccountState>;
  readonly usedOrderIds: Set<string>;
  /** By order id, in submission order. */
  readonly pendingOrders: Map<string, PendingOrder>;
  /** In closing order. */
  readonly closedTrades: SimulatedTrade[];
  readonly orders: OrderRecords;
  /** Sequence number of the last command applied. */
  commandSeq: number;
  /** Number of the last event ("e<n>"). */
  eventSeq: number;
  /** Last number of a generated stop/target/liquidation order id. */
  autoOrderSeq: number;
  /** Latency delays drawn so far. */
  latencyDraws: number;
}

/** A market's engine, built fresh. */
export type EngineFactory = (market: Market) => MarketEngine;

/** The state of a new simulator: one empty engine per market, no accounts. */
export function emptyState(markets: readonly Market[], newEngine: EngineFactory): SimulatorState {
  return {
    engines: enginesFor(markets, newEngine),
    accounts: new Map(),
    usedOrderIds: new Set(),
    pendingOrders: new Map(),
    closedTrades: [],
    orders: new OrderRecords(),
    commandSeq: 0,
    eventSeq: 0,
    autoOrderSeq: 0,
    latencyDraws: 0,
  };
}

/** One fresh engine per market, by symbol. */
export function enginesFor(markets: readonly Market[], newEngine: EngineFactory): Map<string, MarketEngine> {
  const engines = new Map<string, MarketEngine>();
  for (const market of markets) engines.set(market.symbol, newEngine(market));
  return engines;
}
