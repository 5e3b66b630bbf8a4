/**
 * ExchangeSimulator: a deterministic simulated perpetuals exchange on top of one OrderBook
 * per market, fed by L2 snapshots (snapshot mode).
 *
 * Invariants:
 * - Money is Decimal, the book is integer: sizes and prices are converted with the market's
 *   lot and tick at the boundary, so no float ever becomes a balance.
 * - Every account's cash equals initialCapital + realized PnL - fees + funding + bad debt
 *   absorbed, exactly; a position keeps its cost basis, so realized PnL over its life equals
 *   sign x (exit notional - entry notional) exactly.
 * - A rejected order changes nothing (accounts, positions, book); the rejection is a value
 *   (`status: "rejected"` with a core RejectReason) plus an `orderRejected` event, never a throw.
 *   Commands that are not orders (createAccount, setExitPlan, restore, ...) throw core's typed
 *   errors on bad input, before changing anything.
 * - Every command gets a monotonic sequence number and is journaled with the clock time; the
 *   same journal replayed on a fresh simulator with the same seed and a ManualClock gives the
 *   same fills, events and state. Time comes only from the injected Clock; randomness only
 *   from the seed.
 * - Snapshot liquidity a taker consumed stays consumed until the next snapshot load, which
 *   happens at most every `refreshIntervalMs`.
 * - Events are delivered, in id order, after the command (or timer) that produced them has
 *   finished changing state; a command issued by a listener runs after it.
 */
import {
  type Clock,
  type CloseTrigger,
  type Decimal,
  type DecimalLike,
  type ExitPlan,
  type ExitPlanJson,
  type Fill,
  type Liquidity,
  type Market,
  NotFoundError,
  ONE,
  type OrderSide,
  OrderRejectedError,
  type RejectReason,
  StateConflictError,
  type Timer,
  type TimerClock,
  UnknownMarketError,
  ValidationError,
  ZERO,
  closingOrderSide,
  emptyExitPlan,
  exitPlanFromJson,
  exitPlanToJson,
  isDecimal,
  lotsToSize,
  openingOrderSide,
  priceToTicks,
  sizeToLots,
  ticksToPrice,
  toDecimal,
} from "@autonome/core";
import EventEmitter from "eventemitter3";
import { OrderBook } from "../order-book.js";
import type { BookFill, L2SnapshotTicks, SubmitResult, TimeInForce } from "../types.js";
import {
  type AccountMargin,
  type MarginPosition,
  type PositionAmount,
  accountMargin,
  applyFillToPosition,
  entryPriceOf,
  fundingCashFlow,
  initialMargin,
  isBelowMaintenance,
  isLeverageAllowed,
  liquidationPriceEstimate,
  maintenanceMargin,
  notionalAt,
  unrealizedPnlOf,
} from "./account.js";
import type { CancelReason, SimulatorEventMap } from "./events.js";
import { LatencyModel } from "./latency.js";
import { type OrderLifecycleEvent, nextOrderStatus } from "./order-lifecycle.js";
import { plainUnits } from "./units.js";
import type {
  AccountView,
  ApplyBookResult,
  JournalEntry,
  L2Book,
  OpenOrderView,
  OpenPositionInput,
  OrderResult,
  OrderView,
  PersistedOpenOrder,
  PlaceOrderCommandInput,
  PlaceOrderInput,
  PositionView,
  SimulatedTrade,
  SimulatorCommand,
  SimulatorOptions,
  SimulatorSnapshot,
} from "./types.js";

/** The defaults of every simulator option. */
export const DEFAULT_SIMULATOR_OPTIONS: Readonly<SimulatorOptions> = Object.freeze({
  initialCapital: "10000",
  takerFeeRate: "0.001",
  makerFeeRate: "0.0005",
  liquidationFeeRate: "0",
  refreshIntervalMs: 5000,
  latency: null,
  seed: 0,
  fundingIntervalMs: 3_600_000,
  externalAccountId: "__external__",
});

/** How the simulator is built: markets, a clock, options, and optionally a book factory. */
export interface ExchangeSimulatorConfig {
  markets: readonly Market[];
  /** A TimerClock is needed for latency and scheduled funding. */
  clock: Clock | TimerClock;
  options?: Partial<SimulatorOptions>;
  /** Builds each market's book (default `new OrderBook({ symbol })`). */
  createBook?: (market: Market) => OrderBook;
}

interface PositionState {
  id: string;
  symbol: string;
  amount: PositionAmount;
  leverage: Decimal;
  exitPlan: ExitPlan;
  openedAt: number;
  openedQuantity: Decimal;
  openedNotional: Decimal;
  closedQuantity: Decimal;
  closedNotional: Decimal;
  realizedPnl: Decimal;
  fees: Decimal;
  funding: Decimal;
}

interface AccountState {
  id: string;
  initialCapital: Decimal;
  cash: Decimal;
  realizedPnl: Decimal;
  fees: Decimal;
  funding: Decimal;
  badDebt: Decimal;
  /** By symbol, in opening order. */
  positions: Map<string, PositionState>;
  /** Resting orders on the books, by id, in placement order. */
  openOrders: Map<string, OpenOrderState>;
  positionIds: Set<string>;
}

interface OpenOrderState {
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  priceTicks: number;
  leverage: Decimal;
  reduceOnly: boolean;
  postOnly: boolean;
  exitPlan: ExitPlan | null;
  /** Remaining size on the book, kept in step with maker fills and shrinks. */
  remainingLots: number;
}

interface MarketState {
  market: Market;
  book: OrderBook;
  mark: Decimal | null;
  fundingRate: Decimal;
  lastLoadAt: number | null;
  /** Last trade number of this market; trade ids are "<symbol>-<n>". */
  tradeSeq: number;
}

/** An order after static validation: integer size and price, known account and market. */
interface NormalizedOrder {
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: "market" | "limit";
  sizeLots: number;
  priceTicks: number | undefined;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  /** Explicit leverage; null = the position's or the market default. */
  leverage: Decimal | null;
  exitPlan: ExitPlan | null;
  closeTrigger: CloseTrigger;
}

interface Touch {
  accountId: string;
  symbol: string;
  before: { id: string; quantity: Decimal } | null;
  closed: SimulatedTrade | null;
  closeTrigger: CloseTrigger;
  realizedPnl: Decimal;
}

type Rejection = { reason: RejectReason; detail?: string };

function isTimerClock(clock: Clock): clock is TimerClock {
  return typeof (clock as Partial<TimerClock>).schedule === "function" && typeof (clock as Partial<TimerClock>).cancel === "function";
}

/** A decimal-like value as the string a journal stores; unparseable input stays as its text. */
function decimalText(value: DecimalLike): string {
  return isDecimal(value) ? value.toString() : String(value);
}

function parseDecimal(text: string | undefined): Decimal | null {
  if (text === undefined) return null;
  try {
    const value = toDecimal(text);
    return value.isFinite() ? value : null;
  } catch {
    return null;
  }
}

/** Converts Decimals to strings, recursively, for JSON-safe state and comparisons. */
function jsonSafe(value: unknown): unknown {
  if (isDecimal(value)) return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = jsonSafe(inner);
    return out;
  }
  return value;
}

/** A simulated perpetuals exchange: accounts, cross margin, positions, SL/TP, liquidation, funding. */
export class ExchangeSimulator extends EventEmitter<SimulatorEventMap> {
  /** The resolved options. */
  readonly options: Readonly<SimulatorOptions>;
  private readonly clock: Clock;
  private readonly takerFeeRate: Decimal;
  private readonly makerFeeRate: Decimal;
  private readonly liquidationFeeRate: Decimal;
  private readonly defaultCapital: Decimal;
  private readonly marketStates = new Map<string, MarketState>();
  private readonly accountStates = new Map<string, AccountState>();
  private readonly journalEntries: JournalEntry[] = [];
  private readonly usedOrderIds = new Set<string>();
  private readonly pendingOrders = new Map<string, { order: NormalizedOrder; timer: Timer; arrivesAt: number }>();
  private readonly closedTrades: SimulatedTrade[] = [];
  /** Every order that met the book or is in flight, by id, in creation order. */
  private readonly orderRecords = new Map<string, OrderView>();
  private readonly latency: LatencyModel | null;
  private fundingTimer: Timer | null = null;
  private commandSeq = 0;
  private eventSeq = 0;
  private autoOrderSeq = 0;
  private latencyDraws = 0;
  private disposed = false;
  private atomicDepth = 0;
  private delivering = false;
  private readonly eventQueue: Array<[keyof SimulatorEventMap, SimulatorEventMap[keyof SimulatorEventMap][0]]> = [];

  constructor(config: ExchangeSimulatorConfig) {
    super();
    const options: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, ...config.options };
    this.options = Object.freeze(options);
    this.clock = config.clock;
    const rate = (path: string, value: DecimalLike): Decimal => {
      const parsed = parseDecimal(decimalText(value));
      if (parsed === null) throw new ValidationError("invalid simulator options", [{ path, message: "must be a decimal number" }]);
      return parsed;
    };
    this.takerFeeRate = rate("takerFeeRate", options.takerFeeRate);
    this.makerFeeRate = rate("makerFeeRate", options.makerFeeRate);
    this.liquidationFeeRate = rate("liquidationFeeRate", options.liquidationFeeRate);
    this.defaultCapital = rate("initialCapital", options.initialCapital);
    if (this.defaultCapital.lt(0)) throw new ValidationError("invalid simulator options", [{ path: "initialCapital", message: "must not be negative" }]);
    for (const [path, ms] of [["refreshIntervalMs", options.refreshIntervalMs], ["fundingIntervalMs", options.fundingIntervalMs]] as const) {
      if (!Number.isSafeInteger(ms) || ms < 0) throw new ValidationError("invalid simulator options", [{ path, message: "must be a non-negative integer of ms" }]);
    }
    if (options.latency !== null && !isTimerClock(config.clock)) {
      throw new ValidationError("invalid simulator options", [{ path: "latency", message: "latency needs a TimerClock (ManualClock or SystemClock)" }]);
    }
    this.latency = options.latency === null ? null : new LatencyModel(options.latency, options.seed);
    const createBook = config.createBook ?? ((market: Market) => new OrderBook({ symbol: market.symbol }));
    for (const market of config.markets) {
      if (this.marketStates.has(market.symbol)) throw new ValidationError(`duplicate market symbol ${market.symbol}`);
      this.marketStates.set(market.symbol, { market, book: createBook(market), mark: null, fundingRate: ZERO, lastLoadAt: null, tradeSeq: 0 });
    }
    if (options.fundingIntervalMs > 0 && isTimerClock(config.clock)) this.scheduleFunding(config.clock);
  }

  // ---------------------------------------------------------------- commands

  /** Opens an account with the default (or given) initial capital. Throws StateConflictError if it exists. */
  createAccount(accountId: string, options: { initialCapital?: DecimalLike } = {}): AccountView {
    const command: SimulatorCommand = { type: "createAccount", accountId };
    if (options.initialCapital !== undefined) command.initialCapital = decimalText(options.initialCapital);
    return this.record(command, () => this.doCreateAccount(command));
  }

  /**
   * Market data in: sets the mark to the snapshot's mid and, when `refreshIntervalMs` has
   * elapsed since the last load (or on the first), replaces the book's external liquidity
   * with the snapshot. Then runs liquidations and fires crossed stops/targets.
   */
  applyBook(symbol: string, book: L2Book): ApplyBookResult {
    const command: SimulatorCommand = {
      type: "applyBook",
      symbol,
      bids: book.bids.map(([p, s]) => [decimalText(p), decimalText(s)]),
      asks: book.asks.map(([p, s]) => [decimalText(p), decimalText(s)]),
    };
    return this.record(command, () => this.doApplyBook(command));
  }

  /** Sets a market's mark price explicitly (until the next applyBook), then runs liquidations and fires crossed stops/targets. */
  setMarkPrice(symbol: string, price: DecimalLike): void {
    const command: SimulatorCommand = { type: "setMarkPrice", symbol, price: decimalText(price) };
    this.record(command, () => this.doSetMarkPrice(command));
  }

  /** Sets the funding rate per settlement of a market (a fraction; positive = longs pay shorts). */
  setFundingRate(symbol: string, rate: DecimalLike): void {
    const command: SimulatorCommand = { type: "setFundingRate", symbol, rate: decimalText(rate) };
    this.record(command, () => this.doSetFundingRate(command));
  }

  /** Settles funding now, for one market or all, at the current marks and rates. */
  settleFunding(symbol?: string): void {
    const command: SimulatorCommand = symbol === undefined ? { type: "settleFunding" } : { type: "settleFunding", symbol };
    this.record(command, () => this.doSettleFunding(command));
  }

  /** Places an order; the result is a value (rejections included) and events tell the rest. */
  placeOrder(input: PlaceOrderInput): OrderResult {
    const order: PlaceOrderCommandInput = {
      accountId: input.accountId,
      symbol: input.symbol,
      side: input.side,
      type: input.type,
      size: decimalText(input.size),
    };
    if (input.price !== undefined) order.price = decimalText(input.price);
    if (input.timeInForce !== undefined) order.timeInForce = input.timeInForce;
    if (input.postOnly !== undefined) order.postOnly = input.postOnly;
    if (input.reduceOnly !== undefined) order.reduceOnly = input.reduceOnly;
    if (input.leverage !== undefined) order.leverage = decimalText(input.leverage);
    if (input.orderId !== undefined) order.orderId = input.orderId;
    if (input.exitPlan !== undefined) order.exitPlan = exitPlanToJson(input.exitPlan);
    const command: SimulatorCommand = { type: "placeOrder", order };
    return this.record(command, (seq) => this.doPlaceOrder(command, seq));
  }

  /** Opens (or adds to) a position with a market order of `quantity` base units. */
  openPosition(input: OpenPositionInput): OrderResult {
    const order: PlaceOrderInput = {
      accountId: input.accountId,
      symbol: input.symbol,
      side: openingOrderSide(input.side),
      type: "market",
      size: input.quantity,
    };
    if (input.worstPrice !== undefined) order.price = input.worstPrice;
    if (input.leverage !== undefined) order.leverage = input.leverage;
    if (input.exitPlan !== undefined) order.exitPlan = input.exitPlan;
    if (input.orderId !== undefined) order.orderId = input.orderId;
    return this.placeOrder(order);
  }

  /** Closes a position with a reduce-only market order (closeTrigger MANUAL); the exit price is the real fill price. */
  closePosition(accountId: string, symbol: string, options: { orderId?: string } = {}): OrderResult {
    const command: SimulatorCommand = { type: "closePosition", accountId, symbol };
    if (options.orderId !== undefined) command.orderId = options.orderId;
    return this.record(command, (seq) => this.doClosePosition(command, seq));
  }

  /** Cancels a resting or pending (latency) order; false when it is not live. */
  cancelOrder(accountId: string, orderId: string): boolean {
    const command: SimulatorCommand = { type: "cancelOrder", accountId, orderId };
    return this.record(command, () => this.doCancelOrder(command));
  }

  /**
   * Replaces a position's exit plan; the stop and target fire when the mark crosses them
   * (checked at once against the current mark). Throws NotFoundError without a position.
   */
  setExitPlan(accountId: string, symbol: string, exitPlan: ExitPlan): PositionView {
    const command: SimulatorCommand = { type: "setExitPlan", accountId, symbol, exitPlan: exitPlanToJson(exitPlan) };
    return this.record(command, () => this.doSetExitPlan(command));
  }

  /**
   * Restores positions persisted as OPEN orders: a synthetic execution at the persisted entry
   * price, no fee, no cash change, no book interaction, exit plan re-attached, accrued funding
   * (already in the account's cash) carried into the position. Accounts must
   * exist (create them with their persisted cash). All-or-nothing: throws before changing
   * anything for an unknown account or market, a bad number, a used order id, or two
   * positions on one symbol of one account.
   */
  restore(orders: readonly PersistedOpenOrder[]): PositionView[] {
    const command: SimulatorCommand = {
      type: "restore",
      orders: orders.map((o) => ({
        accountId: o.accountId,
        orderId: o.orderId,
        symbol: o.symbol,
        side: o.side,
        quantity: decimalText(o.quantity),
        entryPrice: decimalText(o.entryPrice),
        leverage: decimalText(o.leverage),
        exitPlan: exitPlanToJson(o.exitPlan),
        openedAt: o.openedAt,
        ...(o.funding !== undefined ? { funding: decimalText(o.funding) } : {}),
      })),
    };
    return this.record(command, () => this.doRestore(command));
  }

  /** Applies one journaled command (used by replay). */
  execute(journaled: SimulatorCommand): unknown {
    const command = structuredClone(journaled);
    switch (command.type) {
      case "createAccount":
        return this.record(command, () => this.doCreateAccount(command));
      case "applyBook":
        return this.record(command, () => this.doApplyBook(command));
      case "setMarkPrice":
        return this.record(command, () => this.doSetMarkPrice(command));
      case "setFundingRate":
        return this.record(command, () => this.doSetFundingRate(command));
      case "settleFunding":
        return this.record(command, () => this.doSettleFunding(command));
      case "placeOrder":
        return this.record(command, (seq) => this.doPlaceOrder(command, seq));
      case "cancelOrder":
        return this.record(command, () => this.doCancelOrder(command));
      case "closePosition":
        return this.record(command, (seq) => this.doClosePosition(command, seq));
      case "setExitPlan":
        return this.record(command, () => this.doSetExitPlan(command));
      case "restore":
        return this.record(command, () => this.doRestore(command));
    }
  }

  /**
   * Replays journal entries in order. `advanceClockTo` moves the (manual) clock to each
   * entry's time first, so timers (latency arrivals, funding) fire where they fired before.
   * Commands that listeners issued are in the journal already: replay into a simulator whose
   * listeners only observe.
   */
  replay(entries: readonly JournalEntry[], advanceClockTo?: (ts: number) => void): void {
    for (const entry of entries) {
      if (entry.seq !== this.commandSeq + 1) {
        throw new StateConflictError(`journal entry ${entry.seq} does not follow ${this.commandSeq}`, "journal", String(entry.seq));
      }
      if (advanceClockTo !== undefined && entry.ts > this.clock.now()) advanceClockTo(entry.ts);
      this.execute(entry.command);
    }
  }

  /** Cancels the simulator's timers (funding, pending orders). */
  dispose(): void {
    this.disposed = true;
    const clock = this.clock;
    if (isTimerClock(clock)) {
      if (this.fundingTimer !== null) clock.cancel(this.fundingTimer);
      for (const pending of this.pendingOrders.values()) clock.cancel(pending.timer);
    }
    this.fundingTimer = null;
    this.pendingOrders.clear();
  }

  // ---------------------------------------------------------------- views

  /** An account's money, margin, positions and resting orders. Throws NotFoundError. */
  account(accountId: string): AccountView {
    return this.accountView(this.requireAccount(accountId));
  }

  /** Every account, in creation order. */
  accounts(): AccountView[] {
    return [...this.accountStates.values()].map((a) => this.accountView(a));
  }

  /** Open positions of one account, or of all accounts. */
  positions(accountId?: string): PositionView[] {
    const accounts = accountId === undefined ? [...this.accountStates.values()] : [this.requireAccount(accountId)];
    return accounts.flatMap((a) => [...a.positions.values()].map((p) => this.positionView(a, p)));
  }

  /** Closed positions, in closing order, of one account or all. */
  trades(accountId?: string): SimulatedTrade[] {
    return this.closedTrades.filter((t) => accountId === undefined || t.accountId === accountId);
  }

  /** An order that met the book or is in flight: status (see ORDER_TRANSITIONS), fills so far. Undefined for an unknown or rejected-on-submission id. */
  order(orderId: string): OrderView | undefined {
    const record = this.orderRecords.get(orderId);
    return record === undefined ? undefined : { ...record };
  }

  /** Orders of one account, or all, in creation order. */
  orders(accountId?: string): OrderView[] {
    return [...this.orderRecords.values()].filter((o) => accountId === undefined || o.accountId === accountId).map((o) => ({ ...o }));
  }

  /** A market's order book (read it; trade through the simulator). Throws UnknownMarketError. */
  book(symbol: string): OrderBook {
    return this.requireMarket(symbol).book;
  }

  /** A market's mark price, null before any market data. */
  markPrice(symbol: string): Decimal | null {
    return this.requireMarket(symbol).mark;
  }

  /** A market's current funding rate. */
  fundingRate(symbol: string): Decimal {
    return this.requireMarket(symbol).fundingRate;
  }

  /** The journaled commands (all since the start, or since the last truncation), with sequence numbers and times. */
  journal(): JournalEntry[] {
    return this.journalEntries.map((e) => structuredClone(e));
  }

  /**
   * Drops journal entries up to and including `throughSeq` (for example after persisting a
   * `snapshot()` taken at that sequence), so a long-running simulator keeps bounded memory.
   * Returns how many entries were dropped.
   */
  truncateJournal(throughSeq: number): number {
    let dropped = 0;
    while (dropped < this.journalEntries.length && (this.journalEntries[dropped] as JournalEntry).seq <= throughSeq) dropped++;
    this.journalEntries.splice(0, dropped);
    return dropped;
  }

  /** Sequence number of the last command applied. */
  get sequence(): number {
    return this.commandSeq;
  }

  /** A JSON-safe picture of the whole state (accounts, books, marks, trades), for comparisons and persistence. */
  state(): Record<string, unknown> {
    const markets: Record<string, unknown> = {};
    for (const [symbol, ms] of this.marketStates) {
      const ownOrders = ms.book
        .restingOrders()
        .filter((o) => o.accountId !== this.options.externalAccountId)
        .map((o) => ({ orderId: o.id, accountId: o.accountId, side: o.side, priceTicks: o.priceTicks, sizeLots: o.sizeLots }));
      markets[symbol] = { mark: ms.mark, fundingRate: ms.fundingRate, lastLoadAt: ms.lastLoadAt, tradeSeq: ms.tradeSeq, depth: ms.book.snapshot(), ownOrders };
    }
    return jsonSafe({ sequence: this.commandSeq, accounts: this.accounts(), markets, trades: this.closedTrades, orders: [...this.orderRecords.values()] }) as Record<string, unknown>;
  }

  /** A JSON-safe snapshot of the whole simulator (see `fromSnapshot`). */
  snapshot(): SimulatorSnapshot {
    const external = this.options.externalAccountId;
    const markets: SimulatorSnapshot["markets"] = [];
    for (const [symbol, ms] of this.marketStates) {
      const levels = { bids: [] as Array<[number, number]>, asks: [] as Array<[number, number]> };
      const ownOrders: SimulatorSnapshot["markets"][number]["ownOrders"] = [];
      for (const order of ms.book.restingOrders()) {
        if (order.accountId === external) {
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
        mark: ms.mark?.toString() ?? null,
        fundingRate: ms.fundingRate.toString(),
        lastLoadAt: ms.lastLoadAt,
        tradeSeq: ms.tradeSeq,
        external: levels,
        ownOrders,
      });
    }
    const accounts: SimulatorSnapshot["accounts"] = [...this.accountStates.values()].map((a) => ({
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
    const pendingOrders: SimulatorSnapshot["pendingOrders"] = [...this.pendingOrders.values()].map(({ order, arrivesAt }) => ({
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
      takenAt: this.clock.now(),
      sequence: this.commandSeq,
      eventSeq: this.eventSeq,
      autoOrderSeq: this.autoOrderSeq,
      latencyDraws: this.latencyDraws,
      usedOrderIds: [...this.usedOrderIds],
      markets,
      accounts,
      pendingOrders,
      trades: this.closedTrades.map((t) => jsonSafe(t) as Record<string, unknown>),
      orders: [...this.orderRecords.values()].map((o) => jsonSafe(o) as Record<string, unknown>),
    };
  }

  /**
   * Rebuilds a simulator from a snapshot: same accounts, positions, resting orders in the same
   * queue order, remaining snapshot liquidity, marks, counters and in-flight orders. Give it the
   * same markets and options, and a clock reading the snapshot's time; then replay the journal
   * entries after `snapshot.sequence`. Throws ValidationError for an unknown version or market.
   */
  static fromSnapshot(config: ExchangeSimulatorConfig, snapshot: SimulatorSnapshot): ExchangeSimulator {
    if (snapshot.version !== 1) throw new ValidationError("unsupported simulator snapshot", [{ path: "version", message: `expected 1, got ${String(snapshot.version)}` }]);
    const sim = new ExchangeSimulator(config);
    sim.loadState(snapshot);
    return sim;
  }

  private loadState(snapshot: SimulatorSnapshot): void {
    const d = (text: string): Decimal => toDecimal(text);
    for (const m of snapshot.markets) {
      const ms = this.marketStates.get(m.symbol);
      if (ms === undefined) throw new ValidationError("simulator snapshot does not match the markets", [{ path: "markets", message: `unknown market ${m.symbol}` }]);
      ms.mark = m.mark === null ? null : d(m.mark);
      ms.fundingRate = d(m.fundingRate);
      ms.lastLoadAt = m.lastLoadAt;
      ms.tradeSeq = m.tradeSeq;
    }
    for (const a of snapshot.accounts) {
      const account: AccountState = {
        id: a.accountId,
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
        account.openOrders.set(o.orderId, {
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
        });
      }
      this.accountStates.set(a.accountId, account);
    }
    for (const m of snapshot.markets) {
      const ms = this.marketStates.get(m.symbol) as MarketState;
      ms.book.loadSnapshot(m.external, this.options.externalAccountId);
      for (const own of m.ownOrders) {
        const open = this.accountStates.get(own.accountId)?.openOrders.get(own.orderId);
        if (open === undefined) throw new ValidationError("inconsistent simulator snapshot", [{ path: "ownOrders", message: `no open order ${own.orderId}` }]);
        const placed = ms.book.submit({
          id: open.orderId,
          accountId: own.accountId,
          side: open.side,
          kind: "limit",
          priceTicks: open.priceTicks,
          sizeLots: own.sizeLots,
          timeInForce: "GTC",
          postOnly: open.postOnly,
        });
        if (placed.status !== "resting") throw new ValidationError("inconsistent simulator snapshot", [{ path: "ownOrders", message: `order ${own.orderId} would not rest` }]);
        open.remainingLots = own.sizeLots;
      }
    }
    for (const id of snapshot.usedOrderIds) this.usedOrderIds.add(id);
    for (const t of snapshot.trades) {
      const trade = t as Record<string, unknown> & { exitPlan: ExitPlanJson };
      const dec = (key: string) => d(String(trade[key]));
      this.closedTrades.push({
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
      });
    }
    for (const o of snapshot.orders) {
      const text = (key: string): string => String(o[key]);
      const decimalOrNull = (key: string): Decimal | null => (o[key] === null ? null : d(text(key)));
      this.orderRecords.set(text("orderId"), {
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
      });
    }
    this.commandSeq = snapshot.sequence;
    this.eventSeq = snapshot.eventSeq;
    this.autoOrderSeq = snapshot.autoOrderSeq;
    for (let i = 0; i < snapshot.latencyDraws; i++) this.latency?.nextDelayMs();
    this.latencyDraws = snapshot.latencyDraws;
    for (const p of snapshot.pendingOrders) {
      this.schedulePending(
        {
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
        p.arrivesAt,
      );
    }
  }

  // ---------------------------------------------------------------- command handlers

  private record<T>(command: SimulatorCommand, handler: (seq: number) => T): T {
    if (this.atomicDepth > 0) {
      // Only reachable from inside the simulator itself: listeners run after a command completes.
      throw new StateConflictError("a simulator command cannot run inside another", "simulator", command.type);
    }
    return this.atomically(() => {
      const seq = this.commandSeq + 1;
      const ts = this.clock.now();
      const result = handler(seq);
      this.commandSeq = seq;
      // Public methods build `command` afresh and `execute` clones what it is given, so nothing aliases it.
      this.journalEntries.push({ seq, ts, command });
      return result;
    });
  }

  /**
   * Runs a state change with its events held back, then delivers them in order. So listeners
   * always see the state after the whole change, a listener's exception cannot leave the state
   * half-changed, and a command a listener issues runs after the current one (and is journaled
   * after it). A change that throws (before changing anything) drops its events.
   */
  private atomically<T>(change: () => T): T {
    const queued = this.eventQueue.length;
    const eventSeq = this.eventSeq;
    this.atomicDepth++;
    let result: T;
    try {
      result = change();
    } catch (error) {
      this.eventQueue.length = queued;
      this.eventSeq = eventSeq;
      throw error;
    } finally {
      this.atomicDepth--;
    }
    if (this.atomicDepth === 0) this.deliverEvents();
    return result;
  }

  private deliverEvents(): void {
    if (this.delivering) return; // the outer delivery loop picks up events queued by listeners
    this.delivering = true;
    try {
      while (this.eventQueue.length > 0) {
        const [name, event] = this.eventQueue.shift() as [keyof SimulatorEventMap, SimulatorEventMap[keyof SimulatorEventMap][0]];
        (this.emit as (name: string, event: unknown) => boolean)(name, event);
      }
    } finally {
      this.delivering = false;
    }
  }

  private doCreateAccount(command: Extract<SimulatorCommand, { type: "createAccount" }>): AccountView {
    const { accountId } = command;
    if (typeof accountId !== "string" || accountId.length === 0 || accountId === this.options.externalAccountId) {
      throw new ValidationError("invalid account id", [{ path: "accountId", message: "must be a non-empty string other than the external account id" }]);
    }
    if (this.accountStates.has(accountId)) throw new StateConflictError(`account ${accountId} exists`, "account", accountId);
    const capital = command.initialCapital === undefined ? this.defaultCapital : parseDecimal(command.initialCapital);
    if (capital === null || capital.lt(0)) {
      throw new ValidationError("invalid initial capital", [{ path: "initialCapital", message: "must be a non-negative decimal" }]);
    }
    const account: AccountState = {
      id: accountId,
      initialCapital: capital,
      cash: capital,
      realizedPnl: ZERO,
      fees: ZERO,
      funding: ZERO,
      badDebt: ZERO,
      positions: new Map(),
      openOrders: new Map(),
      positionIds: new Set(),
    };
    this.accountStates.set(accountId, account);
    return this.accountView(account);
  }

  private doApplyBook(command: Extract<SimulatorCommand, { type: "applyBook" }>): ApplyBookResult {
    const ms = this.requireMarket(command.symbol);
    const { market } = ms;
    // Levels of size zero (how some feeds say "gone") are skipped; best levels are found, not assumed first.
    const toTicks = (levels: Array<[string, string]>): Array<readonly [number, number]> => {
      const out: Array<readonly [number, number]> = [];
      for (const [p, s] of levels) {
        const lots = plainUnits(s, market.sizeDecimals) ?? (parseDecimal(s)?.isZero() === true ? 0 : sizeToLots(market, s, "snapshot"));
        if (lots === 0) continue;
        out.push([plainUnits(p, market.priceDecimals) ?? priceToTicks(market, p, "snapshot"), lots] as const);
      }
      return out;
    };
    const snapshot: L2SnapshotTicks = { bids: toTicks(command.bids), asks: toTicks(command.asks) };
    const topBid = snapshot.bids.reduce<number | undefined>((best, [ticks]) => (best === undefined || ticks > best ? ticks : best), undefined);
    const topAsk = snapshot.asks.reduce<number | undefined>((best, [ticks]) => (best === undefined || ticks < best ? ticks : best), undefined);
    if (topBid !== undefined && topAsk !== undefined && topBid >= topAsk) {
      throw new ValidationError(`crossed ${market.symbol} snapshot`, [{ path: "bids", message: "best bid must be below best ask" }]);
    }
    const now = this.clock.now();
    const due = ms.lastLoadAt === null || now - ms.lastLoadAt >= this.options.refreshIntervalMs;
    const previousMark = ms.mark;
    if (topBid !== undefined && topAsk !== undefined) {
      ms.mark = ticksToPrice(market, topBid).plus(ticksToPrice(market, topAsk)).div(2);
    }
    if (due) {
      let fills: BookFill[];
      try {
        // The book throws for a crossed or malformed snapshot before changing anything.
        fills = ms.book.loadSnapshot(snapshot, this.options.externalAccountId);
      } catch (error) {
        ms.mark = previousMark;
        throw error;
      }
      ms.lastLoadAt = now;
      if (fills.length > 0) this.applySnapshotFills(ms, fills);
    }
    this.afterMarkChange(ms);
    return { loaded: due, markPrice: ms.mark };
  }

  private doSetMarkPrice(command: Extract<SimulatorCommand, { type: "setMarkPrice" }>): void {
    const ms = this.requireMarket(command.symbol);
    const price = parseDecimal(command.price);
    if (price === null || price.lte(0)) throw new ValidationError("invalid mark price", [{ path: "price", message: "must be a positive decimal" }]);
    ms.mark = price;
    this.afterMarkChange(ms);
  }

  private doSetFundingRate(command: Extract<SimulatorCommand, { type: "setFundingRate" }>): void {
    const ms = this.requireMarket(command.symbol);
    const rate = parseDecimal(command.rate);
    if (rate === null) throw new ValidationError("invalid funding rate", [{ path: "rate", message: "must be a decimal" }]);
    ms.fundingRate = rate;
  }

  private doSettleFunding(command: Extract<SimulatorCommand, { type: "settleFunding" }>): void {
    const markets = command.symbol === undefined ? [...this.marketStates.values()] : [this.requireMarket(command.symbol)];
    this.settle(markets);
  }

  private doPlaceOrder(command: Extract<SimulatorCommand, { type: "placeOrder" }>, seq: number): OrderResult {
    const input = command.order;
    const orderId = input.orderId ?? this.generatedOrderId(seq);
    const normalized = this.normalize(input, orderId, command.closeTrigger ?? "MANUAL");
    if ("reason" in normalized) return this.reject(orderId, input.accountId, input.symbol, normalized);
    if (this.latency !== null) {
      const clock = this.clock as TimerClock;
      const arrivesAt = clock.now() + this.latency.nextDelayMs();
      this.latencyDraws++;
      this.usedOrderIds.add(orderId);
      this.schedulePending(normalized, arrivesAt);
      const market = this.requireMarket(normalized.symbol).market;
      const now = this.clock.now();
      this.orderRecords.set(orderId, {
        orderId,
        accountId: normalized.accountId,
        symbol: normalized.symbol,
        side: normalized.side,
        type: normalized.type,
        size: lotsToSize(market, normalized.sizeLots),
        price: normalized.priceTicks === undefined ? null : ticksToPrice(market, normalized.priceTicks),
        timeInForce: normalized.timeInForce,
        postOnly: normalized.postOnly,
        reduceOnly: normalized.reduceOnly,
        leverage: normalized.leverage,
        closeTrigger: null,
        status: "PENDING",
        filledSize: ZERO,
        filledNotional: ZERO,
        averagePrice: null,
        rejectReason: null,
        createdAt: now,
        updatedAt: now,
      });
      return { status: "pending", orderId, arrivesAt };
    }
    return this.executeOrder(normalized);
  }

  /** "o<seq>", or "o<seq>.<n>" when a caller already used that id. */
  private generatedOrderId(seq: number): string {
    let orderId = `o${seq}`;
    for (let n = 1; this.usedOrderIds.has(orderId) || this.orderRecords.has(orderId); n++) orderId = `o${seq}.${n}`;
    return orderId;
  }

  private schedulePending(order: NormalizedOrder, arrivesAt: number): void {
    const clock = this.clock as TimerClock;
    const timer = clock.schedule(
      arrivesAt,
      () => {
        this.pendingOrders.delete(order.orderId);
        if (!this.disposed) this.atomically(() => this.executeOrder(order));
      },
      `order ${order.orderId}`,
    );
    this.pendingOrders.set(order.orderId, { order, timer, arrivesAt });
  }

  private doClosePosition(command: Extract<SimulatorCommand, { type: "closePosition" }>, seq: number): OrderResult {
    const orderId = command.orderId ?? this.generatedOrderId(seq);
    const account = this.accountStates.get(command.accountId);
    const position = account?.positions.get(command.symbol);
    if (account === undefined || position === undefined || !this.marketStates.has(command.symbol)) {
      const reason: RejectReason = account === undefined ? "UNKNOWN_ACCOUNT" : !this.marketStates.has(command.symbol) ? "UNKNOWN_MARKET" : "REDUCE_ONLY_NO_POSITION";
      return this.reject(orderId, command.accountId, command.symbol, { reason });
    }
    const input: PlaceOrderCommandInput = {
      accountId: command.accountId,
      symbol: command.symbol,
      side: closingOrderSide(position.amount.side),
      type: "market",
      size: position.amount.quantity.toString(),
      reduceOnly: true,
      orderId,
    };
    return this.doPlaceOrder({ type: "placeOrder", order: input, closeTrigger: "MANUAL" }, seq);
  }

  private doCancelOrder(command: Extract<SimulatorCommand, { type: "cancelOrder" }>): boolean {
    const account = this.accountStates.get(command.accountId);
    if (account === undefined) return false;
    const pending = this.pendingOrders.get(command.orderId);
    if (pending !== undefined && pending.order.accountId === account.id) {
      (this.clock as TimerClock).cancel(pending.timer);
      this.pendingOrders.delete(command.orderId);
      const market = this.requireMarket(pending.order.symbol).market;
      this.emitEvent("orderCancelled", {
        orderId: command.orderId,
        accountId: account.id,
        symbol: pending.order.symbol,
        size: lotsToSize(market, pending.order.sizeLots),
        reason: "REQUESTED",
      });
      return true;
    }
    const open = account.openOrders.get(command.orderId);
    if (open === undefined) return false;
    this.cancelResting(account, open, "REQUESTED");
    return true;
  }

  private doSetExitPlan(command: Extract<SimulatorCommand, { type: "setExitPlan" }>): PositionView {
    const account = this.requireAccount(command.accountId);
    const ms = this.requireMarket(command.symbol);
    const position = account.positions.get(command.symbol);
    if (position === undefined) throw new NotFoundError("position", `${command.accountId}/${command.symbol}`);
    position.exitPlan = exitPlanFromJson(command.exitPlan);
    const view = this.positionView(account, position);
    this.afterMarkChange(ms);
    return view;
  }

  private doRestore(command: Extract<SimulatorCommand, { type: "restore" }>): PositionView[] {
    const seen = new Set<string>();
    const ids = new Set<string>();
    const prepared = command.orders.map((o) => {
      const account = this.requireAccount(o.accountId);
      const ms = this.requireMarket(o.symbol);
      const key = `${o.accountId}\u0000${o.symbol}`;
      if (account.positions.has(o.symbol) || seen.has(key)) {
        throw new StateConflictError(`account ${o.accountId} already holds a ${o.symbol} position`, "position", `${o.accountId}/${o.symbol}`);
      }
      seen.add(key);
      if (this.usedOrderIds.has(o.orderId) || ids.has(o.orderId) || account.positionIds.has(o.orderId)) {
        throw new StateConflictError(`order id ${o.orderId} is in use`, "order", o.orderId);
      }
      ids.add(o.orderId);
      if (o.side !== "LONG" && o.side !== "SHORT") throw new ValidationError("invalid persisted order", [{ path: "side", message: "must be LONG or SHORT" }]);
      const lots = sizeToLots(ms.market, o.quantity, o.orderId);
      const entryPrice = parseDecimal(o.entryPrice);
      if (entryPrice === null || entryPrice.lte(0)) throw new OrderRejectedError("NON_POSITIVE_PRICE", o.orderId, `entry price ${o.entryPrice}`);
      const leverage = parseDecimal(o.leverage);
      if (leverage === null || leverage.lte(0)) throw new OrderRejectedError("INVALID_LEVERAGE", o.orderId, `leverage ${o.leverage}`);
      const funding = o.funding === undefined ? ZERO : parseDecimal(o.funding);
      if (funding === null) throw new ValidationError("invalid persisted order", [{ path: "funding", message: "must be a decimal" }]);
      return { o, account, ms, quantity: lotsToSize(ms.market, lots), entryPrice, leverage, funding };
    });
    const views: PositionView[] = [];
    for (const { o, account, quantity, entryPrice, leverage, funding } of prepared) {
      this.usedOrderIds.add(o.orderId);
      account.positionIds.add(o.orderId);
      const costBasis = quantity.mul(entryPrice);
      const position: PositionState = {
        id: o.orderId,
        symbol: o.symbol,
        amount: { side: o.side, quantity, costBasis },
        leverage,
        exitPlan: exitPlanFromJson(o.exitPlan),
        openedAt: o.openedAt,
        openedQuantity: quantity,
        openedNotional: costBasis,
        closedQuantity: ZERO,
        closedNotional: ZERO,
        realizedPnl: ZERO,
        fees: ZERO,
        funding,
      };
      account.positions.set(o.symbol, position);
      const view = this.positionView(account, position);
      views.push(view);
      this.emitEvent("positionOpened", { position: view });
    }
    const symbols = [...new Set(prepared.map((p) => p.o.symbol))];
    for (const symbol of symbols) this.evaluateExitPlans(this.requireMarket(symbol));
    this.evaluateLiquidations();
    return views;
  }

  // ---------------------------------------------------------------- orders

  /** Static checks, done when the order is submitted (before any latency). */
  private normalize(input: PlaceOrderCommandInput, orderId: string, closeTrigger: CloseTrigger): NormalizedOrder | Rejection {
    const account = this.accountStates.get(input.accountId);
    if (account === undefined) return { reason: "UNKNOWN_ACCOUNT" };
    const ms = this.marketStates.get(input.symbol);
    if (ms === undefined) return { reason: "UNKNOWN_MARKET" };
    const { market } = ms;
    if (input.side !== "buy" && input.side !== "sell") throw new ValidationError("malformed order", [{ path: "side", message: "must be buy or sell" }]);
    if (input.type !== "market" && input.type !== "limit") throw new ValidationError("malformed order", [{ path: "type", message: "must be market or limit" }]);
    if (this.usedOrderIds.has(orderId) || account.positionIds.has(orderId)) return { reason: "DUPLICATE_ORDER_ID" };
    const size = parseDecimal(input.size);
    if (size === null) return { reason: "INVALID_SIZE_LOT", detail: `size ${input.size}` };
    let sizeLots: number;
    let priceTicks: number | undefined;
    try {
      sizeLots = sizeToLots(market, size, orderId);
      if (input.price !== undefined) {
        const price = parseDecimal(input.price);
        if (price === null) return { reason: "INVALID_PRICE_TICK", detail: `price ${input.price}` };
        priceTicks = priceToTicks(market, price, orderId);
      }
    } catch (error) {
      if (error instanceof OrderRejectedError) return error.detail === undefined ? { reason: error.reason } : { reason: error.reason, detail: error.detail };
      throw error;
    }
    if (input.type === "limit" && priceTicks === undefined) return { reason: "INVALID_PRICE_TICK", detail: "a limit order needs a price" };
    let leverage: Decimal | null = null;
    if (input.leverage !== undefined) {
      leverage = parseDecimal(input.leverage);
      if (leverage === null || leverage.lte(0)) return { reason: "INVALID_LEVERAGE", detail: `leverage ${input.leverage}` };
      if (!isLeverageAllowed(market, leverage)) return { reason: "LEVERAGE_TOO_HIGH", detail: `${leverage.toString()} > ${market.maxLeverage.toString()}` };
    }
    const reduceOnly = input.reduceOnly === true;
    if (!reduceOnly) {
      if (size.lt(market.minSize)) return { reason: "BELOW_MIN_SIZE", detail: `${size.toString()} < ${market.minSize.toString()}` };
      const referencePrice = priceTicks !== undefined ? ticksToPrice(market, priceTicks) : ms.mark;
      if (referencePrice !== null && size.mul(referencePrice).lt(market.minNotional)) {
        return { reason: "BELOW_MIN_NOTIONAL", detail: `${size.mul(referencePrice).toString()} < ${market.minNotional.toString()}` };
      }
    }
    const timeInForce: TimeInForce = input.timeInForce ?? (input.type === "market" ? "IOC" : "GTC");
    return {
      orderId,
      accountId: account.id,
      symbol: market.symbol,
      side: input.side,
      type: input.type,
      sizeLots,
      priceTicks,
      timeInForce,
      postOnly: input.postOnly === true,
      reduceOnly,
      leverage,
      exitPlan: input.exitPlan === undefined ? null : exitPlanFromJson(input.exitPlan),
      closeTrigger,
    };
  }

  private reject(orderId: string, accountId: string, symbol: string, rejection: Rejection): OrderResult {
    this.emitEvent("orderRejected", { orderId, accountId, symbol, reason: rejection.reason, detail: rejection.detail ?? null });
    return rejection.detail === undefined
      ? { status: "rejected", orderId, reason: rejection.reason }
      : { status: "rejected", orderId, reason: rejection.reason, detail: rejection.detail };
  }

  /** Dynamic checks against the state at arrival (reduce-only, margin), then the book. */
  private executeOrder(order: NormalizedOrder): OrderResult {
    const account = this.accountStates.get(order.accountId) as AccountState;
    const ms = this.marketStates.get(order.symbol) as MarketState;
    const { market } = ms;
    const position = account.positions.get(order.symbol);
    let sizeLots = order.sizeLots;
    if (order.reduceOnly) {
      if (position === undefined) return this.reject(order.orderId, order.accountId, order.symbol, { reason: "REDUCE_ONLY_NO_POSITION" });
      if (order.side !== closingOrderSide(position.amount.side)) return this.reject(order.orderId, order.accountId, order.symbol, { reason: "REDUCE_ONLY_WRONG_SIDE" });
      sizeLots = Math.min(sizeLots, sizeToLots(market, position.amount.quantity));
    }
    const leverage = order.leverage ?? position?.leverage ?? ONE.div(market.initialMarginFraction);
    if (!order.reduceOnly) {
      const shortfall = this.marginShortfall(account, ms, order, sizeLots, leverage);
      if (shortfall !== null) return this.reject(order.orderId, order.accountId, order.symbol, { reason: "INSUFFICIENT_MARGIN", detail: shortfall });
    }
    const result = ms.book.submit({
      id: order.orderId,
      accountId: order.accountId,
      side: order.side,
      kind: order.type,
      ...(order.priceTicks === undefined ? {} : { priceTicks: order.priceTicks }),
      sizeLots,
      timeInForce: order.timeInForce,
      postOnly: order.postOnly,
    });
    if (result.status === "rejected") {
      return this.reject(order.orderId, order.accountId, order.symbol, { reason: result.rejectReason ?? "NO_LIQUIDITY" });
    }
    this.usedOrderIds.add(order.orderId);
    this.emitEvent("orderAccepted", {
      orderId: order.orderId,
      accountId: order.accountId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      size: lotsToSize(market, sizeLots),
      price: order.priceTicks === undefined ? null : ticksToPrice(market, order.priceTicks),
      timeInForce: order.timeInForce,
      postOnly: order.postOnly,
      reduceOnly: order.reduceOnly,
      leverage,
      closeTrigger: position !== undefined && order.side === closingOrderSide(position.amount.side) ? order.closeTrigger : null,
    });
    const takerFeeRate = order.closeTrigger === "LIQUIDATION" ? this.takerFeeRate.plus(this.liquidationFeeRate) : this.takerFeeRate;
    const taker = {
      orderId: order.orderId,
      accountId: order.accountId,
      side: order.side,
      priceTicks: order.priceTicks,
      sizeLots,
      restsRemainder: order.type === "limit" && order.timeInForce === "GTC",
      leverage,
      exitPlan: order.exitPlan,
      closeTrigger: order.closeTrigger,
      feeRate: takerFeeRate,
    };
    const fills = this.applyBookResult(ms, result, taker);
    if (result.restingLots > 0) {
      account.openOrders.set(order.orderId, {
        orderId: order.orderId,
        accountId: account.id,
        symbol: market.symbol,
        side: order.side,
        priceTicks: order.priceTicks as number,
        leverage,
        reduceOnly: order.reduceOnly,
        postOnly: order.postOnly,
        exitPlan: order.exitPlan,
        remainingLots: result.restingLots,
      });
    }
    const filledSize = lotsToSize(market, result.filledLots);
    const filledNotional = fills.reduce((sum, f) => sum.plus(f.price.mul(f.quantity)), ZERO);
    return {
      status: result.status,
      orderId: order.orderId,
      filledSize,
      averagePrice: result.filledLots > 0 ? filledNotional.div(filledSize) : null,
      restingSize: lotsToSize(market, result.restingLots),
      fills,
    };
  }

  /**
   * Why an order would leave the account short of initial margin, or null when it fits.
   * The fill is estimated by walking the book; an order that lowers the initial margin
   * requirement (a pure reduction) always fits.
   */
  private marginShortfall(account: AccountState, ms: MarketState, order: NormalizedOrder, sizeLots: number, leverage: Decimal): string | null {
    const { market } = ms;
    const estimate = this.estimateTakerFill(ms, order.side, sizeLots, order.priceTicks, order.postOnly);
    const restingLots = order.type === "limit" && order.timeInForce === "GTC" ? sizeLots - estimate.lots : 0;
    const before = this.margin(account);
    const position = account.positions.get(order.symbol);
    const fillQuantity = lotsToSize(market, estimate.lots);
    const fillPrice = estimate.lots > 0 ? estimate.notional.div(fillQuantity) : null;
    const mark = ms.mark ?? fillPrice ?? (order.priceTicks === undefined ? null : ticksToPrice(market, order.priceTicks));
    let projected = position?.amount ?? null;
    if (fillPrice !== null) projected = applyFillToPosition(projected, order.side, fillQuantity, fillPrice, market.priceDecimals + market.sizeDecimals).after;
    const priceForMargin = (amount: PositionAmount): Decimal => mark ?? entryPriceOf(amount);
    // Exactly the position's share of `before.initialMarginUsed` (valued as margin() values it).
    const currentIm = position === undefined ? ZERO : initialMargin(notionalAt(position.amount, ms.mark ?? entryPriceOf(position.amount)), position.leverage);
    const projectedIm = projected === null ? ZERO : initialMargin(notionalAt(projected, priceForMargin(projected)), leverage);
    const restingIm =
      restingLots > 0 && order.priceTicks !== undefined ? initialMargin(lotsToSize(market, restingLots).mul(ticksToPrice(market, order.priceTicks)), leverage) : ZERO;
    const imAfter = before.initialMarginUsed.minus(currentIm).plus(projectedIm).plus(restingIm);
    if (imAfter.lte(before.initialMarginUsed)) return null;
    const fee = estimate.notional.mul(this.takerFeeRate);
    // Filling away from the mark is an immediate unrealized loss (slippage) for the account.
    const slippage =
      fillPrice === null || mark === null ? ZERO : fillQuantity.mul(order.side === "buy" ? mark.minus(fillPrice) : fillPrice.minus(mark));
    const equityAfter = before.equity.minus(fee).plus(slippage);
    if (equityAfter.gte(imAfter)) return null;
    return `needs initial margin ${imAfter.toString()}, equity after fees ${equityAfter.toString()}`;
  }

  /** Walks the opposite side of the book for `sizeLots`, up to a limit price: lots and notional a taker would get. */
  private estimateTakerFill(ms: MarketState, side: OrderSide, sizeLots: number, limitTicks: number | undefined, postOnly: boolean): { lots: number; notional: Decimal } {
    if (postOnly) return { lots: 0, notional: ZERO };
    const { market, book } = ms;
    let levelsWanted = 16;
    for (;;) {
      const depth = book.depth(levelsWanted);
      const levels = side === "buy" ? depth.asks : depth.bids;
      let remaining = sizeLots;
      let notional = ZERO;
      let stopped = false;
      for (const level of levels) {
        if (limitTicks !== undefined && (side === "buy" ? level.priceTicks > limitTicks : level.priceTicks < limitTicks)) {
          stopped = true;
          break;
        }
        const take = Math.min(remaining, level.sizeLots);
        remaining -= take;
        notional = notional.plus(lotsToSize(market, take).mul(ticksToPrice(market, level.priceTicks)));
        if (remaining === 0) break;
      }
      if (remaining === 0 || stopped || levels.length < levelsWanted) return { lots: sizeLots - remaining, notional };
      levelsWanted *= 4;
    }
  }

  /** Applies the fills and cancellations of one book result to the accounts, emitting events in order. */
  private applyBookResult(
    ms: MarketState,
    result: SubmitResult,
    taker: { orderId: string; accountId: string; side: OrderSide; priceTicks: number | undefined; sizeLots: number; restsRemainder: boolean; leverage: Decimal; exitPlan: ExitPlan | null; closeTrigger: CloseTrigger; feeRate: Decimal },
  ): Fill[] {
    const { market } = ms;
    const touches = new Map<string, Touch>();
    const takerFills: Fill[] = [];
    for (const bookFill of result.fills) {
      const tradeId = `${market.symbol}-${++ms.tradeSeq}`;
      takerFills.push(
        this.applyAccountFill(ms, touches, tradeId, {
          accountId: taker.accountId,
          orderId: taker.orderId,
          side: bookFill.takerSide,
          bookFill,
          liquidity: "taker",
          feeRate: taker.feeRate,
          leverage: taker.leverage,
          exitPlan: taker.exitPlan,
          closeTrigger: taker.closeTrigger,
        }),
      );
      this.applyMakerFill(ms, touches, tradeId, bookFill);
    }
    for (const makerId of result.cancelledMakerIds) this.dropOpenOrder(makerId, market, "SELF_TRADE");
    const cancelledLots = taker.sizeLots - result.filledLots - result.restingLots;
    if (cancelledLots > 0) {
      this.emitEvent("orderCancelled", {
        orderId: taker.orderId,
        accountId: taker.accountId,
        symbol: market.symbol,
        size: lotsToSize(market, cancelledLots),
        reason: this.stoppedBySelfTrade(ms, taker) ? "SELF_TRADE" : "UNFILLED_REMAINDER",
      });
    }
    this.emitPositionEvents(touches);
    return takerFills;
  }

  /**
   * Whether self-trade prevention stopped the taker: a GTC limit remainder would otherwise rest,
   * and an IOC/market taker stopped by it leaves the account's own order at the best opposite price.
   */
  private stoppedBySelfTrade(ms: MarketState, taker: { accountId: string; side: OrderSide; priceTicks: number | undefined; restsRemainder: boolean }): boolean {
    if (taker.restsRemainder) return true;
    const best = taker.side === "buy" ? ms.book.bestAsk() : ms.book.bestBid();
    if (best === undefined) return false;
    if (taker.priceTicks !== undefined && (taker.side === "buy" ? best > taker.priceTicks : best < taker.priceTicks)) return false;
    const account = this.accountStates.get(taker.accountId);
    if (account === undefined) return false;
    for (const open of account.openOrders.values()) {
      if (open.symbol === ms.market.symbol && open.side !== taker.side && open.priceTicks === best) return true;
    }
    return false;
  }

  /** Fills of external snapshot liquidity against our resting orders (the market traded through them). */
  private applySnapshotFills(ms: MarketState, fills: BookFill[]): void {
    const touches = new Map<string, Touch>();
    for (const bookFill of fills) this.applyMakerFill(ms, touches, `${ms.market.symbol}-${++ms.tradeSeq}`, bookFill);
    this.emitPositionEvents(touches);
  }

  private applyMakerFill(ms: MarketState, touches: Map<string, Touch>, tradeId: string, bookFill: BookFill): void {
    const makerAccount = this.accountStates.get(bookFill.makerAccountId);
    const open = makerAccount?.openOrders.get(bookFill.makerOrderId);
    if (makerAccount === undefined || open === undefined) return; // external liquidity
    this.applyAccountFill(ms, touches, tradeId, {
      accountId: makerAccount.id,
      orderId: open.orderId,
      side: open.side,
      bookFill,
      liquidity: "maker",
      feeRate: this.makerFeeRate,
      leverage: open.leverage,
      exitPlan: open.exitPlan,
      closeTrigger: "MANUAL",
    });
    open.remainingLots = bookFill.makerRemainingLots;
    if (bookFill.makerRemainingLots === 0) makerAccount.openOrders.delete(open.orderId);
  }

  /** Applies one fill to one account: cash, fees, position (open, grow, reduce, close, flip). */
  private applyAccountFill(
    ms: MarketState,
    touches: Map<string, Touch>,
    tradeId: string,
    f: {
      accountId: string;
      orderId: string;
      side: OrderSide;
      bookFill: BookFill;
      liquidity: Liquidity;
      feeRate: Decimal;
      leverage: Decimal;
      exitPlan: ExitPlan | null;
      closeTrigger: CloseTrigger;
    },
  ): Fill {
    const { market } = ms;
    const account = this.accountStates.get(f.accountId) as AccountState;
    const now = this.clock.now();
    const price = ticksToPrice(market, f.bookFill.priceTicks);
    const quantity = lotsToSize(market, f.bookFill.sizeLots);
    const notional = price.mul(quantity);
    const fee = notional.mul(f.feeRate);
    const key = `${account.id}\u0000${market.symbol}`;
    const position = account.positions.get(market.symbol) ?? null;
    let touch = touches.get(key);
    if (touch === undefined) {
      touch = {
        accountId: account.id,
        symbol: market.symbol,
        before: position === null ? null : { id: position.id, quantity: position.amount.quantity },
        closed: null,
        closeTrigger: f.closeTrigger,
        realizedPnl: ZERO,
      };
      touches.set(key, touch);
    }
    const outcome = applyFillToPosition(position?.amount ?? null, f.side, quantity, price, market.priceDecimals + market.sizeDecimals);
    account.cash = account.cash.plus(outcome.realizedPnl).minus(fee);
    account.realizedPnl = account.realizedPnl.plus(outcome.realizedPnl);
    account.fees = account.fees.plus(fee);
    touch.realizedPnl = touch.realizedPnl.plus(outcome.realizedPnl);
    let openingFee = fee;
    if (position !== null) {
      if (outcome.closedQuantity.gt(0)) {
        const closingFee = outcome.openedQuantity.isZero() ? fee : fee.mul(outcome.closedQuantity).div(quantity);
        openingFee = fee.minus(closingFee);
        position.realizedPnl = position.realizedPnl.plus(outcome.realizedPnl);
        position.closedQuantity = position.closedQuantity.plus(outcome.closedQuantity);
        position.closedNotional = position.closedNotional.plus(outcome.closedQuantity.mul(price));
        position.fees = position.fees.plus(closingFee);
      } else {
        position.openedQuantity = position.openedQuantity.plus(quantity);
        position.openedNotional = position.openedNotional.plus(notional);
        position.fees = position.fees.plus(fee);
        position.leverage = f.leverage;
        if (f.exitPlan !== null) position.exitPlan = f.exitPlan;
      }
      if (outcome.after === null || outcome.flipped) {
        account.positions.delete(market.symbol);
        const trade = this.tradeOf(account, position, now, f.closeTrigger);
        this.closedTrades.push(trade);
        touch.closed = trade;
        touch.closeTrigger = f.closeTrigger;
      } else {
        position.amount = outcome.after;
      }
    }
    if (outcome.after !== null && (position === null || outcome.flipped)) {
      let id = f.orderId;
      for (let n = 2; account.positionIds.has(id); n++) id = `${f.orderId}#${n}`;
      account.positionIds.add(id);
      account.positions.set(market.symbol, {
        id,
        symbol: market.symbol,
        amount: outcome.after,
        leverage: f.leverage,
        exitPlan: f.exitPlan ?? emptyExitPlan(),
        openedAt: now,
        openedQuantity: outcome.openedQuantity,
        openedNotional: outcome.openedQuantity.mul(price),
        closedQuantity: ZERO,
        closedNotional: ZERO,
        realizedPnl: ZERO,
        fees: openingFee,
        funding: ZERO,
      });
    }
    const fill: Fill = {
      tradeId,
      orderId: f.orderId,
      accountId: account.id,
      symbol: market.symbol,
      side: f.side,
      price,
      quantity,
      fee,
      liquidity: f.liquidity,
      ts: now,
    };
    this.emitEvent("orderFilled", { fill });
    return fill;
  }

  private tradeOf(account: AccountState, position: PositionState, closedAt: number, closeTrigger: CloseTrigger): SimulatedTrade {
    return {
      orderId: position.id,
      modelId: account.id,
      accountId: account.id,
      symbol: position.symbol,
      side: position.amount.side,
      quantity: position.closedQuantity,
      entryPrice: position.openedNotional.div(position.openedQuantity),
      exitPrice: position.closedNotional.div(position.closedQuantity),
      leverage: position.leverage,
      grossPnl: position.realizedPnl,
      realizedPnl: position.realizedPnl.minus(position.fees).plus(position.funding),
      fees: position.fees,
      funding: position.funding,
      closeTrigger,
      exitPlan: position.exitPlan,
      openedAt: position.openedAt,
      closedAt,
    };
  }

  /** Emits opened / changed / closed for every position an operation touched, then keeps reduce-only orders honest. */
  private emitPositionEvents(touches: Map<string, Touch>): void {
    for (const touch of touches.values()) {
      const account = this.accountStates.get(touch.accountId) as AccountState;
      const after = account.positions.get(touch.symbol);
      if (touch.closed !== null) this.emitEvent("positionClosed", { trade: touch.closed, closeTrigger: touch.closeTrigger });
      if (after !== undefined) {
        const view = this.positionView(account, after);
        if (touch.before === null || touch.before.id !== after.id) this.emitEvent("positionOpened", { position: view });
        else if (!touch.before.quantity.eq(after.amount.quantity)) this.emitEvent("positionChanged", { position: view, realizedPnl: touch.realizedPnl });
      }
      this.reconcileReduceOnly(account, touch.symbol);
      this.absorbBadDebt(account);
    }
  }

  /** Resting reduce-only orders never outgrow the position: cancelled when it is gone or flipped, shrunk when it shrank. */
  private reconcileReduceOnly(account: AccountState, symbol: string): void {
    const position = account.positions.get(symbol);
    const ms = this.requireMarket(symbol);
    for (const open of [...account.openOrders.values()]) {
      if (open.symbol !== symbol || !open.reduceOnly) continue;
      if (position === undefined || open.side !== closingOrderSide(position.amount.side)) {
        this.cancelResting(account, open, "REDUCE_ONLY_NO_POSITION");
        continue;
      }
      const positionLots = sizeToLots(ms.market, position.amount.quantity);
      const resting = ms.book.order(open.orderId);
      if (resting !== undefined && resting.sizeLots > positionLots) {
        const shrunk = ms.book.modify(open.orderId, { sizeLots: positionLots });
        if (shrunk.status !== "rejected") {
          open.remainingLots = positionLots;
          const record = this.orderRecords.get(open.orderId);
          if (record !== undefined) record.size = record.filledSize.plus(lotsToSize(ms.market, positionLots));
        }
      }
    }
  }

  private cancelResting(account: AccountState, open: OpenOrderState, reason: CancelReason): void {
    const ms = this.requireMarket(open.symbol);
    const cancelled = ms.book.cancel(open.orderId);
    account.openOrders.delete(open.orderId);
    if (cancelled.ok) {
      this.emitEvent("orderCancelled", {
        orderId: open.orderId,
        accountId: account.id,
        symbol: open.symbol,
        size: lotsToSize(ms.market, cancelled.remainingLots),
        reason,
      });
    }
  }

  private dropOpenOrder(orderId: string, market: Market, reason: CancelReason): void {
    for (const account of this.accountStates.values()) {
      const open = account.openOrders.get(orderId);
      if (open === undefined || open.symbol !== market.symbol) continue;
      account.openOrders.delete(orderId);
      this.emitEvent("orderCancelled", { orderId, accountId: account.id, symbol: market.symbol, size: lotsToSize(market, open.remainingLots), reason });
    }
  }


  // ---------------------------------------------------------------- marks, exits, liquidation, funding

  /** Liquidations first: an account that is insolvent at this mark is liquidated, whatever its stops say. */
  private afterMarkChange(ms: MarketState): void {
    this.evaluateLiquidations();
    this.evaluateExitPlans(ms);
  }

  /** Closes, at market, every position of this market whose stop or target the mark crossed. */
  private evaluateExitPlans(ms: MarketState): void {
    const mark = ms.mark;
    if (mark === null) return;
    const due: Array<{ account: AccountState; positionId: string; trigger: "STOP" | "TARGET" }> = [];
    for (const account of this.accountStates.values()) {
      const position = account.positions.get(ms.market.symbol);
      if (position === undefined) continue;
      const { stop, target } = position.exitPlan;
      const long = position.amount.side === "LONG";
      if (stop !== null && (long ? mark.lte(stop) : mark.gte(stop))) due.push({ account, positionId: position.id, trigger: "STOP" });
      else if (target !== null && (long ? mark.gte(target) : mark.lte(target))) due.push({ account, positionId: position.id, trigger: "TARGET" });
    }
    for (const { account, positionId, trigger } of due) {
      const position = account.positions.get(ms.market.symbol);
      if (position === undefined || position.id !== positionId) continue;
      this.closeAtMarket(account, ms, position, trigger);
    }
  }

  private closeAtMarket(account: AccountState, ms: MarketState, position: PositionState, trigger: CloseTrigger): OrderResult {
    let orderId = `${trigger.toLowerCase()}-${++this.autoOrderSeq}`;
    // A caller may have used the same id for an order of its own.
    while (this.usedOrderIds.has(orderId) || this.orderRecords.has(orderId)) orderId = `${trigger.toLowerCase()}-${++this.autoOrderSeq}`;
    const order: NormalizedOrder = {
      orderId,
      accountId: account.id,
      symbol: ms.market.symbol,
      side: closingOrderSide(position.amount.side),
      type: "market",
      sizeLots: sizeToLots(ms.market, position.amount.quantity),
      priceTicks: undefined,
      timeInForce: "IOC",
      postOnly: false,
      reduceOnly: true,
      leverage: null,
      exitPlan: null,
      closeTrigger: trigger,
    };
    return this.executeOrder(order);
  }

  /** Liquidates every account whose equity fell below its maintenance margin, in creation order. */
  private evaluateLiquidations(): void {
    for (const account of this.accountStates.values()) {
      if (account.positions.size === 0) continue;
      const margin = this.margin(account);
      if (!isBelowMaintenance(margin)) continue;
      for (const open of [...account.openOrders.values()]) this.cancelResting(account, open, "LIQUIDATION");
      const badDebtBefore = account.badDebt;
      const symbols: string[] = [];
      for (const position of [...account.positions.values()]) {
        symbols.push(position.symbol);
        this.closeAtMarket(account, this.requireMarket(position.symbol), position, "LIQUIDATION");
      }
      this.absorbBadDebt(account);
      const badDebt = account.badDebt.minus(badDebtBefore);
      this.emitEvent("liquidated", { accountId: account.id, equity: margin.equity, maintenanceMargin: margin.maintenanceMargin, symbols, badDebt });
    }
  }

  /** A flat account never keeps negative cash: the loss beyond zero is recorded as bad debt and cash reset to zero. */
  private absorbBadDebt(account: AccountState): Decimal {
    if (account.positions.size > 0 || !account.cash.lt(0)) return ZERO;
    const badDebt = account.cash.neg();
    account.badDebt = account.badDebt.plus(badDebt);
    account.cash = ZERO;
    return badDebt;
  }

  private settle(markets: MarketState[]): void {
    for (const ms of markets) {
      const mark = ms.mark;
      if (mark === null || ms.fundingRate.isZero()) continue;
      for (const account of this.accountStates.values()) {
        const position = account.positions.get(ms.market.symbol);
        if (position === undefined) continue;
        const amount = fundingCashFlow(position.amount.side, position.amount.quantity, mark, ms.fundingRate);
        account.cash = account.cash.plus(amount);
        account.funding = account.funding.plus(amount);
        position.funding = position.funding.plus(amount);
        this.emitEvent("fundingPaid", {
          accountId: account.id,
          symbol: ms.market.symbol,
          side: position.amount.side,
          quantity: position.amount.quantity,
          markPrice: mark,
          rate: ms.fundingRate,
          amount,
        });
      }
    }
    this.evaluateLiquidations();
  }

  private scheduleFunding(clock: TimerClock): void {
    const interval = this.options.fundingIntervalMs;
    const next = (Math.floor(clock.now() / interval) + 1) * interval;
    this.fundingTimer = clock.schedule(
      next,
      () => {
        if (this.disposed) return;
        this.atomically(() => this.settle([...this.marketStates.values()]));
        this.scheduleFunding(clock);
      },
      "funding",
    );
  }

  // ---------------------------------------------------------------- views (internal)

  private margin(account: AccountState): AccountMargin {
    const positions: MarginPosition[] = [];
    for (const position of account.positions.values()) {
      const ms = this.requireMarket(position.symbol);
      positions.push({ market: ms.market, amount: position.amount, leverage: position.leverage, markPrice: ms.mark });
    }
    let openOrderMargin = ZERO;
    for (const open of account.openOrders.values()) {
      if (open.reduceOnly) continue;
      const ms = this.requireMarket(open.symbol);
      const resting = ms.book.order(open.orderId);
      if (resting === undefined) continue;
      const notional = lotsToSize(ms.market, resting.sizeLots).mul(ticksToPrice(ms.market, open.priceTicks));
      openOrderMargin = openOrderMargin.plus(initialMargin(notional, open.leverage));
    }
    return accountMargin(account.cash, positions, openOrderMargin);
  }

  private positionView(account: AccountState, position: PositionState): PositionView {
    const ms = this.requireMarket(position.symbol);
    const mark = ms.mark ?? entryPriceOf(position.amount);
    const notional = notionalAt(position.amount, mark);
    let otherCollateral = account.cash;
    for (const other of account.positions.values()) {
      if (other === position) continue;
      const otherMs = this.requireMarket(other.symbol);
      const otherMark = otherMs.mark ?? entryPriceOf(other.amount);
      otherCollateral = otherCollateral
        .plus(unrealizedPnlOf(other.amount, otherMark))
        .minus(maintenanceMargin(otherMs.market, notionalAt(other.amount, otherMark)));
    }
    return {
      orderId: position.id,
      modelId: account.id,
      accountId: account.id,
      symbol: position.symbol,
      side: position.amount.side,
      quantity: position.amount.quantity,
      entryPrice: entryPriceOf(position.amount),
      leverage: position.leverage,
      exitPlan: position.exitPlan,
      openedAt: position.openedAt,
      markPrice: ms.mark,
      unrealizedPnl: unrealizedPnlOf(position.amount, mark),
      notional,
      initialMargin: initialMargin(notional, position.leverage),
      maintenanceMargin: maintenanceMargin(ms.market, notional),
      liquidationPrice: liquidationPriceEstimate(ms.market, position.amount, otherCollateral),
      realizedPnl: position.realizedPnl,
      fees: position.fees,
      funding: position.funding,
    };
  }

  private accountView(account: AccountState): AccountView {
    const margin = this.margin(account);
    const openOrders: OpenOrderView[] = [];
    for (const open of account.openOrders.values()) {
      const ms = this.requireMarket(open.symbol);
      const resting = ms.book.order(open.orderId);
      openOrders.push({
        orderId: open.orderId,
        accountId: account.id,
        symbol: open.symbol,
        side: open.side,
        price: ticksToPrice(ms.market, open.priceTicks),
        size: lotsToSize(ms.market, resting?.sizeLots ?? 0),
        leverage: open.leverage,
        reduceOnly: open.reduceOnly,
      });
    }
    return {
      accountId: account.id,
      cash: account.cash,
      equity: margin.equity,
      unrealizedPnl: margin.unrealizedPnl,
      initialMarginUsed: margin.initialMarginUsed,
      maintenanceMargin: margin.maintenanceMargin,
      available: margin.available,
      initialCapital: account.initialCapital,
      realizedPnl: account.realizedPnl,
      fees: account.fees,
      funding: account.funding,
      badDebt: account.badDebt,
      positions: [...account.positions.values()].map((p) => this.positionView(account, p)),
      openOrders,
    };
  }

  private requireAccount(accountId: string): AccountState {
    const account = this.accountStates.get(accountId);
    if (account === undefined) throw new NotFoundError("account", accountId);
    return account;
  }

  private requireMarket(symbol: string): MarketState {
    const ms = this.marketStates.get(symbol);
    if (ms === undefined) throw new UnknownMarketError(symbol);
    return ms;
  }

  /** Keeps the order records in step with the order events, through the lifecycle table. */
  private trackOrder<K extends keyof SimulatorEventMap>(name: K, event: SimulatorEventMap[K][0], now: number): void {
    const move = (record: OrderView, lifecycleEvent: OrderLifecycleEvent): void => {
      record.status = nextOrderStatus(record.orderId, record.status, lifecycleEvent);
      record.updatedAt = now;
    };
    if (name === "orderAccepted") {
      const e = event as SimulatorEventMap["orderAccepted"][0];
      const record: OrderView = {
        orderId: e.orderId,
        accountId: e.accountId,
        symbol: e.symbol,
        side: e.side,
        type: e.type,
        size: e.size,
        price: e.price,
        timeInForce: e.timeInForce,
        postOnly: e.postOnly,
        reduceOnly: e.reduceOnly,
        leverage: e.leverage,
        closeTrigger: e.closeTrigger,
        status: "PENDING",
        filledSize: ZERO,
        filledNotional: ZERO,
        averagePrice: null,
        rejectReason: null,
        createdAt: this.orderRecords.get(e.orderId)?.createdAt ?? now,
        updatedAt: now,
      };
      move(record, "accepted");
      this.orderRecords.set(e.orderId, record);
    } else if (name === "orderRejected") {
      // Only an order in flight has a record: a rejection on submission changes nothing.
      const e = event as SimulatorEventMap["orderRejected"][0];
      const record = this.orderRecords.get(e.orderId);
      if (record !== undefined && record.status === "PENDING") {
        move(record, "rejected");
        record.rejectReason = e.reason;
      }
    } else if (name === "orderFilled") {
      const { fill } = event as SimulatorEventMap["orderFilled"][0];
      const record = this.orderRecords.get(fill.orderId);
      if (record === undefined) return;
      record.filledSize = record.filledSize.plus(fill.quantity);
      record.filledNotional = record.filledNotional.plus(fill.price.mul(fill.quantity));
      record.averagePrice = record.filledNotional.div(record.filledSize);
      move(record, record.filledSize.gte(record.size) ? "filled" : "partiallyFilled");
    } else if (name === "orderCancelled") {
      const e = event as SimulatorEventMap["orderCancelled"][0];
      const record = this.orderRecords.get(e.orderId);
      if (record !== undefined) move(record, "cancelled");
    }
  }

  private emitEvent<K extends keyof SimulatorEventMap>(name: K, payload: Omit<SimulatorEventMap[K][0], "id" | "tsEvent" | "tsInit">): void {
    const now = this.clock.now();
    const event = { id: `e${++this.eventSeq}`, tsEvent: now, tsInit: now, ...payload } as SimulatorEventMap[K][0];
    this.trackOrder(name, event, now);
    this.eventQueue.push([name, event]);
    if (this.atomicDepth === 0) this.deliverEvents();
  }
}
