export { type RiskState, type ToolResult, type ToolExecutor, type ToolCallContext } from "./executor.js";
export {
  type ToolName,
  TOOL_NAMES,
  TOOL_SPECS,
  exitPlanArgsSchema,
  createPositionArgsSchema,
  closePositionArgsSchema,
  holdArgsSchema,
  updateExitPlanArgsSchema,
  type DecisionOptions,
  decisionFromToolCall,
  NUMERIC_ARGUMENT_RULE,
} from "./tools.js";
export { type ReasoningSource, type CompletionRecord, type WireOptions, WireLedger, usageFromWire, splitThinkTag } from "./wire.js";
export { type JsonDecision, type JsonDecisionParse, jsonDecisionInstructions, parseJsonDecisions } from "./json-decision.js";
export { type ToolCallStatus, type ToolCallRecord, type TradingSessionOptions, TradingSession } from "./session.js";
export {
  type AgentInput,
  type TokenUsage,
  type StepRecord,
  type AttemptOutcome,
  type AttemptRecord,
  type InvocationResult,
  type ResponsePayload,
  responsePayloadOf,
  NO_USAGE,
  addUsage,
  toInvocationFinished,
} from "./result.js";
export { type FailureClass, classifyFailure, failureMessage, backoffDelayMs, retryDelayMs } from "./retry.js";
export {
  type TokenPricing,
  type OpenAiEndpoint,
  type DecisionFormat,
  type RunPolicy,
  DEFAULT_RUN_POLICY,
  tokenCost,
  runOpenAiAgent,
} from "./openai-agent.js";
export {
  type RuleToolCall,
  type RuleDecision,
  type RuleModelKind,
  RULE_MODEL_KINDS,
  type RuleModel,
  type RuleOptions,
  buyAndHoldBtc,
  trendFollower,
  meanReverter,
  intradayMomentum,
  randomTrader,
  RULE_MODELS,
} from "./rule-models.js";
export {
  openAiModelConfigSchema,
  ruleModelConfigSchema,
  modelConfigSchema,
  type ModelConfig,
  DEFAULT_MODEL_CONFIGS,
  type InvokeOptions,
  type TradingAgent,
  type RegistryOptions,
  ModelRegistry,
  createModelRegistry,
} from "./registry.js";
