/**
 * The one error model, walked over every public command of the three classes a user drives:
 * what the market decides (a rejection, a kill, a post-only cross, a reduce-only refusal,
 * insufficient margin, an unknown order) comes back as a value with `status: "rejected"`
 * and a RejectReason, changing nothing; a call that is wrong in itself (an unknown account
 * or market, a malformed value, an invalid option) throws a typed AutonomeError with a
 * stable code, changing nothing. The case tables are typed by the classes' public methods,
 * so a new public method without a case here does not compile.
 */
import { type AutonomeError, ManualClock, NotFoundError, StateConflictError, UnknownMarketError, ValidationError } from "@autonome/core";
import type EventEmitter from "eventemitter3";
import { describe, expect, it } from "vitest";
import { MarketBook } from "./market-book.js";
import { OrderBook } from "./order-book.js";
import { ExchangeSimulator } from "./simulator/simulator.js";
import { BTC, BTC_BOOK, ETH, plain } from "./testing/sink.js";

/** Names of a class's public methods (TypeScript's keyof sees public members only). */
type PublicMethods<T, Inherited = never> = Exclude<{ [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T], Inherited>;

type ErrorClass = abstract new (...args: never[]) => AutonomeError;

/** One bad input and the style it must get. */
type Case<S> =
  | { input: string; refused: (subject: S) => unknown; reason: string }
  | { input: string; throws: (subject: S) => unknown; error: ErrorClass; code: string }
  /** A lookup answers "none" as a value (undefined or empty), never as an error. */
  | { input: string; absent: (subject: S) => unknown }
  /** A view or step that takes no input a caller could get wrong. */
  | { noInput: string };

type Cases<S, Inherited = never> = Record<PublicMethods<S, Inherited>, Array<Case<S>>>;

/** Runs every case against a fresh subject: value cases change nothing but the journal; throw cases change nothing at all. */
function walk<S>(cases: Record<string, Array<Case<S>>>, fresh: () => S, picture: (subject: S) => unknown, journalLength?: (subject: S) => number): void {
  for (const [method, list] of Object.entries(cases)) {
    expect(list.length, `${method} has no case`).toBeGreaterThan(0);
    for (const c of list) {
      if ("noInput" in c) continue;
      const subject = fresh();
      const before = JSON.stringify(plain(picture(subject)));
      const entries = journalLength?.(subject);
      const label = `${method}: ${c.input}`;
      if ("refused" in c) {
        const result = c.refused(subject) as { status?: unknown; reason?: unknown };
        expect(result?.status, label).toBe("rejected");
        expect(result?.reason, label).toBe(c.reason);
      } else if ("throws" in c) {
        let caught: unknown;
        try {
          c.throws(subject);
        } catch (error) {
          caught = error;
        }
        expect(caught, label).toBeInstanceOf(c.error);
        expect((caught as AutonomeError).code, label).toBe(c.code);
        if (journalLength !== undefined) expect(journalLength(subject), `${label} journaled`).toBe(entries);
      } else {
        const result = c.absent(subject);
        expect(result === undefined || (Array.isArray(result) && result.length === 0), label).toBe(true);
      }
      expect(JSON.stringify(plain(picture(subject))), `${label} changed state`).toBe(before);
    }
  }
}

const malformed = { error: ValidationError, code: "INVALID_INPUT" } as const;
const noAccount = { error: NotFoundError, code: "NOT_FOUND" } as const;
const noMarket = { error: UnknownMarketError, code: "UNKNOWN_MARKET" } as const;

describe("the error model of ExchangeSimulator", () => {
  const fresh = () => {
    const sim = new ExchangeSimulator({ markets: [BTC, ETH], clock: new ManualClock(0), options: { latency: null } });
    sim.createAccount("alice", { initialCapital: "10000" });
    sim.applyBook("BTC", BTC_BOOK);
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", price: "99000", size: "0.001", orderId: "bid" });
    return sim;
  };
  const order = { accountId: "alice", symbol: "BTC", side: "buy", type: "market", size: "0.001" } as const;
  const cases: Cases<ExchangeSimulator, keyof EventEmitter> = {
    createAccount: [
      { input: "an existing id", throws: (s) => s.createAccount("alice"), error: StateConflictError, code: "STATE_CONFLICT" },
      { input: "a negative capital", throws: (s) => s.createAccount("bob", { initialCapital: "-1" }), ...malformed },
      { input: "an empty id", throws: (s) => s.createAccount(""), ...malformed },
    ],
    loadBook: [
      { input: "an unknown market", throws: (s) => s.loadBook("FOO", BTC_BOOK), ...noMarket },
      { input: "a crossed snapshot", throws: (s) => s.loadBook("BTC", { bids: [["100", "1"]], asks: [["99", "1"]] }), ...malformed },
      { input: "a price off the tick", throws: (s) => s.loadBook("BTC", { bids: [["99.95", "1"]], asks: [] }), ...malformed },
    ],
    setMark: [
      { input: "an unknown market", throws: (s) => s.setMark("FOO", "1"), ...noMarket },
      { input: "a zero price", throws: (s) => s.setMark("BTC", 0), ...malformed },
      { input: "a non-number", throws: (s) => s.setMark("BTC", "cheap"), ...malformed },
    ],
    checkTriggers: [{ input: "an unknown market", throws: (s) => s.checkTriggers("FOO"), ...noMarket }],
    applyBook: [
      { input: "an unknown market", throws: (s) => s.applyBook("FOO", BTC_BOOK), ...noMarket },
      { input: "a level that is not a pair", throws: (s) => s.applyBook("BTC", { bids: [["1"] as never], asks: [] }), ...malformed },
      { input: "an unknown load rule", throws: (s) => s.applyBook("BTC", BTC_BOOK, { load: "sometimes" as never }), ...malformed },
    ],
    setFundingRate: [
      { input: "an unknown market", throws: (s) => s.setFundingRate("FOO", "0.0001"), ...noMarket },
      { input: "an infinite rate", throws: (s) => s.setFundingRate("BTC", Number.POSITIVE_INFINITY), ...malformed },
    ],
    settleFunding: [{ input: "an unknown market", throws: (s) => s.settleFunding("FOO"), ...noMarket }],
    placeOrder: [
      { input: "insufficient margin", refused: (s) => s.placeOrder({ ...order, size: "1", leverage: 2 }), reason: "INSUFFICIENT_MARGIN" },
      { input: "a fill-or-kill that cannot fill", refused: (s) => s.placeOrder({ ...order, size: "1.2", timeInForce: "FOK", leverage: 50 }), reason: "FOK_NOT_FILLABLE" },
      { input: "a post-only that would cross", refused: (s) => s.placeOrder({ ...order, type: "limit", price: "100000", postOnly: true }), reason: "POST_ONLY_WOULD_CROSS" },
      { input: "reduce-only without a position", refused: (s) => s.placeOrder({ ...order, reduceOnly: true }), reason: "REDUCE_ONLY_NO_POSITION" },
      { input: "a size below the minimum", refused: (s) => s.placeOrder({ ...order, size: "0.00001" }), reason: "BELOW_MIN_SIZE" },
      { input: "a price off the tick", refused: (s) => s.placeOrder({ ...order, type: "limit", price: "99000.05" }), reason: "INVALID_PRICE_TICK" },
      { input: "leverage above the maximum", refused: (s) => s.placeOrder({ ...order, leverage: 51 }), reason: "LEVERAGE_TOO_HIGH" },
      { input: "a used order id", refused: (s) => s.placeOrder({ ...order, orderId: "bid" }), reason: "DUPLICATE_ORDER_ID" },
      { input: "an unknown account", throws: (s) => s.placeOrder({ ...order, accountId: "bob" }), ...noAccount },
      { input: "an unknown market", throws: (s) => s.placeOrder({ ...order, symbol: "FOO" }), ...noMarket },
      { input: "a size that is not a number", throws: (s) => s.placeOrder({ ...order, size: "lots" }), ...malformed },
      { input: "an inexact number", throws: (s) => s.placeOrder({ ...order, size: 0.1 + 0.2 }), ...malformed },
      { input: "an unknown time in force", throws: (s) => s.placeOrder({ ...order, timeInForce: "GTD" as never }), ...malformed },
    ],
    openPosition: [
      { input: "insufficient margin", refused: (s) => s.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "1", leverage: 2 }), reason: "INSUFFICIENT_MARGIN" },
      { input: "an unknown side", throws: (s) => s.openPosition({ accountId: "alice", symbol: "BTC", side: "UP" as never, quantity: "0.001" }), ...malformed },
      { input: "a bad exit plan", throws: (s) => s.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.001", exitPlan: { stop: "-5" } }), ...malformed },
    ],
    closePosition: [
      { input: "no position", refused: (s) => s.closePosition("alice", "BTC"), reason: "NO_POSITION" },
      { input: "an unknown account", throws: (s) => s.closePosition("bob", "BTC"), ...noAccount },
      { input: "an unknown market", throws: (s) => s.closePosition("alice", "FOO"), ...noMarket },
    ],
    cancelOrder: [
      { input: "an order that is not live", refused: (s) => s.cancelOrder("alice", "never-placed"), reason: "UNKNOWN_ORDER" },
      { input: "an unknown account", throws: (s) => s.cancelOrder("bob", "bid"), ...noAccount },
    ],
    setExitPlan: [
      { input: "no position", refused: (s) => s.setExitPlan("alice", "BTC", { stop: "90000" }), reason: "NO_POSITION" },
      { input: "an unknown account", throws: (s) => s.setExitPlan("bob", "BTC", {}), ...noAccount },
      { input: "a stop that is not a price", throws: (s) => s.setExitPlan("alice", "BTC", { stop: "soon" }), ...malformed },
    ],
    restore: [
      { input: "an unknown account", throws: (s) => s.restore([{ accountId: "bob", orderId: "p", symbol: "BTC", side: "LONG", quantity: "0.1", entryPrice: "100000" }]), ...noAccount },
      { input: "a used order id", throws: (s) => s.restore([{ accountId: "alice", orderId: "bid", symbol: "BTC", side: "LONG", quantity: "0.1", entryPrice: "100000" }]), error: StateConflictError, code: "STATE_CONFLICT" },
      { input: "a quantity off the lot", throws: (s) => s.restore([{ accountId: "alice", orderId: "p", symbol: "BTC", side: "LONG", quantity: "0.000001", entryPrice: "100000" }]), ...malformed },
    ],
    execute: [{ input: "an unknown command", throws: (s) => s.execute({ type: "reboot" } as never), ...malformed }],
    replay: [{ input: "an entry out of sequence", throws: (s) => s.replay([{ seq: 99, ts: 0, command: { type: "settleFunding" } }]), error: StateConflictError, code: "STATE_CONFLICT" }],
    dispose: [{ noInput: "cancels timers" }],
    account: [{ input: "an unknown account", throws: (s) => s.account("bob"), ...noAccount }],
    accounts: [{ noInput: "every account" }],
    positions: [
      { input: "an unknown account", throws: (s) => s.positions("bob"), ...noAccount },
      { input: "an account without positions", absent: (s) => s.positions("alice") },
    ],
    positionSymbols: [
      { input: "an unknown account", throws: (s) => s.positionSymbols("bob"), ...noAccount },
      { input: "an account without positions", absent: (s) => s.positionSymbols("alice") },
    ],
    trades: [{ input: "an unknown account", throws: (s) => s.trades("bob"), ...noAccount }],
    order: [{ input: "an unknown order id", absent: (s) => s.order("never-placed") }],
    orders: [{ input: "an unknown account", throws: (s) => s.orders("bob"), ...noAccount }],
    book: [{ input: "an unknown market", throws: (s) => s.book("FOO"), ...noMarket }],
    markPrice: [{ input: "an unknown market", throws: (s) => s.markPrice("FOO"), ...noMarket }],
    fundingRate: [{ input: "an unknown market", throws: (s) => s.fundingRate("FOO"), ...noMarket }],
    journal: [{ noInput: "the commands" }],
    truncateJournal: [{ input: "a sequence that is not an integer", throws: (s) => s.truncateJournal(1.5), ...malformed }],
    eventLog: [{ input: "no log kept (eventLogSize 0)", absent: (s) => s.eventLog() }],
    state: [{ noInput: "a picture" }],
    snapshot: [{ noInput: "a snapshot" }],
  };

  it("returns every market outcome as a rejection value and throws a typed error for every malformed call, changing nothing", () => {
    walk(
      cases,
      fresh,
      (s) => ({ ...s.state(), sequence: null }),
      (s) => s.journal().length,
    );
  });

  it("throws ValidationError for an invalid configuration or snapshot", () => {
    expect(() => new ExchangeSimulator({ markets: [BTC], options: { takerFeeRate: "ten bp" } })).toThrow(ValidationError);
    expect(() => new ExchangeSimulator({ markets: [BTC], options: { refreshIntervalMs: -1 } })).toThrow(/refreshIntervalMs: must be a non-negative integer/);
    expect(() => new ExchangeSimulator({ markets: [BTC], options: { fundingIntervalMz: 1 } as never })).toThrow(/fundingIntervalMz: unknown option/);
    expect(() => new ExchangeSimulator({ markets: [BTC, BTC] })).toThrow(ValidationError);
    expect(() => new ExchangeSimulator({ markets: [BTC], clock: { now: () => 0 }, options: { fundingIntervalMs: 1000 } })).toThrow(/TimerClock/);
    expect(() => ExchangeSimulator.fromSnapshot({ markets: [BTC] }, { version: 2 } as never)).toThrow(ValidationError);
  });
});

describe("the error model of OrderBook", () => {
  const fresh = () => {
    const book = new OrderBook({ symbol: "BTC" });
    book.submit({ id: "a1", accountId: "m", side: "sell", kind: "limit", priceTicks: 101, sizeLots: 5 });
    book.submit({ id: "b1", accountId: "m", side: "buy", kind: "limit", priceTicks: 99, sizeLots: 5 });
    book.addTrigger({ id: "sl", accountId: "t", side: "sell", kind: "stop_loss", triggerTicks: 90, sizeLots: 1 });
    return book;
  };
  const limit = { id: "x", accountId: "t", side: "buy", kind: "limit", priceTicks: 100, sizeLots: 1 } as const;
  const cases: Cases<OrderBook> = {
    submit: [
      { input: "a post-only that would cross", refused: (b) => b.submit({ ...limit, priceTicks: 101, postOnly: true }), reason: "POST_ONLY_WOULD_CROSS" },
      { input: "a fill-or-kill that cannot fill", refused: (b) => b.submit({ ...limit, priceTicks: 101, sizeLots: 9, timeInForce: "FOK" }), reason: "FOK_NOT_FILLABLE" },
      { input: "a price that is not a whole tick", refused: (b) => b.submit({ ...limit, priceTicks: 100.5 }), reason: "INVALID_PRICE_TICK" },
      { input: "a used id", refused: (b) => b.submit({ ...limit, id: "a1" }), reason: "DUPLICATE_ORDER_ID" },
      { input: "an unknown side", throws: (b) => b.submit({ ...limit, side: "up" as never }), ...malformed },
    ],
    limit: [
      { input: "a zero size", refused: (b) => b.limit("x", "buy", 100, 0, "t"), reason: "NON_POSITIVE_SIZE" },
      { input: "a price above the book's range", refused: (b) => b.limit("x", "buy", 2 ** 53, 1, "t"), reason: "PRICE_OUT_OF_RANGE" },
      { input: "a used id", refused: (b) => b.limit("a1", "buy", 100, 1, "t"), reason: "DUPLICATE_ORDER_ID" },
      { input: "an unknown side", throws: (b) => b.limit("x", "up" as never, 100, 1, "t"), ...malformed },
      { input: "a negative numeric id", throws: (b) => b.limit(-1, "buy", 100, 1, "t"), ...malformed },
    ],
    market: [
      { input: "a fractional size", refused: (b) => b.market("x", "buy", 1.5, "t"), reason: "INVALID_SIZE_LOT" },
      { input: "a zero worst price", refused: (b) => b.market("x", "buy", 1, "t", "allow", 0), reason: "NON_POSITIVE_PRICE" },
      { input: "a used id", refused: (b) => b.market("b1", "sell", 1, "t"), reason: "DUPLICATE_ORDER_ID" },
      { input: "an unknown self-trade mode", throws: (b) => b.market("x", "buy", 1, "t", "never" as never), ...malformed },
    ],
    remove: [
      { input: "an id that rests nowhere", refused: (b) => b.remove("nope"), reason: "UNKNOWN_ORDER" },
      { input: "a numeric id that rests nowhere", refused: (b) => b.remove(7), reason: "UNKNOWN_ORDER" },
    ],
    cancel: [{ input: "an id that rests nowhere", refused: (b) => b.cancel("nope"), reason: "UNKNOWN_ORDER" }],
    modify: [
      { input: "an id that rests nowhere", refused: (b) => b.modify("nope", { sizeLots: 1 }), reason: "UNKNOWN_ORDER" },
      { input: "a zero size", refused: (b) => b.modify("a1", { sizeLots: 0 }), reason: "NON_POSITIVE_SIZE" },
    ],
    bestBid: [{ noInput: "a view" }],
    bestAsk: [{ noInput: "a view" }],
    mid: [{ noInput: "a view" }],
    depth: [{ input: "a negative level count", throws: (b) => b.depth(-1), ...malformed }],
    order: [{ input: "an id that rests nowhere", absent: (b) => b.order("nope") }],
    restingOrders: [{ noInput: "a view" }],
    snapshot: [{ input: "a fractional level count", throws: (b) => b.snapshot(1.5), ...malformed }],
    loadSnapshot: [{ input: "a crossed snapshot", throws: (b) => b.loadSnapshot({ bids: [[102, 1]], asks: [[100, 1]] }), ...malformed }],
    addTrigger: [
      { input: "a zero trigger price", refused: (b) => b.addTrigger({ id: "t2", accountId: "t", side: "sell", kind: "stop_loss", triggerTicks: 0, sizeLots: 1 }), reason: "INVALID_TRIGGER" },
      { input: "an unknown kind", throws: (b) => b.addTrigger({ id: "t2", accountId: "t", side: "sell", kind: "trailing" as never, triggerTicks: 90, sizeLots: 1 }), ...malformed },
    ],
    cancelTrigger: [{ input: "an id that is not pending", refused: (b) => b.cancelTrigger("nope"), reason: "UNKNOWN_ORDER" }],
    pendingTriggers: [{ noInput: "a view" }],
    onReferencePrice: [{ input: "NaN", throws: (b) => b.onReferencePrice(Number.NaN), ...malformed }],
  };

  it("returns every market outcome as a rejection value and throws ValidationError for a malformed call, changing nothing", () => {
    walk(cases, fresh, (b) => ({ depth: b.depth(100), orders: b.restingOrders(), triggers: b.pendingTriggers() }));
    expect(() => new OrderBook({ maxPriceTicks: -1 })).toThrow(ValidationError);
  });
});

describe("the error model of MarketBook", () => {
  const fresh = () => {
    const book = new MarketBook(BTC);
    book.loadSnapshot(BTC_BOOK);
    return book;
  };
  const limit = { id: "x", accountId: "t", side: "buy", kind: "limit", price: "99000", size: "0.001" } as const;
  const cases: Cases<MarketBook> = {
    submit: [
      { input: "a price off the tick", refused: (b) => b.submit({ ...limit, price: "99000.05" }), reason: "INVALID_PRICE_TICK" },
      { input: "a size below the minimum", refused: (b) => b.submit({ ...limit, size: "0.00001" }), reason: "BELOW_MIN_SIZE" },
      { input: "a post-only that would cross", refused: (b) => b.submit({ ...limit, price: "100000", postOnly: true }), reason: "POST_ONLY_WOULD_CROSS" },
      { input: "a fill-or-kill that cannot fill", refused: (b) => b.submit({ ...limit, kind: "market", size: "5", timeInForce: "FOK" }), reason: "FOK_NOT_FILLABLE" },
      { input: "a size that is not a number", throws: (b) => b.submit({ ...limit, size: "a bit" }), ...malformed },
    ],
    cancel: [{ input: "an id that rests nowhere", refused: (b) => b.cancel("nope"), reason: "UNKNOWN_ORDER" }],
    bestBid: [{ noInput: "a view" }],
    bestAsk: [{ noInput: "a view" }],
    mid: [{ noInput: "a view" }],
    loadSnapshot: [{ input: "a level off the lot", throws: (b) => b.loadSnapshot({ bids: [["99990", "0.000001"]], asks: [] }), ...malformed }],
    snapshot: [{ input: "a negative level count", throws: (b) => b.snapshot(-1), ...malformed }],
  };

  it("returns every market outcome as a rejection value and throws ValidationError for a malformed call, changing nothing", () => {
    walk(cases, fresh, (b) => b.snapshot());
    expect(() => new MarketBook(undefined as never)).toThrow(ValidationError);
  });
});
