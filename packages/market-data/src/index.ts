export {
  type L2Level,
  type L2Book,
  type CandleInterval,
  CANDLE_INTERVALS,
  CANDLE_INTERVAL_MS,
  type Candle,
  type FundingRate,
  type MarketUpdate,
  type MarketListener,
  type MarketSource,
} from "./types.js";
export { type L2BookPairs, l2BookToPairs, bookDepthTotals } from "./l2-book.js";
export { MarketDataFormatError, BookSequenceError, LookAheadError, NoMarketDataError } from "./errors.js";
export { type DepthProfile, DEFAULT_DEPTH_PROFILE, synthesizeBook } from "./internal/depth.js";
export {
  SyntheticMarket,
  type SyntheticMarketOptions,
  type SyntheticSymbolParams,
  type SyntheticSignal,
  DEFAULT_SYNTHETIC_PARAMS,
} from "./synthetic-market.js";
export { ReplayMarket, ReplayRecording, type ReplayMarketOptions, type FileSpec } from "./replay/replay-market.js";
export { LighterMarket, type LighterMarketOptions } from "./lighter-market.js";
export { ema, macd, type MacdSeries, rsi, trueRange, atr, realizedVolatility, lastValues } from "./intelligence/indicators.js";
export {
  computeMarketSnapshot,
  aggregateCandles,
  MarketIntelligence,
  type MarketIntelligenceOptions,
  type MarketSnapshot,
  type IntradaySeries,
  type IntradayInterval,
  type LongTermContext,
} from "./intelligence/market-intelligence.js";
export { MarketRecorder, type MarketRecorderOptions, type RecordingFiles } from "./recorder.js";
export { writeSyntheticHistory, type SyntheticHistoryOptions, type SyntheticHistory, SYNTHETIC_HISTORY_START } from "./synthetic-history.js";
