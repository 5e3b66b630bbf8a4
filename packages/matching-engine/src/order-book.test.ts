import { describe, expect, it } from "vitest";
import { OrderBook } from "./order-book.js";
import type { BookOrderInput, SubmitResult, TimeInForce } from "./types.js";

function limit(id: string, side: "buy" | "sell", priceTicks: number, sizeLots: number, extra: Partial<BookOrderInput> = {}): BookOrderInput {
  return { id, accountId: extra.accountId ?? `acct-${id}`, side, kind: "limit", priceTicks, sizeLots, ...extra };
}

function market(id: string, side: "buy" | "sell", sizeLots: number, extra: Partial<BookOrderInput> = {}): BookOrderInput {
  return { id, accountId: extra.accountId ?? `acct-${id}`, side, kind: "market", sizeLots, ...extra };
}

/** Everything observable about a book, for "nothing changed" comparisons. */
function stateOf(book: OrderBook) {
  return {
    snapshot: book.snapshot(),
    depth: book.depth(1000),
    orders: book.restingOrders(),
    bestBid: book.bestBid(),
    bestAsk: book.bestAsk(),
    triggers: book.pendingTriggers(),
  };
}

/** Fills as compact tuples: [maker, taker, price, size, makerRemaining]. */
function fillsOf(result: SubmitResult): Array<[string, string, number, number, number]> {
  return result.fills.map((f) => [f.makerOrderId, f.takerOrderId, f.priceTicks, f.sizeLots, f.makerRemainingLots]);
}

/** asks 101x5 (a1), 101x3 (a2), 102x4 (a3); bids 99x2 (b1), 98x6 (b2). */
function seededBook(): OrderBook {
  const book = new OrderBook({ symbol: "TEST" });
  for (const order of [
    limit("a1", "sell", 101, 5),
    limit("a2", "sell", 101, 3),
    limit("a3", "sell", 102, 4),
    limit("b1", "buy", 99, 2),
    limit("b2", "buy", 98, 6),
  ]) {
    expect(book.submit(order).status).toBe("resting");
  }
  return book;
}

describe("OrderBook", () => {
  it("rests limit orders and reports best bid, best ask, mid, depth and snapshot", () => {
    const book = seededBook();
    expect(book.bestBid()).toBe(99);
    expect(book.bestAsk()).toBe(101);
    expect(book.mid()).toBe(100);
    expect(book.depth(1)).toEqual({
      bids: [{ priceTicks: 99, sizeLots: 2, orderCount: 1 }],
      asks: [{ priceTicks: 101, sizeLots: 8, orderCount: 2 }],
    });
    expect(book.snapshot()).toEqual({
      bids: [
        [99, 2],
        [98, 6],
      ],
      asks: [
        [101, 8],
        [102, 4],
      ],
    });
    expect(book.order("a2")).toEqual({ id: "a2", accountId: "acct-a2", side: "sell", priceTicks: 101, sizeLots: 3, seq: 2 });
  });

  it("gives a half-tick mid and undefined when a side is empty", () => {
    const book = new OrderBook();
    expect(book.mid()).toBeUndefined();
    book.submit(limit("b", "buy", 10, 1));
    expect(book.mid()).toBeUndefined();
    book.submit(limit("a", "sell", 11, 1));
    expect(book.mid()).toBe(10.5);
  });

  it("matches a crossing limit buy in price-time order at the makers' prices and rests the rest", () => {
    const book = seededBook();
    const result = book.submit(limit("t", "buy", 102, 10));
    expect(fillsOf(result)).toEqual([
      ["a1", "t", 101, 5, 0],
      ["a2", "t", 101, 3, 0],
      ["a3", "t", 102, 2, 2],
    ]);
    expect(result.fills.map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ status: "filled", filledLots: 10, restingLots: 0 });
    expect(book.snapshot().asks).toEqual([[102, 2]]);
    expect(book.order("a1")).toBeUndefined();
  });

  it("rests the unfilled part of a GTC limit order at its price", () => {
    const book = seededBook();
    const result = book.submit(limit("t", "buy", 101, 10));
    expect(fillsOf(result)).toEqual([
      ["a1", "t", 101, 5, 0],
      ["a2", "t", 101, 3, 0],
    ]);
    expect(result).toMatchObject({ status: "partially_filled", filledLots: 8, restingLots: 2 });
    expect(book.bestBid()).toBe(101);
    expect(book.bestAsk()).toBe(102);
  });

  describe.each<[TimeInForce, { status: string; filled: number; resting: number; fills: number }]>([
    ["GTC", { status: "partially_filled", filled: 8, resting: 2, fills: 2 }],
    ["IOC", { status: "cancelled", filled: 8, resting: 0, fills: 2 }],
    ["FOK", { status: "rejected", filled: 0, resting: 0, fills: 0 }],
  ])("a limit buy of 10 at 101 against 8 lots with time in force %s", (timeInForce, expected) => {
    it("fills, rests or drops exactly as its time in force says", () => {
      const book = seededBook();
      const before = stateOf(book);
      const result = book.submit(limit("t", "buy", 101, 10, { timeInForce }));
      expect(result.status).toBe(expected.status);
      expect(result.filledLots).toBe(expected.filled);
      expect(result.restingLots).toBe(expected.resting);
      expect(result.fills).toHaveLength(expected.fills);
      if (timeInForce === "FOK") {
        expect(result.reason).toBe("FOK_NOT_FILLABLE");
        expect(stateOf(book)).toEqual(before);
      } else {
        expect(book.order("t")?.sizeLots).toBe(timeInForce === "GTC" ? 2 : undefined);
      }
    });
  });

  it.each<TimeInForce>(["GTC", "IOC", "FOK"])("fills completely with %s when the liquidity is there", (timeInForce) => {
    const book = seededBook();
    const result = book.submit(limit("t", "buy", 102, 12, { timeInForce }));
    expect(result.status).toBe("filled");
    expect(fillsOf(result)).toEqual([
      ["a1", "t", 101, 5, 0],
      ["a2", "t", 101, 3, 0],
      ["a3", "t", 102, 4, 0],
    ]);
    expect(book.bestAsk()).toBeUndefined();
  });

  it("walks levels with a market order and cancels what the book cannot fill", () => {
    const book = seededBook();
    const result = book.submit(market("m", "sell", 10));
    expect(fillsOf(result)).toEqual([
      ["b1", "m", 99, 2, 0],
      ["b2", "m", 98, 6, 0],
    ]);
    expect(result).toMatchObject({ status: "cancelled", filledLots: 8, restingLots: 0 });
    expect(book.bestBid()).toBeUndefined();
  });

  it("stops a market order at its worst-price protection", () => {
    const book = seededBook();
    const result = book.submit(market("m", "buy", 12, { priceTicks: 101 }));
    expect(fillsOf(result)).toEqual([
      ["a1", "m", 101, 5, 0],
      ["a2", "m", 101, 3, 0],
    ]);
    expect(result.status).toBe("cancelled");
    expect(book.bestAsk()).toBe(102);
  });

  it("cancels a market order with no fills when the opposite side is empty", () => {
    const book = new OrderBook();
    book.submit(limit("b", "buy", 10, 1));
    const result = book.submit(market("m", "buy", 3));
    expect(result).toEqual({ orderId: "m", status: "cancelled", filledLots: 0, restingLots: 0, fills: [], cancelledMakerIds: [] });
  });

  it("rejects a market FOK that the book cannot fill and leaves it unchanged", () => {
    const book = seededBook();
    const before = stateOf(book);
    const result = book.submit(market("m", "buy", 13, { timeInForce: "FOK" }));
    expect(result).toMatchObject({ status: "rejected", reason: "FOK_NOT_FILLABLE" });
    expect(stateOf(book)).toEqual(before);
    expect(book.submit(market("m", "buy", 12, { timeInForce: "FOK" })).status).toBe("filled");
  });

  it("rests a post-only order that does not cross and rejects one that would, leaving the book unchanged", () => {
    const book = seededBook();
    expect(book.submit(limit("p1", "buy", 100, 1, { postOnly: true })).status).toBe("resting");
    const before = stateOf(book);
    const result = book.submit(limit("p2", "buy", 101, 1, { postOnly: true }));
    expect(result).toMatchObject({ status: "rejected", reason: "POST_ONLY_WOULD_CROSS", fills: [] });
    expect(stateOf(book)).toEqual(before);
    expect(book.submit(market("p3", "buy", 1, { postOnly: true })).reason).toBe("POST_ONLY_WOULD_CROSS");
  });

  describe("self-trade prevention", () => {
    /** asks 101: x1 (acct A) 2 lots, s1 (acct S) 3 lots, x2 (acct A) 4 lots. */
    function stpBook(): OrderBook {
      const book = new OrderBook();
      book.submit(limit("x1", "sell", 101, 2, { accountId: "A" }));
      book.submit(limit("s1", "sell", 101, 3, { accountId: "S" }));
      book.submit(limit("x2", "sell", 101, 4, { accountId: "A" }));
      return book;
    }

    it("cancel_taker (the default) stops the taker at its own order and keeps the partial fills", () => {
      const book = stpBook();
      const result = book.submit(limit("t", "buy", 101, 9, { accountId: "S" }));
      expect(fillsOf(result)).toEqual([["x1", "t", 101, 2, 0]]);
      expect(result).toMatchObject({ status: "cancelled", filledLots: 2, restingLots: 0, cancelledMakerIds: [] });
      expect(book.order("s1")?.sizeLots).toBe(3);
      expect(book.order("t")).toBeUndefined();
    });

    it("cancel_maker removes the resting own order and keeps matching", () => {
      const book = stpBook();
      const result = book.submit(limit("t", "buy", 101, 9, { accountId: "S", selfTrade: "cancel_maker" }));
      expect(fillsOf(result)).toEqual([
        ["x1", "t", 101, 2, 0],
        ["x2", "t", 101, 4, 0],
      ]);
      expect(result).toMatchObject({ status: "partially_filled", filledLots: 6, restingLots: 3, cancelledMakerIds: ["s1"] });
      expect(book.order("s1")).toBeUndefined();
      expect(book.bestBid()).toBe(101);
    });

    it("cancel_both removes the resting own order and stops the taker", () => {
      const book = stpBook();
      const result = book.submit(limit("t", "buy", 101, 9, { accountId: "S", selfTrade: "cancel_both" }));
      expect(fillsOf(result)).toEqual([["x1", "t", 101, 2, 0]]);
      expect(result).toMatchObject({ status: "cancelled", filledLots: 2, cancelledMakerIds: ["s1"] });
      expect(book.snapshot().asks).toEqual([[101, 4]]);
    });

    it("allow trades against the own order", () => {
      const book = stpBook();
      const result = book.submit(limit("t", "buy", 101, 9, { accountId: "S", selfTrade: "allow" }));
      expect(fillsOf(result)).toEqual([
        ["x1", "t", 101, 2, 0],
        ["s1", "t", 101, 3, 0],
        ["x2", "t", 101, 4, 0],
      ]);
      expect(result.status).toBe("filled");
    });

    it.each([
      ["cancel_taker", false],
      ["cancel_both", false],
      ["cancel_maker", false],
      ["allow", true],
    ] as const)("counts own orders for a FOK taker as self-trade mode %s says", (selfTrade, fillable) => {
      const book = stpBook();
      const before = stateOf(book);
      const result = book.submit(limit("t", "buy", 101, 7, { accountId: "S", selfTrade, timeInForce: "FOK" }));
      expect(result.status).toBe(fillable ? "filled" : "rejected");
      if (!fillable) expect(stateOf(book)).toEqual(before);
      const six = stpBook().submit(limit("t6", "buy", 101, 6, { accountId: "S", selfTrade, timeInForce: "FOK" }));
      expect(six.status).toBe(selfTrade === "cancel_maker" || selfTrade === "allow" ? "filled" : "rejected");
    });
  });

  describe("rejections change nothing", () => {
    const cases: Array<[string, BookOrderInput, string]> = [
      ["zero size", limit("r", "buy", 100, 0), "NON_POSITIVE_SIZE"],
      ["negative size", limit("r", "buy", 100, -3), "NON_POSITIVE_SIZE"],
      ["fractional size", limit("r", "buy", 100, 1.5), "INVALID_SIZE_LOT"],
      ["unsafe size", limit("r", "buy", 100, 2 ** 60), "SIZE_OUT_OF_RANGE"],
      ["NaN size", limit("r", "buy", 100, Number.NaN), "INVALID_SIZE_LOT"],
      ["fractional price", limit("r", "buy", 100.5, 1), "INVALID_PRICE_TICK"],
      ["zero price", limit("r", "buy", 0, 1), "NON_POSITIVE_PRICE"],
      ["price above the maximum", limit("r", "buy", 1_000_001, 1), "PRICE_OUT_OF_RANGE"],
      ["limit without price", { id: "r", accountId: "x", side: "buy", kind: "limit", sizeLots: 1 }, "INVALID_PRICE_TICK"],
      ["duplicate id", limit("a1", "buy", 100, 1), "DUPLICATE_ORDER_ID"],
      ["post-only crossing", limit("r", "sell", 99, 1, { postOnly: true }), "POST_ONLY_WOULD_CROSS"],
      ["unfillable FOK", limit("r", "sell", 99, 3, { timeInForce: "FOK" }), "FOK_NOT_FILLABLE"],
    ];
    it.each(cases)("rejects %s with its reason and leaves the book identical", (_name, order, reason) => {
      const book = new OrderBook({ maxPriceTicks: 1_000_000 });
      for (const o of [limit("a1", "sell", 101, 5), limit("b1", "buy", 99, 2), limit("b2", "buy", 98, 6)]) book.submit(o);
      book.addTrigger({ id: "tr", accountId: "x", side: "sell", kind: "stop_loss", triggerTicks: 90, sizeLots: 1 });
      const before = stateOf(book);
      const result = book.submit(order);
      expect(result).toEqual({ orderId: order.id, status: "rejected", reason: reason, filledLots: 0, restingLots: 0, fills: [], cancelledMakerIds: [] });
      expect(stateOf(book)).toEqual(before);
      // The next accepted order still gets the next fill sequence number: no hidden state moved.
      expect(book.submit(market("after", "buy", 1)).fills[0]?.seq).toBe(1);
    });

    it("throws a ValidationError for an order its type forbids, changing nothing", () => {
      const book = seededBook();
      const before = stateOf(book);
      expect(() => book.submit({ ...limit("r", "buy", 100, 1), side: "up" as never })).toThrow(/side/);
      expect(() => book.submit({ ...limit("", "buy", 100, 1) })).toThrow(/id/);
      expect(stateOf(book)).toEqual(before);
    });
  });

  it("keeps price-time order for prices far apart (beyond the dense level window) and after a side empties", () => {
    const book = new OrderBook();
    const bidPrices = [50_000, 10, 1_000_000, 70_000, 999_999];
    bidPrices.forEach((p, i) => book.submit(limit(`b${i}`, "buy", p, i + 1)));
    const askPrices = [9_000_000_000_000_000, 2_000_000, 1_500_000, 3_000_000_000];
    askPrices.forEach((p, i) => book.submit(limit(`a${i}`, "sell", p, 1)));
    expect(book.snapshot().bids.map(([p]) => p)).toEqual([1_000_000, 999_999, 70_000, 50_000, 10]);
    expect(book.snapshot().asks.map(([p]) => p)).toEqual([1_500_000, 2_000_000, 3_000_000_000, 9_000_000_000_000_000]);
    expect(book.cancel("b3")).toEqual({ status: "cancelled", orderId: "b3", remainingLots: 4 });
    expect(fillsOf(book.submit(market("m", "sell", 20)))).toEqual([
      ["b2", "m", 1_000_000, 3, 0],
      ["b4", "m", 999_999, 5, 0],
      ["b0", "m", 50_000, 1, 0],
      ["b1", "m", 10, 2, 0],
    ]);
    expect(book.bestBid()).toBeUndefined();
    // The bid side is empty; new bids far from the old ones still sort and match correctly.
    book.submit(limit("n1", "buy", 1_400_000, 2));
    book.submit(limit("n2", "buy", 5, 2));
    book.submit(limit("n3", "buy", 1_400_001, 2));
    expect(book.snapshot().bids).toEqual([[1_400_001, 2], [1_400_000, 2], [5, 2]]);
    expect(fillsOf(book.submit(limit("x", "buy", 3_000_000_000, 3)))).toEqual([
      ["a2", "x", 1_500_000, 1, 0],
      ["a1", "x", 2_000_000, 1, 0],
      ["a3", "x", 3_000_000_000, 1, 0],
    ]);
    expect(book.snapshot().asks).toEqual([[9_000_000_000_000_000, 1]]);
  });

  it("grows past its initial capacities without losing orders", () => {
    const book = new OrderBook();
    for (let i = 0; i < 3000; i++) book.submit(limit(`s${i}`, "sell", 1000 + (i % 700), 1));
    expect(book.orderCount).toBe(3000);
    expect(book.depth(1000).asks).toHaveLength(700);
    const result = book.submit(market("m", "buy", 3000));
    expect(result.filledLots).toBe(3000);
    expect(result.fills[0]).toMatchObject({ makerOrderId: "s0", priceTicks: 1000 });
    expect(result.fills[1]).toMatchObject({ makerOrderId: "s700", priceTicks: 1000 });
    expect(book.orderCount).toBe(0);
  });

  it("forgets filled orders: their ids are unknown to cancel, modify and order, and free for reuse, also after thousands of fills", () => {
    const book = new OrderBook();
    for (let i = 0; i < 6000; i++) book.submit(limit(`f${i}`, "sell", 100 + (i % 50), 1));
    book.submit(limit("keep", "sell", 200, 1));
    for (let round = 0; round < 6; round++) expect(book.submit(market(`m${round}`, "buy", 1000)).filledLots).toBe(1000);
    expect(book.orderCount).toBe(1);
    expect(book.restingOrders().map((o) => o.id)).toEqual(["keep"]);
    for (const id of ["f0", "f2999", "f5999"]) {
      expect(book.cancel(id)).toEqual({ status: "rejected", orderId: id, reason: "UNKNOWN_ORDER" });
      expect(book.modify(id, { sizeLots: 1 }).reason).toBe("UNKNOWN_ORDER");
      expect(book.order(id)).toBeUndefined();
    }
    expect(book.submit(limit("f5999", "sell", 150, 2)).status).toBe("resting");
    expect(book.submit(limit("f1", "buy", 10, 3)).status).toBe("resting");
    expect(book.orderCount).toBe(3);
    expect(book.submit(limit("f5999", "sell", 151, 1)).reason).toBe("DUPLICATE_ORDER_ID");
    expect(book.cancel("f5999")).toEqual({ status: "cancelled", orderId: "f5999", remainingLots: 2 });
    expect(book.orderCount).toBe(2);
  });

  describe("cancel", () => {
    it("removes a resting order, returns its remaining size and drops an emptied level", () => {
      const book = seededBook();
      book.submit(market("m", "buy", 2));
      expect(book.cancel("a1")).toEqual({ status: "cancelled", orderId: "a1", remainingLots: 3 });
      expect(book.cancel("a2")).toEqual({ status: "cancelled", orderId: "a2", remainingLots: 3 });
      expect(book.bestAsk()).toBe(102);
      expect(book.depth(5).asks).toEqual([{ priceTicks: 102, sizeLots: 4, orderCount: 1 }]);
    });

    it("answers UNKNOWN_ORDER for an id not on the book and changes nothing", () => {
      const book = seededBook();
      const before = stateOf(book);
      expect(book.cancel("nope")).toEqual({ status: "rejected", orderId: "nope", reason: "UNKNOWN_ORDER" });
      expect(book.cancel("a1").status).toBe("cancelled");
      expect(book.cancel("a1")).toEqual({ status: "rejected", orderId: "a1", reason: "UNKNOWN_ORDER" });
      expect(stateOf(book)).not.toEqual(before);
    });

    it("unlinks an order from the middle of a queue and keeps the others' order", () => {
      const book = new OrderBook();
      for (const id of ["q1", "q2", "q3"]) book.submit(limit(id, "sell", 50, 1));
      book.cancel("q2");
      expect(fillsOf(book.submit(market("m", "buy", 2)))).toEqual([
        ["q1", "m", 50, 1, 0],
        ["q3", "m", 50, 1, 0],
      ]);
    });
  });

  describe("modify", () => {
    it("keeps queue priority when the size shrinks at the same price", () => {
      const book = seededBook();
      const result = book.modify("a1", { sizeLots: 2 });
      expect(result).toMatchObject({ status: "resting", restingLots: 2, fills: [] });
      expect(book.order("a1")?.seq).toBe(1);
      expect(fillsOf(book.submit(market("m", "buy", 3)))).toEqual([
        ["a1", "m", 101, 2, 0],
        ["a2", "m", 101, 1, 2],
      ]);
    });

    it("loses priority when the size grows", () => {
      const book = seededBook();
      book.modify("a1", { sizeLots: 6 });
      expect(fillsOf(book.submit(market("m", "buy", 4)))).toEqual([
        ["a2", "m", 101, 3, 0],
        ["a1", "m", 101, 1, 5],
      ]);
    });

    it("loses priority on a price change and may match as a taker", () => {
      const book = seededBook();
      const result = book.modify("b1", { priceTicks: 101, sizeLots: 6 });
      expect(fillsOf(result)).toEqual([["a1", "b1", 101, 5, 0], ["a2", "b1", 101, 1, 2]]);
      expect(result.status).toBe("filled");
      expect(book.order("b1")).toBeUndefined();
    });

    it("rejects an unknown id, a bad size or price, and a post-only order that would cross, changing nothing", () => {
      const book = seededBook();
      book.submit(limit("p", "buy", 100, 1, { postOnly: true }));
      const before = stateOf(book);
      expect(book.modify("nope", { sizeLots: 1 }).reason).toBe("UNKNOWN_ORDER");
      expect(book.modify("a1", { sizeLots: 0 }).reason).toBe("NON_POSITIVE_SIZE");
      expect(book.modify("a1", { priceTicks: 1.25 }).reason).toBe("INVALID_PRICE_TICK");
      expect(book.modify("p", { priceTicks: 101 }).reason).toBe("POST_ONLY_WOULD_CROSS");
      expect(stateOf(book)).toEqual(before);
    });
  });

  describe("snapshot mode", () => {
    it("loads external levels, lets a taker walk them, and keeps consumed liquidity consumed until the next load", () => {
      const book = new OrderBook();
      book.loadSnapshot({ bids: [[99, 5], [98, 5]], asks: [[101, 2], [102, 3], [103, 10]] });
      const first = book.submit(market("m1", "buy", 4, { accountId: "me" }));
      expect(first.fills.map((f) => [f.priceTicks, f.sizeLots, f.makerAccountId])).toEqual([
        [101, 2, "__external__"],
        [102, 2, "__external__"],
      ]);
      const second = book.submit(market("m2", "buy", 4, { accountId: "me" }));
      expect(second.fills.map((f) => [f.priceTicks, f.sizeLots])).toEqual([
        [102, 1],
        [103, 3],
      ]);
      book.loadSnapshot({ bids: [[99, 5]], asks: [[101, 2], [102, 3]] });
      expect(book.snapshot()).toEqual({ bids: [[99, 5]], asks: [[101, 2], [102, 3]] });
    });

    it("keeps our own resting orders across loads, queued behind external liquidity at the same price", () => {
      const book = new OrderBook();
      book.submit(limit("mine", "sell", 101, 1, { accountId: "me" }));
      book.loadSnapshot({ bids: [[99, 5]], asks: [[101, 2]] });
      const result = book.submit(market("t", "buy", 3, { accountId: "other" }));
      expect(result.fills.map((f) => [f.makerAccountId, f.sizeLots])).toEqual([
        ["__external__", 2],
        ["me", 1],
      ]);
      book.loadSnapshot({ bids: [[99, 5]], asks: [[101, 2]] });
      expect(book.order("mine")).toBeUndefined();
      expect(book.snapshot().asks).toEqual([[101, 2]]);
    });

    it("fills our resting order when a new snapshot trades through it, and returns those fills", () => {
      const book = new OrderBook();
      book.submit(limit("mybid", "buy", 100, 2, { accountId: "me" }));
      const fills = book.loadSnapshot({ bids: [[97, 5]], asks: [[99, 3], [100, 1]] });
      expect(fills.map((f) => [f.makerOrderId, f.takerAccountId, f.priceTicks, f.sizeLots])).toEqual([["mybid", "__external__", 100, 2]]);
      expect(book.order("mybid")).toBeUndefined();
      expect(book.snapshot()).toEqual({ bids: [[97, 5]], asks: [[99, 1], [100, 1]] });
    });

    it("rejects a malformed or crossed snapshot by throwing before changing anything", () => {
      const book = new OrderBook();
      book.loadSnapshot({ bids: [[99, 5]], asks: [[101, 2]] });
      const before = stateOf(book);
      expect(() => book.loadSnapshot({ bids: [[101, 1]], asks: [[100, 1]] })).toThrow(/crossed/);
      expect(() => book.loadSnapshot({ bids: [[99, 0]], asks: [] })).toThrow(/invalid snapshot/);
      expect(stateOf(book)).toEqual(before);
    });
  });

  describe("trigger orders", () => {
    it("fires a sell stop-loss at or below its trigger as a market order", () => {
      const book = seededBook();
      expect(book.addTrigger({ id: "sl", accountId: "me", side: "sell", kind: "stop_loss", triggerTicks: 95, sizeLots: 3 })).toEqual({ status: "accepted", id: "sl" });
      expect(book.onReferencePrice(96)).toEqual([]);
      const fired = book.onReferencePrice(95);
      expect(fired).toHaveLength(1);
      expect(fired[0]?.atPriceTicks).toBe(95);
      expect(fillsOf(fired[0]!.result)).toEqual([
        ["b1", "sl", 99, 2, 0],
        ["b2", "sl", 98, 1, 5],
      ]);
      expect(book.pendingTriggers()).toEqual([]);
      expect(book.onReferencePrice(90)).toEqual([]);
    });

    it("fires a buy take-profit limit order at or below its trigger and rests it", () => {
      const book = seededBook();
      book.addTrigger({ id: "tp", accountId: "me", side: "buy", kind: "take_profit", triggerTicks: 97, limitTicks: 97, sizeLots: 2 });
      expect(book.onReferencePrice(98)).toEqual([]);
      const [fired] = book.onReferencePrice(97);
      expect(fired?.result).toMatchObject({ status: "resting", restingLots: 2 });
      expect(book.order("tp")?.priceTicks).toBe(97);
    });

    it("fires sell take-profits and buy stops on a rise, the one passed first first, then by insertion", () => {
      const book = seededBook();
      book.addTrigger({ id: "tp-near", accountId: "u", side: "sell", kind: "take_profit", triggerTicks: 105, limitTicks: 200, sizeLots: 1 });
      book.addTrigger({ id: "stop-far", accountId: "v", side: "buy", kind: "stop_loss", triggerTicks: 103, limitTicks: 50, sizeLots: 1 });
      book.addTrigger({ id: "tp-far", accountId: "w", side: "sell", kind: "take_profit", triggerTicks: 103, limitTicks: 201, sizeLots: 1 });
      book.addTrigger({ id: "untouched", accountId: "w", side: "sell", kind: "stop_loss", triggerTicks: 90, sizeLots: 1 });
      const fired = book.onReferencePrice(106);
      expect(fired.map((f) => f.trigger.id)).toEqual(["stop-far", "tp-far", "tp-near"]);
      expect(book.pendingTriggers().map((t) => t.id)).toEqual(["untouched"]);
    });

    it("rejects bad triggers and duplicates, and cancels pending ones", () => {
      const book = new OrderBook();
      const base = { id: "t", accountId: "a", side: "sell", kind: "stop_loss", triggerTicks: 10, sizeLots: 1 } as const;
      expect(book.addTrigger({ ...base, triggerTicks: 0 })).toEqual({ status: "rejected", id: base.id, reason: "INVALID_TRIGGER" });
      expect(book.addTrigger({ ...base, limitTicks: 2.5 })).toEqual({ status: "rejected", id: base.id, reason: "INVALID_TRIGGER" });
      expect(book.addTrigger({ ...base, sizeLots: 0 })).toEqual({ status: "rejected", id: base.id, reason: "NON_POSITIVE_SIZE" });
      expect(book.pendingTriggers()).toEqual([]);
      expect(book.addTrigger(base)).toEqual({ status: "accepted", id: base.id });
      expect(book.addTrigger(base)).toEqual({ status: "rejected", id: base.id, reason: "DUPLICATE_ORDER_ID" });
      expect(book.cancelTrigger("t")).toEqual({ status: "cancelled", id: "t" });
      expect(book.cancelTrigger("t")).toEqual({ status: "rejected", id: "t", reason: "UNKNOWN_ORDER" });
      expect(book.onReferencePrice(1)).toEqual([]);
    });
  });
});
