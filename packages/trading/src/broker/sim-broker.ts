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
 * its closed trades. Operations are serialized: the simulator is synchronous, its
 * database writes are not, and one queue keeps them in order.
 */
import {
  type CloseTrigger,
  type Clock,
  type Decimal,
  type DecimalLike,
  type ExitPlan,
  type Market,
  StateConflictError,
  ZERO,
  roundToStep,
  toDecimal,
} from "@autonome/core";
import type { ClosedOrder, Db, ModelRecord, OpenOrder } from "@autonome/db";
import type { MarketSource } from "@autonome/market-data";
import { ExchangeSimulator, type PositionClosedEvent, type SimulatorOptions } from "@autonome/matching-engine";
import { SILENT_LOGGER, type TradingLogger } from "../runtime-types.js";
import { SerialQueue, errorMessage, netPnl, to8 } from "../internal/util.js";
import {
  type Broker,
  type BrokerAccount,
  type BrokerResult,
  type OpenPositionRequest,
  type ReconcileReport,
  type VenueClose,
  emptyReconcileReport,
} from "./broker.js";

/** Options of a SimBroker. */
export interface SimBrokerOptions {
  db: Db;
  market: MarketSource;
  /** Default the market's clock. */
  clock?: Clock;
  /** ExchangeSimulator options (DEFAULT_SIMULATOR_OPTIONS); `initialCapital` is each new account's cash. */
  simulator?: Partial<SimulatorOptions>;
  /** Levels per side loaded from the source each time. Default 20. */
  bookDepth?: number;
  logger?: TradingLogger;
}

interface QueuedClose {
  event: PositionClosedEvent;
  exitFee: Decimal;
  markPrice: Decimal | null;
}

const key = (accountId: string, symbol: string) => `${accountId}\u0000${symbol}`;

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
  /** Closes of positions whose entry was never written (unwound fills): not persisted. */
  private readonly discard = new Set<string>();
  /** Venue closes (stops, targets, liquidations) persisted but not yet handed out by sync(). */
  private unreported: VenueClose[] = [];

  constructor(options: SimBrokerOptions) {
    this.db = options.db;
    this.source = options.market;
    this.clock = options.clock ?? options.market.clock;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.depth = options.bookDepth ?? 20;
    const markets = options.market.markets();
    this.marketMap = new Map(markets.map((m) => [m.symbol, m]));
    this.initialCapital = toDecimal(options.simulator?.initialCapital ?? 10_000);
    this.simulator = new ExchangeSimulator({ markets, clock: this.clock, options: { ...options.simulator, latency: null } });
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

  /** Loads fresh books, persists stops, targets and liquidations, and repairs drift between the simulator and Orders. */
  sync(models: readonly ModelRecord[]): Promise<ReconcileReport> {
    return this.queue.run(async () => {
      const report = emptyReconcileReport();
      await this.ensureAccounts(models);
      this.feedBooks();
      await this.flushCloses(report);
      report.closes.push(...this.unreported);
      this.unreported = [];
      // Orders, not the simulator's command journal, are the record: keep a long-running worker's memory flat.
      this.simulator.truncateJournal(this.simulator.sequence);
      const [realized, open] = await Promise.all([this.realizedByModel(), this.db.orders.allOpenOrders()]);
      for (const model of models) {
        try {
          this.repairDrift(model, realized.get(model.id) ?? ZERO, open.filter((o) => o.modelId === model.id), report);
        } catch (error) {
          report.errors.push({ modelId: model.id, message: errorMessage(error) });
        }
      }
      return report;
    });
  }

  /** @inheritdoc */
  openPosition(model: ModelRecord, request: OpenPositionRequest): Promise<BrokerResult<OpenOrder>> {
    return this.queue.run(async () => {
      await this.ensureAccounts([model]);
      const market = this.marketMap.get(request.symbol);
      if (!market) return { ok: false, reason: `unknown market ${request.symbol}` };
      this.feedBooks([request.symbol]);
      const quantity = roundToStep(request.quantity, market.lotSize, "down");
      if (quantity.lte(0)) return { ok: false, reason: `quantity ${request.quantity.toString()} is below one lot (${market.lotSize.toString()})` };
      const result = this.simulator.openPosition({
        accountId: this.acct(model.id),
        symbol: request.symbol,
        side: request.side,
        quantity,
        leverage: request.leverage,
        exitPlan: request.exitPlan,
      });
      if (result.status === "rejected") return { ok: false, reason: `order rejected: ${result.reason}${result.detail ? ` (${result.detail})` : ""}` };
      if (result.status === "pending") return { ok: false, reason: "order pending: simulated latency is not supported by the broker" };
      if (result.filledSize.lte(0) || result.averagePrice === null) return { ok: false, reason: "order not filled: no liquidity" };
      const fee = result.fills.reduce((sum, f) => sum.plus(f.fee), ZERO);
      let order: OpenOrder;
      try {
        order = await this.db.orders.openPosition({
          modelId: model.id,
          symbol: request.symbol,
          side: request.side,
          quantity: result.filledSize,
          leverage: request.leverage,
          entryPrice: to8(result.averagePrice),
          entryFee: fee,
          exitPlan: request.exitPlan,
          openedAt: this.clock.now(),
        });
        this.orderIdOf.set(key(this.acct(model.id), request.symbol), order.orderId);
      } catch (error) {
        // Unwind: the fill was never recorded, so the simulator must not keep it either.
        this.discard.add(key(this.acct(model.id), request.symbol));
        this.simulator.closePosition(this.acct(model.id), request.symbol);
        this.dropDiscarded();
        return { ok: false, reason: `fill not recorded, position unwound: ${errorMessage(error)}` };
      }
      const report = emptyReconcileReport();
      await this.flushCloses(report);
      const partial = result.status === "partially_filled" ? ` (partial: ${result.filledSize.toString()} of ${quantity.toString()})` : "";
      return {
        ok: true,
        value: order,
        message: `opened ${request.side} ${order.quantity.toString()} ${request.symbol} at ${order.entryPrice.toString()}, fee ${to8(fee).toString()}${partial}`,
      };
    });
  }

  /** @inheritdoc */
  closePosition(model: ModelRecord, symbol: string, closeTrigger: CloseTrigger | null): Promise<BrokerResult<ClosedOrder>> {
    return this.queue.run(async () => {
      await this.ensureAccounts([model]);
      const open = await this.db.orders.openPositionOf(model.id, symbol);
      if (!open) return { ok: false, reason: `no open ${symbol} position` };
      this.feedBooks([symbol]);
      const report = emptyReconcileReport();
      // A stop that fired on the fresh book closed it already: persist that close.
      await this.flushCloses(report);
      const already = this.findClose(report, open.orderId);
      if (already) return { ok: false, reason: `the ${symbol} position was already closed by its ${already.closeTrigger.toLowerCase()}` };
      const accountId = this.acct(model.id);
      if (!this.simulator.positions(accountId).some((p) => p.symbol === symbol)) {
        return { ok: false, reason: `the simulator holds no ${symbol} position for this model; the next sync repairs it` };
      }
      this.requested.set(key(accountId, symbol), closeTrigger);
      const result = this.simulator.closePosition(accountId, symbol);
      if (result.status === "rejected") {
        this.requested.delete(key(accountId, symbol));
        return { ok: false, reason: `close rejected: ${result.reason}` };
      }
      await this.flushCloses(report);
      this.requested.delete(key(accountId, symbol));
      const closed = this.findClose(report, open.orderId);
      if (!closed) return { ok: false, reason: `close of ${symbol} not filled: no liquidity` };
      return {
        ok: true,
        value: closed.order,
        message: `closed ${closed.order.side} ${closed.order.quantity.toString()} ${symbol} at ${closed.order.exitPrice.toString()}, realized ${closed.order.realizedPnl.toString()} USD net of fees`,
      };
    });
  }

  /** @inheritdoc */
  updateExitPlan(model: ModelRecord, symbol: string, exitPlan: ExitPlan): Promise<BrokerResult<OpenOrder>> {
    return this.queue.run(async () => {
      await this.ensureAccounts([model]);
      const open = await this.db.orders.openPositionOf(model.id, symbol);
      const accountId = this.acct(model.id);
      if (!open || !this.simulator.positions(accountId).some((p) => p.symbol === symbol)) return { ok: false, reason: `no open ${symbol} position` };
      const order = await this.db.orders.updateExitPlan(open.orderId, exitPlan);
      this.simulator.setExitPlan(accountId, symbol, exitPlan);
      const report = emptyReconcileReport();
      await this.flushCloses(report);
      const fired = this.findClose(report, open.orderId);
      const note = fired ? `; the new ${fired.closeTrigger.toLowerCase()} was already crossed and closed the position at ${fired.order.exitPrice.toString()}` : "";
      return { ok: true, value: order, message: `updated the ${symbol} exit plan${note}` };
    });
  }

  /** @inheritdoc */
  async account(model: ModelRecord): Promise<BrokerAccount> {
    // Read outside the queue: parallel workflows must not wait on each other's reads.
    const orders = await this.db.orders.openOrdersOfModel(model.id);
    return this.queue.run(async () => {
      await this.ensureAccounts([model]);
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
  async close(): Promise<void> {
    await this.queue.run(async () => {
      this.simulator.dispose();
    });
  }

  // ------------------------------------------------------------ internals

  /** The simulator account of a model (ensureAccounts ran before). */
  private acct(modelId: string): string {
    const id = this.accountOfModel.get(modelId);
    if (id === undefined) throw new Error(`no simulator account for model ${modelId}`);
    return id;
  }

  /** Net realized PnL of every model's closed Orders. */
  private async realizedByModel(): Promise<Map<string, Decimal>> {
    const inputs = await this.db.leaderboard.inputs();
    return new Map(inputs.map((i) => [i.model.id, i.closedTrades.realizedPnl]));
  }

  /** Creates simulator accounts for models seen the first time and restores their OPEN Orders. */
  private async ensureAccounts(models: readonly ModelRecord[]): Promise<void> {
    const missing = models.filter((m) => !this.accountOfModel.has(m.id));
    if (missing.length === 0) return;
    const realized = await this.realizedByModel();
    const open = await this.db.orders.allOpenOrders();
    for (const model of missing) {
      if (this.accountOfModel.has(model.id)) continue;
      this.openAccount(model.id, realized.get(model.id) ?? ZERO, open.filter((o) => o.modelId === model.id));
    }
  }

  /**
   * A fresh simulator account for a model, from Orders: cash = initial capital + net realized
   * PnL - entry fees of the open positions, and the open positions restored with their exit
   * plans (stops and targets armed again).
   */
  private openAccount(modelId: string, realized: Decimal, orders: readonly OpenOrder[]): void {
    const gen = (this.generation.get(modelId) ?? -1) + 1;
    const accountId = gen === 0 ? modelId : `${modelId}~${gen}`;
    const restorable = orders.filter((o) => this.marketMap.has(o.symbol));
    const openFees = restorable.reduce((sum, o) => sum.plus(o.fees), ZERO);
    this.simulator.createAccount(accountId, { initialCapital: this.initialCapital.plus(realized).minus(openFees) });
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
        exitPlan: o.exitPlan,
        openedAt: o.openedAt,
      })),
    );
    this.logger.info("restored open orders into the simulator", { modelId, count: restorable.length });
  }

  /** Loads the source's current books into the simulator (liquidity refreshes on its interval, the mark every time). */
  private feedBooks(symbols: Iterable<string> = this.marketMap.keys()): void {
    for (const symbol of symbols) {
      let book;
      try {
        book = this.source.book(symbol, this.depth);
      } catch (error) {
        this.logger.warn("no book for symbol", { symbol, error: errorMessage(error) });
        continue;
      }
      if (book.bids.length === 0 && book.asks.length === 0) continue;
      this.simulator.applyBook(symbol, {
        bids: book.bids.map((l) => [l.price, l.size] as const),
        asks: book.asks.map((l) => [l.price, l.size] as const),
      });
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

  /** Writes every queued simulator close to Orders; a failed write stays queued for the next flush. */
  private async flushCloses(report: ReconcileReport): Promise<void> {
    const queued = this.closes;
    this.closes = [];
    const retry: QueuedClose[] = [];
    for (const item of queued) {
      const { trade } = item.event;
      const k = key(trade.accountId, trade.symbol);
      const modelId = this.modelOfAccount.get(trade.accountId) ?? trade.accountId;
      const trigger: CloseTrigger | null = this.requested.has(k) && item.event.closeTrigger === "MANUAL" ? this.requested.get(k)! : item.event.closeTrigger;
      const orderId = this.orderIdOf.get(k);
      this.orderIdOf.delete(k);
      try {
        const open = orderId === undefined ? null : await this.db.orders.byId(orderId);
        if (open === null || open.status !== "OPEN") {
          // Closed already (by another worker, or the CLI): the rebuild on the next sync catches up.
          this.logger.warn("simulator closed a position whose Order is not open", { modelId, symbol: trade.symbol, orderId: orderId ?? null });
          continue;
        }
        const exitPrice = to8(trade.exitPrice);
        const fees = open.fees.plus(item.exitFee);
        const order = await this.db.orders.closePosition({
          orderId: open.orderId,
          exitPrice,
          closeTrigger: trigger,
          exitFee: item.exitFee,
          realizedPnl: netPnl(open.side, open.quantity, open.entryPrice, exitPrice, fees, trade.funding),
          closedAt: Math.max(trade.closedAt, open.openedAt),
        });
        this.realizedKnown.set(modelId, (this.realizedKnown.get(modelId) ?? ZERO).plus(order.realizedPnl));
        const close: VenueClose = {
          order,
          closeTrigger: trigger ?? "MANUAL",
          triggerPrice: trigger === "STOP" ? open.exitPlan.stop : trigger === "TARGET" ? open.exitPlan.target : null,
          markPrice: item.markPrice,
        };
        // Closes we asked for are the caller's to report; the venue's own wait for sync().
        if (this.requested.has(k) && item.event.closeTrigger === "MANUAL") report.closes.push(close);
        else this.unreported.push(close);
      } catch (error) {
        if (error instanceof StateConflictError) {
          // A concurrent close of the same Order won (another worker's simulator); nothing to retry.
          this.logger.warn("close already recorded by another process", { modelId, symbol: trade.symbol, orderId: orderId ?? null });
          continue;
        }
        report.errors.push({ modelId, message: `persisting the ${trade.symbol} close failed: ${errorMessage(error)}` });
        if (orderId !== undefined) this.orderIdOf.set(k, orderId);
        retry.push(item);
      }
    }
    this.closes = [...retry, ...this.closes];
  }

  /**
   * Orders are the truth: when the model's OPEN Orders or its realized PnL differ from
   * what this simulator holds (another worker traded the model, or the CLI flattened it
   * from another process), the model's account is rebuilt from Orders.
   */
  private repairDrift(model: ModelRecord, realized: Decimal, modelOrders: readonly OpenOrder[], report: ReconcileReport): void {
    const orders = modelOrders.filter((o) => this.marketMap.has(o.symbol));
    const old = this.acct(model.id);
    const positions = this.simulator.positions(old);
    const samePositions =
      orders.length === positions.length && orders.every((o) => positions.some((p) => p.symbol === o.symbol && p.side === o.side && p.quantity.eq(o.quantity)));
    const known = this.realizedKnown.get(model.id) ?? ZERO;
    if (samePositions && realized.minus(known).abs().lt("0.005")) return;
    // Retire the old account first so its closes are not taken for the model's.
    this.retired.add(old);
    for (const p of positions) {
      this.simulator.closePosition(old, p.symbol);
      this.orderIdOf.delete(key(old, p.symbol));
    }
    this.openAccount(model.id, realized, orders);
    const detail = `Orders hold ${orders.length} open position(s) and ${realized.toString()} USD realized; the simulator held ${positions.length} and ${known.toString()}`;
    report.actions.push({ kind: "resyncedSimulatorAccount", modelId: model.id, detail });
    this.logger.warn("rebuilt a simulator account from Orders", { modelId: model.id, detail });
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

