/**
 * A mock Lighter server: real HTTP and WebSocket on 127.0.0.1 speaking Lighter's
 * JSON formats, over MockExchange. Third-party clients (lighter-ts-sdk) work
 * against it too. Faults can be injected: latency, 429 rate limits, dropped
 * sockets, nonce gaps (server nonce and order-book nonce), rejected orders.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Decimal, SystemClock, type Clock } from "@autonome/core";
import { type RawData, WebSocketServer, type WebSocket } from "ws";
import { DEFAULT_MOCK_MARKETS, MockExchange, type MockLiquidation, type MockMarketSpec, type MockOrder, type MockTrade } from "./mock-exchange.js";

/** Options of the mock server. */
export interface MockLighterServerOptions {
  /** Chain id used to hash txs; default 304 (mainnet). */
  chainId?: number;
  markets?: readonly MockMarketSpec[];
  clock?: Clock;
  /** Port to listen on; default 0 (a free one). */
  port?: number;
}

/** Fault injection switches. */
export interface MockFaults {
  /** Delay added to every HTTP response. */
  latencyMs: number;
  /** The next N HTTP requests answer 429 {"code":23000}. */
  rateLimitNext: number;
  /** The next N HTTP requests never answer (the client's timeout fires). */
  hangNext: number;
  /** The next order-book update skips a nonce (begin_nonce != previous nonce). */
  bookNonceGapNext: boolean;
  /** Paths (e.g. "/api/v1/liquidations") that answer HTTP 500 {"code":29500} until removed. */
  failingPaths: Set<string>;
}

interface Subscriber {
  socket: WebSocket;
  channels: Set<string>;
}

interface BookStream {
  nonce: number;
  offset: number;
  lastLevels: { bids: Map<number, number>; asks: Map<number, number> };
}

/** The mock server. Start it, point clients at `url` / `wsUrl`, stop it. */
export class MockLighterServer {
  readonly exchange: MockExchange;
  readonly faults: MockFaults = { latencyMs: 0, rateLimitNext: 0, hangNext: 0, bookNonceGapNext: false, failingPaths: new Set<string>() };
  /** App-level pings received over WebSocket (for tests). */
  pingsReceived = 0;
  /** Count of HTTP requests by path (for tests). */
  readonly requestCounts = new Map<string, number>();
  private readonly clock: Clock;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly subscribers = new Set<Subscriber>();
  private readonly bookStreams = new Map<number, BookStream>();
  private readonly hanging = new Set<ServerResponse>();
  private port = 0;

  constructor(options: MockLighterServerOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.exchange = new MockExchange(options.chainId ?? 304, this.clock, options.markets ?? DEFAULT_MOCK_MARKETS);
    this.exchange.listener = {
      bookChanged: (marketId) => this.publishBook(marketId),
      accountChanged: (account, marketId) => this.publishAccount(account, marketId),
    };
  }

  /** HTTP base URL, e.g. http://127.0.0.1:41234. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** WebSocket URL, e.g. ws://127.0.0.1:41234/stream. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/stream`;
  }

  /** Listens on 127.0.0.1. */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    this.wss = new WebSocketServer({ server, path: "/stream" });
    this.wss.on("connection", (socket) => this.onSocket(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Closes every socket and the server. */
  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    for (const s of this.subscribers) s.socket.terminate();
    this.subscribers.clear();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** Fault: drops every open WebSocket (as a network cut would). */
  dropSockets(): void {
    for (const s of this.subscribers) s.socket.terminate();
    this.subscribers.clear();
  }

  /** Number of open WebSocket connections. */
  get socketCount(): number {
    return this.subscribers.size;
  }

  // ------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    this.requestCounts.set(url.pathname, (this.requestCounts.get(url.pathname) ?? 0) + 1);
    const body = req.method === "POST" ? await readBody(req) : "";
    if (this.faults.hangNext > 0) {
      this.faults.hangNext--;
      this.hanging.add(res);
      res.on("close", () => this.hanging.delete(res));
      return;
    }
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.faults.rateLimitNext > 0) {
      this.faults.rateLimitNext--;
      return send(res, 429, { code: 23000, message: "Too Many Requests" });
    }
    if (this.faults.failingPaths.has(url.pathname)) return send(res, 500, { code: 29500, message: "internal server error" });
    try {
      const [status, payload] = this.route(req.method ?? "GET", url, body, req.headers);
      send(res, status, payload);
    } catch (error) {
      send(res, 400, { code: 21501, message: (error as Error).message });
    }
  }

  private route(method: string, url: URL, body: string, headers: IncomingMessage["headers"]): [number, unknown] {
    const q = url.searchParams;
    const ex = this.exchange;
    const num = (name: string, fallback?: number): number => {
      const v = q.get(name);
      if (v === null || v === "") {
        if (fallback === undefined) throw new Error(`missing ${name}`);
        return fallback;
      }
      return Number(v);
    };
    const auth = (typeof headers["authorization"] === "string" ? headers["authorization"] : undefined) ?? q.get("auth") ?? undefined;
    const ok = (payload: Record<string, unknown>): [number, unknown] => [200, { code: 200, ...payload }];
    const err = (code: number, message: string, status = 400): [number, unknown] => [status, { code, message }];
    switch (`${method} ${url.pathname}`) {
      case "GET /":
      case "GET /info":
        return ok({ status: 200, network_id: ex.chainId, timestamp: Math.floor(this.clock.now() / 1000) });
      case "GET /api/v1/orderBooks":
      case "GET /api/v1/orderBookDetails": {
        const id = num("market_id", 255);
        const list = [...ex.markets.values()].filter((m) => id === 255 || m.marketId === id).map((m) => this.detailJson(m));
        return url.pathname.endsWith("Details") ? ok({ order_book_details: list, spot_order_book_details: [] }) : ok({ order_books: list });
      }
      case "GET /api/v1/orderBookOrders": {
        const market = ex.market(num("market_id"));
        const limit = num("limit", 50);
        const resting = ex.book(market.marketId).restingOrders();
        const view = (side: "buy" | "sell") =>
          resting
            .filter((o) => o.side === side)
            .sort((a, b) => (side === "buy" ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks) || a.seq - b.seq)
            .slice(0, limit)
            .map((o) => ({
              order_index: Number(o.id),
              order_id: o.id,
              owner_account_index: Number(o.accountId),
              initial_base_amount: lots(market, o.sizeLots),
              remaining_base_amount: lots(market, o.sizeLots),
              price: ticks(market, o.priceTicks),
              order_expiry: 0,
            }));
        const asks = view("sell");
        const bids = view("buy");
        return ok({ total_asks: asks.length, asks, total_bids: bids.length, bids });
      }
      case "GET /api/v1/recentTrades": {
        const market = ex.market(num("market_id"));
        return ok({ trades: ex.recentTrades(market.marketId, num("limit", 50)).map((t) => this.tradeJson(t)) });
      }
      case "GET /api/v1/trades": {
        // sort_by and limit are required by Lighter; an account's trades need its auth token.
        const sortBy = q.get("sort_by");
        if (sortBy !== "timestamp" && sortBy !== "trade_id" && sortBy !== "block_height") return err(21501, "invalid sort_by");
        const limit = num("limit");
        if (!(limit >= 1 && limit <= 100)) return err(21501, "invalid limit");
        const accountParam = q.get("account_index");
        const account = accountParam === null || accountParam === "" ? undefined : Number(accountParam);
        if (account !== undefined && !ex.checkAuth(auth, account)) return err(20001, "invalid auth", 401);
        const orderParam = q.get("order_index");
        const marketParam = q.get("market_id");
        const before = q.get("cursor") ? Number(q.get("cursor")) : Infinity;
        let all = ex
          .tradesOf({
            ...(account === undefined ? {} : { accountIndex: account }),
            ...(orderParam ? { orderIndex: BigInt(orderParam) } : {}),
            ...(marketParam ? { marketId: Number(marketParam) } : {}),
          })
          .filter((t) => t.id < before);
        if (q.get("sort_dir") === "asc") all = all.reverse();
        const page = all.slice(0, limit);
        return ok({ next_cursor: all.length > page.length ? String(page[page.length - 1]!.id) : "", trades: page.map((t) => this.tradeJson(t)) });
      }
      case "GET /api/v1/positionFunding": {
        const account = num("account_index");
        if (!ex.checkAuth(auth, account)) return err(20001, "invalid auth", 401);
        const limit = num("limit", 100);
        const marketParam = q.get("market_id");
        const before = q.get("cursor") ? Number(q.get("cursor")) : Infinity;
        const all = ex.positionFundingsOf(account, marketParam === null || marketParam === "" ? undefined : Number(marketParam)).filter((f) => f.id < before);
        const page = all.slice(0, limit);
        return ok({
          position_fundings: page.map((f) => {
            const m = ex.market(f.marketId);
            // Times in seconds, as the documented PositionFunding example writes them.
            return {
              timestamp: Math.floor(f.timeMs / 1000), market_id: f.marketId, funding_id: f.id, change: f.change.toFixed(6), rate: f.ratePercent,
              position_size: lots(m, f.lots), position_side: f.side,
            };
          }),
          next_cursor: all.length > page.length ? String(page[page.length - 1]!.id) : "",
        });
      }
      case "GET /api/v1/account": {
        const index = num("value");
        const collateral = ex.collateralOf(index);
        if (collateral === undefined) return err(21100, "account not found");
        const positions = ex.positionsOf(index).map((p) => {
          const m = ex.market(p.marketId);
          const entry = new Decimal(p.entryQuote.toString()).div(Math.abs(p.lots)).div(new Decimal(10).pow(m.priceDecimals));
          return {
            market_id: p.marketId, symbol: m.symbol, initial_margin_fraction: (m.defaultInitialMarginFraction / 100).toFixed(2), open_order_count: 0,
            sign: p.lots > 0 ? 1 : -1, position: lots(m, Math.abs(p.lots)), avg_entry_price: entry.toFixed(m.priceDecimals),
            position_value: "0", unrealized_pnl: "0", realized_pnl: "0", liquidation_price: "0", margin_mode: 0, allocated_margin: "0",
          };
        });
        return ok({
          total: 1,
          accounts: [{ code: 0, account_type: 0, index, l1_address: "0x0", collateral: collateral.toFixed(6), available_balance: collateral.toFixed(6), status: 1, positions, total_asset_value: collateral.toFixed(6) }],
        });
      }
      case "GET /api/v1/apikeys": {
        const account = num("account_index");
        const which = num("api_key_index", 255);
        const keys = ex.apiKeysOf(account).filter((k) => which === 255 || k.apiKeyIndex === which);
        return ok({ api_keys: keys.map((k) => ({ account_index: account, api_key_index: k.apiKeyIndex, nonce: k.nonce, public_key: k.publicKeyHex })) });
      }
      case "GET /api/v1/nextNonce": {
        const key = ex.apiKey(num("account_index"), num("api_key_index"));
        if (!key) return err(21109, "api key not found");
        return ok({ nonce: key.nonce });
      }
      case "POST /api/v1/sendTx": {
        const form = parseForm(body);
        const result = ex.sendTx(Number(form.get("tx_type")), form.get("tx_info") ?? "");
        if (!result.ok) return err(result.code, result.message);
        return ok({ message: '{"ratelimit": "didn\'t use volume quota"}', tx_hash: result.tx.hash, predicted_execution_time_ms: this.clock.now() + 100, volume_quota_remaining: 1000 });
      }
      case "POST /api/v1/sendTxBatch": {
        const form = parseForm(body);
        const types = JSON.parse(form.get("tx_types") ?? "[]") as number[];
        const infos = JSON.parse(form.get("tx_infos") ?? "[]") as string[];
        if (types.length !== infos.length) return err(21513, "TxInfos and TxTypes length mismatch");
        if (types.length > 50) return err(21514, "too many txs in a batch");
        const hashes: string[] = [];
        for (let i = 0; i < types.length; i++) {
          const r = ex.sendTx(types[i]!, infos[i]!);
          if (!r.ok) return err(r.code, r.message);
          hashes.push(r.tx.hash);
        }
        return ok({ tx_hash: hashes, predicted_execution_time_ms: this.clock.now() + 100, volume_quota_remaining: 1000 });
      }
      case "GET /api/v1/tx": {
        const tx = ex.tx(q.get("value") ?? "");
        if (!tx) return err(21500, "transaction not found");
        return ok({
          hash: tx.hash, type: tx.txType, info: tx.info, event_info: tx.eventInfo, status: tx.status, transaction_index: 0, l1_address: "0x0",
          account_index: tx.accountIndex, nonce: tx.nonce, expire_at: 0, block_height: 1, queued_at: tx.queuedAt, executed_at: tx.executedAt,
          sequence_index: 0, parent_hash: "",
        });
      }
      case "GET /api/v1/accountActiveOrders":
      case "GET /api/v1/accountInactiveOrders": {
        const account = num("account_index");
        if (!ex.checkAuth(auth, account)) return err(20001, "invalid auth", 401);
        const active = url.pathname.endsWith("ActiveOrders") && !url.pathname.includes("Inactive");
        const market = active ? num("market_id") : num("market_id", 255);
        const limit = active ? 1000 : num("limit", 100);
        return ok({ next_cursor: "", orders: ex.accountOrders(account, active, market).slice(0, limit).map((o) => this.orderJson(o)) });
      }
      case "GET /api/v1/liquidations": {
        const account = num("account_index");
        if (!ex.checkAuth(auth, account)) return err(20001, "invalid auth", 401);
        const limit = num("limit", 100);
        const marketParam = q.get("market_id");
        const before = q.get("cursor") ? Number(q.get("cursor")) : Infinity;
        const all = ex.liquidationsOf(account, marketParam === null || marketParam === "" ? undefined : Number(marketParam)).filter((l) => l.id < before);
        const page = all.slice(0, limit);
        const more = all.length > page.length;
        return ok({ liquidations: page.map((l) => this.liquidationJson(l)), next_cursor: more ? String(page[page.length - 1]!.id) : "" });
      }
      case "GET /api/v1/candles": {
        const market = ex.market(num("market_id"));
        const last = ex.lastTrade(market.marketId);
        const p = last === undefined ? 0 : Number(ticks(market, last));
        return ok({ r: q.get("resolution") ?? "1h", c: last === undefined ? [] : [{ t: num("end_timestamp", this.clock.now()), o: p, h: p, l: p, c: p, O: p, H: p, L: p, C: p, v: 0, V: 0, i: 0 }] });
      }
      case "GET /api/v1/fundings":
        return ok({ resolution: q.get("resolution") ?? "1h", fundings: [{ timestamp: Math.floor(this.clock.now() / 1000), value: "0.0000", rate: "0.0001", direction: "long" }] });
      case "GET /api/v1/funding-rates":
        return ok({ funding_rates: [...ex.markets.values()].map((m) => ({ market_id: m.marketId, exchange: "lighter", symbol: m.symbol, rate: 0.0001 })) });
      default:
        return err(29404, `not found: ${method} ${url.pathname}`, 404);
    }
  }

  /** A trade in the openapi Trade shape: fees as integers in parts per million, left out when zero (as Go's omitempty does). */
  private tradeJson(t: MockTrade): Record<string, unknown> {
    const m = this.exchange.market(t.marketId);
    const size = lots(m, t.lots);
    const price = ticks(m, t.priceTicks);
    return {
      trade_id: t.id, tx_hash: t.txHash, type: "trade", market_id: t.marketId, size, price, usd_amount: new Decimal(size).mul(price).toFixed(6),
      ask_id: t.askId.toString(), bid_id: t.bidId.toString(), ask_account_id: t.askAccount, bid_account_id: t.bidAccount,
      is_maker_ask: t.makerAsk, block_height: 0, timestamp: t.ts, transaction_time: t.ts * 1000,
      ...(t.takerFeePpm !== 0 ? { taker_fee: t.takerFeePpm } : {}),
      ...(t.makerFeePpm !== 0 ? { maker_fee: t.makerFeePpm } : {}),
    };
  }

  private detailJson(m: MockMarketSpec): Record<string, unknown> {
    const last = this.exchange.lastTrade(m.marketId);
    return {
      symbol: m.symbol, market_id: m.marketId, market_type: "perp", base_asset_id: 0, quote_asset_id: 0, status: "active", taker_fee: "0.0000",
      maker_fee: "0.0000", liquidation_fee: "1.0000", min_base_amount: m.minBaseAmount, min_quote_amount: m.minQuoteAmount,
      order_quote_limit: "281474976.710655", supported_size_decimals: m.sizeDecimals, supported_price_decimals: m.priceDecimals,
      supported_quote_decimals: 6, size_decimals: m.sizeDecimals, price_decimals: m.priceDecimals, quote_multiplier: 1,
      default_initial_margin_fraction: m.defaultInitialMarginFraction, min_initial_margin_fraction: m.minInitialMarginFraction,
      maintenance_margin_fraction: m.maintenanceMarginFraction, closeout_margin_fraction: m.closeoutMarginFraction,
      last_trade_price: last === undefined ? 0 : Number(ticks(m, last)), daily_trades_count: 0, open_interest: 0,
    };
  }

  private liquidationJson(l: MockLiquidation): Record<string, unknown> {
    const m = this.exchange.market(l.marketId);
    // The liquidator (insurance fund or deleverage counterparty) takes the other side.
    const counterparty = 281474976710654;
    return {
      id: l.id,
      market_id: l.marketId,
      type: l.type,
      trade: {
        price: ticks(m, l.priceTicks),
        size: lots(m, l.lots),
        taker_fee: l.takerFee,
        maker_fee: "0",
        transaction_time: l.timeMs * 1000 + 123,
        bid_account_id: l.isAsk ? counterparty : l.accountIndex,
        ask_account_id: l.isAsk ? l.accountIndex : counterparty,
      },
      info: {
        positions: [],
        risk_info_before: { cross_risk_parameters: { market_id: 255 }, isolated_risk_parameters: [] },
        risk_info_after: { cross_risk_parameters: { market_id: 255 }, isolated_risk_parameters: [] },
        mark_prices: { [String(l.marketId)]: Number(ticks(m, l.markTicks)) },
      },
    };
  }

  private orderJson(o: MockOrder): Record<string, unknown> {
    const m = this.exchange.market(o.marketId);
    const avgFill = o.filledLots === 0 ? new Decimal(0) : new Decimal(o.filledQuoteTicksLots.toString()).div(new Decimal(10).pow(m.priceDecimals + m.sizeDecimals));
    const type = ["limit", "market", "stop-loss", "stop-loss-limit", "take-profit", "take-profit-limit", "twap"][o.orderType] ?? "limit";
    return {
      order_index: Number(o.orderIndex), client_order_index: Number(o.clientOrderIndex), order_id: o.orderIndex.toString(),
      client_order_id: o.clientOrderIndex.toString(), market_index: o.marketId, owner_account_index: o.accountIndex,
      initial_base_amount: lots(m, o.initialLots), price: ticks(m, o.priceTicks), nonce: o.nonce, remaining_base_amount: lots(m, o.remainingLots),
      is_ask: o.isAsk, base_size: o.initialLots, base_price: o.priceTicks, filled_base_amount: lots(m, o.filledLots),
      filled_quote_amount: avgFill.toFixed(6), side: o.isAsk ? "sell" : "buy", type,
      time_in_force: ["immediate-or-cancel", "good-till-time", "post-only"][o.timeInForce] ?? "good-till-time", reduce_only: o.reduceOnly,
      trigger_price: ticks(m, o.triggerTicks), order_expiry: o.orderExpiry, status: o.status, trigger_status: o.status === "pending" ? "mark-price" : "na",
      trigger_time: 0, parent_order_index: 0, parent_order_id: "0", block_height: 1, timestamp: Math.floor(o.createdAtMs / 1000),
      created_at: Math.floor(o.createdAtMs / 1000), updated_at: Math.floor(this.clock.now() / 1000), transaction_time: o.createdAtMs * 1000,
    };
  }

  // ------------------------------------------------------------ WebSocket

  private onSocket(socket: WebSocket): void {
    const sub: Subscriber = { socket, channels: new Set() };
    this.subscribers.add(sub);
    socket.on("close", () => this.subscribers.delete(sub));
    socket.on("error", () => this.subscribers.delete(sub));
    socket.send(JSON.stringify({ type: "connected", session_id: `mock-${Math.floor(this.clock.now())}` }));
    socket.on("message", (data) => {
      let msg: { type?: string; channel?: string; auth?: string };
      try {
        msg = JSON.parse(frameText(data)) as typeof msg;
      } catch {
        socket.send(JSON.stringify({ type: "error", code: 30000, message: "Invalid Json" }));
        return;
      }
      if (msg.type === "ping") {
        this.pingsReceived++;
        return void socket.send(JSON.stringify({ type: "pong" }));
      }
      if (msg.type === "pong") return;
      if (msg.type === "jsonapi/sendtx") {
        const data = (msg as { data?: { tx_type?: number; tx_info?: string } }).data ?? {};
        const id = (msg as { id?: unknown }).id;
        const result = this.exchange.sendTx(Number(data.tx_type), String(data.tx_info ?? ""));
        const reply = result.ok
          ? { type: "jsonapi/sendtx", id, code: 200, message: "", tx_hash: result.tx.hash }
          : { type: "jsonapi/sendtx", id, code: result.code, message: result.message };
        return void socket.send(JSON.stringify(reply));
      }
      if (msg.type === "subscribe" && typeof msg.channel === "string") return this.subscribe(sub, msg.channel, msg.auth);
      if (msg.type === "unsubscribe" && typeof msg.channel === "string") {
        if (!sub.channels.delete(msg.channel)) socket.send(JSON.stringify({ type: "error", code: 30002, message: `Not Subscribed to ${msg.channel}` }));
        else socket.send(JSON.stringify({ type: `unsubscribed/${msg.channel.split("/")[0]}`, channel: msg.channel.replace(/\//g, ":") }));
        return;
      }
      socket.send(JSON.stringify({ type: "error", code: 30001, message: "Invalid Type" }));
    });
  }

  private subscribe(sub: Subscriber, channel: string, auth: string | undefined): void {
    const parts = channel.split("/");
    const kind = parts[0];
    if (sub.channels.has(channel)) return void sub.socket.send(JSON.stringify({ type: "error", code: 30003, message: `Already Subscribed to ${channel}` }));
    if (kind === "order_book" && parts.length === 2 && this.exchange.markets.has(Number(parts[1]))) {
      sub.channels.add(channel);
      const marketId = Number(parts[1]);
      const stream = this.stream(marketId);
      const levels = this.levels(marketId);
      const m = this.exchange.market(marketId);
      sub.socket.send(
        JSON.stringify({
          channel: `order_book:${marketId}`,
          offset: stream.offset,
          order_book: { code: 0, asks: side(m, levels.asks, "asc"), bids: side(m, levels.bids, "desc"), offset: stream.offset, nonce: stream.nonce, begin_nonce: stream.nonce },
          timestamp: this.clock.now(),
          type: "subscribed/order_book",
        }),
      );
      return;
    }
    if ((kind === "account_all_orders" && parts.length === 2) || (kind === "account_orders" && parts.length === 3)) {
      const account = Number(parts[parts.length - 1]);
      if (!this.exchange.checkAuth(auth, account)) return void sub.socket.send(JSON.stringify({ type: "error", code: 30012, message: "Failed to subscribe: invalid auth" }));
      sub.channels.add(channel);
      sub.socket.send(JSON.stringify(this.accountOrdersMessage(channel, account, `subscribed/${kind}`)));
      return;
    }
    sub.socket.send(JSON.stringify({ type: "error", code: 30005, message: `Invalid Channel ${channel}` }));
  }

  private accountOrdersMessage(channel: string, account: number, type: string): Record<string, unknown> {
    const parts = channel.split("/");
    const marketFilter = parts[0] === "account_orders" ? Number(parts[1]) : undefined;
    const byMarket: Record<string, unknown[]> = {};
    for (const o of [...this.exchange.accountOrders(account, true), ...this.exchange.accountOrders(account, false)]) {
      if (marketFilter !== undefined && o.marketId !== marketFilter) continue;
      (byMarket[String(o.marketId)] ??= []).push(this.orderJson(o));
    }
    return { account, channel: channel.replace(/\//g, ":"), orders: byMarket, type };
  }

  private publishAccount(account: number, marketId: number): void {
    for (const sub of this.subscribers) {
      for (const channel of sub.channels) {
        if (channel === `account_all_orders/${account}` || channel === `account_orders/${marketId}/${account}`) {
          sub.socket.send(JSON.stringify(this.accountOrdersMessage(channel, account, `update/${channel.split("/")[0]}`)));
        }
      }
    }
  }

  private stream(marketId: number): BookStream {
    let s = this.bookStreams.get(marketId);
    if (!s) {
      const levels = this.levels(marketId);
      s = { nonce: 1000, offset: 1, lastLevels: levels };
      this.bookStreams.set(marketId, s);
    }
    return s;
  }

  private levels(marketId: number): { bids: Map<number, number>; asks: Map<number, number> } {
    const depth = this.exchange.book(marketId).depth(1000);
    return { bids: new Map(depth.bids.map((l) => [l.priceTicks, l.sizeLots])), asks: new Map(depth.asks.map((l) => [l.priceTicks, l.sizeLots])) };
  }

  /** Sends the level diff since the last update; begin_nonce = previous nonce unless a gap fault is armed. */
  private publishBook(marketId: number): void {
    const stream = this.stream(marketId);
    const now = this.levels(marketId);
    const diff = (before: Map<number, number>, after: Map<number, number>) => {
      const changes = new Map<number, number>();
      for (const [p, s] of after) if (before.get(p) !== s) changes.set(p, s);
      for (const p of before.keys()) if (!after.has(p)) changes.set(p, 0);
      return changes;
    };
    const askDiff = diff(stream.lastLevels.asks, now.asks);
    const bidDiff = diff(stream.lastLevels.bids, now.bids);
    stream.lastLevels = now;
    if (askDiff.size === 0 && bidDiff.size === 0) return;
    const begin = this.faults.bookNonceGapNext ? stream.nonce + 5 : stream.nonce;
    this.faults.bookNonceGapNext = false;
    stream.nonce = begin + 1 + Math.floor(askDiff.size + bidDiff.size);
    stream.offset += 1;
    const m = this.exchange.market(marketId);
    const message = JSON.stringify({
      channel: `order_book:${marketId}`,
      offset: stream.offset,
      order_book: { code: 0, asks: side(m, askDiff, "asc"), bids: side(m, bidDiff, "desc"), offset: stream.offset, nonce: stream.nonce, begin_nonce: begin },
      timestamp: this.clock.now(),
      type: "update/order_book",
    });
    for (const sub of this.subscribers) if (sub.channels.has(`order_book/${marketId}`)) sub.socket.send(message);
  }
}

function side(m: MockMarketSpec, levels: Map<number, number>, order: "asc" | "desc"): { price: string; size: string }[] {
  return [...levels.entries()]
    .sort((a, b) => (order === "asc" ? a[0] - b[0] : b[0] - a[0]))
    .map(([p, s]) => ({ price: ticks(m, p), size: lots(m, s) }));
}

function ticks(m: MockMarketSpec, value: number): string {
  return new Decimal(value).div(new Decimal(10).pow(m.priceDecimals)).toFixed(m.priceDecimals);
}

function lots(m: MockMarketSpec, value: number): string {
  return new Decimal(value).div(new Decimal(10).pow(m.sizeDecimals)).toFixed(m.sizeDecimals);
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses x-www-form-urlencoded, or a multipart/form-data body by its parts. */
function parseForm(body: string): Map<string, string> {
  const out = new Map<string, string>();
  if (body.startsWith("--")) {
    const boundary = body.slice(0, body.indexOf("\r\n"));
    for (const part of body.split(boundary)) {
      const m = /name="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*)\r\n$/.exec(part);
      if (m) out.set(m[1]!, m[2]!);
    }
    return out;
  }
  for (const [k, v] of new URLSearchParams(body)) out.set(k, v);
  return out;
}

/** A frame's text: ws hands a Buffer (or, with other binary types, an ArrayBuffer or fragments). */
function frameText(data: RawData): string {
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString("utf8");
}
