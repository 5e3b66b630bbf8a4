/**
 * @autonome/lighter-mock: a mock Lighter venue for tests. MockLighterServer speaks Lighter's
 * REST and WebSocket JSON on 127.0.0.1 over MockExchange, which checks signatures with
 * @autonome/lighter-client's verifier and matches orders with @autonome/matching-engine's
 * OrderBook.
 */
export { MockLighterServer, type MockLighterServerOptions, type MockFaults } from "./mock-server.js";
export {
  MockExchange,
  type MockMarketSpec,
  DEFAULT_MOCK_MARKETS,
  MOCK_MAKER_ACCOUNT,
  type MockOrder,
  type MockLiquidation,
  type MockLiquidateOptions,
  type MockTrade,
  type MockPositionFunding,
  type MockTx,
  type SendResult,
} from "./mock-exchange.js";
