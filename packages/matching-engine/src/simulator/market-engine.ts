/**
 * MarketEngine: the matching side of one simulated market. It owns the market's OrderBook,
 * its mark price and funding rate, the resting orders of simulated accounts (with what the
 * book does not keep: leverage, reduce-only, exit plan), and the stop/target triggers of the
 * positions held in this market. It knows nothing about cash, positions or margin: what an
 * order or a snapshot did comes back as a value (fills with trade ids and exact prices, the
 * makers they hit, orders removed, the cancelled remainder and why), and the simulator applies
 * that to the accounts.
 *
 * Invariants:
 * - Every order of a simulated account resting on the book has one RestingOrder here whose
 *   `remainingLots` follows its maker fills and shrinks; it is dropped when the order leaves
 *   the book (filled, cancelled, removed by self-trade prevention), and every result that
 *   drops one says so (a fill with makerRemainingLots 0, cancelledMakers, cancel()).
 * - Trade ids are "<symbol>-<n>", n counting every fill of this market from 1 (taker fills and
 *   snapshot fills alike), so they are unique and follow execution order.
 * - A rejected submit or a throwing snapshot load changes nothing here.
 */
import {
  Decimal,
  type ExitPlan,
  type Market,
  type OrderSide,
  type RejectReason,
  type Side,
  ValidationError,
  ZERO,
  lotsToSize,
  ticksToPrice,
} from "@autonome/core";
import type { OrderBook } from "../order-book.js";
import type { BookFill, L2SnapshotTicks, TimeInForce } from "../types.js";
import { parseDecimal } from "../decimal-input.js";
import { plainUnits } from "./units.js";

/**
 * A simulated account's order resting on the book. The engine owns it; the accounts index the
 * same record read-only (its remainingLots moves as the engine fills or shrinks it).
 */
export interface RestingOrder {
  readonly orderId: string;
  readonly accountId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly priceTicks: number;
  readonly leverage: Decimal;
  readonly reduceOnly: boolean;
  readonly postOnly: boolean;
  /** Attached to the position the order opens or grows. */
  readonly exitPlan: ExitPlan | null;
  /** Size left on the book, kept in step with maker fills and shrinks. */
  remainingLots: number;
}

/** An order as it meets the book: integer size and price, plus what its remainder rests with. */
export interface EngineOrder {
  orderId: string;
  accountId: string;
  side: OrderSide;
  type: "market" | "limit";
  priceTicks: number | undefined;
  sizeLots: number;
  timeInForce: TimeInForce;
  postOnly: boolean;
  leverage: Decimal;
  reduceOnly: boolean;
  exitPlan: ExitPlan | null;
}

/** One execution in this market, as a value. */
export interface EngineFill {
  tradeId: string;
  /** The resting order of the match (a simulated account's, or a snapshot level's). */
  makerOrderId: string;
  /** The order that took liquidity (for a snapshot fill: the snapshot level's). */
  takerOrderId: string;
  /** Side of the order that took liquidity (for a snapshot fill: the external side). */
  takerSide: OrderSide;
  price: Decimal;
  quantity: Decimal;
  /** The simulated account's resting order that provided the liquidity; null for external liquidity. */
  maker: Readonly<RestingOrder> | null;
  /** What the maker order has left after this fill (0: it left the book). */
  makerRemainingLots: number;
}

/** What a submit did, as a value. */
export type EngineSubmitResult =
  | { status: "rejected"; reason: RejectReason }
  | {
      status: "filled" | "partially_filled" | "resting" | "cancelled";
      filledLots: number;
      restingLots: number;
      /** In execution order. */
      fills: EngineFill[];
      /** Resting orders self-trade prevention removed (with the size each had left). */
      cancelledMakers: Array<Readonly<RestingOrder>>;
      /** Size of the order neither filled nor resting. */
      cancelledLots: number;
      /** Why `cancelledLots` is not zero; null when it is. */
      cancelReason: "SELF_TRADE" | "UNFILLED_REMAINDER" | null;
      /** The remainder now resting on the book, null when none rests. */
      resting: Readonly<RestingOrder> | null;
    };

/** L2 levels checked and in integer form, with the snapshot's mid (null when a side is empty). */
export interface ParsedL2 {
  snapshot: L2SnapshotTicks;
  mid: Decimal | null;
}

/** A position's stop and target, watched against the mark. */
export interface ExitTrigger {
  positionId: string;
  side: Side;
  stop: Decimal | null;
  target: Decimal | null;
  /** Triggers crossed by one mark change are reported lowest rank first. */
  rank: number;
}

/** A stop or target the mark crossed. */
export interface CrossedExit {
  accountId: string;
  positionId: string;
  trigger: "STOP" | "TARGET";
}

/** A market's state besides its book, as snapshots carry it. */
export interface MarketEngineState {
  mark: Decimal | null;
  fundingRate: Decimal;
  lastLoadAt: number | null;
  tradeSeq: number;
}

/** The matching side of one market: book, mark, funding rate, resting orders and exit triggers. */
export class MarketEngine {
  private markPrice: Decimal | null = null;
  private rate: Decimal = ZERO;
  private loadedAt: number | null = null;
  private seq = 0;
  private readonly resting = new Map<string, RestingOrder>();
  /** The same orders by account id (for the self-trade check). */
  private readonly restingByAccount = new Map<string, Map<string, RestingOrder>>();
  /** By account id. */
  private readonly exits = new Map<string, ExitTrigger>();

  /** Whether plain decimal text converts to ticks (lots) by moving the point: a tick (lot) that is a power of ten. */
  private readonly decimalTicks: boolean;
  private readonly decimalLots: boolean;

  constructor(
    readonly market: Market,
    readonly book: OrderBook,
    private readonly externalAccountId: string,
  ) {
    this.decimalTicks = market.tickSize.eq(new Decimal(10).pow(-market.priceDecimals));
    this.decimalLots = market.lotSize.eq(new Decimal(10).pow(-market.sizeDecimals));
  }

  /** The mark price, null before any market data. */
  get mark(): Decimal | null {
    return this.markPrice;
  }

  /** Funding rate per settlement (positive: longs pay shorts). */
  get fundingRate(): Decimal {
    return this.rate;
  }

  /** Clock time of the last snapshot load, null before the first. */
  get lastLoadAt(): number | null {
    return this.loadedAt;
  }

  /** Number of the last trade of this market. */
  get tradeSeq(): number {
    return this.seq;
  }

  setMark(price: Decimal): void {
    this.markPrice = price;
  }

  setFundingRate(rate: Decimal): void {
    this.rate = rate;
  }

  /**
   * Checks L2 levels given as text and converts them to ticks and lots; zero-size levels are
   * skipped, best levels are found, not assumed first. Throws ValidationError (naming the
   * level) for an off-grid price or size, a negative size or a crossed snapshot.
   */
  parseL2(levels: { bids: ReadonlyArray<readonly [string, string]>; asks: ReadonlyArray<readonly [string, string]> }): ParsedL2 {
    const { market } = this;
    const invalid = (path: string, message: string) => new ValidationError(`invalid ${market.symbol} snapshot`, [{ path, message }]);
    const units = (text: string, step: Decimal, decimals: number, fast: boolean, path: string, what: string): number => {
      const quick = fast ? plainUnits(text, decimals) : undefined;
      if (quick !== undefined) return quick;
      const value = parseDecimal(text);
      if (value === null || value.lt(0)) throw invalid(path, `${what} ${text} is not a non-negative decimal`);
      const count = value.div(step);
      if (!count.isInteger()) throw invalid(path, `${what} ${text} is not a multiple of ${step.toString()}`);
      if (count.gt(Number.MAX_SAFE_INTEGER)) throw invalid(path, `${what} ${text} is out of range`);
      return count.toNumber();
    };
    const toTicks = (side: ReadonlyArray<readonly [string, string]>, name: string): Array<readonly [number, number]> => {
      const out: Array<readonly [number, number]> = [];
      side.forEach(([p, s], i) => {
        const lots = units(s, market.lotSize, market.sizeDecimals, this.decimalLots, `${name}.${i}.size`, "size");
        if (lots === 0) return;
        const ticks = units(p, market.tickSize, market.priceDecimals, this.decimalTicks, `${name}.${i}.price`, "price");
        if (ticks === 0) throw invalid(`${name}.${i}.price`, "must be positive");
        out.push([ticks, lots] as const);
      });
      return out;
    };
    const snapshot: L2SnapshotTicks = { bids: toTicks(levels.bids, "bids"), asks: toTicks(levels.asks, "asks") };
    const topBid = snapshot.bids.reduce<number | undefined>((best, [ticks]) => (best === undefined || ticks > best ? ticks : best), undefined);
    const topAsk = snapshot.asks.reduce<number | undefined>((best, [ticks]) => (best === undefined || ticks < best ? ticks : best), undefined);
    if (topBid !== undefined && topAsk !== undefined && topBid >= topAsk) throw invalid("bids", "best bid must be below best ask");
    const mid = topBid === undefined || topAsk === undefined ? null : ticksToPrice(market, topBid).plus(ticksToPrice(market, topAsk)).div(2);
    return { snapshot, mid };
  }

  /** Whether a load is due under the refresh rule: on the first, then once `refreshIntervalMs` has passed since the last. */
  isLoadDue(now: number, refreshIntervalMs: number): boolean {
    return this.loadedAt === null || now - this.loadedAt >= refreshIntervalMs;
  }

  /** Clock time from which a load is due again. */
  nextLoadAt(now: number, refreshIntervalMs: number): number {
    return this.loadedAt === null ? now : this.loadedAt + refreshIntervalMs;
  }

  /**
   * Replaces the external liquidity with parsed levels now; returns the fills of levels that
   * crossed simulated accounts' resting orders. The book throws (changing nothing) for a
   * snapshot it cannot hold.
   */
  loadL2(parsed: ParsedL2, now: number): EngineFill[] {
    const bookFills = this.book.loadSnapshot(parsed.snapshot, this.externalAccountId);
    this.loadedAt = now;
    return bookFills.map((f) => this.fillOf(f));
  }

  /** Sends an order to the book; a remainder that rests is kept as a RestingOrder. */
  submit(order: EngineOrder): EngineSubmitResult {
    const result = this.book.submit({
      id: order.orderId,
      accountId: order.accountId,
      side: order.side,
      kind: order.type,
      ...(order.priceTicks === undefined ? {} : { priceTicks: order.priceTicks }),
      sizeLots: order.sizeLots,
      timeInForce: order.timeInForce,
      postOnly: order.postOnly,
    });
    if (result.status === "rejected") return { status: "rejected", reason: result.reason ?? "NO_LIQUIDITY" };
    const fills = result.fills.map((f) => this.fillOf(f));
    const cancelledMakers: RestingOrder[] = [];
    for (const makerId of result.cancelledMakerIds) {
      const maker = this.resting.get(makerId);
      if (maker === undefined) continue;
      this.forget(maker);
      cancelledMakers.push(maker);
    }
    const cancelledLots = order.sizeLots - result.filledLots - result.restingLots;
    const cancelReason = cancelledLots === 0 ? null : this.stoppedBySelfTrade(order) ? "SELF_TRADE" : "UNFILLED_REMAINDER";
    let resting: RestingOrder | null = null;
    if (result.restingLots > 0) {
      resting = {
        orderId: order.orderId,
        accountId: order.accountId,
        symbol: this.market.symbol,
        side: order.side,
        priceTicks: order.priceTicks as number,
        leverage: order.leverage,
        reduceOnly: order.reduceOnly,
        postOnly: order.postOnly,
        exitPlan: order.exitPlan,
        remainingLots: result.restingLots,
      };
      this.remember(resting);
    }
    return {
      status: result.status,
      filledLots: result.filledLots,
      restingLots: result.restingLots,
      fills,
      cancelledMakers,
      cancelledLots,
      cancelReason,
      resting,
    };
  }

  /** Cancels a resting order; the size it had left, or null when the book did not hold it. */
  cancel(orderId: string): number | null {
    const cancelled = this.book.cancel(orderId);
    const order = this.resting.get(orderId);
    if (order !== undefined) this.forget(order);
    return cancelled.status === "cancelled" ? cancelled.remainingLots : null;
  }

  /** Cuts a resting order down to `sizeLots` (keeping its queue place); true when it was larger and is now cut. */
  shrinkTo(orderId: string, sizeLots: number): boolean {
    const onBook = this.book.order(orderId);
    if (onBook === undefined || onBook.sizeLots <= sizeLots) return false;
    if (this.book.modify(orderId, { sizeLots }).status === "rejected") return false;
    const order = this.resting.get(orderId);
    if (order !== undefined) order.remainingLots = sizeLots;
    return true;
  }

  /** Size the book holds for an order, undefined when it holds none. */
  bookLots(orderId: string): number | undefined {
    return this.book.order(orderId)?.sizeLots;
  }

  /** Walks the opposite side of the book for `sizeLots`, up to a limit price: lots and notional a taker would get. */
  estimateTakerFill(side: OrderSide, sizeLots: number, limitTicks: number | undefined, postOnly: boolean): { lots: number; notional: Decimal } {
    if (postOnly) return { lots: 0, notional: ZERO };
    const { market, book } = this;
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

  /** Watches (or, with null, stops watching) the stop and target of an account's position in this market. */
  setExitTrigger(accountId: string, trigger: ExitTrigger | null): void {
    if (trigger === null || (trigger.stop === null && trigger.target === null)) this.exits.delete(accountId);
    else this.exits.set(accountId, trigger);
  }

  /** Stops and targets the mark has crossed (long stop: mark <= stop, long target: mark >= target, mirrored for shorts), by rank. */
  crossedExits(): CrossedExit[] {
    const mark = this.markPrice;
    if (mark === null || this.exits.size === 0) return [];
    const crossed: Array<CrossedExit & { rank: number }> = [];
    for (const [accountId, { positionId, side, stop, target, rank }] of this.exits) {
      const long = side === "LONG";
      if (stop !== null && (long ? mark.lte(stop) : mark.gte(stop))) crossed.push({ accountId, positionId, trigger: "STOP", rank });
      else if (target !== null && (long ? mark.gte(target) : mark.lte(target))) crossed.push({ accountId, positionId, trigger: "TARGET", rank });
    }
    crossed.sort((a, b) => a.rank - b.rank);
    return crossed.map(({ accountId, positionId, trigger }) => ({ accountId, positionId, trigger }));
  }

  /** Sets a fresh engine to a snapshot's market state and loads the external liquidity that was left. */
  restoreState(state: MarketEngineState, external: L2SnapshotTicks): void {
    this.markPrice = state.mark;
    this.rate = state.fundingRate;
    this.loadedAt = state.lastLoadAt;
    this.seq = state.tradeSeq;
    this.book.loadSnapshot(external, this.externalAccountId);
  }

  /**
   * Puts back a simulated account's resting order (the record is taken over), in queue order,
   * with `sizeLots` left on the book (null: an order the book no longer held). Throws
   * ValidationError when it would not rest.
   */
  restoreResting(order: RestingOrder, sizeLots: number | null): void {
    if (sizeLots !== null) {
      const placed = this.book.submit({
        id: order.orderId,
        accountId: order.accountId,
        side: order.side,
        kind: "limit",
        priceTicks: order.priceTicks,
        sizeLots,
        timeInForce: "GTC",
        postOnly: order.postOnly,
      });
      if (placed.status !== "resting") throw new ValidationError("inconsistent simulator snapshot", [{ path: "ownOrders", message: `order ${order.orderId} would not rest` }]);
    }
    order.remainingLots = sizeLots ?? 0;
    this.remember(order);
  }

  private remember(order: RestingOrder): void {
    this.resting.set(order.orderId, order);
    let mine = this.restingByAccount.get(order.accountId);
    if (mine === undefined) this.restingByAccount.set(order.accountId, (mine = new Map<string, RestingOrder>()));
    mine.set(order.orderId, order);
  }

  private forget(order: RestingOrder): void {
    this.resting.delete(order.orderId);
    this.restingByAccount.get(order.accountId)?.delete(order.orderId);
  }

  /** A book fill as a value, with its trade id; the maker's RestingOrder follows it. */
  private fillOf(bookFill: BookFill): EngineFill {
    const maker = this.resting.get(bookFill.makerOrderId);
    if (maker !== undefined) {
      maker.remainingLots = bookFill.makerRemainingLots;
      if (bookFill.makerRemainingLots === 0) this.forget(maker);
    }
    return {
      tradeId: `${this.market.symbol}-${++this.seq}`,
      makerOrderId: bookFill.makerOrderId,
      takerOrderId: bookFill.takerOrderId,
      takerSide: bookFill.takerSide,
      price: ticksToPrice(this.market, bookFill.priceTicks),
      quantity: lotsToSize(this.market, bookFill.sizeLots),
      maker: maker ?? null,
      makerRemainingLots: bookFill.makerRemainingLots,
    };
  }

  /**
   * Whether self-trade prevention stopped a taker: a GTC limit remainder would otherwise rest,
   * and an IOC/market taker stopped by it leaves the account's own order at the best opposite price.
   */
  private stoppedBySelfTrade(order: EngineOrder): boolean {
    if (order.type === "limit" && order.timeInForce === "GTC") return true;
    const best = order.side === "buy" ? this.book.bestAsk() : this.book.bestBid();
    if (best === undefined) return false;
    if (order.priceTicks !== undefined && (order.side === "buy" ? best > order.priceTicks : best < order.priceTicks)) return false;
    for (const open of this.restingByAccount.get(order.accountId)?.values() ?? []) {
      if (open.side !== order.side && open.priceTicks === best) return true;
    }
    return false;
  }
}
