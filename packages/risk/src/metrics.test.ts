import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_METRIC_MINIMUMS, EquityCurveTracker, type MetricsTrade, TradeMetricsTracker, type TradeMetrics, YEAR_MS, computeEquityMetrics, computePerformanceMetrics, computeTradeMetrics, drawdownStats, pearsonCorrelation } from "./metrics.js";
import { d } from "./testing/fixtures.js";

const Q = YEAR_MS / 4; // quarterly sampling: 4 periods a year
const MIN = 60_000;

// Equity 100 -> 110 -> 99 -> 108.9 -> 119.79: returns +10%, -10%, +10%, +10%.
const snapshots = [100, 110, 99, 108.9, 119.79].map((equity, i) => ({ ts: i * Q, equity: d(equity) }));

function trade(side: "LONG" | "SHORT", pnl: number, fees: number, leverage: number, confidence: number | null, holdMin: number, closedAt: number): MetricsTrade {
  return { side, realizedPnl: d(pnl), fees: d(fees), leverage: d(leverage), openedAt: closedAt - holdMin * MIN, closedAt, exitPlan: { confidence } };
}

// Closed in this order: W L L W W.
const trades = [
  trade("LONG", 100, 2, 10, 0.8, 60, 1e9 + 1),
  trade("SHORT", -50, 1, 5, 0.4, 180, 1e9 + 2),
  trade("LONG", -30, 1, 5, 0.3, 120, 1e9 + 3),
  trade("LONG", 60, 2, 10, 0.7, 30, 1e9 + 4),
  trade("LONG", 20, 1, 20, 0.6, 240, 1e9 + 5),
];

describe("computePerformanceMetrics", () => {
  const m = computePerformanceMetrics({ snapshots, trades, intervalMs: Q });

  it("matches the hand-computed return ratios of the equity fixture", () => {
    // total 119.79 / 100 - 1
    expect(m.totalReturn).toBeCloseTo(0.1979, 10);
    // mean 0.05; deviations .05 -.15 .05 .05; sample variance (0.0025 * 3 + 0.0225) / 3 = 0.01;
    // sd 0.1; per-period Sharpe 0.05 / 0.1 = 0.5; x sqrt(4)
    expect(m.sharpe).toBeCloseTo(1, 10);
    // downside deviation sqrt(0.01 / 4) = 0.05; per-period Sortino 1; x sqrt(4)
    expect(m.sortino).toBeCloseTo(2, 10);
    // 4 quarterly returns = one year: annualised = total
    expect(m.annualizedReturn).toBeCloseTo(0.1979, 10);
    // max drawdown 110 -> 99 = 10%; Calmar 0.1979 / 0.1
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(m.calmar).toBeCloseTo(1.979, 8);
    // below the 110 peak from t1 until 119.79 at t4: three quarters
    expect(m.maxDrawdownDurationMs).toBe(3 * Q);
  });

  it("matches the hand-computed trade statistics", () => {
    expect(m.tradeCount).toBe(5);
    expect(m.winRate).toBe(0.6);
    expect(m.profitFactor).toBe(2.25); // 180 / 80
    expect(m.expectancy?.toString()).toBe("20");
    expect(m.biggestWin?.toString()).toBe("100");
    expect(m.biggestLoss?.toString()).toBe("-50");
    expect(m.longestWinStreak).toBe(2);
    expect(m.longestLossStreak).toBe(2);
    expect(m.averageHoldMs).toBe(126 * MIN); // (60 + 180 + 120 + 30 + 240) / 5
    expect(m.medianHoldMs).toBe(120 * MIN);
    expect(m.longShare).toBe(0.8);
    expect(m.averageLeverage).toBe(10);
    expect(m.averageConfidence).toBeCloseTo(0.56, 12);
    expect(m.feesPaid.toString()).toBe("7");
    expect(m.realizedPnl.toString()).toBe("100");
    // sum dx*dy = 49, sum dx^2 = 0.172, sum dy^2 = 15400
    expect(m.decisionQuality).toBeCloseTo(49 / Math.sqrt(0.172 * 15400), 10);
    expect(m.decisionQuality).toBeCloseTo(0.95208, 4);
  });

  it("infers the sampling interval from the snapshots when not given", () => {
    expect(computePerformanceMetrics({ snapshots, trades: [] }).sharpe).toBeCloseTo(1, 10);
  });

  it("returns nulls, not NaN or Infinity, where a ratio is undefined", () => {
    const empty = computePerformanceMetrics({ snapshots: [], trades: [] });
    expect(empty).toMatchObject({ totalReturn: null, sharpe: null, sortino: null, calmar: null, winRate: null, profitFactor: null, expectancy: null, decisionQuality: null, maxDrawdown: 0 });
    const flat = computePerformanceMetrics({ snapshots: [0, 1, 2].map((i) => ({ ts: i * Q, equity: d(100) })), trades: [trade("LONG", 5, 0, 1, null, 1, 1)] });
    expect(flat.sharpe).toBeNull();
    expect(flat.sortino).toBeNull();
    expect(flat.calmar).toBeNull();
    expect(flat.profitFactor).toBeNull();
    expect(flat.averageConfidence).toBeNull();
  });

  it("counts a break-even trade as neither win nor loss and as a streak breaker", () => {
    const mixed = computePerformanceMetrics({
      snapshots: [],
      trades: [trade("LONG", 1, 0, 1, null, 1, 1), trade("LONG", 0, 0, 1, null, 1, 2), trade("LONG", 1, 0, 1, null, 1, 3)],
    });
    expect(mixed.winRate).toBeCloseTo(2 / 3, 12);
    expect(mixed.longestWinStreak).toBe(1);
  });

  it("gives the same streaks whatever order trades closed at the same instant come in", () => {
    // A win, then three stops firing together (one opened earlier), then a win: the simultaneous
    // closes count by opening time, then P&L. The input order (in the arena: by random order id) changes nothing.
    const at = 1e9;
    const together = [trade("SHORT", -5, 0, 1, null, 30, at + 2), trade("LONG", 3, 0, 1, null, 30, at + 2), trade("LONG", -7, 0, 1, null, 90, at + 2)];
    const orders = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
    ];
    const results = orders.map((order) =>
      computeTradeMetrics([trade("LONG", 1, 0, 1, null, 1, at + 1), ...order.map((i) => together[i]!), trade("LONG", 1, 0, 1, null, 1, at + 3)]),
    );
    // Counted order: +1, -7 (opened first), -5, +3, +1: losses 2 in a row, wins 2 in a row.
    for (const m of results) {
      expect(m.longestLossStreak).toBe(2);
      expect(m.longestWinStreak).toBe(2);
    }
  });
});

describe("drawdownStats", () => {
  it("measures an unrecovered drawdown to the last snapshot", () => {
    const stats = drawdownStats([100, 80, 90].map((e, i) => ({ ts: i * 10, equity: d(e) })));
    expect(stats.maxDrawdown).toBeCloseTo(0.2, 12);
    expect(stats.maxDrawdownDurationMs).toBe(20);
  });
});

describe("pearsonCorrelation", () => {
  it("is 1 for a perfect line, -1 for its mirror and null without variance", () => {
    expect(pearsonCorrelation([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearsonCorrelation([1, 2, 3], [6, 4, 2])).toBeCloseTo(-1, 12);
    expect(pearsonCorrelation([1, 1], [2, 3])).toBeNull();
  });
});

describe("EquityCurveTracker", () => {
  const close = (a: number | null, b: number | null) => {
    if (a === null || b === null) return expect(a).toBe(b);
    return expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
  };
  const same = (got: ReturnType<EquityCurveTracker["metrics"]>, want: ReturnType<typeof computeEquityMetrics>) => {
    for (const k of ["totalReturn", "annualizedReturn", "sharpe", "sortino", "calmar", "maxDrawdown"] as const) close(got[k], want[k]);
    expect(got.maxDrawdownDurationMs).toBe(want.maxDrawdownDurationMs);
  };

  it("gives the batch curve metrics of every prefix, with and without a provisional point", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 0, maxLength: 60 }), fc.integer({ min: 1, max: 20_000 }), (cents, extra) => {
        const curve = cents.map((c, i) => ({ ts: i * MIN, equity: d(c / 100) }));
        const tracker = new EquityCurveTracker(MIN);
        for (let i = 0; i < curve.length; i++) {
          tracker.push(curve[i]!);
          same(tracker.metrics(), computeEquityMetrics(curve.slice(0, i + 1), MIN));
        }
        const provisional = { ts: curve.length * MIN, equity: d(extra / 100) };
        same(tracker.metrics(provisional), computeEquityMetrics([...curve, provisional], MIN));
        // The provisional point is not kept.
        expect(tracker.count).toBe(curve.length);
        same(tracker.metrics(), computeEquityMetrics(curve, MIN));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it("matches the quarterly fixture and computePerformanceMetrics", () => {
    const tracker = new EquityCurveTracker(Q);
    for (const s of snapshots) tracker.push(s);
    const m = computePerformanceMetrics({ snapshots, trades, intervalMs: Q });
    same(tracker.metrics(), m);
    expect(tracker.metrics().totalReturn).toBeCloseTo(0.1979, 10);
  });

  it("refuses a snapshot older than the last and a non-positive interval", () => {
    const tracker = new EquityCurveTracker(MIN);
    tracker.push({ ts: 2 * MIN, equity: d(100) });
    expect(() => tracker.push({ ts: MIN, equity: d(101) })).toThrow(RangeError);
    expect(tracker.count).toBe(1);
    expect(() => new EquityCurveTracker(0)).toThrow(RangeError);
  });
});

describe("computeTradeMetrics", () => {
  it("is the trade half of computePerformanceMetrics", () => {
    const { totalReturn, annualizedReturn, sharpe, sortino, calmar, maxDrawdown, maxDrawdownDurationMs, ...rest } = computePerformanceMetrics({ snapshots, trades, intervalMs: Q });
    expect(computeTradeMetrics(trades)).toEqual(rest);
    expect(computeTradeMetrics([]).tradeCount).toBe(0);
  });
});

describe("computePerformanceMetrics with minimums", () => {
  // Five minutes of 30-second snapshots falling 0.1% each: arithmetic annualizes this to
  // absurd figures, so a dashboard must show none.
  const start = Date.UTC(2026, 0, 1);
  const short = Array.from({ length: 11 }, (_, i) => ({ ts: start + i * 30_000, equity: d(10_000 * 0.999 ** i) }));

  it("leaves the short sample's ratios unset and says why, while the raw formulas give absurd values", () => {
    const raw = computePerformanceMetrics({ snapshots: short, trades: [] });
    // The unguarded arithmetic: a -1% fall over five minutes compounds to about -100% a year.
    expect(raw.annualizedReturn).not.toBeNull();
    const gated = computePerformanceMetrics({ snapshots: short, trades: [], minimums: DEFAULT_METRIC_MINIMUMS });
    expect(gated.totalReturn).toBeCloseTo(0.999 ** 10 - 1, 12);
    expect(gated.annualizedReturn).toBeNull();
    expect(gated.calmar).toBeNull();
    expect(gated.sharpe).toBeNull();
    expect(gated.sortino).toBeNull();
    expect(gated.unavailable?.annualizedReturn).toBe("needs 7 d of history to annualize; has 5 min");
    expect(gated.unavailable?.sharpe).toBe("needs 20 returns over 1 d; has 10 over 5 min");
    expect(gated.unavailable?.winRate).toBe("no closed trades");
    expect(gated.unavailable?.totalReturn).toBeUndefined();
  });

  it("shows every ratio once the sample is long enough", () => {
    const long = Array.from({ length: 40 }, (_, i) => ({ ts: start + i * 6 * 3_600_000, equity: d(10_000 + ((i * 37) % 11) * 10 + i) }));
    const m = computePerformanceMetrics({ snapshots: long, trades, minimums: DEFAULT_METRIC_MINIMUMS });
    expect(m.sharpe).not.toBeNull();
    expect(m.annualizedReturn).not.toBeNull();
    expect(m.calmar).not.toBeNull();
    expect(m.unavailable).toEqual({});
  });
});

describe("TradeMetricsTracker", () => {
  type IdTrade = MetricsTrade & { id: number };
  /** Amounts with few and many decimals, zeros, ties, and a few too large to sum exactly in 40 digits. */
  const amount = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -5_000_000, max: 5_000_000 }).map((n) => d(n).div(1000)) },
    { weight: 4, arbitrary: fc.constantFrom("0", "-0", "12.5", "-12.5", "0.00000001").map((v) => d(v)) },
    // Up to 39 digits at any scale: sums of these and of amounts with decimals go past 40 digits, which Decimal rounds.
    {
      weight: 3,
      arbitrary: fc.tuple(fc.bigInt({ min: -(10n ** 39n), max: 10n ** 39n }), fc.integer({ min: 0, max: 20 })).map(([n, scale]) => d(n.toString()).div(d(10).pow(scale))),
    },
  );
  const tradeArb = fc.record({
    side: fc.constantFrom("LONG" as const, "SHORT" as const),
    realizedPnl: amount,
    fees: fc.oneof(amount, fc.integer({ min: 0, max: 10_000 }).map((n) => d(n).div(10_000))),
    leverage: fc.integer({ min: 100, max: 2_000 }).map((n) => d(n).div(100)),
    // Few distinct times, so trades tie on closing and opening time.
    closedAt: fc.integer({ min: 10, max: 13 }),
    hold: fc.integer({ min: 0, max: 1 }),
    confidence: fc.option(fc.constantFrom(0.1, 0.35, 0.5, 0.65, 0.9, 1 / 3), { nil: null }),
  });
  /** What computeTradeMetrics gives for the held trades listed in id order (the tracker's tie-break). */
  const reference = (held: readonly IdTrade[]): TradeMetrics => computeTradeMetrics([...held].sort((a, b) => a.id - b.id));
  /** The streak order with ties by id. */
  const streakOrdered = (held: readonly IdTrade[]): IdTrade[] =>
    [...held].sort((a, b) => a.closedAt - b.closedAt || a.openedAt - b.openedAt || a.realizedPnl.comparedTo(b.realizedPnl) || a.id - b.id);

  it("equals computeTradeMetrics of the trades held through any adds and removes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 3, arbitrary: tradeArb.map((t) => ({ add: t })) }, { weight: 1, arbitrary: fc.nat().map((i) => ({ remove: i })) }), { maxLength: 60, size: "medium" }),
        fc.boolean(),
        (ops, byId) => {
          const tracker = new TradeMetricsTracker<IdTrade>(byId ? { tieBreak: (a, b) => a.id - b.id } : {});
          const held: IdTrade[] = [];
          let next = 0;
          for (const op of ops) {
            if ("add" in op) {
              const { hold, closedAt, confidence, ...rest } = op.add;
              // Without a tie-break, ties keep the order added: ids rising with each add give it.
              const t: IdTrade = { ...rest, closedAt, openedAt: closedAt - hold, exitPlan: { confidence }, id: byId ? (next * 7919) % 1009 : next };
              next++;
              held.push(t);
              tracker.add(t);
            } else if (held.length > 0) {
              const [t] = held.splice(op.remove % held.length, 1);
              expect(tracker.remove(t!)).toBe(true);
              expect(tracker.remove(t!)).toBe(false);
            }
            expect(tracker.size).toBe(held.length);
            expect(tracker.metrics()).toEqual(reference(held));
            expect(tracker.trades()).toEqual(streakOrdered(held));
          }
        },
      ),
      { numRuns: 400, seed: 21 },
    );
  });

  it("returns the same object until the trades change", () => {
    const tracker = new TradeMetricsTracker();
    for (const t of trades) tracker.add(t);
    const first = tracker.metrics();
    expect(tracker.metrics()).toBe(first);
    expect(first).toEqual(computeTradeMetrics(trades));
    tracker.remove(trades[0]!);
    expect(tracker.metrics()).not.toBe(first);
    expect(tracker.metrics()).toEqual(computeTradeMetrics(trades.slice(1)));
    expect(tracker.trades()).toEqual(trades.slice(1));
  });
});
