/**
 * OrderBook: one market's limit order book in integer ticks and lots.
 *
 * Invariants (tested as properties in order-book.test.ts):
 * - Price-time priority: a taker always trades the best price first and, within a
 *   price, the order that has waited longest (lowest queue `seq`) first. Execution is at
 *   the maker's price.
 * - Integer only: prices are ticks and sizes are lots, safe integers checked on entry;
 *   no floating-point value ever becomes a price or a size.
 * - Quantity is conserved: for every submit, filled + resting + cancelled = submitted,
 *   and each fill takes exactly its size from one maker.
 * - The book is never crossed after an operation: best bid < best ask.
 * - A rejected order (or modify) changes nothing: validation, post-only and fill-or-kill
 *   checks all run before the first mutation.
 * - Deterministic: the same sequence of calls yields the same fills (no clock, no
 *   randomness, no iteration over unordered state in matching).
 *
 * Layout: each side is a `BookSide` (levels sorted by tick with the best last, plus a
 * tick -> level map); each level is an intrusive doubly-linked FIFO; `orders` maps an id
 * to its resting order for O(1) cancel. Order and level objects are pooled, so the hot
 * path allocates only the result it returns.
 */
import { type OrderSide, type RejectReason, ValidationError } from "@autonome/core";
import { BookSide, type PriceLevel, RestingOrder } from "./internal/book-side.js";
import { checkPriceTicks, checkSizeLots, triggerFires, validateOrderInput, validateTriggerInput } from "./matching.js";
import type {
  BookFill,
  BookOrderInput,
  DepthView,
  L2SnapshotTicks,
  LevelView,
  RestingOrderView,
  SelfTradePrevention,
  SubmitResult,
  TimeInForce,
  TriggerOrderInput,
  TriggeredOrder,
} from "./types.js";

/** Options of an OrderBook. */
export interface OrderBookOptions {
  /** Label of the market, for views and logs. */
  symbol?: string;
  /** Largest accepted price in ticks (default Number.MAX_SAFE_INTEGER). */
  maxPriceTicks?: number;
}

/** Account id that owns snapshot liquidity unless loadSnapshot is told otherwise. */
export const EXTERNAL_ACCOUNT_ID = "__external__";

const MAX_LOTS = Number.MAX_SAFE_INTEGER;
const ORDER_POOL_LIMIT = 65_536;

interface StoredTrigger {
  input: TriggerOrderInput;
  insertion: number;
}

function rejected(orderId: string, reason: RejectReason): SubmitResult {
  return { orderId, status: "rejected", rejectReason: reason, filledLots: 0, restingLots: 0, fills: [], cancelledMakerIds: [] };
}

/** A price-time priority limit order book for one market, integer ticks and lots. */
export class OrderBook {
  /** Label of the market. */
  readonly symbol: string;
  /** Largest accepted price in ticks. */
  readonly maxPriceTicks: number;

  private readonly bids = new BookSide(true);
  private readonly asks = new BookSide(false);
  private readonly orders = new Map<string, RestingOrder>();
  private readonly orderPool: RestingOrder[] = [];
  private readonly triggers = new Map<string, StoredTrigger>();
  private fillSeq = 0;
  private queueSeq = 0;
  /** Snapshot orders take seqs below every regular order, so "lower seq = earlier" holds in every queue. */
  private externalSeq = -Number.MAX_SAFE_INTEGER;
  private snapshotGeneration = 0;
  private triggerInsertion = 0;
  /** Set by `match` when self-trade prevention stopped the taker. */
  private takerStopped = false;

  constructor(options: OrderBookOptions = {}) {
    this.symbol = options.symbol ?? "";
    const max = options.maxPriceTicks ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(max) || max <= 0) {
      throw new ValidationError("invalid order book options", [{ path: "maxPriceTicks", message: "must be a positive safe integer" }]);
    }
    this.maxPriceTicks = max;
  }

  /**
   * Validates (positive safe-integer size and price, unique id), matches, and rests the
   * remainder per time in force. Never throws for an expected rejection: returns status
   * "rejected" with a RejectReason and changes nothing.
   *
   * A market order never rests (GTC is treated as IOC; FOK is honoured); `priceTicks` on a
   * market order is its worst acceptable price. A market order that meets an empty
   * opposite side ends "cancelled" with no fills (not rejected). A post-only market order
   * is rejected POST_ONLY_WOULD_CROSS.
   */
  submit(order: BookOrderInput): SubmitResult {
    const reason = validateOrderInput(order, this.maxPriceTicks);
    if (reason !== undefined) return rejected(order.id, reason);
    if (this.orders.has(order.id)) return rejected(order.id, "DUPLICATE_ORDER_ID");
    const isMarket = order.kind === "market";
    const tif: TimeInForce = isMarket ? (order.timeInForce === "FOK" ? "FOK" : "IOC") : (order.timeInForce ?? "GTC");
    return this.execute(
      order.id,
      order.accountId,
      order.side,
      isMarket,
      order.priceTicks,
      order.sizeLots,
      tif,
      order.postOnly === true,
      order.selfTrade ?? "cancel_taker",
    );
  }

  /** Removes a resting order; O(1). */
  cancel(orderId: string): { ok: true; remainingLots: number } | { ok: false; reason: "UNKNOWN_ORDER" } {
    const order = this.orders.get(orderId);
    if (order === undefined) return { ok: false, reason: "UNKNOWN_ORDER" };
    const remainingLots = order.sizeLots;
    this.removeResting(order);
    return { ok: true, remainingLots };
  }

  /**
   * Changes price and/or size (`sizeLots` is the new remaining size). Keeps queue priority
   * only when the price is unchanged and the size does not grow; otherwise the order is
   * re-queued at the back (and may match, as a GTC limit order with its original
   * self-trade mode; a post-only order that would then cross is rejected and kept as it
   * was). Unknown id -> rejected UNKNOWN_ORDER. A rejected modify changes nothing.
   */
  modify(orderId: string, change: { priceTicks?: number; sizeLots?: number }): SubmitResult {
    const order = this.orders.get(orderId);
    if (order === undefined) return rejected(orderId, "UNKNOWN_ORDER");
    const newPrice = change.priceTicks ?? order.priceTicks;
    const newSize = change.sizeLots ?? order.sizeLots;
    const sizeReason = checkSizeLots(newSize);
    if (sizeReason !== undefined) return rejected(orderId, sizeReason);
    const priceReason = checkPriceTicks(newPrice, this.maxPriceTicks);
    if (priceReason !== undefined) return rejected(orderId, priceReason);

    if (newPrice === order.priceTicks && newSize <= order.sizeLots) {
      // Shrinking in place keeps the queue position (exchanges do the same).
      (order.level as PriceLevel).totalLots -= order.sizeLots - newSize;
      order.sizeLots = newSize;
      return { orderId, status: "resting", filledLots: 0, restingLots: newSize, fills: [], cancelledMakerIds: [] };
    }

    // Re-queue: run every check that could reject before removing the old order.
    const isBuy = order.isBuy;
    if (order.postOnly) {
      const best = (isBuy ? this.asks : this.bids).best();
      if (best !== null && (isBuy ? best.priceTicks <= newPrice : best.priceTicks >= newPrice)) {
        return rejected(orderId, "POST_ONLY_WOULD_CROSS");
      }
    }
    const ownLevel = (isBuy ? this.bids : this.asks).byPrice.get(newPrice);
    if (ownLevel !== undefined) {
      const others = ownLevel === order.level ? ownLevel.totalLots - order.sizeLots : ownLevel.totalLots;
      if (others + newSize > MAX_LOTS) return rejected(orderId, "SIZE_OUT_OF_RANGE");
    }
    const accountId = order.accountId;
    const selfTrade = order.selfTrade;
    const postOnly = order.postOnly;
    this.removeResting(order);
    return this.execute(orderId, accountId, isBuy ? "buy" : "sell", false, newPrice, newSize, "GTC", postOnly, selfTrade);
  }

  /** Best bid in ticks, undefined when there is no bid. */
  bestBid(): number | undefined {
    return this.bids.best()?.priceTicks;
  }

  /** Best ask in ticks, undefined when there is no ask. */
  bestAsk(): number | undefined {
    return this.asks.best()?.priceTicks;
  }

  /** (bestBid + bestAsk) / 2 in ticks (may be x.5), undefined if a side is empty. */
  mid(): number | undefined {
    const bid = this.bids.best();
    const ask = this.asks.best();
    if (bid === null || ask === null) return undefined;
    return (bid.priceTicks + ask.priceTicks) / 2;
  }

  /** Aggregated depth (price, size, order count) for up to `levels` levels a side, best first. */
  depth(levels: number): DepthView {
    return { bids: levelViews(this.bids, levels), asks: levelViews(this.asks, levels) };
  }

  /** A resting order, or undefined when the id is not on the book. */
  order(orderId: string): RestingOrderView | undefined {
    const order = this.orders.get(orderId);
    return order === undefined ? undefined : orderView(order);
  }

  /** Every resting order in priority order: bids best first, then asks best first. */
  restingOrders(): RestingOrderView[] {
    const out: RestingOrderView[] = [];
    for (const side of [this.bids, this.asks]) {
      for (let i = side.levels.length - 1; i >= 0; i--) {
        for (let o = (side.levels[i] as PriceLevel).head; o !== null; o = o.next) out.push(orderView(o));
      }
    }
    return out;
  }

  /** Number of resting orders. */
  get orderCount(): number {
    return this.orders.size;
  }

  /** Aggregated L2 out (best first), for n levels or all. */
  snapshot(levels?: number): L2SnapshotTicks {
    const n = levels ?? Number.MAX_SAFE_INTEGER;
    const side = (s: BookSide): Array<readonly [number, number]> => {
      const out: Array<readonly [number, number]> = [];
      for (let i = s.levels.length - 1; i >= 0 && out.length < n; i--) {
        const level = s.levels[i] as PriceLevel;
        out.push([level.priceTicks, level.totalLots] as const);
      }
      return out;
    };
    return { bids: side(this.bids), asks: side(this.asks) };
  }

  /**
   * Snapshot mode: replaces all liquidity owned by `externalAccountId` with the
   * snapshot's levels (one resting order per level, queued ahead of our own orders at
   * the same price). Liquidity a taker consumed from the previous snapshot stays consumed
   * until this is called again; other accounts' resting orders are kept.
   *
   * When a snapshot level crosses one of our resting orders (the market traded through
   * it), the snapshot liquidity trades against that order as the taker, at our order's
   * price; those fills are returned (empty array when nothing crossed). Throws
   * `ValidationError` for a malformed or self-crossed snapshot, before changing anything.
   */
  loadSnapshot(snapshot: L2SnapshotTicks, externalAccountId: string = EXTERNAL_ACCOUNT_ID): BookFill[] {
    const bids = aggregateLevels(snapshot.bids, "bids", this.maxPriceTicks);
    const asks = aggregateLevels(snapshot.asks, "asks", this.maxPriceTicks);
    bids.sort((a, b) => b[0] - a[0]);
    asks.sort((a, b) => a[0] - b[0]);
    if (bids.length > 0 && asks.length > 0 && (bids[0] as [number, number])[0] >= (asks[0] as [number, number])[0]) {
      throw new ValidationError("crossed snapshot", [{ path: "bids", message: "best bid must be below best ask" }]);
    }

    const stale: RestingOrder[] = [];
    for (const order of this.orders.values()) if (order.accountId === externalAccountId) stale.push(order);
    for (const order of stale) this.removeResting(order);

    const generation = ++this.snapshotGeneration;
    const fills: BookFill[] = [];
    const cancelled: string[] = [];
    const place = (levels: Array<[number, number]>, side: OrderSide): void => {
      const isBuy = side === "buy";
      const own = isBuy ? this.bids : this.asks;
      for (const [priceTicks, sizeLots] of levels) {
        let id = `${externalAccountId}#${generation}:${isBuy ? "b" : "a"}:${priceTicks}`;
        while (this.orders.has(id)) id += "'";
        const remaining = this.match(id, externalAccountId, side, isBuy, priceTicks, sizeLots, "allow", fills, cancelled);
        if (remaining === 0) continue;
        const level = own.levelAt(priceTicks);
        if (level.totalLots + remaining > MAX_LOTS) {
          if (level.orderCount === 0) own.removeLevel(level);
          continue; // cannot be represented; skip this level's snapshot liquidity
        }
        const order = this.newOrder(id, externalAccountId, isBuy, priceTicks, remaining, "allow", false);
        order.seq = this.externalSeq++;
        level.pushFront(order);
        this.orders.set(id, order);
      }
    };
    place(bids, "buy");
    place(asks, "sell");
    return fills;
  }

  /** Registers a trigger (SL/TP) order; it fires on a later onReferencePrice. */
  addTrigger(trigger: TriggerOrderInput): { ok: true } | { ok: false; reason: RejectReason } {
    const reason = validateTriggerInput(trigger, this.maxPriceTicks);
    if (reason !== undefined) return { ok: false, reason };
    if (this.triggers.has(trigger.id)) return { ok: false, reason: "DUPLICATE_ORDER_ID" };
    this.triggers.set(trigger.id, { input: { ...trigger }, insertion: this.triggerInsertion++ });
    return { ok: true };
  }

  /** Removes a pending trigger; false when the id is unknown. */
  cancelTrigger(id: string): boolean {
    return this.triggers.delete(id);
  }

  /** The pending triggers in insertion order. */
  pendingTriggers(): TriggerOrderInput[] {
    return [...this.triggers.values()].map((t) => ({ ...t.input }));
  }

  /**
   * Fires every trigger crossed by this reference price (mark or last) and submits its
   * order (market IOC, or GTC limit at `limitTicks`, with the trigger's id as order id).
   * Order: the trigger the price passed first (largest distance to the reference) first,
   * then insertion order. A fired trigger is removed whatever its order did.
   */
  onReferencePrice(priceTicks: number): TriggeredOrder[] {
    if (typeof priceTicks !== "number" || Number.isNaN(priceTicks) || this.triggers.size === 0) return [];
    const fired: StoredTrigger[] = [];
    for (const stored of this.triggers.values()) if (triggerFires(stored.input, priceTicks)) fired.push(stored);
    if (fired.length === 0) return [];
    fired.sort(
      (a, b) =>
        Math.abs(priceTicks - b.input.triggerTicks) - Math.abs(priceTicks - a.input.triggerTicks) || a.insertion - b.insertion,
    );
    for (const stored of fired) this.triggers.delete(stored.input.id);
    return fired.map(({ input }) => {
      const order: BookOrderInput =
        input.limitTicks === undefined
          ? { id: input.id, accountId: input.accountId, side: input.side, kind: "market", sizeLots: input.sizeLots }
          : { id: input.id, accountId: input.accountId, side: input.side, kind: "limit", priceTicks: input.limitTicks, sizeLots: input.sizeLots };
      return { trigger: { ...input }, atPriceTicks: priceTicks, result: this.submit(order) };
    });
  }

  // ---------------------------------------------------------------- internals

  /** Runs a validated order: rejection checks first, then match, then rest or drop. */
  private execute(
    id: string,
    accountId: string,
    side: OrderSide,
    isMarket: boolean,
    priceTicks: number | undefined,
    sizeLots: number,
    tif: TimeInForce,
    postOnly: boolean,
    selfTrade: SelfTradePrevention,
  ): SubmitResult {
    const isBuy = side === "buy";
    const limit = priceTicks ?? (isBuy ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
    const opposite = isBuy ? this.asks : this.bids;

    if (postOnly) {
      if (isMarket) return rejected(id, "POST_ONLY_WOULD_CROSS");
      const best = opposite.best();
      if (best !== null && (isBuy ? best.priceTicks <= limit : best.priceTicks >= limit)) {
        return rejected(id, "POST_ONLY_WOULD_CROSS");
      }
    }
    if (tif === "GTC") {
      const ownLevel = (isBuy ? this.bids : this.asks).byPrice.get(limit);
      if (ownLevel !== undefined && ownLevel.totalLots + sizeLots > MAX_LOTS) return rejected(id, "SIZE_OUT_OF_RANGE");
    } else if (tif === "FOK" && !this.canFillCompletely(opposite, isBuy, limit, sizeLots, accountId, selfTrade)) {
      return rejected(id, "FOK_NOT_FILLABLE");
    }

    const fills: BookFill[] = [];
    const cancelledMakerIds: string[] = [];
    const remaining = this.match(id, accountId, side, isBuy, limit, sizeLots, selfTrade, fills, cancelledMakerIds);
    const filledLots = sizeLots - remaining;
    if (remaining === 0) {
      return { orderId: id, status: "filled", filledLots, restingLots: 0, fills, cancelledMakerIds };
    }
    if (this.takerStopped || tif !== "GTC") {
      return { orderId: id, status: "cancelled", filledLots, restingLots: 0, fills, cancelledMakerIds };
    }
    const order = this.newOrder(id, accountId, isBuy, limit, remaining, selfTrade, postOnly);
    order.seq = ++this.queueSeq;
    (isBuy ? this.bids : this.asks).levelAt(limit).pushBack(order);
    this.orders.set(id, order);
    return {
      orderId: id,
      status: filledLots > 0 ? "partially_filled" : "resting",
      filledLots,
      restingLots: remaining,
      fills,
      cancelledMakerIds,
    };
  }

  /**
   * The matching step: trades the taker against the opposite side in price-time order
   * up to `limit`, appending fills; returns the unfilled size. Sets `takerStopped` when
   * self-trade prevention ended the taker.
   */
  private match(
    takerId: string,
    accountId: string,
    side: OrderSide,
    isBuy: boolean,
    limit: number,
    sizeLots: number,
    selfTrade: SelfTradePrevention,
    fills: BookFill[],
    cancelledMakerIds: string[],
  ): number {
    const opposite = isBuy ? this.asks : this.bids;
    const checkSelf = selfTrade !== "allow";
    let remaining = sizeLots;
    let stopped = false;
    while (remaining > 0) {
      const level = opposite.best();
      if (level === null) break;
      const priceTicks = level.priceTicks;
      if (isBuy ? priceTicks > limit : priceTicks < limit) break;
      let maker = level.head;
      while (maker !== null && remaining > 0) {
        const next = maker.next;
        if (checkSelf && maker.accountId === accountId) {
          if (selfTrade === "cancel_taker") {
            stopped = true;
            break;
          }
          cancelledMakerIds.push(maker.id);
          level.unlink(maker);
          this.orders.delete(maker.id);
          this.release(maker);
          if (selfTrade === "cancel_both") {
            stopped = true;
            break;
          }
          maker = next;
          continue;
        }
        const makerLots = maker.sizeLots;
        const lots = remaining < makerLots ? remaining : makerLots;
        remaining -= lots;
        const makerRemainingLots = makerLots - lots;
        fills.push({
          seq: ++this.fillSeq,
          makerOrderId: maker.id,
          makerAccountId: maker.accountId,
          takerOrderId: takerId,
          takerAccountId: accountId,
          takerSide: side,
          priceTicks,
          sizeLots: lots,
          makerRemainingLots,
        });
        if (makerRemainingLots === 0) {
          level.unlink(maker);
          this.orders.delete(maker.id);
          this.release(maker);
        } else {
          maker.sizeLots = makerRemainingLots;
          level.totalLots -= lots;
        }
        maker = next;
      }
      if (level.orderCount === 0) opposite.removeLevel(level);
      if (stopped) break;
    }
    this.takerStopped = stopped;
    return remaining;
  }

  /** Whether a fill-or-kill taker would fill completely, honouring the limit and self-trade prevention. */
  private canFillCompletely(
    opposite: BookSide,
    isBuy: boolean,
    limit: number,
    sizeLots: number,
    accountId: string,
    selfTrade: SelfTradePrevention,
  ): boolean {
    let needed = sizeLots;
    for (let i = opposite.levels.length - 1; i >= 0; i--) {
      const level = opposite.levels[i] as PriceLevel;
      if (isBuy ? level.priceTicks > limit : level.priceTicks < limit) return false;
      if (selfTrade === "allow") {
        needed -= level.totalLots;
        if (needed <= 0) return true;
        continue;
      }
      for (let o = level.head; o !== null; o = o.next) {
        if (o.accountId === accountId) {
          if (selfTrade === "cancel_maker") continue; // removed, not traded
          return false; // cancel_taker / cancel_both end the taker here
        }
        needed -= o.sizeLots;
        if (needed <= 0) return true;
      }
    }
    return false;
  }

  private newOrder(
    id: string,
    accountId: string,
    isBuy: boolean,
    priceTicks: number,
    sizeLots: number,
    selfTrade: SelfTradePrevention,
    postOnly: boolean,
  ): RestingOrder {
    const order = this.orderPool.pop() ?? new RestingOrder();
    order.id = id;
    order.accountId = accountId;
    order.isBuy = isBuy;
    order.priceTicks = priceTicks;
    order.sizeLots = sizeLots;
    order.selfTrade = selfTrade;
    order.postOnly = postOnly;
    return order;
  }

  private removeResting(order: RestingOrder): void {
    const level = order.level as PriceLevel;
    level.unlink(order);
    if (level.orderCount === 0) (order.isBuy ? this.bids : this.asks).removeLevel(level);
    this.orders.delete(order.id);
    this.release(order);
  }

  private release(order: RestingOrder): void {
    if (this.orderPool.length < ORDER_POOL_LIMIT) this.orderPool.push(order);
  }
}

function orderView(order: RestingOrder): RestingOrderView {
  return {
    id: order.id,
    accountId: order.accountId,
    side: order.isBuy ? "buy" : "sell",
    priceTicks: order.priceTicks,
    sizeLots: order.sizeLots,
    seq: order.seq,
  };
}

function levelViews(side: BookSide, n: number): LevelView[] {
  const out: LevelView[] = [];
  for (let i = side.levels.length - 1; i >= 0 && out.length < n; i--) {
    const level = side.levels[i] as PriceLevel;
    out.push({ priceTicks: level.priceTicks, sizeLots: level.totalLots, orderCount: level.orderCount });
  }
  return out;
}

/** Validates snapshot levels and merges duplicate prices; throws ValidationError. */
function aggregateLevels(levels: L2SnapshotTicks["bids"], path: string, maxPriceTicks: number): Array<[number, number]> {
  if (!Array.isArray(levels)) throw new ValidationError("invalid snapshot", [{ path, message: "must be an array" }]);
  const byPrice = new Map<number, number>();
  levels.forEach((level, i) => {
    const priceTicks = level?.[0];
    const sizeLots = level?.[1];
    if (checkPriceTicks(priceTicks, maxPriceTicks) !== undefined || checkSizeLots(sizeLots) !== undefined) {
      throw new ValidationError("invalid snapshot", [{ path: `${path}.${i}`, message: "price and size must be positive safe integers" }]);
    }
    const total = (byPrice.get(priceTicks as number) ?? 0) + (sizeLots as number);
    if (total > MAX_LOTS) throw new ValidationError("invalid snapshot", [{ path: `${path}.${i}`, message: "size out of range" }]);
    byPrice.set(priceTicks as number, total);
  });
  return [...byPrice.entries()];
}
