import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OrderBook } from "./order-book.js";
import type { BookOrderInput, RestingOrderView, SelfTradePrevention, SubmitResult, TimeInForce } from "./types.js";

type Command =
  | { type: "limit"; account: number; side: "buy" | "sell"; priceTicks: number; sizeLots: number; tif: TimeInForce; postOnly: boolean; stp: SelfTradePrevention }
  | { type: "market"; account: number; side: "buy" | "sell"; sizeLots: number; protection?: number; fok: boolean; stp: SelfTradePrevention }
  | { type: "cancel"; pick: number }
  | { type: "modify"; pick: number; priceTicks?: number; sizeLots?: number }
  | { type: "snapshot"; bidTop: number; spread: number; sizes: number[] };

const side = fc.constantFrom<"buy" | "sell">("buy", "sell");
const stp = fc.constantFrom<SelfTradePrevention>("cancel_taker", "cancel_maker", "cancel_both", "allow");
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant("limit" as const),
      account: fc.integer({ min: 0, max: 3 }),
      side,
      priceTicks: fc.integer({ min: 90, max: 110 }),
      sizeLots: fc.integer({ min: 1, max: 12 }),
      tif: fc.constantFrom<TimeInForce>("GTC", "GTC", "IOC", "FOK"),
      postOnly: fc.boolean(),
      stp,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("market" as const),
      account: fc.integer({ min: 0, max: 3 }),
      side,
      sizeLots: fc.integer({ min: 1, max: 30 }),
      protection: fc.option(fc.integer({ min: 90, max: 110 }), { nil: undefined }),
      fok: fc.boolean(),
      stp,
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("cancel" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("modify" as const),
      pick: fc.nat(),
      priceTicks: fc.option(fc.integer({ min: 90, max: 110 }), { nil: undefined }),
      sizeLots: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("snapshot" as const),
      bidTop: fc.integer({ min: 92, max: 106 }),
      spread: fc.integer({ min: 1, max: 3 }),
      sizes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 0, maxLength: 4 }),
    }),
  },
);

interface Outcome {
  kind: string;
  result: unknown;
}

/** Runs a command stream, checking every invariant after every operation; returns every outcome. */
function run(commands: Command[], priceScale = 1): Outcome[] {
  const px = (ticks: number): number => ticks * priceScale;
  const book = new OrderBook();
  /** The model: what each resting order should have left, derived only from results. */
  const model = new Map<string, number>();
  const ids: string[] = [];
  const modes = new Map<string, SelfTradePrevention>();
  const outcomes: Outcome[] = [];
  let n = 0;

  const applySubmit = (result: SubmitResult, submittedLots: number, before: RestingOrderView[], isBuy: boolean, limit: number | undefined, accountId: string, mode: SelfTradePrevention) => {
    // Quantity conservation for the taker.
    const filled = result.fills.reduce((s, f) => s + f.sizeLots, 0);
    expect(result.filledLots).toBe(filled);
    if (result.status === "rejected") {
      expect(filled).toBe(0);
      expect(result.restingLots).toBe(0);
      return;
    }
    if (result.status === "filled") expect(filled).toBe(submittedLots);
    if (result.status === "resting" || result.status === "partially_filled") expect(filled + result.restingLots).toBe(submittedLots);
    if (result.status === "cancelled") {
      expect(result.restingLots).toBe(0);
      expect(filled).toBeLessThanOrEqual(submittedLots);
    }
    // Price-time priority: makers in the book's priority order, each earlier one exhausted or removed by STP.
    const opposite = before.filter((o) => (o.side === "sell") === isBuy);
    const touched = new Set([...result.fills.map((f) => f.makerOrderId), ...result.cancelledMakerIds]);
    let lastIndex = -1;
    for (const fill of result.fills) {
      const index = opposite.findIndex((o) => o.id === fill.makerOrderId);
      expect(index).toBeGreaterThan(lastIndex);
      for (let k = lastIndex + 1; k < index; k++) expect(result.cancelledMakerIds).toContain((opposite[k] as RestingOrderView).id);
      lastIndex = index;
      const maker = opposite[index] as RestingOrderView;
      expect(fill.priceTicks).toBe(maker.priceTicks);
      if (limit !== undefined) expect(isBuy ? fill.priceTicks <= limit : fill.priceTicks >= limit).toBe(true);
      if (mode !== "allow") expect(fill.makerAccountId).not.toBe(accountId);
      // Quantity conservation on the maker side.
      expect(fill.sizeLots).toBeGreaterThan(0);
      const had = model.get(fill.makerOrderId) as number;
      expect(fill.makerRemainingLots).toBe(had - fill.sizeLots);
      if (fill.makerRemainingLots === 0) model.delete(fill.makerOrderId);
      else {
        model.set(fill.makerOrderId, fill.makerRemainingLots);
        // Only the last maker may be left partially filled.
        expect(fill).toBe(result.fills[result.fills.length - 1]);
      }
    }
    for (const id of result.cancelledMakerIds) {
      expect(touched.has(id)).toBe(true);
      expect(opposite.find((o) => o.id === id)?.accountId).toBe(accountId);
      model.delete(id);
    }
    if (result.restingLots > 0) model.set(result.orderId, result.restingLots);
  };

  for (const cmd of commands) {
    const before = book.restingOrders();
    let outcome: unknown;
    if (cmd.type === "limit" || cmd.type === "market") {
      const id = `o${n++}`;
      ids.push(id);
      modes.set(id, cmd.stp);
      const order: BookOrderInput =
        cmd.type === "limit"
          ? { id, accountId: `a${cmd.account}`, side: cmd.side, kind: "limit", priceTicks: px(cmd.priceTicks), sizeLots: cmd.sizeLots, timeInForce: cmd.tif, postOnly: cmd.postOnly, selfTrade: cmd.stp }
          : { id, accountId: `a${cmd.account}`, side: cmd.side, kind: "market", sizeLots: cmd.sizeLots, priceTicks: cmd.protection === undefined ? undefined : px(cmd.protection), timeInForce: cmd.fok ? "FOK" : "IOC", selfTrade: cmd.stp };
      const result = book.submit(order);
      if (result.status === "rejected") expect(book.restingOrders()).toEqual(before);
      // Fill-or-kill is all or nothing, whatever self-trade prevention does.
      if (order.timeInForce === "FOK") expect(["filled", "rejected"]).toContain(result.status);
      applySubmit(result, order.sizeLots, before, order.side === "buy", order.priceTicks, order.accountId, cmd.stp);
      outcome = result;
    } else if (cmd.type === "cancel") {
      const id = ids.length === 0 ? "none" : (ids[cmd.pick % ids.length] as string);
      const result = book.cancel(id);
      if (model.has(id)) {
        expect(result).toEqual({ status: "cancelled", orderId: id, remainingLots: model.get(id) });
        model.delete(id);
      } else {
        expect(result).toEqual({ status: "rejected", orderId: id, reason: "UNKNOWN_ORDER" });
      }
      outcome = result;
    } else if (cmd.type === "modify") {
      const id = ids.length === 0 ? "none" : (ids[cmd.pick % ids.length] as string);
      const old = book.order(id);
      const change = { ...(cmd.priceTicks !== undefined && { priceTicks: px(cmd.priceTicks) }), ...(cmd.sizeLots !== undefined && { sizeLots: cmd.sizeLots }) };
      const result = book.modify(id, change);
      if (old === undefined) {
        expect(result.reason).toBe("UNKNOWN_ORDER");
      } else if (result.status === "rejected") {
        expect(book.restingOrders()).toEqual(before);
      } else {
        const newPrice = change.priceTicks ?? old.priceTicks;
        const newSize = change.sizeLots ?? old.sizeLots;
        if (newPrice === old.priceTicks && newSize <= old.sizeLots) {
          expect(book.order(id)).toEqual({ ...old, sizeLots: newSize });
          model.set(id, newSize);
        } else {
          model.delete(id);
          const without = before.filter((o) => o.id !== id);
          applySubmit(result, newSize, without, old.side === "buy", newPrice, old.accountId, modes.get(id) as SelfTradePrevention);
          if (result.restingLots > 0) expect(book.order(id)?.seq).toBeGreaterThan(Math.max(0, ...before.map((o) => o.seq)));
        }
      }
      outcome = result;
    } else {
      let price = cmd.bidTop;
      const bids = cmd.sizes.map((s) => [px(price--), s] as const);
      price = cmd.bidTop + cmd.spread;
      const asks = cmd.sizes.map((s) => [px(price++), s] as const);
      const fills = book.loadSnapshot({ bids, asks });
      for (const f of fills) {
        const had = model.get(f.makerOrderId) as number;
        expect(f.makerRemainingLots).toBe(had - f.sizeLots);
        if (f.makerRemainingLots === 0) model.delete(f.makerOrderId);
        else model.set(f.makerOrderId, f.makerRemainingLots);
      }
      for (const [id] of model) if (id.startsWith("__external__")) model.delete(id);
      for (const o of book.restingOrders()) if (o.accountId === "__external__") model.set(o.id, o.sizeLots);
      outcome = fills;
    }
    outcomes.push({ kind: cmd.type, result: outcome });

    // The book is never crossed.
    const bid = book.bestBid();
    const ask = book.bestAsk();
    if (bid !== undefined && ask !== undefined) expect(bid).toBeLessThan(ask);
    // Resting orders are exactly what the results imply, and levels aggregate them.
    const resting = book.restingOrders();
    expect(new Map(resting.map((o) => [o.id, o.sizeLots]))).toEqual(model);
    const depth = book.depth(Number.MAX_SAFE_INTEGER);
    for (const [levels, sideName] of [[depth.bids, "buy"], [depth.asks, "sell"]] as const) {
      for (const level of levels) {
        const here = resting.filter((o) => o.side === sideName && o.priceTicks === level.priceTicks);
        expect(level.sizeLots).toBe(here.reduce((s, o) => s + o.sizeLots, 0));
        expect(level.orderCount).toBe(here.length);
        // FIFO: queue order is seq order.
        expect(here.map((o) => o.seq)).toEqual([...here.map((o) => o.seq)].sort((a, b) => a - b));
      }
    }
  }
  return outcomes;
}

describe("OrderBook properties over random order streams", () => {
  it("conserves quantity, never crosses, keeps price-time priority and matches the result-derived model", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 120 }), (commands) => {
        run(commands);
      }),
      { numRuns: 150, seed: 20261126 },
    );
  }, 60_000);

  it("holds the same invariants when levels are far apart (sparse prices beyond the dense window)", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 120 }), (commands) => {
        run(commands, 7_919);
      }),
      { numRuns: 60, seed: 99 },
    );
  }, 60_000);

  it("is deterministic: the same stream gives identical results", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 120 }), (commands) => {
        expect(run(commands)).toEqual(run(commands));
      }),
      { numRuns: 50, seed: 7 },
    );
  }, 60_000);
});

describe("OrderBook.loadSnapshot level order", () => {
  const levelsArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 })), { maxLength: 25 });
  /** What a feed sends: prices merged and best first. */
  const canonical = (levels: ReadonlyArray<readonly [number, number]>, descending: boolean): Array<[number, number]> => {
    const merged = new Map<number, number>();
    for (const [p, s] of levels) merged.set(p, (merged.get(p) ?? 0) + s);
    return [...merged].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
  };
  const resting = fc.array(fc.record({ side, priceTicks: fc.integer({ min: 1, max: 100 }), sizeLots: fc.integer({ min: 1, max: 30 }) }), { maxLength: 6 });

  it("gives the same fills and book for levels in any order, with or without duplicate prices, as for the same levels merged best first", () => {
    fc.assert(
      fc.property(levelsArb, levelsArb, resting, fc.boolean(), (rawBids, rawAsks, mine, sortedInput) => {
        // Bids below 50, asks above: never crossed.
        const bidsIn = rawBids.map(([p, s]) => [p, s] as [number, number]);
        const asksIn = rawAsks.map(([p, s]) => [p + 50, s] as [number, number]);
        const given = sortedInput ? { bids: canonical(bidsIn, true), asks: canonical(asksIn, false) } : { bids: bidsIn, asks: asksIn };
        const books = [new OrderBook(), new OrderBook()];
        for (const book of books) {
          mine.forEach((o, i) => book.submit({ id: `m${i}`, accountId: "me", side: o.side, kind: "limit", priceTicks: o.priceTicks, sizeLots: o.sizeLots }));
          book.loadSnapshot({ bids: [[10, 1]], asks: [[90, 1]] });
        }
        const a = books[0]!.loadSnapshot(given);
        const b = books[1]!.loadSnapshot({ bids: canonical(bidsIn, true), asks: canonical(asksIn, false) });
        expect(a).toEqual(b);
        expect(books[0]!.restingOrders()).toEqual(books[1]!.restingOrders());
        expect(books[0]!.snapshot()).toEqual(books[1]!.snapshot());
      }),
      { numRuns: 300 },
    );
  });

  it("names the first bad level whether or not the levels before it are in order", () => {
    for (const bids of [
      [[30, 1], [20, 1], [10, 0]],
      [[10, 1], [20, 1], [30, -1]],
      [[30, 1], [30, 2], [25, 1.5]],
    ] as Array<Array<[number, number]>>) {
      expect(() => new OrderBook().loadSnapshot({ bids, asks: [] })).toThrow(expect.objectContaining({ issues: [{ path: "bids.2", message: "price and size must be positive safe integers" }] }));
    }
    const holey = new Array<[number, number]>(3);
    holey[0] = [30, 1];
    holey[2] = [10, 1];
    expect(() => new OrderBook().loadSnapshot({ bids: [[30, 1], [20, 1]], asks: [] })).not.toThrow();
    expect(new OrderBook().loadSnapshot({ bids: holey, asks: [] })).toEqual([]);
  });
});
