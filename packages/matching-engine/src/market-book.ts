/**
 * MarketBook: the Decimal boundary of an OrderBook for one core `Market`.
 *
 * Invariants: decimals become integer ticks and lots only through core's
 * `priceToTicks`/`sizeToLots` (exact, never rounded); an input off the tick or lot grid,
 * non-positive, below the market's minimum size or minimum notional throws core's
 * `OrderRejectedError` before the book sees it, and a book rejection is rethrown as the
 * same typed error. Nothing changes on a throw. Values inside stay integer.
 */
import {
  type Decimal,
  type DecimalLike,
  type Market,
  OrderRejectedError,
  type OrderSide,
  lotsToSize,
  priceToTicks,
  sizeToLots,
  ticksToPrice,
} from "@autonome/core";
import { OrderBook } from "./order-book.js";
import type { BookFill, BookOrderInput, L2SnapshotTicks, SelfTradePrevention, SubmitResult, TimeInForce } from "./types.js";

/** An order in decimal units, as a user or a model states it. */
export interface MarketOrderInput {
  id: string;
  accountId: string;
  side: OrderSide;
  kind: "limit" | "market";
  /** Limit price; for a market order an optional worst acceptable price. */
  price?: DecimalLike;
  size: DecimalLike;
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  selfTrade?: SelfTradePrevention;
}

/** A fill with its decimal price and size beside the integer values. */
export interface MarketFill extends BookFill {
  price: Decimal;
  size: Decimal;
}

/** A submit result with decimal fills. */
export interface MarketSubmitResult extends Omit<SubmitResult, "fills"> {
  fills: MarketFill[];
  /** Executed size in base units. */
  filledSize: Decimal;
  /** Size left resting in base units. */
  restingSize: Decimal;
}

/** An L2 snapshot in decimal units, best first. */
export interface L2Snapshot {
  bids: Array<readonly [DecimalLike, DecimalLike]>;
  asks: Array<readonly [DecimalLike, DecimalLike]>;
}

/** Converts a decimal order to the book's integer form; throws OrderRejectedError. */
export function toBookOrder(market: Market, order: MarketOrderInput): BookOrderInput {
  const sizeLots = sizeToLots(market, order.size, order.id);
  const size = lotsToSize(market, sizeLots);
  if (size.lt(market.minSize)) {
    throw new OrderRejectedError("BELOW_MIN_SIZE", order.id, `${size.toString()} < ${market.minSize.toString()}`);
  }
  const book: BookOrderInput = { id: order.id, accountId: order.accountId, side: order.side, kind: order.kind, sizeLots };
  if (order.price !== undefined) {
    book.priceTicks = priceToTicks(market, order.price, order.id);
    const notional = ticksToPrice(market, book.priceTicks).mul(size);
    if (order.kind === "limit" && notional.lt(market.minNotional)) {
      throw new OrderRejectedError("BELOW_MIN_NOTIONAL", order.id, `${notional.toString()} < ${market.minNotional.toString()}`);
    }
  } else if (order.kind === "limit") {
    throw new OrderRejectedError("INVALID_PRICE_TICK", order.id, "a limit order needs a price");
  }
  if (order.timeInForce !== undefined) book.timeInForce = order.timeInForce;
  if (order.postOnly !== undefined) book.postOnly = order.postOnly;
  if (order.selfTrade !== undefined) book.selfTrade = order.selfTrade;
  return book;
}

/** An OrderBook for one core Market that speaks decimals and throws typed errors. */
export class MarketBook {
  /** The integer book underneath. */
  readonly book: OrderBook;

  constructor(readonly market: Market) {
    this.book = new OrderBook({ symbol: market.symbol });
  }

  /** Submits a decimal order; throws OrderRejectedError when it is rejected (nothing changes). */
  submit(order: MarketOrderInput): MarketSubmitResult {
    const result = this.book.submit(toBookOrder(this.market, order));
    if (result.status === "rejected") throw new OrderRejectedError(result.rejectReason ?? "INVALID_PRICE_TICK", order.id);
    return this.toDecimalResult(result);
  }

  /** Cancels a resting order; throws OrderRejectedError UNKNOWN_ORDER for an unknown id. Returns the cancelled size. */
  cancel(orderId: string): Decimal {
    const result = this.book.cancel(orderId);
    if (!result.ok) throw new OrderRejectedError("UNKNOWN_ORDER", orderId);
    return lotsToSize(this.market, result.remainingLots);
  }

  /** Best bid as a price, undefined when there is none. */
  bestBid(): Decimal | undefined {
    const ticks = this.book.bestBid();
    return ticks === undefined ? undefined : ticksToPrice(this.market, ticks);
  }

  /** Best ask as a price, undefined when there is none. */
  bestAsk(): Decimal | undefined {
    const ticks = this.book.bestAsk();
    return ticks === undefined ? undefined : ticksToPrice(this.market, ticks);
  }

  /** Mid price (exact, may be half a tick), undefined if a side is empty. */
  mid(): Decimal | undefined {
    const ticks = this.book.mid();
    return ticks === undefined ? undefined : this.market.tickSize.mul(ticks);
  }

  /** Loads an L2 snapshot given in decimals (see OrderBook.loadSnapshot); returns crossing fills. */
  loadSnapshot(snapshot: L2Snapshot, externalAccountId?: string): MarketFill[] {
    const toTicks = (levels: L2Snapshot["bids"]): Array<readonly [number, number]> =>
      levels.map(([price, size]) => [priceToTicks(this.market, price), sizeToLots(this.market, size)] as const);
    const ticks: L2SnapshotTicks = { bids: toTicks(snapshot.bids), asks: toTicks(snapshot.asks) };
    return this.book.loadSnapshot(ticks, externalAccountId).map((fill) => this.toDecimalFill(fill));
  }

  /** The aggregated book in decimals, best first, for n levels or all. */
  snapshot(levels?: number): { bids: Array<[Decimal, Decimal]>; asks: Array<[Decimal, Decimal]> } {
    const ticks = this.book.snapshot(levels);
    const toDecimals = (side: L2SnapshotTicks["bids"]): Array<[Decimal, Decimal]> =>
      side.map(([p, s]) => [ticksToPrice(this.market, p), lotsToSize(this.market, s)]);
    return { bids: toDecimals(ticks.bids), asks: toDecimals(ticks.asks) };
  }

  private toDecimalFill(fill: BookFill): MarketFill {
    return { ...fill, price: ticksToPrice(this.market, fill.priceTicks), size: lotsToSize(this.market, fill.sizeLots) };
  }

  private toDecimalResult(result: SubmitResult): MarketSubmitResult {
    return {
      ...result,
      fills: result.fills.map((fill) => this.toDecimalFill(fill)),
      filledSize: lotsToSize(this.market, result.filledLots),
      restingSize: lotsToSize(this.market, result.restingLots),
    };
  }
}
