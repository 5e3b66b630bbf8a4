/**
 * Runnable example (README): start the mock Lighter server, then place an IOC
 * market buy with a stop-loss and a take-profit, and track the fill.
 * Run: pnpm --filter @autonome/lighter-client exec tsx examples/market-order-with-sl-tp.ts
 * (In your code import from "@autonome/lighter-client" and "@autonome/lighter-client/mock".)
 */
import { pathToFileURL } from "node:url";
import { LighterApiKey, LighterRestClient, LighterTradingClient, type FillReport } from "../src/index.js";
import { MockLighterServer } from "../src/mock.js";

/** Places the order with SL/TP against a fresh mock server; returns the fill report. */
export async function main(): Promise<FillReport> {
  const server = await new MockLighterServer().start(); // 127.0.0.1, a free port
  try {
    const key = LighterApiKey.generate();
    server.exchange.registerApiKey(1001, 3, key.publicKeyHex); // account 1001, API key 3
    server.exchange.setCollateral(1001, "10000");
    server.exchange.addLiquidity(0, "ask", [["3000.00", "1.0000"], ["3001.50", "2.0000"]]);
    server.exchange.addLiquidity(0, "bid", [["2999.00", "3.0000"]]);

    const rest = new LighterRestClient({ baseUrl: server.url });
    const trader = new LighterTradingClient({ rest, key, accountIndex: 1001, apiKeyIndex: 3, chainId: 304 });

    const entry = await trader.placeMarketOrder({ symbol: "ETH", side: "buy", size: "0.5", maxSlippage: "0.005" });
    const fill = await trader.trackFill(entry, { pollIntervalMs: 50 });
    console.log(`entry ${fill.status}: ${fill.filledSize.toString()} ETH @ ${fill.averagePrice?.toString()}`);

    // Position-tied, reduce-only exits: they close whatever the position is when they trigger.
    const stop = await trader.placeStopLoss({ symbol: "ETH", side: "sell", triggerPrice: "2900" });
    const target = await trader.placeTakeProfit({ symbol: "ETH", side: "sell", triggerPrice: "3150" });
    console.log(`stop-loss ${stop.clientOrderIndex} and take-profit ${target.clientOrderIndex} resting as trigger orders`);
    return fill;
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
