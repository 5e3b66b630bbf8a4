import { DEFAULT_MARKETS, OrderRejectedError, defineMarket } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { MarketBook, toBookOrder } from "./market-book.js";

const BTC = DEFAULT_MARKETS.find((m) => m.symbol === "BTC")!;

function rejection(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof OrderRejectedError) return error.reason;
    throw error;
  }
  return undefined;
}

describe("MarketBook", () => {
  it("converts decimals to exact ticks and lots and fills back in decimals", () => {
    const book = new MarketBook(BTC);
    book.submit({ id: "a", accountId: "m", side: "sell", kind: "limit", price: "65000.1", size: "0.5" });
    const result = book.submit({ id: "b", accountId: "t", side: "buy", kind: "market", size: "0.2" });
    expect(result.fills.map((f) => [f.priceTicks, f.sizeLots, f.price.toString(), f.size.toString()])).toEqual([[650001, 20000, "65000.1", "0.2"]]);
    expect(result.filledSize.toString()).toBe("0.2");
    expect(book.bestAsk()?.toString()).toBe("65000.1");
    expect(book.snapshot().asks.map(([p, s]) => [p.toString(), s.toString()])).toEqual([["65000.1", "0.3"]]);
  });

  it("throws typed rejections for bad tick, bad lot, non-positive size, below minimum size and notional", () => {
    const base = { id: "x", accountId: "a", side: "buy", kind: "limit", price: "65000", size: "0.001" } as const;
    expect(rejection(() => toBookOrder(BTC, { ...base, price: "65000.05" }))).toBe("INVALID_PRICE_TICK");
    expect(rejection(() => toBookOrder(BTC, { ...base, size: "0.000001" }))).toBe("INVALID_SIZE_LOT");
    expect(rejection(() => toBookOrder(BTC, { ...base, size: "0" }))).toBe("NON_POSITIVE_SIZE");
    expect(rejection(() => toBookOrder(BTC, { ...base, size: "0.00005" }))).toBe("BELOW_MIN_SIZE");
    expect(rejection(() => toBookOrder(BTC, { ...base, price: "1", size: "0.001" }))).toBe("BELOW_MIN_NOTIONAL");
    expect(toBookOrder(BTC, base)).toEqual({ id: "x", accountId: "a", side: "buy", kind: "limit", priceTicks: 650000, sizeLots: 100 });
  });

  it("rethrows a book rejection as OrderRejectedError and leaves the book unchanged", () => {
    const book = new MarketBook(BTC);
    book.submit({ id: "a", accountId: "m", side: "sell", kind: "limit", price: "100", size: "1" });
    const before = book.book.restingOrders();
    expect(rejection(() => book.submit({ id: "p", accountId: "t", side: "buy", kind: "limit", price: "100", size: "1", postOnly: true }))).toBe("POST_ONLY_WOULD_CROSS");
    expect(rejection(() => book.cancel("nope"))).toBe("UNKNOWN_ORDER");
    expect(book.book.restingOrders()).toEqual(before);
  });

  it("loads decimal snapshots and gives an exact half-tick mid", () => {
    const market = defineMarket({ symbol: "TST", marketId: 99, priceDecimals: 2, sizeDecimals: 0, initialMarginFraction: "0.1", maintenanceMarginFraction: "0.05" });
    const book = new MarketBook(market);
    book.loadSnapshot({ bids: [["10.00", "3"]], asks: [["10.01", "4"]] });
    expect(book.mid()?.toString()).toBe("10.005");
    expect(book.bestBid()?.toString()).toBe("10");
  });
});
