/**
 * Property tests of the ExchangeSimulator over random command streams (fast-check):
 * money and quantity are conserved exactly, and the same inputs and seed give the same run.
 */
import { Decimal, ManualClock, ZERO, emptyExitPlan, type Fill } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrderAcceptedEvent, OrderCancelledEvent } from "./events.js";
import { ExchangeSimulator } from "./simulator.js";
import { BTC, ETH, plain, recordEvents } from "../testing/sink.js";
import type { L2Book, SimulatorOptions, SimulatorSnapshot } from "./types.js";

const ACCOUNTS = [
  ["alice", "10000"],
  ["bob", "10000"],
  ["carol", "300"], // thin and always at 50x: gets liquidated
] as const;

type Op =
  | { t: "order"; acct: number; side: "buy" | "sell"; type: "market" | "limit"; milli: number; offset: number; leverage: number; reduceOnly: boolean; tif: "GTC" | "IOC" | "FOK"; postOnly: boolean }
  | { t: "book"; advanceMs: number; shift: number }
  | { t: "mark"; shift: number }
  | { t: "funding"; microRate: number }
  | { t: "settle" }
  | { t: "cancel"; acct: number; pick: number }
  | { t: "close"; acct: number }
  | { t: "exit"; acct: number; stop: number; target: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("order" as const),
      acct: fc.integer({ min: 0, max: 2 }),
      side: fc.constantFrom("buy" as const, "sell" as const),
      type: fc.constantFrom("market" as const, "limit" as const),
      milli: fc.integer({ min: 1, max: 200 }),
      offset: fc.integer({ min: -30, max: 30 }),
      leverage: fc.integer({ min: 1, max: 50 }),
      reduceOnly: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      tif: fc.constantFrom("GTC" as const, "IOC" as const, "FOK" as const),
      postOnly: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("book" as const), advanceMs: fc.integer({ min: 0, max: 7000 }), shift: fc.integer({ min: -2000, max: 2000 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("mark" as const), shift: fc.integer({ min: -3000, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("funding" as const), microRate: fc.integer({ min: -1000, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("settle" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("cancel" as const), acct: fc.integer({ min: 0, max: 2 }), pick: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("close" as const), acct: fc.integer({ min: 0, max: 2 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant("exit" as const), acct: fc.integer({ min: 0, max: 2 }), stop: fc.integer({ min: 50, max: 2000 }), target: fc.integer({ min: 50, max: 2000 }) }),
  },
);

/** Ten levels a side around a whole-dollar mid, 2 dollars apart. */
function bookAround(mid: number, depthMilli = 50): L2Book {
  const bids: Array<[string, string]> = [];
  const asks: Array<[string, string]> = [];
  for (let i = 0; i < 10; i++) {
    const size = new Decimal(depthMilli + i * 10).div(1000).toString();
    bids.push([String(mid - 1 - 2 * i), size]);
    asks.push([String(mid + 1 + 2 * i), size]);
  }
  return { bids, asks };
}

interface Run {
  sim: ExchangeSimulator;
  clock: ManualClock;
  events: ReturnType<typeof recordEvents>;
  problems: string[];
  /** Taken (through JSON) after `snapshotAfter` ops, when asked. */
  snapshot: SimulatorSnapshot | null;
}

/** Runs a command stream; per order, checks that accepted size = filled + resting + cancelled. */
function runOps(ops: readonly Op[], options: Partial<SimulatorOptions>, snapshotAfter = -1, afterOp?: (sim: ExchangeSimulator, clock: ManualClock) => void): Run {
  const clock = new ManualClock(0);
  const sim = new ExchangeSimulator({ markets: [BTC, ETH], clock, options: { fundingIntervalMs: 3_600_000, ...options } });
  const events = recordEvents(sim);
  const problems: string[] = [];
  for (const [id, capital] of ACCOUNTS) sim.createAccount(id, { initialCapital: capital });
  let mid = 100_000;
  let snapshot: SimulatorSnapshot | null = null;
  sim.applyBook("BTC", bookAround(mid));
  for (const [index, op] of ops.entries()) {
    if (index === snapshotAfter) snapshot = JSON.parse(JSON.stringify(sim.snapshot())) as SimulatorSnapshot;
    const accountId = "acct" in op ? ACCOUNTS[op.acct]![0] : "";
    switch (op.t) {
      case "order": {
        const start = events.length;
        const result = sim.placeOrder({
          accountId,
          symbol: "BTC",
          side: op.side,
          type: op.type,
          size: new Decimal(op.milli).div(1000),
          ...(op.type === "limit" ? { price: String(mid + op.offset) } : {}),
          leverage: accountId === "carol" ? 50 : op.leverage,
          reduceOnly: op.reduceOnly,
          timeInForce: op.tif,
          postOnly: op.type === "limit" && op.postOnly,
        });
        if (result.status === "rejected" || result.status === "pending") break;
        const mine = events.slice(start);
        const accepted = (mine.find((e) => e.name === "orderAccepted")!.event as OrderAcceptedEvent).order;
        const takerFills = mine
          .filter((e) => e.name === "orderFilled")
          .map((e) => (e.event as { fill: Fill }).fill)
          .filter((f) => f.orderId === result.orderId && f.liquidity === "taker");
        const filled = takerFills.reduce((sum, f) => sum.plus(f.quantity), ZERO);
        const cancelled = mine
          .filter((e) => e.name === "orderCancelled" && (e.event as OrderCancelledEvent).orderId === result.orderId)
          .reduce((sum, e) => sum.plus((e.event as OrderCancelledEvent).size), ZERO);
        if (!filled.eq(result.filledSize)) problems.push(`order ${result.orderId}: fills ${filled} != filledSize ${result.filledSize}`);
        if (!filled.plus(result.restingSize).plus(cancelled).eq(accepted.size)) {
          problems.push(`order ${result.orderId}: ${filled} + ${result.restingSize} + ${cancelled} != ${accepted.size}`);
        }
        break;
      }
      case "book":
        clock.advanceBy(op.advanceMs);
        mid = Math.max(1000, mid + op.shift);
        sim.applyBook("BTC", bookAround(mid));
        break;
      case "mark":
        sim.setMark("BTC", String(Math.max(1000, mid + op.shift)));
        sim.checkTriggers("BTC");
        break;
      case "funding":
        sim.setFundingRate("BTC", new Decimal(op.microRate).div(1_000_000));
        break;
      case "settle":
        sim.settleFunding();
        break;
      case "cancel": {
        const open = sim.account(accountId).openOrders;
        if (open.length > 0) sim.cancelOrder(accountId, open[op.pick % open.length]!.orderId);
        break;
      }
      case "close":
        sim.closePosition(accountId, "BTC");
        break;
      case "exit": {
        const position = sim.positions(accountId)[0];
        if (position === undefined) break;
        const sign = position.side === "LONG" ? 1 : -1;
        sim.setExitPlan(accountId, "BTC", { ...emptyExitPlan(), stop: new Decimal(mid - sign * op.stop), target: new Decimal(mid + sign * op.target) });
        break;
      }
    }
    afterOp?.(sim, clock);
  }
  return { sim, clock, events, problems, snapshot };
}

/** Flattens everyone against deep fresh liquidity. */
function closeAll(run: Run): void {
  run.clock.advanceBy(60_000);
  const mid = Number(run.sim.markPrice("BTC")?.toFixed(0) ?? 100_000);
  run.sim.applyBook("BTC", bookAround(mid, 100_000));
  for (const [id] of ACCOUNTS) {
    for (const order of run.sim.account(id).openOrders) run.sim.cancelOrder(id, order.orderId);
    if (run.sim.positions(id).length > 0) run.sim.closePosition(id, "BTC");
  }
}

function fillsOf(run: Run, accountId?: string): Fill[] {
  return run.events
    .filter((e) => e.name === "orderFilled")
    .map((e) => (e.event as { fill: Fill }).fill)
    .filter((f) => accountId === undefined || f.accountId === accountId);
}

const opsArb = fc.array(opArb, { minLength: 10, maxLength: 80 });
const runs = { numRuns: 40 };

describe("ExchangeSimulator invariants (property-based)", () => {
  it("conserves quantity: every order's size is filled, resting or cancelled, and each account's fills sum to its position", () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const run = runOps(ops, {});
        expect(run.problems).toEqual([]);
        for (const [id] of ACCOUNTS) {
          const net = fillsOf(run, id).reduce((sum, f) => (f.side === "buy" ? sum.plus(f.quantity) : sum.minus(f.quantity)), ZERO);
          const position = run.sim.positions(id)[0];
          // The cheap query agrees with the views after any stream (fills, flips, stops, liquidations, rejections).
          expect(run.sim.positionSymbols(id)).toEqual(run.sim.positions(id).map((p) => p.symbol));
          const signed = position === undefined ? ZERO : position.side === "LONG" ? position.quantity : position.quantity.neg();
          expect(net.toString()).toBe(signed.toString());
        }
        // Every order record agrees with its fills and with the book.
        for (const record of run.sim.orders()) {
          const filled = fillsOf(run).filter((f) => f.orderId === record.orderId).reduce((sum, f) => sum.plus(f.quantity), ZERO);
          expect(record.filledSize.toString()).toBe(filled.toString());
          expect(record.status === "FILLED").toBe(filled.eq(record.size));
          const resting = run.sim.book("BTC").order(record.orderId);
          const live = record.status === "ACCEPTED" || record.status === "PARTIALLY_FILLED";
          expect(resting !== undefined).toBe(live);
          if (resting !== undefined) expect(BTC.lotSize.mul(resting.sizeLots).toString()).toBe(record.size.minus(filled).toString());
        }
        // A match between two simulated accounts: same trade, size and price, opposite sides.
        const byTrade = new Map<string, Fill[]>();
        for (const f of fillsOf(run)) byTrade.set(f.tradeId, [...(byTrade.get(f.tradeId) ?? []), f]);
        for (const pair of byTrade.values()) {
          expect(pair.length).toBeLessThanOrEqual(2);
          if (pair.length === 2) {
            const [a, b] = pair as [Fill, Fill];
            expect([a.quantity.eq(b.quantity), a.price.eq(b.price), a.side !== b.side]).toEqual([true, true, true]);
          }
        }
      }),
      runs,
    );
  });

  it("conserves money exactly: cash = initial + realized - fees + funding + bad debt, and once flat realized = sell notional - buy notional", () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const run = runOps(ops, {});
        const ledger = () => {
          for (const account of run.sim.accounts()) {
            const expected = account.initialCapital.plus(account.realizedPnl).minus(account.fees).plus(account.funding).plus(account.badDebt);
            expect(account.cash.toString()).toBe(expected.toString());
            const fees = fillsOf(run, account.accountId).reduce((sum, f) => sum.plus(f.fee), ZERO);
            expect(account.fees.toString()).toBe(fees.toString());
          }
        };
        ledger();
        closeAll(run);
        ledger();
        for (const account of run.sim.accounts()) {
          expect(account.positions).toEqual([]);
          expect(account.cash.gte(0)).toBe(true);
          const flows = fillsOf(run, account.accountId).reduce(
            (sum, f) => (f.side === "sell" ? sum.plus(f.price.mul(f.quantity)) : sum.minus(f.price.mul(f.quantity))),
            ZERO,
          );
          expect(account.realizedPnl.toString()).toBe(flows.toString());
          const trades = run.sim.trades(account.accountId);
          expect(trades.reduce((sum, t) => sum.plus(t.grossPnl), ZERO).toString()).toBe(account.realizedPnl.toString());
        }
      }),
      runs,
    );
  });

  it("gives identical fills, events and state for the same inputs and seed", () => {
    fc.assert(
      fc.property(opsArb, fc.integer({ min: 0, max: 1000 }), (ops, seed) => {
        const a = runOps(ops, { seed });
        const b = runOps(ops, { seed });
        expect(plain(b.events)).toEqual(plain(a.events));
        expect(b.sim.state()).toEqual(a.sim.state());
      }),
      { numRuns: 25 },
    );
  });

  it("with latency on, the same seed gives the same delays and the same fills, and a journal replays to the same state", () => {
    fc.assert(
      fc.property(opsArb, fc.integer({ min: 0, max: 1000 }), (ops, seed) => {
        const options: Partial<SimulatorOptions> = { seed, latency: { minMs: 1, maxMs: 3000 } };
        const a = runOps(ops, options);
        const b = runOps(ops, options);
        a.clock.advanceBy(10_000);
        b.clock.advanceBy(10_000);
        expect(plain(b.events)).toEqual(plain(a.events));
        expect(b.sim.state()).toEqual(a.sim.state());

        const clock = new ManualClock(0);
        const replayed = new ExchangeSimulator({ markets: [BTC, ETH], clock, options: { fundingIntervalMs: 3_600_000, ...options } });
        const events = recordEvents(replayed);
        replayed.replay(a.sim.journal(), (ts) => clock.advanceTo(ts));
        clock.advanceTo(a.clock.now());
        expect(replayed.state()).toEqual(a.sim.state());
        expect(plain(events)).toEqual(plain(a.events));
      }),
      { numRuns: 25 },
    );
  });

  it("rebuilds from a snapshot taken mid-run and, replaying the later commands, reaches the same state", () => {
    fc.assert(
      fc.property(opsArb, fc.nat(), fc.boolean(), (ops, cut, withLatency) => {
        const options: Partial<SimulatorOptions> = withLatency ? { seed: 5, latency: { minMs: 1, maxMs: 3000 } } : {};
        const original = runOps(ops, options, cut % ops.length);
        original.clock.advanceBy(10_000);
        const snapshot = original.snapshot!;
        const clock = new ManualClock(snapshot.takenAt);
        const rebuilt = ExchangeSimulator.fromSnapshot({ markets: [BTC, ETH], clock, options: { fundingIntervalMs: 3_600_000, ...options } }, snapshot);
        rebuilt.replay(
          original.sim.journal().filter((e) => e.seq > snapshot.sequence),
          (ts) => clock.advanceTo(ts),
        );
        clock.advanceTo(original.clock.now());
        expect(rebuilt.state()).toEqual(original.sim.state());
      }),
      { numRuns: 30 },
    );
  });

  it("never lets two orders take the same snapshot depth twice before the next refresh", () => {
    const level = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 }));
    fc.assert(
      fc.property(
        fc.uniqueArray(level, { minLength: 1, maxLength: 12, selector: ([offset]) => offset }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 25 }),
        (askLevels, buys) => {
          const clock = new ManualClock(0);
          const sim = new ExchangeSimulator({ markets: [BTC], clock, options: { initialCapital: "1000000000", takerFeeRate: 0 } });
          for (const [id] of ACCOUNTS) sim.createAccount(id);
          const asks = askLevels.map(([offset, milli]) => [String(100_000 + offset), new Decimal(milli).div(1000).toString()] as [string, string]);
          sim.applyBook("BTC", { bids: [["99990", "1"]], asks });
          const events = recordEvents(sim);
          for (const [acct, milli] of buys) {
            clock.advanceBy(100); // within the refresh interval: no reload
            sim.placeOrder({ accountId: ACCOUNTS[acct]![0], symbol: "BTC", side: "buy", type: "market", size: new Decimal(milli).div(1000), leverage: 1 });
          }
          const takenAt = new Map<string, Decimal>();
          let lastPrice = ZERO;
          for (const e of events) {
            if (e.name !== "orderFilled") continue;
            const { fill } = e.event as { fill: Fill };
            takenAt.set(fill.price.toString(), (takenAt.get(fill.price.toString()) ?? ZERO).plus(fill.quantity));
            expect(fill.price.gte(lastPrice)).toBe(true); // later orders only walk further up
            lastPrice = fill.price;
          }
          for (const [price, taken] of takenAt) {
            const offered = asks.find(([p]) => new Decimal(p).eq(price));
            expect(offered).toBeDefined();
            expect(taken.lte(offered![1])).toBe(true);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("hands out the same views with its view cache as a fresh simulator at the same state, and copies callers may change", () => {
    const views = (sim: ExchangeSimulator) => plain({ accounts: sim.accounts(), positions: sim.positions(), each: ACCOUNTS.map(([id]) => [sim.account(id), sim.positions(id)]) });
    fc.assert(
      fc.property(opsArb, fc.boolean(), (ops, latency) => {
        const options: Partial<SimulatorOptions> = latency ? { latency: { minMs: 0, maxMs: 3000 }, seed: 7 } : {};
        runOps(ops, options, -1, (sim, clock) => {
          const first = views(sim);
          // Scribble on what was handed out: the next read must not see it.
          for (const [id] of ACCOUNTS) {
            const account = sim.account(id);
            account.cash = new Decimal(-1);
            account.positions.length = 0;
            for (const p of sim.positions(id)) p.quantity = new Decimal(-1);
          }
          const again = views(sim);
          expect(again).toEqual(first);
          const fresh = ExchangeSimulator.fromSnapshot(
            { markets: [BTC, ETH], clock: new ManualClock(clock.now()), options: { fundingIntervalMs: 3_600_000, ...options } },
            JSON.parse(JSON.stringify(sim.snapshot())) as SimulatorSnapshot,
          );
          expect(views(fresh)).toEqual(first);
          fresh.dispose();
          // Time passing (order arrivals, funding timers) changes the state the views show.
          clock.advanceBy(1000);
          expect(views(sim)).toEqual(
            views(
              ExchangeSimulator.fromSnapshot(
                { markets: [BTC, ETH], clock: new ManualClock(clock.now()), options: { fundingIntervalMs: 3_600_000, ...options } },
                JSON.parse(JSON.stringify(sim.snapshot())) as SimulatorSnapshot,
              ),
            ),
          );
        });
      }),
      { numRuns: 25 },
    );
  });
});
