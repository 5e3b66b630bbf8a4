/**
 * The contract every MarketSource passes (Hono-style shared case file): each
 * source's test file calls `runMarketSourceContract` with its own factory.
 */
import { UnknownMarketError, toDecimal } from "@autonome/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LookAheadError } from "./errors.js";
import { CANDLE_INTERVALS, CANDLE_INTERVAL_MS, type L2Book, type MarketSource, type MarketUpdate } from "./types.js";

/** A source under test and how to move its time. */
export interface ContractHarness {
  source: MarketSource;
  /** Moves the clock forward by `ms` and brings the source there (or, live, waits for data). */
  advance(ms: number): Promise<void>;
  /** Whether the clock is manual, so advancing past it must be refused. */
  manualClock: boolean;
  /** Whether two harnesses from the factory give identical output for identical advances. */
  deterministic: boolean;
  close(): Promise<void>;
}

function expectWellFormedBook(book: L2Book, symbol: string): void {
  expect(book.symbol).toBe(symbol);
  expect(book.bids.length).toBeGreaterThan(0);
  expect(book.asks.length).toBeGreaterThan(0);
  for (const side of [book.bids, book.asks]) {
    for (const level of side) {
      expect(toDecimal(level.price).gt(0)).toBe(true);
      expect(toDecimal(level.size).gt(0)).toBe(true);
    }
  }
  for (let i = 1; i < book.bids.length; i++) expect(toDecimal(book.bids[i]!.price).lt(book.bids[i - 1]!.price)).toBe(true);
  for (let i = 1; i < book.asks.length; i++) expect(toDecimal(book.asks[i]!.price).gt(book.asks[i - 1]!.price)).toBe(true);
  expect(toDecimal(book.bids[0]!.price).lt(book.asks[0]!.price)).toBe(true);
}

/** Runs the MarketSource contract against sources made by `factory` (`timeoutMs` for slow factories). */
export function runMarketSourceContract(name: string, factory: () => Promise<ContractHarness>, options: { timeoutMs?: number } = {}): void {
  const timeout = options.timeoutMs ?? 5_000;
  describe(`MarketSource contract: ${name}`, () => {
    let harness: ContractHarness;
    let symbols: string[];

    beforeAll(async () => {
      harness = await factory();
      symbols = harness.source.markets().map((m) => m.symbol);
    }, timeout);
    afterAll(async () => {
      await harness?.close();
    });

    it("lists at least one market with distinct symbols and positive ticks", () => {
      expect(symbols.length).toBeGreaterThan(0);
      expect(new Set(symbols).size).toBe(symbols.length);
      for (const market of harness.source.markets()) expect(market.tickSize.gt(0)).toBe(true);
    });

    it("serves an uncrossed book per market, best first, with positive sizes, at most `depth` levels", () => {
      for (const symbol of symbols) {
        const book = harness.source.book(symbol, 5);
        expectWellFormedBook(book, symbol);
        expect(book.bids.length).toBeLessThanOrEqual(5);
        expect(book.asks.length).toBeLessThanOrEqual(5);
        expect(book.ts).toBeLessThanOrEqual(harness.source.clock.now());
      }
    });

    it("puts the mid price between the best bid and ask and gives a positive mark", () => {
      for (const symbol of symbols) {
        const book = harness.source.book(symbol, 1);
        const mid = harness.source.midPrice(symbol);
        expect(mid.gte(book.bids[0]!.price) && mid.lte(book.asks[0]!.price)).toBe(true);
        expect(harness.source.markPrice(symbol).gt(0)).toBe(true);
      }
    });

    it("returns only closed candles, oldest first, aligned and with consistent OHLC, for every interval", async () => {
      await harness.advance(3 * 60_000);
      const now = harness.source.clock.now();
      let anyCandle = false;
      const problems: string[] = [];
      for (const symbol of symbols) {
        for (const interval of CANDLE_INTERVALS) {
          const candles = harness.source.candles(symbol, interval, 1_000);
          const width = CANDLE_INTERVAL_MS[interval];
          for (let i = 0; i < candles.length; i++) {
            const c = candles[i]!;
            anyCandle = true;
            const where = `${symbol} ${interval} #${i}`;
            if (c.closeTime > now) problems.push(`${where} closes after now`);
            if (c.closeTime - c.openTime !== width || c.openTime % width !== 0) problems.push(`${where} not aligned`);
            if (c.high < Math.max(c.open, c.close, c.low) || c.low > Math.min(c.open, c.close)) problems.push(`${where} inconsistent OHLC`);
            if (c.volume < 0) problems.push(`${where} negative volume`);
            if (i > 0 && c.openTime <= candles[i - 1]!.openTime) problems.push(`${where} out of order`);
          }
          if (harness.source.candles(symbol, interval, 2).length > 2) problems.push(`${symbol} ${interval} exceeds limit`);
        }
      }
      expect(problems).toEqual([]);
      expect(anyCandle).toBe(true);
    });

    it("reports funding as a finite fraction and open interest as non-negative when it has them", () => {
      for (const symbol of symbols) {
        const funding = harness.source.fundingRate(symbol);
        if (funding) {
          expect(funding.symbol).toBe(symbol);
          expect(funding.rate.abs().lt(1)).toBe(true);
          expect(funding.intervalMs).toBeGreaterThan(0);
          expect(funding.ts).toBeLessThanOrEqual(harness.source.clock.now());
        }
        const oi = harness.source.openInterest(symbol);
        if (oi) expect(oi.gte(0)).toBe(true);
      }
    });

    it("throws UnknownMarketError for a symbol it does not serve", () => {
      expect(() => harness.source.book("NOPE", 5)).toThrow(UnknownMarketError);
      expect(() => harness.source.candles("NOPE", "1m", 5)).toThrow(UnknownMarketError);
    });

    it("notifies subscribers while advancing and stops after unsubscribe", async () => {
      const seen: MarketUpdate[] = [];
      const unsubscribe = harness.source.subscribe((u) => seen.push(u));
      await harness.advance(2 * 60_000);
      harness.source.book(symbols[0]!, 1);
      expect(seen.length).toBeGreaterThan(0);
      const now = harness.source.clock.now();
      expect(seen.filter((u) => !symbols.includes(u.symbol) || u.ts > now)).toEqual([]);
      unsubscribe();
      const count = seen.length;
      await harness.advance(60_000);
      harness.source.book(symbols[0]!, 1);
      expect(seen.length).toBe(count);
    });

    it("refuses to advance past its clock, so nothing from the future is visible", () => {
      if (!harness.manualClock) return;
      const now = harness.source.clock.now();
      expect(() => harness.source.advanceTo(now + 1)).toThrow(LookAheadError);
      const next = harness.source.nextEventTime();
      if (next !== undefined) expect(next).toBeGreaterThan(now);
    });

    it("gives identical books, candles and funding for identical advances", async () => {
      if (!harness.deterministic) return;
      const a = await factory();
      const b = await factory();
      try {
        for (const step of [60_000, 45_000, 120_000]) {
          await a.advance(step);
          await b.advance(step);
          for (const symbol of a.source.markets().map((m) => m.symbol)) {
            expect(b.source.book(symbol, 10)).toEqual(a.source.book(symbol, 10));
            expect(b.source.candles(symbol, "5m", 50)).toEqual(a.source.candles(symbol, "5m", 50));
            expect(b.source.fundingRate(symbol)).toEqual(a.source.fundingRate(symbol));
          }
        }
      } finally {
        await a.close();
        await b.close();
      }
    }, timeout * 2);
  });
}
