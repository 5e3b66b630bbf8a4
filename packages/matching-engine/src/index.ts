// The order book: integer ticks and lots, price-time priority.
export { OrderBook, type OrderBookOptions, EXTERNAL_ACCOUNT_ID } from "./order-book.js";
export { FillBuffer, type BookStep } from "./fill-buffer.js";
export type {
  OrderId,
  TimeInForce,
  SelfTradePrevention,
  BookOrderInput,
  BookFill,
  SubmitStatus,
  SubmitResult,
  BookCancelResult,
  TriggerResult,
  LevelView,
  DepthView,
  L2SnapshotTicks,
  RestingOrderView,
  TriggerKind,
  TriggerOrderInput,
  TriggeredOrder,
  BrokenLimit,
} from "./types.js";
// The same book in decimals for one market.
export { MarketBook, type MarketOrderInput, type MarketFill, type MarketSubmitResult } from "./market-book.js";
// The simulated exchange: accounts, margin, positions, triggers, liquidation, funding.
export { ExchangeSimulator, type ExchangeSimulatorConfig, DEFAULT_SIMULATOR_OPTIONS } from "./simulator/simulator.js";
export type {
  SimulatorOptions,
  PlaceOrderInput,
  OpenPositionInput,
  PersistedOpenOrder,
  L2Book,
  OrderResult,
  Rejected,
  OrderRejection,
  CancelResult,
  ExitPlanResult,
  LoadBookResult,
  ApplyBookResult,
  TriggerCheckResult,
  TriggeredExit,
  SimFill,
  PositionView,
  OpenOrderView,
  AccountView,
  SimulatedTrade,
  OrderView,
  SimulatorCommand,
  JournalEntry,
  SimulatorSnapshot,
} from "./simulator/types.js";
export type { OrderStatus } from "./simulator/order-lifecycle.js";
export type { LatencyRange } from "./simulator/latency.js";
export type { DecimalInput, ExitPlanInput } from "./decimal-input.js";
// Events, typed, and the optional event log.
export {
  SIMULATOR_EVENT_NAMES,
  type SimulatorEventMap,
  type SimulatorEventName,
  type SimulatorEvent,
  type OrderAcceptedEvent,
  type OrderRejectedEvent,
  type OrderCancelledEvent,
  type CancelReason,
  type OrderFilledEvent,
  type PositionOpenedEvent,
  type PositionChangedEvent,
  type PositionClosedEvent,
  type LiquidatedEvent,
  type FundingPaidEvent,
} from "./simulator/events.js";
// What a user needs from @autonome/core: markets, Decimal, clocks, the errors and the reject reasons.
export {
  type Market,
  type MarketSpec,
  defineMarket,
  LIGHTER_MARKETS,
  HYPERLIQUID_MARKETS,
  Decimal,
  type Clock,
  SystemClock,
  ManualClock,
  type RejectReason,
  AutonomeError,
  ValidationError,
  NotFoundError,
  UnknownMarketError,
  StateConflictError,
} from "@autonome/core";
