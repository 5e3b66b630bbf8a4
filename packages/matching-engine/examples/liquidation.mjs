// A liquidation, step by step.
//
// A 1,000 USD account opens 0.1 BTC long at 50x on Lighter's BTC market (maintenance margin
// 1.2% of notional). We move the mark down in steps, check triggers after each, and watch
// equity fall towards the maintenance margin. The position is closed at market the first
// time equity is below it; the example then checks the simulator's liquidation price
// estimate against the formula, and reads the whole story back from the event log.
import { Decimal, ExchangeSimulator, LIGHTER_MARKETS, ManualClock } from "@autonome/matching-engine";

const BTC = LIGHTER_MARKETS.find((m) => m.symbol === "BTC");
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const sim = new ExchangeSimulator({ markets: [BTC], clock, options: { takerFeeRate: "0", eventLogSize: 100 } });
sim.createAccount("trader", { initialCapital: "1000" });

// Deep liquidity around 100,000 (loadBook replaces it now and leaves the mark alone).
const around = (mid) => ({
  bids: [[String(mid - 5), "5"]],
  asks: [[String(mid + 5), "5"]],
});
sim.loadBook("BTC", around(100_000));
sim.setMark("BTC", "100000");

const opened = sim.openPosition({ accountId: "trader", symbol: "BTC", side: "LONG", quantity: "0.1", leverage: 50 });
console.log(`opened LONG 0.1 BTC at ${opened.averagePrice} with 50x: initial margin ${sim.account("trader").initialMarginUsed}`);

const estimate = sim.positions("trader")[0].liquidationPrice;
// Long: liquidated when cash + q (P - entry) < q P mmf, so P = (q entry - cash) / (q (1 - mmf)).
const byHand = new Decimal("0.1").mul("100005").minus("1000").div(new Decimal("0.1").mul(new Decimal(1).minus(BTC.maintenanceMarginFraction)));
console.log(`liquidation price estimate ${estimate.toDecimalPlaces(2)} (by hand ${byHand.toDecimalPlaces(2)})`);

for (const mark of [99_000, 95_000, 92_000, 91_200, 91_000]) {
  clock.advanceTo(clock.now() + 60_000);
  sim.loadBook("BTC", around(mark));
  sim.setMark("BTC", String(mark));
  const before = sim.account("trader");
  const checked = sim.checkTriggers();
  const state = checked.liquidated.length > 0 ? "LIQUIDATED" : "ok";
  console.log(`mark ${mark}: equity ${before.equity} vs maintenance ${before.maintenanceMargin} -> ${state}`);
  if (checked.liquidated.length > 0) {
    const close = checked.exits[0].result;
    console.log(`  closed ${close.filledSize} BTC at ${close.averagePrice} (${checked.exits[0].trigger})`);
    break;
  }
}

const account = sim.account("trader");
const [trade] = sim.trades("trader");
console.log(`cash left ${account.cash}, realized ${trade.realizedPnl}, bad debt ${account.badDebt}`);
console.log(`events: ${sim.eventLog().map((e) => e.type).join(", ")}`);
