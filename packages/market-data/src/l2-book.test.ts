import { describe, expect, it } from "vitest";
import { bookDepthTotals, l2BookToPairs } from "./l2-book.js";
import type { L2Book } from "./types.js";

const book: L2Book = {
  symbol: "BTC",
  ts: 1,
  bids: [{ price: "100.5", size: "2" }, { price: "100.4", size: "0.25" }],
  asks: [{ price: "100.6", size: "1" }],
};

describe("l2BookToPairs", () => {
  it("turns levels into [price, size] text pairs in the same order", () => {
    expect(l2BookToPairs(book)).toEqual({ bids: [["100.5", "2"], ["100.4", "0.25"]], asks: [["100.6", "1"]] });
  });
});

describe("bookDepthTotals", () => {
  it("sums sizes per side within the depth asked", () => {
    expect(bookDepthTotals(book)).toEqual({ bidSize: 2.25, askSize: 1 });
    expect(bookDepthTotals(book, 1)).toEqual({ bidSize: 2, askSize: 1 });
  });
});
