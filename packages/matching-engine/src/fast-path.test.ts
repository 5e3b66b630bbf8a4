/**
 * The allocation-free calls (`limit`, `market`, `remove`, the reused `BookStep` and
 * `FillBuffer`) and numeric order ids: the same book as `submit`/`cancel`, checked on fixed
 * cases (reuse, rejections that change nothing, ids in both forms) and as a property
 * (random streams through both paths give the same results and the same book).
 */
import { ValidationError } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BookStep } from "./fill-buffer.js";
import { DIRECT_LIMIT } from "./internal/id-index.js";
import { OrderBook } from "./order-book.js";
import type { OrderId, SelfTradePrevention, SubmitResult } from "./types.js";

const picture = (book: OrderBook) => JSON.stringify({ snapshot: book.snapshot(), orders: book.restingOrders(), count: book.orderCount });

describe("OrderBook.limit / market / remove", () => {
  it("matches like submit and reports through one reused step and fill buffer", () => {
    const book = new OrderBook();
    const first = book.limit(1, "sell", 101, 3, "maker");
    expect(first).toEqual({ status: "resting", reason: undefined, filledLots: 0, restingLots: 3, cancelledLots: 0 });
    book.limit(2, "sell", 102, 5, "maker");
    const taker = book.limit("t1", "buy", 102, 10, "taker");
    expect(taker).toBe(first); // the same object, overwritten
    expect(taker).toEqual({ status: "partially_filled", reason: undefined, filledLots: 8, restingLots: 2, cancelledLots: 0 });
    expect(book.fills.count).toBe(2);
    // As submit reports them, counted by hand: makers 1 (3 @ 101) then 2 (5 @ 102), both gone; ids as strings.
    expect(book.fills.toFills("t1", "taker", "buy")).toEqual([
      { seq: 1, makerOrderId: "1", makerAccountId: "maker", takerOrderId: "t1", takerAccountId: "taker", takerSide: "buy", priceTicks: 101, sizeLots: 3, makerRemainingLots: 0 },
      { seq: 2, makerOrderId: "2", makerAccountId: "maker", takerOrderId: "t1", takerAccountId: "taker", takerSide: "buy", priceTicks: 102, sizeLots: 5, makerRemainingLots: 0 },
    ]);
    const earlier = [book.fills.toFills("t1", "taker", "buy")[0]!];
    expect(book.fills.toFills("t1", "taker", "buy", earlier)).toBe(earlier); // appends to the array given
    expect(earlier.map((f) => f.seq)).toEqual([1, 1, 2]);
    expect(book.fills.makerOrderIds.slice(0, 2)).toEqual([1, 2]); // as given: numbers stay numbers
    expect(book.snapshot()).toEqual({ bids: [[102, 2]], asks: [] });

    const market = book.market(3, "sell", 5, "other");
    expect(market).toEqual({ status: "cancelled", reason: undefined, filledLots: 2, restingLots: 0, cancelledLots: 3 });
    expect(book.fills.count).toBe(1);
    expect(book.orderCount).toBe(0);

    book.limit(4, "buy", 100, 7, "maker");
    expect(book.remove(4)).toEqual({ status: "cancelled", reason: undefined, filledLots: 0, restingLots: 0, cancelledLots: 7 });
    expect(book.fills.count).toBe(0);
    expect(book.remove(4)).toEqual({ status: "rejected", reason: "UNKNOWN_ORDER", filledLots: 0, restingLots: 0, cancelledLots: 0 });
  });

  it("honours a market order's worst price and self-trade prevention", () => {
    const book = new OrderBook();
    book.limit(1, "sell", 101, 2, "a");
    book.limit(2, "sell", 103, 2, "b");
    expect(book.market(3, "buy", 4, "c", "cancel_taker", 102)).toMatchObject({ status: "cancelled", filledLots: 2, cancelledLots: 2 });
    expect(book.limit(4, "buy", 103, 1, "b")).toMatchObject({ status: "cancelled", filledLots: 0, cancelledLots: 1 }); // cancel_taker by default
    expect(book.limit(5, "buy", 103, 1, "b", "cancel_maker")).toMatchObject({ status: "resting", restingLots: 1 });
    expect(book.fills.cancelledCount).toBe(1);
    expect(book.fills.cancelledMakerIds[0]).toBe(2);
  });

  it("grows the fill buffer past its first capacity", () => {
    const book = new OrderBook();
    for (let i = 0; i < 200; i++) book.limit(i, "sell", 1000 + i, 1, "m");
    expect(book.market("sweep", "buy", 200, "t")).toMatchObject({ status: "filled", filledLots: 200 });
    expect(book.fills.count).toBe(200);
    expect(Array.from(book.fills.priceTicks.subarray(0, 200))).toEqual(Array.from({ length: 200 }, (_, i) => 1000 + i));
  });

  it("refuses bad numbers as values and malformed calls as ValidationError, changing nothing", () => {
    const book = new OrderBook({ maxPriceTicks: 1000 });
    book.limit(1, "sell", 101, 3, "m");
    book.limit("b", "buy", 99, 3, "m");
    const before = picture(book);
    const refusals: Array<[() => BookStep, string]> = [
      [() => book.limit(2, "buy", 100, 0, "t"), "NON_POSITIVE_SIZE"],
      [() => book.limit(2, "buy", 100, 1.5, "t"), "INVALID_SIZE_LOT"],
      [() => book.limit(2, "buy", 100, Number.NaN, "t"), "INVALID_SIZE_LOT"],
      [() => book.limit(2, "buy", 100, 2 ** 60, "t"), "SIZE_OUT_OF_RANGE"],
      [() => book.limit(2, "buy", 0, 1, "t"), "NON_POSITIVE_PRICE"],
      [() => book.limit(2, "buy", 100.5, 1, "t"), "INVALID_PRICE_TICK"],
      [() => book.limit(2, "buy", 1001, 1, "t"), "PRICE_OUT_OF_RANGE"],
      [() => book.limit(1, "buy", 100, 1, "t"), "DUPLICATE_ORDER_ID"],
      [() => book.limit("1", "buy", 100, 1, "t"), "DUPLICATE_ORDER_ID"],
      [() => book.market("b", "sell", 1, "t"), "DUPLICATE_ORDER_ID"],
      [() => book.market(2, "sell", -1, "t"), "NON_POSITIVE_SIZE"],
      [() => book.market(2, "sell", 1, "t", "allow", -5), "NON_POSITIVE_PRICE"],
      [() => book.market(2, "sell", 1, "t", "allow", 5000), "PRICE_OUT_OF_RANGE"],
      [() => book.remove(2), "UNKNOWN_ORDER"],
      [() => book.remove(-1), "UNKNOWN_ORDER"],
      [() => book.remove(""), "UNKNOWN_ORDER"],
    ];
    for (const [call, reason] of refusals) {
      const step = call();
      expect(step.status, reason).toBe("rejected");
      expect(step.reason).toBe(reason);
      expect(step.filledLots + step.restingLots + step.cancelledLots).toBe(0);
      expect(book.fills.count).toBe(0);
      expect(picture(book)).toBe(before);
    }
    const malformed: Array<[() => unknown, string]> = [
      [() => book.limit("", "buy", 100, 1, "t"), "id"],
      [() => book.limit(-1, "buy", 100, 1, "t"), "id"],
      [() => book.limit(1.5, "buy", 100, 1, "t"), "id"],
      [() => book.limit(2 ** 53, "buy", 100, 1, "t"), "id"],
      [() => book.limit(Number.NaN, "buy", 100, 1, "t"), "id"],
      [() => book.limit(2, "BUY" as never, 100, 1, "t"), "side"],
      [() => book.market(2, "buy", 1, 7 as never), "accountId"],
      [() => book.market(2, "buy", 1, "t", "nope" as never), "selfTrade"],
    ];
    for (const [call, path] of malformed) {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(caught, path).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).issues[0]?.path).toBe(path);
      expect(picture(book)).toBe(before);
    }
  });
});

describe("numeric order ids", () => {
  it("name the same order as their decimal string, in every call", () => {
    const book = new OrderBook();
    book.limit(5, "buy", 100, 2, "a");
    expect(book.submit({ id: "5", accountId: "a", side: "buy", kind: "limit", priceTicks: 99, sizeLots: 1 })).toMatchObject({ status: "rejected", reason: "DUPLICATE_ORDER_ID" });
    expect(book.order("5")).toMatchObject({ id: "5", sizeLots: 2 });
    expect(book.order(5)).toEqual(book.order("5"));
    expect(book.modify("5", { sizeLots: 1 })).toMatchObject({ orderId: "5", status: "resting", restingLots: 1 });
    expect(book.cancel(5)).toEqual({ status: "cancelled", orderId: "5", remainingLots: 1 });

    book.submit({ id: "7", accountId: "a", side: "sell", kind: "limit", priceTicks: 110, sizeLots: 1 });
    expect(book.limit(7, "sell", 111, 1, "a")).toMatchObject({ status: "rejected", reason: "DUPLICATE_ORDER_ID" });
    expect(book.remove(7)).toMatchObject({ status: "cancelled", cancelledLots: 1 });
    expect(book.orderCount).toBe(0);
  });

  it("keep non-canonical strings apart: '05', '5.0', ' 5' and '+5' are other ids", () => {
    const book = new OrderBook();
    book.limit(5, "buy", 100, 1, "a");
    for (const id of ["05", "5.0", " 5", "+5", "5 "]) {
      expect(book.limit(id, "buy", 100, 1, "a"), id).toMatchObject({ status: "resting" });
    }
    expect(book.orderCount).toBe(6);
    expect(book.restingOrders().map((o) => o.id)).toEqual(["5", "05", "5.0", " 5", "+5", "5 "]);
  });

  it("work beyond the direct array (hashed) and at its edge, in both forms", () => {
    const book = new OrderBook();
    const ids = [0, DIRECT_LIMIT - 1, DIRECT_LIMIT, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
    ids.forEach((id, i) => expect(book.limit(id, "sell", 200 + i, 1, "m").status).toBe("resting"));
    for (const id of ids) {
      expect(book.limit(String(id), "sell", 300, 1, "m").reason, String(id)).toBe("DUPLICATE_ORDER_ID");
      expect(book.order(String(id))?.id).toBe(String(id));
    }
    // A 17-digit string is past every safe integer: another (string) id.
    expect(book.limit("90071992547409910", "sell", 300, 1, "m").status).toBe("resting");
    const taker = book.submit({ id: "t", accountId: "t", side: "buy", kind: "market", sizeLots: 5 });
    expect(taker.fills.map((f) => f.makerOrderId)).toEqual(ids.map(String));
    for (const id of ids) expect(book.order(id)).toBeUndefined();
    expect(book.orderCount).toBe(1);
  });
});

type Op =
  | { type: "limit"; id: number; numeric: boolean; account: number; side: "buy" | "sell"; priceTicks: number; sizeLots: number; stp: SelfTradePrevention }
  | { type: "market"; id: number; numeric: boolean; account: number; side: "buy" | "sell"; sizeLots: number; worst?: number; stp: SelfTradePrevention }
  | { type: "cancel"; id: number; numeric: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant("limit" as const),
      id: fc.integer({ min: 0, max: 60 }),
      numeric: fc.boolean(),
      account: fc.integer({ min: 0, max: 2 }),
      side: fc.constantFrom<"buy" | "sell">("buy", "sell"),
      priceTicks: fc.integer({ min: 95, max: 105 }),
      sizeLots: fc.integer({ min: 1, max: 10 }),
      stp: fc.constantFrom<SelfTradePrevention>("cancel_taker", "cancel_maker", "cancel_both", "allow"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("market" as const),
      id: fc.integer({ min: 0, max: 60 }),
      numeric: fc.boolean(),
      account: fc.integer({ min: 0, max: 2 }),
      side: fc.constantFrom<"buy" | "sell">("buy", "sell"),
      sizeLots: fc.integer({ min: 1, max: 25 }),
      worst: fc.option(fc.integer({ min: 95, max: 105 }), { nil: undefined }),
      stp: fc.constantFrom<SelfTradePrevention>("cancel_taker", "cancel_maker", "cancel_both", "allow"),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("cancel" as const), id: fc.integer({ min: 0, max: 60 }), numeric: fc.boolean() }) },
);

/** What a step and its buffer say, in submit's terms. */
function stepAsResult(book: OrderBook, step: BookStep, orderId: string, accountId: string, side: "buy" | "sell"): Omit<SubmitResult, "reason"> & { reason?: string } {
  const b = book.fills;
  const out: Omit<SubmitResult, "reason"> & { reason?: string } = {
    orderId,
    status: step.status,
    filledLots: step.filledLots,
    restingLots: step.restingLots,
    fills: b.toFills(orderId, accountId, side),
    cancelledMakerIds: Array.from({ length: b.cancelledCount }, (_, i) => String(b.cancelledMakerIds[i])),
  };
  if (step.status === "rejected") return { orderId, status: "rejected", reason: step.reason, filledLots: 0, restingLots: 0, fills: [], cancelledMakerIds: [] };
  return out;
}

describe("the fast path against submit (property)", () => {
  it("gives the same results and the same book on random streams, ids given as numbers or strings", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 250 }), (ops) => {
        const fast = new OrderBook();
        const slow = new OrderBook();
        for (const op of ops) {
          // The fast book gets the id as a number or as its string; the slow one always the string.
          const text = String(op.id);
          const id: OrderId = op.numeric ? op.id : text;
          if (op.type === "cancel") {
            const step = fast.remove(id);
            const result = slow.cancel(text);
            if (result.status === "cancelled") {
              expect(step).toEqual({ status: "cancelled", reason: undefined, filledLots: 0, restingLots: 0, cancelledLots: result.remainingLots });
            } else expect(step).toMatchObject({ status: "rejected", reason: result.reason });
          } else {
            const accountId = `acct${op.account}`;
            const step =
              op.type === "limit"
                ? fast.limit(id, op.side, op.priceTicks, op.sizeLots, accountId, op.stp)
                : fast.market(id, op.side, op.sizeLots, accountId, op.stp, op.worst);
            const result = slow.submit(
              op.type === "limit"
                ? { id: text, accountId, side: op.side, kind: "limit", priceTicks: op.priceTicks, sizeLots: op.sizeLots, selfTrade: op.stp }
                : { id: text, accountId, side: op.side, kind: "market", sizeLots: op.sizeLots, selfTrade: op.stp, ...(op.worst === undefined ? {} : { priceTicks: op.worst }) },
            );
            expect(stepAsResult(fast, step, text, accountId, op.side)).toEqual(result);
            const dropped = op.sizeLots - step.filledLots - step.restingLots;
            expect(step.cancelledLots).toBe(step.status === "rejected" ? 0 : dropped);
          }
          expect(fast.snapshot()).toEqual(slow.snapshot());
          expect(fast.orderCount).toBe(slow.orderCount);
        }
        expect(fast.restingOrders()).toEqual(slow.restingOrders());
      }),
      { numRuns: 150 },
    );
  });
});
