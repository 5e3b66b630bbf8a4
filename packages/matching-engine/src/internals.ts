/**
 * `@autonome/matching-engine/internals`: the pieces the book and the simulator are built
 * from, for tools and tests that need them. Not covered by the semver promise of the main
 * entry: they may change in any release.
 */
export { checkSizeLots, checkPriceTicks, validateOrderInput, validateTriggerInput, triggerFires } from "./matching.js";
export { toBookOrder, type ConversionRejection } from "./market-book.js";
export { decimalInput, decimalInputText, exitPlanJsonOf } from "./decimal-input.js";
export { LatencyModel } from "./simulator/latency.js";
export { type OrderLifecycleEvent, ORDER_TRANSITIONS, nextOrderStatus } from "./simulator/order-lifecycle.js";
export type { PlaceOrderCommandInput, SnapshotPosition, SnapshotOpenOrder, SnapshotPendingOrder } from "./simulator/types.js";
export {
  type PositionAmount,
  type PositionFillOutcome,
  type AccountMargin,
  type MarginPosition,
  type MaintenanceStanding,
  applyFillToPosition,
  entryPriceOf,
  unrealizedPnlOf,
  notionalAt,
  initialMarginFractionOf,
  isLeverageAllowed,
  initialMargin,
  maintenanceMargin,
  feeOf,
  fundingCashFlow,
  accountMargin,
  maintenanceStanding,
  isBelowMaintenance,
  liquidationPriceEstimate,
} from "./simulator/account.js";
