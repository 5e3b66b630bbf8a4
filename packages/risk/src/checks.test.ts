import { RiskLimitError, type TradingDecision, marketFromDecimals } from "@autonome/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type RiskCheckResult, type RiskContext, DEFAULT_RISK_LIMITS, checkDecision, toRiskLimitError } from "./checks.js";
import { evaluateCircuitBreaker } from "./circuit-breaker.js";
import { MARKETS, d, plan, position } from "./testing/fixtures.js";

const NOW = 1_000_000_000;

function context(overrides: Partial<RiskContext> = {}): RiskContext {
  return {
    nowMs: NOW,
    accountValue: d(10000),
    positions: [],
    marks: new Map([
      ["BTC", d(100000)],
      ["ETH", d(3000)],
      ["SOL", d(150)],
    ]),
    markets: MARKETS,
    recentCloses: [],
    actedSymbols: new Set(),
    ...overrides,
  };
}

function longBtc(overrides: Partial<Extract<TradingDecision, { type: "CREATE_POSITION" }>> = {}): TradingDecision {
  return {
    type: "CREATE_POSITION",
    symbol: "BTC",
    side: "LONG",
    quantity: d("0.05"),
    riskUsd: null,
    leverage: d(10),
    exitPlan: plan({ stop: d(98000), target: d(106000), confidence: 0.7 }),
    ...overrides,
  };
}

function rejected(result: RiskCheckResult): { check: string; reason: string } {
  if (result.ok) throw new Error("expected a rejection");
  return result;
}

describe("checkDecision", () => {
  it("approves a sound entry and returns its final quantity", () => {
    const result = checkDecision(longBtc(), context());
    expect(result.ok).toBe(true);
    if (result.ok && result.decision.type === "CREATE_POSITION") expect(result.decision.quantity?.toString()).toBe("0.05");
  });

  it("sizes an entry given as risk_usd from the stop and confidence", () => {
    const result = checkDecision(longBtc({ quantity: null, riskUsd: d(100) }), context());
    expect(result.ok).toBe(true);
    if (result.ok && result.decision.type === "CREATE_POSITION") expect(result.decision.quantity?.toString()).toBe("0.035");
    expect(result.ok && result.notes[0]).toMatch(/sized 0.035 BTC from risk \$100/);
  });

  it("rounds a leverage with more places than Orders record (2) down, never up, and tells the model", () => {
    const result = checkDecision(longBtc({ leverage: d("2.555") }), context());
    if (!result.ok || result.decision.type !== "CREATE_POSITION") throw new Error("expected an approval");
    expect(result.decision.leverage.toString()).toBe("2.55");
    expect(result.notes).toContain("leverage 2.555x rounded down to 2.55x (leverage has 2 decimal places)");
    // A leverage Orders can hold is used as it is, without a note.
    const exact = checkDecision(longBtc({ leverage: d("2.5") }), context());
    expect(exact.ok && exact.decision.type === "CREATE_POSITION" && exact.decision.leverage.toString()).toBe("2.5");
    expect(exact.ok && exact.notes).toEqual([]);
  });

  it("rounds a size down to the lot and says so, rounds a lot finer than Orders record down to 8 places, and refuses 10^10 or more", () => {
    const lot = checkDecision(longBtc({ quantity: d("0.0512345") }), context());
    expect(lot.ok && lot.decision.type === "CREATE_POSITION" && lot.decision.quantity?.toString()).toBe("0.05123");
    expect(lot.ok && lot.notes).toContain("quantity 0.0512345 rounded down to 0.05123 (the BTC lot is 0.00001)");
    // A market with a lot of 1e-10 (Lighter allows up to 12 decimals).
    const fine = marketFromDecimals({ symbol: "PEPE", marketId: 99, priceDecimals: 10, sizeDecimals: 10, minSize: "0.0000000001", minNotional: "0", initialMarginFraction: "0.1", minInitialMarginFraction: "0.1", maintenanceMarginFraction: "0.03", closeoutMarginFraction: "0.02" });
    const ctx = context({ markets: new Map([...MARKETS, ["PEPE", fine]]), marks: new Map([["PEPE", d("0.5")]]) });
    const pepe = (quantity: string) =>
      checkDecision(longBtc({ symbol: "PEPE", quantity: d(quantity), leverage: d(2), exitPlan: plan({ stop: d("0.4") }) }), ctx, { ...DEFAULT_RISK_LIMITS, maxPositionNotionalUsd: d("1e12"), maxTotalNotionalUsd: d("1e12") });
    const small = pepe("1.0123456789");
    expect(small.ok && small.decision.type === "CREATE_POSITION" && small.decision.quantity?.toString()).toBe("1.01234567");
    expect(small.ok && small.notes).toContain("quantity 1.0123456789 rounded down to 1.01234567 (sizes have 8 decimal places)");
    expect(rejected(pepe("10000000000")).check).toBe("INVALID_SIZE");
    expect(pepe("9999999999.99999999").ok).toBe(true);
  });

  it("approves only leverage and sizes Orders record exactly: at most 2 and 8 places, never above what was asked (property)", () => {
    const places = (max: number) => fc.integer({ min: 0, max }).map((p) => p);
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 2_000_000 }), places(6), fc.integer({ min: 1, max: 10_000_000 }), places(10), (lev, levPlaces, qty, qtyPlaces) => {
        const leverage = d(lev).div(d(10).pow(levPlaces)).plus(1);
        const quantity = d(qty).div(d(10).pow(qtyPlaces));
        const result = checkDecision(longBtc({ leverage, quantity, exitPlan: plan({ stop: d(99_500) }) }), context(), { ...DEFAULT_RISK_LIMITS, maxLeverage: 50, maxPositionNotionalUsd: d("1e15"), maxTotalNotionalUsd: d("1e15") });
        if (!result.ok || result.decision.type !== "CREATE_POSITION") return;
        expect(result.decision.leverage.decimalPlaces()).toBeLessThanOrEqual(2);
        expect(result.decision.leverage.lte(leverage)).toBe(true);
        expect(leverage.minus(result.decision.leverage).lt("0.01")).toBe(true);
        const q = result.decision.quantity!;
        expect(q.decimalPlaces()).toBeLessThanOrEqual(8);
        expect(q.lte(quantity) && q.lt("1e10")).toBe(true);
      }),
      { seed: 15, numRuns: 500 },
    );
  });

  it("refuses leverage above the market's maximum from its margin fraction, then above the model's", () => {
    // BTC min initial margin fraction 0.02 -> 50x
    expect(rejected(checkDecision(longBtc({ leverage: d(60) }), context())).check).toBe("MARKET_MAX_LEVERAGE");
    expect(rejected(checkDecision(longBtc({ leverage: d(30) }), context())).check).toBe("MODEL_MAX_LEVERAGE");
    expect(checkDecision(longBtc({ leverage: d(30) }), context(), { ...DEFAULT_RISK_LIMITS, maxLeverage: 50, minLiquidationDistance: 0 }).ok).toBe(true);
  });

  it("refuses a stop on the wrong side of entry, and a target on the wrong side", () => {
    const stop = rejected(checkDecision(longBtc({ exitPlan: plan({ stop: d(101000) }) }), context()));
    expect(stop.check).toBe("STOP_WRONG_SIDE");
    expect(stop.reason).toBe("a LONG stop must be below the entry price 100000, got 101000");
    const shortStop = checkDecision(longBtc({ side: "SHORT", exitPlan: plan({ stop: d(99000) }) }), context());
    expect(rejected(shortStop).check).toBe("STOP_WRONG_SIDE");
    expect(rejected(checkDecision(longBtc({ exitPlan: plan({ stop: d(98000), target: d(99000) }) }), context())).check).toBe("TARGET_WRONG_SIDE");
    expect(rejected(checkDecision(longBtc({ exitPlan: plan() }), context())).check).toBe("STOP_REQUIRED");
  });

  it("refuses an entry whose liquidation is too close or inside the stop", () => {
    const limits = { ...DEFAULT_RISK_LIMITS, maxLeverage: 50, minLiquidationDistance: 0.05 };
    // 25x: cushion 0.04 - 0.012 = 2.8% < 5%
    expect(rejected(checkDecision(longBtc({ leverage: d(25) }), context(), limits)).check).toBe("MIN_LIQUIDATION_DISTANCE");
    // 20x: liquidation at 100000 * (1 - 0.038) = 96200, the stop at 95000 lies beyond it
    const beyond = rejected(checkDecision(longBtc({ leverage: d(20), exitPlan: plan({ stop: d(95000) }) }), context(), { ...limits, minLiquidationDistance: 0.02 }));
    expect(beyond.check).toBe("STOP_BEYOND_LIQUIDATION");
    expect(beyond.reason).toMatch(/liquidation price 96200/);
  });

  it("refuses notional above the per-position and total limits", () => {
    const limits = { ...DEFAULT_RISK_LIMITS, maxPositionNotionalUsd: d(4000), maxTotalNotionalUsd: d(12000) };
    expect(rejected(checkDecision(longBtc(), context(), limits)).check).toBe("MAX_POSITION_NOTIONAL");
    const withEth = context({ positions: [position("ETH", "LONG", "3", "3000", "5")] });
    // 5000 new + 9000 open = 14000 > 12000
    const total = rejected(checkDecision(longBtc(), withEth, { ...limits, maxPositionNotionalUsd: d(6000) }));
    expect(total.check).toBe("MAX_TOTAL_NOTIONAL");
    expect(total.reason).toBe("total notional would be $14000, above the limit $12000");
  });

  it("refuses an entry in cooldown and a flip right after a close, but allows re-entering the same side", () => {
    const cooling = context({ recentCloses: [{ symbol: "BTC", side: "LONG", closedAt: NOW - 10 * 60_000, exitPlan: { cooldownUntil: NOW + 30 * 60_000 } }] });
    const cooldown = rejected(checkDecision(longBtc(), cooling));
    expect(cooldown.check).toBe("COOLDOWN");
    expect(cooldown.reason).toBe("BTC is in cooldown for 30 more minute(s)");
    const closedShort = context({ recentCloses: [{ symbol: "BTC", side: "SHORT", closedAt: NOW - 10 * 60_000, exitPlan: { cooldownUntil: null } }] });
    expect(rejected(checkDecision(longBtc(), closedShort)).check).toBe("NO_FLIP");
    const closedLong = context({ recentCloses: [{ symbol: "BTC", side: "LONG", closedAt: NOW - 10 * 60_000, exitPlan: { cooldownUntil: null } }] });
    expect(checkDecision(longBtc(), closedLong).ok).toBe(true);
    const longAgo = context({ recentCloses: [{ symbol: "BTC", side: "SHORT", closedAt: NOW - 2 * 3_600_000, exitPlan: { cooldownUntil: null } }] });
    expect(checkDecision(longBtc(), longAgo).ok).toBe(true);
  });

  it("allows one action per symbol per run, whatever the action", () => {
    const acted = context({ actedSymbols: new Set(["BTC"]), positions: [position("BTC", "LONG", "0.1", "99000", "5")] });
    expect(rejected(checkDecision({ type: "CLOSE_POSITION", symbol: "BTC", reason: "x" }, acted)).check).toBe("ONE_ACTION_PER_SYMBOL");
    expect(rejected(checkDecision({ type: "UPDATE_EXIT_PLAN", symbol: "BTC", exitPlan: plan() }, acted)).check).toBe("ONE_ACTION_PER_SYMBOL");
    expect(checkDecision({ type: "HOLDING", reason: "wait" }, acted).ok).toBe(true);
  });

  it("refuses entries beyond max open positions, onto an open symbol, and on an unknown market", () => {
    const full = context({ positions: [position("ETH", "LONG", "1", "3000", "5"), position("SOL", "LONG", "1", "150", "5")] });
    expect(rejected(checkDecision(longBtc(), full, { ...DEFAULT_RISK_LIMITS, maxOpenPositions: 2 })).check).toBe("MAX_OPEN_POSITIONS");
    const open = context({ positions: [position("BTC", "LONG", "1", "100000", "5")] });
    expect(rejected(checkDecision(longBtc(), open)).check).toBe("POSITION_EXISTS");
    expect(rejected(checkDecision(longBtc({ symbol: "PEPE" }), context())).check).toBe("UNKNOWN_MARKET");
  });

  it("refuses sizes below the market minimum or without quantity and risk", () => {
    expect(rejected(checkDecision(longBtc({ quantity: d("0.00001") }), context())).check).toBe("BELOW_MINIMUM");
    expect(rejected(checkDecision(longBtc({ quantity: null }), context())).check).toBe("INVALID_SIZE");
    expect(rejected(checkDecision(longBtc({ quantity: d(-1) }), context())).check).toBe("INVALID_SIZE");
  });

  it("halves sizes when the breaker is reduced and refuses entries when halted, but still lets positions close", () => {
    const reduced = evaluateCircuitBreaker([{ ts: NOW - 2, equity: d(10000) }, { ts: NOW - 1, equity: d(8800) }], NOW);
    expect(reduced.level).toBe("reduced");
    const result = checkDecision(longBtc({ quantity: d("0.05") }), context({ circuitBreaker: reduced }));
    expect(result.ok && result.decision.type === "CREATE_POSITION" && result.decision.quantity?.toString()).toBe("0.025");
    const halted = evaluateCircuitBreaker([{ ts: NOW - 2, equity: d(10000) }, { ts: NOW - 1, equity: d(7000) }], NOW);
    const withPos = context({ circuitBreaker: halted, positions: [position("ETH", "LONG", "1", "3000", "5")] });
    expect(rejected(checkDecision(longBtc(), withPos)).check).toBe("CIRCUIT_BREAKER");
    expect(checkDecision({ type: "CLOSE_POSITION", symbol: "ETH", reason: "cut" }, withPos).ok).toBe(true);
  });

  it("checks closes and exit-plan updates against open positions and the current price", () => {
    const ctx = context({ positions: [position("ETH", "SHORT", "1", "3100", "5")] });
    expect(rejected(checkDecision({ type: "CLOSE_POSITION", symbol: "BTC", reason: "x" }, ctx)).check).toBe("NO_POSITION");
    expect(checkDecision({ type: "UPDATE_EXIT_PLAN", symbol: "ETH", exitPlan: plan({ stop: d(3050) }) }, ctx).ok).toBe(true);
    const wrong = rejected(checkDecision({ type: "UPDATE_EXIT_PLAN", symbol: "ETH", exitPlan: plan({ stop: d(2950) }) }, ctx));
    expect(wrong.check).toBe("STOP_WRONG_SIDE");
    expect(wrong.reason).toMatch(/SHORT stop must be above the current price 3000/);
  });

  it("never throws for any decision, and converts a rejection to core's RiskLimitError", () => {
    const bad = checkDecision(longBtc({ leverage: d(0) }), context());
    expect(bad.ok).toBe(false);
    const error = toRiskLimitError(rejected(bad) as never);
    expect(error).toBeInstanceOf(RiskLimitError);
    expect(error.code).toBe("RISK_LIMIT");
  });
});

describe("checkDecision (property)", () => {
  it("returns a value for any decision, never throws, and approves only sizes within the limits", () => {
    const price = fc.option(fc.double({ min: 1, max: 300000, noNaN: true }), { nil: null });
    fc.assert(
      fc.property(
        fc.constantFrom("BTC", "ETH", "SOL", "PEPE"),
        fc.constantFrom("LONG" as const, "SHORT" as const),
        fc.option(fc.double({ min: -1, max: 100, noNaN: true }), { nil: null }),
        fc.option(fc.double({ min: -10, max: 5000, noNaN: true }), { nil: null }),
        fc.double({ min: 0, max: 200, noNaN: true }),
        price,
        price,
        fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
        (symbol, side, quantity, riskUsd, leverage, stop, target, confidence) => {
          const decision: TradingDecision = {
            type: "CREATE_POSITION",
            symbol,
            side,
            quantity: quantity === null ? null : d(quantity),
            riskUsd: riskUsd === null ? null : d(riskUsd),
            leverage: d(leverage),
            exitPlan: plan({ stop: stop === null ? null : d(stop), target: target === null ? null : d(target), confidence }),
          };
          const result = checkDecision(decision, context());
          if (!result.ok) {
            expect(typeof result.reason).toBe("string");
            return;
          }
          if (result.decision.type !== "CREATE_POSITION") throw new Error("type changed");
          const mark = context().marks.get(symbol)!;
          expect(result.decision.quantity!.mul(mark).lte(DEFAULT_RISK_LIMITS.maxPositionNotionalUsd)).toBe(true);
          expect(result.decision.leverage.lte(DEFAULT_RISK_LIMITS.maxLeverage)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
