/**
 * Market metadata and the conversions between decimals and the integer
 * ticks and lots that exchanges and the matching engine use.
 * Invariant: tickSize = 10^-priceDecimals and lotSize = 10^-sizeDecimals.
 */
import { z } from "zod";
import { OrderRejectedError, UnknownMarketError, ValidationError } from "./errors.js";
import { Decimal, type DecimalLike, ONE, toDecimal } from "./money.js";

/** A perpetual market: identity, precision, minimums and margin fractions. */
export interface Market {
  /** Base asset symbol, for example "BTC". */
  readonly symbol: string;
  /** Exchange market id (Lighter's market_index). */
  readonly marketId: number;
  /** Decimal places of a price; the tick is 10^-priceDecimals. */
  readonly priceDecimals: number;
  /** Decimal places of a size; the lot is 10^-sizeDecimals. */
  readonly sizeDecimals: number;
  /** Smallest price increment. */
  readonly tickSize: Decimal;
  /** Smallest size increment. */
  readonly lotSize: Decimal;
  /** Smallest order size in base units. */
  readonly minSize: Decimal;
  /** Smallest order value in quote units (USD). */
  readonly minNotional: Decimal;
  /** Initial margin fraction used by default (0.05 = 20x). */
  readonly initialMarginFraction: Decimal;
  /** Lowest initial margin fraction allowed; sets the maximum leverage. */
  readonly minInitialMarginFraction: Decimal;
  /** Maintenance margin fraction; below it a position is liquidated. */
  readonly maintenanceMarginFraction: Decimal;
  /** Close-out margin fraction (Lighter's partial liquidation floor). */
  readonly closeoutMarginFraction: Decimal;
  /** Maximum leverage, 1 / minInitialMarginFraction. */
  readonly maxLeverage: Decimal;
}

/** What defines a market; fractions are plain fractions (0.05), not exchange ticks. */
export interface MarketSpec {
  symbol: string;
  marketId: number;
  priceDecimals: number;
  sizeDecimals: number;
  minSize?: DecimalLike;
  minNotional?: DecimalLike;
  initialMarginFraction: DecimalLike;
  minInitialMarginFraction?: DecimalLike;
  maintenanceMarginFraction: DecimalLike;
  closeoutMarginFraction?: DecimalLike;
}

const decimalLike = z.union([z.string(), z.number(), z.bigint(), z.custom<Decimal>((v) => Decimal.isDecimal(v))]);
const fraction = decimalLike.refine((v) => {
  try {
    const d = toDecimal(v);
    return d.gt(0) && d.lte(1);
  } catch {
    return false;
  }
}, "must be a fraction in (0, 1]");

const marketSpecSchema = z.object({
  symbol: z.string().regex(/^[A-Z0-9]{1,20}$/, "must be 1-20 upper-case letters or digits"),
  marketId: z.number().int().min(0),
  priceDecimals: z.number().int().min(0).max(12),
  sizeDecimals: z.number().int().min(0).max(12),
  minSize: decimalLike.optional(),
  minNotional: decimalLike.optional(),
  initialMarginFraction: fraction,
  minInitialMarginFraction: fraction.optional(),
  maintenanceMarginFraction: fraction,
  closeoutMarginFraction: fraction.optional(),
});

/** Validates a spec and derives tick, lot and maximum leverage. Throws ValidationError. */
export function defineMarket(spec: MarketSpec): Market {
  const parsed = marketSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new ValidationError(
      `invalid market ${String(spec?.symbol)}`,
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  const tickSize = new Decimal(10).pow(-spec.priceDecimals);
  const lotSize = new Decimal(10).pow(-spec.sizeDecimals);
  const initialMarginFraction = toDecimal(spec.initialMarginFraction);
  const minInitialMarginFraction = toDecimal(spec.minInitialMarginFraction ?? spec.initialMarginFraction);
  const maintenanceMarginFraction = toDecimal(spec.maintenanceMarginFraction);
  if (maintenanceMarginFraction.gt(minInitialMarginFraction)) {
    throw new ValidationError(`invalid market ${spec.symbol}`, [
      { path: "maintenanceMarginFraction", message: "must not exceed the minimum initial margin fraction" },
    ]);
  }
  return Object.freeze({
    symbol: spec.symbol,
    marketId: spec.marketId,
    priceDecimals: spec.priceDecimals,
    sizeDecimals: spec.sizeDecimals,
    tickSize,
    lotSize,
    minSize: spec.minSize === undefined ? lotSize : toDecimal(spec.minSize),
    minNotional: spec.minNotional === undefined ? new Decimal(0) : toDecimal(spec.minNotional),
    initialMarginFraction,
    minInitialMarginFraction,
    maintenanceMarginFraction,
    closeoutMarginFraction: toDecimal(spec.closeoutMarginFraction ?? maintenanceMarginFraction.mul(2).div(3)),
    maxLeverage: ONE.div(minInitialMarginFraction),
  });
}

/**
 * Lighter's six majors as a fallback when the exchange cannot be asked. ETH, BTC
 * and SOL are from Lighter's published market metadata; DOGE, XRP and BNB
 * decimals and fractions are conservative assumptions. Live mode always loads
 * markets from orderBookDetails, because Lighter changes decimals.
 */
export const DEFAULT_MARKET_SPECS: readonly MarketSpec[] = [
  { symbol: "BTC", marketId: 1, priceDecimals: 1, sizeDecimals: 5, minSize: "0.0001", minNotional: "10", initialMarginFraction: "0.05", minInitialMarginFraction: "0.02", maintenanceMarginFraction: "0.012", closeoutMarginFraction: "0.008" },
  { symbol: "ETH", marketId: 0, priceDecimals: 2, sizeDecimals: 4, minSize: "0.005", minNotional: "10", initialMarginFraction: "0.05", minInitialMarginFraction: "0.02", maintenanceMarginFraction: "0.012", closeoutMarginFraction: "0.008" },
  { symbol: "SOL", marketId: 2, priceDecimals: 3, sizeDecimals: 3, minSize: "0.1", minNotional: "10", initialMarginFraction: "0.0666", minInitialMarginFraction: "0.04", maintenanceMarginFraction: "0.024", closeoutMarginFraction: "0.016" },
  { symbol: "BNB", marketId: 25, priceDecimals: 3, sizeDecimals: 2, minSize: "0.02", minNotional: "10", initialMarginFraction: "0.1", minInitialMarginFraction: "0.05", maintenanceMarginFraction: "0.03", closeoutMarginFraction: "0.02" },
  { symbol: "XRP", marketId: 7, priceDecimals: 5, sizeDecimals: 1, minSize: "5", minNotional: "10", initialMarginFraction: "0.1", minInitialMarginFraction: "0.05", maintenanceMarginFraction: "0.03", closeoutMarginFraction: "0.02" },
  { symbol: "DOGE", marketId: 3, priceDecimals: 6, sizeDecimals: 0, minSize: "50", minNotional: "10", initialMarginFraction: "0.1", minInitialMarginFraction: "0.05", maintenanceMarginFraction: "0.03", closeoutMarginFraction: "0.02" },
];

/** The default markets, defined and frozen. */
export const DEFAULT_MARKETS: readonly Market[] = DEFAULT_MARKET_SPECS.map(defineMarket);

/** Markets indexed by symbol and by id. */
export class MarketRegistry {
  private readonly bySymbol = new Map<string, Market>();
  private readonly byId = new Map<number, Market>();

  constructor(markets: Iterable<Market>) {
    for (const market of markets) {
      if (this.bySymbol.has(market.symbol)) throw new ValidationError(`duplicate market symbol ${market.symbol}`);
      if (this.byId.has(market.marketId)) throw new ValidationError(`duplicate market id ${market.marketId}`);
      this.bySymbol.set(market.symbol, market);
      this.byId.set(market.marketId, market);
    }
  }

  /** The market of a symbol; throws UnknownMarketError. */
  get(symbol: string): Market {
    const market = this.bySymbol.get(symbol);
    if (!market) throw new UnknownMarketError(symbol);
    return market;
  }

  /** The market of an exchange id; throws UnknownMarketError. */
  getById(marketId: number): Market {
    const market = this.byId.get(marketId);
    if (!market) throw new UnknownMarketError(marketId);
    return market;
  }

  /** Whether a symbol is known. */
  has(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  /** All symbols in insertion order. */
  symbols(): string[] {
    return [...this.bySymbol.keys()];
  }

  /** All markets in insertion order. */
  all(): Market[] {
    return [...this.bySymbol.values()];
  }
}

/** Converts a price to integer ticks; rejects prices off the tick grid or out of the safe range. */
export function priceToTicks(market: Market, price: DecimalLike, orderId = "?"): number {
  const value = toDecimal(price);
  if (value.lte(0)) throw new OrderRejectedError("NON_POSITIVE_PRICE", orderId, `${market.symbol} price ${value.toString()}`);
  const ticks = value.div(market.tickSize);
  if (!ticks.isInteger()) {
    throw new OrderRejectedError("INVALID_PRICE_TICK", orderId, `${value.toString()} is not a multiple of ${market.tickSize.toString()}`);
  }
  if (ticks.gt(Number.MAX_SAFE_INTEGER)) throw new OrderRejectedError("PRICE_OUT_OF_RANGE", orderId);
  return ticks.toNumber();
}

/** Converts a size to integer lots; rejects sizes off the lot grid, non-positive or out of range. */
export function sizeToLots(market: Market, size: DecimalLike, orderId = "?"): number {
  const value = toDecimal(size);
  if (value.lte(0)) throw new OrderRejectedError("NON_POSITIVE_SIZE", orderId, `${market.symbol} size ${value.toString()}`);
  const lots = value.div(market.lotSize);
  if (!lots.isInteger()) {
    throw new OrderRejectedError("INVALID_SIZE_LOT", orderId, `${value.toString()} is not a multiple of ${market.lotSize.toString()}`);
  }
  if (lots.gt(Number.MAX_SAFE_INTEGER)) throw new OrderRejectedError("SIZE_OUT_OF_RANGE", orderId);
  return lots.toNumber();
}

/** Converts integer ticks back to a price. */
export function ticksToPrice(market: Market, ticks: number): Decimal {
  return market.tickSize.mul(ticks);
}

/** Converts integer lots back to a size. */
export function lotsToSize(market: Market, lots: number): Decimal {
  return market.lotSize.mul(lots);
}
