/**
 * Fetch-based REST client for Lighter. Every request has a deadline; every
 * response is validated with zod; every non-200 `code` becomes a typed
 * LighterError carrying Lighter's code and message. Transient failures (429 /
 * 23000, timeouts, 5xx) are retried with exponential backoff; request errors and
 * invalid nonces are not (the nonce manager resyncs and re-signs those).
 */
import { SystemClock, type Random, type TimerClock } from "@autonome/core";
import type { z } from "zod";
import {
  LighterInvalidNonceError,
  LighterRateLimitError,
  LighterRequestError,
  LighterTimeoutError,
  LighterTransientError,
  LighterUnavailableError,
  lighterErrorFor,
} from "../errors.js";
import type { SignedTx } from "../tx/transactions.js";
import {
  type BookOrders,
  type LighterAccount,
  type LighterCandle,
  type LighterFunding,
  type LighterFundingRate,
  type LighterLiquidation,
  type LighterMarketDetails,
  type LighterOrder,
  type LighterPositionFunding,
  type LighterTrade,
  type LighterTx,
  accountFrom,
  accountsSchema,
  apiKeysSchema,
  candlesSchema,
  fundingRatesSchema,
  fundingsSchema,
  liquidationFrom,
  liquidationsSchema,
  marketFromDetail,
  nextNonceSchema,
  orderBookDetailsSchema,
  orderBookOrdersSchema,
  orderBooksSchema,
  orderFrom,
  ordersSchema,
  positionFundingFrom,
  positionFundingsSchema,
  sendTxBatchSchema,
  sendTxSchema,
  statusSchema,
  tradeFrom,
  tradesSchema,
  txSchema,
} from "./schemas.js";

/** Options of the REST client. */
export interface LighterRestClientOptions {
  /** For example https://mainnet.zklighter.elliot.ai or the mock server's URL. */
  baseUrl: string;
  /** Deadline of each attempt; default 10 s. */
  timeoutMs?: number;
  /** Attempts for transient failures, including the first; default 3. */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt; default 250 ms. */
  backoffMs?: number;
  /** Upper bound of one backoff delay; default 5 s. */
  maxBackoffMs?: number;
  /** Clock whose sleep paces the backoff; default SystemClock. */
  clock?: TimerClock;
  /** Seeded randomness for backoff jitter; none by default. */
  random?: Random;
  /** Fetch implementation; default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** Result of sendTx. */
export interface SendTxResult {
  readonly txHash: string;
  readonly predictedExecutionTimeMs: number | undefined;
  readonly volumeQuotaRemaining: number | undefined;
}

/** Candle resolutions Lighter serves. */
export type CandleResolution = "1m" | "5m" | "15m" | "30m" | "1h" | "4h" | "12h" | "1d" | "1w";

type Query = Record<string, string | number | boolean | bigint | undefined>;

interface RequestSpec {
  method: "GET" | "POST";
  path: string;
  query?: Query;
  form?: Record<string, string>;
  authToken?: string;
}

/** The Lighter REST API, typed. */
export class LighterRestClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly clock: TimerClock;
  private readonly random: Random | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: LighterRestClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.backoffMs = options.backoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.clock = options.clock ?? new SystemClock();
    this.random = options.random;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Perps markets with decimals and margin fractions, as core Markets. */
  async orderBookDetails(marketId?: number): Promise<LighterMarketDetails[]> {
    const body = await this.call({ method: "GET", path: "/api/v1/orderBookDetails", query: { market_id: marketId } }, orderBookDetailsSchema);
    return body.order_book_details.map(marketFromDetail);
  }

  /** Market summaries (symbol, id, status, supported decimals). */
  async orderBooks(marketId?: number): Promise<{ symbol: string; marketId: number; status: string; sizeDecimals: number; priceDecimals: number }[]> {
    const body = await this.call({ method: "GET", path: "/api/v1/orderBooks", query: { market_id: marketId } }, orderBooksSchema);
    return body.order_books.map((b) => ({
      symbol: b.symbol,
      marketId: b.market_id,
      status: b.status,
      sizeDecimals: b.supported_size_decimals,
      priceDecimals: b.supported_price_decimals,
    }));
  }

  /** Resting orders of the public book, best first, up to `limit` (1..250) per side. */
  async orderBookOrders(marketId: number, limit = 50): Promise<BookOrders> {
    const body = await this.call({ method: "GET", path: "/api/v1/orderBookOrders", query: { market_id: marketId, limit } }, orderBookOrdersSchema);
    const side = (orders: typeof body.asks) =>
      orders.map((o) => ({
        orderIndex: o.order_id,
        ownerAccountIndex: o.owner_account_index,
        price: o.price,
        initialSize: o.initial_base_amount,
        remainingSize: o.remaining_base_amount,
      }));
    return { asks: side(body.asks), bids: side(body.bids) };
  }

  /** Recent public trades. */
  async recentTrades(marketId: number, limit = 50): Promise<LighterTrade[]> {
    const body = await this.call({ method: "GET", path: "/api/v1/recentTrades", query: { market_id: marketId, limit } }, tradesSchema);
    return body.trades.map(tradeFrom);
  }

  /**
   * Trades from GET /api/v1/trades, newest first (`sort_by=timestamp`, `sort_dir=desc`): an
   * account's (with its auth token), one order's (`orderIndex`), a market's. Each carries the
   * fee rates of its maker and taker. Follow `nextCursor` for older pages.
   */
  async trades(
    options: { accountIndex?: number; orderIndex?: bigint; marketId?: number; limit?: number; cursor?: string; authToken?: string } = {},
  ): Promise<{ trades: LighterTrade[]; nextCursor: string | undefined }> {
    const body = await this.call(
      {
        method: "GET",
        path: "/api/v1/trades",
        query: {
          sort_by: "timestamp",
          sort_dir: "desc",
          limit: options.limit ?? 100,
          account_index: options.accountIndex,
          order_index: options.orderIndex,
          market_id: options.marketId,
          cursor: options.cursor,
        },
        ...(options.authToken ? { authToken: options.authToken } : {}),
      },
      tradesSchema,
    );
    return { trades: body.trades.map(tradeFrom), nextCursor: body.next_cursor || undefined };
  }

  /**
   * An account's funding settlements, newest first (GET /api/v1/positionFunding, needs an auth
   * token): what each position received or paid at each settlement. Follow `nextCursor` for older pages.
   */
  async positionFunding(
    accountIndex: number,
    authToken: string,
    options: { marketId?: number; limit?: number; cursor?: string } = {},
  ): Promise<{ fundings: LighterPositionFunding[]; nextCursor: string | undefined }> {
    const body = await this.call(
      {
        method: "GET",
        path: "/api/v1/positionFunding",
        query: { account_index: accountIndex, limit: options.limit ?? 100, market_id: options.marketId, cursor: options.cursor },
        authToken,
      },
      positionFundingsSchema,
    );
    return { fundings: body.position_fundings.map(positionFundingFrom), nextCursor: body.next_cursor || undefined };
  }

  /** An account's collateral and open positions (positions of size 0 dropped). */
  async account(accountIndex: number): Promise<LighterAccount> {
    const body = await this.call({ method: "GET", path: "/api/v1/account", query: { by: "index", value: accountIndex } }, accountsSchema);
    const account = body.accounts[0];
    if (!account) throw lighterErrorFor(29404, `account ${accountIndex} not found`, 200);
    return accountFrom(account);
  }

  /** The next nonce of (account, API key). */
  async nextNonce(accountIndex: number, apiKeyIndex: number): Promise<number> {
    const body = await this.call(
      { method: "GET", path: "/api/v1/nextNonce", query: { account_index: accountIndex, api_key_index: apiKeyIndex } },
      nextNonceSchema,
    );
    return body.nonce;
  }

  /** Registered API keys of an account (255 = all). */
  async apiKeys(accountIndex: number, apiKeyIndex = 255): Promise<{ apiKeyIndex: number; nonce: number; publicKey: string }[]> {
    const body = await this.call(
      { method: "GET", path: "/api/v1/apikeys", query: { account_index: accountIndex, api_key_index: apiKeyIndex } },
      apiKeysSchema,
    );
    return body.api_keys.map((k) => ({ apiKeyIndex: k.api_key_index, nonce: k.nonce, publicKey: k.public_key }));
  }

  /** Sends one signed tx (form encoded). */
  async sendTx(tx: SignedTx, priceProtection = true): Promise<SendTxResult> {
    const body = await this.call(
      {
        method: "POST",
        path: "/api/v1/sendTx",
        form: { tx_type: String(tx.txType), tx_info: tx.txInfo, price_protection: String(priceProtection) },
      },
      sendTxSchema,
    );
    return { txHash: body.tx_hash, predictedExecutionTimeMs: body.predicted_execution_time_ms, volumeQuotaRemaining: body.volume_quota_remaining };
  }

  /** Sends up to 50 signed txs in one batch (form encoded JSON arrays). */
  async sendTxBatch(txs: readonly SignedTx[]): Promise<string[]> {
    const body = await this.call(
      {
        method: "POST",
        path: "/api/v1/sendTxBatch",
        form: { tx_types: JSON.stringify(txs.map((t) => t.txType)), tx_infos: JSON.stringify(txs.map((t) => t.txInfo)) },
      },
      sendTxBatchSchema,
    );
    return body.tx_hash;
  }

  /** A transaction by hash; throws LighterNotFoundError (21500) while unknown. */
  async tx(txHash: string): Promise<LighterTx> {
    const body = await this.call({ method: "GET", path: "/api/v1/tx", query: { by: "hash", value: txHash } }, txSchema);
    return { hash: body.hash, txType: body.type, status: body.status, info: body.info, eventInfo: body.event_info, executedAt: body.executed_at };
  }

  /** Active orders of an account in a market (needs an auth token). */
  async accountActiveOrders(accountIndex: number, marketId: number, authToken: string): Promise<LighterOrder[]> {
    const body = await this.call(
      { method: "GET", path: "/api/v1/accountActiveOrders", query: { account_index: accountIndex, market_id: marketId }, authToken },
      ordersSchema,
    );
    return body.orders.map(orderFrom);
  }

  /** Inactive (filled, canceled, expired) orders of an account (needs an auth token). */
  async accountInactiveOrders(
    accountIndex: number,
    authToken: string,
    options: { limit?: number; marketId?: number; cursor?: string } = {},
  ): Promise<{ orders: LighterOrder[]; nextCursor: string | undefined }> {
    const body = await this.call(
      {
        method: "GET",
        path: "/api/v1/accountInactiveOrders",
        query: { account_index: accountIndex, limit: options.limit ?? 100, market_id: options.marketId, cursor: options.cursor },
        authToken,
      },
      ordersSchema,
    );
    return { orders: body.orders.map(orderFrom), nextCursor: body.next_cursor };
  }

  /**
   * An account's liquidations and auto-deleverages, newest first (needs an auth token): the trade that
   * closed each position, its fee rates and the mark prices used. Follow `nextCursor` for older pages.
   */
  async liquidations(
    accountIndex: number,
    authToken: string,
    options: { limit?: number; marketId?: number; cursor?: string } = {},
  ): Promise<{ liquidations: LighterLiquidation[]; nextCursor: string | undefined }> {
    const body = await this.call(
      {
        method: "GET",
        path: "/api/v1/liquidations",
        query: { account_index: accountIndex, limit: options.limit ?? 100, market_id: options.marketId, cursor: options.cursor },
        authToken,
      },
      liquidationsSchema,
    );
    return { liquidations: body.liquidations.map(liquidationFrom), nextCursor: body.next_cursor || undefined };
  }

  /** Candles between two times (ms), at most `countBack`. */
  async candles(marketId: number, resolution: CandleResolution, startMs: number, endMs: number, countBack: number): Promise<LighterCandle[]> {
    const body = await this.call(
      {
        method: "GET",
        path: "/api/v1/candles",
        query: { market_id: marketId, resolution, start_timestamp: startMs, end_timestamp: endMs, count_back: countBack },
      },
      candlesSchema,
    );
    return body.c.map((c) => ({
      openTimeMs: c.t,
      open: c.o,
      high: c.h,
      low: c.l,
      close: c.c,
      baseVolume: c.v,
      quoteVolume: c.V ?? c.v.mul(c.c),
    }));
  }

  /** Funding payments of a market. */
  async fundings(marketId: number, resolution: "1h" | "1d", startMs: number, endMs: number, countBack: number): Promise<LighterFunding[]> {
    const body = await this.call(
      {
        method: "GET",
        path: "/api/v1/fundings",
        query: { market_id: marketId, resolution, start_timestamp: startMs, end_timestamp: endMs, count_back: countBack },
      },
      fundingsSchema,
    );
    return body.fundings.map((f) => ({ timestamp: f.timestamp, value: f.value, rate: f.rate, direction: f.direction }));
  }

  /** Current funding rates (Lighter's and reference exchanges'). */
  async fundingRates(): Promise<LighterFundingRate[]> {
    const body = await this.call({ method: "GET", path: "/api/v1/funding-rates" }, fundingRatesSchema);
    return body.funding_rates.map((r) => ({ marketId: r.market_id, exchange: r.exchange, symbol: r.symbol, rate: r.rate }));
  }

  /** One request with retries of transient failures (not of invalid nonces). */
  private async call<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<z.output<S>> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        return await this.attempt(spec, schema);
      } catch (error) {
        lastError = error;
        // A POST that timed out or hit a 5xx may have been applied: resending it could place an
        // order twice, so sends are retried only when the server refused them (rate limit).
        const retryable =
          spec.method === "POST"
            ? error instanceof LighterRateLimitError
            : error instanceof LighterTransientError && !(error instanceof LighterInvalidNonceError);
        const retry = retryable && attempt < this.maxAttempts;
        if (!retry) throw error;
        await this.clock.sleep(this.backoffDelay(attempt));
      }
    }
    throw lastError;
  }

  private backoffDelay(attempt: number): number {
    const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
    // Jitter in [base/2, base] when randomness is injected, so clients do not retry in lockstep.
    return this.random ? base / 2 + (base / 2) * this.random.next() : base;
  }

  private async attempt<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<z.output<S>> {
    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: "application/json" };
    if (spec.authToken) headers["authorization"] = spec.authToken;
    let body: string | undefined;
    if (spec.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(spec.form).toString();
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, { method: spec.method, headers, body, signal: controller.signal });
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) {
        throw new LighterTimeoutError(0, `${spec.method} ${spec.path} timed out after ${this.timeoutMs} ms`, 0, { cause: error });
      }
      throw new LighterUnavailableError(0, `${spec.method} ${spec.path} failed: ${(error as Error).message}`, 0, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw lighterErrorFor(response.status, `non-JSON response (HTTP ${response.status})`, response.status);
    }
    const status = statusSchema.safeParse(json);
    if (!status.success) {
      if (response.status !== 200) throw lighterErrorFor(response.status, `HTTP ${response.status}`, response.status);
      throw new LighterRequestError(-1, `response without code from ${spec.path}`, response.status);
    }
    if (status.data.code !== 200) throw lighterErrorFor(status.data.code, status.data.message ?? "", response.status);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new LighterRequestError(-1, `invalid response from ${spec.path}: ${issue?.path.join(".")} ${issue?.message}`, response.status);
    }
    return parsed.data;
  }
}
