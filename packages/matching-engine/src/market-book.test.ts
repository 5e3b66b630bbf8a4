import { DEFAULT_MARKETS, ValidationError, defineMarket } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { MarketBook, toBookOrder } from "./market-book.js";

const BTC = DEFAULT_MARKETS.find((m) => m.symbol === "BTC")!;

describe("MarketBook", () => {
  it("converts decimals to exact ticks and lots and fills back in decimals", () => {
    const book = new MarketBook(BTC);
    book.submit({ id: "a", accountId: "m", side: "sell", kind: "limit", price: "65000.1", size: "0.5" });
    const result = book.submit({ id: "b", accountId: "t", side: "buy", kind: "market", size: 0.2 });
    expect(result.fills.map((f) => [f.priceTicks, f.sizeLots, f.price.toString(), f.size.toString(), f.makerOrderId])).toEqual([[650001, 20000, "65000.1", "0.2", "a"]]);
    expect(result.filledSize.toString()).toBe("0.2");
    expect(book.bestAsk()?.toString()).toBe("65000.1");
    expect(book.snapshot().asks.map(([p, s]) => [p.toString(), s.toString()])).toEqual([["65000.1", "0.3"]]);
  });

  it("says why the market refuses an order: bad tick, bad lot, non-positive size, below the minimum size or notional, naming the limit", () => {
    const base = { id: "x", accountId: "a", side: "buy", kind: "limit", price: "65000", size: "0.001" } as const;
    expect(toBookOrder(BTC, { ...base, price: "65000.05" })).toMatchObject({ reason: "INVALID_PRICE_TICK" });
    expect(toBookOrder(BTC, { ...base, size: "0.000001" })).toMatchObject({ reason: "INVALID_SIZE_LOT" });
    expect(toBookOrder(BTC, { ...base, size: "0" })).toMatchObject({ reason: "NON_POSITIVE_SIZE" });
    expect(toBookOrder(BTC, { ...base, size: "0.00005" })).toMatchObject({ reason: "BELOW_MIN_SIZE", limit: { name: "minSize", value: BTC.minSize } });
    expect(toBookOrder(BTC, { ...base, price: "1", size: "0.001" })).toMatchObject({
      reason: "BELOW_MIN_NOTIONAL",
      detail: "notional 0.001 is below the market's minNotional 10",
      limit: { name: "minNotional", value: BTC.minNotional },
    });
    expect(toBookOrder(BTC, base)).toEqual({ id: "x", accountId: "a", side: "buy", kind: "limit", priceTicks: 650000, sizeLots: 100 });
  });

  it("returns a book refusal as a value and leaves the book unchanged; only a malformed value throws", () => {
    const book = new MarketBook(BTC);
    book.submit({ id: "a", accountId: "m", side: "sell", kind: "limit", price: "100", size: "1" });
    const before = book.book.restingOrders();
    const postOnly = book.submit({ id: "p", accountId: "t", side: "buy", kind: "limit", price: "100", size: "1", postOnly: true });
    expect(postOnly).toMatchObject({ status: "rejected", reason: "POST_ONLY_WOULD_CROSS", filledLots: 0, fills: [] });
    const offGrid = book.submit({ id: "q", accountId: "t", side: "buy", kind: "limit", price: "99.95", size: "1" });
    expect(offGrid).toMatchObject({ status: "rejected", reason: "INVALID_PRICE_TICK", detail: "99.95 is not a multiple of 0.1" });
    expect(book.cancel("nope")).toEqual({ status: "rejected", orderId: "nope", reason: "UNKNOWN_ORDER", detail: "no resting order nope" });
    expect(() => book.submit({ id: "r", accountId: "t", side: "buy", kind: "limit", price: "a hundred", size: "1" })).toThrow(ValidationError);
    expect(book.book.restingOrders()).toEqual(before);
    expect(book.cancel("a")).toEqual({ status: "cancelled", orderId: "a", size: BTC.lotSize.mul(100_000) });
  });

  it("loads decimal snapshots, gives an exact half-tick mid, and refuses an off-grid level naming it", () => {
    const market = defineMarket({ symbol: "TST", tickSize: "0.01", lotSize: "1", maxLeverage: 10 });
    const book = new MarketBook(market);
    book.loadSnapshot({ bids: [["10.00", 3]], asks: [[10.01, "4"]] });
    expect(book.mid()?.toString()).toBe("10.005");
    expect(book.bestBid()?.toString()).toBe("10");
    expect(() => book.loadSnapshot({ bids: [["10.001", "1"]], asks: [] })).toThrow(/bids.0.price: 10.001 is not a positive multiple of 0.01/);
    expect(book.bestBid()?.toString()).toBe("10");
  });

  it("works on a grid that is not a power of ten", () => {
    const market = defineMarket({ symbol: "HALF", tickSize: "0.5", lotSize: "0.25", maxLeverage: 5 });
    const book = new MarketBook(market);
    book.loadSnapshot({ bids: [["99.5", "1"]], asks: [["100.5", "0.75"]] });
    expect(book.mid()?.toString()).toBe("100");
    const bought = book.submit({ id: "b", accountId: "t", side: "buy", kind: "market", size: "0.5" });
    expect(bought.fills.map((f) => `${f.size} @ ${f.price}`)).toEqual(["0.5 @ 100.5"]);
    expect(book.submit({ id: "c", accountId: "t", side: "buy", kind: "limit", price: "100.25", size: "0.25" })).toMatchObject({ reason: "INVALID_PRICE_TICK" });
    expect(book.submit({ id: "d", accountId: "t", side: "buy", kind: "limit", price: "100", size: "0.3" })).toMatchObject({ reason: "INVALID_SIZE_LOT" });
  });
});
