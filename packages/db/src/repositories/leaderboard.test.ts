import { emptyExitPlan } from "@autonome/core";
import { expect, it } from "vitest";
import { T0, describeEachDatabase } from "../testing/databases.js";

describeEachDatabase("LeaderboardRepository", (t) => {
  it("gives each model its latest snapshot, open positions and stats of trades closed in the window", async () => {
    const a = await t.db.models.create({ name: "a", provider: "p", modelName: "x" });
    await t.db.models.create({ name: "b", provider: "p", modelName: "x" });
    const idle = await t.db.models.create({ name: "idle", provider: "p", modelName: "x" });
    await t.db.models.setEnabled(idle.id, false);

    const trade = async (modelId: string, symbol: string, exitPrice: string, fee: string) => {
      const o = await t.db.orders.openPosition({ modelId, symbol, side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: emptyExitPlan(), entryFee: fee });
      t.clock.advanceBy(1000);
      return t.db.orders.closePosition({ orderId: o.orderId, exitPrice, closeTrigger: null, exitFee: fee });
    };
    await trade(a.id, "OLD", "200", "0"); // closed before the window
    t.clock.advanceBy(1);
    const windowStart = t.clock.now();
    await trade(a.id, "BTC", "110", "0.5"); // +9
    await trade(a.id, "ETH", "95", "0.5"); // -6
    await trade(a.id, "SOL", "101", "0.5"); // 0: neither win nor loss
    await t.db.orders.openPosition({ modelId: a.id, symbol: "XRP", side: "SHORT", quantity: "1", leverage: "1", entryPrice: "1", exitPlan: emptyExitPlan() });
    await t.db.portfolio.record({ modelId: a.id, total: "10003", available: "9000", unrealizedPnl: "0" });
    t.clock.advanceBy(1000);
    await t.db.portfolio.record({ modelId: a.id, total: "10004.5", available: "9000", unrealizedPnl: "1.5" });

    const inputs = await t.db.leaderboard.inputs({ from: windowStart });
    expect(inputs.map((i) => i.model.name)).toEqual(["a", "b", "idle"]);
    const [ia, ib] = inputs;
    expect(ia?.closedTrades.count).toBe(3);
    expect(ia?.closedTrades.wins).toBe(1);
    expect(ia?.closedTrades.losses).toBe(1);
    expect(ia?.closedTrades.realizedPnl.toString()).toBe("3");
    expect(ia?.closedTrades.fees.toString()).toBe("3");
    expect(ia?.closedTrades.bestTrade?.toString()).toBe("9");
    expect(ia?.closedTrades.worstTrade?.toString()).toBe("-6");
    expect(ia?.openPositions).toBe(1);
    expect(ia?.latestSnapshot?.total.toString()).toBe("10004.5");
    expect(ia?.latestSnapshot?.at).toBe(t.clock.now());
    expect(ib).toMatchObject({ openPositions: 0, latestSnapshot: null });
    expect(ib?.closedTrades.count).toBe(0);
    expect(ib?.closedTrades.realizedPnl.toString()).toBe("0");
    expect(ib?.closedTrades.bestTrade).toBeNull();

    const enabled = await t.db.leaderboard.inputs({}, { enabledOnly: true });
    expect(enabled.map((i) => i.model.name)).toEqual(["a", "b"]);
    expect(enabled[0]?.closedTrades.count).toBe(4);
    const before = await t.db.leaderboard.inputs({ to: windowStart });
    expect(before[0]?.closedTrades.realizedPnl.toString()).toBe("100");
    expect(T0).toBeLessThan(windowStart);

    // Standings: the same latest snapshots and open positions, without the trade statistics.
    const standings = await t.db.leaderboard.standings({ enabledOnly: true });
    expect(standings.map((s) => [s.model.name, s.openPositions, s.latestSnapshot?.total.toString() ?? null])).toEqual([
      ["a", 1, "10004.5"],
      ["b", 0, null],
    ]);
    expect((await t.db.leaderboard.standings()).map((s) => s.model.name)).toEqual(["a", "b", "idle"]);
    // Realized PnL per model, exact: 100 + 9 - 6 + 0 (fees of 0.5 on both legs included).
    const realized = await t.db.orders.realizedPnlByModel();
    expect([...realized.entries()]).toEqual([[a.id, expect.anything()]]);
    expect(realized.get(a.id)?.toString()).toBe("103");
    expect((await t.db.orders.realizedPnlByModel([idle.id])).size).toBe(0);
    expect((await t.db.orders.realizedPnlByModel([])).size).toBe(0);
  });
});

describeEachDatabase("LeaderboardRepository.ledgerPage", (t) => {
  it("pages closed trades in (closedAt, id) order strictly after a cursor, leaving open orders out", async () => {
    const m = await t.db.models.create({ name: "ledger", provider: "p", modelName: "x" });
    const closed: string[] = [];
    for (const [exit, fee] of [["110", "0.5"], ["95", "0.25"], ["100", "0"]] as const) {
      const o = await t.db.orders.openPosition({ modelId: m.id, symbol: "BTC", side: "LONG", quantity: "1", leverage: "1", entryPrice: "100", exitPlan: emptyExitPlan(), entryFee: fee });
      t.clock.advanceBy(1000);
      closed.push((await t.db.orders.closePosition({ orderId: o.orderId, exitPrice: exit, closeTrigger: null, exitFee: fee })).orderId);
    }
    await t.db.orders.openPosition({ modelId: m.id, symbol: "ETH", side: "SHORT", quantity: "1", leverage: "1", entryPrice: "1", exitPlan: emptyExitPlan() });

    const all = await t.db.leaderboard.ledgerPage(null, 10);
    expect(all.map((r) => r.orderId)).toEqual(closed);
    // +10 - 2 x 0.5 fees = 9; -5 - 0.5 = -5.5; 0.
    expect(all.map((r) => Number(r.realizedPnl))).toEqual([9, -5.5, 0]);
    expect(all.map((r) => Number(r.fees))).toEqual([1, 0.5, 0]);
    expect(all[0]!.closedAt - all[0]!.openedAt).toBe(1000);
    const first = await t.db.leaderboard.ledgerPage(null, 1);
    const rest = await t.db.leaderboard.ledgerPage({ closedAt: first[0]!.closedAt, orderId: first[0]!.orderId }, 10);
    expect(rest.map((r) => r.orderId)).toEqual(closed.slice(1));
    await expect(t.db.leaderboard.ledgerPage(null, 0)).rejects.toThrow("invalid limit");
  });
});
