/**
 * Snapshots as pure functions of the simulator state: taking one changes nothing, and
 * restoring one builds a new, independent state that snapshots back to the same thing.
 */
import { Decimal, ManualClock, type Market, ValidationError, emptyExitPlan } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { OrderBook } from "../order-book.js";
import { MarketEngine } from "./market-engine.js";
import { ExchangeSimulator } from "./simulator.js";
import { describeState, restoreState, takeSnapshot } from "./snapshot.js";
import type { SimulatorState } from "./state.js";
import { BTC, BTC_BOOK, ETH } from "../testing/sink.js";
import type { SimulatorSnapshot } from "./types.js";

const EXTERNAL = "__external__";

/** A simulator with positions, resting orders (one reduce-only), a closed trade and an order in flight. */
function busyState(): { sim: ExchangeSimulator; state: SimulatorState; clock: ManualClock } {
  const clock = new ManualClock(0);
  const sim = new ExchangeSimulator({ markets: [BTC, ETH], clock, options: { latency: { minMs: 50, maxMs: 50 }, fundingIntervalMs: 0 } });
  sim.createAccount("alice");
  sim.createAccount("bob");
  sim.applyBook("BTC", BTC_BOOK);
  sim.openPosition({ accountId: "alice", symbol: "BTC", side: "LONG", quantity: "0.05", leverage: 5, exitPlan: { ...emptyExitPlan(), stop: new Decimal(90_000) } });
  sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "buy", type: "limit", size: "0.01", price: "99000", leverage: 2 });
  clock.advanceBy(50);
  sim.placeOrder({ accountId: "alice", symbol: "BTC", side: "sell", type: "limit", size: "0.02", price: "101000", reduceOnly: true });
  sim.openPosition({ accountId: "bob", symbol: "BTC", side: "SHORT", quantity: "0.01" });
  clock.advanceBy(50);
  sim.closePosition("bob", "BTC");
  clock.advanceBy(50);
  sim.placeOrder({ accountId: "bob", symbol: "BTC", side: "sell", type: "market", size: "0.01" }); // still in flight
  return { sim, clock, state: (sim as unknown as { data: SimulatorState }).data };
}

const freshEngine = (market: Market): MarketEngine => new MarketEngine(market, new OrderBook({ symbol: market.symbol }), EXTERNAL);
const json = (value: unknown): string => JSON.stringify(value);

describe("snapshot functions", () => {
  it("takes a snapshot without changing the state", () => {
    const { sim, state, clock } = busyState();
    const before = json(describeState(state, sim.accounts(), EXTERNAL));
    const first = takeSnapshot(state, clock.now(), EXTERNAL);
    expect(first.pendingOrders).toHaveLength(1);
    expect(first.accounts.flatMap((a) => a.openOrders.map((o) => o.orderId))).toHaveLength(2);
    expect(first.trades).toHaveLength(1);
    expect(json(takeSnapshot(state, clock.now(), EXTERNAL))).toBe(json(first));
    expect(json(describeState(state, sim.accounts(), EXTERNAL))).toBe(before);
  });

  it("restores a new, independent state that snapshots back to the same snapshot", () => {
    const { state, clock } = busyState();
    const snapshot = JSON.parse(json(takeSnapshot(state, clock.now(), EXTERNAL))) as SimulatorSnapshot;
    const built: string[] = [];
    const restored = restoreState(snapshot, [BTC, ETH], (market) => {
      built.push(market.symbol);
      return freshEngine(market);
    });
    expect(built).toEqual(["BTC", "ETH"]);
    expect(restored.engines.get("BTC")).not.toBe(state.engines.get("BTC"));
    expect(restored.engines.get("BTC")?.book).not.toBe(state.engines.get("BTC")?.book);
    expect(json(takeSnapshot(restored, clock.now(), EXTERNAL))).toBe(json(snapshot));

    // Changing the restored state leaves the original alone, and the accounts index the engine's own records.
    const engine = restored.engines.get("BTC") as MarketEngine;
    const reduceOnly = [...(restored.accounts.get("alice")?.openOrders.values() ?? [])].find((o) => o.reduceOnly);
    expect(reduceOnly?.remainingLots).toBe(2_000);
    expect(engine.shrinkTo(reduceOnly?.orderId ?? "", 500)).toBe(true);
    expect(reduceOnly?.remainingLots).toBe(500);
    expect(json(takeSnapshot(state, clock.now(), EXTERNAL))).toBe(json(snapshot));
  });

  it("refuses an unknown version, a market it was not given, and a resting order no account holds", () => {
    const { state, clock } = busyState();
    const snapshot = JSON.parse(json(takeSnapshot(state, clock.now(), EXTERNAL))) as SimulatorSnapshot;
    expect(() => restoreState({ ...snapshot, version: 2 as 1 }, [BTC, ETH], freshEngine)).toThrow(ValidationError);
    expect(() => restoreState(snapshot, [BTC], freshEngine)).toThrow(ValidationError);
    const orphan = structuredClone(snapshot);
    for (const account of orphan.accounts) account.openOrders = [];
    expect(() => restoreState(orphan, [BTC, ETH], freshEngine)).toThrow(/no open order/);
  });
});
