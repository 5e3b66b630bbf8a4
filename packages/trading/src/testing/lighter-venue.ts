/**
 * Test support (not exported): a mock Lighter server with one funded account and
 * outside liquidity that follows a price the test sets, and a LighterBroker on it.
 */
import { type Clock, DEFAULT_MARKETS, Decimal, toDecimal } from "@autonome/core";
import type { Db } from "@autonome/db";
import { LighterApiKey, LighterRestClient, LighterTradingClient } from "@autonome/lighter-client";
import { MOCK_MAKER_ACCOUNT, MockLighterServer } from "@autonome/lighter-mock";
import { LighterBroker } from "../broker/lighter-broker.js";
import type { ControlledMarket } from "./support.js";

/** The account and key the tests trade with. */
export const ACCOUNT_INDEX = 77;
export const API_KEY_INDEX = 3;
/** A fixed test key, 40 bytes little-endian (never a real one). */
export const TEST_PRIVATE_KEY_HEX = "31".repeat(32) + "00".repeat(8);

/** A running mock exchange whose outside liquidity follows `setPrice`. */
export class MockVenue {
  readonly key = LighterApiKey.fromPrivateKeyHex(TEST_PRIVATE_KEY_HEX);
  private constructor(readonly server: MockLighterServer) {}

  /** Starts the server, registers the key and funds the account. */
  static async start(prices: Record<string, number>, collateral = 10_000): Promise<MockVenue> {
    const server = await new MockLighterServer().start();
    const venue = new MockVenue(server);
    server.exchange.registerApiKey(ACCOUNT_INDEX, API_KEY_INDEX, venue.key.publicKeyHex, 0);
    server.exchange.setCollateral(ACCOUNT_INDEX, collateral);
    for (const [symbol, price] of Object.entries(prices)) venue.setLiquidity(symbol, price);
    return venue;
  }

  get url(): string {
    return this.server.url;
  }

  /** Replaces the outside liquidity with a deep book one tick wide around `price`. */
  setLiquidity(symbol: string, price: number): void {
    const market = DEFAULT_MARKETS.find((m) => m.symbol === symbol)!;
    const book = this.server.exchange.book(market.marketId);
    for (const o of book.restingOrders()) if (o.accountId === String(MOCK_MAKER_ACCOUNT)) book.cancel(o.id);
    const bid = toDecimal(price).toDecimalPlaces(market.priceDecimals, Decimal.ROUND_DOWN);
    const level = (p: Decimal) => [p.toFixed(market.priceDecimals), "5"] as const;
    this.server.exchange.addLiquidity(market.marketId, "bid", Array.from({ length: 10 }, (_, i) => level(bid.minus(market.tickSize.mul(i)))));
    this.server.exchange.addLiquidity(market.marketId, "ask", Array.from({ length: 10 }, (_, i) => level(bid.plus(market.tickSize.mul(i + 1)))));
  }

  /** Moves the price: new liquidity there, then the mark (trigger orders crossed by it fire). */
  setPrice(symbol: string, price: number): void {
    const market = DEFAULT_MARKETS.find((m) => m.symbol === symbol)!;
    this.setLiquidity(symbol, price);
    this.server.exchange.setMarkPrice(market.marketId, toDecimal(price).toFixed(market.priceDecimals));
  }

  /** Another client of the same account (as a second app or a human would be). */
  outsider(): LighterTradingClient {
    const rest = new LighterRestClient({ baseUrl: this.url });
    return new LighterTradingClient({ rest, key: this.key, accountIndex: ACCOUNT_INDEX, apiKeyIndex: API_KEY_INDEX, chainId: 304 });
  }

  /** A broker over this venue. */
  broker(db: Db, market: ControlledMarket, clock: Clock): LighterBroker {
    const rest = new LighterRestClient({ baseUrl: this.url });
    const trading = new LighterTradingClient({ rest, key: this.key, accountIndex: ACCOUNT_INDEX, apiKeyIndex: API_KEY_INDEX, chainId: 304 });
    return new LighterBroker({ db, market, clock, rest, trading, accountIndex: ACCOUNT_INDEX, pollIntervalMs: 10, fillTimeoutMs: 10_000 });
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}
