/**
 * ExchangeSimulator: a deterministic simulated perpetuals exchange on top of one OrderBook
 * per market, fed by L2 snapshots (snapshot mode).
 *
 * How it is put together: each market is a MarketEngine (market-engine.ts: book, mark,
 * funding rate, resting orders, stop/target triggers) that returns what an order or a
 * snapshot did as values; the accounts (ledger.ts: cash, positions, margin, views) book those
 * values; this class runs the commands (journaled: commands.ts; checked: order-input.ts,
 * options.ts), liquidation, exits, funding, latency (in-flight.ts) and the events (held back
 * by event-gate.ts, kept by an optional bounded EventLog), and keeps the order records
 * (order-records.ts). All of its state is one SimulatorState (state.ts); snapshots are pure
 * functions of it (snapshot.ts).
 *
 * Invariants:
 * - One error model. What the market decides is a value: a refused order, cancel or exit
 *   plan change returns `status: "rejected"` with a RejectReason (and, for a market limit,
 *   the limit and its value), and changes nothing. A call that is wrong in itself throws a
 *   typed error before changing anything: an unknown account (NotFoundError) or market
 *   (UnknownMarketError), a malformed value or option (ValidationError), a conflicting
 *   setup (StateConflictError: an existing account, a used id in restore).
 * - Money is Decimal, the book is integer: sizes and prices are converted with the market's
 *   lot and tick at the boundary, so no float ever becomes a balance; a number input is
 *   taken exactly or refused (decimal-input.ts).
 * - Every account's cash equals initialCapital + realized PnL - fees + funding + bad debt
 *   absorbed, exactly; a position keeps its cost basis, so realized PnL over its life equals
 *   sign x (exit notional - entry notional) exactly.
 * - Every command gets a monotonic sequence number and is journaled with the clock time; the
 *   same journal replayed on a fresh simulator with the same seed and a ManualClock gives the
 *   same fills, events and state. Time comes only from the clock; randomness only from the seed.
 * - Market data is three steps, each a command: loadBook (replace liquidity now), setMark,
 *   checkTriggers (liquidations, then stops and targets); applyBook is setMark(mid), loadBook
 *   when due (`refreshIntervalMs` since the last load, or `load: "always"`), checkTriggers.
 *   Liquidity a taker consumed stays consumed until the next load.
 * - Events are delivered, in id order, after the command (or timer) that produced them has
 *   finished changing state; a command issued by a listener runs after it.
 */
import {
  type Clock,
  type Decimal,
  type Market,
  NotFoundError,
  StateConflictError,
  type Timer,
  type TimerClock,
  UnknownMarketError,
  ValidationError,
  ZERO,
  closingOrderSide,
  exitPlanFromJson,
  lotsToSize,
  openingOrderSide,
  sizeToLots,
  ticksToPrice,
} from "@autonome/core";
import EventEmitter from "eventemitter3";
import { OrderBook } from "../order-book.js";
import { fundingCashFlow, isBelowMaintenance } from "./account.js";
import { Journal, isList, levelsText, placeOrderCommand, requireId, restoreCommand } from "./commands.js";
import { type DecimalInput, type ExitPlanInput, decimalInputText, exitPlanJsonOf } from "../decimal-input.js";
import { type CancelReason, EventLog, type SimulatorEvent, type SimulatorEventMap, type SimulatorEventName } from "./events.js";
import { EventGate } from "./event-gate.js";
import { InFlightOrders } from "./in-flight.js";
import type { LatencyModel } from "./latency.js";
import {
  type AccountState,
  type FillTerms,
  type MarketLookup,
  type PositionState,
  type Touch,
  absorbBadDebt,
  accountViewOf,
  accountViewWith,
  applyAccountFill,
  creditFunding,
  exitTriggerOf,
  marginShortfall,
  newAccount,
  positionViewOf,
  restoredPosition,
  standingOf,
} from "./ledger.js";
import { type EngineFill, MarketEngine, type RestingOrder } from "./market-engine.js";
import { type ExchangeSimulatorConfig, isTimerClock, resolveConfig } from "./options.js";
import { type NormalizedOrder, type Rejection, checkPersistedOrders, journalDecimal, normalizeOrder } from "./order-input.js";
import { checkSnapshotVersion, describeState, restoreState, takeSnapshot } from "./snapshot.js";
import { type SimulatorState, emptyState } from "./state.js";
import type {
  AccountView,
  ApplyBookResult,
  CancelResult,
  ExitPlanResult,
  JournalEntry,
  L2Book,
  LoadBookResult,
  OpenPositionInput,
  OrderRejection,
  OrderResult,
  OrderView,
  PersistedOpenOrder,
  PlaceOrderCommandInput,
  PlaceOrderInput,
  PositionView,
  SimFill,
  SimulatedTrade,
  SimulatorCommand,
  SimulatorOptions,
  SimulatorSnapshot,
  TriggerCheckResult,
  TriggeredExit,
} from "./types.js";

export { DEFAULT_SIMULATOR_OPTIONS, type ExchangeSimulatorConfig } from "./options.js";

/** Who books one side of a fill, and on what terms. */
type FillParty = FillTerms & { accountId: string };

/** A copy of a view (its own arrays and records; the Decimals and exit plans are immutable values shared as before). */
function copyAccountView(view: AccountView): AccountView {
  return { ...view, positions: view.positions.map((p) => ({ ...p })), openOrders: view.openOrders.map((o) => ({ ...o })) };
}

/** The snapshot `fromSnapshot` hands to the constructor it calls (a constructor cannot be overloaded privately). */
let restoringFrom: SimulatorSnapshot | null = null;

/** A simulated perpetuals exchange: accounts, cross margin, positions, SL/TP, liquidation, funding. */
export class ExchangeSimulator extends EventEmitter<SimulatorEventMap> {
  /** The resolved options. */
  readonly options: Readonly<SimulatorOptions>;
  private readonly clock: Clock;
  private readonly takerFeeRate: Decimal;
  private readonly makerFeeRate: Decimal;
  private readonly liquidationFeeRate: Decimal;
  private readonly defaultCapital: Decimal;
  private readonly data: SimulatorState;
  private readonly journalEntries = new Journal();
  private readonly latency: LatencyModel | null;
  /** Timers of the orders in flight; null without a TimerClock. */
  private readonly inFlight: InFlightOrders | null;
  /** How the accounts read the markets. */
  private readonly markets: MarketLookup = (symbol) => this.requireEngine(symbol);
  private fundingTimer: Timer | null = null;
  private disposed = false;
  private readonly eventLogKept: EventLog;
  private readonly events = new EventGate<SimulatorEvent>((event) => {
    this.eventLogKept.push(event);
    (this.emit as (name: string, event: unknown) => boolean)(event.type, event);
  });
  /** What the trigger checks of the running command did (collected by closeAtMarket and evaluateLiquidations). */
  private triggerReport: TriggerCheckResult | null = null;
  /**
   * Moves on at the start and at the end of every state change (each command, order arrival and
   * funding settlement runs in `atomically`): a view built at one version is the view of every
   * moment with that version.
   */
  private stateVersion = 0;
  /** The views last built per account, with the version they were built at (see `viewsOf`). */
  private readonly viewCache = new Map<string, { version: number; positions: PositionView[] | null; account: AccountView | null }>();

  constructor(config: ExchangeSimulatorConfig) {
    super();
    const snapshot = restoringFrom;
    restoringFrom = null;
    const resolved = resolveConfig(config);
    const { options, clock } = resolved;
    this.options = options;
    this.clock = clock;
    this.eventLogKept = new EventLog(options.eventLogSize);
    this.takerFeeRate = resolved.takerFeeRate;
    this.makerFeeRate = resolved.makerFeeRate;
    this.liquidationFeeRate = resolved.liquidationFeeRate;
    this.defaultCapital = resolved.defaultCapital;
    this.latency = resolved.latency;
    const createBook = config.createBook ?? ((market: Market) => new OrderBook({ symbol: market.symbol }));
    const newEngine = (market: Market): MarketEngine => new MarketEngine(market, createBook(market), options.externalAccountId);
    this.data = snapshot === null ? emptyState(config.markets, newEngine) : restoreState(snapshot, config.markets, newEngine);
    const arrive = (order: NormalizedOrder): void => {
      if (!this.disposed) this.atomically(() => this.executeOrder(order));
    };
    this.inFlight = isTimerClock(clock) ? new InFlightOrders(clock, this.data.pendingOrders, arrive) : null;
    if (this.inFlight === null && this.data.pendingOrders.size > 0) {
      throw new ValidationError("invalid simulator options", [{ path: "clock", message: "orders in flight need a TimerClock (ManualClock or SystemClock)" }]);
    }
    if (options.fundingIntervalMs > 0) {
      if (!isTimerClock(clock)) throw new ValidationError("invalid simulator options", [{ path: "fundingIntervalMs", message: "scheduled funding needs a TimerClock (ManualClock or SystemClock)" }]);
      this.scheduleFunding(clock);
    }
    // A restored simulator skips the delays it drew already and waits for its orders in flight.
    for (let i = 0; i < this.data.latencyDraws; i++) this.latency?.nextDelayMs();
    this.inFlight?.armAll();
  }

  // ---------------------------------------------------------------- commands

  /** Opens an account with the default (or given) initial capital. Throws StateConflictError if it exists, ValidationError for a bad id or capital. */
  createAccount(accountId: string, options: { initialCapital?: DecimalInput } = {}): AccountView {
    const command: SimulatorCommand = { type: "createAccount", accountId: requireId(accountId, "accountId") };
    if (options?.initialCapital !== undefined) command.initialCapital = decimalInputText(options.initialCapital, "initialCapital");
    return this.record(command, () => this.doCreateAccount(command));
  }

  /**
   * Replaces a market's liquidity with an L2 snapshot now, whatever the refresh rule. Levels
   * that cross simulated accounts' resting orders fill them (the market traded through).
   * Leaves the mark alone and runs no trigger check. Throws UnknownMarketError, or
   * ValidationError for an off-grid, negative or crossed level.
   */
  loadBook(symbol: string, book: L2Book): LoadBookResult {
    const command: SimulatorCommand = { type: "loadBook", symbol: requireId(symbol, "symbol"), ...levelsText(book) };
    return this.record(command, () => this.doLoadBook(command));
  }

  /** Sets a market's mark price; runs no trigger check (call `checkTriggers`). Throws UnknownMarketError, or ValidationError unless the price is positive. */
  setMark(symbol: string, price: DecimalInput): void {
    const command: SimulatorCommand = { type: "setMark", symbol: requireId(symbol, "symbol"), price: decimalInputText(price, "price") };
    this.record(command, () => this.doSetMark(command));
  }

  /**
   * Checks the current marks: liquidates every account below maintenance margin (all
   * markets), then closes at market the positions whose stop or target the mark crossed (in
   * one market, or all). Returns what it closed. Throws UnknownMarketError.
   */
  checkTriggers(symbol?: string): TriggerCheckResult {
    const command: SimulatorCommand = symbol === undefined ? { type: "checkTriggers" } : { type: "checkTriggers", symbol: requireId(symbol, "symbol") };
    return this.record(command, () => this.doCheckTriggers(command));
  }

  /**
   * Market data in, the three steps in one call: setMark(the snapshot's mid), loadBook when
   * due (on the first call, then once `refreshIntervalMs` of the clock has passed since the
   * last load; `{ load: "always" }` loads now; `refreshIntervalMs: 0` loads every time), then
   * checkTriggers for this market. Liquidity a taker consumed stays consumed until the next
   * load. The snapshot is checked whether or not it is loaded: a bad one throws, changing nothing.
   */
  applyBook(symbol: string, book: L2Book, options: { load?: "due" | "always" } = {}): ApplyBookResult {
    const load = options?.load ?? "due";
    if (load !== "due" && load !== "always") throw new ValidationError("invalid applyBook options", [{ path: "load", message: 'must be "due" or "always"' }]);
    const command: SimulatorCommand = { type: "applyBook", symbol: requireId(symbol, "symbol"), ...levelsText(book), ...(load === "always" ? { load } : {}) };
    return this.record(command, () => this.doApplyBook(command));
  }

  /** Sets the funding rate per settlement of a market (a fraction; positive = longs pay shorts). */
  setFundingRate(symbol: string, rate: DecimalInput): void {
    const command: SimulatorCommand = { type: "setFundingRate", symbol: requireId(symbol, "symbol"), rate: decimalInputText(rate, "rate") };
    this.record(command, () => this.doSetFundingRate(command));
  }

  /** Settles funding now, for one market or all, at the current marks and rates; then liquidates any account it left below maintenance. */
  settleFunding(symbol?: string): void {
    const command: SimulatorCommand = symbol === undefined ? { type: "settleFunding" } : { type: "settleFunding", symbol: requireId(symbol, "symbol") };
    this.record(command, () => this.doSettleFunding(command));
  }

  /**
   * Places an order. The result is a value: filled, partially filled, resting, cancelled
   * (remainder), pending (latency) or rejected with a reason (and the broken limit). Throws
   * NotFoundError or UnknownMarketError for an unknown account or market, ValidationError for
   * a malformed value.
   */
  placeOrder(input: PlaceOrderInput): OrderResult {
    const command = placeOrderCommand(input);
    return this.record(command, (seq) => this.doPlaceOrder(command, seq));
  }

  /** Opens (or adds to) a position with a market order of `quantity` base units; see placeOrder. */
  openPosition(input: OpenPositionInput): OrderResult {
    if (input === null || typeof input !== "object") throw new ValidationError("malformed command", [{ path: "input", message: "must be an object" }]);
    if (input.side !== "LONG" && input.side !== "SHORT") throw new ValidationError("malformed command", [{ path: "side", message: "must be LONG or SHORT" }]);
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

  /**
   * Closes a position with a reduce-only market order (closeTrigger MANUAL); the exit price is
   * the real fill price. Rejected NO_POSITION when there is none.
   */
  closePosition(accountId: string, symbol: string, options: { orderId?: string } = {}): OrderResult {
    const command: SimulatorCommand = { type: "closePosition", accountId: requireId(accountId, "accountId"), symbol: requireId(symbol, "symbol") };
    if (options?.orderId !== undefined) command.orderId = requireId(options.orderId, "orderId");
    return this.record(command, (seq) => this.doClosePosition(command, seq));
  }

  /** Cancels a resting order, or one still in flight under latency; rejected UNKNOWN_ORDER when the account has no such live order. */
  cancelOrder(accountId: string, orderId: string): CancelResult {
    const command: SimulatorCommand = { type: "cancelOrder", accountId: requireId(accountId, "accountId"), orderId: requireId(orderId, "orderId") };
    return this.record(command, () => this.doCancelOrder(command));
  }

  /**
   * Replaces a position's exit plan (any field may be left out; prices as strings, numbers
   * or Decimals). The stop and target fire when the mark crosses them: checked at once
   * against the current mark (a plan already crossed closes the position in this call) and
   * at every trigger check. Rejected NO_POSITION when there is no position.
   */
  setExitPlan(accountId: string, symbol: string, exitPlan: ExitPlanInput): ExitPlanResult {
    const command: SimulatorCommand = { type: "setExitPlan", accountId: requireId(accountId, "accountId"), symbol: requireId(symbol, "symbol"), exitPlan: exitPlanJsonOf(exitPlan) };
    return this.record(command, () => this.doSetExitPlan(command));
  }

  /**
   * Restores positions persisted as OPEN orders: a synthetic execution at the persisted entry
   * price, no fee, no cash change, no book interaction, exit plan re-attached (none when
   * absent), accrued funding (already in the account's cash) carried into the position;
   * `openedAt` defaults to now and `leverage` to the market's default. Accounts must exist
   * (create them with their persisted cash). A restored stop or target the current mark has
   * crossed fires at once. All or nothing: throws before changing anything for an unknown
   * account or market, a bad number, a used order id, or two positions on one symbol of one
   * account.
   */
  restore(orders: readonly PersistedOpenOrder[]): PositionView[] {
    const command = restoreCommand(orders, this.clock.now());
    return this.record(command, () => this.doRestore(command));
  }

  /** Applies one journaled command (what `replay` does for each entry); returns what the command returns. */
  execute(journaled: SimulatorCommand): unknown {
    const command = structuredClone(journaled);
    switch (command.type) {
      case "createAccount":
        return this.record(command, () => this.doCreateAccount(command));
      case "applyBook":
        return this.record(command, () => this.doApplyBook(command));
      case "loadBook":
        return this.record(command, () => this.doLoadBook(command));
      case "setMark":
        return this.record(command, () => this.doSetMark(command));
      case "checkTriggers":
        return this.record(command, () => this.doCheckTriggers(command));
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
      default:
        throw new ValidationError("malformed command", [{ path: "type", message: `unknown command ${JSON.stringify((command as { type?: unknown }).type)}` }]);
    }
  }

  /**
   * Replays journal entries in order. `advanceClockTo` moves the (manual) clock to each
   * entry's time first, so timers (latency arrivals, funding) fire where they fired before.
   * Commands that listeners issued are in the journal already: replay into a simulator whose
   * listeners only observe.
   */
  replay(entries: readonly JournalEntry[], advanceClockTo?: (ts: number) => void): void {
    if (!isList(entries)) throw new ValidationError("invalid journal", [{ path: "entries", message: "must be an array of journal entries" }]);
    for (const entry of entries) {
      if (entry.seq !== this.data.commandSeq + 1) {
        throw new StateConflictError(`journal entry ${entry.seq} does not follow ${this.data.commandSeq}`, "journal", String(entry.seq));
      }
      if (advanceClockTo !== undefined && entry.ts > this.clock.now()) advanceClockTo(entry.ts);
      this.execute(entry.command);
    }
  }

  /** Cancels the simulator's timers (funding, pending orders). */
  dispose(): void {
    this.disposed = true;
    if (this.fundingTimer !== null) (this.clock as TimerClock).cancel(this.fundingTimer);
    this.fundingTimer = null;
    this.inFlight?.dispose();
    this.data.pendingOrders.clear();
  }

  // ---------------------------------------------------------------- views

  /** An account's money, margin, positions and resting orders. Throws NotFoundError. */
  account(accountId: string): AccountView {
    return copyAccountView(this.accountViewOf(this.requireAccount(accountId)));
  }

  /** Every account, in creation order. */
  accounts(): AccountView[] {
    return [...this.data.accounts.values()].map((a) => copyAccountView(this.accountViewOf(a)));
  }

  /** Open positions of one account, or of all accounts. */
  positions(accountId?: string): PositionView[] {
    const accounts = accountId === undefined ? [...this.data.accounts.values()] : [this.requireAccount(accountId)];
    return accounts.flatMap((a) => this.positionViewsOf(a).map((view) => ({ ...view })));
  }

  /**
   * The symbols an account holds a position in, in opening order: what `positions(id)` lists,
   * without building the views (no marks, PnL or liquidation estimates), for callers that only
   * need to know what is held. Throws NotFoundError for an unknown account.
   */
  positionSymbols(accountId: string): string[] {
    return [...this.requireAccount(accountId).positions.keys()];
  }

  /** Closed positions, in closing order, of one account or all. Throws NotFoundError for an unknown account. */
  trades(accountId?: string): SimulatedTrade[] {
    if (accountId !== undefined) this.requireAccount(accountId);
    return this.data.closedTrades.filter((t) => accountId === undefined || t.accountId === accountId);
  }

  /** An order that met the book or is in flight: status (see ORDER_TRANSITIONS), fills so far. Undefined for an unknown or rejected-on-submission id. */
  order(orderId: string): OrderView | undefined {
    const record = this.data.orders.get(orderId);
    return record === undefined ? undefined : { ...record };
  }

  /** Orders of one account, or all, in creation order. Throws NotFoundError for an unknown account. */
  orders(accountId?: string): OrderView[] {
    if (accountId !== undefined) this.requireAccount(accountId);
    return [...this.data.orders.values()].filter((o) => accountId === undefined || o.accountId === accountId).map((o) => ({ ...o }));
  }

  /** A market's order book (read it; trade through the simulator). Throws UnknownMarketError. */
  book(symbol: string): OrderBook {
    return this.requireEngine(symbol).book;
  }

  /** A market's mark price, null before any market data. Throws UnknownMarketError. */
  markPrice(symbol: string): Decimal | null {
    return this.requireEngine(symbol).mark;
  }

  /** A market's current funding rate. Throws UnknownMarketError. */
  fundingRate(symbol: string): Decimal {
    return this.requireEngine(symbol).fundingRate;
  }

  /** The journaled commands (all since the start, or since the last truncation), with sequence numbers and times. */
  journal(): JournalEntry[] {
    return this.journalEntries.list();
  }

  /**
   * Drops journal entries up to and including `throughSeq` (for example after persisting a
   * `snapshot()` taken at that sequence), so a long-running simulator keeps bounded memory.
   * Returns how many entries were dropped.
   */
  truncateJournal(throughSeq: number): number {
    if (!Number.isSafeInteger(throughSeq)) throw new ValidationError("invalid journal sequence", [{ path: "throughSeq", message: "must be an integer" }]);
    return this.journalEntries.truncate(throughSeq);
  }

  /**
   * The latest events, oldest first, as delivered to listeners (each has its `type`); at most
   * `eventLogSize` of them (an option, default 0: none kept). Event ids are consecutive, so a
   * gap before the first shows how many were dropped. Filter by `types`, or take only those
   * after the event id `after`.
   */
  eventLog(filter: { types?: readonly SimulatorEventName[]; after?: string } = {}): SimulatorEvent[] {
    const afterSeq = filter?.after === undefined ? 0 : eventSeqOf(filter.after);
    const types = filter?.types === undefined ? null : new Set<string>(filter.types);
    return this.eventLogKept.list().filter((e) => (types === null || types.has(e.type)) && eventSeqOf(e.id) > afterSeq);
  }

  /** Sequence number of the last command applied. */
  get sequence(): number {
    return this.data.commandSeq;
  }

  /** A JSON-safe picture of the whole state (accounts, books, marks, trades), for comparisons and persistence. */
  state(): Record<string, unknown> {
    return describeState(this.data, this.accounts(), this.options.externalAccountId);
  }

  /** A JSON-safe snapshot of the whole simulator (see `fromSnapshot`); the event log is not part of it. */
  snapshot(): SimulatorSnapshot {
    return takeSnapshot(this.data, this.clock.now(), this.options.externalAccountId);
  }

  /**
   * Rebuilds a simulator from a snapshot: same accounts, positions, resting orders in the same
   * queue order, remaining snapshot liquidity, marks, counters and in-flight orders. Give it the
   * same markets and options, and a clock reading the snapshot's time; then replay the journal
   * entries after `snapshot.sequence`. Throws ValidationError for an unknown version or market.
   */
  static fromSnapshot(config: ExchangeSimulatorConfig, snapshot: SimulatorSnapshot): ExchangeSimulator {
    checkSnapshotVersion(snapshot);
    restoringFrom = snapshot;
    try {
      return new ExchangeSimulator(config);
    } finally {
      restoringFrom = null;
    }
  }

  // ---------------------------------------------------------------- command handlers

  /**
   * The cache entry of an account's views at the current state version. Views are pure
   * functions of the state (marks, positions, cash, and for resting orders the books): while
   * the version stands, a view built before is the view now. Callers get copies.
   */
  private viewsOf(account: AccountState): { version: number; positions: PositionView[] | null; account: AccountView | null } {
    let entry = this.viewCache.get(account.id);
    if (entry === undefined || entry.version !== this.stateVersion) {
      entry = { version: this.stateVersion, positions: null, account: null };
      this.viewCache.set(account.id, entry);
    }
    return entry;
  }

  /** An account's position views (shared: copy before handing out). */
  private positionViewsOf(account: AccountState): PositionView[] {
    const entry = this.viewsOf(account);
    entry.positions ??= [...account.positions.values()].map((p) => positionViewOf(account, p, this.markets));
    return entry.positions;
  }

  /** An account's view (shared: copy before handing out). Resting orders read the books, which a caller may reach (`book()`): not cached then. */
  private accountViewOf(account: AccountState): AccountView {
    if (account.openOrders.size > 0) return accountViewOf(account, this.markets);
    const entry = this.viewsOf(account);
    entry.account ??= accountViewWith(account, this.markets, this.positionViewsOf(account));
    return entry.account;
  }

  private record<T>(command: SimulatorCommand, handler: (seq: number) => T): T {
    if (this.events.changing) {
      // Only reachable from inside the simulator itself: listeners run after a command completes.
      throw new StateConflictError("a simulator command cannot run inside another", "simulator", command.type);
    }
    return this.atomically(() => {
      const seq = this.data.commandSeq + 1;
      const ts = this.clock.now();
      const result = handler(seq);
      this.data.commandSeq = seq;
      // Public methods build `command` afresh and `execute` clones what it is given, so nothing aliases it.
      this.journalEntries.append({ seq, ts, command });
      return result;
    });
  }

  /** Runs a state change with its events held back until it has finished (see EventGate); one that throws (before changing anything) drops its events. */
  private atomically<T>(change: () => T): T {
    const eventSeq = this.data.eventSeq;
    this.stateVersion++;
    try {
      return this.events.run(change, () => {
        this.data.eventSeq = eventSeq;
      });
    } finally {
      this.stateVersion++;
    }
  }

  private doCreateAccount(command: Extract<SimulatorCommand, { type: "createAccount" }>): AccountView {
    const { accountId } = command;
    if (typeof accountId !== "string" || accountId.length === 0 || accountId === this.options.externalAccountId) {
      throw new ValidationError("invalid account id", [{ path: "accountId", message: "must be a non-empty string other than the external account id" }]);
    }
    if (this.data.accounts.has(accountId)) throw new StateConflictError(`account ${accountId} exists`, "account", accountId);
    const capital = command.initialCapital === undefined ? this.defaultCapital : journalDecimal(command.initialCapital, "initialCapital");
    if (capital.lt(0)) {
      throw new ValidationError("invalid initial capital", [{ path: "initialCapital", message: "must be a non-negative decimal" }]);
    }
    const account = newAccount(accountId, capital, this.data.accounts.size);
    this.data.accounts.set(accountId, account);
    return accountViewOf(account, this.markets);
  }

  private doLoadBook(command: Extract<SimulatorCommand, { type: "loadBook" }>): LoadBookResult {
    const engine = this.requireEngine(command.symbol);
    const parsed = engine.parseL2(command);
    return { bidLevels: parsed.snapshot.bids.length, askLevels: parsed.snapshot.asks.length, fills: this.loadInto(engine, parsed) };
  }

  /** Loads parsed levels into a market now and books the fills of resting orders they crossed. */
  private loadInto(engine: MarketEngine, parsed: ReturnType<MarketEngine["parseL2"]>): SimFill[] {
    const fills = engine.loadL2(parsed, this.clock.now());
    if (fills.length === 0) return [];
    // The market traded through our resting orders.
    const touches = new Map<string, Touch>();
    const booked: SimFill[] = [];
    for (const fill of fills) {
      const maker = this.applyMakerFill(engine, touches, fill);
      if (maker !== null) booked.push(maker);
    }
    this.emitPositionEvents(touches);
    return booked;
  }

  private doSetMark(command: Extract<SimulatorCommand, { type: "setMark" }>): void {
    const engine = this.requireEngine(command.symbol);
    const price = journalDecimal(command.price, "price");
    if (price.lte(0)) throw new ValidationError("invalid mark price", [{ path: "price", message: "must be positive" }]);
    engine.setMark(price);
  }

  private doCheckTriggers(command: Extract<SimulatorCommand, { type: "checkTriggers" }>): TriggerCheckResult {
    const engines = command.symbol === undefined ? [...this.data.engines.values()] : [this.requireEngine(command.symbol)];
    return this.checkingTriggers(() => {
      this.evaluateLiquidations();
      for (const engine of engines) this.evaluateExitPlans(engine);
    });
  }

  private doApplyBook(command: Extract<SimulatorCommand, { type: "applyBook" }>): ApplyBookResult {
    const engine = this.requireEngine(command.symbol);
    const parsed = engine.parseL2(command);
    const now = this.clock.now();
    const { refreshIntervalMs } = this.options;
    const loaded = command.load === "always" || engine.isLoadDue(now, refreshIntervalMs);
    if (parsed.mid !== null) engine.setMark(parsed.mid);
    const fills = loaded ? this.loadInto(engine, parsed) : [];
    const triggers = this.checkingTriggers(() => {
      this.evaluateLiquidations();
      this.evaluateExitPlans(engine);
    });
    return { loaded, nextLoadAt: engine.nextLoadAt(now, refreshIntervalMs), markPrice: engine.mark, fills, triggers };
  }

  /** Runs trigger checks and collects what they closed. */
  private checkingTriggers(check: () => void): TriggerCheckResult {
    const outer = this.triggerReport;
    const report: TriggerCheckResult = { liquidated: [], exits: [] };
    this.triggerReport = report;
    try {
      check();
    } finally {
      this.triggerReport = outer;
    }
    if (outer !== null) {
      outer.liquidated.push(...report.liquidated);
      outer.exits.push(...report.exits);
    }
    return report;
  }

  private doSetFundingRate(command: Extract<SimulatorCommand, { type: "setFundingRate" }>): void {
    this.requireEngine(command.symbol).setFundingRate(journalDecimal(command.rate, "rate"));
  }

  private doSettleFunding(command: Extract<SimulatorCommand, { type: "settleFunding" }>): void {
    this.settle(command.symbol === undefined ? [...this.data.engines.values()] : [this.requireEngine(command.symbol)]);
  }

  private doPlaceOrder(command: Extract<SimulatorCommand, { type: "placeOrder" }>, seq: number): OrderResult {
    const input = command.order;
    const account = this.requireAccount(input.accountId);
    const engine = this.requireEngine(input.symbol);
    const orderId = input.orderId ?? this.generatedOrderId(seq);
    const normalized = normalizeOrder(input, orderId, command.closeTrigger ?? "MANUAL", {
      account,
      market: engine,
      isUsedOrderId: (id) => this.data.usedOrderIds.has(id),
    });
    if ("reason" in normalized) return this.reject(orderId, input.accountId, input.symbol, normalized);
    if (this.latency === null) return this.executeOrder(normalized);
    const arrivesAt = this.clock.now() + this.latency.nextDelayMs();
    this.data.latencyDraws++;
    this.data.usedOrderIds.add(orderId);
    (this.inFlight as InFlightOrders).send(normalized, arrivesAt);
    this.data.orders.addPending(normalized, this.requireEngine(normalized.symbol).market, this.clock.now());
    return { status: "pending", orderId, arrivesAt };
  }

  /** "o<seq>", or "o<seq>.<n>" when a caller already used that id. */
  private generatedOrderId(seq: number): string {
    let orderId = `o${seq}`;
    for (let n = 1; this.isOrderIdTaken(orderId); n++) orderId = `o${seq}.${n}`;
    return orderId;
  }

  private isOrderIdTaken(orderId: string): boolean {
    return this.data.usedOrderIds.has(orderId) || this.data.orders.has(orderId);
  }

  private doClosePosition(command: Extract<SimulatorCommand, { type: "closePosition" }>, seq: number): OrderResult {
    const account = this.requireAccount(command.accountId);
    this.requireEngine(command.symbol);
    const orderId = command.orderId ?? this.generatedOrderId(seq);
    const position = account.positions.get(command.symbol);
    if (position === undefined) return this.reject(orderId, command.accountId, command.symbol, { reason: "NO_POSITION", detail: `${command.accountId} holds no ${command.symbol} position` });
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

  private doCancelOrder(command: Extract<SimulatorCommand, { type: "cancelOrder" }>): CancelResult {
    const account = this.requireAccount(command.accountId);
    const inFlight = this.inFlight?.cancel(command.orderId, account.id);
    if (inFlight !== undefined) {
      const { market } = this.requireEngine(inFlight.symbol);
      const size = lotsToSize(market, inFlight.sizeLots);
      this.emitEvent("orderCancelled", { orderId: command.orderId, accountId: account.id, symbol: inFlight.symbol, size, reason: "REQUESTED" });
      return { status: "cancelled", orderId: command.orderId, size };
    }
    const open = account.openOrders.get(command.orderId);
    if (open === undefined) {
      return { status: "rejected", orderId: command.orderId, reason: "UNKNOWN_ORDER", detail: `${account.id} has no live order ${command.orderId}` };
    }
    const size = this.cancelResting(account, open, "REQUESTED");
    return { status: "cancelled", orderId: command.orderId, size };
  }

  private doSetExitPlan(command: Extract<SimulatorCommand, { type: "setExitPlan" }>): ExitPlanResult {
    const account = this.requireAccount(command.accountId);
    const engine = this.requireEngine(command.symbol);
    const position = account.positions.get(command.symbol);
    if (position === undefined) {
      return { status: "rejected", reason: "NO_POSITION", detail: `${command.accountId} holds no ${command.symbol} position` };
    }
    position.exitPlan = exitPlanFromJson(command.exitPlan);
    engine.setExitTrigger(account.id, exitTriggerOf(account, position));
    const view = positionViewOf(account, position, this.markets);
    this.checkingTriggers(() => {
      this.evaluateLiquidations();
      this.evaluateExitPlans(engine);
    });
    return { status: "updated", position: view };
  }

  private doRestore(command: Extract<SimulatorCommand, { type: "restore" }>): PositionView[] {
    const checked = checkPersistedOrders(command.orders, {
      account: (accountId) => this.requireAccount(accountId),
      market: (symbol) => this.requireEngine(symbol),
      isUsedOrderId: (orderId) => this.data.usedOrderIds.has(orderId),
    });
    const views: PositionView[] = [];
    for (const persisted of checked) {
      const { account, market: engine } = persisted;
      this.data.usedOrderIds.add(persisted.orderId);
      account.positionIds.add(persisted.orderId);
      const position = restoredPosition(persisted);
      account.positions.set(persisted.symbol, position);
      engine.setExitTrigger(account.id, exitTriggerOf(account, position));
      const view = positionViewOf(account, position, this.markets);
      views.push(view);
      this.emitEvent("positionOpened", { position: view });
    }
    for (const symbol of new Set(checked.map((p) => p.symbol))) this.evaluateExitPlans(this.requireEngine(symbol));
    this.evaluateLiquidations();
    return views;
  }

  // ---------------------------------------------------------------- orders

  /**
   * A refusal as a value. Only an order in flight (latency), whose placement returned
   * "pending", is also announced (orderRejected), since its result has been handed out.
   */
  private reject(orderId: string, accountId: string, symbol: string, rejection: Rejection): OrderRejection {
    if (this.data.orders.get(orderId)?.status === "PENDING") {
      this.emitEvent("orderRejected", { orderId, accountId, symbol, reason: rejection.reason, detail: rejection.detail ?? null });
    }
    const result: OrderRejection = { status: "rejected", orderId, reason: rejection.reason };
    if (rejection.detail !== undefined) result.detail = rejection.detail;
    if (rejection.limit !== undefined) result.limit = rejection.limit;
    return result;
  }

  /** Dynamic checks against the state at arrival (reduce-only, margin), then the book; books what the engine returns. */
  private executeOrder(order: NormalizedOrder): OrderResult {
    const account = this.data.accounts.get(order.accountId) as AccountState;
    const engine = this.data.engines.get(order.symbol) as MarketEngine;
    const { market } = engine;
    const position = account.positions.get(order.symbol);
    let sizeLots = order.sizeLots;
    if (order.reduceOnly) {
      if (position === undefined) return this.reject(order.orderId, order.accountId, order.symbol, { reason: "REDUCE_ONLY_NO_POSITION", detail: `no ${order.symbol} position to reduce` });
      if (order.side !== closingOrderSide(position.amount.side)) {
        return this.reject(order.orderId, order.accountId, order.symbol, { reason: "REDUCE_ONLY_WRONG_SIDE", detail: `a ${order.side} order would grow the ${position.amount.side} position` });
      }
      sizeLots = Math.min(sizeLots, sizeToLots(market, position.amount.quantity));
    }
    const leverage = order.leverage ?? position?.leverage ?? market.defaultLeverage;
    if (!order.reduceOnly) {
      // The fill is estimated by walking the book; a pure reduction always fits.
      const estimate = engine.estimateTakerFill(order.side, sizeLots, order.priceTicks, order.postOnly);
      const restingLots = order.type === "limit" && order.timeInForce === "GTC" ? sizeLots - estimate.lots : 0;
      const shortfall = marginShortfall(account, this.markets, engine, { side: order.side, priceTicks: order.priceTicks, restingLots }, leverage, estimate, this.takerFeeRate);
      if (shortfall !== null) return this.reject(order.orderId, order.accountId, order.symbol, { reason: "INSUFFICIENT_MARGIN", detail: shortfall });
    }
    const result = engine.submit({ ...order, sizeLots, leverage });
    if (result.status === "rejected") return this.reject(order.orderId, order.accountId, order.symbol, { reason: result.reason, detail: bookRejectionDetail(result.reason) });
    this.data.usedOrderIds.add(order.orderId);
    const accepted = this.data.orders.accept(
      {
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
      },
      this.clock.now(),
    );
    this.emitEvent("orderAccepted", { order: accepted });
    const taker: FillParty = {
      accountId: order.accountId,
      orderId: order.orderId,
      side: order.side,
      liquidity: "taker",
      feeRate: order.closeTrigger === "LIQUIDATION" ? this.takerFeeRate.plus(this.liquidationFeeRate) : this.takerFeeRate,
      leverage,
      exitPlan: order.exitPlan,
      closeTrigger: order.closeTrigger,
    };
    // Events in order: for each execution the taker's fill then the maker's, makers removed by
    // self-trade prevention, the cancelled remainder, then what happened to positions.
    const touches = new Map<string, Touch>();
    const fills: SimFill[] = [];
    for (const fill of result.fills) {
      fills.push(this.applyFill(engine, touches, fill, taker));
      this.applyMakerFill(engine, touches, fill);
    }
    for (const maker of result.cancelledMakers) this.dropOpenOrder(engine, maker, "SELF_TRADE");
    if (result.cancelReason !== null) {
      this.emitEvent("orderCancelled", {
        orderId: order.orderId,
        accountId: order.accountId,
        symbol: market.symbol,
        size: lotsToSize(market, result.cancelledLots),
        reason: result.cancelReason,
      });
    }
    this.emitPositionEvents(touches);
    if (result.resting !== null) account.openOrders.set(order.orderId, result.resting);
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

  /** Books one side of an execution on its account; the position's exit trigger follows. */
  private applyFill(engine: MarketEngine, touches: Map<string, Touch>, fill: EngineFill, party: FillParty): SimFill {
    const account = this.data.accounts.get(party.accountId) as AccountState;
    const booked = applyAccountFill(account, engine.market, touches, fill, party, this.clock.now());
    if (booked.closed !== null) this.data.closedTrades.push(booked.closed);
    if (booked.triggerChanged) engine.setExitTrigger(account.id, exitTriggerOf(account, account.positions.get(engine.market.symbol)));
    this.emitEvent("orderFilled", { fill: booked.fill });
    return booked.fill;
  }

  /** Books the maker side of an execution when the maker is a simulated account (not external liquidity); returns its fill. */
  private applyMakerFill(engine: MarketEngine, touches: Map<string, Touch>, fill: EngineFill): SimFill | null {
    const maker = fill.maker;
    const account = maker === null ? undefined : this.data.accounts.get(maker.accountId);
    if (maker === null || account === undefined) return null;
    const booked = this.applyFill(engine, touches, fill, {
      accountId: account.id,
      orderId: maker.orderId,
      side: maker.side,
      liquidity: "maker",
      feeRate: this.makerFeeRate,
      leverage: maker.leverage,
      exitPlan: maker.exitPlan,
      closeTrigger: "MANUAL",
    });
    if (fill.makerRemainingLots === 0) account.openOrders.delete(maker.orderId);
    return booked;
  }

  /** Emits opened / changed / closed for every position an operation touched, then keeps reduce-only orders honest. */
  private emitPositionEvents(touches: Map<string, Touch>): void {
    for (const touch of touches.values()) {
      const account = this.data.accounts.get(touch.accountId) as AccountState;
      const after = account.positions.get(touch.symbol);
      if (touch.closed !== null) this.emitEvent("positionClosed", { trade: touch.closed, closeTrigger: touch.closeTrigger });
      if (after !== undefined) {
        const view = positionViewOf(account, after, this.markets);
        if (touch.before === null || touch.before.id !== after.id) this.emitEvent("positionOpened", { position: view });
        else if (!touch.before.quantity.eq(after.amount.quantity)) this.emitEvent("positionChanged", { position: view, realizedPnl: touch.realizedPnl });
      }
      this.reconcileReduceOnly(account, touch.symbol);
      absorbBadDebt(account);
    }
  }

  /** Resting reduce-only orders never outgrow the position: cancelled when it is gone or flipped, shrunk when it shrank. */
  private reconcileReduceOnly(account: AccountState, symbol: string): void {
    const position = account.positions.get(symbol);
    const engine = this.requireEngine(symbol);
    for (const open of [...account.openOrders.values()]) {
      if (open.symbol !== symbol || !open.reduceOnly) continue;
      if (position === undefined || open.side !== closingOrderSide(position.amount.side)) {
        this.cancelResting(account, open, "REDUCE_ONLY_NO_POSITION");
        continue;
      }
      const positionLots = sizeToLots(engine.market, position.amount.quantity);
      if (engine.shrinkTo(open.orderId, positionLots)) this.data.orders.resize(open.orderId, lotsToSize(engine.market, positionLots));
    }
  }

  /** Takes a resting order off its book; returns the size it had left. */
  private cancelResting(account: AccountState, open: Readonly<RestingOrder>, reason: CancelReason): Decimal {
    const engine = this.requireEngine(open.symbol);
    const remainingLots = engine.cancel(open.orderId);
    account.openOrders.delete(open.orderId);
    if (remainingLots === null) return ZERO;
    const size = lotsToSize(engine.market, remainingLots);
    this.emitEvent("orderCancelled", { orderId: open.orderId, accountId: account.id, symbol: open.symbol, size, reason });
    return size;
  }

  /** A resting order the engine already took off the book. */
  private dropOpenOrder(engine: MarketEngine, order: Readonly<RestingOrder>, reason: CancelReason): void {
    const account = this.data.accounts.get(order.accountId);
    if (account === undefined || !account.openOrders.delete(order.orderId)) return;
    const { market } = engine;
    this.emitEvent("orderCancelled", { orderId: order.orderId, accountId: account.id, symbol: market.symbol, size: lotsToSize(market, order.remainingLots), reason });
  }

  // ---------------------------------------------------------------- marks, exits, liquidation, funding

  /** Closes, at market, every position of this market whose stop or target the mark crossed (accounts in creation order). */
  private evaluateExitPlans(engine: MarketEngine): void {
    for (const { accountId, positionId, trigger } of engine.crossedExits()) {
      const account = this.data.accounts.get(accountId);
      const position = account?.positions.get(engine.market.symbol);
      // An earlier close in this loop may have closed it already (as the maker of another's exit).
      if (account === undefined || position === undefined || position.id !== positionId) continue;
      this.closeAtMarket(account, engine, position, trigger);
    }
  }

  private closeAtMarket(account: AccountState, engine: MarketEngine, position: PositionState, trigger: "STOP" | "TARGET" | "LIQUIDATION"): OrderResult {
    let orderId = `${trigger.toLowerCase()}-${++this.data.autoOrderSeq}`;
    // A caller may have used the same id for an order of its own.
    while (this.isOrderIdTaken(orderId)) orderId = `${trigger.toLowerCase()}-${++this.data.autoOrderSeq}`;
    const result = this.executeOrder({
      orderId,
      accountId: account.id,
      symbol: engine.market.symbol,
      side: closingOrderSide(position.amount.side),
      type: "market",
      sizeLots: sizeToLots(engine.market, position.amount.quantity),
      priceTicks: undefined,
      timeInForce: "IOC",
      postOnly: false,
      reduceOnly: true,
      leverage: null,
      exitPlan: null,
      closeTrigger: trigger,
    });
    const exit: TriggeredExit = { accountId: account.id, symbol: engine.market.symbol, trigger, result };
    this.triggerReport?.exits.push(exit);
    return result;
  }

  /** Liquidates every account whose equity fell below its maintenance margin, in creation order. */
  private evaluateLiquidations(): void {
    for (const account of this.data.accounts.values()) {
      if (account.positions.size === 0) continue;
      const margin = standingOf(account, this.markets);
      if (!isBelowMaintenance(margin)) continue;
      for (const open of [...account.openOrders.values()]) this.cancelResting(account, open, "LIQUIDATION");
      const badDebtBefore = account.badDebt;
      const symbols: string[] = [];
      for (const position of [...account.positions.values()]) {
        symbols.push(position.symbol);
        this.closeAtMarket(account, this.requireEngine(position.symbol), position, "LIQUIDATION");
      }
      absorbBadDebt(account);
      const badDebt = account.badDebt.minus(badDebtBefore);
      this.triggerReport?.liquidated.push(account.id);
      this.emitEvent("liquidated", { accountId: account.id, equity: margin.equity, maintenanceMargin: margin.maintenanceMargin, symbols, badDebt });
    }
  }

  private settle(engines: MarketEngine[]): void {
    for (const engine of engines) {
      const { mark, fundingRate, market } = engine;
      if (mark === null || fundingRate.isZero()) continue;
      for (const account of this.data.accounts.values()) {
        const position = account.positions.get(market.symbol);
        if (position === undefined) continue;
        const amount = fundingCashFlow(position.amount.side, position.amount.quantity, mark, fundingRate);
        creditFunding(account, position, amount);
        this.emitEvent("fundingPaid", {
          accountId: account.id,
          symbol: market.symbol,
          side: position.amount.side,
          quantity: position.amount.quantity,
          markPrice: mark,
          rate: fundingRate,
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
        this.atomically(() => this.settle([...this.data.engines.values()]));
        this.scheduleFunding(clock);
      },
      "funding",
    );
  }

  // ---------------------------------------------------------------- lookups and events

  private requireAccount(accountId: string): AccountState {
    const account = this.data.accounts.get(accountId);
    if (account === undefined) throw new NotFoundError("account", accountId);
    return account;
  }

  private requireEngine(symbol: string): MarketEngine {
    const engine = this.data.engines.get(symbol);
    if (engine === undefined) throw new UnknownMarketError(symbol);
    return engine;
  }

  private emitEvent<K extends keyof SimulatorEventMap>(name: K, payload: Omit<SimulatorEventMap[K][0], "type" | "id" | "tsEvent" | "tsInit">): void {
    const now = this.clock.now();
    const event = { type: name, id: `e${++this.data.eventSeq}`, tsEvent: now, tsInit: now, ...payload } as SimulatorEventMap[K][0];
    this.data.orders.track(name, event, now);
    this.events.push(event);
  }
}

/** The number of an event id ("e12" -> 12); 0 for anything else. */
function eventSeqOf(id: string): number {
  const n = typeof id === "string" && id.startsWith("e") ? Number(id.slice(1)) : Number.NaN;
  return Number.isSafeInteger(n) ? n : 0;
}

/** Words for a refusal the book makes. */
function bookRejectionDetail(reason: string): string {
  switch (reason) {
    case "POST_ONLY_WOULD_CROSS":
      return "a post-only order would have taken liquidity";
    case "FOK_NOT_FILLABLE":
      return "a fill-or-kill order could not fill completely at its limit";
    default:
      return `the book refused it: ${reason}`;
  }
}
