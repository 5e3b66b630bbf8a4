/**
 * The per-market engine on its own: what an order or a snapshot did comes back as a value
 * (fills with trade ids and exact prices, the maker records they hit, removed orders, the
 * cancelled remainder and why), with no accounts anywhere.
 */
import { Decimal, ValidationError } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { OrderBook } from "../order-book.js";
import { type EngineOrder, MarketEngine } from "./market-engine.js";
import { BTC } from "../testing/sink.js";

const EXTERNAL = "__external__";

function engine(): MarketEngine {
  const e = new MarketEngine(BTC, new OrderBook({ symbol: "BTC" }), EXTERNAL);
  // Asks 0.05 @ 100000 and 0.1 @ 100010, bids 0.1 @ 99990 (BTC: tick 0.1, lot 0.00001).
  const parsed = e.parseL2({ bids: [["99990", "0.1"]], asks: [["100000", "0.05"], ["100010", "0.1"]] });
  e.setMark(parsed.mid!);
  e.loadL2(parsed, 0);
  return e;
}

function order(partial: Partial<EngineOrder> & Pick<EngineOrder, "orderId" | "accountId" | "side" | "sizeLots">): EngineOrder {
  return {
    type: "market",
    priceTicks: undefined,
    timeInForce: "IOC",
    postOnly: false,
    leverage: new Decimal(5),
    reduceOnly: false,
    exitPlan: null,
    ...partial,
  };
}

describe("MarketEngine", () => {
  it("returns fills as values with sequential trade ids and exact prices, and keeps a resting remainder as a record", () => {
    const e = engine();
    const taken = e.submit(order({ orderId: "t1", accountId: "a", side: "buy", type: "limit", priceTicks: 1_000_150, timeInForce: "GTC", sizeLots: 20_000 }));
    if (taken.status === "rejected") throw new Error("rejected");
    expect(taken.fills.map((f) => [f.tradeId, f.price.toString(), f.quantity.toString(), f.maker])).toEqual([
      ["BTC-1", "100000", "0.05", null],
      ["BTC-2", "100010", "0.1", null],
    ]);
    expect(taken).toMatchObject({ status: "partially_filled", filledLots: 15_000, restingLots: 5_000, cancelledLots: 0, cancelReason: null });
    expect(taken.resting).toMatchObject({ orderId: "t1", accountId: "a", symbol: "BTC", side: "buy", priceTicks: 1_000_150, remainingLots: 5_000 });
    expect(e.tradeSeq).toBe(2);

    // Another account sells into it: the fill names the maker record, which follows it and is dropped when done.
    const hit = e.submit(order({ orderId: "t2", accountId: "b", side: "sell", sizeLots: 2_000 }));
    if (hit.status === "rejected") throw new Error("rejected");
    expect(hit.fills).toHaveLength(1);
    expect(hit.fills[0]).toMatchObject({ tradeId: "BTC-3", makerRemainingLots: 3_000 });
    expect(hit.fills[0]?.maker).toBe(taken.resting);
    expect(taken.resting?.remainingLots).toBe(3_000);
    const rest = e.submit(order({ orderId: "t3", accountId: "b", side: "sell", sizeLots: 3_000 }));
    if (rest.status === "rejected") throw new Error("rejected");
    expect(rest.fills[0]).toMatchObject({ makerRemainingLots: 0 });
    expect(e.cancel("t1")).toBeNull();
  });

  it("says why a remainder was cancelled: self-trade prevention or no more liquidity", () => {
    const e = engine();
    const resting = e.submit(order({ orderId: "s1", accountId: "a", side: "sell", type: "limit", priceTicks: 999_950, timeInForce: "GTC", sizeLots: 1_000 }));
    expect(resting.status).toBe("resting");
    const stopped = e.submit(order({ orderId: "b1", accountId: "a", side: "buy", sizeLots: 1_000 }));
    expect(stopped).toMatchObject({ status: "cancelled", filledLots: 0, cancelledLots: 1_000, cancelReason: "SELF_TRADE" });
    const exhausted = e.submit(order({ orderId: "b2", accountId: "b", side: "sell", sizeLots: 20_000 }));
    expect(exhausted).toMatchObject({ status: "cancelled", filledLots: 10_000, cancelledLots: 10_000, cancelReason: "UNFILLED_REMAINDER" });
  });

  it("changes nothing on a rejected submit", () => {
    const e = engine();
    const before = e.book.snapshot();
    const rejected = e.submit(order({ orderId: "p1", accountId: "a", side: "buy", type: "limit", priceTicks: 1_000_000, timeInForce: "GTC", postOnly: true, sizeLots: 1_000 }));
    expect(rejected).toEqual({ status: "rejected", reason: "POST_ONLY_WOULD_CROSS" });
    expect(e.book.snapshot()).toEqual(before);
    expect(e.tradeSeq).toBe(0);
    expect(e.bookLots("p1")).toBeUndefined();
  });

  it("says when a load is due, fills resting orders a new snapshot crosses, and refuses a crossed or off-grid snapshot", () => {
    const e = engine();
    const bid = e.submit(order({ orderId: "bid", accountId: "a", side: "buy", type: "limit", priceTicks: 999_950, timeInForce: "GTC", sizeLots: 1_000 }));
    expect(bid.status).toBe("resting");
    expect([e.isLoadDue(1000, 5000), e.isLoadDue(5000, 5000), e.nextLoadAt(1000, 5000)]).toEqual([false, true, 5000]);
    const parsed = e.parseL2({ bids: [["99980", "1"], ["99970", "0"]], asks: [["99990", "1"]] });
    expect(parsed.mid).toEqual(new Decimal("99985"));
    expect(parsed.snapshot).toEqual({ bids: [[999_800, 100_000]], asks: [[999_900, 100_000]] });
    const fills = e.loadL2(parsed, 5000);
    expect(fills.map((f) => [f.tradeId, f.price.toString(), f.quantity.toString(), f.maker?.orderId, f.makerOrderId, f.makerRemainingLots])).toEqual([["BTC-1", "99995", "0.01", "bid", "bid", 0]]);
    expect(() => e.parseL2({ bids: [["100000", "1"]], asks: [["99990", "1"]] })).toThrow(/best bid must be below best ask/);
    expect(() => e.parseL2({ bids: [["99990.05", "1"]], asks: [] })).toThrow(/bids.0.price: price 99990.05 is not a multiple of 0.1/);
    expect(() => e.parseL2({ bids: [["99990", "-1"]], asks: [] })).toThrow(ValidationError);
    expect(e.lastLoadAt).toBe(5000);
  });

  it("reports crossed stops and targets in rank order, a stop before a target, and forgets cleared triggers", () => {
    const e = engine(); // mark 99995
    e.setExitTrigger("late", { positionId: "p-late", side: "LONG", stop: new Decimal(99_999), target: null, rank: 2 });
    e.setExitTrigger("early", { positionId: "p-early", side: "SHORT", stop: new Decimal(100_500), target: new Decimal(99_995), rank: 0 });
    e.setExitTrigger("both", { positionId: "p-both", side: "LONG", stop: new Decimal(100_000), target: new Decimal(99_000), rank: 1 });
    e.setExitTrigger("far", { positionId: "p-far", side: "LONG", stop: new Decimal(90_000), target: new Decimal(110_000), rank: 3 });
    expect(e.crossedExits()).toEqual([
      { accountId: "early", positionId: "p-early", trigger: "TARGET" },
      { accountId: "both", positionId: "p-both", trigger: "STOP" },
      { accountId: "late", positionId: "p-late", trigger: "STOP" },
    ]);
    e.setExitTrigger("late", null);
    e.setExitTrigger("both", { positionId: "p-both", side: "LONG", stop: null, target: null, rank: 1 });
    expect(e.crossedExits().map((x) => x.accountId)).toEqual(["early"]);
  });

  it("estimates a taker's fill by walking the book up to its limit", () => {
    const e = engine();
    expect(e.estimateTakerFill("buy", 20_000, undefined, false)).toEqual({ lots: 15_000, notional: new Decimal("15001") });
    expect(e.estimateTakerFill("buy", 20_000, 1_000_000, false)).toEqual({ lots: 5_000, notional: new Decimal("5000") });
    expect(e.estimateTakerFill("buy", 20_000, undefined, true)).toEqual({ lots: 0, notional: new Decimal(0) });
  });
});
