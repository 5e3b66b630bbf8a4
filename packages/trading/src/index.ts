export {
  type OpenPositionRequest,
  type BrokerPosition,
  type BrokerAccount,
  type BrokerResult,
  type BrokerResultCode,
  type BrokerFailure,
  BROKER_RESULT_CODES,
  type VenueClose,
  type ReconcileAction,
  type ReconcileReport,
  type Broker,
  type BrokerRegistry,
  type OrderAudit,
  type BrokerWriteHooks,
  armedExitPlan,
  emptyReconcileReport,
  mergeReports,
  triggerOnTick,
} from "./broker/broker.js";
export { type SimBrokerOptions, type SimFundingMode, type SimTriggerCheckOptions, SimBroker } from "./broker/sim-broker.js";
export { type PriceRange } from "./broker/trigger-path.js";
export { type CheckTriggersOptions, type WatchTriggersOptions, type TriggerWatch, checkTriggers, watchTriggers } from "./triggers.js";
export { type LighterBrokerOptions, type LighterBrokerParts, type LighterBrokerHooks, LighterBroker } from "./broker/lighter-broker.js";
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
export { type BrokerToolExecutorOptions, BrokerToolExecutor, describeAccount } from "./tool-executor.js";
export {
  type FlattenResult,
  DEFAULT_TRADING_OPTIONS,
  DefaultBrokerRegistry,
  createTradingRuntime,
  reconcile,
  snapshotPortfolios,
  flattenModel,
  publishCloses,
} from "./runtime.js";
export { type WorkflowRunOptions, runTradeWorkflow, agentFor, toSymbolIntelligence } from "./workflow.js";
export { type BrokerFence, LeaseFence } from "./fence.js";
export {
  type ActionRecord,
  type ModelStatesOptions,
  ModelState,
  ModelStates,
  TRADE_LIMIT,
  RECENT_INVOCATIONS,
  RECENT_CLOSES,
  countActions,
  acceptedActions,
} from "./model-state.js";
export {
  type ModelHistory,
  type RiskHistory,
  type SnapshotInput,
  type FinishInput,
  type FailedRun,
  type FailedRunOutcome,
  type TradingStore,
  DbTradingStore,
  type LiveTradingStoreOptions,
  LiveTradingStore,
  type MemoryTradingStoreOptions,
  MemoryTradingStore,
} from "./store.js";
export { type RunTickOptions, type TickResult, type TickWorkflow, runTick } from "./tick.js";
