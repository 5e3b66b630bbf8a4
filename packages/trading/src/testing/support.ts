/**
 * Test support (not exported): an in-memory PGlite database, a MarketSource whose
 * mid prices the test sets, and PostgreSQL discovery (TEST_DATABASE_URL, which the vitest
 * globalSetup sets to a PostgreSQL 18 it starts when unset; skipped when unreachable, a
 * failure when CI=true).
 */
import { type Clock, DEFAULT_MARKETS, Decimal, type Market, roundToStep, toDecimal } from "@autonome/core";
import { type Db, createDb } from "@autonome/db";
import { testSql } from "@autonome/db/testing";
import type { Candle, FundingRate, L2Book, MarketListener, MarketSource } from "@autonome/market-data";

/** The time tests start at: 2026-01-05T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 5);

/** A migrated in-memory PGlite database. */
export function openTestDb(clock: Clock): Promise<Db> {
  return createDb({ kind: "pglite", dataDir: "memory://", clock });
}

/** A MarketSource whose mid price per symbol the test sets; books are deep and one tick wide. */
export class ControlledMarket implements MarketSource {
  private readonly mids = new Map<string, Decimal>();
  private readonly fundings = new Map<string, FundingRate>();
  private readonly list: readonly Market[];
  private readonly listeners = new Set<MarketListener>();

  constructor(
    readonly clock: Clock,
    mids: Record<string, string | number>,
    /** Size resting at each level. */
    private readonly levelSize: string = "50",
  ) {
    this.list = DEFAULT_MARKETS.filter((m) => m.symbol in mids);
    for (const [symbol, mid] of Object.entries(mids)) this.mids.set(symbol, toDecimal(mid));
  }

  /** Moves a symbol's mid price; subscribers hear bookChanged. */
  setMid(symbol: string, mid: string | number): void {
    this.mids.set(symbol, toDecimal(mid));
    for (const listener of this.listeners) listener({ type: "bookChanged", symbol, ts: this.clock.now() });
  }

  markets(): readonly Market[] {
    return this.list;
  }

  book(symbol: string, depth = 10): L2Book {
    const market = this.market(symbol);
    const mid = this.midPrice(symbol);
    const bid = roundToStep(mid, market.tickSize, "down");
    const ask = bid.plus(market.tickSize);
    const levels = (start: Decimal, step: Decimal) =>
      Array.from({ length: depth }, (_, i) => ({ price: start.plus(step.mul(i)).toFixed(market.priceDecimals), size: this.levelSize }));
    return { symbol, ts: this.clock.now(), bids: levels(bid, market.tickSize.neg()), asks: levels(ask, market.tickSize) };
  }

  midPrice(symbol: string): Decimal {
    const mid = this.mids.get(symbol);
    if (!mid) throw new Error(`no mid for ${symbol}`);
    return mid;
  }

  markPrice(symbol: string): Decimal {
    return this.midPrice(symbol);
  }

  candles(_symbol: string, _interval: string, _limit: number): Candle[] {
    return [];
  }

  /** Sets what fundingRate(symbol) reports: a settlement (with nextFundingTime) or a live rate; undefined for none. */
  setFunding(symbol: string, funding: Omit<FundingRate, "symbol"> | undefined): void {
    if (funding === undefined) this.fundings.delete(symbol);
    else this.fundings.set(symbol, { symbol, ...funding });
  }

  fundingRate(symbol: string): FundingRate | undefined {
    return this.fundings.get(symbol);
  }

  openInterest(_symbol: string): Decimal | undefined {
    return undefined;
  }

  subscribe(listener: MarketListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  advanceTo(_ts: number): void {}

  nextEventTime(): number | undefined {
    return undefined;
  }

  async close(): Promise<void> {}

  private market(symbol: string): Market {
    const m = this.list.find((x) => x.symbol === symbol);
    if (!m) throw new Error(`unknown market ${symbol}`);
    return m;
  }
}

export { Decimal };

/** The PostgreSQL URL tests use, if any (TEST_DATABASE_URL). */
export const postgresUrl: string | undefined = process.env.TEST_DATABASE_URL?.trim() || undefined;

/** A migrated PostgreSQL database in a fresh schema; `drop` removes the schema and closes it. */
export interface TestPostgres {
  db: Db;
  drop(): Promise<void>;
}

/** Opens PostgreSQL in a fresh schema. */
export async function openTestPostgres(clock: Clock): Promise<TestPostgres> {
  if (postgresUrl === undefined) throw new Error("TEST_DATABASE_URL is not set");
  const schema = `trading_${globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const db = await createDb({ kind: "postgres", url: postgresUrl, schema, clock, maxConnections: 4 });
  return {
    db,
    async drop() {
      await testSql(db).execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    },
  };
}

/** Why PostgreSQL tests are skipped (null when they run); under CI=true an unusable PostgreSQL throws instead. */
export async function postgresSkipReason(): Promise<string | null> {
  let problem: string | null = null;
  if (postgresUrl === undefined) problem = "TEST_DATABASE_URL is not set";
  else {
    try {
      const probe = await openTestPostgres(new (await import("@autonome/core")).ManualClock(T0));
      await probe.drop();
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
  }
  if (problem === null) return null;
  if (process.env.CI === "true") throw new Error(`CI=true but PostgreSQL is not usable: ${problem}`);
  return `skipping PostgreSQL tests: ${problem}`;
}
