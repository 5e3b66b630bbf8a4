/**
 * Synthesized L2 depth around a price: a spread that widens with volatility,
 * geometric level spacing and sizes that grow away from the touch, with a small
 * deterministic jitter so books look alive but the same inputs give the same book.
 * Invariant: best bid < best ask, every price on the market's tick grid, every
 * size a positive multiple of the lot.
 */
import type { Market } from "@autonome/core";
import type { L2Book, L2Level } from "../types.js";
import { scaledToText } from "./decimal-text.js";

/** Shape of a synthesized book. */
export interface DepthProfile {
  /** Levels per side (default 20). */
  levels: number;
  /** Spread at normal volatility, in basis points of the price (default 1). */
  baseSpreadBps: number;
  /** How much the spread grows per unit of (volatility ratio - 1) (default 1.5). */
  spreadVolatilityFactor: number;
  /** Distance between levels in basis points (default 1). */
  levelStepBps: number;
  /** Notional (quote units) at the touch at normal volatility (default 100,000). */
  touchNotional: number;
  /** Notional growth per level away from the touch (default 0.35 = +35% a level). */
  levelGrowth: number;
}

/** The default depth profile. */
export const DEFAULT_DEPTH_PROFILE: Readonly<DepthProfile> = Object.freeze({
  levels: 20,
  baseSpreadBps: 1,
  spreadVolatilityFactor: 1.5,
  levelStepBps: 1,
  touchNotional: 100_000,
  levelGrowth: 0.35,
});

/** Merges a partial profile over the default. */
export function depthProfile(partial: Partial<DepthProfile> = {}): DepthProfile {
  return { ...DEFAULT_DEPTH_PROFILE, ...partial };
}

function hash32(a: number, b: number, c: number): number {
  let h = (a ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ b, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13) ^ c, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes a string to 32 bits (FNV-1a). */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Builds a book around `mid` for `market`. `volatilityRatio` is current volatility
 * over normal (1 = normal): the spread widens and the touch thins as it grows.
 * `jitterKey` (for example the minute index) varies sizes deterministically.
 */
export function synthesizeBook(
  market: Market,
  ts: number,
  mid: number,
  volatilityRatio: number,
  profile: DepthProfile,
  depth: number,
  jitterKey: number,
): L2Book {
  const decimals = market.priceDecimals;
  const sizeDecimals = market.sizeDecimals;
  const priceScale = 10 ** decimals;
  const sizeScale = 10 ** sizeDecimals;
  const midTicks = mid * priceScale;
  const ratio = Number.isFinite(volatilityRatio) && volatilityRatio > 0 ? volatilityRatio : 1;
  const spreadBps = profile.baseSpreadBps * (1 + profile.spreadVolatilityFactor * Math.max(0, ratio - 1));
  // An even number of ticks keeps the book's mid exactly on a price that is on the grid.
  const spreadTicks = Math.max(2, 2 * Math.round((midTicks * spreadBps) / 20_000));
  const bestBid = Math.max(1, Math.round(midTicks) - spreadTicks / 2);
  const bestAsk = bestBid + spreadTicks;
  const stepTicks = Math.max(1, Math.round((midTicks * profile.levelStepBps) / 10_000));
  const levels = Math.min(depth, profile.levels);
  const thinning = 1 / Math.sqrt(Math.max(1, ratio));
  const symbolKey = hashText(market.symbol);
  const bids: L2Level[] = [];
  const asks: L2Level[] = [];
  const lotsPerQuote = sizeScale * priceScale;
  for (let i = 0; i < levels; i++) {
    const notional = profile.touchNotional * (1 + profile.levelGrowth * i) * thinning * lotsPerQuote;
    const bidTicks = bestBid - i * stepTicks;
    if (bidTicks >= 1) {
      const jitter = 0.6 + 0.8 * (hash32(symbolKey, jitterKey, i * 2) / 4294967296);
      const lots = Math.max(1, Math.round((notional * jitter) / bidTicks));
      bids.push({ price: scaledToText(bidTicks, decimals), size: scaledToText(lots, sizeDecimals) });
    }
    const askTicks = bestAsk + i * stepTicks;
    const jitter = 0.6 + 0.8 * (hash32(symbolKey, jitterKey, i * 2 + 1) / 4294967296);
    const lots = Math.max(1, Math.round((notional * jitter) / askTicks));
    asks.push({ price: scaledToText(askTicks, decimals), size: scaledToText(lots, sizeDecimals) });
  }
  return { symbol: market.symbol, ts, bids, asks };
}
