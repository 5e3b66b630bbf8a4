/**
 * MarketBook: the Decimal boundary of an OrderBook for one core `Market`.
 *
 * Invariants: decimals become integer ticks and lots only through exact division by the
 * market's tick and lot (never rounded); prices and sizes may be decimal strings, numbers
 * (taken exactly or refused) or Decimals. What the market decides is a value: an order off
 * the tick or lot grid, non-positive, below the market's minimum size or (limit) notional, or
 * refused by the book comes back `status: "rejected"` with its reason (and the limit it broke),
 * and nothing changes. Only a malformed call throws (ValidationError: a value that is not a
 * decimal, an unknown side, a bad snapshot level). Values inside stay integer.
 */
import { isList } from "./simulator/commands.js";
import {
  type Decimal,
  type Market,
  OrderRejectedError,
  type OrderSide,
  type RejectReason,
  ValidationError,
  lotsToSize,
  priceToTicks,
  sizeToLots,
  ticksToPrice,
} from "@autonome/core";
import { OrderBook } from "./order-book.js";
import { type DecimalInput, decimalInput } from "./decimal-input.js";
import type { CancelResult, L2Book } from "./simulator/types.js";
import type { BookFill, BrokenLimit, BookOrderInput, L2SnapshotTicks, SelfTradePrevention, SubmitResult, TimeInForce } from "./types.js";

/** An order in decimal units, as a user or a model states it. */
export interface MarketOrderInput {
  id: string;
  accountId: string;
  side: OrderSide;
  kind: "limit" | "market";
  /** Limit price; for a market order an optional worst acceptable price. */
  price?: DecimalInput;
  size: DecimalInput;
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  selfTrade?: SelfTradePrevention;
}

/** A fill with its decimal price and size beside the integer values. */
export interface MarketFill extends BookFill {
  price: Decimal;
  size: Decimal;
}

/** A submit result with decimal fills; a rejection also says why in words and names the limit it broke. */
export interface MarketSubmitResult extends Omit<SubmitResult, "fills"> {
  fills: MarketFill[];
  /** Executed size in base units. */
  filledSize: Decimal;
  /** Size left resting in base units. */
  restingSize: Decimal;
  detail?: string;
  limit?: BrokenLimit;
}

/** Why a decimal order cannot become a book order. */
export interface ConversionRejection {
  reason: RejectReason;
  detail?: string;
  limit?: BrokenLimit;
}

/**
 * Converts a decimal order to the book's integer form, or says why the market refuses it
 * (off the grid, non-positive, below minSize, a limit below minNotional). Throws
 * ValidationError for a value that is not a decimal.
 */
export function toBookOrder(market: Market, order: MarketOrderInput): BookOrderInput | ConversionRejection {
  const size = decimalInput(order.size, "size");
  const price = order.price === undefined ? undefined : decimalInput(order.price, "price");
  let sizeLots: number;
  let priceTicks: number | undefined;
  try {
    sizeLots = sizeToLots(market, size, order.id);
    if (price !== undefined) priceTicks = priceToTicks(market, price, order.id);
  } catch (error) {
    if (error instanceof OrderRejectedError) return error.detail === undefined ? { reason: error.reason } : { reason: error.reason, detail: error.detail };
    throw error;
  }
  if (size.lt(market.minSize)) {
    return { reason: "BELOW_MIN_SIZE", detail: `size ${size.toString()} is below the market's minSize ${market.minSize.toString()}`, limit: { name: "minSize", value: market.minSize } };
  }
  const book: BookOrderInput = { id: order.id, accountId: order.accountId, side: order.side, kind: order.kind, sizeLots };
  if (priceTicks !== undefined) {
    book.priceTicks = priceTicks;
    const notional = ticksToPrice(market, priceTicks).mul(size);
    if (order.kind === "limit" && notional.lt(market.minNotional)) {
      return {
        reason: "BELOW_MIN_NOTIONAL",
        detail: `notional ${notional.toString()} is below the market's minNotional ${market.minNotional.toString()}`,
        limit: { name: "minNotional", value: market.minNotional },
      };
    }
  } else if (order.kind === "limit") {
    return { reason: "INVALID_PRICE_TICK", detail: "a limit order needs a price" };
  }
  if (order.timeInForce !== undefined) book.timeInForce = order.timeInForce;
  if (order.postOnly !== undefined) book.postOnly = order.postOnly;
  if (order.selfTrade !== undefined) book.selfTrade = order.selfTrade;
  return book;
}

/** An OrderBook for one core Market that speaks decimals; refusals are values. */
export class MarketBook {
  /** The integer book underneath. */
  readonly book: OrderBook;

  constructor(readonly market: Market) {
    if (market === null || typeof market !== "object" || typeof market.symbol !== "string") {
      throw new ValidationError("invalid market", [{ path: "market", message: "must be a Market (defineMarket)" }]);
    }
    this.book = new OrderBook({ symbol: market.symbol });
  }

  /** Submits a decimal order. A refusal is `status: "rejected"` with its reason (nothing changes); throws ValidationError only for a malformed order. */
  submit(order: MarketOrderInput): MarketSubmitResult {
    if (order === null || typeof order !== "object") throw new ValidationError("malformed order", [{ path: "order", message: "must be an object" }]);
    const converted = toBookOrder(this.market, order);
    if ("reason" in converted) {
      const rejected: MarketSubmitResult = {
        orderId: order.id,
        status: "rejected",
        reason: converted.reason,
        filledLots: 0,
        restingLots: 0,
        fills: [],
        cancelledMakerIds: [],
        filledSize: lotsToSize(this.market, 0),
        restingSize: lotsToSize(this.market, 0),
      };
      if (converted.detail !== undefined) rejected.detail = converted.detail;
      if (converted.limit !== undefined) rejected.limit = converted.limit;
      return rejected;
    }
    return this.toDecimalResult(this.book.submit(converted));
  }

  /** Cancels a resting order: the size it had left, or rejected UNKNOWN_ORDER. */
  cancel(orderId: string): CancelResult {
    const result = this.book.cancel(orderId);
    if (result.status === "rejected") return { ...result, detail: `no resting order ${orderId}` };
    return { status: "cancelled", orderId, size: lotsToSize(this.market, result.remainingLots) };
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

  /**
   * Loads an L2 snapshot given in decimals (see OrderBook.loadSnapshot); returns crossing
   * fills. Throws ValidationError, changing nothing, for a level off the grid, not positive,
   * or a crossed snapshot.
   */
  loadSnapshot(snapshot: L2Book, externalAccountId?: string): MarketFill[] {
    const { market } = this;
    const toTicks = (levels: L2Book["bids"] | undefined, side: string): Array<readonly [number, number]> => {
      if (levels === undefined || !isList(levels)) throw new ValidationError("invalid snapshot", [{ path: side, message: "must be an array of [price, size] pairs" }]);
      return levels.map((level, i) => {
        const units = (value: unknown, step: Decimal, what: string): number => {
          const path = `${side}.${i}.${what}`;
          const d = decimalInput(value, path);
          const count = d.div(step);
          if (d.lte(0) || !count.isInteger() || count.gt(Number.MAX_SAFE_INTEGER)) {
            throw new ValidationError("invalid snapshot", [{ path, message: `${d.toString()} is not a positive multiple of ${step.toString()}` }]);
          }
          return count.toNumber();
        };
        return [units(level?.[0], market.tickSize, "price"), units(level?.[1], market.lotSize, "size")] as const;
      });
    };
    const ticks: L2SnapshotTicks = { bids: toTicks(snapshot?.bids, "bids"), asks: toTicks(snapshot?.asks, "asks") };
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
