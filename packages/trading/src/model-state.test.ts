import { type DecisionType, emptyExitPlan, toDecimal } from "@autonome/core";
import type { ClosedOrder } from "@autonome/db";
import { computeTradeMetrics } from "@autonome/risk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ActionRecord, ModelState, RECENT_INVOCATIONS, TRADE_LIMIT, countActions } from "./model-state.js";

const trade = (id: number, closedAt: number, pnl: string, confidence: number | null): ClosedOrder =>
  ({
    orderId: `00000000-0000-4000-8000-${id.toString(16).padStart(12, "0")}`,
    modelId: "m",
    symbol: "BTC",
    side: id % 3 === 0 ? "SHORT" : "LONG",
    status: "CLOSED",
    realizedPnl: toDecimal(pnl),
    fees: toDecimal(id % 7).div(100),
    leverage: toDecimal(1 + (id % 5)),
    openedAt: closedAt - (id % 4) * 60_000,
    closedAt,
    exitPlan: { ...emptyExitPlan(), confidence },
  }) as unknown as ClosedOrder;

/** The newest TRADE_LIMIT trades: closed, then opened, then symbol, then id, newest first. */
const newest = (trades: readonly ClosedOrder[]): ClosedOrder[] =>
  [...trades]
    .sort((a, b) => b.closedAt - a.closedAt || b.openedAt - a.openedAt || (a.symbol < b.symbol ? 1 : a.symbol > b.symbol ? -1 : 0) || (a.orderId < b.orderId ? 1 : a.orderId > b.orderId ? -1 : 0))
    .slice(0, TRADE_LIMIT);

const tradeFields = (m: object) => {
  const { totalReturn, annualizedReturn, sharpe, sortino, calmar, maxDrawdown, maxDrawdownDurationMs, ...rest } = m as Record<string, unknown>;
  return rest;
};

describe("ModelState", () => {
  it("gives the trade metrics of its newest trades as closes arrive, past the limit (kept, not recomputed)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom("12.5", "-3.25", "0", "7.125", "-0.01"), fc.option(fc.constantFrom(0.2, 0.5, 0.8), { nil: null })), {
          minLength: TRADE_LIMIT - 5,
          maxLength: TRADE_LIMIT + 40,
        }),
        fc.integer({ min: 0, max: 30 }),
        (closes, preloaded) => {
          const all = closes.map(([at, pnl, confidence], id) => trade(id + 1, 1_000_000 + at * 60_000, pnl, confidence));
          const loaded = newest(all.slice(0, preloaded));
          const state = new ModelState("m", "model", { snapshotIntervalMs: 60_000, snapshots: [], trades: loaded, recentInvocations: [], invocationCount: 0, openPositions: all.length });
          for (let i = preloaded; i < all.length; i++) {
            state.positionClosed(all[i]!);
            if (i % 25 === 0 || i === all.length - 1) {
              const performance = state.history(2_000_000_000, toDecimal(10_000)).performance;
              expect(tradeFields(performance)).toEqual(computeTradeMetrics(newest(all.slice(0, i + 1))));
            }
          }
          // A close seen before changes nothing.
          state.positionClosed(all[all.length - 1]!);
          expect(tradeFields(state.history(2_000_000_000, toDecimal(10_000)).performance)).toEqual(computeTradeMetrics(newest(all)));
        },
      ),
      { numRuns: 6, seed: 5 },
    );
  });

  it("keeps the same newest trades whatever their order ids, when closes at the limit tie on time", () => {
    // TRADE_LIMIT - 2 trades, and three stops firing at the same instant on three symbols (one opened earlier):
    // one of the three must go. Which one depends on opening time and symbol, never on the random ids.
    const base = Array.from({ length: TRADE_LIMIT - 2 }, (_, i) => trade(i + 10, 2_000_000 + i * 60_000, i % 2 ? "1.5" : "-1", 0.5));
    const at = 1_000_000; // older than every other trade: the tie sits at the end of the kept window
    const same = { side: "LONG", fees: toDecimal("0.01"), leverage: toDecimal(2) };
    const tied = (ids: [number, number, number]) => [
      { ...trade(ids[0], at, "4", 0.5), ...same, symbol: "ETH", openedAt: at - 60_000 },
      { ...trade(ids[1], at, "-2", 0.5), ...same, symbol: "SOL", openedAt: at - 60_000 },
      { ...trade(ids[2], at, "-9", 0.5), ...same, symbol: "BTC", openedAt: at - 120_000 },
    ];
    const metricsOf = (ids: [number, number, number]) => {
      const state = new ModelState("m", "model", { snapshotIntervalMs: 60_000, snapshots: [], trades: [], recentInvocations: [], invocationCount: 0, openPositions: 0 });
      for (const t of [...tied(ids), ...base]) state.positionClosed(t as ClosedOrder);
      return tradeFields(state.history(3_000_000_000, toDecimal(10_000)).performance);
    };
    const first = metricsOf([1, 2, 3]);
    expect(metricsOf([3, 1, 2])).toEqual(first);
    expect(metricsOf([2, 3, 1])).toEqual(first);
    // Kept: the two opened last (SOL, then ETH, newest first); the BTC one, opened earlier, dropped.
    expect(first.tradeCount).toBe(TRADE_LIMIT);
    expect(first.biggestWin?.toString()).toBe("4");
    expect(first.biggestLoss?.toString()).toBe("-2");
  });

  it("counts the recent invocations' actions, kept until an invocation finishes", () => {
    const state = new ModelState("m", "model", { snapshotIntervalMs: 60_000, snapshots: [], trades: [], recentInvocations: [], invocationCount: 0, openPositions: 0 });
    const calls: ActionRecord[][] = [];
    const types: DecisionType[] = ["CREATE_POSITION", "CLOSE_POSITION", "HOLDING", "UPDATE_EXIT_PLAN"];
    for (let i = 0; i < RECENT_INVOCATIONS + 5; i++) {
      const first = state.history(i, toDecimal(1)).actionCounts;
      expect(state.history(i, toDecimal(1)).actionCounts).toBe(first);
      expect(first).toEqual(countActions([...calls].slice(-RECENT_INVOCATIONS).reverse()));
      const actions = [{ type: types[i % 4]!, symbol: i % 3 === 0 ? null : ["BTC", "ETH"][i % 2]! }];
      calls.push(actions);
      state.invocationFinished(actions);
    }
  });
});
