/**
 * Nothing that passes the checks can fail to record: every CREATE_POSITION the risk checks
 * approve, executed through the simulated broker, is written to Orders exactly as it filled
 * (size, leverage, average price and fee), whatever leverage and size the model wrote.
 */
import { ManualClock, type TradingDecision, emptyExitPlan, toDecimal } from "@autonome/core";
import type { Db } from "@autonome/db";
import { DEFAULT_RISK_LIMITS, checkDecision } from "@autonome/risk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimBroker } from "./broker/sim-broker.js";
import { to8 } from "./internal/util.js";
import { ControlledMarket, T0, openTestDb } from "./testing/support.js";

let db: Db;
const clock = new ManualClock(T0);
beforeAll(async () => {
  db = await openTestDb(clock);
});
afterAll(async () => {
  await db.close();
});

describe("a decision the risk checks approve", () => {
  it("is recorded in Orders exactly as it filled, for any leverage and size a model writes (property)", async () => {
    // Thin levels: an order walks several prices, so the average price and the fee have many places.
    const market = new ControlledMarket(clock, { BTC: "100000.3", ETH: "3000.17" }, "0.05");
    const model = await db.models.create({ name: "recordable", provider: "rule", modelName: "test" });
    const broker = new SimBroker({ db, market, simulator: { initialCapital: 1_000_000, refreshIntervalMs: 0 } });
    await broker.start([model]);
    const limits = { ...DEFAULT_RISK_LIMITS, maxPositionNotionalUsd: toDecimal(5_000_000), maxTotalNotionalUsd: toDecimal(10_000_000) };
    let approved = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("BTC", "ETH"),
        fc.constantFrom("LONG" as const, "SHORT" as const),
        // Leverage 1..20 with up to 5 places; size with up to 9 places.
        fc.integer({ min: 100_000, max: 2_000_000 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 3_000_000 }),
        fc.integer({ min: 6, max: 9 }),
        async (symbol, side, levUnits, levShift, qtyUnits, qtyPlaces) => {
          // A clean account each run (a failed run, or fast-check's shrinking, may leave a position).
          for (const open of await broker.openOrders(model)) await broker.closePosition(model, open.symbol, null);
          const mark = market.markPrice(symbol);
          const decision: TradingDecision = {
            type: "CREATE_POSITION",
            symbol,
            side,
            quantity: toDecimal(qtyUnits).div(toDecimal(10).pow(qtyPlaces)),
            riskUsd: null,
            leverage: toDecimal(levUnits).div(toDecimal(10).pow(levShift + 5)).times(19).plus(1).toDecimalPlaces(levShift + 5),
            exitPlan: { ...emptyExitPlan(), stop: side === "LONG" ? mark.mul("0.99") : mark.mul("1.01") },
          };
          const account = await broker.account(model);
          const check = checkDecision(
            decision,
            {
              nowMs: clock.now(),
              accountValue: account.equity,
              positions: [],
              marks: await broker.marks(),
              markets: broker.markets(),
              recentCloses: [],
              actedSymbols: new Set(),
            },
            limits,
          );
          if (!check.ok || check.decision.type !== "CREATE_POSITION") return;
          approved++;
          const { quantity, leverage, exitPlan } = check.decision;
          const opened = await broker.openPosition(model, { symbol, side, quantity: quantity!, leverage, exitPlan });
          expect(opened.ok ? opened.code : opened.reason).toBe("EXECUTED");
          if (!opened.ok) return;
          const row = await db.orders.byId(opened.value.orderId);
          const filled = broker.simulator.positions(model.id).find((p) => p.symbol === symbol)!;
          expect(row?.status).toBe("OPEN");
          expect(row!.quantity.toString()).toBe(filled.quantity.toString());
          // Partial fills (the book is 20 levels of 0.05) are recorded as what filled.
          expect(filled.quantity.lte(quantity!)).toBe(true);
          expect(row!.leverage.toString()).toBe(filled.leverage.toString());
          expect(row!.leverage.toString()).toBe(leverage.toString());
          expect(row!.entryPrice.toString()).toBe(to8(filled.entryPrice).toString());
          expect(row!.fees.toString()).toBe(filled.fees.toString());
          const closed = await broker.closePosition(model, symbol, null);
          expect(closed.ok ? closed.code : closed.reason).toBe("EXECUTED");
        },
      ),
      { seed: 2026, numRuns: 60 },
    );
    // The property ran on approvals, not on rejections only.
    expect(approved).toBeGreaterThan(25);
    await broker.close();
  });
});
