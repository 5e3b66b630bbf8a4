/**
 * Unsigned Lighter transactions: their Poseidon2 hash (what gets signed, and the
 * tx_hash the exchange returns) and their tx_info JSON, byte-compatible with Go's
 * json.Marshal of lighter-go's structs (field order, no spaces, Sig as base64).
 * Signing is a pure function of (tx, key, chainId), so REST, WebSocket and
 * batches share it.
 */
import { ValidationError, type ValidationIssue } from "@autonome/core";
import { fromUint64 } from "../signer/goldilocks.js";
import { hashToQuinticExtension } from "../signer/poseidon2.js";
import { type Fp5, toBytesLE } from "../signer/quintic.js";
import { bytesToHex } from "../signer/hex.js";
import type { LighterApiKey } from "../signer/api-key.js";
import { LIMITS, ORDER_TYPE, TIME_IN_FORCE, TX_TYPE, type TxType } from "./tx-types.js";

/** Integer-valued tx fields accept number (when safe) or bigint. */
export type IntLike = number | bigint;

/** Optional L2 tx attributes (tx_attributes.go); unset or nil-valued ones are left out of the hash. */
export interface TxAttributes {
  integratorAccountIndex?: IntLike;
  integratorTakerFee?: number;
  integratorMakerFee?: number;
  skipNonce?: 0 | 1;
  cancelAllMarketIndex?: number;
  selfTradeBehaviorMode?: number;
  selfTradeEqualityMode?: number;
}

const ATTRIBUTE_IDS: Record<keyof TxAttributes, { id: number; nil: bigint }> = {
  integratorAccountIndex: { id: 1, nil: 0n },
  integratorTakerFee: { id: 2, nil: 0n },
  integratorMakerFee: { id: 3, nil: 0n },
  skipNonce: { id: 4, nil: 0n },
  cancelAllMarketIndex: { id: 5, nil: 255n },
  selfTradeBehaviorMode: { id: 6, nil: 0n },
  selfTradeEqualityMode: { id: 7, nil: 0n },
};
const ATTRIBUTES_PER_TX = 4;

/** Who sends a tx and when it stops being valid. */
export interface TxEnvelope {
  accountIndex: IntLike;
  apiKeyIndex: number;
  /** Milliseconds since epoch after which the exchange drops the tx. */
  expiredAt: number;
  nonce: IntLike;
  attributes?: TxAttributes;
}

/** CreateOrder (14) body; prices are integer ticks, amounts integer lots. */
export interface CreateOrderBody {
  marketIndex: number;
  clientOrderIndex: IntLike;
  baseAmount: IntLike;
  price: number;
  isAsk: boolean;
  orderType: number;
  timeInForce: number;
  reduceOnly: boolean;
  triggerPrice: number;
  orderExpiry: IntLike;
}

/** CancelOrder (15) body; `index` is the order index or the client order index. */
export interface CancelOrderBody {
  marketIndex: number;
  index: IntLike;
}

/** CancelAllOrders (16) body. */
export interface CancelAllOrdersBody {
  timeInForce: number;
  time: IntLike;
}

/** ModifyOrder (17) body. */
export interface ModifyOrderBody {
  marketIndex: number;
  index: IntLike;
  baseAmount: IntLike;
  price: number;
  triggerPrice: number;
}

/** UpdateLeverage (20) body; initialMarginFraction in 1/10000. */
export interface UpdateLeverageBody {
  marketIndex: number;
  initialMarginFraction: number;
  marginMode: number;
}

/** A transaction ready to hash and sign. */
export type UnsignedTx =
  | ({ txType: typeof TX_TYPE.CREATE_ORDER } & TxEnvelope & CreateOrderBody)
  | ({ txType: typeof TX_TYPE.CANCEL_ORDER } & TxEnvelope & CancelOrderBody)
  | ({ txType: typeof TX_TYPE.CANCEL_ALL_ORDERS } & TxEnvelope & CancelAllOrdersBody)
  | ({ txType: typeof TX_TYPE.MODIFY_ORDER } & TxEnvelope & ModifyOrderBody)
  | ({ txType: typeof TX_TYPE.UPDATE_LEVERAGE } & TxEnvelope & UpdateLeverageBody);

/** A signed transaction, ready for sendTx. */
export interface SignedTx {
  readonly txType: TxType;
  /** tx_info JSON exactly as lighter-go produces it. */
  readonly txInfo: string;
  /** Hex of the 40-byte message hash (80 chars, no 0x): the exchange's tx_hash. */
  readonly txHash: string;
  /** The 80-byte signature. */
  readonly signature: Uint8Array;
}

const big = (v: IntLike): bigint => BigInt(v);
const bit = (b: boolean): bigint => (b ? 1n : 0n);

/** The fields in Go struct order (which is also the tx_info key order), Sig and attributes excluded. */
export function txFields(tx: UnsignedTx): [string, bigint][] {
  const head: [string, bigint][] = [
    ["AccountIndex", big(tx.accountIndex)],
    ["ApiKeyIndex", big(tx.apiKeyIndex)],
  ];
  const tail: [string, bigint][] = [
    ["ExpiredAt", big(tx.expiredAt)],
    ["Nonce", big(tx.nonce)],
  ];
  switch (tx.txType) {
    case TX_TYPE.CREATE_ORDER:
      return [
        ...head,
        ["MarketIndex", big(tx.marketIndex)],
        ["ClientOrderIndex", big(tx.clientOrderIndex)],
        ["BaseAmount", big(tx.baseAmount)],
        ["Price", big(tx.price)],
        ["IsAsk", bit(tx.isAsk)],
        ["Type", big(tx.orderType)],
        ["TimeInForce", big(tx.timeInForce)],
        ["ReduceOnly", bit(tx.reduceOnly)],
        ["TriggerPrice", big(tx.triggerPrice)],
        ["OrderExpiry", big(tx.orderExpiry)],
        ...tail,
      ];
    case TX_TYPE.CANCEL_ORDER:
      return [...head, ["MarketIndex", big(tx.marketIndex)], ["Index", big(tx.index)], ...tail];
    case TX_TYPE.CANCEL_ALL_ORDERS:
      return [...head, ["TimeInForce", big(tx.timeInForce)], ["Time", big(tx.time)], ...tail];
    case TX_TYPE.MODIFY_ORDER:
      return [
        ...head,
        ["MarketIndex", big(tx.marketIndex)],
        ["Index", big(tx.index)],
        ["BaseAmount", big(tx.baseAmount)],
        ["Price", big(tx.price)],
        ["TriggerPrice", big(tx.triggerPrice)],
        ...tail,
      ];
    case TX_TYPE.UPDATE_LEVERAGE:
      return [
        ...head,
        ["MarketIndex", big(tx.marketIndex)],
        ["InitialMarginFraction", big(tx.initialMarginFraction)],
        ["MarginMode", big(tx.marginMode)],
        ...tail,
      ];
  }
}

/** The hashed elements: chainId, txType, nonce, expiredAt, then the body in struct order. */
export function txHashElements(tx: UnsignedTx, chainId: number): bigint[] {
  const fields = new Map(txFields(tx));
  const body = txFields(tx)
    .map(([k]) => k)
    .filter((k) => k !== "ExpiredAt" && k !== "Nonce");
  return [BigInt(chainId), BigInt(tx.txType), fields.get("Nonce")!, fields.get("ExpiredAt")!, ...body.map((k) => fields.get(k)!)].map(
    (v) => fromUint64(v),
  );
}

/** Attribute entries whose value differs from the nil value, sorted by type id. */
function activeAttributes(attributes: TxAttributes | undefined): [number, bigint][] {
  if (!attributes) return [];
  const out: [number, bigint][] = [];
  for (const [name, cfg] of Object.entries(ATTRIBUTE_IDS) as [keyof TxAttributes, { id: number; nil: bigint }][]) {
    const value = attributes[name];
    if (value === undefined) continue;
    if (BigInt(value) !== cfg.nil) out.push([cfg.id, BigInt(value)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The message hash that is signed (and the tx_hash): Poseidon2 of the elements, folded with the attributes hash if any. */
export function hashTx(tx: UnsignedTx, chainId: number): Fp5 {
  const txHash = hashToQuinticExtension(txHashElements(tx, chainId));
  const attrs = activeAttributes(tx.attributes);
  if (attrs.length === 0) return txHash;
  if (attrs.length > ATTRIBUTES_PER_TX) throw new ValidationError("too many tx attributes");
  const elems: bigint[] = [];
  for (let i = 0; i < ATTRIBUTES_PER_TX; i++) {
    const a = attrs[i];
    elems.push(a ? BigInt(a[0]) : 0n, a ? fromUint64(a[1]) : 0n);
  }
  const attrHash = hashToQuinticExtension(elems);
  return hashToQuinticExtension([...txHash, ...attrHash]);
}

/** Go's json.Marshal of the L2TxAttributes map: null when absent, else {"id":value} sorted by key text. */
function attributesJson(attributes: TxAttributes | undefined): string {
  if (!attributes) return "null";
  const entries: [string, bigint][] = [];
  for (const [name, cfg] of Object.entries(ATTRIBUTE_IDS) as [keyof TxAttributes, { id: number; nil: bigint }][]) {
    const value = attributes[name];
    if (value !== undefined) entries.push([String(cfg.id), BigInt(value)]);
  }
  if (entries.length === 0) return "null";
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `{${entries.map(([k, v]) => `"${k}":${v}`).join(",")}}`;
}

/** tx_info JSON; `signature` null gives the unsigned form ("Sig":null, as Go marshals a nil []byte). */
export function txInfoJson(tx: UnsignedTx, signature: Uint8Array | null): string {
  const parts = txFields(tx).map(([k, v]) => `"${k}":${v.toString()}`);
  parts.push(`"Sig":${signature ? `"${Buffer.from(signature).toString("base64")}"` : "null"}`);
  parts.push(`"L2TxAttributes":${attributesJson(tx.attributes)}`);
  return `{${parts.join(",")}}`;
}

function inRange(issues: ValidationIssue[], path: string, v: bigint, min: bigint, max: bigint): void {
  if (v < min || v > max) issues.push({ path, message: `must be in [${min}, ${max}]` });
}

/** The reference's client-side validation (create_order.go and friends); throws ValidationError. */
export function validateTx(tx: UnsignedTx): void {
  const issues: ValidationIssue[] = [];
  inRange(issues, "accountIndex", big(tx.accountIndex), 0n, LIMITS.MAX_ACCOUNT_INDEX);
  inRange(issues, "apiKeyIndex", big(tx.apiKeyIndex), 0n, BigInt(LIMITS.MAX_API_KEY_INDEX));
  inRange(issues, "expiredAt", big(tx.expiredAt), 0n, BigInt(LIMITS.MAX_TIMESTAMP));
  if (big(tx.nonce) < 0n) issues.push({ path: "nonce", message: "must be >= 0" });
  const market = "marketIndex" in tx ? tx.marketIndex : 0;
  const isPerps = market >= 0 && market <= LIMITS.MAX_PERPS_MARKET_INDEX;
  const isSpot = market >= LIMITS.MIN_SPOT_MARKET_INDEX && market <= LIMITS.MAX_SPOT_MARKET_INDEX;
  if ("marketIndex" in tx && !isPerps && !isSpot) issues.push({ path: "marketIndex", message: "not a perps or spot market index" });
  if (tx.txType === TX_TYPE.CREATE_ORDER) {
    const coi = big(tx.clientOrderIndex);
    if (coi !== 0n) inRange(issues, "clientOrderIndex", coi, 1n, LIMITS.MAX_CLIENT_ORDER_INDEX);
    const base = big(tx.baseAmount);
    if (!(tx.reduceOnly && base === 0n)) inRange(issues, "baseAmount", base, 1n, LIMITS.MAX_BASE_AMOUNT);
    inRange(issues, "price", big(tx.price), 1n, BigInt(LIMITS.MAX_PRICE));
    if (tx.triggerPrice !== 0) inRange(issues, "triggerPrice", big(tx.triggerPrice), 1n, BigInt(LIMITS.MAX_PRICE));
    if (tx.reduceOnly && isSpot) issues.push({ path: "reduceOnly", message: "not allowed on spot markets" });
    const ioc = tx.timeInForce === TIME_IN_FORCE.IMMEDIATE_OR_CANCEL;
    const expiry = big(tx.orderExpiry);
    switch (tx.orderType) {
      case ORDER_TYPE.MARKET:
        if (!ioc) issues.push({ path: "timeInForce", message: "market orders must be IOC" });
        if (expiry !== 0n) issues.push({ path: "orderExpiry", message: "market orders have no expiry" });
        if (tx.triggerPrice !== 0) issues.push({ path: "triggerPrice", message: "market orders have no trigger" });
        break;
      case ORDER_TYPE.LIMIT:
        if (tx.triggerPrice !== 0) issues.push({ path: "triggerPrice", message: "limit orders have no trigger" });
        if (ioc !== (expiry === 0n)) issues.push({ path: "orderExpiry", message: "IOC limit orders have no expiry; others need one" });
        break;
      case ORDER_TYPE.STOP_LOSS:
      case ORDER_TYPE.TAKE_PROFIT:
        if (!isPerps) issues.push({ path: "orderType", message: "trigger orders are perps only" });
        if (!ioc) issues.push({ path: "timeInForce", message: "SL/TP market orders must be IOC" });
        if (tx.triggerPrice === 0) issues.push({ path: "triggerPrice", message: "required" });
        if (expiry === 0n) issues.push({ path: "orderExpiry", message: "required" });
        break;
      case ORDER_TYPE.STOP_LOSS_LIMIT:
      case ORDER_TYPE.TAKE_PROFIT_LIMIT:
        if (!isPerps) issues.push({ path: "orderType", message: "trigger orders are perps only" });
        if (tx.triggerPrice === 0) issues.push({ path: "triggerPrice", message: "required" });
        if (expiry === 0n) issues.push({ path: "orderExpiry", message: "required" });
        break;
      case ORDER_TYPE.TWAP:
        if (tx.timeInForce !== TIME_IN_FORCE.GOOD_TILL_TIME) issues.push({ path: "timeInForce", message: "TWAP must be GTT" });
        if (expiry === 0n) issues.push({ path: "orderExpiry", message: "required" });
        break;
      default:
        issues.push({ path: "orderType", message: "unknown order type" });
    }
  }
  if (tx.txType === TX_TYPE.CANCEL_ORDER || tx.txType === TX_TYPE.MODIFY_ORDER) {
    inRange(issues, "index", big(tx.index), 1n, LIMITS.MAX_ORDER_INDEX);
  }
  if (tx.txType === TX_TYPE.MODIFY_ORDER) {
    inRange(issues, "baseAmount", big(tx.baseAmount), 0n, LIMITS.MAX_BASE_AMOUNT);
    inRange(issues, "price", big(tx.price), 1n, BigInt(LIMITS.MAX_PRICE));
  }
  if (tx.txType === TX_TYPE.UPDATE_LEVERAGE) {
    inRange(issues, "initialMarginFraction", big(tx.initialMarginFraction), 1n, 10_000n);
    if (tx.marginMode !== 0 && tx.marginMode !== 1) issues.push({ path: "marginMode", message: "must be 0 (cross) or 1 (isolated)" });
  }
  if (issues.length > 0) throw new ValidationError(`invalid tx type ${tx.txType}`, issues);
}

/** Validates, hashes and signs a transaction: the one signing path for REST, WebSocket and batches. */
export function signTx(tx: UnsignedTx, key: LighterApiKey, chainId: number): SignedTx {
  validateTx(tx);
  const hash = hashTx(tx, chainId);
  const signature = key.sign(hash);
  return { txType: tx.txType, txInfo: txInfoJson(tx, signature), txHash: bytesToHex(toBytesLE(hash)), signature };
}
