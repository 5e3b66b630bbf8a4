/**
 * WebSocket client for Lighter's /stream: subscribe and unsubscribe, an
 * app-level ping every 30 s, reconnect with exponential backoff and
 * resubscription, order books kept from snapshot + diffs with the
 * begin_nonce == previous nonce check (a gap drops the book and resubscribes
 * for a fresh snapshot), and authenticated account channels.
 */
import { SystemClock, type Timer, type TimerClock } from "@autonome/core";
import { EventEmitter } from "eventemitter3";
import WebSocket from "ws";
import { z } from "zod";
import { LighterTimeoutError, LighterUnavailableError, lighterErrorFor } from "../errors.js";
import type { SignedTx } from "../tx/transactions.js";
import { orderFrom, orderSchema, type LighterOrder } from "../rest/schemas.js";
import { LocalOrderBook } from "./local-order-book.js";

/** Options of the WebSocket client. */
export interface LighterWsClientOptions {
  /** For example wss://mainnet.zklighter.elliot.ai/stream or the mock's wsUrl. */
  url: string;
  /** App-level ping interval; default 30 s (Lighter drops connections idle for 2 minutes). */
  pingIntervalMs?: number;
  /** First reconnect delay; doubles per failed attempt; default 500 ms. */
  reconnectBaseMs?: number;
  /** Upper bound of the reconnect delay; default 15 s. */
  reconnectMaxMs?: number;
  /** Supplies a fresh auth token for authenticated channels (called on every (re)subscribe). */
  authToken?: () => string;
  clock?: TimerClock;
}

/** Events of the client (past-tense facts). */
export interface LighterWsEvents {
  connected: [];
  disconnected: [reason: string];
  /** A (re)subscription was confirmed by its snapshot. */
  subscribed: [channel: string];
  /** The book of a market changed (snapshot or diff applied). */
  orderBookUpdated: [book: LocalOrderBook];
  /** A nonce gap was detected; the book was dropped and a fresh snapshot requested. */
  orderBookGapDetected: [marketId: number, expectedBeginNonce: number | undefined, gotBeginNonce: number | undefined];
  /** Orders of an account channel, validated and typed, keyed by market id. */
  accountOrdersUpdated: [accountIndex: number, orders: Record<string, LighterOrder[]>];
  /** Any other channel message, parsed JSON. */
  messageReceived: [message: Record<string, unknown>];
  /** An error frame from the server. */
  errorReceived: [code: number, message: string];
}

const wireLevel = z.object({ price: z.string(), size: z.string() });
const orderBookMessage = z.object({
  type: z.string(),
  channel: z.string(),
  order_book: z.object({
    asks: z.array(wireLevel).default([]),
    bids: z.array(wireLevel).default([]),
    nonce: z.number().optional(),
    begin_nonce: z.number().optional(),
  }),
});
const accountOrdersMessage = z.object({ type: z.string(), channel: z.string(), orders: z.record(z.string(), z.array(z.unknown())) });

interface Subscription {
  channel: string;
  authenticated: boolean;
}

/** Lighter's WebSocket stream with book maintenance and reconnects. */
export class LighterWsClient extends EventEmitter<LighterWsEvents> {
  private readonly clock: TimerClock;
  private readonly pingIntervalMs: number;
  private readonly reconnectBaseMs: number;
  private readonly reconnectMaxMs: number;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly books = new Map<number, LocalOrderBook>();
  private socket: WebSocket | undefined;
  private pingTimer: Timer | undefined;
  private reconnectTimer: Timer | undefined;
  private attempts = 0;
  private closedByUser = false;
  private wasConnectedBefore = false;
  private isConnected = false;
  private readonly pendingTxs = new Map<string, { resolve: (hash: string) => void; reject: (error: Error) => void; timer: Timer }>();
  private nextTxId = 1;
  /** Number of completed reconnects (not counting the first connect). */
  reconnects = 0;

  constructor(private readonly options: LighterWsClientOptions) {
    super();
    this.clock = options.clock ?? new SystemClock();
    this.pingIntervalMs = options.pingIntervalMs ?? 30_000;
    this.reconnectBaseMs = options.reconnectBaseMs ?? 500;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 15_000;
  }

  /** Whether the server's "connected" frame has arrived on the current socket. */
  get connected(): boolean {
    return this.isConnected;
  }

  /** Opens the connection; resolves on the server's "connected" frame, rejects if that first attempt fails. */
  connect(): Promise<void> {
    this.closedByUser = false;
    return new Promise((resolve, reject) => {
      const onConnected = () => {
        this.off("disconnected", onFail);
        resolve();
      };
      const onFail = (reason: string) => {
        this.off("connected", onConnected);
        reject(new Error(`WebSocket connect failed: ${reason}`));
      };
      this.once("connected", onConnected);
      this.once("disconnected", onFail);
      this.open();
    });
  }

  /** Closes for good (no reconnect). */
  close(): void {
    this.closedByUser = true;
    this.clearTimers();
    this.socket?.close();
    this.socket = undefined;
    this.isConnected = false;
  }

  /** Subscribes (and re-subscribes after every reconnect); `authenticated` adds a fresh auth token. */
  subscribe(channel: string, options: { authenticated?: boolean } = {}): void {
    const sub = { channel, authenticated: options.authenticated ?? false };
    this.subscriptions.set(channel, sub);
    if (this.isConnected) this.sendSubscribe(sub);
  }

  /** Stops a subscription. */
  unsubscribe(channel: string): void {
    this.subscriptions.delete(channel);
    const market = /^order_book\/(\d+)$/.exec(channel);
    if (market) this.books.delete(Number(market[1]));
    if (this.isConnected) this.send({ type: "unsubscribe", channel });
  }

  /**
   * Sends a signed tx over the socket ({"type":"jsonapi/sendtx"}); resolves with its
   * hash, rejects with the typed Lighter error, or LighterTimeoutError after `timeoutMs`.
   */
  sendTx(tx: SignedTx, timeoutMs = 10_000): Promise<string> {
    if (!this.isConnected) return Promise.reject(new LighterUnavailableError(0, "WebSocket not connected", 0));
    const id = String(this.nextTxId++);
    return new Promise((resolve, reject) => {
      const timer = this.clock.schedule(
        this.clock.now() + timeoutMs,
        () => {
          this.pendingTxs.delete(id);
          reject(new LighterTimeoutError(0, `sendtx over WebSocket timed out after ${timeoutMs} ms`, 0));
        },
        "lighter-ws-sendtx",
      );
      this.pendingTxs.set(id, { resolve, reject, timer });
      this.send({ type: "jsonapi/sendtx", id, data: { tx_type: tx.txType, tx_info: tx.txInfo } });
    });
  }

  /** Subscribes to a market's order book. */
  subscribeOrderBook(marketId: number): void {
    this.subscribe(`order_book/${marketId}`);
  }

  /** Subscribes to all orders of an account (authenticated). */
  subscribeAccountOrders(accountIndex: number): void {
    this.subscribe(`account_all_orders/${accountIndex}`, { authenticated: true });
  }

  /** The local book of a market, once its snapshot arrived. */
  orderBook(marketId: number): LocalOrderBook | undefined {
    return this.books.get(marketId);
  }

  private open(): void {
    const socket = new WebSocket(this.options.url);
    this.socket = socket;
    socket.on("message", (data) => this.onMessage(frameText(data)));
    socket.on("close", () => this.onClose(socket, "closed"));
    socket.on("error", (error) => this.onClose(socket, error.message));
  }

  private onClose(socket: WebSocket, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.isConnected = false;
    this.clearTimers();
    this.books.clear();
    for (const [id, pending] of this.pendingTxs) {
      this.clock.cancel(pending.timer);
      pending.reject(new LighterUnavailableError(0, `WebSocket closed before the tx reply: ${reason}`, 0));
      this.pendingTxs.delete(id);
    }
    this.emit("disconnected", reason);
    // A first connect that fails is reported to connect()'s caller, not retried behind its back.
    if (this.closedByUser || !this.wasConnectedBefore) return;
    const delay = Math.min(this.reconnectMaxMs, this.reconnectBaseMs * 2 ** this.attempts);
    this.attempts++;
    this.reconnectTimer = this.clock.schedule(this.clock.now() + delay, () => this.open(), "lighter-ws-reconnect");
  }

  private onMessage(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return; // Lighter sometimes sends undecodable frames; they carry nothing.
    }
    if (message === null || typeof message !== "object") return;
    const type = typeof message["type"] === "string" ? message["type"] : "";
    if (type === "connected") return this.onConnected();
    if (type === "ping") return this.send({ type: "pong" });
    if (type === "pong") return;
    const nested = message["error"] as { code?: number; message?: string } | undefined;
    if (type === "error" || nested) {
      const code = Number(nested?.code ?? message["code"] ?? 0);
      const msg = messageText(nested?.message ?? message["message"]);
      this.emit("errorReceived", code, msg);
      return;
    }
    if (type === "jsonapi/sendtx") return this.onTxReply(message);
    if (type === "subscribed/order_book" || type === "update/order_book") return this.onOrderBook(message);
    if (type.endsWith("account_all_orders") || type.endsWith("account_orders")) {
      const parsed = accountOrdersMessage.safeParse(message);
      if (parsed.success) {
        const account = Number(parsed.data.channel.split(":").pop());
        if (type.startsWith("subscribed/")) this.emit("subscribed", parsed.data.channel.replace(/:/g, "/"));
        const typed: Record<string, LighterOrder[]> = {};
        for (const [market, orders] of Object.entries(parsed.data.orders)) {
          typed[market] = orders.flatMap((o) => {
            const order = orderSchema.safeParse(o);
            return order.success ? [orderFrom(order.data)] : [];
          });
        }
        this.emit("accountOrdersUpdated", account, typed);
        return;
      }
    }
    this.emit("messageReceived", message);
  }

  /** Replies carry our id when the server echoes it; otherwise they answer in order. */
  private onTxReply(message: Record<string, unknown>): void {
    const id = typeof message["id"] === "string" && this.pendingTxs.has(message["id"]) ? message["id"] : this.pendingTxs.keys().next().value;
    if (id === undefined) return;
    const pending = this.pendingTxs.get(id)!;
    this.pendingTxs.delete(id);
    this.clock.cancel(pending.timer);
    const code = Number(message["code"] ?? 0);
    if (code === 200 && typeof message["tx_hash"] === "string") pending.resolve(message["tx_hash"]);
    else pending.reject(lighterErrorFor(code, messageText(message["message"]), 0));
  }

  private onConnected(): void {
    this.isConnected = true;
    this.attempts = 0;
    if (this.wasConnectedBefore) this.reconnects++;
    this.wasConnectedBefore = true;
    this.schedulePing();
    for (const sub of this.subscriptions.values()) this.sendSubscribe(sub);
    this.emit("connected");
  }

  private onOrderBook(message: Record<string, unknown>): void {
    const parsed = orderBookMessage.safeParse(message);
    if (!parsed.success) return;
    const marketId = Number(parsed.data.channel.split(":")[1]);
    const { asks, bids, nonce, begin_nonce: beginNonce } = parsed.data.order_book;
    if (parsed.data.type === "subscribed/order_book") {
      const book = new LocalOrderBook(marketId);
      book.reset(asks, bids, nonce);
      this.books.set(marketId, book);
      this.emit("subscribed", `order_book/${marketId}`);
      this.emit("orderBookUpdated", book);
      return;
    }
    const book = this.books.get(marketId);
    if (!book) return; // waiting for a fresh snapshot after a gap
    if (book.apply(asks, bids, beginNonce, nonce) === "gap") {
      this.emit("orderBookGapDetected", marketId, book.nonce, beginNonce);
      this.books.delete(marketId);
      // A fresh snapshot comes with a new subscription.
      this.send({ type: "unsubscribe", channel: `order_book/${marketId}` });
      const sub = this.subscriptions.get(`order_book/${marketId}`);
      if (sub) this.sendSubscribe(sub);
      return;
    }
    this.emit("orderBookUpdated", book);
  }

  private sendSubscribe(sub: Subscription): void {
    const payload: Record<string, string> = { type: "subscribe", channel: sub.channel };
    if (sub.authenticated) {
      if (!this.options.authToken) throw new Error(`channel ${sub.channel} needs an authToken provider`);
      payload["auth"] = this.options.authToken();
    }
    this.send(payload);
  }

  private schedulePing(): void {
    this.pingTimer = this.clock.schedule(
      this.clock.now() + this.pingIntervalMs,
      () => {
        if (!this.isConnected) return;
        this.send({ type: "ping" });
        this.schedulePing();
      },
      "lighter-ws-ping",
    );
  }

  private clearTimers(): void {
    if (this.pingTimer) this.clock.cancel(this.pingTimer);
    if (this.reconnectTimer) this.clock.cancel(this.reconnectTimer);
    this.pingTimer = undefined;
    this.reconnectTimer = undefined;
  }

  private send(payload: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(payload));
  }
}

/** A frame's text: ws hands a Buffer (or, with other binary types, an ArrayBuffer or fragments). */
function frameText(data: WebSocket.RawData): string {
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString("utf8");
}

/** An error message field as text: a string or number as is, anything else empty. */
function messageText(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? value.toString() : "";
}
