import { describe, expect, it } from "vitest";
import { type OrderRejectedError, UnknownMarketError, ValidationError } from "./errors.js";
import {
  DEFAULT_MARKETS,
  HYPERLIQUID_MARKETS,
  LIGHTER_MARKETS,
  MarketRegistry,
  defineMarket,
  lotsToSize,
  marketFromDecimals,
  priceToTicks,
  sizeToLots,
  ticksToPrice,
} from "./market.js";

const eth = defineMarket({ symbol: "ETH", marketId: 0, priceDecimals: 2, sizeDecimals: 4, minSize: "0.005", initialMarginFraction: "0.05", minInitialMarginFraction: "0.02", maintenanceMarginFraction: "0.012" });

describe("defineMarket", () => {
  it("derives tick, lot and maximum leverage from Lighter's decimal form", () => {
    expect(eth.tickSize.toString()).toBe("0.01");
    expect(eth.lotSize.toString()).toBe("0.0001");
    expect(eth.maxLeverage.toString()).toBe("50");
    expect(eth.defaultLeverage.toString()).toBe("20");
    expect(marketFromDecimals({ symbol: "ETH", marketId: 0, priceDecimals: 2, sizeDecimals: 4, minSize: "0.005", initialMarginFraction: "0.05", minInitialMarginFraction: "0.02", maintenanceMarginFraction: "0.012" })).toEqual(eth);
  });

  it("defines a market by tick, lot and max leverage, with steps that are not powers of ten", () => {
    const m = defineMarket({ symbol: "kPEPE", tickSize: "0.5", lotSize: "25", maxLeverage: 8 });
    expect([m.tickSize, m.lotSize, m.maxLeverage, m.defaultLeverage].map(String)).toEqual(["0.5", "25", "8", "8"]);
    // Defaults: mmf = 1 / (2 x 8), close-out two thirds of it, min size one lot, no notional floor, no id.
    expect([m.maintenanceMarginFraction, m.minInitialMarginFraction, m.minSize, m.minNotional].map(String)).toEqual(["0.0625", "0.125", "25", "0"]);
    expect(m.closeoutMarginFraction.mul(3).toString()).toBe("0.125");
    expect([m.priceDecimals, m.sizeDecimals, m.marketId]).toEqual([1, 0, -1]);
    expect(priceToTicks(m, "100.5")).toBe(201);
    expect(ticksToPrice(m, 201).toString()).toBe("100.5");
    expect(sizeToLots(m, "75")).toBe(3);
    expect(() => priceToTicks(m, "100.25")).toThrow(/not a multiple of 0.5/);
    expect(() => sizeToLots(m, "30")).toThrow(/not a multiple of 25/);
  });

  it("refuses a default leverage above the maximum and bad steps, naming each field", () => {
    try {
      defineMarket({ symbol: "X", tickSize: "0", lotSize: "-1", maxLeverage: 10, defaultLeverage: 20 });
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["tickSize", "lotSize"]);
    }
    expect(() => defineMarket({ symbol: "X", tickSize: "1", lotSize: "1", maxLeverage: 10, defaultLeverage: 20 })).toThrow(/defaultLeverage: must not exceed maxLeverage/);
    expect(() => defineMarket({ symbol: "X", tickSize: "1", lotSize: "1", maxLeverage: 10, maintenanceMarginFraction: "0.2" })).toThrow(/maintenanceMarginFraction/);
  });

  it("rejects a malformed spec with every problem named", () => {
    expect(() => defineMarket({ symbol: "E T H", marketId: -1, priceDecimals: 2, sizeDecimals: 4, initialMarginFraction: 2, maintenanceMarginFraction: "0.01" })).toThrow(ValidationError);
    try {
      defineMarket({ symbol: "E T H", marketId: -1, priceDecimals: 2, sizeDecimals: 4, initialMarginFraction: 2, maintenanceMarginFraction: "0.01" });
    } catch (error) {
      const issues = (error as ValidationError).issues.map((i) => i.path);
      expect(issues).toEqual(expect.arrayContaining(["symbol", "marketId", "initialMarginFraction"]));
    }
  });

  it("refuses a maintenance fraction above the initial one", () => {
    expect(() => defineMarket({ symbol: "X", marketId: 1, priceDecimals: 2, sizeDecimals: 2, initialMarginFraction: "0.05", maintenanceMarginFraction: "0.1" })).toThrow(/maintenance/);
  });
});

describe("tick and lot conversion", () => {
  it("round-trips prices and sizes through integers", () => {
    expect(priceToTicks(eth, "3090.49")).toBe(309049);
    expect(ticksToPrice(eth, 309049).toString()).toBe("3090.49");
    expect(sizeToLots(eth, "0.0125")).toBe(125);
    expect(lotsToSize(eth, 125).toString()).toBe("0.0125");
  });

  it("rejects off-grid, non-positive and oversized values with typed reasons", () => {
    const reasonOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as OrderRejectedError).reason;
      }
      return "none";
    };
    expect(reasonOf(() => priceToTicks(eth, "3090.495"))).toBe("INVALID_PRICE_TICK");
    expect(reasonOf(() => priceToTicks(eth, 0))).toBe("NON_POSITIVE_PRICE");
    expect(reasonOf(() => sizeToLots(eth, "0.00001"))).toBe("INVALID_SIZE_LOT");
    expect(reasonOf(() => sizeToLots(eth, -1))).toBe("NON_POSITIVE_SIZE");
    expect(reasonOf(() => sizeToLots(eth, "1e20"))).toBe("SIZE_OUT_OF_RANGE");
  });
});

describe("the ready-made tables", () => {
  it("keeps Lighter's majors as the default markets", () => {
    expect(DEFAULT_MARKETS).toBe(LIGHTER_MARKETS);
    const btc = LIGHTER_MARKETS.find((m) => m.symbol === "BTC")!;
    expect([btc.tickSize, btc.lotSize, btc.maxLeverage, btc.minSize, btc.minNotional].map(String)).toEqual(["0.1", "0.00001", "50", "0.0001", "10"]);
  });

  it("lists Hyperliquid's majors with lot 10^-szDecimals, first-tier max leverage and half its margin as maintenance", () => {
    const rows = HYPERLIQUID_MARKETS.map((m) => [m.symbol, m.tickSize.toString(), m.lotSize.toString(), m.maxLeverage.toString(), m.maintenanceMarginFraction.toString()]);
    expect(rows).toEqual([
      ["BTC", "1", "0.00001", "40", "0.0125"],
      ["ETH", "0.1", "0.0001", "25", "0.02"],
      ["SOL", "0.01", "0.01", "20", "0.025"],
      ["XRP", "0.0001", "1", "20", "0.025"],
      ["DOGE", "0.00001", "1", "10", "0.05"],
      ["BNB", "0.01", "0.001", "10", "0.05"],
    ]);
    // Each tick is the 5-significant-figure step of a price in the documented range, within 6 - szDecimals places.
    for (const [m, price] of HYPERLIQUID_MARKETS.map((m, i) => [m, ["65432", "3456.7", "145.67", "2.1234", "0.17123", "612.34"][i]!] as const)) {
      expect(priceToTicks(m, price)).toBeGreaterThan(0);
      expect(m.priceDecimals).toBeLessThanOrEqual(6 - m.sizeDecimals);
    }
    expect(new MarketRegistry(HYPERLIQUID_MARKETS).symbols()).toHaveLength(6);
  });
});

describe("MarketRegistry", () => {
  it("finds the default majors by symbol and id and refuses unknown ones", () => {
    const registry = new MarketRegistry(DEFAULT_MARKETS);
    expect(registry.symbols()).toEqual(["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE"]);
    expect(registry.get("BTC").marketId).toBe(1);
    expect(registry.getById(0).symbol).toBe("ETH");
    expect(() => registry.get("PEPE")).toThrow(UnknownMarketError);
    expect(() => new MarketRegistry([eth, eth])).toThrow(/duplicate/);
  });
});
