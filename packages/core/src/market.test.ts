import { describe, expect, it } from "vitest";
import { type OrderRejectedError, UnknownMarketError, ValidationError } from "./errors.js";
import { DEFAULT_MARKETS, MarketRegistry, defineMarket, lotsToSize, priceToTicks, sizeToLots, ticksToPrice } from "./market.js";

const eth = defineMarket({ symbol: "ETH", marketId: 0, priceDecimals: 2, sizeDecimals: 4, minSize: "0.005", initialMarginFraction: "0.05", minInitialMarginFraction: "0.02", maintenanceMarginFraction: "0.012" });

describe("defineMarket", () => {
  it("derives tick, lot and maximum leverage from the spec", () => {
    expect(eth.tickSize.toString()).toBe("0.01");
    expect(eth.lotSize.toString()).toBe("0.0001");
    expect(eth.maxLeverage.toString()).toBe("50");
  });

  it("rejects a malformed spec with every problem named", () => {
    expect(() => defineMarket({ symbol: "eth", marketId: -1, priceDecimals: 2, sizeDecimals: 4, initialMarginFraction: 2, maintenanceMarginFraction: "0.01" })).toThrow(ValidationError);
    try {
      defineMarket({ symbol: "eth", marketId: -1, priceDecimals: 2, sizeDecimals: 4, initialMarginFraction: 2, maintenanceMarginFraction: "0.01" });
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
