import {
  Decimal,
  ManualClock,
  NotFoundError,
  StateConflictError,
  UnknownMarketError,
  ValidationError,
  defineMarket,
  emptyExitPlan,
  type ExitPlan,
} from "@autonome/core";
import { describe, expect, it } from "vitest";
import type { PositionClosedEvent } from "./events.js";
import { ExchangeSimulator } from "./simulator.js";
import { BTC, BTC_BOOK, ETH, plain, recordEvents } from "../testing/sink.js";
import type { PlaceOrderInput, SimulatorOptions } from "./types.js";

const d = (v: string | number) => new Decimal(v);
const plan = (p: Partial<ExitPlan>): ExitPlan => ({ ...emptyExitPlan(), ...p });

function setup(options: Partial<SimulatorOptions> = {}, accounts: Array<[string, string?]> = [["alice"]]) {
  const clock = new ManualClock(0);
  const sim = new ExchangeSimulator({ markets: [BTC, ETH], clock, options });
  for (const [id, capital] of accounts) sim.createAccount(id, capital === undefined ? {} : { initialCapital: capital });
  sim.applyBook("BTC", BTC_BOOK);
  const events = recordEvents(sim);
  return { clock, sim, events };
}

function closedEvent(events: ReturnType<typeof recordEvents>): PositionClosedEvent {
  const found = events.find((e) => e.name === "positionClosed");
  if (found === undefined) throw new Error("no positionClosed event");
  return found.event as PositionClosedEvent;
}

describe("ExchangeSimulator stop-loss and take-profit", () => {
  it("opens a leveraged long by walking the snapshot and closes it with closeTrigger STOP at the real fill price", () => {
    const { clock, sim, events } = setup();
    const opened = sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.1", leverage: 10, exitPlan: plan({ stop: d(99000) }) });
    expect(opened.status).toBe("filled");
    if (opened.status !== "filled") return;
    expect(opened.fills.map((f) => [f.price.toString(), f.quantity.toString(), f.fee.toString()])).toEqual([
      ["100000", "0.05", "5"],
      ["100010", "0.05", "5.0005"],
    ]);
    expect(opened.averagePrice?.toString()).toBe("100005");

    clock.advanceTo(5000);
    const applied = sim.applyBook("BTC", { bids: [["98950", "1"]], asks: [["98960", "1"]] });
    expect(applied).toMatchObject({ loaded: true, nextLoadAt: 10_000, markPrice: d(98955), fills: [], triggers: { liquidated: [] } });
    expect(applied.triggers.exits.map((e) => [e.accountId, e.symbol, e.trigger, e.result.status])).toEqual([["alice", "BTC", "STOP", "filled"]]);

    expect(events.map((e) => e.name)).toEqual([
      "orderAccepted",
      "orderFilled",
      "orderFilled",
      "positionOpened",
      "orderAccepted",
      "orderFilled",
      "positionClosed",
    ]);
    const closed = closedEvent(events);
    expect(closed.closeTrigger).toBe("STOP");
    expect(plain(closed.trade)).toMatchObject({
      orderId: opened.orderId,
      side: "LONG",
      quantity: "0.1",
      entryPrice: "100005",
      exitPrice: "98950", // the fill, not the 99000 trigger
      grossPnl: "-105.5",
      fees: "19.8955", // 10.0005 to open + 9.895 to close
      realizedPnl: "-125.3955",
      closeTrigger: "STOP",
      closedAt: 5000,
    });
    const account = sim.account("alice");
    expect(account.cash.toString()).toBe("9874.6045");
    expect(account.positions).toEqual([]);
    expect(sim.trades("alice")).toHaveLength(1);
  });

  it("closes a short at its target with closeTrigger TARGET", () => {
    const { clock, sim, events } = setup();
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "SHORT", quantity: "0.1", leverage: 5, exitPlan: plan({ stop: d(101000), target: d(99000) }) });
    clock.advanceTo(5000);
    sim.applyBook("BTC", { bids: [["98990", "1"]], asks: [["99000", "1"]] });
    const closed = closedEvent(events);
    expect(closed.closeTrigger).toBe("TARGET");
    expect(closed.trade.exitPrice.toString()).toBe("99000");
    expect(closed.trade.grossPnl.toString()).toBe("99"); // (99990 - 99000) x 0.1
    // 10000 - 9.999 (open fee) + 99 - 9.9 (close fee)
    expect(sim.account("alice").cash.toString()).toBe("10079.101");
  });

  it("fires a stop already crossed when the exit plan is set", () => {
    const { sim, events } = setup();
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01" });
    sim.setExitPlan("alice", "BTC", plan({ stop: d(100100) })); // mark 99995 is below
    expect(closedEvent(events).closeTrigger).toBe("STOP");
    expect(sim.positions("alice")).toEqual([]);
  });

  it("keeps a position whose stop fired but found no liquidity, and closes it when liquidity returns", () => {
    const { clock, sim, events } = setup({ refreshIntervalMs: 0 });
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01", exitPlan: plan({ stop: d(99000) }) });
    sim.applyBook("BTC", { bids: [], asks: [["98000", "1"]] });
    sim.setMark("BTC", "98500");
    sim.checkTriggers("BTC");
    expect(sim.positions("alice")).toHaveLength(1);
    expect(events.filter((e) => e.name === "orderCancelled")).toHaveLength(1);
    clock.advanceTo(1000);
    sim.applyBook("BTC", { bids: [["98400", "1"]], asks: [["98410", "1"]] });
    expect(sim.positions("alice")).toEqual([]);
    expect(closedEvent(events).trade.exitPrice.toString()).toBe("98400");
  });

  it("gives the automatic close an id no caller order holds", () => {
    const { sim, events } = setup();
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", size: "0.001", price: "90000", orderId: "stop-1" });
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01" });
    sim.setExitPlan("alice", "BTC", plan({ stop: d(100100) }));
    expect(closedEvent(events).closeTrigger).toBe("STOP");
    expect(sim.positions("alice")).toEqual([]);
    expect(sim.order("stop-2")).toMatchObject({ status: "FILLED", closeTrigger: "STOP" });
  });

  it("rejects an exit plan without a position as a value, and throws for an unknown account", () => {
    const { sim } = setup();
    expect(sim.setExitPlan("alice", "BTC", { stop: "1" })).toEqual({ status: "rejected", reason: "NO_POSITION", detail: "alice holds no BTC position" });
    expect(() => sim.setExitPlan("nobody", "BTC", {})).toThrow(NotFoundError);
    expect(sim.sequence).toBe(3);
  });

  it("takes an exit plan of plain strings and numbers with every field optional", () => {
    const { sim } = setup();
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01", exitPlan: { stop: 99_000 } });
    expect(sim.positions("alice")[0]?.exitPlan).toEqual({ ...emptyExitPlan(), stop: d(99_000) });
    const updated = sim.setExitPlan("alice", "BTC", { target: "101000.5", confidence: 0.6 });
    expect(updated.status === "updated" && plain(updated.position.exitPlan)).toEqual({ ...plain(emptyExitPlan()) as object, target: "101000.5", confidence: 0.6 });
    expect(() => sim.setExitPlan("alice", "BTC", { stop: "abc" })).toThrow(/exitPlan.stop: "abc" is not a decimal number/);
    expect(() => sim.setExitPlan("alice", "BTC", { stop: -1 })).toThrow(/exitPlan.stop/);
    expect(() => sim.setExitPlan("alice", "BTC", { stopp: 1 } as never)).toThrow(ValidationError);
  });
});

describe("ExchangeSimulator snapshot mode", () => {
  it("keeps consumed liquidity consumed until the refresh interval elapses", () => {
    const { clock, sim } = setup({}, [["alice"], ["bob"], ["carol"], ["dave"]]);
    const buy = (accountId: string) => sim.openPosition({ accountId, symbol: "BTC", side: "LONG", quantity: "0.05" });
    const price = (r: ReturnType<typeof buy>) => (r.status === "filled" ? r.averagePrice?.toString() : r.status);
    expect(price(buy("alice"))).toBe("100000");
    expect(price(buy("bob"))).toBe("100010"); // alice took the 100000 level
    clock.advanceTo(4999);
    expect(sim.applyBook("BTC", BTC_BOOK).loaded).toBe(false);
    expect(price(buy("carol"))).toBe("100010"); // still consumed: only 0.05 left there
    clock.advanceTo(5000);
    expect(sim.applyBook("BTC", BTC_BOOK).loaded).toBe(true);
    expect(price(buy("dave"))).toBe("100000"); // refreshed
  });

  it("sets the mark to the snapshot mid on every snapshot, loaded or not", () => {
    const { clock, sim } = setup();
    expect(sim.markPrice("BTC")?.toString()).toBe("99995");
    clock.advanceTo(10);
    sim.applyBook("BTC", { bids: [["99000", "1"]], asks: [["99001", "1"]] });
    expect(sim.markPrice("BTC")?.toString()).toBe("99000.5");
    expect(sim.book("BTC").bestAsk()).toBe(1_000_000); // book not refreshed yet
  });

  it("skips levels of size zero and finds the best levels whatever their order", () => {
    const { clock, sim } = setup();
    clock.advanceTo(5000);
    sim.applyBook("BTC", { bids: [["99900", "1"], ["99950", "0"], ["99940", "2"]], asks: [["100100", "1"], ["100050", "0.000"], ["100060", "3"]] });
    expect(sim.markPrice("BTC")?.toString()).toBe("100000"); // (99940 + 100060) / 2
    expect(sim.book("BTC").snapshot()).toEqual({
      bids: [
        [999_400, 200_000],
        [999_000, 100_000],
      ],
      asks: [
        [1_000_600, 300_000],
        [1_001_000, 100_000],
      ],
    });
  });

  it("fills a resting order the market traded through when a new snapshot crosses it", () => {
    const { clock, sim, events } = setup({}, [["alice"], ["bob"]]);
    const resting = sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "buy", type: "limit", size: "0.01", price: "99995" });
    expect(resting.status).toBe("resting");
    clock.advanceTo(5000);
    const start = events.length;
    sim.applyBook("BTC", { bids: [["99900", "1"]], asks: [["99950", "1"]] });
    const names = events.slice(start).map((e) => e.name);
    expect(names).toEqual(["orderFilled", "positionOpened"]);
    expect(events.at(-1)?.event).toMatchObject({ position: { markPrice: d("99925") } });
    const position = sim.positions("bob")[0]!;
    expect(position.entryPrice.toString()).toBe("99995");
    expect(position.fees.toString()).toBe(d("999.95").mul("0.0005").toString()); // maker fee
  });

  it("throws a typed error for a snapshot of an unknown market or off the tick grid, changing nothing", () => {
    const { sim } = setup();
    const before = plain(sim.state());
    expect(() => sim.applyBook("FOO", BTC_BOOK)).toThrow(UnknownMarketError);
    expect(() => sim.applyBook("BTC", { bids: [["99990.05", "1"]], asks: [] })).toThrow(/bids.0.price: price 99990.05 is not a multiple of 0.1/);
    expect(() => sim.loadBook("BTC", { bids: [["99990", "x"]], asks: [] })).toThrow(/bids.0.size: "x" is not a decimal number/);
    expect(() => sim.applyBook("BTC", { bids: [["100000", "1"]], asks: [["99000", "1"]] })).toThrow(ValidationError); // crossed
    expect(plain(sim.state())).toEqual(before);
  });
});

describe("ExchangeSimulator rejections", () => {
  const cases: Array<[string, Partial<PlaceOrderInput>, string]> = [
    ["insufficient margin on a market order", { size: "1", leverage: 5 }, "INSUFFICIENT_MARGIN"],
    ["insufficient margin on a resting limit order", { type: "limit", price: "99000", size: "2", leverage: 10 }, "INSUFFICIENT_MARGIN"],
    ["leverage above the market maximum", { leverage: 51 }, "LEVERAGE_TOO_HIGH"],
    ["zero leverage", { leverage: 0 }, "INVALID_LEVERAGE"],
    ["a price off the tick", { type: "limit", price: "99000.05" }, "INVALID_PRICE_TICK"],
    ["a size off the lot", { size: "0.000015" }, "INVALID_SIZE_LOT"],
    ["a size below the minimum", { size: "0.00005" }, "BELOW_MIN_SIZE"],
    ["a notional below the minimum", { type: "limit", price: "50000", size: "0.0001" }, "BELOW_MIN_NOTIONAL"],
    ["a zero size", { size: "0" }, "NON_POSITIVE_SIZE"],
    ["a negative size", { size: "-0.1" }, "NON_POSITIVE_SIZE"],
    ["reduce-only without a position", { symbol: "ETH", side: "sell", reduceOnly: true, size: "0.01" }, "REDUCE_ONLY_NO_POSITION"],
    ["reduce-only on the wrong side", { side: "buy", reduceOnly: true }, "REDUCE_ONLY_WRONG_SIDE"],
    ["post-only that would cross", { type: "limit", price: "100000", postOnly: true }, "POST_ONLY_WOULD_CROSS"],
    ["fill-or-kill that cannot fill", { type: "market", size: "5", timeInForce: "FOK", leverage: 50 }, "FOK_NOT_FILLABLE"],
    ["a duplicate order id", { orderId: "bid-1" }, "DUPLICATE_ORDER_ID"],
  ];

  it.each(cases)("rejects %s and changes nothing", (_label, change, reason) => {
    const { sim, events } = setup({}, [["alice"], ["bob"]]);
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01" });
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", price: "99000", size: "0.01", orderId: "bid-1" });
    const accountsBefore = plain(sim.accounts());
    const bookBefore = plain(sim.book("BTC").restingOrders());
    const depthBefore = sim.book("BTC").snapshot();
    const tradesBefore = sim.trades().length;
    const eventCount = events.length;

    const result = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "market", size: "0.01", ...change });

    expect(result.status).toBe("rejected");
    expect(result.status === "rejected" && result.reason).toBe(reason);
    expect(plain(sim.accounts())).toEqual(accountsBefore);
    expect(plain(sim.book("BTC").restingOrders())).toEqual(bookBefore);
    expect(sim.book("BTC").snapshot()).toEqual(depthBefore);
    expect(sim.trades()).toHaveLength(tradesBefore);
    // A refusal is the result, not an event.
    expect(events.slice(eventCount)).toEqual([]);
  });

  it("names the market limit a rejection broke, with its value", () => {
    const { sim } = setup();
    const place = (change: Partial<PlaceOrderInput>) => sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "market", size: "0.01", ...change });
    expect(plain(place({ size: "0.00005" }))).toMatchObject({ reason: "BELOW_MIN_SIZE", limit: { name: "minSize", value: "0.0001" }, detail: "size 0.00005 is below the market's minSize 0.0001" });
    expect(plain(place({ type: "limit", price: "50000", size: "0.0001" }))).toMatchObject({ reason: "BELOW_MIN_NOTIONAL", limit: { name: "minNotional", value: "10" } });
    expect(plain(place({ leverage: 51 }))).toMatchObject({ reason: "LEVERAGE_TOO_HIGH", limit: { name: "maxLeverage", value: "50" } });
  });

  it("throws for an unknown account or market and for a malformed value, journaling nothing", () => {
    const { sim } = setup();
    const before = plain(sim.state());
    const place = (change: Partial<PlaceOrderInput>) => () => sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "market", size: "0.01", ...change });
    expect(place({ accountId: "nobody" })).toThrow(NotFoundError);
    expect(place({ symbol: "FOO" })).toThrow(UnknownMarketError);
    expect(place({ size: "ten" })).toThrow(ValidationError);
    expect(place({ size: Number.NaN })).toThrow(/size: NaN is not a finite number/);
    expect(place({ size: 0.1 + 0.2 })).toThrow(/more than 15 significant digits/);
    expect(place({ side: "up" as never })).toThrow(/side: must be buy or sell/);
    expect(() => sim.closePosition("nobody", "BTC")).toThrow(NotFoundError);
    expect(() => sim.cancelOrder("nobody", "x")).toThrow(NotFoundError);
    expect(plain(sim.state())).toEqual(before);
    expect(sim.journal()).toHaveLength(2);
  });

  it("takes sizes and prices as strings, exact numbers or Decimals alike", () => {
    const results = [["0.01", "99000"], [0.01, 99_000], [d("0.01"), d("99000")]].map(([size, price]) => {
      const { sim } = setup();
      expect(sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", size: size!, price: price! }).status).toBe("resting");
      return plain(sim.state());
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it("rejects closing a position that does not exist", () => {
    const { sim } = setup();
    expect(sim.closePosition("alice", "BTC")).toMatchObject({ status: "rejected", reason: "NO_POSITION" });
  });

  it("throws typed errors for bad accounts and refuses a second account of the same id", () => {
    const { sim } = setup();
    expect(() => sim.createAccount("alice")).toThrow(StateConflictError);
    expect(() => sim.createAccount("__external__")).toThrow(ValidationError);
    expect(() => sim.account("nobody")).toThrow(NotFoundError);
  });
});

describe("ExchangeSimulator positions", () => {
  it("lists the symbols an account holds, in opening order, through opens, a partial close, a close and a rejected order", () => {
    const { sim } = setup({}, [["alice"], ["bob"]]);
    sim.applyBook("ETH", { bids: [["2999", "10"]], asks: [["3000", "10"]] });
    const held = (id: string) => ({ symbols: sim.positionSymbols(id), views: sim.positions(id).map((p) => p.symbol) });
    expect(held("alice")).toEqual({ symbols: [], views: [] });

    expect(sim.openPosition({ accountId: "alice", symbol: "ETH", side: "SHORT", quantity: "1" }).status).toBe("filled");
    expect(sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.1" }).status).toBe("filled");
    expect(held("alice")).toEqual({ symbols: ["ETH", "BTC"], views: ["ETH", "BTC"] });
    expect(held("bob")).toEqual({ symbols: [], views: [] });

    // A partial close keeps the symbol: 0.04 of 0.1 sold, 0.06 still long.
    const partial = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "market", size: "0.04", reduceOnly: true });
    expect(partial.status).toBe("filled");
    expect(sim.positions("alice").find((p) => p.symbol === "BTC")?.quantity.toString()).toBe("0.06");
    expect(held("alice")).toEqual({ symbols: ["ETH", "BTC"], views: ["ETH", "BTC"] });

    // A rejected order changes nothing: not on bob (no position to reduce), not on alice (too large for her margin).
    const journal = sim.journal().length;
    expect(sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "sell", type: "market", size: "0.01", reduceOnly: true })).toMatchObject({ status: "rejected", reason: "REDUCE_ONLY_NO_POSITION" });
    expect(sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "1", leverage: 1 })).toMatchObject({ status: "rejected", reason: "INSUFFICIENT_MARGIN" });
    expect(sim.closePosition("bob", "ETH")).toMatchObject({ status: "rejected", reason: "NO_POSITION" });
    expect(sim.journal().length).toBe(journal + 3);
    expect(held("alice")).toEqual({ symbols: ["ETH", "BTC"], views: ["ETH", "BTC"] });
    expect(held("bob")).toEqual({ symbols: [], views: [] });

    // A full close drops the symbol; the other position stays.
    expect(sim.closePosition("alice", "ETH").status).toBe("filled");
    expect(held("alice")).toEqual({ symbols: ["BTC"], views: ["BTC"] });
    expect(sim.closePosition("alice", "BTC").status).toBe("filled");
    expect(held("alice")).toEqual({ symbols: [], views: [] });
    expect(() => sim.positionSymbols("carol")).toThrow(NotFoundError);
  });

  it("averages entries, realizes on reductions and flips through zero with closed then opened events", () => {
    const { sim, events } = setup({ takerFeeRate: 0, makerFeeRate: 0 });
    const order = (side: "buy" | "sell", size: string) => sim.placeOrder({ accountId: "alice", symbol: "BTC", side, type: "market", size, leverage: 10 });
    order("buy", "0.05"); // 0.05 @ 100000
    order("buy", "0.05"); // 0.05 @ 100010 -> 0.1 @ 100005
    expect(sim.positions("alice")[0]?.entryPrice.toString()).toBe("100005");
    order("sell", "0.05"); // 0.05 @ 99990 -> realized -0.75
    const flip = order("sell", "0.1"); // 0.05 @ 99990 closes (-0.75), 0.05 @ 99980 opens a short

    const summary = events.map((e) => {
      if (e.name === "positionOpened" || e.name === "positionChanged") {
        const p = (e.event as { position: { side: string; quantity: Decimal; entryPrice: Decimal } }).position;
        const realized = e.name === "positionChanged" ? ` ${(e.event as { realizedPnl: Decimal }).realizedPnl.toString()}` : "";
        return `${e.name} ${p.side} ${p.quantity.toString()} @ ${p.entryPrice.toString()}${realized}`;
      }
      if (e.name === "positionClosed") {
        const t = (e.event as PositionClosedEvent).trade;
        return `positionClosed ${t.side} ${t.quantity.toString()} ${t.entryPrice.toString()} -> ${t.exitPrice.toString()} ${t.grossPnl.toString()}`;
      }
      return e.name;
    });
    expect(summary).toEqual([
      "orderAccepted",
      "orderFilled",
      "positionOpened LONG 0.05 @ 100000",
      "orderAccepted",
      "orderFilled",
      "positionChanged LONG 0.1 @ 100005 0",
      "orderAccepted",
      "orderFilled",
      "positionChanged LONG 0.05 @ 100005 -0.75",
      "orderAccepted",
      "orderFilled",
      "orderFilled",
      "positionClosed LONG 0.1 100005 -> 99990 -1.5",
      "positionOpened SHORT 0.05 @ 99980",
    ]);
    expect(sim.positions("alice")[0]?.orderId).toBe(flip.orderId);
    expect(sim.account("alice").cash.toString()).toBe("9998.5");
  });

  it("reports margin, available and the liquidation estimate of an open position", () => {
    const { sim } = setup({ takerFeeRate: 0 });
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05", leverage: 10 });
    const account = sim.account("alice");
    // long 0.05 @ 100000, mark 99995
    expect(account.unrealizedPnl.toString()).toBe("-0.25");
    expect(account.equity.toString()).toBe("9999.75");
    expect(account.initialMarginUsed.toString()).toBe("499.975"); // 4999.75 / 10
    expect(account.maintenanceMargin.toString()).toBe("59.997"); // 4999.75 x 0.012
    expect(account.available.toString()).toBe("9499.775");
    const position = account.positions[0]!;
    // cross margin: P = (5000 - 10000) / ... is negative -> not liquidatable
    expect(position.liquidationPrice).toBeNull();
  });

  it("charges the maker fee to a resting order and the taker fee to the order that hits it", () => {
    const { sim, events } = setup({}, [["alice"], ["bob"]]);
    sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "buy", type: "limit", size: "0.01", price: "99995", orderId: "bob-bid" });
    const sold = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "market", size: "0.01" });
    const fills = events.filter((e) => e.name === "orderFilled").map((e) => plain((e.event as { fill: unknown }).fill));
    expect(fills).toEqual([
      expect.objectContaining({ accountId: "alice", orderId: sold.orderId, side: "sell", price: "99995", liquidity: "taker", fee: "0.99995" }),
      expect.objectContaining({ accountId: "bob", orderId: "bob-bid", side: "buy", price: "99995", liquidity: "maker", fee: "0.499975" }),
    ]);
    expect((fills[0] as { tradeId: string }).tradeId).toBe((fills[1] as { tradeId: string }).tradeId);
    expect(events.slice(-2).map((e) => e.name)).toEqual(["positionOpened", "positionOpened"]);
  });

  it("cancels a resting reduce-only order when its position closes", () => {
    const { sim, events } = setup();
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05" });
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "limit", size: "0.05", price: "100500", reduceOnly: true, orderId: "tp" });
    expect(sim.account("alice").openOrders.map((o) => o.orderId)).toEqual(["tp"]);
    const start = events.length;
    sim.closePosition("alice", "BTC");
    expect(events.slice(start).map((e) => e.name)).toEqual(["orderAccepted", "orderFilled", "positionClosed", "orderCancelled"]);
    expect(events.at(-1)?.event).toMatchObject({ orderId: "tp", reason: "REDUCE_ONLY_NO_POSITION" });
    expect(sim.book("BTC").order("tp")).toBeUndefined();
    expect(closedEvent(events).closeTrigger).toBe("MANUAL");
  });

  it.each([
    ["GTC", "partially_filled", ["orderAccepted", "orderFilled", "orderFilled", "positionOpened"], "0.05"],
    ["IOC", "cancelled", ["orderAccepted", "orderFilled", "orderFilled", "orderCancelled", "positionOpened"], "0"],
    ["FOK", "rejected", [], "0"],
  ] as const)("walks a marketable %s limit order through the levels it crosses: %s", (timeInForce, status, names, resting) => {
    // 0.15 is available at or below 100010; the order wants 0.2
    const { sim, events } = setup();
    const result = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", price: "100010", size: "0.2", timeInForce, leverage: 10 });
    expect(result.status).toBe(status);
    expect(events.map((e) => e.name)).toEqual(names);
    expect(sim.account("alice").openOrders.reduce((sum, o) => sum.plus(o.size), d(0)).toString()).toBe(resting);
    if (result.status !== "rejected" && result.status !== "pending") {
      expect(result.filledSize.toString()).toBe("0.15");
      expect(result.averagePrice?.toString()).toBe(d("0.05").mul(100000).plus(d("0.1").mul(100010)).div("0.15").toString());
    }
  });

  it("stops a taker at the account's own resting order (self-trade prevention) and says so", () => {
    const { sim, events } = setup({}, [["alice"], ["bob"]]);
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", size: "0.01", price: "99995", orderId: "own-bid" });
    const start = events.length;
    const sold = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "market", size: "0.01" });
    expect(sold).toMatchObject({ status: "cancelled", filledSize: d(0) });
    expect(events.slice(start).map((e) => [e.name, (e.event as { reason?: string }).reason])).toEqual([
      ["orderAccepted", undefined],
      ["orderCancelled", "SELF_TRADE"],
    ]);
    expect(sim.book("BTC").order("own-bid")?.sizeLots).toBe(1000);
    // bob's order is not a self-trade: it fills against alice's bid
    sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "sell", type: "market", size: "0.004" });
    expect(sim.account("alice").openOrders[0]?.size.toString()).toBe("0.006");
  });

  it("shrinks a resting reduce-only order when its position shrinks", () => {
    const { sim } = setup();
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05" });
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "limit", size: "0.05", price: "100500", reduceOnly: true, orderId: "tp" });
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "market", size: "0.03" });
    expect(sim.book("BTC").order("tp")?.sizeLots).toBe(2000);
    expect(sim.order("tp")).toMatchObject({ status: "ACCEPTED", size: d("0.02") });
    expect(sim.account("alice").openOrders[0]?.size.toString()).toBe("0.02");
  });

  it("cancels a resting order on request and releases its margin", () => {
    const { sim, events } = setup();
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", size: "0.1", price: "99000", leverage: 10, orderId: "bid" });
    expect(sim.account("alice").initialMarginUsed.toString()).toBe("990");
    expect(sim.cancelOrder("alice", "bid")).toEqual({ status: "cancelled", orderId: "bid", size: d("0.1") });
    expect(sim.cancelOrder("alice", "bid")).toEqual({ status: "rejected", orderId: "bid", reason: "UNKNOWN_ORDER", detail: "alice has no live order bid" });
    expect(sim.account("alice").initialMarginUsed.toString()).toBe("0");
    expect(events.at(-1)?.event).toMatchObject({ orderId: "bid", reason: "REQUESTED", size: d("0.1") });
  });
});

describe("ExchangeSimulator liquidation", () => {
  it("liquidates an account whose equity fell below maintenance margin with closeTrigger LIQUIDATION", () => {
    const { clock, sim, events } = setup({ takerFeeRate: 0 }, [["alice", "1000"]]);
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.1", leverage: 50 }); // 0.1 @ 100005
    clock.advanceTo(5000);
    const start = events.length;
    // mark 91005: equity 1000 - 900 = 100 < maintenance 9100.5 x 0.012 = 109.206
    sim.applyBook("BTC", { bids: [["91000", "1"]], asks: [["91010", "1"]] });
    expect(events.slice(start).map((e) => e.name)).toEqual(["orderAccepted", "orderFilled", "positionClosed", "liquidated"]);
    expect(closedEvent(events).closeTrigger).toBe("LIQUIDATION");
    expect(plain(events.at(-1)?.event)).toMatchObject({ accountId: "alice", equity: "100", maintenanceMargin: "109.206", symbols: ["BTC"], badDebt: "0" });
    expect(sim.account("alice").cash.toString()).toBe("99.5"); // 1000 + (91000 - 100005) x 0.1
  });

  it("cancels the account's resting orders before closing its positions", () => {
    const { clock, sim, events } = setup({ takerFeeRate: 0 }, [["alice", "1000"]]);
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.1", leverage: 50 });
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", size: "0.01", price: "90000", leverage: 50, orderId: "dip-bid" });
    clock.advanceTo(5000);
    const start = events.length;
    sim.applyBook("BTC", { bids: [["91000", "1"]], asks: [["91010", "1"]] });
    const why = (e: (typeof events)[number]) => {
      const event = e.event as { reason?: string; closeTrigger?: string; order?: { closeTrigger: string | null } };
      return event.reason ?? event.closeTrigger ?? event.order?.closeTrigger ?? null;
    };
    expect(events.slice(start).map((e) => [e.name, why(e)])).toEqual([
      ["orderCancelled", "LIQUIDATION"],
      ["orderAccepted", "LIQUIDATION"],
      ["orderFilled", null],
      ["positionClosed", "LIQUIDATION"],
      ["liquidated", null],
    ]);
    expect(sim.book("BTC").order("dip-bid")).toBeUndefined();
  });

  it("never leaves cash below zero: a gap loss beyond the cash is recorded as bad debt", () => {
    const { clock, sim, events } = setup({ takerFeeRate: 0 }, [["alice", "1000"]]);
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.1", leverage: 50 });
    clock.advanceTo(5000);
    sim.applyBook("BTC", { bids: [["89000", "1"]], asks: [["89010", "1"]] });
    // realized (89000 - 100005) x 0.1 = -1100.5 -> cash -100.5 -> absorbed
    expect(plain(events.at(-1)?.event)).toMatchObject({ badDebt: "100.5" });
    const account = sim.account("alice");
    expect(account.cash.toString()).toBe("0");
    expect(account.badDebt.toString()).toBe("100.5");
    expect(account.cash.eq(account.initialCapital.plus(account.realizedPnl).minus(account.fees).plus(account.funding).plus(account.badDebt))).toBe(true);
  });

  it("charges the liquidation fee on top of the taker fee", () => {
    const { clock, sim } = setup({ takerFeeRate: 0, liquidationFeeRate: "0.01" }, [["alice", "1000"]]);
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.1", leverage: 50 });
    clock.advanceTo(5000);
    sim.applyBook("BTC", { bids: [["91000", "1"]], asks: [["91010", "1"]] });
    expect(sim.trades("alice")[0]?.fees.toString()).toBe("91"); // 9100 x 0.01
  });
});

describe("ExchangeSimulator funding", () => {
  it("settles funding every interval: longs pay shorts at a positive rate", () => {
    const { clock, sim, events } = setup({ fundingIntervalMs: 3_600_000 }, [["alice"], ["bob"]]);
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05" });
    sim.openPosition({ accountId: "bob", symbol: "BTC", side: "SHORT", quantity: "0.05" });
    sim.setFundingRate("BTC", "0.0001");
    const cashBefore = [sim.account("alice").cash, sim.account("bob").cash];
    const start = events.length;
    clock.advanceTo(3_600_000);
    const paid = events.slice(start);
    // 0.05 x mark 99995 x 0.0001 = 0.499975
    expect(paid.map((e) => [e.name, plain(e.event)])).toEqual([
      ["fundingPaid", expect.objectContaining({ accountId: "alice", side: "LONG", amount: "-0.499975", tsEvent: 3_600_000 })],
      ["fundingPaid", expect.objectContaining({ accountId: "bob", side: "SHORT", amount: "0.499975" })],
    ]);
    expect(sim.account("alice").cash.toString()).toBe(cashBefore[0]!.minus("0.499975").toString());
    expect(sim.account("bob").cash.toString()).toBe(cashBefore[1]!.plus("0.499975").toString());
    clock.advanceTo(7_200_000);
    expect(events.filter((e) => e.name === "fundingPaid")).toHaveLength(4);
  });

  it("schedules funding on the interval boundary, not with fundingIntervalMs 0, and stops on dispose", () => {
    const clock = new ManualClock(1_234);
    const scheduled = new ExchangeSimulator({ markets: [BTC], clock, options: { fundingIntervalMs: 3_600_000 } });
    expect(clock.pendingTimers().map((t) => [t.name, t.dueAt])).toEqual([["funding", 3_600_000]]);
    scheduled.dispose();
    expect(clock.pendingTimers()).toEqual([]);
    new ExchangeSimulator({ markets: [BTC], clock, options: { fundingIntervalMs: 0 } });
    expect(clock.pendingTimers()).toEqual([]);
  });

  it("makes shorts pay longs at a negative rate when settled on demand", () => {
    const { sim } = setup({ fundingIntervalMs: 0 });
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05" });
    sim.setFundingRate("BTC", "-0.0002");
    const before = sim.account("alice").cash;
    sim.settleFunding("BTC");
    expect(sim.account("alice").cash.minus(before).toString()).toBe("0.99995");
    expect(sim.positions("alice")[0]?.funding.toString()).toBe("0.99995");
  });
});

describe("ExchangeSimulator latency", () => {
  it("delivers an order after its drawn delay, against the book as it is on arrival", () => {
    const { clock, sim, events } = setup({ latency: { minMs: 100, maxMs: 100 }, refreshIntervalMs: 0 });
    const result = sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05" });
    expect(result).toEqual({ status: "pending", orderId: result.orderId, arrivesAt: 100 });
    expect(events).toEqual([]);
    clock.advanceTo(50);
    sim.applyBook("BTC", { bids: [["100400", "1"]], asks: [["100500", "1"]] });
    clock.advanceTo(100);
    const fill = events.find((e) => e.name === "orderFilled")?.event as { fill: { price: Decimal; ts: number } };
    expect(fill.fill.price.toString()).toBe("100500");
    expect(fill.fill.ts).toBe(100);
    expect(events[0]).toMatchObject({ name: "orderAccepted", event: { tsEvent: 100 } });
  });

  it("cancels an order still in flight", () => {
    const { clock, sim, events } = setup({ latency: { minMs: 100, maxMs: 100 } });
    const result = sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05" });
    expect(sim.cancelOrder("alice", result.orderId)).toMatchObject({ status: "cancelled", size: d("0.05") });
    clock.advanceTo(1000);
    expect(events.map((e) => e.name)).toEqual(["orderCancelled"]);
    expect(sim.positions("alice")).toEqual([]);
  });

  it("rejects an order with a static error at once, without waiting for the latency", () => {
    const { sim, events } = setup({ latency: { minMs: 100, maxMs: 100 } });
    expect(sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0" })).toMatchObject({ status: "rejected", reason: "NON_POSITIVE_SIZE" });
    expect(events.map((e) => e.name)).toEqual([]);
  });

  it("draws the same delays from the same seed and different ones from another", () => {
    const arrivals = (seed: number) => {
      const { sim } = setup({ latency: { minMs: 10, maxMs: 500 }, seed }, [["alice"]]);
      return Array.from({ length: 8 }, () => {
        const r = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", price: "90000", size: "0.001" });
        return r.status === "pending" ? r.arrivesAt : -1;
      });
    };
    expect(arrivals(7)).toEqual(arrivals(7));
    expect(arrivals(7)).not.toEqual(arrivals(8));
  });

  it("refuses latency without a clock that can schedule", () => {
    expect(() => new ExchangeSimulator({ markets: [BTC], clock: { now: () => 0 }, options: { latency: { minMs: 1, maxMs: 2 } } })).toThrow(ValidationError);
  });
});

describe("ExchangeSimulator restore", () => {
  const persisted = {
    accountId: "alice",
    orderId: "ord-1",
    symbol: "BTC",
    side: "LONG" as const,
    quantity: "0.1",
    entryPrice: "95000",
    leverage: "5",
    exitPlan: plan({ stop: d(94000), invalidation: "loses 94k" }),
    openedAt: 123,
  };

  it("re-creates a persisted position at its entry price without a fee and fires its stop later", () => {
    const { clock, sim, events } = setup();
    const [view] = sim.restore([persisted]);
    expect(plain(view)).toMatchObject({ orderId: "ord-1", side: "LONG", quantity: "0.1", entryPrice: "95000", leverage: "5", fees: "0", openedAt: 123 });
    expect(sim.account("alice").cash.toString()).toBe("10000");
    expect(events.map((e) => e.name)).toEqual(["positionOpened"]);
    expect(sim.book("BTC").snapshot()).toEqual(sim.book("BTC").snapshot()); // untouched book below
    clock.advanceTo(5000);
    sim.applyBook("BTC", { bids: [["93990", "1"]], asks: [["94000", "1"]] });
    const closed = closedEvent(events);
    expect(closed.closeTrigger).toBe("STOP");
    expect(plain(closed.trade)).toMatchObject({ orderId: "ord-1", entryPrice: "95000", exitPrice: "93990", grossPnl: "-101", fees: "9.399" });
    expect(closed.trade.exitPlan.invalidation).toBe("loses 94k");
  });

  it("closes a restored position at once when the mark is already beyond its stop", () => {
    const { sim, events } = setup();
    sim.restore([{ ...persisted, exitPlan: plan({ stop: d(100500) }) }]); // mark 99995
    expect(events.map((e) => e.name)).toEqual(["positionOpened", "orderAccepted", "orderFilled", "positionClosed"]);
    expect(closedEvent(events).trade.exitPrice.toString()).toBe("99990");
  });

  it("restores all or nothing", () => {
    const { sim } = setup();
    const before = plain(sim.state());
    expect(() => sim.restore([persisted, { ...persisted, orderId: "ord-2" }])).toThrow(StateConflictError);
    expect(() => sim.restore([persisted, { ...persisted, accountId: "nobody" }])).toThrow(NotFoundError);
    expect(() => sim.restore([persisted, { ...persisted, symbol: "FOO" }])).toThrow(UnknownMarketError);
    expect(() => sim.restore([{ ...persisted, quantity: "0.000001" }])).toThrow(/INVALID_SIZE_LOT/);
    expect(plain(sim.state())).toEqual(before);
  });

  it("carries a restored position's accrued funding into its close without changing cash", () => {
    const { clock, sim, events } = setup();
    const [view] = sim.restore([{ ...persisted, funding: "-12.5" }]);
    expect(view!.funding.toString()).toBe("-12.5");
    expect(sim.account("alice").cash.toString()).toBe("10000");
    expect(sim.account("alice").funding.toString()).toBe("0");
    clock.advanceTo(5000);
    sim.applyBook("BTC", { bids: [["93990", "1"]], asks: [["94000", "1"]] });
    const trade = closedEvent(events).trade;
    expect(plain(trade)).toMatchObject({ funding: "-12.5", grossPnl: "-101", fees: "9.399", realizedPnl: "-122.899" });
  });

  it("refuses a restored position whose accrued funding is not a number", () => {
    const { sim } = setup();
    expect(() => sim.restore([{ ...persisted, funding: "lots" }])).toThrow(ValidationError);
    expect(sim.positions("alice")).toEqual([]);
  });

  it("does not touch the book", () => {
    const { sim } = setup();
    const book = sim.book("BTC").snapshot();
    sim.restore([persisted]);
    expect(sim.book("BTC").snapshot()).toEqual(book);
  });
});

describe("ExchangeSimulator order records", () => {
  it("tracks a resting order from accepted through partially filled to filled", () => {
    const { sim } = setup({}, [["alice"], ["bob"]]);
    sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "buy", type: "limit", size: "0.02", price: "99995", orderId: "bid" });
    expect(sim.order("bid")).toMatchObject({ status: "ACCEPTED", filledSize: d(0), averagePrice: null });
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "market", size: "0.005" });
    expect(sim.order("bid")).toMatchObject({ status: "PARTIALLY_FILLED", filledSize: d("0.005"), averagePrice: d(99995) });
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "market", size: "0.015" });
    expect(sim.order("bid")).toMatchObject({ status: "FILLED", filledSize: d("0.02") });
    expect(sim.orders("bob").map((o) => o.orderId)).toEqual(["bid"]);
  });

  it("ends an IOC order whose remainder was dropped CANCELLED with its fills", () => {
    const { sim } = setup();
    const result = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", price: "100000", size: "0.08", timeInForce: "IOC" });
    expect(sim.order(result.orderId)).toMatchObject({ status: "CANCELLED", filledSize: d("0.05"), averagePrice: d(100000), size: d("0.08") });
  });

  it("keeps no record of an order rejected on submission, and records a rejection on arrival", () => {
    const { clock, sim } = setup({ latency: { minMs: 10, maxMs: 10 } });
    const rejected = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "market", size: "0" });
    expect(sim.order(rejected.orderId)).toBeUndefined();
    const inFlight = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "market", size: "0.01", reduceOnly: true });
    expect(sim.order(inFlight.orderId)).toMatchObject({ status: "PENDING" });
    clock.advanceTo(10);
    expect(sim.order(inFlight.orderId)).toMatchObject({ status: "REJECTED", rejectReason: "REDUCE_ONLY_NO_POSITION", updatedAt: 10 });
    const filled = sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01" });
    clock.advanceTo(20);
    expect(sim.order(filled.orderId)).toMatchObject({ status: "FILLED", createdAt: 10, updatedAt: 20 });
  });
});

describe("ExchangeSimulator listeners", () => {
  it("delivers events after the whole command, so a listener sees the final state and its own command runs next", () => {
    const { clock, sim, events } = setup();
    const seen: string[] = [];
    sim.on("orderFilled", () => seen.push(`filled, positions ${sim.positions("alice").length}`));
    sim.on("positionClosed", ({ closeTrigger }) => {
      if (closeTrigger === "STOP") sim.openPosition({ accountId: "alice", symbol: "BTC", side: "SHORT", quantity: "0.01", orderId: "reverse" });
    });
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01", exitPlan: plan({ stop: d(99000) }) });
    expect(seen).toEqual(["filled, positions 1"]);
    clock.advanceTo(5000);
    sim.applyBook("BTC", { bids: [["98950", "1"]], asks: [["98960", "1"]] });
    expect(sim.positions("alice").map((p) => [p.orderId, p.side])).toEqual([["reverse", "SHORT"]]);
    expect(sim.journal().slice(-2).map((e) => [e.seq, e.command.type])).toEqual([
      [4, "applyBook"],
      [5, "placeOrder"],
    ]);
    const ids = events.map((e) => Number(e.event.id.slice(1)));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(events.slice(-6).map((e) => e.name)).toEqual(["orderAccepted", "orderFilled", "positionClosed", "orderAccepted", "orderFilled", "positionOpened"]);
  });

  it("keeps the state whole when a listener throws", () => {
    const { sim } = setup();
    sim.once("orderFilled", () => {
      throw new Error("listener failed");
    });
    expect(() => sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01" })).toThrow("listener failed");
    expect(sim.positions("alice")).toHaveLength(1);
    expect(sim.sequence).toBe(3);
    expect(sim.closePosition("alice", "BTC").status).toBe("filled");
  });
});

describe("ExchangeSimulator journal", () => {
  it("gives every command a monotonic sequence number and its time", () => {
    const { clock, sim } = setup();
    clock.advanceTo(42);
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01" });
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "market", size: "0" }); // rejected: still journaled
    const journal = sim.journal();
    expect(journal.map((e) => [e.seq, e.ts, e.command.type])).toEqual([
      [1, 0, "createAccount"],
      [2, 0, "applyBook"],
      [3, 42, "placeOrder"],
      [4, 42, "placeOrder"],
    ]);
  });

  it("generates order ids from the sequence number, stepping around ids a caller already used", () => {
    const { sim } = setup();
    expect(sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", size: "0.001", price: "90000", orderId: "o4" }).orderId).toBe("o4");
    expect(sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", size: "0.001", price: "90000" }).orderId).toBe("o4.1");
    expect(sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "limit", size: "0.001", price: "90000" }).orderId).toBe("o5");
  });

  it("replays a journal into an identical simulator: same fills, events and state", () => {
    const options: Partial<SimulatorOptions> = { latency: { minMs: 5, maxMs: 200 }, seed: 11, refreshIntervalMs: 1000, fundingIntervalMs: 60_000 };
    const run = (drive: (sim: ExchangeSimulator, clock: ManualClock) => void) => {
      const clock = new ManualClock(1_000_000);
      const sim = new ExchangeSimulator({ markets: [BTC, ETH], clock, options });
      const events = recordEvents(sim);
      drive(sim, clock);
      return { sim, clock, events };
    };
    const original = run((sim, clock) => {
      sim.createAccount("alice");
      sim.createAccount("bob", { initialCapital: "2500" });
      sim.applyBook("BTC", BTC_BOOK);
      sim.setFundingRate("BTC", "0.0003");
      sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.07", leverage: 20, exitPlan: plan({ stop: d(99500) }) });
      sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "sell", type: "limit", size: "0.02", price: "100005" });
      clock.advanceTo(1_000_300);
      sim.openPosition({ accountId: "bob", symbol: "BTC", side: "SHORT", quantity: "0.01", leverage: 10 });
      clock.advanceTo(1_002_000);
      sim.applyBook("BTC", { bids: [["99700", "2"]], asks: [["99710", "2"]] });
      clock.advanceTo(1_061_000);
      sim.applyBook("BTC", { bids: [["99400", "2"]], asks: [["99410", "2"]] });
      clock.advanceTo(1_200_000);
    });
    expect(original.sim.trades().length).toBeGreaterThan(0);
    expect(original.events.some((e) => e.name === "fundingPaid")).toBe(true);

    const replayed = run((sim, clock) => {
      sim.replay(original.sim.journal(), (ts) => clock.advanceTo(ts));
      clock.advanceTo(original.clock.now());
    });
    expect(plain(replayed.sim.state())).toEqual(plain(original.sim.state()));
    expect(plain(replayed.events)).toEqual(plain(original.events));
  });

  it("refuses a snapshot of another version or of markets it does not have", () => {
    const { sim } = setup();
    const snapshot = sim.snapshot();
    expect(() => ExchangeSimulator.fromSnapshot({ markets: [BTC, ETH], clock: new ManualClock(0) }, { ...snapshot, version: 2 as 1 })).toThrow(ValidationError);
    expect(() => ExchangeSimulator.fromSnapshot({ markets: [ETH], clock: new ManualClock(0) }, snapshot)).toThrow(ValidationError);
    const rebuilt = ExchangeSimulator.fromSnapshot({ markets: [BTC, ETH], clock: new ManualClock(0) }, JSON.parse(JSON.stringify(snapshot)));
    expect(rebuilt.state()).toEqual(sim.state());
    expect(rebuilt.sequence).toBe(2);
  });

  it("drops journal entries up to a sequence number, keeping the later ones", () => {
    const { sim } = setup();
    sim.setFundingRate("BTC", "0.0001");
    const snapshot = sim.snapshot();
    sim.setMark("BTC", "100500");
    sim.checkTriggers("BTC");
    expect(sim.truncateJournal(snapshot.sequence)).toBe(3);
    expect(sim.journal().map((e) => [e.seq, e.command.type])).toEqual([[4, "setMark"], [5, "checkTriggers"]]);
    const rebuilt = ExchangeSimulator.fromSnapshot({ markets: [BTC, ETH], clock: new ManualClock(0) }, snapshot);
    rebuilt.replay(sim.journal());
    expect(rebuilt.state()).toEqual(sim.state());
  });

  it("refuses a journal entry out of sequence", () => {
    const { sim } = setup();
    expect(() => sim.replay([{ seq: 9, ts: 0, command: { type: "settleFunding" } }])).toThrow(StateConflictError);
  });
});

describe("ExchangeSimulator explicit market-data steps", () => {
  it("loads liquidity without moving the mark, moves the mark without checking triggers, and checks them when asked", () => {
    const { sim, events } = setup();
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.01", exitPlan: { stop: "99000" } });
    const loaded = sim.loadBook("BTC", { bids: [["98900", "1"], ["98800", "0"]], asks: [["98910", "1"]] });
    expect(loaded).toEqual({ bidLevels: 1, askLevels: 1, fills: [] });
    expect(sim.markPrice("BTC")?.toString()).toBe("99995"); // unchanged
    sim.setMark("BTC", "98905");
    expect(sim.positions("alice")).toHaveLength(1); // crossed, not yet checked
    const checked = sim.checkTriggers();
    expect(checked.liquidated).toEqual([]);
    expect(checked.exits.map((e) => [e.accountId, e.trigger, e.result.status === "filled" && e.result.averagePrice?.toString()])).toEqual([["alice", "STOP", "98900"]]);
    expect(closedEvent(events).closeTrigger).toBe("STOP");
    expect(sim.journal().slice(-3).map((e) => e.command.type)).toEqual(["loadBook", "setMark", "checkTriggers"]);
  });

  it("applies a book as setMark, loadBook when due and checkTriggers, and loads on every call when told to", () => {
    const { clock, sim } = setup({}, [["alice"], ["bob"]]);
    sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05" }); // takes the 100000 level
    clock.advanceTo(1000);
    const early = sim.applyBook("BTC", BTC_BOOK);
    expect([early.loaded, early.nextLoadAt]).toEqual([false, 5000]);
    expect(sim.book("BTC").bestAsk()).toBe(1_000_100); // consumed level still gone
    const forced = sim.applyBook("BTC", BTC_BOOK, { load: "always" });
    expect([forced.loaded, forced.nextLoadAt]).toEqual([true, 6000]);
    expect(sim.book("BTC").bestAsk()).toBe(1_000_000);
    const every = new ExchangeSimulator({ markets: [BTC], clock, options: { refreshIntervalMs: 0 } });
    expect([every.applyBook("BTC", BTC_BOOK).loaded, every.applyBook("BTC", BTC_BOOK).loaded]).toEqual([true, true]);
  });
});

describe("ExchangeSimulator as a library", () => {
  it("runs on the system clock with no funding timer when given neither", () => {
    const sim = new ExchangeSimulator({ markets: [BTC] });
    const before = Date.now();
    sim.createAccount("a");
    sim.applyBook("BTC", BTC_BOOK);
    const opened = sim.openPosition({ accountId: "a", symbol: "BTC", side: "LONG", quantity: "0.01" });
    expect(opened.status === "filled" && opened.fills[0]!.ts).toBeGreaterThanOrEqual(before);
    expect(sim.options.fundingIntervalMs).toBe(0);
    sim.dispose();
  });

  it("trades a market whose tick and lot are not powers of ten", () => {
    const market = defineMarket({ symbol: "HALF", tickSize: "0.5", lotSize: "0.25", maxLeverage: 10, minNotional: 5 });
    const sim = new ExchangeSimulator({ markets: [market], clock: new ManualClock(0), options: { takerFeeRate: 0 } });
    sim.createAccount("a");
    const applied = sim.applyBook("HALF", { bids: [["99.5", "2"], ["99", "4"]], asks: [["100.5", "0.75"], ["101", "2"]] });
    expect(applied.markPrice?.toString()).toBe("100");
    const bought = sim.placeOrder({ accountId: "a", symbol: "HALF", side: "buy", type: "market", size: "1.25", leverage: 5 });
    expect(bought.status === "filled" && bought.fills.map((f) => `${f.quantity} @ ${f.price}`)).toEqual(["0.75 @ 100.5", "0.5 @ 101"]);
    expect(sim.placeOrder({ accountId: "a", symbol: "HALF", side: "sell", type: "limit", size: "0.25", price: "101.25" })).toMatchObject({ reason: "INVALID_PRICE_TICK" });
    expect(sim.placeOrder({ accountId: "a", symbol: "HALF", side: "sell", type: "limit", size: "0.3", price: "101.5" })).toMatchObject({ reason: "INVALID_SIZE_LOT" });
    expect(sim.placeOrder({ accountId: "a", symbol: "HALF", side: "sell", type: "limit", size: "0.25", price: "18" })).toMatchObject({ reason: "BELOW_MIN_NOTIONAL", limit: { name: "minNotional" } });
    expect(() => sim.applyBook("HALF", { bids: [["99.25", "1"]], asks: [] })).toThrow(/not a multiple of 0.5/);
    // 0.75 x 100.5 + 0.5 x 101 = 125.875, at mark 100: unrealized 1.25 x 100 - 125.875
    expect(sim.positions("a")[0]?.unrealizedPnl.toString()).toBe("-0.875");
  });

  it("keeps a bounded log of events to read after the fact, with the maker's order id on every fill", () => {
    const { sim } = setup({ eventLogSize: 4 }, [["alice"], ["bob"]]);
    sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "sell", type: "limit", size: "0.01", price: "99999", orderId: "bob-ask" });
    const taken = sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "market", size: "0.01", orderId: "alice-buy" });
    expect(taken.status === "filled" && taken.fills.map((f) => [f.orderId, f.makerOrderId, f.takerOrderId, f.liquidity])).toEqual([["alice-buy", "bob-ask", "alice-buy", "taker"]]);
    const log = sim.eventLog();
    expect(log.map((e) => e.type)).toEqual(["orderFilled", "orderFilled", "positionOpened", "positionOpened"]);
    expect(log.map((e) => e.id)).toEqual(["e3", "e4", "e5", "e6"]); // e1, e2 dropped: only 4 kept
    const fills = sim.eventLog({ types: ["orderFilled"], after: "e3" });
    expect(fills.map((e) => e.type === "orderFilled" && [e.fill.orderId, e.fill.makerOrderId, e.fill.liquidity])).toEqual([["bob-ask", "bob-ask", "maker"]]);
    // An order the market refuses is its result, not an event.
    sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "buy", type: "market", size: "0.00001" });
    expect(sim.eventLog().at(-1)?.id).toBe("e6");
  });
});
