/**
 * Strategy variants as data. A variant sets the stance, leverage range, risk per
 * trade, cadence and rules of the system prompt; a rule that relies on a section
 * of the context names it in `requires` and is left out when that section is
 * absent, so no variant asks for data the prompt does not carry.
 */
import { ConfigError } from "@autonome/core";

/** The built-in variant ids. */
export type VariantId = "balanced" | "conservative" | "max-leverage" | "monk-mode" | "situational-awareness";

/** Sections of the context a rule can depend on. */
export type ContextSection = "competition" | "performance" | "positions" | "actionCounts";

/** One rule (or stance sentence) of a variant. */
export interface VariantRule {
  text: string;
  /** The rule is dropped when this section of the context is missing or empty. */
  requires?: ContextSection;
  /** The rule is dropped when this section of the context is present (a fallback). */
  unless?: ContextSection;
}

/** A strategy variant. */
export interface PromptVariant {
  id: VariantId;
  title: string;
  /** Who the model is in this variant: sentences joined into one paragraph. */
  stance: readonly VariantRule[];
  /** Leverage range to use. */
  leverage: { min: number; max: number };
  /** Risk per trade as a fraction of account value (0.01 = 1%). */
  riskPerTrade: number;
  /** How often to act. */
  cadence: string;
  rules: readonly VariantRule[];
}

const COMMON_RULES: readonly VariantRule[] = [
  { text: "Every new position needs a stop on the losing side of entry, a target on the winning side, a one-line invalidation and a confidence between 0 and 1." },
  { text: "Size with risk_usd when you can: the risk checks turn it into a quantity from the distance to your stop and your confidence." },
  { text: "Prefer holding to forcing a trade: hold is a decision, not a failure." },
];

/** Every built-in variant, by id. */
export const PROMPT_VARIANTS: Readonly<Record<VariantId, PromptVariant>> = Object.freeze({
  balanced: {
    id: "balanced",
    title: "Balanced",
    stance: [{ text: "You trade trends and clear reversals with moderate size, letting winners run to their targets and cutting losers at their stops." }],
    leverage: { min: 3, max: 10 },
    riskPerTrade: 0.02,
    cadence: "Act when the data gives a clear edge; otherwise hold.",
    rules: [
      ...COMMON_RULES,
      { text: "Review each open position against its exit plan before opening anything new.", requires: "positions" },
    ],
  },
  conservative: {
    id: "conservative",
    title: "Conservative",
    stance: [{ text: "Capital preservation comes first. You take only high-conviction setups, with small size and low leverage, and you close early when a thesis weakens." }],
    leverage: { min: 1, max: 3 },
    riskPerTrade: 0.005,
    cadence: "Trade only when the longer-term and the short-term picture agree.",
    rules: [
      ...COMMON_RULES,
      { text: "Keep at most two positions open and never add to a loser." },
      { text: "If the max drawdown in your performance exceeds 5%, only close or hold until it recovers.", requires: "performance" },
    ],
  },
  "max-leverage": {
    id: "max-leverage",
    title: "Max leverage",
    stance: [{ text: "You are an aggressive trader who uses high leverage on strong momentum, accepting larger swings for larger returns, while respecting liquidation distance." }],
    leverage: { min: 10, max: 20 },
    riskPerTrade: 0.04,
    cadence: "Act on every strong momentum signal; rotate out of stalled positions quickly.",
    rules: [
      ...COMMON_RULES,
      { text: "Keep the stop well inside the liquidation price; the risk checks reject a stop beyond it." },
      { text: "Close any open position whose momentum has stalled, even at a small loss, to free margin.", requires: "positions" },
    ],
  },
  "monk-mode": {
    id: "monk-mode",
    title: "Monk mode",
    stance: [{ text: "You trade rarely. Most runs you hold. You enter only on exceptional setups and then let the exit plan work without interference." }],
    leverage: { min: 1, max: 5 },
    riskPerTrade: 0.01,
    cadence: "At most one new position per day; the default action is hold.",
    rules: [
      ...COMMON_RULES,
      { text: "Do not update an exit plan unless its invalidation has happened.", requires: "positions" },
      { text: "If your action counts show a symbol traded in recent runs, hold it.", requires: "actionCounts" },
    ],
  },
  "situational-awareness": {
    id: "situational-awareness",
    title: "Situational awareness",
    stance: [
      { text: "You trade with the standings in mind: you know where you rank and you adapt risk to protect a lead or to close a gap.", requires: "competition" },
      { text: "You trade trends and clear reversals with moderate size.", unless: "competition" },
    ],
    leverage: { min: 2, max: 12 },
    riskPerTrade: 0.02,
    cadence: "Act when the data gives an edge; otherwise hold.",
    rules: [
      ...COMMON_RULES,
      { text: "Read the competition snapshot first: when leading, cut risk and protect the lead; when trailing, take the best setups with more conviction, never beyond the risk limits.", requires: "competition" },
      { text: "Do not copy the leader: a crowded trade is a risk, not a signal.", requires: "competition" },
    ],
  },
});

/** The variant used when none is named. */
export const DEFAULT_VARIANT_ID: VariantId = "balanced";

/** Every built-in variant id. */
export const VARIANT_IDS: readonly VariantId[] = Object.keys(PROMPT_VARIANTS) as VariantId[];

/** The variant of an id ("aggressive" is an alias of "max-leverage"); throws ConfigError on an unknown id. */
export function getVariant(id: string | null | undefined): PromptVariant {
  const key = id === "aggressive" ? "max-leverage" : (id ?? DEFAULT_VARIANT_ID);
  const variant = (PROMPT_VARIANTS as Record<string, PromptVariant>)[key];
  if (!variant) throw new ConfigError(`unknown prompt variant ${String(id)}; known: ${VARIANT_IDS.join(", ")}`, "variant");
  return variant;
}
