// A market maker quoting around a moving mid.
//
// Every second the mid of ETH moves by a seeded random step and the outside market is loaded
// around it (one level a side, 0.5 away). Our maker cancels its quotes and posts new
// post-only quotes 0.3 either side of the mid, skewed against its inventory; a flow account
// sends random market orders that hit whichever quote is best. At the end we read the
// maker's fills back from the simulator's event log and check the account adds up.
import { Decimal, ExchangeSimulator, HYPERLIQUID_MARKETS, ManualClock } from "@autonome/matching-engine";

const ETH = HYPERLIQUID_MARKETS.find((m) => m.symbol === "ETH"); // tick 0.1, lot 0.0001, 25x max
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const sim = new ExchangeSimulator({
  markets: [ETH],
  clock,
  // Hyperliquid's base-tier fees; keep the last 10,000 events to read after the run.
  options: { takerFeeRate: "0.00045", makerFeeRate: "0.00015", eventLogSize: 10_000 },
});
sim.createAccount("maker", { initialCapital: "20000" });
sim.createAccount("flow", { initialCapital: "1000000" });

// A small seeded generator (mulberry32), so every run is the same.
let seed = 7;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const onTick = (price) => price.toDecimalPlaces(1).toString(); // round to the 0.1 tick

let mid = new Decimal("3400");
let refused = 0;
for (let second = 0; second < 300; second++) {
  clock.advanceTo(clock.now() + 1000);
  mid = mid.plus(Math.round((random() - 0.5) * 8) / 10); // -0.4 .. +0.4
  sim.applyBook("ETH", { bids: [[onTick(mid.minus("0.5")), "50"]], asks: [[onTick(mid.plus("0.5")), "50"]] }, { load: "always" });

  // Requote: cancel what is left, then post both sides, leaning against the inventory.
  for (const quote of sim.account("maker").openOrders) sim.cancelOrder("maker", quote.orderId);
  const inventory = sim.positions("maker")[0];
  const held = inventory === undefined ? new Decimal(0) : inventory.side === "LONG" ? inventory.quantity : inventory.quantity.neg();
  const skew = held.mul("0.2"); // 0.2 per ETH held
  for (const [side, price] of [["buy", mid.minus("0.3").minus(skew)], ["sell", mid.plus("0.3").minus(skew)]]) {
    const result = sim.placeOrder({ accountId: "maker", symbol: "ETH", side, type: "limit", price: onTick(price), size: "0.5", postOnly: true, leverage: 5 });
    if (result.status === "rejected") refused++; // a quote that would have crossed is refused, as a value
  }

  // The flow: about every other second a market order of 0.1 to 0.6 ETH.
  if (random() < 0.5) {
    sim.placeOrder({ accountId: "flow", symbol: "ETH", side: random() < 0.5 ? "buy" : "sell", type: "market", size: (Math.ceil(random() * 6) / 10).toString() });
  }
}

const fills = sim.eventLog({ types: ["orderFilled"] }).map((e) => e.fill).filter((f) => f.accountId === "maker");
const bought = fills.filter((f) => f.side === "buy").reduce((sum, f) => sum.plus(f.quantity), new Decimal(0));
const sold = fills.filter((f) => f.side === "sell").reduce((sum, f) => sum.plus(f.quantity), new Decimal(0));
console.log(`mid moved from 3400 to ${mid}; ${fills.length} maker fills (bought ${bought}, sold ${sold}), ${refused} quotes refused as post-only crosses`);
const first = fills[0];
console.log(`first fill: ${first.side} ${first.quantity} at ${first.price}, our order ${first.makerOrderId} hit by ${first.takerOrderId}`);

const account = sim.account("maker");
const position = account.positions[0];
console.log(`inventory ${position === undefined ? "flat" : `${position.side} ${position.quantity} ETH at ${position.entryPrice.toDecimalPlaces(4)}`}`);
console.log(`realized ${account.realizedPnl}, fees ${account.fees}, unrealized ${account.unrealizedPnl.toDecimalPlaces(4)}, equity ${account.equity.toDecimalPlaces(4)}`);
const adds = account.initialCapital.plus(account.realizedPnl).minus(account.fees).plus(account.funding).eq(account.cash);
console.log(`cash = capital + realized - fees + funding: ${adds}`);
