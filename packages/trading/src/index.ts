export {
  type OpenPositionRequest,
  type BrokerPosition,
  type BrokerAccount,
  type BrokerResult,
  type VenueClose,
  type ReconcileAction,
  type ReconcileReport,
  type Broker,
  type BrokerRegistry,
  emptyReconcileReport,
  mergeReports,
} from "./broker/broker.js";
export {
  type TradingLogger,
  SILENT_LOGGER,
  type TradingOptions,
  type LighterAccountConfig,
  type LighterConfig,
  type TradingRuntimeConfig,
  type TradingRuntime,
} from "./runtime-types.js";
export { type WorkflowToolCall, type WorkflowResult } from "./workflow-types.js";
export { type FlattenResult, createTradingRuntime, reconcile, snapshotPortfolios, flattenModel } from "./runtime.js";
export { runTradeWorkflow } from "./workflow.js";
