export { estimateLiquidationPrice, liquidationDistance } from "./liquidation.js";
export { type PositionExposure, type ExposureSummary, type ExposureInput, summarizePositionRisk } from "./exposure.js";
export {
  type EquitySnapshot,
  type CircuitBreakerConfig,
  type CircuitBreakerLevel,
  type CircuitBreakerState,
  DEFAULT_CIRCUIT_BREAKER,
  evaluateCircuitBreaker,
} from "./circuit-breaker.js";
export { type SizingInput, type SizingResult, riskBudgetUsd, sizePosition } from "./sizing.js";
export {
  type RiskCheckName,
  RISK_CHECK_NAMES,
  type RiskLimits,
  DEFAULT_RISK_LIMITS,
  type RecentClose,
  type RiskContext,
  type RiskApproval,
  type RiskRejection,
  type RiskCheckResult,
  checkDecision,
  toRiskLimitError,
  RECORDED_LEVERAGE_DECIMALS,
  RECORDED_SIZE_DECIMALS,
  RECORDED_SIZE_LIMIT,
} from "./checks.js";
export {
  YEAR_MS,
  type MetricsTrade,
  type PerformanceMetrics,
  type MetricsInput,
  type MetricName,
  type MetricMinimums,
  type EquityPoint,
  DEFAULT_METRIC_MINIMUMS,
  computeCurveMetrics,
  tradeReasons,
  pearsonCorrelation,
  drawdownStats,
  type EquityMetrics,
  type TradeMetrics,
  computeEquityMetrics,
  computeTradeMetrics,
  EquityCurveTracker,
  TradeMetricsTracker,
  type TradeMetricsTrackerOptions,
  computePerformanceMetrics,
} from "./metrics.js";
