/**
 * A seeded synthetic market. Per step (default 15 s of simulated time) each symbol's
 * log price moves by a GARCH(1,1) shock loaded on one common factor (so majors
 * move together) plus rare jumps (own and market-wide); the perp trades at a
 * premium to its index that mean-reverts and leans with returns; funding settles
 * to the interval's average premium; open interest drifts and grows with activity.
 * Invariant: the same seed, options and sequence of advance times give the same
 * books, candles, funding and open interest, bit for bit.
 */
import {
  type Clock,
  type Decimal,
  DEFAULT_MARKETS,
  type Market,
  type Random,
  createRandom,
} from "@autonome/core";
import { BaseMarketSource } from "./internal/base-source.js";
import { BarBuilder, CandleStore, MINUTE_MS } from "./internal/candle-store.js";
import { numberToDecimal, numberToText, roundTo } from "./internal/decimal-text.js";
import { type DepthProfile, depthProfile, synthesizeBook } from "./internal/depth.js";
import type { Candle, CandleInterval, FundingRate, L2Book } from "./types.js";

/** How one symbol behaves. */
export interface SyntheticSymbolParams {
  /** Starting price at the beginning of the warm-up history. */
  startPrice: number;
  /** Long-run annualized volatility (0.6 = 60%). */
  annualVolatility: number;
  /** Loading on the common factor in [0, 1]: the correlation with the market. */
  marketLoading: number;
  /** Open interest around which the symbol drifts, in base units. */
  baseOpenInterest: number;
  /** Average traded notional per minute, quote units. */
  notionalPerMinute: number;
}

/** Defaults for the six majors (prices near mid-2025 levels). */
export const DEFAULT_SYNTHETIC_PARAMS: Readonly<Record<string, SyntheticSymbolParams>> = Object.freeze({
  BTC: { startPrice: 105_000, annualVolatility: 0.45, marketLoading: 0.92, baseOpenInterest: 80_000, notionalPerMinute: 8_000_000 },
  ETH: { startPrice: 2_500, annualVolatility: 0.65, marketLoading: 0.85, baseOpenInterest: 2_000_000, notionalPerMinute: 5_000_000 },
  SOL: { startPrice: 150, annualVolatility: 0.8, marketLoading: 0.78, baseOpenInterest: 8_000_000, notionalPerMinute: 1_500_000 },
  BNB: { startPrice: 650, annualVolatility: 0.4, marketLoading: 0.7, baseOpenInterest: 1_000_000, notionalPerMinute: 300_000 },
  XRP: { startPrice: 2.2, annualVolatility: 0.75, marketLoading: 0.7, baseOpenInterest: 1_200_000_000, notionalPerMinute: 900_000 },
  DOGE: { startPrice: 0.18, annualVolatility: 0.85, marketLoading: 0.72, baseOpenInterest: 9_000_000_000, notionalPerMinute: 700_000 },
});

/** Options of a SyntheticMarket. */
export interface SyntheticMarketOptions {
  clock: Clock;
  /** Seed of every random draw. */
  seed: number | string;
  /** Markets to simulate (default: core's DEFAULT_MARKETS). */
  markets?: readonly Market[];
  /** Per-symbol behaviour; unknown symbols get BTC-like defaults scaled to startPrice 100. */
  params?: Readonly<Record<string, Partial<SyntheticSymbolParams>>>;
  /** Simulated step in ms (default 15,000); must divide a minute. */
  stepMs?: number;
  /** Minutes of history generated before the start, so indicators are warm (default 10 days: 60 four-hour candles). */
  historyMinutes?: number;
  /** GARCH(1,1) per-step ARCH weight (default 0.02) and persistence (default 0.978). */
  garch?: { alpha: number; beta: number };
  /** Expected jumps a day per symbol (default 1) and market-wide (default 0.5). */
  jumpsPerDay?: number;
  marketJumpsPerDay?: number;
  /** Standard deviation of a jump's log size (default 0.012). */
  jumpSize?: number;
  /** Funding interval in ms (default 1 hour, as on Lighter). */
  fundingIntervalMs?: number;
  /** Synthesized book shape. */
  depth?: Partial<DepthProfile>;
  /**
   * A planted, tradable signal: each symbol's log price also follows a hidden drift that
   * persists (an AR(1) with this half-life) and is drawn from its own random stream, so
   * recent momentum predicts the next move. Off by default (and then every other draw is
   * unchanged, seed for seed).
   */
  signal?: SyntheticSignal;
}

/** A planted momentum signal of a {@link SyntheticMarket}. */
export interface SyntheticSignal {
  /** Stationary standard deviation of the hidden drift, as a multiple of the symbol's long-run per-minute volatility (0.2 = a drift of 0.2 sigma a minute, typically). */
  strength: number;
  /** Half-life of the drift in minutes (default 240). */
  halfLifeMinutes?: number;
}

interface SymbolState {
  market: Market;
  params: SyntheticSymbolParams;
  random: Random;
  logPrice: number;
  /** Conditional per-step variance of the GARCH process. */
  variance: number;
  /** Long-run per-step variance. */
  baseVariance: number;
  premium: number;
  premiumSum: number;
  premiumCount: number;
  logOpenInterest: number;
  price: number;
  store: CandleStore;
  builder: BarBuilder;
  funding: { rate: number; ts: number } | undefined;
  stepIndex: number;
  /** Hidden drift of the planted signal, log return per step (0 without a signal). */
  drift: number;
  /** Stream of the signal's draws (absent without a signal). */
  signalRandom: Random | undefined;
}

const YEAR_MS = 365 * 24 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/** A seeded, reproducible market with realistic price, book, funding and open interest dynamics. */
export class SyntheticMarket extends BaseMarketSource {
  private readonly stepMs: number;
  private readonly states = new Map<string, SymbolState>();
  private readonly common: Random;
  private readonly alpha: number;
  private readonly beta: number;
  private readonly jumpProbability: number;
  private readonly marketJumpProbability: number;
  private readonly jumpSize: number;
  private readonly fundingIntervalMs: number;
  private readonly profile: DepthProfile;
  /** Per-step persistence and innovation scale (per unit of base per-step volatility) of the signal's drift. */
  private readonly signalPersistence: number;
  private readonly signalInnovation: number;
  private nextStepTs: number;
  private nextFundingTs: number;
  private readonly closedQueue: Array<{ symbol: string; index: number }> = [];
  /** First simulated instant after the warm-up history. */
  readonly startTime: number;

  constructor(options: SyntheticMarketOptions) {
    super(options.clock, options.markets ?? DEFAULT_MARKETS);
    this.stepMs = options.stepMs ?? 15_000;
    if (!Number.isInteger(this.stepMs) || this.stepMs <= 0 || MINUTE_MS % this.stepMs !== 0) {
      throw new RangeError(`stepMs must divide a minute, got ${this.stepMs}`);
    }
    this.alpha = options.garch?.alpha ?? 0.02;
    this.beta = options.garch?.beta ?? 0.978;
    if (this.alpha < 0 || this.beta < 0 || this.alpha + this.beta >= 1) throw new RangeError("GARCH needs alpha, beta >= 0 and alpha + beta < 1");
    this.jumpProbability = ((options.jumpsPerDay ?? 1) * this.stepMs) / DAY_MS;
    this.marketJumpProbability = ((options.marketJumpsPerDay ?? 0.5) * this.stepMs) / DAY_MS;
    this.jumpSize = options.jumpSize ?? 0.012;
    this.fundingIntervalMs = options.fundingIntervalMs ?? 3_600_000;
    this.profile = depthProfile(options.depth);
    const signal = options.signal;
    if (signal && (!(signal.strength >= 0) || !((signal.halfLifeMinutes ?? 240) > 0))) throw new RangeError("signal needs strength >= 0 and halfLifeMinutes > 0");
    const stepsPerMinuteCount = MINUTE_MS / this.stepMs;
    // Per step: drift' = phi * drift + sqrt(1 - phi^2) * s * N(0,1) has stationary sd s; a
    // drift of `strength` sigmas a minute is strength / stepsPerMinute per-minute-sigmas a step,
    // and a per-minute sigma is sqrt(stepsPerMinute) per-step sigmas.
    this.signalPersistence = signal ? 0.5 ** (1 / ((signal.halfLifeMinutes ?? 240) * stepsPerMinuteCount)) : 0;
    this.signalInnovation = signal ? (signal.strength / Math.sqrt(stepsPerMinuteCount)) * Math.sqrt(1 - this.signalPersistence ** 2) : 0;
    const root = createRandom(options.seed);
    this.common = root.fork("common");
    const stepsPerYear = YEAR_MS / this.stepMs;
    for (const market of this.registry.all()) {
      const defaults = DEFAULT_SYNTHETIC_PARAMS[market.symbol] ?? {
        startPrice: 100,
        annualVolatility: 0.6,
        marketLoading: 0.7,
        baseOpenInterest: 1_000_000,
        notionalPerMinute: 500_000,
      };
      const params: SyntheticSymbolParams = { ...defaults, ...options.params?.[market.symbol] };
      const baseVariance = params.annualVolatility ** 2 / stepsPerYear;
      const store = new CandleStore(4096);
      const symbol = market.symbol;
      const state: SymbolState = {
        market,
        params,
        random: root.fork(`symbol:${symbol}`),
        logPrice: Math.log(params.startPrice),
        variance: baseVariance,
        baseVariance,
        premium: 0,
        premiumSum: 0,
        premiumCount: 0,
        logOpenInterest: Math.log(params.baseOpenInterest),
        price: roundTo(params.startPrice, market.priceDecimals),
        store,
        builder: new BarBuilder(
          store,
          (index) => {
            if (this.hasListeners) this.closedQueue.push({ symbol, index });
          },
          market.sizeDecimals,
        ),
        funding: undefined,
        stepIndex: 0,
        drift: 0,
        signalRandom: undefined,
      };
      this.states.set(symbol, state);
    }
    // Forked after every other stream, so turning the signal on leaves those draws as they were.
    if (signal) for (const [symbol, state] of this.states) state.signalRandom = root.fork(`signal:${symbol}`);
    const now = this.clock.now();
    this.startTime = Math.floor(now / this.stepMs) * this.stepMs;
    const historyMinutes = options.historyMinutes ?? 10 * 24 * 60;
    const historyStart = Math.floor((this.startTime - historyMinutes * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
    this.nextStepTs = historyStart;
    this.nextFundingTs = Math.ceil((historyStart + 1) / this.fundingIntervalMs) * this.fundingIntervalMs;
    this.runSteps(this.startTime);
    this.stateTs = this.startTime;
  }

  nextEventTime(): number | undefined {
    return this.nextStepTs;
  }

  protected advanceState(ts: number): void {
    this.runSteps(ts);
    if (this.hasListeners) {
      for (const { symbol, index } of this.closedQueue) {
        const candle = this.states.get(symbol)!.store.bar(index);
        this.emit({ type: "candleClosed", symbol, ts: candle.closeTime, candle });
      }
      for (const symbol of this.states.keys()) this.emit({ type: "bookChanged", symbol, ts });
    }
    this.closedQueue.length = 0;
  }

  private runSteps(until: number): void {
    while (this.nextStepTs <= until) {
      const ts = this.nextStepTs;
      this.step(ts);
      if (ts >= this.nextFundingTs) this.settleFunding(this.nextFundingTs);
      this.nextStepTs += this.stepMs;
    }
    for (const state of this.states.values()) state.builder.closeUntil(until);
  }

  private step(ts: number): void {
    const factor = this.common.normal();
    const marketJump = this.common.next() < this.marketJumpProbability ? this.common.normal() * this.jumpSize : 0;
    const stepsPerMinute = MINUTE_MS / this.stepMs;
    for (const state of this.states.values()) {
      const { random, params } = state;
      const loading = params.marketLoading;
      const shock = loading * factor + Math.sqrt(1 - loading * loading) * random.normal();
      const ownJump = random.next() < this.jumpProbability ? random.normal() * this.jumpSize : 0;
      const ret = Math.sqrt(state.variance) * shock + ownJump + marketJump * loading;
      state.logPrice += ret - 0.5 * state.variance;
      if (state.signalRandom) {
        // The planted signal: a persistent hidden drift, scaled to the symbol's long-run volatility.
        state.drift = this.signalPersistence * state.drift + this.signalInnovation * Math.sqrt(state.baseVariance) * state.signalRandom.normal();
        state.logPrice += state.drift;
      }
      state.variance = state.baseVariance * (1 - this.alpha - this.beta) + this.alpha * ret * ret + this.beta * state.variance;
      // Premium: mean-reverting (half-life ~ 1h), leaning with returns (momentum buyers pay up).
      state.premium += -state.premium * (this.stepMs / 3_600_000) * 0.7 + 0.00002 * random.normal() + 0.05 * ret;
      state.premiumSum += state.premium;
      state.premiumCount++;
      // Open interest: drifts back to its base over ~a day and grows with large moves.
      const base = Math.log(params.baseOpenInterest);
      state.logOpenInterest += -(state.logOpenInterest - base) * (this.stepMs / DAY_MS) + 0.0008 * random.normal() + 0.5 * Math.abs(ret) * (random.next() - 0.3);
      const volatilityRatio = Math.sqrt(state.variance / state.baseVariance);
      const price = roundTo(Math.exp(state.logPrice), state.market.priceDecimals);
      state.price = price;
      const volume = ((params.notionalPerMinute / stepsPerMinute) * volatilityRatio * (0.4 + 1.2 * random.next())) / price;
      state.builder.add(ts, price, roundTo(volume, state.market.sizeDecimals));
      state.stepIndex++;
    }
  }

  private settleFunding(ts: number): void {
    for (const [symbol, state] of this.states) {
      const averagePremium = state.premiumCount > 0 ? state.premiumSum / state.premiumCount : 0;
      // Lighter-style: premium spread over 8 hours per hourly interval, plus a small interest term, clamped.
      const perInterval = (averagePremium * this.fundingIntervalMs) / (8 * 3_600_000) + 0.0000125;
      const rate = Math.max(-0.005, Math.min(0.005, perInterval));
      state.funding = { rate: roundTo(rate, 8), ts };
      state.premiumSum = 0;
      state.premiumCount = 0;
      if (this.hasListeners && ts > this.stateTs) this.emit({ type: "fundingSettled", symbol, ts, rate: numberToText(state.funding.rate, 8) });
    }
    this.nextFundingTs = ts + this.fundingIntervalMs;
  }

  private state(symbol: string): SymbolState {
    this.market(symbol);
    return this.states.get(symbol)!;
  }

  protected bookAt(symbol: string, depth: number): L2Book {
    const state = this.state(symbol);
    return synthesizeBook(
      state.market,
      this.stateTs,
      state.price,
      Math.sqrt(state.variance / state.baseVariance),
      this.profile,
      depth,
      state.stepIndex,
    );
  }

  protected markAt(symbol: string): Decimal | undefined {
    // The mark is the book's mid: the synthetic perp's own fair price.
    void symbol;
    return undefined;
  }

  /** The index price the perp's premium is measured against. */
  indexPrice(symbol: string): Decimal {
    this.sync();
    const state = this.state(symbol);
    return numberToDecimal(state.price / (1 + state.premium), state.market.priceDecimals + 2);
  }

  /** The current premium of the perp over its index, as a fraction. */
  premium(symbol: string): number {
    this.sync();
    return this.state(symbol).premium;
  }

  protected candlesAt(symbol: string, interval: CandleInterval, limit: number, now: number): Candle[] {
    return this.state(symbol).store.candles(interval, limit, now);
  }

  protected fundingAt(symbol: string): FundingRate | undefined {
    const state = this.state(symbol);
    if (!state.funding) return undefined;
    return {
      symbol,
      rate: numberToDecimal(state.funding.rate, 8),
      intervalMs: this.fundingIntervalMs,
      ts: state.funding.ts,
      nextFundingTime: this.nextFundingTs,
    };
  }

  protected openInterestAt(symbol: string): Decimal | undefined {
    const state = this.state(symbol);
    return numberToDecimal(Math.exp(state.logOpenInterest), state.market.sizeDecimals);
  }
}
