/**
 * SimBroker: the ExchangeSimulator (one account per model) fed with L2 books from a
 * MarketSource, every fill written to Orders.
 *
 * Invariants: an entry is in Orders before openPosition resolves ok (a fill whose
 * write fails is unwound in the simulator and reported as a failure); every
 * `positionClosed` of the simulator (tool close, stop, target, liquidation) is written
 * with its closeTrigger and the real exit fill; on start the OPEN Orders are restored
 * into the simulator with their exit plans, so stops and targets keep firing across
 * restarts, and each account's cash is its initial capital plus the realized PnL of
 * its closed trades plus the funding accrued on its open ones. Operations are serialized:
 * the simulator is synchronous, its database writes are not, and one queue keeps them in
 * order.
 *
 * Funding: the broker, not the simulator's timer (disabled), settles the source's funding,
 * in sync() and on the simulated clock only. A settlement the source reports (a recorded
 * one, or a synthetic market's) is charged once, at the first sync at or after its
 * timestamp, at its rate, to the positions open then; a source that only gives the rate in
 * force (Lighter) is charged at the first sync in each of the simulator's funding
 * intervals, its rate scaled from the source's interval to the simulator's. Each symbol
 * remembers the last settlement it charged, so nothing is charged twice; a settlement that
 * came due before this broker started is not charged (a previous process charged it). Every
 * charge is added to its Order's `funding` before sync() returns.
 */
import {
  type CloseTrigger,
  type Clock,
  type Decimal,
  type ExitPlan,
  type Market,
  StateConflictError,
  type TimerClock,
  ValidationError,
  ZERO,
  roundToStep,
  toDecimal,
} from "@autonome/core";
import type { ClosedOrder, Db, ModelRecord, OpenOrder } from "@autonome/db";
import type { MarketSource } from "@autonome/market-data";
import { ExchangeSimulator, type FundingPaidEvent, type PositionClosedEvent, type SimulatorOptions } from "@autonome/matching-engine";
// The simulator's own seeded delay model (the same draws as its `latency` option).
import { LatencyModel } from "@autonome/matching-engine/internals";
import { SILENT_LOGGER, type TradingLogger } from "../runtime-types.js";
import { SerialQueue, compareIds, describeTrigger, errorMessage, netPnl, to8 } from "../internal/util.js";
import {
  type Broker,
  type BrokerAccount,
  type BrokerFailure,
  type BrokerResult,
  type BrokerWriteHooks,
  type OpenPositionRequest,
  type OrderAudit,
  type ReconcileReport,
  type VenueClose,
  armedExitPlan,
  emptyReconcileReport,
  executed,
  failed,
  failedOnThrow,
  filledNotRecorded,
  refused,
  writeOrder,
} from "./broker.js";
import { type PriceRange, bookMid, crossedLevels, levelsOf, rangeHolds, shiftBook } from "./trigger-path.js";

/** Options of SimBroker.checkTriggers (see trigger-path.ts for the rules). */
export interface SimTriggerCheckOptions {
  /**
   * How the price got here since the last check: "jump" (default; paper's updates, a
   * minute's open) fires a crossed trigger against the book of this moment; "continuous"
   * (inside a one-minute candle) fires each trigger the move crossed at its own price,
   * against the book of this moment moved there.
   */
  move?: "jump" | "continuous";
  /**
   * The minute this check belongs to (its open time) and each symbol's range in it: a
   * position whose stop and target both lie in the range has its target held back until
   * the next minute (the stop is taken first).
   */
  minute?: { readonly at: number; readonly ranges: ReadonlyMap<string, PriceRange> };
}

/**
 * How a SimBroker reads the source's funding: `settlements` charges each FundingRate the
 * source reports once, at the first sync at or after its `ts` (recorded or synthetic
 * settlements); `interval` charges the rate in force once per simulator funding interval
 * (a live rate, as Lighter gives); `auto` (the default) takes a symbol's funding as
 * settlements once the source has reported a `nextFundingTime` for it, as an interval
 * rate otherwise; `off` charges nothing.
 */
export type SimFundingMode = "auto" | "settlements" | "interval" | "off";

/** Options of a SimBroker. */
export interface SimBrokerOptions {
  db: Db;
  market: MarketSource;
  /** Default the market's clock. */
  clock?: Clock;
  /**
   * ExchangeSimulator options (DEFAULT_SIMULATOR_OPTIONS); `initialCapital` is each new
   * account's cash, `fundingIntervalMs` the interval an interval rate is charged on (default
   * one hour; 0: never). With `latency`, each order the broker sends (an entry, a model's or
   * an operator's close) reaches the book after a delay drawn from that range by a generator
   * seeded with `seed`, in submission order, and fills against the book as it is then.
   */
  simulator?: Partial<SimulatorOptions>;
  /**
   * Waits until an order sent now reaches the book at `at` (epoch ms of the clock). Default:
   * the clock's sleep (a TimerClock). A backtest moves its ManualClock there.
   */
  arrival?: (at: number) => Promise<void>;
  /** How the source's funding is charged. Default "auto". */
  funding?: SimFundingMode;
  /** Levels per side loaded from the source each time. Default 20. */
  bookDepth?: number;
  /**
   * This broker is the only writer of its models' Orders (a backtest's own database): sync
   * skips its per-tick drift check against Orders. Default false: another worker or the CLI
   * may change Orders, and each sync rebuilds an account that drifted.
   */
  exclusive?: boolean;
  logger?: TradingLogger;
  /** Test seams (the crash tests); unset in production. */
  hooks?: BrokerWriteHooks;
}

interface QueuedClose {
  event: PositionClosedEvent;
  exitFee: Decimal;
  markPrice: Decimal | null;
  /** The close trigger resolved at the first, failed, write: a retry records what the close was, not who asks later. */
  trigger?: CloseTrigger | null;
}

/** A simulator close whose Orders write failed (it stays queued): the write's error and the close's trigger. */
interface UnwrittenClose {
  error: string;
  trigger: CloseTrigger | null;
}

const key = (accountId: string, symbol: string) => `${accountId}\u0000${symbol}`;

/** The interval a live funding rate is charged on when the options name none: hourly, as Lighter settles. */
const DEFAULT_FUNDING_INTERVAL_MS = 3_600_000;

/** The simulated broker. */
export class SimBroker implements Broker {
  readonly mode = "SIM" as const;
  /** The simulator (exposed for tests and diagnostics). */
  readonly simulator: ExchangeSimulator;
  private readonly db: Db;
  private readonly source: MarketSource;
  private readonly clock: Clock;
  private readonly logger: TradingLogger;
  private readonly depth: number;
  private readonly initialCapital: Decimal;
  private readonly marketMap: Map<string, Market>;
  /** The simulator account of each model: a model gets a fresh account when its state is rebuilt from Orders. */
  private readonly accountOfModel = new Map<string, string>();
  private readonly modelOfAccount = new Map<string, string>();
  private readonly generation = new Map<string, number>();
  private readonly retired = new Set<string>();
  /** Net realized PnL of each model's closed Orders as this broker knows it; another sum in Orders means another process traded the model. */
  private readonly realizedKnown = new Map<string, Decimal>();
  /** The Order behind each simulator position (account, symbol): a close is written to exactly that Order. */
  private readonly orderIdOf = new Map<string, string>();
  private readonly queue = new SerialQueue();
  private closes: QueuedClose[] = [];
  /** Fees of the fills since the last position event, per account and symbol: the closing fills' fees. */
  private readonly pendingFees = new Map<string, Decimal>();
  /** The close trigger to record for a close we asked for (model: null, operator: MANUAL). */
  private readonly requested = new Map<string, CloseTrigger | null>();
  /** The record to write with a close we asked for (the tool call that asked), per account and symbol. */
  private readonly requestedAudit = new Map<string, OrderAudit>();
  /** Models whose realized PnL the next sync compares with Orders (new here, or back from another process). */
  private readonly recheck = new Set<string>();
  private readonly hooks: BrokerWriteHooks;
  /** Closes of positions whose entry was never written (unwound fills): not persisted. */
  private readonly discard = new Set<string>();
  /**
   * Each model's OPEN Orders by symbol, as this broker knows them: written with every open,
   * close, exit-plan change and funding charge, and replaced from Orders by start and by each
   * sync's drift check. Reads (account, openOrders, closes) come from here, not the database.
   */
  private readonly openOrdersOf = new Map<string, Map<string, OpenOrder>>();
  private readonly exclusive: boolean;
  /** Venue closes (stops, targets, liquidations) persisted but not yet handed out by sync(). */
  private unreported: VenueClose[] = [];
  private readonly fundingMode: SimFundingMode;
  /** The simulator's funding interval, which the broker (not the simulator's timer) keeps. */
  private readonly fundingIntervalMs: number;
  /** Settlements due before this broker started were charged by the process that ran then. */
  private readonly fundingFromMs: number;
  /** Per symbol, the time of the last settlement charged: each is charged once. */
  private readonly fundingSettledAt = new Map<string, number>();
  /** Symbols whose source reports settlements ("auto" mode). */
  private readonly settlementSymbols = new Set<string>();
  /** Funding the simulator settled and Orders have not recorded yet. */
  private fundingPaid: FundingPaidEvent[] = [];
  /** The seeded delay of each order sent (null: orders reach the book at once). */
  private readonly latency: LatencyModel | null;
  private readonly arrival: (at: number) => Promise<void>;
  /** Targets held back for one minute (stop first), by account and symbol: the Order id whose target it is. */
  private heldTargets = new Map<string, string>();
  /** The minute the held targets belong to. */
  private heldMinute: number | null = null;

  constructor(options: SimBrokerOptions) {
    this.db = options.db;
    this.source = options.market;
    this.clock = options.clock ?? options.market.clock;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.depth = options.bookDepth ?? 20;
    const markets = options.market.markets();
    this.marketMap = new Map(markets.map((m) => [m.symbol, m]));
    this.initialCapital = toDecimal(options.simulator?.initialCapital ?? 10_000);
    this.exclusive = options.exclusive ?? false;
    this.hooks = options.hooks ?? {};
    this.fundingMode = options.funding ?? "auto";
    this.fundingIntervalMs = options.simulator?.fundingIntervalMs ?? DEFAULT_FUNDING_INTERVAL_MS;
    if (!Number.isSafeInteger(this.fundingIntervalMs) || this.fundingIntervalMs < 0) {
      throw new ValidationError("invalid simulator options", [{ path: "fundingIntervalMs", message: "must be a non-negative integer of ms" }]);
    }
    this.fundingFromMs = this.clock.now();
    const latency = options.simulator?.latency ?? null;
    this.latency = latency === null ? null : new LatencyModel(latency, options.simulator?.seed ?? 0);
    const clock = this.clock;
    if (this.latency !== null && options.arrival === undefined && typeof (clock as Partial<TimerClock>).sleep !== "function") {
      throw new ValidationError("invalid simulator options", [{ path: "latency", message: "latency needs a clock that can sleep (a TimerClock) or an arrival option" }]);
    }
    this.arrival = options.arrival ?? ((at) => (clock as TimerClock).sleep(Math.max(0, at - clock.now())));
    // The simulator's own funding timer stays off: it would charge again what sync() settles.
    // Its latency too: the broker sends each order after its delay, against the book of that moment.
    this.simulator = new ExchangeSimulator({ markets, clock: this.clock, options: { ...options.simulator, latency: null, fundingIntervalMs: 0 } });
    this.simulator.on("fundingPaid", (event) => {
      if (!this.retired.has(event.accountId)) this.fundingPaid.push(event);
    });
    this.simulator.on("orderFilled", ({ fill }) => {
      const k = key(fill.accountId, fill.symbol);
      this.pendingFees.set(k, (this.pendingFees.get(k) ?? ZERO).plus(fill.fee));
    });
    this.simulator.on("positionOpened", ({ position }) => this.pendingFees.delete(key(position.accountId, position.symbol)));
    this.simulator.on("positionChanged", ({ position }) => this.pendingFees.delete(key(position.accountId, position.symbol)));
    this.simulator.on("positionClosed", (event) => {
      // Closes of a retired account (rebuilt from Orders) are not facts of the model any more.
      if (this.retired.has(event.trade.accountId)) return;
      const k = key(event.trade.accountId, event.trade.symbol);
      const exitFee = this.pendingFees.get(k) ?? ZERO;
      this.pendingFees.delete(k);
      this.closes.push({ event, exitFee, markPrice: this.simulator.markPrice(event.trade.symbol) });
    });
  }

  /** @inheritdoc */
  markets(): ReadonlyMap<string, Market> {
    return this.marketMap;
  }

  /** @inheritdoc */
  async marks(): Promise<ReadonlyMap<string, Decimal>> {
    const marks = new Map<string, Decimal>();
    for (const symbol of this.marketMap.keys()) {
      const mark = this.simulator.markPrice(symbol) ?? safe(() => this.source.markPrice(symbol));
      if (mark) marks.set(symbol, mark);
    }
    return marks;
  }

  /** Restores every OPEN order of these models into the simulator; accounts get capital + realized PnL. */
  start(models: readonly ModelRecord[]): Promise<ReconcileReport> {
    return this.queue.run(async () => {
      const report = emptyReconcileReport();
      this.feedBooks();
      await this.ensureAccounts(models);
      // A restored stop already crossed by the current mark fires at once: persist it.
      await this.flushCloses(report);
      report.closes.push(...this.unreported);
      this.unreported = [];
      return report;
    });
  }

  /**
   * Loads fresh books, settles the funding that came due (at the fresh marks) and records it
   * on the models' Orders, persists stops, targets and liquidations, and repairs drift
   * between the simulator and Orders.
   */
  sync(models: readonly ModelRecord[]): Promise<ReconcileReport> {
    return this.queue.run(async () => {
      const report = emptyReconcileReport();
      await this.ensureAccounts(models);
      this.releaseHeldTargets();
      this.feedBooks();
      this.settleDueFunding();
      await this.persistFunding(models, report);
      await this.flushCloses(report);
      report.closes.push(...this.unreported);
      this.unreported = [];
      // Orders, not the simulator's command journal, are the record: keep a long-running worker's memory flat.
      this.simulator.truncateJournal(this.simulator.sequence);
      if (this.exclusive) return report;
      // Open Orders every sync (a bounded read); realized PnL, which grows with history, only for
      // the models whose open Orders differ from the simulator's, or which another process may
      // have traded since (invalidate): while this broker's worker holds a model's lease nobody
      // else closes its trades.
      const open = await this.db.orders.allOpenOrders();
      const byModel = new Map<string, OpenOrder[]>();
      for (const o of open) {
        const list = byModel.get(o.modelId);
        if (list === undefined) byModel.set(o.modelId, [o]);
        else list.push(o);
      }
      const ordersOf = (modelId: string): readonly OpenOrder[] => byModel.get(modelId) ?? [];
      // Compared once per model: repairDrift reuses the answer.
      const same = new Map(models.map((m) => [m.id, this.samePositions(m.id, ordersOf(m.id))]));
      const rechecked = new Set(models.filter((m) => this.recheck.has(m.id) || !same.get(m.id)).map((m) => m.id));
      const realized = await this.db.orders.realizedPnlByModel([...rechecked]);
      for (const id of rechecked) this.recheck.delete(id);
      for (const model of models) {
        const orders = ordersOf(model.id);
        try {
          const checked = rechecked.has(model.id) ? (realized.get(model.id) ?? ZERO) : null;
          this.repairDrift(model, checked, orders, same.get(model.id) ?? false, report);
        } catch (error) {
          report.errors.push({ modelId: model.id, message: errorMessage(error) });
        }
        this.rememberAll(model.id, orders);
      }
      return report;
    });
  }

  /**
   * Checks stops, targets and liquidations between ticks: loads the source's books of the
   * symbols with open positions (as `options.move` says), writes every close to Orders at
   * once and hands them out (with those sync() had not reported yet). No funding and no drift
   * check: those are the tick's (sync).
   */
  checkTriggers(models: readonly ModelRecord[], options: SimTriggerCheckOptions = {}): Promise<ReconcileReport> {
    return this.queue.run(async () => {
      const report = emptyReconcileReport();
      await this.ensureAccounts(models);
      if (options.minute === undefined || options.minute.at !== this.heldMinute) this.releaseHeldTargets();
      if (options.minute !== undefined) this.holdTargets(options.minute.at, options.minute.ranges);
      this.feedBooks(this.openSymbols(), options.move ?? "jump");
      await this.flushCloses(report);
      report.closes.push(...this.unreported);
      this.unreported = [];
      return report;
    });
  }

  /**
   * What a walk between ticks must watch, per open position: its symbol, the symbol's mark in
   * the simulator, the prices that close it when crossed (its armed stop and target, its
   * invalidation price) and its liquidation price estimate, and its time exit. A walk may
   * skip a minute in which none of them can be reached.
   */
  watchList(): Array<{ symbol: string; mark: Decimal | null; prices: Decimal[]; liquidationPrice: Decimal | null; timeExit: number | null }> {
    const out: Array<{ symbol: string; mark: Decimal | null; prices: Decimal[]; liquidationPrice: Decimal | null; timeExit: number | null }> = [];
    for (const [modelId, accountId] of this.accountOfModel) {
      for (const p of this.simulator.positions(accountId)) {
        const plan = this.openOrdersOf.get(modelId)?.get(p.symbol)?.exitPlan ?? p.exitPlan;
        const prices = [p.exitPlan.stop, p.exitPlan.target, plan.invalidationPrice].filter((x): x is Decimal => x !== null);
        out.push({ symbol: p.symbol, mark: this.simulator.markPrice(p.symbol), prices, liquidationPrice: p.liquidationPrice, timeExit: plan.timeExit });
      }
    }
    return out;
  }

  /** The symbols some model holds a position in (in the simulator); asks the simulator what is held, builds no position views. */
  openSymbols(): string[] {
    const symbols = new Set<string>();
    for (const accountId of this.accountOfModel.values()) for (const symbol of this.simulator.positionSymbols(accountId)) symbols.add(symbol);
    return [...symbols];
  }

  /** @inheritdoc */
  invalidate(modelIds: readonly string[]): void {
    for (const id of modelIds) if (this.accountOfModel.has(id)) this.recheck.add(id);
  }

  /** @inheritdoc */
  async openPosition(model: ModelRecord, request: OpenPositionRequest, audit?: OrderAudit): Promise<BrokerResult<OpenOrder>> {
    const late = await this.inFlight(`opening ${request.symbol}`);
    if (late) return late;
    return this.run(`opening ${request.symbol}`, async () => {
      await this.ensureAccounts([model]);
      const market = this.marketMap.get(request.symbol);
      if (!market) return refused(`unknown market ${request.symbol}`);
      this.feedBooks([request.symbol]);
      const quantity = roundToStep(request.quantity, market.lotSize, "down");
      if (quantity.lte(0)) return refused(`quantity ${request.quantity.toString()} is below one lot (${market.lotSize.toString()})`);
      const result = this.simulator.openPosition({
        accountId: this.acct(model.id),
        symbol: request.symbol,
        side: request.side,
        quantity,
        leverage: request.leverage,
        exitPlan: armedExitPlan(request.exitPlan, market),
      });
      if (result.status === "rejected") return refused(`order rejected: ${result.reason}${result.detail ? ` (${result.detail})` : ""}`);
      if (result.status === "pending") return failed("order pending in the simulator: unexpected, the broker keeps the simulator's own latency off");
      if (result.filledSize.lte(0) || result.averagePrice === null) return refused("order not filled: no liquidity");
      const fee = result.fills.reduce((sum, f) => sum.plus(f.fee), ZERO);
      const partial = result.status === "partially_filled" ? ` (partial: ${result.filledSize.toString()} of ${quantity.toString()})` : "";
      const message = (o: OpenOrder) => `opened ${request.side} ${o.quantity.toString()} ${request.symbol} at ${o.entryPrice.toString()}, fee ${to8(fee).toString()}${partial}`;
      let order: OpenOrder;
      try {
        const averagePrice = result.averagePrice;
        order = await writeOrder(
          this.db,
          (orders) =>
            orders.openPosition({
              modelId: model.id,
              symbol: request.symbol,
              side: request.side,
              quantity: result.filledSize,
              leverage: request.leverage,
              entryPrice: to8(averagePrice),
              entryFee: fee,
              exitPlan: request.exitPlan,
              openedAt: this.clock.now(),
            }),
          audit,
          message,
          this.hooks,
        );
        this.orderIdOf.set(key(this.acct(model.id), request.symbol), order.orderId);
        this.remember(order);
      } catch (error) {
        // Unwind: the fill was never recorded, so the simulator must not keep it either.
        const accountId = this.acct(model.id);
        this.discard.add(key(accountId, request.symbol));
        this.simulator.closePosition(accountId, request.symbol);
        this.dropDiscarded();
        if (this.holds(accountId, request.symbol)) {
          return filledNotRecorded(
            `filled, but writing the Order failed (${errorMessage(error)}) and the simulator could not unwind the position; the next sync rebuilds the account from Orders`,
            this.protectionOf(accountId, request.symbol),
          );
        }
        return failed(`fill not recorded, position unwound: ${errorMessage(error)}`);
      }
      const report = emptyReconcileReport();
      await this.flushCloses(report);
      return executed(order, message(order));
    });
  }

  /** @inheritdoc */
  async closePosition(model: ModelRecord, symbol: string, closeTrigger: CloseTrigger | null, audit?: OrderAudit): Promise<BrokerResult<ClosedOrder>> {
    const late = await this.inFlight(`closing ${symbol}`);
    if (late) return late;
    return this.run(`closing ${symbol}`, async () => {
      await this.ensureAccounts([model]);
      const open = this.openOrdersOf.get(model.id)?.get(symbol);
      if (!open) return refused(`no open ${symbol} position`);
      this.feedBooks([symbol]);
      const report = emptyReconcileReport();
      // A stop that fired on the fresh book closed it already: persist that close.
      const earlier = await this.flushCloses(report);
      const already = this.findClose(report, open.orderId);
      if (already) return refused(`the ${symbol} position was already closed${already.closeTrigger === "MANUAL" ? "" : ` by its ${already.closeTrigger.toLowerCase()}`}`);
      const unwritten = earlier.get(open.orderId);
      if (unwritten !== undefined) {
        // The simulator closed it (a stop, target or liquidation, now or before) and Orders do not say so yet: not a refusal.
        return filledNotRecorded(
          `the ${symbol} position was already closed ${describeClose(unwritten.trigger)} in the simulator, but writing that close to Orders failed (${unwritten.error}); the next sync writes it`,
          "none needed: the simulator closed the position",
        );
      }
      const accountId = this.acct(model.id);
      if (!this.holds(accountId, symbol)) {
        return refused(`the simulator holds no ${symbol} position for this model; the next sync repairs it`);
      }
      const k = key(accountId, symbol);
      this.requested.set(k, closeTrigger);
      if (audit) this.requestedAudit.set(k, audit);
      let result;
      let writeFailures: Map<string, UnwrittenClose>;
      try {
        result = this.simulator.closePosition(accountId, symbol);
        if (result.status === "rejected") return refused(`close rejected: ${result.reason}`);
        writeFailures = await this.flushCloses(report);
      } finally {
        this.requested.delete(k);
        this.requestedAudit.delete(k);
      }
      const closed = this.findClose(report, open.orderId);
      if (closed) return executed(closed.order, closeMessage(closed.order));
      const writeError = writeFailures.get(open.orderId);
      if (writeError !== undefined) {
        return filledNotRecorded(
          `the ${symbol} close filled in the simulator, but writing it to Orders failed (${writeError.error}); the next sync writes it`,
          "none needed: the simulator closed the position",
        );
      }
      if (result.status === "pending") return failed("close pending in the simulator: unexpected, the broker keeps the simulator's own latency off");
      if (result.filledSize.lte(0)) return refused(`close of ${symbol} not filled: no liquidity`);
      if (this.holds(accountId, symbol)) {
        const repair = this.exclusive ? "" : "; the next sync rebuilds the account from Orders";
        return filledNotRecorded(
          `closed only ${result.filledSize.toString()} of ${open.quantity.toString()} ${symbol} (not enough liquidity); Orders still hold the whole position${repair}`,
          this.protectionOf(accountId, symbol),
        );
      }
      return failed(`the ${symbol} Order was closed by another process meanwhile; the next sync rebuilds this account from Orders`);
    });
  }

  /** @inheritdoc */
  updateExitPlan(model: ModelRecord, symbol: string, exitPlan: ExitPlan, audit?: OrderAudit): Promise<BrokerResult<OpenOrder>> {
    return this.run(`updating the ${symbol} exit plan`, async () => {
      await this.ensureAccounts([model]);
      const open = this.openOrdersOf.get(model.id)?.get(symbol);
      const accountId = this.acct(model.id);
      if (!open || !this.holds(accountId, symbol)) return refused(`no open ${symbol} position`);
      const order = await writeOrder(this.db, (orders) => orders.updateExitPlan(open.orderId, exitPlan), audit, () => `updated the ${symbol} exit plan`, this.hooks);
      this.remember(order);
      this.heldTargets.delete(key(accountId, symbol));
      this.simulator.setExitPlan(accountId, symbol, this.armed(symbol, exitPlan));
      const report = emptyReconcileReport();
      const unwritten = (await this.flushCloses(report)).get(open.orderId);
      const fired = this.findClose(report, open.orderId);
      let note = "";
      if (fired) note = `; the new ${fired.closeTrigger.toLowerCase()} was already crossed and closed the position at ${fired.order.exitPrice.toString()}`;
      else if (unwritten !== undefined) {
        note = `; the position then closed ${describeClose(unwritten.trigger)} in the simulator, but writing that close to Orders failed (${unwritten.error}); the next sync writes it`;
      }
      return executed(order, `updated the ${symbol} exit plan${note}`);
    });
  }

  /** @inheritdoc */
  account(model: ModelRecord): Promise<BrokerAccount> {
    return this.queue.run(async () => {
      await this.ensureAccounts([model]);
      const orders = this.knownOpen(model.id);
      const view = this.simulator.account(this.acct(model.id));
      const positions = orders.flatMap((order) => {
        const p = view.positions.find((x) => x.symbol === order.symbol);
        const mark = p?.markPrice ?? this.simulator.markPrice(order.symbol) ?? order.entryPrice;
        return [
          {
            order,
            markPrice: mark,
            unrealizedPnl: p?.unrealizedPnl ?? netPnl(order.side, order.quantity, order.entryPrice, mark, ZERO),
            liquidationPrice: p?.liquidationPrice ?? null,
          },
        ];
      });
      return { modelId: model.id, mode: "SIM", equity: view.equity, available: view.available, unrealizedPnl: view.unrealizedPnl, positions };
    });
  }

  /** @inheritdoc */
  openOrders(model: ModelRecord): Promise<OpenOrder[]> {
    return this.queue.run(async () => {
      await this.ensureAccounts([model]);
      return this.knownOpen(model.id);
    });
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    await this.queue.run(async () => {
      this.simulator.dispose();
    });
  }

  // ------------------------------------------------------------ internals

  /**
   * An order on its way: draws its delay (at once, so the draws follow the submission order)
   * and waits until it reaches the book. Nothing without latency.
   */
  private async inFlight(what: string): Promise<BrokerFailure | undefined> {
    if (this.latency === null) return undefined;
    const at = this.clock.now() + this.latency.nextDelayMs();
    try {
      await this.arrival(at);
      return undefined;
    } catch (error) {
      return failed(`${what} failed: the order never reached the book (${errorMessage(error)})`);
    }
  }

  /** Runs a broker method in the queue; an error it did not expect is a FAILED result, never a throw. */
  private run<T>(what: string, method: () => Promise<BrokerResult<T>>): Promise<BrokerResult<T>> {
    return this.queue.run(() => failedOnThrow(what, method));
  }

  /** What guards a position the simulator holds and Orders may not record: its stop, armed in the simulator, or nothing. */
  private protectionOf(accountId: string, symbol: string): string {
    const position = this.simulator.positions(accountId).find((p) => p.symbol === symbol);
    if (position === undefined) return "the simulator holds no position on it any more";
    const stop = position.exitPlan.stop;
    return stop === null ? "no stop: its exit plan has none" : `stop-loss at ${stop.toString()} armed in the simulator`;
  }

  /** An exit plan as the simulator arms it: stop and target on the market's tick, as LighterBroker places them (see armedExitPlan). */
  private armed(symbol: string, plan: ExitPlan): ExitPlan {
    const market = this.marketMap.get(symbol);
    return market === undefined ? plan : armedExitPlan(plan, market);
  }

  /** Whether the simulator account holds a position in the symbol (no position view built). */
  private holds(accountId: string, symbol: string): boolean {
    return this.simulator.positionSymbols(accountId).includes(symbol);
  }

  /** The simulator account of a model (ensureAccounts ran before). */
  private acct(modelId: string): string {
    const id = this.accountOfModel.get(modelId);
    if (id === undefined) throw new Error(`no simulator account for model ${modelId}`);
    return id;
  }

  /** The model's OPEN Orders in the database's order (opened, then id). */
  private knownOpen(modelId: string): OpenOrder[] {
    const orders = [...(this.openOrdersOf.get(modelId)?.values() ?? [])];
    return orders.sort((a, b) => a.openedAt - b.openedAt || compareIds(a.orderId, b.orderId));
  }

  private remember(order: OpenOrder): void {
    let orders = this.openOrdersOf.get(order.modelId);
    if (!orders) {
      orders = new Map();
      this.openOrdersOf.set(order.modelId, orders);
    }
    orders.set(order.symbol, order);
  }

  private rememberAll(modelId: string, orders: readonly OpenOrder[]): void {
    this.openOrdersOf.set(modelId, new Map(orders.map((o) => [o.symbol, o])));
  }

  /** Creates simulator accounts for models seen the first time and restores their OPEN Orders. */
  private async ensureAccounts(models: readonly ModelRecord[]): Promise<void> {
    const missing = models.filter((m) => !this.accountOfModel.has(m.id));
    if (missing.length === 0) return;
    const [realized, open] = await Promise.all([this.db.orders.realizedPnlByModel(missing.map((m) => m.id)), this.db.orders.allOpenOrders()]);
    for (const model of missing) {
      if (this.accountOfModel.has(model.id)) continue;
      this.openAccount(model.id, realized.get(model.id) ?? ZERO, open.filter((o) => o.modelId === model.id));
    }
  }

  /**
   * A fresh simulator account for a model, from Orders: cash = initial capital + net realized
   * PnL - entry fees of the open positions + the funding they accrued, and the open positions
   * restored with their exit plans (stops and targets armed again) and accrued funding.
   */
  private openAccount(modelId: string, realized: Decimal, orders: readonly OpenOrder[]): void {
    const gen = (this.generation.get(modelId) ?? -1) + 1;
    const accountId = gen === 0 ? modelId : `${modelId}~${gen}`;
    const restorable = orders.filter((o) => this.marketMap.has(o.symbol));
    this.rememberAll(modelId, orders);
    const openFees = restorable.reduce((sum, o) => sum.plus(o.fees), ZERO);
    const openFunding = restorable.reduce((sum, o) => sum.plus(o.funding), ZERO);
    this.simulator.createAccount(accountId, { initialCapital: this.initialCapital.plus(realized).minus(openFees).plus(openFunding) });
    this.generation.set(modelId, gen);
    this.accountOfModel.set(modelId, accountId);
    this.modelOfAccount.set(accountId, modelId);
    this.realizedKnown.set(modelId, realized);
    for (const o of restorable) this.orderIdOf.set(key(accountId, o.symbol), o.orderId);
    if (restorable.length === 0) return;
    this.simulator.restore(
      restorable.map((o) => ({
        accountId,
        // The simulator refuses a reused order id; a rebuilt account's positions get their own.
        orderId: gen === 0 ? o.orderId : `${o.orderId}~${gen}`,
        symbol: o.symbol,
        side: o.side,
        quantity: o.quantity,
        entryPrice: o.entryPrice,
        leverage: o.leverage,
        exitPlan: this.armed(o.symbol, o.exitPlan),
        openedAt: o.openedAt,
        funding: o.funding,
      })),
    );
    this.logger.info("restored open orders into the simulator", { modelId, count: restorable.length });
  }

  /**
   * Loads the source's current books into the simulator (liquidity refreshes on its interval,
   * the mark every time) and checks the triggers. A "continuous" move first visits each
   * stop and target it crossed, in order: the book moved to that price, the mark at it, a
   * trigger check (trigger-path.ts).
   */
  private feedBooks(symbols: Iterable<string> = this.marketMap.keys(), move: "jump" | "continuous" = "jump"): void {
    for (const symbol of symbols) {
      let book;
      try {
        book = this.source.book(symbol, this.depth);
      } catch (error) {
        this.logger.warn("no book for symbol", { symbol, error: errorMessage(error) });
        continue;
      }
      if (book.bids.length === 0 && book.asks.length === 0) continue;
      const levels = levelsOf(book);
      let visited = false;
      const previous = move === "continuous" ? this.simulator.markPrice(symbol) : null;
      const mid = previous === null ? null : bookMid(levels);
      if (previous !== null && mid !== null) {
        const market = this.marketMap.get(symbol)!;
        for (const price of crossedLevels(this.triggerPrices(symbol), previous, mid)) {
          this.simulator.loadBook(symbol, shiftBook(levels, mid, price, market));
          this.simulator.setMark(symbol, price);
          this.simulator.checkTriggers(symbol);
          visited = true;
        }
      }
      // After a visit the liquidity of this moment is loaded again whatever the refresh rule says.
      this.simulator.applyBook(symbol, levels, visited ? { load: "always" } : {});
    }
  }

  /** Every stop and target armed in the simulator on a symbol (held-back targets are not). */
  private triggerPrices(symbol: string): Decimal[] {
    const prices: Decimal[] = [];
    for (const accountId of this.accountOfModel.values()) {
      if (!this.holds(accountId, symbol)) continue;
      const p = this.simulator.positions(accountId).find((x) => x.symbol === symbol);
      if (p?.exitPlan.stop) prices.push(p.exitPlan.stop);
      if (p?.exitPlan.target) prices.push(p.exitPlan.target);
    }
    return prices;
  }

  /** Holds back, for this minute, the target of each position whose stop and target both lie in the minute's range. */
  private holdTargets(at: number, ranges: ReadonlyMap<string, PriceRange>): void {
    this.heldMinute = at;
    for (const [modelId, accountId] of this.accountOfModel) {
      for (const p of this.simulator.positions(accountId)) {
        const range = ranges.get(p.symbol);
        const { stop, target } = p.exitPlan;
        if (range === undefined || stop === null || target === null || !rangeHolds(range, stop, target)) continue;
        const order = this.openOrdersOf.get(modelId)?.get(p.symbol);
        if (order === undefined) continue;
        this.heldTargets.set(key(accountId, p.symbol), order.orderId);
        this.simulator.setExitPlan(accountId, p.symbol, this.armed(p.symbol, { ...order.exitPlan, target: null }));
      }
    }
  }

  /** Arms again the targets held back (of the positions still open), from their Orders. */
  private releaseHeldTargets(): void {
    this.heldMinute = null;
    if (this.heldTargets.size === 0) return;
    const held = this.heldTargets;
    this.heldTargets = new Map();
    for (const [k, orderId] of held) {
      const [accountId, symbol] = k.split("\u0000") as [string, string];
      const modelId = this.modelOfAccount.get(accountId);
      const order = modelId === undefined ? undefined : this.openOrdersOf.get(modelId)?.get(symbol);
      if (this.retired.has(accountId) || order?.orderId !== orderId) continue;
      if (!this.holds(accountId, symbol)) continue;
      this.simulator.setExitPlan(accountId, symbol, this.armed(symbol, order.exitPlan));
    }
  }

  /** Charges every symbol's funding that came due since the last sync (see the module header). */
  private settleDueFunding(): void {
    const now = this.clock.now();
    for (const symbol of this.marketMap.keys()) {
      const due = this.dueFunding(symbol, now);
      if (due === undefined) continue;
      this.fundingSettledAt.set(symbol, due.at);
      if (due.rate.isZero()) continue;
      // The rate is in force for this one settlement only: zero again, nothing else charges it.
      this.simulator.setFundingRate(symbol, due.rate);
      this.simulator.settleFunding(symbol);
      this.simulator.setFundingRate(symbol, 0);
    }
  }

  /** The settlement of a symbol due now and not charged yet: when it came due and its rate per settlement. */
  private dueFunding(symbol: string, now: number): { at: number; rate: Decimal } | undefined {
    if (this.fundingMode === "off") return undefined;
    const funding = safe(() => this.source.fundingRate(symbol));
    if (funding === undefined) return undefined;
    if (this.fundingMode === "auto" && funding.nextFundingTime !== undefined) this.settlementSymbols.add(symbol);
    let at: number;
    let rate: Decimal;
    if (this.fundingMode === "settlements" || (this.fundingMode === "auto" && this.settlementSymbols.has(symbol))) {
      at = funding.ts;
      rate = funding.rate;
      if (at > now) return undefined;
    } else {
      const interval = this.fundingIntervalMs;
      if (interval === 0) return undefined;
      at = Math.floor(now / interval) * interval;
      rate = funding.intervalMs > 0 && funding.intervalMs !== interval ? funding.rate.mul(interval).div(funding.intervalMs) : funding.rate;
    }
    if (at < this.fundingFromMs || at <= (this.fundingSettledAt.get(symbol) ?? Number.NEGATIVE_INFINITY)) return undefined;
    return { at, rate };
  }

  /**
   * Adds the funding settled in this sync to the Orders of these models (one increment
   * per order, keyed by the settlement's time). Other accounts' funding is not recorded here: a model another
   * worker trades is that worker's to charge, and its account here is rebuilt from Orders
   * when this broker syncs it again.
   */
  private async persistFunding(models: readonly ModelRecord[], report: ReconcileReport): Promise<void> {
    const paid = this.fundingPaid;
    this.fundingPaid = [];
    const syncing = new Set(models.map((m) => m.id));
    for (const event of paid) {
      if (this.retired.has(event.accountId)) continue;
      const modelId = this.modelOfAccount.get(event.accountId);
      const orderId = this.orderIdOf.get(key(event.accountId, event.symbol));
      const settledAt = this.fundingSettledAt.get(event.symbol);
      if (modelId === undefined || orderId === undefined || settledAt === undefined || !syncing.has(modelId)) continue;
      const amount = event.amount;
      try {
        // Recorded once per order and settlement: another worker's simulator (or this one before a restart) may have charged it.
        const updated = await this.db.orders.addFunding(orderId, amount, settledAt);
        this.remember(updated);
      } catch (error) {
        // Closed meanwhile (by another process): the next sync rebuilds the account from Orders.
        if (error instanceof StateConflictError) continue;
        report.errors.push({ modelId, message: `recording funding ${to8(amount).toString()} on order ${orderId} failed: ${errorMessage(error)}` });
      }
    }
  }

  private findClose(report: ReconcileReport, orderId: string): VenueClose | undefined {
    return report.closes.find((c) => c.order.orderId === orderId) ?? this.unreported.find((c) => c.order.orderId === orderId);
  }

  private dropDiscarded(): void {
    this.closes = this.closes.filter((c) => {
      const k = key(c.event.trade.accountId, c.event.trade.symbol);
      if (!this.discard.has(k)) return true;
      this.discard.delete(k);
      return false;
    });
  }

  /**
   * Writes every queued simulator close to Orders; a failed write stays queued for the next
   * flush. Returns each failed write, by Order id: its error and the close's trigger.
   */
  private async flushCloses(report: ReconcileReport): Promise<Map<string, UnwrittenClose>> {
    const failures = new Map<string, UnwrittenClose>();
    const queued = this.closes;
    this.closes = [];
    const retry: QueuedClose[] = [];
    for (const item of queued) {
      const { trade } = item.event;
      const k = key(trade.accountId, trade.symbol);
      const modelId = this.modelOfAccount.get(trade.accountId) ?? trade.accountId;
      // A close we asked for (the simulator calls every requested close MANUAL) is recorded with the caller's trigger.
      const asked = item.trigger === undefined && this.requested.has(k) && item.event.closeTrigger === "MANUAL";
      const trigger: CloseTrigger | null = item.trigger !== undefined ? item.trigger : asked ? this.requested.get(k)! : item.event.closeTrigger;
      const orderId = this.orderIdOf.get(k);
      this.orderIdOf.delete(k);
      try {
        const known = this.openOrdersOf.get(modelId)?.get(trade.symbol);
        const open = known !== undefined && known.orderId === orderId ? known : null;
        if (open === null) {
          // Closed already (by another worker, or the CLI): the rebuild on the next sync catches up.
          this.logger.warn("simulator closed a position whose Order is not open", { modelId, symbol: trade.symbol, orderId: orderId ?? null });
          continue;
        }
        const exitPrice = to8(trade.exitPrice);
        const fees = open.fees.plus(item.exitFee);
        // The close we asked for is written with the record of the call that asked, when there is one.
        const audit = asked ? this.requestedAudit.get(k) : undefined;
        const order = await writeOrder(
          this.db,
          (orders) =>
            orders.closePosition({
              orderId: open.orderId,
              exitPrice,
              closeTrigger: trigger,
              exitFee: item.exitFee,
              // What the simulator booked, exactly (its cost basis, not the rounded average prices): a
              // restart rebuilds the cash from these sums and must land on the same digit.
              realizedPnl: trade.grossPnl.minus(fees).plus(trade.funding),
              // The simulator's whole-life funding (restored funding included).
              funding: trade.funding,
              closedAt: Math.max(trade.closedAt, open.openedAt),
            }),
          audit,
          closeMessage,
          this.hooks,
        );
        this.openOrdersOf.get(modelId)?.delete(trade.symbol);
        this.realizedKnown.set(modelId, (this.realizedKnown.get(modelId) ?? ZERO).plus(order.realizedPnl));
        const armed = this.armed(trade.symbol, open.exitPlan);
        const close: VenueClose = {
          order,
          closeTrigger: trigger ?? "MANUAL",
          triggerPrice: trigger === "STOP" ? armed.stop : trigger === "TARGET" ? armed.target : null,
          markPrice: item.markPrice,
        };
        // Closes we asked for are the caller's to report; the venue's own (and retried writes) wait for sync().
        if (asked) report.closes.push(close);
        else this.unreported.push(close);
      } catch (error) {
        if (error instanceof StateConflictError) {
          // A concurrent close of the same Order won (another worker's simulator); nothing to retry.
          this.openOrdersOf.get(modelId)?.delete(trade.symbol);
          this.logger.warn("close already recorded by another process", { modelId, symbol: trade.symbol, orderId: orderId ?? null });
          continue;
        }
        report.errors.push({ modelId, message: `persisting the ${trade.symbol} close failed: ${errorMessage(error)}` });
        if (orderId !== undefined) {
          this.orderIdOf.set(k, orderId);
          failures.set(orderId, { error: errorMessage(error), trigger });
        }
        retry.push({ ...item, trigger });
      }
    }
    this.closes = [...retry, ...this.closes];
    return failures;
  }

  /** Whether the simulator holds exactly the model's OPEN Orders (of the markets it trades). */
  private samePositions(modelId: string, modelOrders: readonly OpenOrder[]): boolean {
    const accountId = this.accountOfModel.get(modelId);
    if (accountId === undefined) return false;
    const orders = modelOrders.filter((o) => this.marketMap.has(o.symbol));
    const positions = this.simulator.positions(accountId);
    // Funding too: another worker (or this one, for a model it did not sync) may have settled some.
    return (
      orders.length === positions.length &&
      orders.every((o) => positions.some((p) => p.symbol === o.symbol && p.side === o.side && p.quantity.eq(o.quantity) && p.funding.minus(o.funding).abs().lt("0.005")))
    );
  }

  /**
   * Orders are the truth: when the model's OPEN Orders (`samePositions`: whether the simulator
   * holds exactly them, as sync compared) or its realized PnL differ from
   * what this simulator holds (another worker traded the model, or the CLI flattened it
   * from another process), the model's account is rebuilt from Orders.
   */
  private repairDrift(model: ModelRecord, checked: Decimal | null, modelOrders: readonly OpenOrder[], samePositions: boolean, report: ReconcileReport): void {
    const orders = modelOrders.filter((o) => this.marketMap.has(o.symbol));
    const old = this.acct(model.id);
    const known = this.realizedKnown.get(model.id) ?? ZERO;
    // Realized PnL not read this sync (same positions, and the model never left this worker): this broker's own sum is the record's.
    const realized = checked ?? known;
    if (samePositions && realized.minus(known).abs().lt("0.005")) return;
    // Retire the old account first so its closes are not taken for the model's.
    this.retired.add(old);
    const held = this.simulator.positionSymbols(old);
    for (const symbol of held) {
      this.simulator.closePosition(old, symbol);
      this.orderIdOf.delete(key(old, symbol));
    }
    this.openAccount(model.id, realized, orders);
    const detail = `Orders hold ${orders.length} open position(s) and ${realized.toString()} USD realized; the simulator held ${held.length} and ${known.toString()}`;
    report.actions.push({ kind: "resyncedSimulatorAccount", modelId: model.id, detail });
    this.logger.warn("rebuilt a simulator account from Orders", { modelId: model.id, detail });
  }
}

/** What a close reports (and its record keeps). */
function closeMessage(order: ClosedOrder): string {
  return `closed ${order.side} ${order.quantity.toString()} ${order.symbol} at ${order.exitPrice.toString()}, realized ${order.realizedPnl.toString()} USD net of fees`;
}

/** How a close came about, in words for the model: "by its stop-loss", "by the model's close". */
function describeClose(trigger: CloseTrigger | null): string {
  return `by ${trigger === null ? "the model's close" : trigger === "MANUAL" ? "an operator close" : `its ${describeTrigger(trigger)}`}`;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

