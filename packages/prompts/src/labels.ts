/**
 * The label each printed value carries. Each label starts its own line, so a test
 * can tell whether the prompt names a value by looking for lines that start with
 * its label. Labels of one section never start with another's.
 */

/** Labels of per-symbol market intelligence, by context field. */
export const MARKET_LABELS = Object.freeze({
  currentPrice: "current_price =",
  ema20: "current_ema20 =",
  macd: "current_macd =",
  rsi7: "current_rsi (7 period) =",
  openInterestLatest: "Open Interest (latest):",
  openInterestAverage: "Open Interest (average):",
  fundingRate: "Funding Rate:",
  intradayHeader: "Intraday series",
  midPrices: "Mid prices:",
  intradayEma20: "EMA indicators (20-period):",
  intradayMacd: "MACD indicators:",
  intradayRsi7: "RSI indicators (7-period):",
  intradayRsi14: "RSI indicators (14-period):",
  longerTermHeader: "Longer-term context (4-hour timeframe):",
  ema20VsEma50: "20-period EMA vs 50-period EMA:",
  atr3VsAtr14: "3-period ATR vs 14-period ATR:",
  volumeVsAverage: "Current volume vs average volume:",
  longerTermMacd: "4h MACD indicators:",
  longerTermRsi14: "4h RSI indicators (14-period):",
});

/** Labels of the account section. */
export const ACCOUNT_LABELS = Object.freeze({
  totalReturn: "Current Total Return:",
  availableCash: "Available Cash:",
  accountValue: "Current Account Value:",
  sharpe: "Sharpe Ratio:",
});

/** Labels of one open position's detail lines. */
export const POSITION_LABELS = Object.freeze({
  liquidationPrice: "liquidation_price:",
  stop: "stop_loss:",
  target: "profit_target:",
  invalidation: "invalidation:",
  invalidationPrice: "invalidation_price:",
  confidence: "confidence:",
  riskUsd: "risk_usd:",
  timeExit: "time_exit:",
  cooldownUntil: "cooldown_until:",
});

/** Section headers that appear only when their section has content. */
export const SECTION_HEADERS = Object.freeze({
  positions: "### OPEN POSITIONS",
  exposure: "### EXPOSURE",
  performance: "### PERFORMANCE",
  actionCounts: "### YOUR ACTIONS SO FAR",
  competition: "### COMPETITION",
});
