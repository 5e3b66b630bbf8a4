/**
 * Market metadata and the conversions between decimals and the integer ticks and lots
 * that exchanges and the matching engine use.
 *
 * Invariants: tickSize and lotSize are positive decimals (any step, not only powers of
 * ten); priceDecimals and sizeDecimals are their decimal places, so every price on the
 * grid has at most priceDecimals places and every notional at most priceDecimals +
 * sizeDecimals; maxLeverage = 1 / minInitialMarginFraction and defaultLeverage = 1 /
 * initialMarginFraction; the maintenance fraction never exceeds the minimum initial one.
 */
import { z } from "zod";
import { OrderRejectedError, UnknownMarketError, ValidationError, type ValidationIssue } from "./errors.js";
import { Decimal, type DecimalLike, ONE, toDecimal } from "./money.js";

/** A perpetual market: identity, price and size grids, minimums and margin fractions. */
export interface Market {
  /** Symbol, for example "BTC". */
  readonly symbol: string;
  /** Exchange market id (Lighter's market_index, Hyperliquid's asset index); -1 when the market has none. */
  readonly marketId: number;
  /** Decimal places of `tickSize` (a tick of 0.5 has 1). */
  readonly priceDecimals: number;
  /** Decimal places of `lotSize`. */
  readonly sizeDecimals: number;
  /** Smallest price increment: every price is a whole number of ticks. */
  readonly tickSize: Decimal;
  /** Smallest size increment: every size is a whole number of lots. */
  readonly lotSize: Decimal;
  /** Smallest order size in base units. */
  readonly minSize: Decimal;
  /** Smallest order value in quote units (USD). */
  readonly minNotional: Decimal;
  /** Initial margin fraction used when an order names no leverage: 1 / defaultLeverage. */
  readonly initialMarginFraction: Decimal;
  /** Lowest initial margin fraction allowed: 1 / maxLeverage. */
  readonly minInitialMarginFraction: Decimal;
  /** Maintenance margin fraction; below it a position is liquidated. */
  readonly maintenanceMarginFraction: Decimal;
  /** Close-out margin fraction (Lighter's partial liquidation floor). */
  readonly closeoutMarginFraction: Decimal;
  /** Maximum leverage. */
  readonly maxLeverage: Decimal;
  /** Leverage of an order that names none. */
  readonly defaultLeverage: Decimal;
}

/**
 * A market by its grids and leverage, the way most venues document one. Only `symbol`,
 * `tickSize`, `lotSize` and `maxLeverage` are required.
 */
export interface MarketSpec {
  symbol: string;
  /** Price step, any positive decimal ("0.1", "0.5", "0.25"). */
  tickSize: DecimalLike;
  /** Size step, any positive decimal ("0.001", "5"). */
  lotSize: DecimalLike;
  /** Highest leverage an order may use. */
  maxLeverage: DecimalLike;
  /** Leverage of an order that names none. Default: `maxLeverage`. */
  defaultLeverage?: DecimalLike;
  /** Default 1 / (2 x maxLeverage), the rule Hyperliquid uses. */
  maintenanceMarginFraction?: DecimalLike;
  /** Default two thirds of the maintenance fraction. */
  closeoutMarginFraction?: DecimalLike;
  /** Smallest order size in base units. Default: one lot. */
  minSize?: DecimalLike;
  /** Smallest order value in quote units. Default 0 (no limit). */
  minNotional?: DecimalLike;
  /** Exchange market id. Default -1 (none). */
  marketId?: number;
}

/**
 * A market in the form Lighter publishes it (orderBookDetails): decimal places instead of
 * steps, margin fractions instead of leverage. The tick is 10^-priceDecimals and the lot
 * 10^-sizeDecimals.
 */
export interface DecimalMarketSpec {
  symbol: string;
  marketId: number;
  priceDecimals: number;
  sizeDecimals: number;
  minSize?: DecimalLike;
  minNotional?: DecimalLike;
  /** Initial margin fraction of an order that names no leverage (0.05 = 20x). */
  initialMarginFraction: DecimalLike;
  /** Lowest initial margin fraction allowed (sets the maximum leverage); default the initial one. */
  minInitialMarginFraction?: DecimalLike;
  maintenanceMarginFraction: DecimalLike;
  closeoutMarginFraction?: DecimalLike;
}

const decimalLike = z.union([z.string(), z.number(), z.bigint(), z.custom<Decimal>((v) => Decimal.isDecimal(v))]);
const decimalWhere = (test: (d: Decimal) => boolean, message: string) =>
  decimalLike.refine((v) => {
    try {
      const d = toDecimal(v);
      return d.isFinite() && test(d);
    } catch {
      return false;
    }
  }, message);
const fraction = decimalWhere((d) => d.gt(0) && d.lte(1), "must be a fraction in (0, 1]");
const positive = decimalWhere((d) => d.gt(0), "must be a positive decimal");
const nonNegative = decimalWhere((d) => d.gte(0), "must be a non-negative decimal");
/** Letters, digits and `.-_:/`, as venues name markets ("BTC", "kPEPE", "BTC-USD"). */
const symbol = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,31}$/, "must be 1-32 letters, digits or . _ : / - (starting with a letter or digit)");
/** A step with more places than this is not a step a venue uses; it keeps every notional short and exact. */
const MAX_STEP_DECIMALS = 18;
const step = positive.refine((v) => toDecimal(v).decimalPlaces() <= MAX_STEP_DECIMALS, `must have at most ${MAX_STEP_DECIMALS} decimal places`);

const marketSpecSchema = z.object({
  symbol,
  tickSize: step,
  lotSize: step,
  maxLeverage: positive,
  defaultLeverage: positive.optional(),
  maintenanceMarginFraction: fraction.optional(),
  closeoutMarginFraction: fraction.optional(),
  minSize: nonNegative.optional(),
  minNotional: nonNegative.optional(),
  marketId: z.number().int().min(-1).optional(),
});

const decimalMarketSpecSchema = z.object({
  symbol,
  marketId: z.number().int().min(0),
  priceDecimals: z.number().int().min(0).max(12),
  sizeDecimals: z.number().int().min(0).max(12),
  minSize: nonNegative.optional(),
  minNotional: nonNegative.optional(),
  initialMarginFraction: fraction,
  minInitialMarginFraction: fraction.optional(),
  maintenanceMarginFraction: fraction,
  closeoutMarginFraction: fraction.optional(),
});

function invalid(spec: { symbol?: unknown } | undefined, issues: ValidationIssue[]): ValidationError {
  return new ValidationError(`invalid market ${String(spec?.symbol)}`, issues);
}

function parsed<T>(schema: z.ZodType<T>, spec: unknown): T {
  const result = schema.safeParse(spec);
  if (!result.success) {
    throw invalid(spec as { symbol?: unknown }, result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
  }
  return result.data;
}

/** The one constructor every market goes through: checks the fractions against each other and freezes. */
function build(fields: Omit<Market, "priceDecimals" | "sizeDecimals">): Market {
  const issues: ValidationIssue[] = [];
  if (fields.defaultLeverage.gt(fields.maxLeverage)) issues.push({ path: "defaultLeverage", message: "must not exceed maxLeverage" });
  if (fields.maintenanceMarginFraction.gt(fields.minInitialMarginFraction)) {
    issues.push({ path: "maintenanceMarginFraction", message: "must not exceed the minimum initial margin fraction (1 / maxLeverage)" });
  }
  if (issues.length > 0) throw invalid(fields, issues);
  return Object.freeze({ ...fields, priceDecimals: fields.tickSize.decimalPlaces(), sizeDecimals: fields.lotSize.decimalPlaces() });
}

/**
 * Defines a market by its tick size, lot size and maximum leverage (any steps, not only
 * powers of ten), or, given a `DecimalMarketSpec`, by Lighter's decimals and margin
 * fractions. Throws ValidationError naming every bad field.
 */
export function defineMarket(spec: MarketSpec | DecimalMarketSpec): Market {
  if (spec !== null && typeof spec === "object" && !("tickSize" in spec) && "priceDecimals" in spec) return marketFromDecimals(spec);
  const s = parsed(marketSpecSchema, spec);
  const maxLeverage = toDecimal(s.maxLeverage);
  const defaultLeverage = toDecimal(s.defaultLeverage ?? maxLeverage);
  const maintenanceMarginFraction = s.maintenanceMarginFraction === undefined ? ONE.div(maxLeverage.mul(2)) : toDecimal(s.maintenanceMarginFraction);
  const lotSize = toDecimal(s.lotSize);
  return build({
    symbol: s.symbol,
    marketId: s.marketId ?? -1,
    tickSize: toDecimal(s.tickSize),
    lotSize,
    minSize: s.minSize === undefined ? lotSize : toDecimal(s.minSize),
    minNotional: toDecimal(s.minNotional ?? 0),
    initialMarginFraction: ONE.div(defaultLeverage),
    minInitialMarginFraction: ONE.div(maxLeverage),
    maintenanceMarginFraction,
    closeoutMarginFraction: s.closeoutMarginFraction === undefined ? maintenanceMarginFraction.mul(2).div(3) : toDecimal(s.closeoutMarginFraction),
    maxLeverage,
    defaultLeverage,
  });
}

/** Defines a market from Lighter's form: tick 10^-priceDecimals, lot 10^-sizeDecimals, margin fractions. Throws ValidationError. */
export function marketFromDecimals(spec: DecimalMarketSpec): Market {
  const s = parsed(decimalMarketSpecSchema, spec);
  const lotSize = new Decimal(10).pow(-s.sizeDecimals);
  const initialMarginFraction = toDecimal(s.initialMarginFraction);
  const minInitialMarginFraction = toDecimal(s.minInitialMarginFraction ?? s.initialMarginFraction);
  const maintenanceMarginFraction = toDecimal(s.maintenanceMarginFraction);
  return build({
    symbol: s.symbol,
    marketId: s.marketId,
    tickSize: new Decimal(10).pow(-s.priceDecimals),
    lotSize,
    minSize: s.minSize === undefined ? lotSize : toDecimal(s.minSize),
    minNotional: toDecimal(s.minNotional ?? 0),
    initialMarginFraction,
    minInitialMarginFraction,
    maintenanceMarginFraction,
    closeoutMarginFraction: toDecimal(s.closeoutMarginFraction ?? maintenanceMarginFraction.mul(2).div(3)),
    maxLeverage: ONE.div(minInitialMarginFraction),
    defaultLeverage: ONE.div(initialMarginFraction),
  });
}

/**
 * Lighter's six majors, in Lighter's own form (orderBookDetails: decimals, margin fractions
 * in 1/10000, minimum base and quote amounts). ETH, BTC and SOL are from Lighter's
 * published market metadata (the lighter-ts front-end fallback orderBookMetas.json at
 * commit 9367baa, mainnet, as recorded in our Lighter API notes, 2026-12); DOGE, XRP and BNB decimals and fractions are
 * conservative assumptions, not read from Lighter. Lighter changes decimals: live mode
 * always loads markets from orderBookDetails.
 */
const LIGHTER_MARKET_SPECS: readonly DecimalMarketSpec[] = [
  { symbol: "BTC", marketId: 1, priceDecimals: 1, sizeDecimals: 5, minSize: "0.0001", minNotional: "10", initialMarginFraction: "0.05", minInitialMarginFraction: "0.02", maintenanceMarginFraction: "0.012", closeoutMarginFraction: "0.008" },
  { symbol: "ETH", marketId: 0, priceDecimals: 2, sizeDecimals: 4, minSize: "0.005", minNotional: "10", initialMarginFraction: "0.05", minInitialMarginFraction: "0.02", maintenanceMarginFraction: "0.012", closeoutMarginFraction: "0.008" },
  { symbol: "SOL", marketId: 2, priceDecimals: 3, sizeDecimals: 3, minSize: "0.1", minNotional: "10", initialMarginFraction: "0.0666", minInitialMarginFraction: "0.04", maintenanceMarginFraction: "0.024", closeoutMarginFraction: "0.016" },
  { symbol: "BNB", marketId: 25, priceDecimals: 3, sizeDecimals: 2, minSize: "0.02", minNotional: "10", initialMarginFraction: "0.1", minInitialMarginFraction: "0.05", maintenanceMarginFraction: "0.03", closeoutMarginFraction: "0.02" },
  { symbol: "XRP", marketId: 7, priceDecimals: 5, sizeDecimals: 1, minSize: "5", minNotional: "10", initialMarginFraction: "0.1", minInitialMarginFraction: "0.05", maintenanceMarginFraction: "0.03", closeoutMarginFraction: "0.02" },
  { symbol: "DOGE", marketId: 3, priceDecimals: 6, sizeDecimals: 0, minSize: "50", minNotional: "10", initialMarginFraction: "0.1", minInitialMarginFraction: "0.05", maintenanceMarginFraction: "0.03", closeoutMarginFraction: "0.02" },
];

/** Lighter's majors (BTC, ETH, SOL, BNB, XRP, DOGE) with Lighter's ids, grids, minimums and margin fractions; see LIGHTER_MARKET_SPECS for the source. */
export const LIGHTER_MARKETS: readonly Market[] = Object.freeze(LIGHTER_MARKET_SPECS.map(marketFromDecimals));

/**
 * Hyperliquid's majors, read 2026-12-06. Lot = 10^-szDecimals from the mainnet `meta` info
 * response (BTC 5, ETH 4, SOL 2, BNB 3, DOGE 0 in BlockPI's documented `meta` example; XRP 0
 * in a recorded `meta` entry); max leverage from Hyperliquid's docs, "Margin tiers", first
 * tier (BTC 40x, ETH 25x, SOL 20x, XRP 20x, DOGE and BNB 10x); maintenance fraction half the
 * initial margin at max leverage (same page); minimum order value 10 USD. Hyperliquid has no
 * fixed tick: a perp price has at most 5 significant figures and 6 - szDecimals decimals
 * (docs, "Tick and lot size"), so the tick here is what that rule gives in each asset's
 * 2026 price range (BTC 10,000-99,999: 1; ETH 1,000-9,999: 0.1; SOL and BNB 100-999: 0.01;
 * XRP 1-9.99: 0.0001; DOGE 0.1-0.99: 0.00001). Outside that range, define the market with
 * the tick the rule gives there. Hyperliquid addresses an asset by its index in `meta`,
 * which these markets leave unset (marketId -1).
 */
export const HYPERLIQUID_MARKETS: readonly Market[] = Object.freeze(
  (
    [
      { symbol: "BTC", tickSize: "1", lotSize: "0.00001", maxLeverage: 40, minNotional: "10" },
      { symbol: "ETH", tickSize: "0.1", lotSize: "0.0001", maxLeverage: 25, minNotional: "10" },
      { symbol: "SOL", tickSize: "0.01", lotSize: "0.01", maxLeverage: 20, minNotional: "10" },
      { symbol: "XRP", tickSize: "0.0001", lotSize: "1", maxLeverage: 20, minNotional: "10" },
      { symbol: "DOGE", tickSize: "0.00001", lotSize: "1", maxLeverage: 10, minNotional: "10" },
      { symbol: "BNB", tickSize: "0.01", lotSize: "0.001", maxLeverage: 10, minNotional: "10" },
    ] satisfies MarketSpec[]
  ).map((spec) => defineMarket(spec)),
);

/** The markets the arena trades by default: Lighter's majors. */
export const DEFAULT_MARKETS: readonly Market[] = LIGHTER_MARKETS;

/** Markets indexed by symbol and by id. */
export class MarketRegistry {
  private readonly bySymbol = new Map<string, Market>();
  private readonly byId = new Map<number, Market>();

  constructor(markets: Iterable<Market>) {
    for (const market of markets) {
      if (this.bySymbol.has(market.symbol)) throw new ValidationError(`duplicate market symbol ${market.symbol}`);
      if (market.marketId >= 0 && this.byId.has(market.marketId)) throw new ValidationError(`duplicate market id ${market.marketId}`);
      this.bySymbol.set(market.symbol, market);
      if (market.marketId >= 0) this.byId.set(market.marketId, market);
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
