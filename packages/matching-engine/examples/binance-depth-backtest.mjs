// A strategy backtested against recorded Binance depth.
//
// data/binance-usdm-btcusdt-depth20-250ms.jsonl.gz holds 30 seconds of the Binance USD-M
// BTCUSDT order book (2024-08-08 23:54 UTC), rebuilt from the exchange's own snapshot and
// diff stream, top 20 levels a side every 250 ms (see data/README.md). Each sample is applied
// to the simulator on a manual clock set to its exchange time; liquidity refreshes every
// second, so what our orders take stays taken until then. The strategy trades the book's
// imbalance: when the top 5 bid levels hold much more than the top 5 asks it buys, when the
// asks dominate it sells, and it always leaves with a stop. Fills walk the recorded depth.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { Decimal, ExchangeSimulator, ManualClock, defineMarket } from "@autonome/matching-engine";

const samples = gunzipSync(readFileSync(new URL("./data/binance-usdm-btcusdt-depth20-250ms.jsonl.gz", import.meta.url)))
  .toString("utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line));

// The recorded prices are on a 0.1 grid and sizes on a 0.001 grid; 20x is our own cap.
const BTCUSDT = defineMarket({ symbol: "BTCUSDT", tickSize: "0.1", lotSize: "0.001", maxLeverage: 20 });
const clock = new ManualClock(samples[0].t);
// Binance's base taker fee, 0.05%; book liquidity reloads at most once a second.
const sim = new ExchangeSimulator({ markets: [BTCUSDT], clock, options: { takerFeeRate: "0.0005", refreshIntervalMs: 1000 } });
sim.createAccount("imbalance", { initialCapital: "10000" });

const depth = (levels) => levels.slice(0, 5).reduce((sum, [, size]) => sum + Number(size), 0);
const SIZE = "0.1";
let signals = 0;
for (const sample of samples) {
  clock.advanceTo(sample.t);
  sim.applyBook("BTCUSDT", { bids: sample.b, asks: sample.a });
  const bid = depth(sample.b);
  const ask = depth(sample.a);
  const imbalance = (bid - ask) / (bid + ask); // -1 .. 1 (floats: a signal, never money)
  const position = sim.positions("imbalance")[0];
  const want = imbalance > 0.6 ? "LONG" : imbalance < -0.6 ? "SHORT" : null;
  if (want === null || position?.side === want) continue;
  signals++;
  if (position !== undefined) sim.closePosition("imbalance", "BTCUSDT");
  const mark = sim.markPrice("BTCUSDT");
  const stop = want === "LONG" ? mark.mul("0.999") : mark.mul("1.001"); // 0.1% away
  const opened = sim.openPosition({ accountId: "imbalance", symbol: "BTCUSDT", side: want, quantity: SIZE, leverage: 10, exitPlan: { stop: stop.toDecimalPlaces(1) } });
  if (opened.status === "rejected") console.log(`refused: ${opened.reason} (${opened.detail})`);
}
const last = samples.at(-1);
if (sim.positions("imbalance").length > 0) sim.closePosition("imbalance", "BTCUSDT");

const trades = sim.trades("imbalance");
console.log(`${samples.length} book samples from ${new Date(samples[0].t).toISOString()} to ${new Date(last.t).toISOString()}, ${signals} signals`);
for (const t of trades) {
  console.log(`${t.side.padEnd(5)} ${t.quantity} ${t.entryPrice.toDecimalPlaces(2)} -> ${t.exitPrice.toDecimalPlaces(2)} (${t.closeTrigger}) net ${t.realizedPnl.toDecimalPlaces(4)}`);
}
const net = trades.reduce((sum, t) => sum.plus(t.realizedPnl), new Decimal(0));
const account = sim.account("imbalance");
console.log(`${trades.length} trades, net ${net.toDecimalPlaces(4)} USDT after ${account.fees.toDecimalPlaces(4)} fees; cash ${account.cash.toDecimalPlaces(4)}`);
