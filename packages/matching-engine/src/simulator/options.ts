/**
 * How a simulator is configured: the option defaults, the config it is built from, and the
 * checks that turn options into exact values. Invariant: a config that passes
 * `resolveConfig` has parseable, non-negative money and intervals, unique market symbols and,
 * when latency is on, a valid delay range and a clock that can schedule.
 */
import { type Clock, type Decimal, type DecimalLike, type Market, type TimerClock, ValidationError } from "@autonome/core";
import type { OrderBook } from "../order-book.js";
import { decimalText, parseDecimal } from "./decimal-text.js";
import { LatencyModel } from "./latency.js";
import type { SimulatorOptions } from "./types.js";

/** The defaults of every simulator option. */
export const DEFAULT_SIMULATOR_OPTIONS: Readonly<SimulatorOptions> = Object.freeze({
  initialCapital: "10000",
  takerFeeRate: "0.001",
  makerFeeRate: "0.0005",
  liquidationFeeRate: "0",
  refreshIntervalMs: 5000,
  latency: null,
  seed: 0,
  fundingIntervalMs: 3_600_000,
  externalAccountId: "__external__",
});

/** How the simulator is built: markets, a clock, options, and optionally a book factory. */
export interface ExchangeSimulatorConfig {
  markets: readonly Market[];
  /** A TimerClock is needed for latency and scheduled funding. */
  clock: Clock | TimerClock;
  options?: Partial<SimulatorOptions>;
  /** Builds each market's book (default `new OrderBook({ symbol })`). */
  createBook?: (market: Market) => OrderBook;
}

/** The options with their money as exact values. */
export interface ResolvedOptions {
  options: Readonly<SimulatorOptions>;
  takerFeeRate: Decimal;
  makerFeeRate: Decimal;
  liquidationFeeRate: Decimal;
  /** Capital of an account created without one. */
  defaultCapital: Decimal;
  /** The seeded delay generator, null when latency is off. */
  latency: LatencyModel | null;
}

/** Whether a clock can schedule timers (ManualClock, SystemClock). */
export function isTimerClock(clock: Clock): clock is TimerClock {
  return typeof (clock as Partial<TimerClock>).schedule === "function" && typeof (clock as Partial<TimerClock>).cancel === "function";
}

/** The defaults overlaid with the config's options, checked; throws ValidationError. */
export function resolveConfig(config: ExchangeSimulatorConfig): ResolvedOptions {
  const options: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, ...config.options };
  const rate = (path: string, value: DecimalLike): Decimal => {
    const parsed = parseDecimal(decimalText(value));
    if (parsed === null) throw new ValidationError("invalid simulator options", [{ path, message: "must be a decimal number" }]);
    return parsed;
  };
  const takerFeeRate = rate("takerFeeRate", options.takerFeeRate);
  const makerFeeRate = rate("makerFeeRate", options.makerFeeRate);
  const liquidationFeeRate = rate("liquidationFeeRate", options.liquidationFeeRate);
  const defaultCapital = rate("initialCapital", options.initialCapital);
  if (defaultCapital.lt(0)) throw new ValidationError("invalid simulator options", [{ path: "initialCapital", message: "must not be negative" }]);
  for (const [path, ms] of [["refreshIntervalMs", options.refreshIntervalMs], ["fundingIntervalMs", options.fundingIntervalMs]] as const) {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new ValidationError("invalid simulator options", [{ path, message: "must be a non-negative integer of ms" }]);
  }
  if (options.latency !== null && !isTimerClock(config.clock)) {
    throw new ValidationError("invalid simulator options", [{ path: "latency", message: "latency needs a TimerClock (ManualClock or SystemClock)" }]);
  }
  const latency = options.latency === null ? null : new LatencyModel(options.latency, options.seed);
  const symbols = new Set<string>();
  for (const market of config.markets) {
    if (symbols.has(market.symbol)) throw new ValidationError(`duplicate market symbol ${market.symbol}`);
    symbols.add(market.symbol);
  }
  return { options: Object.freeze(options), takerFeeRate, makerFeeRate, liquidationFeeRate, defaultCapital, latency };
}
