export type {
  Numeric,
  IntradaySeries,
  LongerTermContext,
  SymbolIntelligence,
  AccountContext,
  PositionContext,
  CompetitorStanding,
  ActionCounts,
  TradingPromptContext,
} from "./context.js";
export { type TradingPrompts, buildTradingPrompts, buildSystemPrompt, buildUserPrompt } from "./build.js";
export {
  type VariantId,
  type ContextSection,
  type VariantRule,
  type PromptVariant,
  PROMPT_VARIANTS,
  DEFAULT_VARIANT_ID,
  VARIANT_IDS,
  getVariant,
} from "./variants.js";
export { MARKET_LABELS, ACCOUNT_LABELS, POSITION_LABELS, SECTION_HEADERS } from "./labels.js";
export {
  isPresent,
  isCompleteSeries,
  formatPrice,
  formatIndicator,
  formatAmount,
  formatPercent,
  formatSignedPercent,
  formatMoney,
  formatQuantity,
  formatRatio,
  formatDuration,
  formatTime,
} from "./format.js";
export { toPositionContexts } from "./positions.js";
