/**
 * How a simulator is configured: the option defaults, the config it is built from, and the
 * checks that turn options into exact values. Invariant: a config that passes
 * `resolveConfig` has a clock, exact rates and capital, non-negative integer intervals and
 * sizes, known option names, unique market symbols and, when latency is on, a valid delay
 * range and a clock that can schedule; anything else throws ValidationError naming the option.
 */
import { isList } from "./commands.js";
import { type Clock, type Decimal, type Market, SystemClock, type TimerClock, ValidationError } from "@autonome/core";
import type { OrderBook } from "../order-book.js";
import { decimalInput } from "../decimal-input.js";
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
  fundingIntervalMs: 0,
  externalAccountId: "__external__",
  eventLogSize: 0,
});

/** How the simulator is built: markets, a clock, options, and optionally a book factory. */
export interface ExchangeSimulatorConfig {
  /** The markets it trades (`defineMarket`, `LIGHTER_MARKETS`, `HYPERLIQUID_MARKETS`). */
  markets: readonly Market[];
  /**
   * Where time comes from. Default: the system clock. A backtest passes a `ManualClock`;
   * latency and scheduled funding need a clock that can schedule (`TimerClock`).
   */
  clock?: Clock | TimerClock;
  options?: Partial<SimulatorOptions>;
  /** Builds each market's book (default `new OrderBook({ symbol })`). */
  createBook?: (market: Market) => OrderBook;
}

/** The options with their money as exact values. */
export interface ResolvedOptions {
  clock: Clock;
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
  const invalid = (path: string, message: string) => new ValidationError("invalid simulator options", [{ path, message }]);
  if (config === null || typeof config !== "object" || !isList(config.markets)) throw invalid("markets", "must be an array of markets (defineMarket)");
  for (const key of Object.keys(config.options ?? {})) {
    if (!(key in DEFAULT_SIMULATOR_OPTIONS)) throw invalid(key, `unknown option; known: ${Object.keys(DEFAULT_SIMULATOR_OPTIONS).join(", ")}`);
  }
  const options: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS };
  for (const [key, value] of Object.entries(config.options ?? {})) if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  const clock = config.clock ?? new SystemClock();
  if (typeof (clock as Partial<Clock>).now !== "function") throw invalid("clock", "must have a now() method (a Clock)");
  const takerFeeRate = decimalInput(options.takerFeeRate, "takerFeeRate");
  const makerFeeRate = decimalInput(options.makerFeeRate, "makerFeeRate");
  const liquidationFeeRate = decimalInput(options.liquidationFeeRate, "liquidationFeeRate");
  const defaultCapital = decimalInput(options.initialCapital, "initialCapital");
  if (defaultCapital.lt(0)) throw invalid("initialCapital", "must not be negative");
  for (const [path, n] of [["refreshIntervalMs", options.refreshIntervalMs], ["fundingIntervalMs", options.fundingIntervalMs], ["eventLogSize", options.eventLogSize]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw invalid(path, "must be a non-negative integer");
  }
  if (typeof options.externalAccountId !== "string" || options.externalAccountId.length === 0) throw invalid("externalAccountId", "must be a non-empty string");
  if (options.latency !== null && !isTimerClock(clock)) {
    throw invalid("latency", "latency needs a TimerClock (ManualClock or SystemClock)");
  }
  const latency = options.latency === null ? null : new LatencyModel(options.latency, options.seed);
  const symbols = new Set<string>();
  for (const market of config.markets) {
    if (symbols.has(market.symbol)) throw new ValidationError(`duplicate market symbol ${market.symbol}`, [{ path: "markets", message: `${market.symbol} appears twice` }]);
    symbols.add(market.symbol);
  }
  return { clock, options: Object.freeze(options), takerFeeRate, makerFeeRate, liquidationFeeRate, defaultCapital, latency };
}
