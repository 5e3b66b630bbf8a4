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
 * Layout (internal/book-side.ts): orders and levels are integer handles into typed
 * arrays; each side keeps its levels sorted by tick with the best last, plus a dense
 * tick-indexed array around the first price (a Map beyond it); each level is an intrusive
 * doubly-linked FIFO; `index` maps an order id to its handle for O(1) cancel. Matching
 * writes into one reused `FillBuffer` and `BookStep`: `limit`, `market` and `remove` return
 * those and allocate nothing; `submit`, `modify` and `cancel` build their result objects
 * from them.
 */
import { type OrderSide, type RejectReason, ValidationError } from "@autonome/core";
import { BookSide, NIL, OrderStore, packFlags, selfTradeOf } from "./internal/book-side.js";
import { type BookStep, FillBuffer } from "./fill-buffer.js";
import { IdIndex, idText, isOrderKey } from "./internal/id-index.js";
import { assertStepShape, checkPriceTicks, checkSizeLots, triggerFires, validateOrderInput, validateTriggerInput } from "./matching.js";
import type {
  BookCancelResult,
  BookFill,
  BookOrderInput,
  DepthView,
  L2SnapshotTicks,
  LevelView,
  OrderId,
  RestingOrderView,
  SelfTradePrevention,
  SubmitResult,
  TimeInForce,
  TriggerOrderInput,
  TriggerResult,
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
const FLAG_BUY = 1;
const FLAG_POST_ONLY = 2;

interface StoredTrigger {
  input: TriggerOrderInput;
  insertion: number;
}

/** Shared empty arrays: a result without fills or cancelled makers allocates none (results are read-only). */
const NO_FILLS = Object.freeze([]) as unknown as BookFill[];
const NO_IDS = Object.freeze([]) as unknown as string[];

function rejected(orderId: string, reason: RejectReason): SubmitResult {
  return { orderId, status: "rejected", reason, filledLots: 0, restingLots: 0, fills: NO_FILLS, cancelledMakerIds: NO_IDS };
}

/** A price-time priority limit order book for one market, integer ticks and lots. */
export class OrderBook {
  /** Label of the market. */
  readonly symbol: string;
  /** Largest accepted price in ticks. */
  readonly maxPriceTicks: number;

  private readonly store = new OrderStore();
  private readonly bids = new BookSide(true, this.store);
  private readonly asks = new BookSide(false, this.store);
  /** Order id -> handle in `store`, for every resting order. */
  private readonly index = new IdIndex(this.store);
  private readonly triggers = new Map<string, StoredTrigger>();
  private fillSeq = 0;
  private queueSeq = 0;
  /** Snapshot orders take seqs below every regular order, so "lower seq = earlier" holds in every queue. */
  private externalSeq = -Number.MAX_SAFE_INTEGER;
  private snapshotGeneration = 0;
  private triggerInsertion = 0;
  /** Set by `match` when self-trade prevention stopped the taker. */
  private takerStopped = false;
  /**
   * The fills of the last `limit`, `market` or `submit` (and the makers self-trade
   * prevention removed), in reused arrays: valid until the next call on this book.
   */
  readonly fills = new FillBuffer();
  /** The reused result of `limit`, `market` and `remove`. */
  private readonly step: BookStep = { status: "rejected", reason: undefined, filledLots: 0, restingLots: 0, cancelledLots: 0 };

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
    // One probe: a miss leaves the slot where `rest` will index the order.
    if (this.index.find(order.id) !== NIL) return rejected(order.id, "DUPLICATE_ORDER_ID");
    const isMarket = order.kind === "market";
    const tif: TimeInForce = isMarket ? (order.timeInForce === "FOK" ? "FOK" : "IOC") : (order.timeInForce ?? "GTC");
    const isBuy = order.side === "buy";
    const limit = order.priceTicks ?? (isBuy ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
    const step = this.execute(order.id, this.store.accountNo(order.accountId), isBuy, isMarket, limit, order.sizeLots, tif, order.postOnly === true, order.selfTrade ?? "cancel_taker");
    return this.resultOf(order.id, order.accountId, order.side, step);
  }

  /**
   * The allocation-free form of a GTC limit order (`submit` with kind "limit", no post-only):
   * the same validation, matching and resting, in positional arguments. Returns the book's
   * reused `BookStep` and leaves the fills in `book.fills`, both valid until the next call
   * on this book. `id` may be a string or a non-negative safe integer (see `OrderId`).
   * A refusal is a value (`status: "rejected"`, `reason`) and changes nothing; a value the
   * types forbid (an empty id, an unknown side) throws `ValidationError`.
   */
  limit(id: OrderId, side: OrderSide, priceTicks: number, sizeLots: number, accountId: string, selfTrade: SelfTradePrevention = "cancel_taker"): BookStep {
    assertStepShape(id, side, accountId, selfTrade);
    if (!(Number.isSafeInteger(sizeLots) && sizeLots > 0)) return this.reject(checkSizeLots(sizeLots) ?? "INVALID_SIZE_LOT");
    if (!(Number.isSafeInteger(priceTicks) && priceTicks > 0 && priceTicks <= this.maxPriceTicks)) {
      return this.reject(checkPriceTicks(priceTicks, this.maxPriceTicks) ?? "INVALID_PRICE_TICK");
    }
    if (this.index.find(id) !== NIL) return this.reject("DUPLICATE_ORDER_ID");
    return this.execute(id, this.store.accountNo(accountId), side === "buy", false, priceTicks, sizeLots, "GTC", false, selfTrade);
  }

  /**
   * The allocation-free form of a market order (`submit` with kind "market", IOC): takes up
   * to `sizeLots` at any price, or none worse than `worstPriceTicks` when given; never rests.
   * Results as for `limit`.
   */
  market(id: OrderId, side: OrderSide, sizeLots: number, accountId: string, selfTrade: SelfTradePrevention = "cancel_taker", worstPriceTicks?: number): BookStep {
    assertStepShape(id, side, accountId, selfTrade);
    if (!(Number.isSafeInteger(sizeLots) && sizeLots > 0)) return this.reject(checkSizeLots(sizeLots) ?? "INVALID_SIZE_LOT");
    const isBuy = side === "buy";
    let limit = isBuy ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    if (worstPriceTicks !== undefined) {
      if (!(Number.isSafeInteger(worstPriceTicks) && worstPriceTicks > 0 && worstPriceTicks <= this.maxPriceTicks)) {
        return this.reject(checkPriceTicks(worstPriceTicks, this.maxPriceTicks) ?? "INVALID_PRICE_TICK");
      }
      limit = worstPriceTicks;
    }
    if (this.index.find(id) !== NIL) return this.reject("DUPLICATE_ORDER_ID");
    return this.execute(id, this.store.accountNo(accountId), isBuy, true, limit, sizeLots, "IOC", false, selfTrade);
  }

  /**
   * The allocation-free form of `cancel`: removes a resting order in O(1). Returns the
   * reused `BookStep` with status "cancelled" and the lots it took off in `cancelledLots`,
   * or status "rejected", reason UNKNOWN_ORDER, when the id rests nowhere.
   */
  remove(id: OrderId): BookStep {
    const h = isOrderKey(id) ? this.index.find(id) : NIL;
    if (h === NIL) return this.reject("UNKNOWN_ORDER");
    const step = this.step;
    step.status = "cancelled";
    step.reason = undefined;
    step.filledLots = 0;
    step.restingLots = 0;
    step.cancelledLots = this.store.size[h] as number;
    this.fills.count = 0;
    this.fills.cancelledCount = 0;
    this.removeResting(h);
    return step;
  }

  /** Removes a resting order; O(1). An id that rests nowhere is rejected UNKNOWN_ORDER. */
  cancel(orderId: OrderId): BookCancelResult {
    const h = isOrderKey(orderId) ? this.index.find(orderId) : NIL;
    if (h === NIL) return { status: "rejected", orderId: idText(orderId), reason: "UNKNOWN_ORDER" };
    const remainingLots = this.store.size[h] as number;
    this.removeResting(h);
    return { status: "cancelled", orderId: idText(orderId), remainingLots };
  }

  /**
   * Changes price and/or size (`sizeLots` is the new remaining size). Keeps queue priority
   * only when the price is unchanged and the size does not grow; otherwise the order is
   * re-queued at the back (and may match, as a GTC limit order with its original
   * self-trade mode; a post-only order that would then cross is rejected and kept as it
   * was). Unknown id -> rejected UNKNOWN_ORDER. A rejected modify changes nothing.
   */
  modify(id: OrderId, change: { priceTicks?: number; sizeLots?: number }): SubmitResult {
    const orderId = idText(id);
    const h = isOrderKey(id) ? this.index.find(id) : NIL;
    if (h === NIL) return rejected(orderId, "UNKNOWN_ORDER");
    const store = this.store;
    const oldPrice = store.price[h] as number;
    const oldSize = store.size[h] as number;
    const newPrice = change.priceTicks ?? oldPrice;
    const newSize = change.sizeLots ?? oldSize;
    const sizeReason = checkSizeLots(newSize);
    if (sizeReason !== undefined) return rejected(orderId, sizeReason);
    const priceReason = checkPriceTicks(newPrice, this.maxPriceTicks);
    if (priceReason !== undefined) return rejected(orderId, priceReason);
    const flags = store.flags[h] as number;
    const isBuy = (flags & FLAG_BUY) !== 0;
    const own = isBuy ? this.bids : this.asks;

    if (newPrice === oldPrice && newSize <= oldSize) {
      // Shrinking in place keeps the queue position (exchanges do the same).
      const level = store.level[h] as number;
      own.levelTotal[level] = (own.levelTotal[level] as number) - (oldSize - newSize);
      store.size[h] = newSize;
      return { orderId, status: "resting", filledLots: 0, restingLots: newSize, fills: NO_FILLS, cancelledMakerIds: NO_IDS };
    }

    // Re-queue: run every check that could reject before removing the old order.
    const postOnly = (flags & FLAG_POST_ONLY) !== 0;
    if (postOnly) {
      const opposite = isBuy ? this.asks : this.bids;
      const best = opposite.best();
      if (best !== NIL) {
        const bestPrice = opposite.levelPrice[best] as number;
        if (isBuy ? bestPrice <= newPrice : bestPrice >= newPrice) return rejected(orderId, "POST_ONLY_WOULD_CROSS");
      }
    }
    const ownLevel = own.get(newPrice);
    if (ownLevel !== NIL) {
      const total = own.levelTotal[ownLevel] as number;
      const others = ownLevel === store.level[h] ? total - oldSize : total;
      if (others + newSize > MAX_LOTS) return rejected(orderId, "SIZE_OUT_OF_RANGE");
    }
    const accountNo = store.account[h] as number;
    const accountId = store.accountIdOf(h);
    const selfTrade = selfTradeOf(flags);
    const storedId = store.ids[h] as OrderId; // re-queued under the id as first given
    this.removeResting(h);
    this.index.find(storedId); // misses now: leaves the slot where `rest` re-indexes the order
    const step = this.execute(storedId, accountNo, isBuy, false, newPrice, newSize, "GTC", postOnly, selfTrade);
    return this.resultOf(orderId, accountId, isBuy ? "buy" : "sell", step);
  }

  /** Best bid in ticks, undefined when there is no bid. */
  bestBid(): number | undefined {
    const best = this.bids.best();
    return best === NIL ? undefined : this.bids.levelPrice[best];
  }

  /** Best ask in ticks, undefined when there is no ask. */
  bestAsk(): number | undefined {
    const best = this.asks.best();
    return best === NIL ? undefined : this.asks.levelPrice[best];
  }

  /** (bestBid + bestAsk) / 2 in ticks (may be x.5), undefined if a side is empty. */
  mid(): number | undefined {
    const bid = this.bestBid();
    const ask = this.bestAsk();
    return bid === undefined || ask === undefined ? undefined : (bid + ask) / 2;
  }

  /** Aggregated depth (price, size, order count) for up to `levels` levels a side, best first. */
  depth(levels: number): DepthView {
    checkLevelCount(levels);
    return { bids: levelViews(this.bids, levels), asks: levelViews(this.asks, levels) };
  }

  /** A resting order, or undefined when the id is not on the book. */
  order(orderId: OrderId): RestingOrderView | undefined {
    const h = isOrderKey(orderId) ? this.index.find(orderId) : NIL;
    return h === NIL ? undefined : this.orderView(h);
  }

  /** Every resting order in priority order: bids best first, then asks best first. */
  restingOrders(): RestingOrderView[] {
    const out: RestingOrderView[] = [];
    for (const side of [this.bids, this.asks]) {
      for (let i = side.size - 1; i >= 0; i--) {
        for (let h = side.levelHead[side.handles[i] as number] as number; h !== NIL; h = this.store.next[h] as number) {
          out.push(this.orderView(h));
        }
      }
    }
    return out;
  }

  /** Number of resting orders. */
  get orderCount(): number {
    return this.index.size;
  }

  /** Aggregated L2 out (best first), for n levels or all. */
  snapshot(levels?: number): L2SnapshotTicks {
    if (levels !== undefined) checkLevelCount(levels);
    const n = levels ?? Number.MAX_SAFE_INTEGER;
    const side = (s: BookSide): Array<readonly [number, number]> => {
      const out: Array<readonly [number, number]> = [];
      for (let i = s.size - 1; i >= 0 && out.length < n; i--) {
        const level = s.handles[i] as number;
        out.push([s.levelPrice[level] as number, s.levelTotal[level] as number] as const);
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
    const bids = sortedLevels(snapshot?.bids, "bids", this.maxPriceTicks, true);
    const asks = sortedLevels(snapshot?.asks, "asks", this.maxPriceTicks, false);
    if (bids.length > 0 && asks.length > 0 && (bids[0] as [number, number])[0] >= (asks[0] as [number, number])[0]) {
      throw new ValidationError("crossed snapshot", [{ path: "bids", message: "best bid must be below best ask" }]);
    }

    const stale: number[] = [];
    const externalNo = this.store.accountNo(externalAccountId);
    for (const h of this.index.handles()) if (this.store.account[h] === externalNo) stale.push(h);
    for (const h of stale) this.removeResting(h);

    const generation = ++this.snapshotGeneration;
    const fills: BookFill[] = [];
    const place = (levels: Array<[number, number]>, side: OrderSide): void => {
      const isBuy = side === "buy";
      const own = isBuy ? this.bids : this.asks;
      const prefix = `${externalAccountId}#${generation}:${isBuy ? "b" : "a"}:`;
      for (const [priceTicks, sizeLots] of levels) {
        let id = prefix + priceTicks;
        while (this.index.has(id)) id += "'";
        this.fills.count = 0;
        this.fills.cancelledCount = 0;
        const remaining = this.match(externalNo, isBuy, priceTicks, sizeLots, "allow");
        this.fills.toFills(id, externalAccountId, side, fills);
        if (remaining === 0) continue;
        const existing = own.get(priceTicks);
        if (existing !== NIL && (own.levelTotal[existing] as number) + remaining > MAX_LOTS) continue; // not representable
        const h = this.store.alloc(id, externalNo, priceTicks, remaining, packFlags(isBuy, false, "allow"));
        this.store.seq[h] = this.externalSeq++;
        own.pushFront(own.levelAt(priceTicks), h);
        // The slot the missed `has(id)` above left: `match` only removed makers since.
        this.index.insertFound(h);
      }
    };
    place(bids, "buy");
    place(asks, "sell");
    return fills;
  }

  /** Registers a trigger (SL/TP) order; it fires on a later onReferencePrice. A bad size or price, or a used id, is rejected. */
  addTrigger(trigger: TriggerOrderInput): TriggerResult {
    const reason = validateTriggerInput(trigger, this.maxPriceTicks);
    if (reason !== undefined) return { status: "rejected", id: trigger.id, reason };
    if (this.triggers.has(trigger.id)) return { status: "rejected", id: trigger.id, reason: "DUPLICATE_ORDER_ID" };
    this.triggers.set(trigger.id, { input: { ...trigger }, insertion: this.triggerInsertion++ });
    return { status: "accepted", id: trigger.id };
  }

  /** Removes a pending trigger; an id that is not pending is rejected UNKNOWN_ORDER. */
  cancelTrigger(id: string): TriggerResult {
    return this.triggers.delete(id) ? { status: "cancelled", id } : { status: "rejected", id, reason: "UNKNOWN_ORDER" };
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
    if (typeof priceTicks !== "number" || !Number.isFinite(priceTicks)) {
      throw new ValidationError("invalid reference price", [{ path: "priceTicks", message: "must be a finite number of ticks" }]);
    }
    if (this.triggers.size === 0) return [];
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

  /** The reused step, set to a rejection (nothing changed). */
  private reject(reason: RejectReason): BookStep {
    const step = this.step;
    step.status = "rejected";
    step.reason = reason;
    step.filledLots = 0;
    step.restingLots = 0;
    step.cancelledLots = 0;
    this.fills.count = 0;
    this.fills.cancelledCount = 0;
    return step;
  }

  /** `submit`'s and `modify`'s result object, built from the step and the fill buffer. */
  private resultOf(orderId: string, accountId: string, side: OrderSide, step: BookStep): SubmitResult {
    if (step.status === "rejected") return rejected(orderId, step.reason as RejectReason);
    const buffer = this.fills;
    const fills = buffer.count > 0 ? buffer.toFills(orderId, accountId, side) : NO_FILLS;
    let cancelledMakerIds = NO_IDS;
    if (buffer.cancelledCount > 0) {
      cancelledMakerIds = [];
      for (let i = 0; i < buffer.cancelledCount; i++) cancelledMakerIds.push(idText(buffer.cancelledMakerIds[i] as OrderId));
    }
    return { orderId, status: step.status, filledLots: step.filledLots, restingLots: step.restingLots, fills, cancelledMakerIds };
  }

  /**
   * Runs a validated order whose id the last `index.find` missed: rejection checks first,
   * then match, then rest or drop. `limit` is the limit price (or +/-Infinity for a market
   * order without protection). Fills go to `this.fills`; returns the reused step.
   */
  private execute(
    id: OrderId,
    accountNo: number,
    isBuy: boolean,
    isMarket: boolean,
    limit: number,
    sizeLots: number,
    tif: TimeInForce,
    postOnly: boolean,
    selfTrade: SelfTradePrevention,
  ): BookStep {
    const opposite = isBuy ? this.asks : this.bids;
    const own = isBuy ? this.bids : this.asks;
    const step = this.step;
    const buffer = this.fills;
    buffer.count = 0;
    buffer.cancelledCount = 0;

    if (postOnly) {
      if (isMarket) return this.reject("POST_ONLY_WOULD_CROSS");
      const best = opposite.best();
      if (best !== NIL) {
        const bestPrice = opposite.levelPrice[best] as number;
        if (isBuy ? bestPrice <= limit : bestPrice >= limit) return this.reject("POST_ONLY_WOULD_CROSS");
      }
    }
    let ownLevel = NIL;
    if (tif === "GTC") {
      ownLevel = own.get(limit);
      if (ownLevel !== NIL && (own.levelTotal[ownLevel] as number) + sizeLots > MAX_LOTS) return this.reject("SIZE_OUT_OF_RANGE");
      const best = opposite.best();
      if (best === NIL || (isBuy ? (opposite.levelPrice[best] as number) > limit : (opposite.levelPrice[best] as number) < limit)) {
        // Fast path: nothing to match, the whole order rests.
        this.rest(own, ownLevel, id, accountNo, isBuy, limit, sizeLots, postOnly, selfTrade);
        step.status = "resting";
        step.reason = undefined;
        step.filledLots = 0;
        step.restingLots = sizeLots;
        step.cancelledLots = 0;
        return step;
      }
    } else if (tif === "FOK" && !this.canFillCompletely(opposite, isBuy, limit, sizeLots, accountNo, selfTrade)) {
      return this.reject("FOK_NOT_FILLABLE");
    }

    const remaining = this.match(accountNo, isBuy, limit, sizeLots, selfTrade);
    const filledLots = sizeLots - remaining;
    step.reason = undefined;
    step.filledLots = filledLots;
    if (remaining === 0) {
      step.status = "filled";
      step.restingLots = 0;
      step.cancelledLots = 0;
    } else if (this.takerStopped || tif !== "GTC") {
      step.status = "cancelled";
      step.restingLots = 0;
      step.cancelledLots = remaining;
    } else {
      // Matching only touched the opposite side, so `ownLevel` is still the level at `limit` (or NIL).
      this.rest(own, ownLevel, id, accountNo, isBuy, limit, remaining, postOnly, selfTrade);
      step.status = filledLots > 0 ? "partially_filled" : "resting";
      step.restingLots = remaining;
      step.cancelledLots = 0;
    }
    return step;
  }

  /** Puts a (remaining) GTC order at the back of its level's queue. */
  private rest(
    own: BookSide,
    ownLevel: number,
    id: OrderId,
    accountNo: number,
    isBuy: boolean,
    priceTicks: number,
    sizeLots: number,
    postOnly: boolean,
    selfTrade: SelfTradePrevention,
  ): void {
    const h = this.store.alloc(id, accountNo, priceTicks, sizeLots, packFlags(isBuy, postOnly, selfTrade));
    this.store.seq[h] = ++this.queueSeq;
    own.pushBack(ownLevel === NIL ? own.levelAt(priceTicks) : ownLevel, h);
    this.index.insertFound(h); // the slot the caller's (missed) `index.find(id)` left
  }

  /**
   * The matching step: trades the taker against the opposite side in price-time order
   * up to `limit`, appending to `this.fills` (fills, and makers removed by self-trade
   * prevention); returns the unfilled size. Sets `takerStopped` when self-trade prevention
   * ended the taker.
   */
  private match(accountNo: number, isBuy: boolean, limit: number, sizeLots: number, selfTrade: SelfTradePrevention): number {
    const opposite = isBuy ? this.asks : this.bids;
    const store = this.store;
    const buffer = this.fills;
    const checkSelf = selfTrade !== "allow";
    let remaining = sizeLots;
    let stopped = false;
    while (remaining > 0) {
      const level = opposite.best();
      if (level === NIL) break;
      const priceTicks = opposite.levelPrice[level] as number;
      if (isBuy ? priceTicks > limit : priceTicks < limit) break;
      let maker = opposite.levelHead[level] as number;
      while (maker !== NIL && remaining > 0) {
        const next = store.next[maker] as number;
        if (checkSelf && store.account[maker] === accountNo) {
          if (selfTrade === "cancel_taker") {
            stopped = true;
            break;
          }
          buffer.cancelledMakerIds[buffer.cancelledCount++] = store.ids[maker] as OrderId;
          opposite.unlink(maker);
          this.index.remove(maker);
          store.free(maker);
          if (selfTrade === "cancel_both") {
            stopped = true;
            break;
          }
          maker = next;
          continue;
        }
        const makerLots = store.size[maker] as number;
        const lots = remaining < makerLots ? remaining : makerLots;
        remaining -= lots;
        const makerRemainingLots = makerLots - lots;
        const f = buffer.count;
        if (f === buffer.seq.length) buffer.grow();
        buffer.seq[f] = ++this.fillSeq;
        buffer.priceTicks[f] = priceTicks;
        buffer.sizeLots[f] = lots;
        buffer.makerRemainingLots[f] = makerRemainingLots;
        buffer.makerOrderIds[f] = store.ids[maker] as OrderId;
        buffer.makerAccountIds[f] = store.accountIdOf(maker);
        buffer.count = f + 1;
        if (makerRemainingLots === 0) {
          opposite.unlink(maker);
          this.index.remove(maker);
          store.free(maker);
        } else {
          store.size[maker] = makerRemainingLots;
          opposite.levelTotal[level] = (opposite.levelTotal[level] as number) - lots;
        }
        maker = next;
      }
      if (opposite.levelCount[level] === 0) opposite.removeLevel(level);
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
    accountNo: number,
    selfTrade: SelfTradePrevention,
  ): boolean {
    const store = this.store;
    let needed = sizeLots;
    for (let i = opposite.size - 1; i >= 0; i--) {
      const level = opposite.handles[i] as number;
      const priceTicks = opposite.levelPrice[level] as number;
      if (isBuy ? priceTicks > limit : priceTicks < limit) return false;
      if (selfTrade === "allow") {
        needed -= opposite.levelTotal[level] as number;
        if (needed <= 0) return true;
        continue;
      }
      for (let h = opposite.levelHead[level] as number; h !== NIL; h = store.next[h] as number) {
        if (store.account[h] === accountNo) {
          if (selfTrade === "cancel_maker") continue; // removed, not traded
          return false; // cancel_taker / cancel_both end the taker here
        }
        needed -= store.size[h] as number;
        if (needed <= 0) return true;
      }
    }
    return false;
  }

  private removeResting(h: number): void {
    const store = this.store;
    const side = ((store.flags[h] as number) & FLAG_BUY) !== 0 ? this.bids : this.asks;
    const level = store.level[h] as number;
    side.unlink(h);
    if (side.levelCount[level] === 0) side.removeLevel(level);
    this.index.remove(h);
    store.free(h);
  }

  private orderView(h: number): RestingOrderView {
    const store = this.store;
    return {
      id: idText(store.ids[h] as OrderId),
      accountId: store.accountIdOf(h),
      side: ((store.flags[h] as number) & FLAG_BUY) !== 0 ? "buy" : "sell",
      priceTicks: store.price[h] as number,
      sizeLots: store.size[h] as number,
      seq: store.seq[h] as number,
    };
  }
}

/** Throws ValidationError unless `levels` is a non-negative integer. */
function checkLevelCount(levels: unknown): void {
  if (typeof levels !== "number" || !Number.isInteger(levels) || levels < 0) {
    throw new ValidationError("invalid level count", [{ path: "levels", message: "must be a non-negative integer" }]);
  }
}

function levelViews(side: BookSide, n: number): LevelView[] {
  const out: LevelView[] = [];
  for (let i = side.size - 1; i >= 0 && out.length < n; i--) {
    const level = side.handles[i] as number;
    out.push({
      priceTicks: side.levelPrice[level] as number,
      sizeLots: side.levelTotal[level] as number,
      orderCount: side.levelCount[level] as number,
    });
  }
  return out;
}

/**
 * Validated snapshot levels of one side, duplicate prices merged, best first (bids by
 * descending price, asks ascending); throws ValidationError. Levels that come best first
 * with distinct prices (what a feed sends) are taken as they are; anything else goes
 * through `aggregateLevels` and a sort, which gives the same result.
 */
function sortedLevels(levels: L2SnapshotTicks["bids"] | undefined, path: string, maxPriceTicks: number, descending: boolean): Array<[number, number]> {
  if (Array.isArray(levels)) {
    const out: Array<[number, number]> = [];
    let previous = descending ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (let i = 0; i < levels.length; i++) {
      if (!(i in levels)) break; // a hole: the general path decides
      const level = levels[i];
      // Checked on the next line: anything that is not a positive safe integer breaks off.
      const priceTicks = level?.[0] as number;
      const sizeLots = level?.[1] as number;
      if (checkPriceTicks(priceTicks, maxPriceTicks) !== undefined || checkSizeLots(sizeLots) !== undefined) break;
      if (descending ? !(priceTicks < previous) : !(priceTicks > previous)) break;
      previous = priceTicks;
      out.push([priceTicks, sizeLots]);
    }
    if (out.length === levels.length) return out;
  }
  const merged = aggregateLevels(levels, path, maxPriceTicks);
  merged.sort(descending ? (a, b) => b[0] - a[0] : (a, b) => a[0] - b[0]);
  return merged;
}

/** Validates snapshot levels and merges duplicate prices; throws ValidationError. */
function aggregateLevels(levels: L2SnapshotTicks["bids"] | undefined, path: string, maxPriceTicks: number): Array<[number, number]> {
  if (!Array.isArray(levels)) throw new ValidationError("invalid snapshot", [{ path, message: "must be an array" }]);
  const byPrice = new Map<number, number>();
  levels.forEach((level, i) => {
    const priceTicks = level?.[0];
    const sizeLots = level?.[1];
    if (checkPriceTicks(priceTicks, maxPriceTicks) !== undefined || checkSizeLots(sizeLots) !== undefined) {
      throw new ValidationError("invalid snapshot", [{ path: `${path}.${i}`, message: "price and size must be positive safe integers" }]);
    }
    const total = (byPrice.get(priceTicks) ?? 0) + sizeLots;
    if (total > MAX_LOTS) throw new ValidationError("invalid snapshot", [{ path: `${path}.${i}`, message: "size out of range" }]);
    byPrice.set(priceTicks, total);
  });
  return [...byPrice.entries()];
}
