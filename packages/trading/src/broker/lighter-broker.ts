/**
 * LighterBroker: one Lighter account (one live model) through @autonome/lighter-client.
 *
 * Entries and exits are IOC market orders with a slippage cap, tracked until the
 * exchange reports their fills; the Order is written before a method returns ok, at the
 * price and with the fee of the order's own trades on the venue (GET /api/v1/trades).
 * A close keeps the SL/TP legs armed until it has filled: filled whole, the legs are
 * cancelled; filled in part, the part is written as a CLOSED Order (its own fills, fee and
 * PnL), the OPEN Order shrinks to the rest, and the rest gets legs of its size; refused or
 * unknown, the legs stay as they were.
 * Stops and targets are reduce-only trigger orders on the exchange; their order
 * indices and trigger prices are stored on the Order (slOrderIndex/tpOrderIndex,
 * slTriggerPrice/tpTriggerPrice). Reconciliation (start and every tick) compares the
 * exchange's positions and orders with the OPEN Orders:
 *  - a position gone because an SL/TP leg filled is closed with that leg's ACTUAL
 *    trades (average price, fees) and its closeTrigger, and the other leg is cancelled;
 *  - a position the exchange liquidated (or auto-deleveraged) is closed with closeTrigger
 *    LIQUIDATION at the liquidation's own fill, fee and time (see `liquidationClose`);
 *  - a position gone for another reason is closed at the best known price and logged;
 *  - a position the exchange holds smaller than its Order (a part closed without its write)
 *    has the part recorded as a CLOSED Order at the account's trades that reduced it, with
 *    their fees, and the OPEN Order shrunk to the venue's size (`closePartOfPosition`);
 *  - a position gone because reduce-only orders closed it is closed at their cumulative fills;
 *  - funding the exchange settled on a position (GET /api/v1/positionFunding) is added to its
 *    Order, each settlement once;
 *  - a position the database does not know (a crash between the fill and the write)
 *    is adopted as an OPEN Order with the exchange's size and entry;
 *  - a stop or target whose trigger order is gone unfilled (expired, cancelled by hand,
 *    never placed) while the position is open is placed again;
 *  - trigger orders of no open Order are cancelled.
 * All operations of one broker run one at a time.
 */
import {
  type CloseTrigger,
  type Clock,
  Decimal,
  type ExitPlan,
  type Market,
  type OrderSide,
  type Side,
  SystemClock,
  UnknownMarketError,
  ValidationError,
  ZERO,
  closingOrderSide,
  emptyExitPlan,
  openingOrderSide,
  roundToStep,
  toDecimal,
  unrealizedPnl,
} from "@autonome/core";
import type { ClosedOrder, Db, ModelRecord, OpenOrder } from "@autonome/db";
import {
  LighterApiKey,
  LighterInvalidNonceError,
  type LighterLiquidation,
  type LighterMarketDetails,
  type LighterOrder,
  type LighterPositionFunding,
  type LighterTrade,
  LighterRateLimitError,
  LighterRequestError,
  LighterRestClient,
  LighterTradingClient,
  tradeFeeOf,
} from "@autonome/lighter-client";
import type { MarketSource } from "@autonome/market-data";
import { SerialQueue, errorMessage, to8 } from "../internal/util.js";
import { type LighterAccountConfig, type LighterConfig, SILENT_LOGGER, type TradingLogger } from "../runtime-types.js";
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
  emptyReconcileReport,
  executed,
  failed,
  failedOnThrow,
  filledNotRecorded,
  refused,
  triggerOnTick,
  writeOrder,
} from "./broker.js";

/**
 * A test seam: called at the points where a crash leaves the exchange and Orders apart,
 * after the exchange filled and before the database write. The kill tests inject hooks
 * that SIGKILL the process there; production code leaves them unset.
 */
export interface LighterBrokerHooks extends BrokerWriteHooks {
  /** After an entry filled on the exchange, before its Order is written. */
  afterFill?(): void | Promise<void>;
  /** After a close filled on the exchange, before its Order is closed. */
  afterCloseFill?(): void | Promise<void>;
}

/** Options of LighterBroker.connect. */
export interface LighterBrokerOptions {
  db: Db;
  /** Marks for account values (the live feed in production). */
  market: MarketSource;
  /** Time of database rows. */
  clock: Clock;
  lighter: LighterConfig;
  account: LighterAccountConfig;
  logger?: TradingLogger;
}

/** Options of the constructor (clients built by the caller). */
export interface LighterBrokerParts {
  db: Db;
  market: MarketSource;
  clock: Clock;
  rest: LighterRestClient;
  trading: LighterTradingClient;
  accountIndex: number;
  pollIntervalMs?: number;
  fillTimeoutMs?: number;
  maxSlippage?: Decimal;
  logger?: TradingLogger;
  /** Test seam (see LighterBrokerHooks); unset in production. */
  hooks?: LighterBrokerHooks;
}

interface FilledOrder {
  quantity: Decimal;
  averagePrice: Decimal;
  /** The venue's fee on the order's trades; estimated at the market's taker rate only when they cannot be read. */
  fee: Decimal;
  orderIndex: bigint | undefined;
}

/** An order's own trades summed: size, notional, the fee its owner paid and the newest trade's time. */
interface OrderTrades {
  quantity: Decimal;
  quote: Decimal;
  fee: Decimal;
  at: number;
}

/** The live broker for one Lighter account. */
export class LighterBroker implements Broker {
  readonly mode = "LIVE" as const;
  readonly accountIndex: number;
  private readonly p: Required<Omit<LighterBrokerParts, "logger" | "hooks">> & { logger: TradingLogger; hooks: LighterBrokerHooks };
  private readonly queue = new SerialQueue();
  private details = new Map<string, LighterMarketDetails>();
  private loaded: Promise<void> | undefined;
  /** Venue closes found outside sync() (inside a tool call), handed out by the next sync(). */
  private unreported: VenueClose[] = [];
  /** Per OPEN Order, the newest venue funding settlement recorded on it (ms): older ones are not written again. */
  private readonly fundedUntil = new Map<string, number>();

  constructor(parts: LighterBrokerParts) {
    this.accountIndex = parts.accountIndex;
    this.p = {
      pollIntervalMs: 250,
      fillTimeoutMs: 30_000,
      maxSlippage: toDecimal("0.01"),
      ...parts,
      logger: parts.logger ?? SILENT_LOGGER,
      hooks: parts.hooks ?? {},
    };
  }

  /** Builds the REST and trading clients for an account. The private key is used, never logged. */
  static connect(options: LighterBrokerOptions): LighterBroker {
    const networkClock = new SystemClock();
    const rest = new LighterRestClient({ baseUrl: options.lighter.baseUrl, clock: networkClock });
    const trading = new LighterTradingClient({
      rest,
      key: LighterApiKey.fromPrivateKeyHex(options.account.privateKeyHex),
      accountIndex: options.account.accountIndex,
      apiKeyIndex: options.account.apiKeyIndex,
      chainId: options.lighter.chainId ?? 304,
      clock: networkClock,
    });
    return new LighterBroker({
      db: options.db,
      market: options.market,
      clock: options.clock,
      rest,
      trading,
      accountIndex: options.account.accountIndex,
      ...(options.lighter.pollIntervalMs !== undefined ? { pollIntervalMs: options.lighter.pollIntervalMs } : {}),
      ...(options.lighter.fillTimeoutMs !== undefined ? { fillTimeoutMs: options.lighter.fillTimeoutMs } : {}),
      ...(options.lighter.maxSlippage !== undefined ? { maxSlippage: toDecimal(options.lighter.maxSlippage) } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /** @inheritdoc */
  markets(): ReadonlyMap<string, Market> {
    return new Map([...this.details.values()].map((d) => [d.market.symbol, d.market]));
  }

  /** @inheritdoc */
  async marks(): Promise<ReadonlyMap<string, Decimal>> {
    await this.ready();
    const marks = new Map<string, Decimal>();
    for (const d of this.details.values()) {
      let mark: Decimal | undefined;
      try {
        mark = this.p.market.markPrice(d.market.symbol);
      } catch {
        mark = d.lastTradePrice;
      }
      if (mark) marks.set(d.market.symbol, mark);
    }
    return marks;
  }

  /** @inheritdoc */
  start(models: readonly ModelRecord[]): Promise<ReconcileReport> {
    return this.sync(models);
  }

  /** @inheritdoc */
  sync(models: readonly ModelRecord[]): Promise<ReconcileReport> {
    return this.queue.run(async () => {
      await this.ready();
      const report = emptyReconcileReport();
      report.closes.push(...this.unreported);
      this.unreported = [];
      for (const model of models) {
        try {
          await this.reconcileModel(model, report);
        } catch (error) {
          report.errors.push({ modelId: model.id, message: `reconciling with Lighter failed: ${errorMessage(error)}` });
        }
      }
      return report;
    });
  }

  /** @inheritdoc Nothing to do: every sync reconciles each model with the venue and reads its Orders afresh. */
  invalidate(_modelIds: readonly string[]): void {}

  /** @inheritdoc */
  openPosition(model: ModelRecord, request: OpenPositionRequest, audit?: OrderAudit): Promise<BrokerResult<OpenOrder>> {
    return this.run(`opening ${request.symbol}`, async () => {
      await this.ready();
      const detail = this.details.get(request.symbol);
      if (!detail) return refused(`unknown market ${request.symbol}`);
      const market = detail.market;
      const quantity = roundToStep(request.quantity, market.lotSize, "down");
      if (quantity.lte(0)) return refused(`quantity ${request.quantity.toString()} is below one lot (${market.lotSize.toString()})`);
      try {
        await this.p.trading.updateLeverage(request.symbol, request.leverage.toNumber());
      } catch (error) {
        return sendFailure("leverage update", error);
      }
      const filled = await this.marketOrder(detail, openingOrderSide(request.side), quantity, false, "order");
      if ("ok" in filled) return filled;
      if (filled.quantity.lte(0)) return refused("order not filled (no liquidity within the slippage cap)");
      await this.p.hooks.afterFill?.();
      let order: OpenOrder;
      const message = (o: OpenOrder) => `opened ${request.side} ${o.quantity.toString()} ${request.symbol} at ${o.entryPrice.toString()} on Lighter`;
      try {
        order = await writeOrder(
          this.p.db,
          (orders) =>
            orders.openPosition({
              modelId: model.id,
              symbol: request.symbol,
              side: request.side,
              quantity: filled.quantity,
              leverage: request.leverage,
              entryPrice: to8(filled.averagePrice),
              entryFee: filled.fee,
              exitPlan: request.exitPlan,
              openedAt: this.p.clock.now(),
            }),
          audit,
          message,
          this.p.hooks,
        );
      } catch (error) {
        this.p.logger.error("filled on Lighter but not recorded", { modelId: model.id, symbol: request.symbol, quantity: filled.quantity.toString(), error: errorMessage(error) });
        // The position must not wait for reconciliation unprotected: its stop goes to the venue now,
        // and reconciliation adopts it with the position.
        const protection = await this.protectUnrecorded(detail, request.side, filled.quantity, request.exitPlan.stop);
        return filledNotRecorded(
          `filled ${filled.quantity.toString()} ${request.symbol} on Lighter but not recorded (${errorMessage(error)}); reconciliation will adopt the position`,
          protection,
        );
      }
      const placed = await this.placeTriggers(order, request.exitPlan, { stop: true, target: true });
      const note = placed.errors.length > 0 ? `; trigger orders failed: ${placed.errors.join("; ")}` : "";
      return executed(placed.order, `${message(order)}${note}`);
    });
  }

  /** @inheritdoc */
  closePosition(model: ModelRecord, symbol: string, closeTrigger: CloseTrigger | null, audit?: OrderAudit): Promise<BrokerResult<ClosedOrder>> {
    return this.run(`closing ${symbol}`, async () => {
      await this.ready();
      const report = emptyReconcileReport();
      // A leg that fired since the last tick closes the Order with its own fill first.
      await this.reconcileModel(model, report);
      this.unreported.push(...report.closes);
      const open = await this.p.db.orders.openPositionOf(model.id, symbol);
      if (!open) {
        const fired = report.closes.find((c) => c.order.symbol === symbol);
        return refused(fired ? `the ${symbol} position was already closed by its ${fired.closeTrigger.toLowerCase()}` : `no open ${symbol} position`);
      }
      const detail = this.details.get(symbol)!;
      let current = open;
      try {
        current = await this.recordFunding(open, this.p.trading.authToken());
      } catch (error) {
        this.p.logger.warn("reading Lighter funding before a close failed; the Order keeps the funding recorded so far", { orderId: open.orderId, error: errorMessage(error) });
      }
      // The stop and target stay armed until the close has filled: a close that is refused, or
      // whose fill is unknown, leaves the position protected as it was.
      const filled = await this.marketOrder(detail, closingOrderSide(open.side), open.quantity, true, "close");
      if ("ok" in filled) return { ...filled, reason: `${filled.reason}; its stop and target stay armed` };
      if (filled.quantity.lte(0)) return refused("close not filled (no liquidity within the slippage cap); its stop and target stay armed");
      await this.p.hooks.afterCloseFill?.();
      const closedAt = Math.max(this.p.clock.now(), open.openedAt);
      if (filled.quantity.lt(open.quantity)) return this.recordPartialClose(model, current, filled, closeTrigger, closedAt, audit);
      // Filled whole: the legs have nothing left to protect.
      await this.cancelLegs(open);
      let closed: ClosedOrder;
      const message = (c: ClosedOrder) =>
        `closed ${c.side} ${c.quantity.toString()} ${symbol} at ${c.exitPrice.toString()} on Lighter, realized ${c.realizedPnl.toString()} USD net of fees`;
      try {
        closed = await writeOrder(
          this.p.db,
          (orders) =>
            orders.closePosition({
              orderId: open.orderId,
              exitPrice: to8(filled.averagePrice),
              exitFee: filled.fee,
              closeTrigger,
              closedAt,
            }),
          audit,
          message,
          this.p.hooks,
        );
      } catch (error) {
        this.p.logger.error("close filled on Lighter but not recorded", { modelId: model.id, orderId: open.orderId, symbol, error: errorMessage(error) });
        return filledNotRecorded(`closed ${symbol} on Lighter but not recorded (${errorMessage(error)}); reconciliation will close the Order at the fill`);
      }
      this.fundedUntil.delete(open.orderId);
      return executed(closed, message(closed));
    });
  }

  /**
   * A close that filled in part: the part is written as a CLOSED Order with its own fills, fees
   * and PnL and the OPEN Order shrinks to the rest (one transaction); the rest keeps a stop and a
   * target sized to it (new legs placed before the old ones are cancelled, so it is never unprotected).
   */
  private async recordPartialClose(
    model: ModelRecord,
    open: OpenOrder,
    filled: FilledOrder,
    closeTrigger: CloseTrigger | null,
    closedAt: number,
    audit: OrderAudit | undefined,
  ): Promise<BrokerResult<ClosedOrder>> {
    const symbol = open.symbol;
    let part: { closed: ClosedOrder; open: OpenOrder } | undefined;
    const message = (c: ClosedOrder) =>
      `closed ${c.quantity.toString()} of ${open.quantity.toString()} ${symbol} at ${c.exitPrice.toString()} on Lighter (the rest found no liquidity within the slippage cap), realized ${c.realizedPnl.toString()} USD net of fees; ${open.quantity.minus(c.quantity).toString()} ${symbol} stays open with its stop and target`;
    try {
      await writeOrder(
        this.p.db,
        async (orders) => {
          const written = await orders.closePartOfPosition({ orderId: open.orderId, quantity: filled.quantity, exitPrice: to8(filled.averagePrice), exitFee: filled.fee, closeTrigger, closedAt });
          part = written;
          return written.closed;
        },
        audit,
        message,
        this.p.hooks,
      );
    } catch (error) {
      this.p.logger.error("partial close filled on Lighter but not recorded", { modelId: model.id, orderId: open.orderId, symbol, error: errorMessage(error) });
      return filledNotRecorded(
        `closed ${filled.quantity.toString()} of ${open.quantity.toString()} ${symbol} on Lighter but not recorded (${errorMessage(error)}); reconciliation will record the part from the venue's trades`,
      );
    }
    const written = part!;
    const resized = await this.resizeLegs(written.open);
    const note = resized.length > 0 ? `; resizing its trigger orders failed (the old ones stay): ${resized.join("; ")}` : "";
    return executed(written.closed, `${message(written.closed)}${note}`);
  }

  /** Places the legs of an Order's plan for its current size, then cancels the legs they replace (only those replaced). */
  private async resizeLegs(order: OpenOrder): Promise<string[]> {
    const stop = order.exitPlan.stop !== null;
    const target = order.exitPlan.target !== null;
    if (!stop && !target) return [];
    const placed = await this.placeTriggers(order, order.exitPlan, { stop, target });
    if (order.slOrderIndex !== null && placed.order.slOrderIndex !== order.slOrderIndex) await this.cancelIndex(order.symbol, order.slOrderIndex);
    if (order.tpOrderIndex !== null && placed.order.tpOrderIndex !== order.tpOrderIndex) await this.cancelIndex(order.symbol, order.tpOrderIndex);
    return placed.errors;
  }

  /** @inheritdoc */
  updateExitPlan(model: ModelRecord, symbol: string, exitPlan: ExitPlan, audit?: OrderAudit): Promise<BrokerResult<OpenOrder>> {
    return this.run(`updating the ${symbol} exit plan`, async () => {
      await this.ready();
      const open = await this.p.db.orders.openPositionOf(model.id, symbol);
      if (!open) return refused(`no open ${symbol} position`);
      const stopChanged = !sameLevel(open.exitPlan.stop, exitPlan.stop);
      const targetChanged = !sameLevel(open.exitPlan.target, exitPlan.target);
      const updated = await writeOrder(this.p.db, (orders) => orders.updateExitPlan(open.orderId, exitPlan), audit, () => `updated the ${symbol} exit plan`, this.p.hooks);
      if (stopChanged && open.slOrderIndex !== null) await this.cancelIndex(symbol, open.slOrderIndex);
      if (targetChanged && open.tpOrderIndex !== null) await this.cancelIndex(symbol, open.tpOrderIndex);
      const cleared = await this.p.db.orders.setTriggerOrders(updated.orderId, {
        ...(stopChanged ? { slOrderIndex: null, slTriggerPrice: null } : {}),
        ...(targetChanged ? { tpOrderIndex: null, tpTriggerPrice: null } : {}),
      });
      const placed = await this.placeTriggers(cleared, exitPlan, { stop: stopChanged, target: targetChanged });
      const note = placed.errors.length > 0 ? `; trigger orders failed: ${placed.errors.join("; ")}` : "";
      return executed(placed.order, `updated the ${symbol} exit plan and its Lighter trigger orders${note}`);
    });
  }

  /** @inheritdoc */
  openOrders(model: ModelRecord): Promise<OpenOrder[]> {
    return this.p.db.orders.openOrdersOfModel(model.id);
  }

  /** @inheritdoc */
  account(model: ModelRecord): Promise<BrokerAccount> {
    return this.queue.run(async () => {
      await this.ready();
      const [venue, orders, marks] = await Promise.all([this.p.rest.account(this.accountIndex), this.p.db.orders.openOrdersOfModel(model.id), this.marks()]);
      let unrealized = ZERO;
      const positions = orders.map((order) => {
        const venuePosition = venue.positions.find((p) => p.symbol === order.symbol);
        const mark = marks.get(order.symbol) ?? order.entryPrice;
        const pnl = unrealizedPnl(order.side, order.quantity, order.entryPrice, mark);
        unrealized = unrealized.plus(pnl);
        return { order, markPrice: mark, unrealizedPnl: pnl, liquidationPrice: venuePosition?.liquidationPrice ?? null };
      });
      return {
        modelId: model.id,
        mode: "LIVE",
        equity: venue.collateral.plus(unrealized),
        available: venue.availableBalance,
        unrealizedPnl: unrealized,
        positions,
      };
    });
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    await this.queue.run(async () => undefined);
  }

  // ------------------------------------------------------------ internals

  /** Runs a broker method in the queue; an error it did not expect is a FAILED result, never a throw. */
  private run<T>(what: string, method: () => Promise<BrokerResult<T>>): Promise<BrokerResult<T>> {
    return this.queue.run(() => failedOnThrow(what, method));
  }

  private ready(): Promise<void> {
    this.loaded ??= (async () => {
      await this.p.trading.loadMarkets();
      const details = await this.p.rest.orderBookDetails();
      this.details = new Map(details.map((d) => [d.market.symbol, d]));
    })().catch((error) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  /**
   * Sends an IOC market order and waits for its fills; a failure to send or to track it is
   * the failure result (REFUSED when the exchange refused it, FAILED when the outcome is unknown).
   */
  private async marketOrder(detail: LighterMarketDetails, side: OrderSide, size: Decimal, reduceOnly: boolean, what: string): Promise<FilledOrder | BrokerFailure> {
    let placed;
    try {
      placed = await this.p.trading.placeMarketOrder({ symbol: detail.market.symbol, side, size, maxSlippage: this.p.maxSlippage, reduceOnly });
    } catch (error) {
      return sendFailure(what, error);
    }
    let fill;
    try {
      fill = await this.p.trading.trackFill(placed, { pollIntervalMs: this.p.pollIntervalMs, timeoutMs: this.p.fillTimeoutMs });
    } catch (error) {
      return failed(`the ${what} was sent to Lighter but its fill is unknown (${errorMessage(error)}); reconciliation will record what the exchange did`);
    }
    const averagePrice = fill.averagePrice ?? ZERO;
    const estimated = { quantity: fill.filledSize, averagePrice, fee: fill.filledSize.mul(averagePrice).mul(detail.takerFeeRate), orderIndex: fill.orderIndex };
    if (fill.orderIndex === undefined || fill.filledSize.lte(0)) return estimated;
    // Price and fee from the venue's own trades of the order (the fee at the account's real rates).
    try {
      const trades = await this.orderTrades(fill.orderIndex);
      if (trades && trades.quantity.eq(fill.filledSize)) return { quantity: trades.quantity, averagePrice: trades.quote.div(trades.quantity), fee: trades.fee, orderIndex: fill.orderIndex };
      this.p.logger.warn("Lighter's trades of an order do not add up to its fill yet; its fee is estimated at the taker rate", {
        orderIndex: fill.orderIndex.toString(),
        filled: fill.filledSize.toString(),
        traded: trades?.quantity.toString() ?? "0",
      });
    } catch (error) {
      this.p.logger.warn("reading Lighter's trades of an order failed; its fee is estimated at the taker rate", { orderIndex: fill.orderIndex.toString(), error: errorMessage(error) });
    }
    return estimated;
  }

  /** The account's trades of one order (GET /api/v1/trades), summed with the fee it paid by its role; undefined when there are none. */
  private async orderTrades(orderIndex: bigint): Promise<OrderTrades | undefined> {
    const { trades } = await this.p.rest.trades({ accountIndex: this.accountIndex, orderIndex, limit: 100, authToken: this.p.trading.authToken() });
    const own = trades.filter((t) => t.askOrderIndex === orderIndex || t.bidOrderIndex === orderIndex);
    if (own.length === 0) return undefined;
    return {
      quantity: own.reduce((sum, t) => sum.plus(t.size), ZERO),
      quote: own.reduce((sum, t) => sum.plus(t.size.mul(t.price)), ZERO),
      fee: own.reduce((sum, t) => sum.plus(tradeFeeOf(t, orderIndex)!), ZERO),
      at: Math.max(...own.map((t) => t.timestamp)),
    };
  }

  /**
   * Records on an OPEN Order the funding Lighter settled on its position since it opened
   * (GET /api/v1/positionFunding: pages of 100, newest first, at most 5), each settlement once
   * (addFunding with its time: a settlement not after the last recorded changes nothing).
   */
  private async recordFunding(order: OpenOrder, token: string): Promise<OpenOrder> {
    const marketId = this.details.get(order.symbol)?.market.marketId;
    if (marketId === undefined) return order;
    const since = Math.max(order.openedAt, (this.fundedUntil.get(order.orderId) ?? -1) + 1);
    const found: LighterPositionFunding[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { fundings, nextCursor } = await this.p.rest.positionFunding(this.accountIndex, token, { marketId, limit: 100, ...(cursor ? { cursor } : {}) });
      found.push(...fundings.filter((f) => f.marketId === marketId && f.timeMs >= since));
      if (!nextCursor || fundings.length === 0 || fundings.some((f) => f.timeMs < since)) break;
      cursor = nextCursor;
    }
    let current = order;
    for (const f of found.sort((a, b) => a.timeMs - b.timeMs || a.fundingId - b.fundingId)) {
      current = await this.p.db.orders.addFunding(order.orderId, f.change, f.timeMs);
      this.fundedUntil.set(order.orderId, f.timeMs);
    }
    return current;
  }

  /** Places the stop and/or target legs of an Order's exit plan and stores their indices. */
  private async placeTriggers(order: OpenOrder, plan: ExitPlan, which: { stop: boolean; target: boolean }): Promise<{ order: OpenOrder; errors: string[] }> {
    const detail = this.details.get(order.symbol)!;
    const side = closingOrderSide(order.side);
    const errors: string[] = [];
    let current = order;
    const legs: Array<{ leg: "STOP" | "TARGET"; price: Decimal | null }> = [
      ...(which.stop ? [{ leg: "STOP" as const, price: plan.stop }] : []),
      ...(which.target ? [{ leg: "TARGET" as const, price: plan.target }] : []),
    ];
    for (const { leg, price } of legs) {
      if (price === null) continue;
      try {
        const trigger = triggerOnTick(price, detail.market);
        const request = { symbol: order.symbol, side, triggerPrice: trigger, size: order.quantity };
        const placed = leg === "STOP" ? await this.p.trading.placeStopLoss(request) : await this.p.trading.placeTakeProfit(request);
        const found = await this.p.trading.findOrder(placed.marketId, placed.clientOrderIndex);
        if (!found) throw new Error(`${leg.toLowerCase()} order ${placed.clientOrderIndex} not found after placing it`);
        current = await this.p.db.orders.setTriggerOrders(
          order.orderId,
          leg === "STOP" ? { slOrderIndex: found.orderIndex, slTriggerPrice: trigger } : { tpOrderIndex: found.orderIndex, tpTriggerPrice: trigger },
        );
      } catch (error) {
        errors.push(`${leg.toLowerCase()}: ${errorMessage(error)}`);
        this.p.logger.error("placing a trigger order failed", { orderId: order.orderId, leg, error: errorMessage(error) });
      }
    }
    return { order: current, errors };
  }

  /** Places the stop-loss of a fill Orders do not record (no Order to attach it to); says what guards the position. */
  private async protectUnrecorded(detail: LighterMarketDetails, side: Side, quantity: Decimal, stop: Decimal | null): Promise<string> {
    if (stop === null) return "no stop: the exit plan has none";
    try {
      const trigger = triggerOnTick(stop, detail.market);
      await this.p.trading.placeStopLoss({ symbol: detail.market.symbol, side: closingOrderSide(side), triggerPrice: trigger, size: quantity });
      return `stop-loss at ${trigger.toString()} placed on Lighter`;
    } catch (error) {
      this.p.logger.error("placing the stop of an unrecorded fill failed", { symbol: detail.market.symbol, error: errorMessage(error) });
      return `no stop: placing it on Lighter failed (${errorMessage(error)})`;
    }
  }

  private async cancelIndex(symbol: string, index: bigint): Promise<boolean> {
    try {
      await this.p.trading.cancelOrder(symbol, index);
      return true;
    } catch (error) {
      this.p.logger.warn("cancel of a trigger order failed (probably gone already)", { symbol, orderIndex: index.toString(), error: errorMessage(error) });
      return false;
    }
  }

  private async cancelLegs(order: OpenOrder): Promise<void> {
    if (order.slOrderIndex !== null) await this.cancelIndex(order.symbol, order.slOrderIndex);
    if (order.tpOrderIndex !== null) await this.cancelIndex(order.symbol, order.tpOrderIndex);
  }

  /**
   * The average price, size and fee of an order's ACTUAL trades (the account's trades of the order,
   * with the fee the venue charged), else of its reported fills with the fee estimated at the taker rate.
   */
  private async actualFill(detail: LighterMarketDetails, order: LighterOrder): Promise<{ price: Decimal; quantity: Decimal; fee: Decimal; at: number | null }> {
    let trades: OrderTrades | undefined;
    try {
      trades = await this.orderTrades(order.orderIndex);
    } catch (error) {
      this.p.logger.warn("reading Lighter's trades of an order failed; its fills as the order reports them are used", { orderIndex: order.orderIndex.toString(), error: errorMessage(error) });
    }
    if (trades) return { price: trades.quote.div(trades.quantity), quantity: trades.quantity, fee: trades.fee, at: trades.at };
    return { price: order.filledQuote.div(order.filledSize), quantity: order.filledSize, fee: order.filledQuote.mul(detail.takerFeeRate), at: order.timestampMs ?? null };
  }

  /**
   * The account's trades in a market that reduced a position on `side` since `sinceMs` (a long
   * is reduced by sells: this account on the ask), newest first, up to 5 pages of 100.
   */
  private async reducingTrades(marketId: number, side: Side, sinceMs: number): Promise<LighterTrade[]> {
    const token = this.p.trading.authToken();
    const found: LighterTrade[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { trades, nextCursor } = await this.p.rest.trades({ accountIndex: this.accountIndex, marketId, limit: 100, authToken: token, ...(cursor ? { cursor } : {}) });
      found.push(...trades.filter((t) => t.timestamp >= sinceMs && (side === "LONG" ? t.askAccountIndex : t.bidAccountIndex) === this.accountIndex));
      if (!nextCursor || trades.length === 0 || trades.some((t) => t.timestamp < sinceMs)) break;
      cursor = nextCursor;
    }
    return found.sort((a, b) => b.timestamp - a.timestamp || b.tradeId - a.tradeId);
  }

  /**
   * The account's liquidations in a market at or after `sinceMs`, newest first: pages of 100,
   * at most 5, stopping at the first page that reaches back before `sinceMs`.
   */
  private async liquidationsSince(marketId: number, sinceMs: number, token: string): Promise<LighterLiquidation[]> {
    const found: LighterLiquidation[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { liquidations, nextCursor } = await this.p.rest.liquidations(this.accountIndex, token, { marketId, limit: 100, ...(cursor ? { cursor } : {}) });
      found.push(...liquidations.filter((l) => l.marketId === marketId && l.timeMs !== undefined && l.timeMs >= sinceMs));
      const reachedBack = liquidations.some((l) => l.timeMs !== undefined && l.timeMs < sinceMs);
      if (!nextCursor || reachedBack || liquidations.length === 0) break;
      cursor = nextCursor;
    }
    return found;
  }

  /**
   * Records a part of a position the venue closed without its write (the venue holds `missing`
   * less than the OPEN Order): from the account's trades that reduced the position since it
   * opened, newest first until they cover `missing` (the oldest used may count in part), a CLOSED
   * Order for the part at their size-weighted price with the fees the venue charged, and the OPEN
   * Order shrunk to what the venue holds (one transaction). Without such trades, at the mark,
   * fee 0, said in the action's detail.
   */
  private async repairPartialClose(model: ModelRecord, order: OpenOrder, detail: LighterMarketDetails, missing: Decimal, report: ReconcileReport): Promise<OpenOrder> {
    const { db, clock, logger } = this.p;
    let covered = ZERO;
    let quote = ZERO;
    let fee = ZERO;
    let newest: number | undefined;
    let closeTrigger: CloseTrigger = "MANUAL";
    try {
      for (const t of await this.reducingTrades(detail.market.marketId, order.side, order.openedAt - 5_000)) {
        if (covered.gte(missing)) break;
        const take = Decimal.min(t.size, missing.minus(covered));
        const ownOrder = order.side === "LONG" ? t.askOrderIndex : t.bidOrderIndex;
        covered = covered.plus(take);
        quote = quote.plus(take.mul(t.price));
        fee = fee.plus(tradeFeeOf(t, ownOrder)!.mul(take).div(t.size));
        newest ??= t.timestamp;
        if (t.type === "liquidation" || t.type === "deleverage") closeTrigger = "LIQUIDATION";
      }
    } catch (error) {
      report.errors.push({ modelId: model.id, message: `reading Lighter trades for ${order.symbol} failed (${errorMessage(error)}); the part closed is recorded at the mark` });
    }
    let liquidation: LiquidationClose | undefined;
    if (covered.lt(missing)) {
      // A partial liquidation the trades do not list: the account's liquidations that cover the part.
      try {
        const liquidations = await this.liquidationsSince(detail.market.marketId, order.openedAt, this.p.trading.authToken());
        liquidation = liquidationClose(liquidations, { side: order.side, quantity: missing, openedAt: order.openedAt }, this.accountIndex).close;
      } catch (error) {
        report.errors.push({ modelId: model.id, message: `reading Lighter liquidations for ${order.symbol} failed (${errorMessage(error)})` });
      }
    }
    let exitPrice: Decimal;
    let detailText: string;
    if (covered.gte(missing) && covered.gt(0)) {
      exitPrice = to8(quote.div(covered));
      detailText = `the venue holds ${order.quantity.minus(missing).toString()} of ${order.quantity.toString()}; the part closed is recorded at the account's trades that reduced it`;
    } else if (liquidation) {
      exitPrice = to8(liquidation.price);
      fee = liquidation.fee;
      newest = liquidation.at;
      closeTrigger = "LIQUIDATION";
      detailText = `the venue holds ${order.quantity.minus(missing).toString()} of ${order.quantity.toString()}; the part was liquidated (${liquidation.ids.join(", ")}) and is recorded at the liquidation's fill`;
    } else {
      try {
        exitPrice = to8(this.p.market.markPrice(order.symbol));
      } catch {
        exitPrice = to8(detail.lastTradePrice ?? order.entryPrice);
      }
      fee = ZERO;
      detailText = `the venue holds ${order.quantity.minus(missing).toString()} of ${order.quantity.toString()} and no trades of the account explain it; the part closed is recorded at the mark`;
    }
    const closedAt = Math.max(order.openedAt, Math.min(newest ?? clock.now(), clock.now()));
    const { closed, open } = await db.orders.closePartOfPosition({ orderId: order.orderId, quantity: missing, exitPrice, exitFee: fee, closeTrigger, closedAt });
    report.actions.push({
      kind: "closedPartOfPosition",
      modelId: model.id,
      orderId: order.orderId,
      closedOrderId: closed.orderId,
      symbol: order.symbol,
      quantity: missing.toString(),
      exitPrice: exitPrice.toString(),
      fees: closed.fees.toString(),
      detail: detailText,
    });
    report.closes.push({ order: closed, closeTrigger, triggerPrice: null, markPrice: liquidation?.markPrice ?? null });
    logger.warn("recorded a part of a position Lighter closed without its write", { modelId: model.id, orderId: order.orderId, symbol: order.symbol, quantity: missing.toString(), detail: detailText });
    return open;
  }

  /**
   * A position still open whose plan has a stop or target but whose trigger order is
   * gone unfilled (expired, cancelled by hand, never placed): place it again.
   */
  private async rearmTriggers(model: ModelRecord, order: OpenOrder, active: readonly LighterOrder[], done: readonly LighterOrder[], report: ReconcileReport): Promise<void> {
    const missing = (index: bigint | null, level: Decimal | null) =>
      level !== null && (index === null || (!active.some((o) => o.orderIndex === index) && !done.some((o) => o.orderIndex === index && o.filledSize.gt(0))));
    const stop = missing(order.slOrderIndex, order.exitPlan.stop);
    const target = missing(order.tpOrderIndex, order.exitPlan.target);
    if (!stop && !target) return;
    const placed = await this.placeTriggers(order, order.exitPlan, { stop, target });
    for (const [leg, wanted, index] of [
      ["STOP", stop, placed.order.slOrderIndex],
      ["TARGET", target, placed.order.tpOrderIndex],
    ] as const) {
      if (!wanted || index === null || index === (leg === "STOP" ? order.slOrderIndex : order.tpOrderIndex)) continue;
      report.actions.push({ kind: "replacedTrigger", modelId: model.id, orderId: order.orderId, symbol: order.symbol, leg, orderIndex: index.toString() });
    }
    for (const error of placed.errors) report.errors.push({ modelId: model.id, message: `re-arming ${order.symbol}: ${error}` });
  }

  /** Brings one model's OPEN Orders in line with the exchange (see the module header). */
  private async reconcileModel(model: ModelRecord, report: ReconcileReport): Promise<void> {
    const { db, rest, trading, clock, logger } = this.p;
    const [venue, orders] = await Promise.all([rest.account(this.accountIndex), db.orders.openOrdersOfModel(model.id)]);
    const token = trading.authToken();
    const symbols = new Set([...orders.map((o) => o.symbol), ...venue.positions.map((p) => p.symbol)]);
    const active = new Map<string, LighterOrder[]>();
    const inactive = new Map<string, LighterOrder[]>();
    // Only the markets we trade or hold: a venue lists hundreds, each query has a rate-limit weight.
    const traded = new Set([...symbols, ...this.p.market.markets().map((m) => m.symbol)]);
    for (const d of this.details.values()) {
      if (!traded.has(d.market.symbol)) continue;
      const marketId = d.market.marketId;
      const [a, i] = await Promise.all([
        rest.accountActiveOrders(this.accountIndex, marketId, token),
        symbols.has(d.market.symbol) ? rest.accountInactiveOrders(this.accountIndex, token, { marketId, limit: 100 }) : Promise.resolve({ orders: [] }),
      ]);
      active.set(d.market.symbol, a);
      inactive.set(d.market.symbol, i.orders);
    }
    const known = new Set<bigint>();

    for (const listed of orders) {
      let order = listed;
      const detail = this.details.get(order.symbol);
      if (!detail) continue;
      for (const idx of [order.slOrderIndex, order.tpOrderIndex]) if (idx !== null) known.add(idx);
      // Funding the venue settled on the position, recorded before anything closes it.
      try {
        order = await this.recordFunding(order, token);
      } catch (error) {
        report.errors.push({ modelId: model.id, message: `reading Lighter funding for ${order.symbol} failed (${errorMessage(error)}); recorded at a later sync` });
      }
      const position = venue.positions.find((p) => p.symbol === order.symbol);
      const sameSide = position !== undefined && (position.size.gt(0) ? "LONG" : "SHORT") === order.side;
      const activeHere = active.get(order.symbol) ?? [];
      if (sameSide) {
        const venueQuantity = position.size.abs();
        if (venueQuantity.lt(order.quantity)) {
          // Part of the position was closed without its write (a partial close whose write failed, another client):
          // the part is recorded from the venue's trades.
          order = await this.repairPartialClose(model, order, detail, order.quantity.minus(venueQuantity), report);
        } else if (!venueQuantity.eq(order.quantity)) {
          report.actions.push({
            kind: "sizeMismatch",
            modelId: model.id,
            orderId: order.orderId,
            symbol: order.symbol,
            databaseQuantity: order.quantity.toString(),
            venueQuantity: venueQuantity.toString(),
          });
        }
        await this.rearmTriggers(model, order, activeHere, inactive.get(order.symbol) ?? [], report);
        continue;
      }
      // The exchange no longer holds this position: find the leg that closed it.
      const done = inactive.get(order.symbol) ?? [];
      const legs: Array<{ trigger: "STOP" | "TARGET"; index: bigint | null; price: Decimal | null }> = [
        { trigger: "STOP", index: order.slOrderIndex, price: order.slTriggerPrice },
        { trigger: "TARGET", index: order.tpOrderIndex, price: order.tpTriggerPrice },
      ];
      const fired = legs
        .map((leg) => ({ ...leg, venueOrder: leg.index === null ? undefined : done.find((o) => o.orderIndex === leg.index && o.filledSize.gt(0)) }))
        .find((leg) => leg.venueOrder !== undefined);
      // Cancel whatever leg is still resting: the other leg of a fired SL/TP, or both of a vanished position.
      for (const leg of legs) {
        if (leg.index !== null && activeHere.some((o) => o.orderIndex === leg.index)) {
          await this.cancelIndex(order.symbol, leg.index);
          report.actions.push({ kind: "cancelledOrphanTrigger", modelId: model.id, symbol: order.symbol, orderIndex: leg.index.toString() });
        }
      }
      if (fired?.venueOrder) {
        const fill = await this.actualFill(detail, fired.venueOrder);
        const exitPrice = to8(fill.price);
        const closedAt = Math.max(order.openedAt, Math.min(fill.at ?? clock.now(), clock.now()));
        const closed = await db.orders.closePosition({ orderId: order.orderId, exitPrice, exitFee: fill.fee, closeTrigger: fired.trigger, closedAt });
        report.actions.push({
          kind: "closedByTrigger",
          modelId: model.id,
          orderId: order.orderId,
          symbol: order.symbol,
          closeTrigger: fired.trigger,
          exitPrice: exitPrice.toString(),
          fees: closed.fees.toString(),
        });
        report.closes.push({ order: closed, closeTrigger: fired.trigger, triggerPrice: fired.price, markPrice: null });
        logger.info("exchange SL/TP closed a position", { modelId: model.id, orderId: order.orderId, symbol: order.symbol, closeTrigger: fired.trigger, exitPrice: exitPrice.toString() });
        continue;
      }
      // A liquidation (or auto-deleverage) of this position since it opened: the exchange's own fill.
      let liquidation: LiquidationClose | undefined;
      let partlyLiquidated: Decimal = ZERO;
      try {
        const found = liquidationClose(await this.liquidationsSince(detail.market.marketId, order.openedAt, token), order, this.accountIndex);
        liquidation = found.close;
        partlyLiquidated = found.coveredQuantity;
      } catch (error) {
        report.errors.push({ modelId: model.id, message: `reading Lighter liquidations for ${order.symbol} failed (${errorMessage(error)}); closed without them` });
      }
      if (liquidation) {
        const exitPrice = to8(liquidation.price);
        const closedAt = Math.max(order.openedAt, Math.min(liquidation.at, clock.now()));
        const closed = await db.orders.closePosition({ orderId: order.orderId, exitPrice, exitFee: liquidation.fee, closeTrigger: "LIQUIDATION", closedAt });
        report.actions.push({
          kind: "closedByTrigger",
          modelId: model.id,
          orderId: order.orderId,
          symbol: order.symbol,
          closeTrigger: "LIQUIDATION",
          exitPrice: exitPrice.toString(),
          fees: closed.fees.toString(),
        });
        report.closes.push({ order: closed, closeTrigger: "LIQUIDATION", triggerPrice: null, markPrice: liquidation.markPrice });
        logger.warn("Lighter liquidated a position", {
          modelId: model.id,
          orderId: order.orderId,
          symbol: order.symbol,
          exitPrice: exitPrice.toString(),
          liquidations: liquidation.ids.join(","),
        });
        continue;
      }
      // Closing orders of ours (a crash between the exchange close and the write) or of another
      // client: reduce-only, non-trigger orders on the closing side, placed after this position's
      // own trigger legs (when it had any) and not before it was opened, whose cumulative fills,
      // newest first, cover the size (the oldest one used may count in part).
      const after = [order.slOrderIndex, order.tpOrderIndex].filter((i): i is bigint => i !== null).reduce((m, i) => (i > m ? i : m), 0n);
      const closers = position
        ? []
        : done
            .filter((o) => o.reduceOnly && o.triggerPrice.isZero() && o.isAsk === (order.side === "LONG") && o.filledSize.gt(0) && o.orderIndex > after && (o.timestampMs === undefined || o.timestampMs >= order.openedAt - 5_000))
            .sort((a, b) => (a.orderIndex < b.orderIndex ? 1 : -1));
      const used: Array<{ order: LighterOrder; quantity: Decimal }> = [];
      let covered = ZERO;
      for (const o of closers) {
        if (covered.gte(order.quantity)) break;
        const take = Decimal.min(o.filledSize, order.quantity.minus(covered));
        used.push({ order: o, quantity: take });
        covered = covered.plus(take);
      }
      let exitPrice: Decimal;
      let exitFee = ZERO;
      let detailText: string;
      if (used.length > 0 && covered.gte(order.quantity)) {
        let quote = ZERO;
        for (const u of used) {
          const fill = await this.actualFill(detail, u.order);
          quote = quote.plus(fill.price.mul(u.quantity));
          exitFee = exitFee.plus(fill.fee.mul(u.quantity).div(fill.quantity));
        }
        exitPrice = to8(quote.div(covered));
        const names = used.map((u) => u.order.orderIndex.toString()).join(", ");
        detailText = `closed on the exchange by reduce-only order${used.length > 1 ? "s" : ""} ${names}; recorded at ${used.length > 1 ? "their cumulative" : "its"} fills`;
      } else {
        try {
          exitPrice = to8(this.p.market.markPrice(order.symbol));
        } catch {
          exitPrice = to8(detail.lastTradePrice ?? order.entryPrice);
        }
        detailText = position ? "the exchange holds the opposite side; closed at the mark" : "the exchange holds no such position and no order of ours closed it; closed at the mark";
      }
      if (partlyLiquidated.gt(0)) detailText += `; ${partlyLiquidated.toString()} of ${order.quantity.toString()} was liquidated first`;
      // Never before the open: another process (or machine) may have written it with a clock slightly ahead.
      const closed = await db.orders.closePosition({ orderId: order.orderId, exitPrice, exitFee, closeTrigger: "MANUAL", closedAt: Math.max(clock.now(), order.openedAt) });
      report.actions.push({ kind: "closedMissingPosition", modelId: model.id, orderId: closed.orderId, symbol: order.symbol, exitPrice: exitPrice.toString(), detail: detailText });
      report.closes.push({ order: closed, closeTrigger: "MANUAL", triggerPrice: null, markPrice: null });
      logger.warn("closed an Order the exchange no longer holds", { modelId: model.id, orderId: order.orderId, symbol: order.symbol, detail: detailText });
    }

    // Positions the database does not know: adopt them (a crash between the fill and the write).
    const stillOpen = await db.orders.openOrdersOfModel(model.id);
    for (const position of venue.positions) {
      if (stillOpen.some((o) => o.symbol === position.symbol)) continue;
      const detail = this.details.get(position.symbol);
      if (!detail) continue;
      const side: Side = position.size.gt(0) ? "LONG" : "SHORT";
      const quantity = position.size.abs();
      const leverage = toDecimal(1).div(detail.market.initialMarginFraction).toDecimalPlaces(2, 1);
      // A stop-loss already guarding it (placed when its fill could not be recorded) is adopted with it, not cancelled as an orphan.
      const guard = (active.get(position.symbol) ?? []).find(
        (o) =>
          o.reduceOnly &&
          o.status === "pending" &&
          o.triggerPrice.gt(0) &&
          o.isAsk === (side === "LONG") &&
          (side === "LONG" ? o.triggerPrice.lt(position.avgEntryPrice) : o.triggerPrice.gt(position.avgEntryPrice)),
      );
      const order = await db.orders.openPosition({
        modelId: model.id,
        symbol: position.symbol,
        side,
        quantity,
        leverage,
        entryPrice: to8(position.avgEntryPrice),
        entryFee: quantity.mul(position.avgEntryPrice).mul(detail.takerFeeRate),
        exitPlan: {
          ...emptyExitPlan(),
          stop: guard?.triggerPrice ?? null,
          invalidation:
            guard === undefined
              ? "adopted from the exchange after a crash: no exit plan was recorded"
              : "adopted from the exchange (its fill was not recorded): only its stop-loss was kept",
        },
        openedAt: clock.now(),
        ...(guard === undefined ? {} : { triggers: { slOrderIndex: guard.orderIndex, slTriggerPrice: guard.triggerPrice } }),
      });
      report.actions.push({
        kind: "adoptedUnknownPosition",
        modelId: model.id,
        orderId: order.orderId,
        symbol: position.symbol,
        side,
        quantity: quantity.toString(),
        entryPrice: order.entryPrice.toString(),
      });
      logger.warn("adopted a Lighter position the database did not know", { modelId: model.id, orderId: order.orderId, symbol: position.symbol });
    }

    // Trigger orders no open Order owns.
    const owned = new Set((await db.orders.openOrdersOfModel(model.id)).flatMap((o) => [o.slOrderIndex, o.tpOrderIndex]).filter((i): i is bigint => i !== null));
    for (const [symbol, list] of active) {
      for (const o of list) {
        const isTrigger = o.reduceOnly && o.triggerPrice.gt(0) && o.status === "pending";
        if (!isTrigger || owned.has(o.orderIndex) || known.has(o.orderIndex)) continue;
        await this.cancelIndex(symbol, o.orderIndex);
        report.actions.push({ kind: "cancelledOrphanTrigger", modelId: model.id, symbol, orderIndex: o.orderIndex.toString() });
      }
    }
  }
}

/** How a liquidation closed an Order: the exchange's fill, fee and time. */
export interface LiquidationClose {
  /** Size-weighted price of the liquidation fills used. */
  price: Decimal;
  /** Taker fee of those fills (each at its own rate), on the Order's quantity. */
  fee: Decimal;
  /** Time of the newest fill used, ms. */
  at: number;
  /** The mark price the newest liquidation used, when the venue reported it. */
  markPrice: Decimal | null;
  /** Venue ids of the liquidations used, newest first. */
  ids: number[];
}

/**
 * Decides whether liquidations closed an Order whose position the exchange no longer holds (pure).
 * Candidates: the market's liquidations at or after the Order opened, on the Order's side (a long
 * is sold: this account on the ask; a short bought: on the bid; entries without account ids are
 * accepted). Walking newest first, their sizes are summed until they cover the Order's quantity:
 * a single full liquidation is the common case, several partial ones (a position liquidated in
 * steps) the other. Each fill counts at most for the quantity still uncovered, so the oldest one
 * used may count in part; price is size-weighted and the fee is each fill's own taker rate. When
 * the liquidations cover less than the quantity (liquidated in part, the rest closed otherwise),
 * there is no close, and `coveredQuantity` says how much was liquidated.
 */
export function liquidationClose(
  liquidations: readonly LighterLiquidation[],
  order: Pick<OpenOrder, "side" | "quantity" | "openedAt">,
  accountIndex: number,
  marketId?: number,
): { close: LiquidationClose | undefined; coveredQuantity: Decimal } {
  const ours = liquidations
    .filter((l) => (marketId === undefined || l.marketId === marketId) && l.timeMs !== undefined && l.timeMs >= order.openedAt)
    .filter((l) => {
      const closingAccount = order.side === "LONG" ? l.askAccountIndex : l.bidAccountIndex;
      const bothKnown = l.askAccountIndex !== undefined && l.bidAccountIndex !== undefined;
      return !bothKnown || closingAccount === accountIndex;
    })
    .sort((a, b) => b.timeMs! - a.timeMs! || b.id - a.id);
  let covered = ZERO;
  let quote = ZERO;
  let fee = ZERO;
  const used: LighterLiquidation[] = [];
  for (const l of ours) {
    if (covered.gte(order.quantity)) break;
    const size = Decimal.min(l.size, order.quantity.minus(covered));
    covered = covered.plus(size);
    quote = quote.plus(size.mul(l.price));
    fee = fee.plus(size.mul(l.price).mul(l.takerFeeRate));
    used.push(l);
  }
  if (used.length === 0 || covered.lt(order.quantity)) return { close: undefined, coveredQuantity: covered };
  const newest = used[0]!;
  return {
    close: { price: quote.div(covered), fee, at: newest.timeMs!, markPrice: newest.markPrices.get(newest.marketId) ?? null, ids: used.map((l) => l.id) },
    coveredQuantity: covered,
  };
}

/**
 * A request to Lighter that threw before the exchange accepted it: REFUSED when the exchange
 * (or the client, before sending) refused it, so nothing happened; FAILED when whether it
 * reached the exchange is unknown (a timeout, a 5xx, a network error).
 */
function sendFailure(what: string, error: unknown): BrokerFailure {
  const refusedOutright =
    error instanceof LighterRequestError ||
    error instanceof LighterRateLimitError ||
    error instanceof LighterInvalidNonceError ||
    error instanceof ValidationError ||
    error instanceof UnknownMarketError;
  if (refusedOutright) return refused(`Lighter refused the ${what}: ${errorMessage(error)}`);
  return failed(`sending the ${what} to Lighter failed (${errorMessage(error)}); whether it reached the exchange is unknown, reconciliation will record what it did`);
}

function sameLevel(a: Decimal | null, b: Decimal | null): boolean {
  if (a === null || b === null) return a === b;
  return a.eq(b);
}
