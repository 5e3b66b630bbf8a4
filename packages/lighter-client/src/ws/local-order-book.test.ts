import { describe, expect, it } from "vitest";
import { LocalOrderBook } from "./local-order-book.js";

const prices = (levels: { price: { toString(): string } }[]) => levels.map((l) => l.price.toString());

describe("LocalOrderBook", () => {
  it("sorts a snapshot best first and applies diffs where size 0 removes a level", () => {
    const book = new LocalOrderBook(0);
    book.reset([{ price: "3001.00", size: "1" }, { price: "3000.50", size: "2" }], [{ price: "2999.00", size: "3" }], 10);
    expect(prices(book.asks())).toEqual(["3000.5", "3001"]);
    expect(book.apply([{ price: "3000.50", size: "0" }], [{ price: "2999.50", size: "1" }], 10, 14)).toBe("applied");
    expect(prices(book.asks())).toEqual(["3001"]);
    expect(prices(book.bids())).toEqual(["2999.5", "2999"]);
    expect(book.nonce).toBe(14);
  });

  it("refuses an update whose begin_nonce is not the previous nonce and leaves the book unchanged", () => {
    const book = new LocalOrderBook(0);
    book.reset([{ price: "10", size: "1" }], [], 100);
    expect(book.apply([{ price: "10", size: "0" }], [], 101, 105)).toBe("gap");
    expect(prices(book.asks())).toEqual(["10"]);
    expect(book.nonce).toBe(100);
  });
});
