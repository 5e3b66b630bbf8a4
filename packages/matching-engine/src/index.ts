export type {
  TimeInForce,
  SelfTradePrevention,
  BookOrderInput,
  BookFill,
  SubmitStatus,
  SubmitResult,
  LevelView,
  DepthView,
  L2SnapshotTicks,
  RestingOrderView,
  TriggerKind,
  TriggerOrderInput,
  TriggeredOrder,
} from "./types.js";
export { OrderBook, type OrderBookOptions, EXTERNAL_ACCOUNT_ID } from "./order-book.js";
export { checkSizeLots, checkPriceTicks, validateOrderInput, validateTriggerInput, triggerFires } from "./matching.js";
export {
  MarketBook,
  toBookOrder,
  type MarketOrderInput,
  type MarketFill,
  type MarketSubmitResult,
  type L2Snapshot,
} from "./market-book.js";
