import { Decimal, emptyExitPlan } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MarketQuote, accountViewOf, accountViewWith, marginOf, newAccount, positionViewOf, restoredPosition } from "./ledger.js";
import type { RestingOrder } from "./market-engine.js";
import { BTC, ETH, plain } from "../testing/sink.js";

const position = fc.record({
  side: fc.constantFrom("LONG" as const, "SHORT" as const),
  milli: fc.integer({ min: 1, max: 5000 }),
  entry: fc.integer({ min: 1000, max: 200_000 }),
  leverage: fc.integer({ min: 1, max: 50 }),
  mark: fc.option(fc.integer({ min: 100, max: 300_000 }), { nil: null }),
});
const resting = fc.record({ side: fc.constantFrom("buy" as const, "sell" as const), priceTicks: fc.integer({ min: 1, max: 2_000_000 }), lots: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }), reduceOnly: fc.boolean(), leverage: fc.integer({ min: 1, max: 50 }) });

describe("accountViewWith", () => {
  it("gives, from the account's position views, the view accountViewOf gives, with the margin marginOf computes", () => {
    fc.assert(
      fc.property(fc.integer({ min: -50_000, max: 100_000 }), fc.option(position, { nil: undefined }), fc.option(position, { nil: undefined }), fc.array(resting, { maxLength: 3 }), (cash, btc, eth, orders) => {
        const account = newAccount("a", new Decimal(cash), 0);
        const quotes = new Map<string, MarketQuote>();
        const lots = new Map<string, number | undefined>();
        for (const [market, p] of [[BTC, btc], [ETH, eth]] as const) {
          quotes.set(market.symbol, { market, mark: p?.mark == null ? null : new Decimal(p.mark), bookLots: (id) => lots.get(id) });
          if (p === undefined) continue;
          account.positions.set(
            market.symbol,
            restoredPosition({ orderId: `o-${market.symbol}`, symbol: market.symbol, side: p.side, quantity: new Decimal(p.milli).div(1000), entryPrice: new Decimal(p.entry), leverage: new Decimal(p.leverage), exitPlan: emptyExitPlan(), openedAt: 0, funding: new Decimal(0) }),
          );
        }
        orders.forEach((o, i) => {
          const order: RestingOrder = { orderId: `r${i}`, accountId: "a", symbol: i % 2 === 0 ? "BTC" : "ETH", side: o.side, priceTicks: o.priceTicks, leverage: new Decimal(o.leverage), reduceOnly: o.reduceOnly, postOnly: false, exitPlan: null, remainingLots: o.lots ?? 0 };
          account.openOrders.set(order.orderId, order);
          lots.set(order.orderId, o.lots);
        });
        const markets = (symbol: string) => quotes.get(symbol)!;
        const views = [...account.positions.values()].map((p) => positionViewOf(account, p, markets));
        const view = accountViewWith(account, markets, views);
        expect(plain(view)).toEqual(plain(accountViewOf(account, markets)));
        const margin = marginOf(account, markets);
        expect(plain({ equity: view.equity, unrealizedPnl: view.unrealizedPnl, initialMarginUsed: view.initialMarginUsed, maintenanceMargin: view.maintenanceMargin, available: view.available })).toEqual(
          plain({ equity: margin.equity, unrealizedPnl: margin.unrealizedPnl, initialMarginUsed: margin.initialMarginUsed, maintenanceMargin: margin.maintenanceMargin, available: margin.available }),
        );
      }),
      { numRuns: 500 },
    );
  });
});
