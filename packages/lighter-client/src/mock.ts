export { MockLighterServer, type MockLighterServerOptions, type MockFaults } from "./mock/mock-server.js";
export {
  MockExchange,
  type MockMarketSpec,
  DEFAULT_MOCK_MARKETS,
  MOCK_MAKER_ACCOUNT,
  type MockOrder,
  type MockLiquidation,
  type MockLiquidateOptions,
  type MockTx,
  type SendResult,
} from "./mock/mock-exchange.js";
