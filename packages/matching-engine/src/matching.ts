/**
 * Pure validation rules of the matching engine: which integer inputs the book accepts.
 *
 * Invariants: a price is a positive safe integer number of ticks no larger than the
 * book's `maxPriceTicks`; a size is a positive safe integer number of lots. An input that
 * breaks a rule yields a `RejectReason` value (never a throw), and the book changes
 * nothing for it. Malformed inputs that the types already forbid (a missing id, an
 * unknown side or kind) are programming errors and throw core's `ValidationError`.
 */
import { type RejectReason, ValidationError } from "@autonome/core";
import type { BookOrderInput, TriggerOrderInput } from "./types.js";

/** Why a size in lots is not acceptable, or undefined when it is. */
export function checkSizeLots(sizeLots: unknown): RejectReason | undefined {
  if (typeof sizeLots !== "number" || Number.isNaN(sizeLots)) return "INVALID_SIZE_LOT";
  if (sizeLots <= 0) return "NON_POSITIVE_SIZE";
  if (sizeLots > Number.MAX_SAFE_INTEGER) return "SIZE_OUT_OF_RANGE";
  if (!Number.isInteger(sizeLots)) return "INVALID_SIZE_LOT";
  return undefined;
}

/** Why a price in ticks is not acceptable, or undefined when it is. */
export function checkPriceTicks(priceTicks: unknown, maxPriceTicks: number): RejectReason | undefined {
  if (typeof priceTicks !== "number" || Number.isNaN(priceTicks)) return "INVALID_PRICE_TICK";
  if (priceTicks <= 0) return "NON_POSITIVE_PRICE";
  if (priceTicks > maxPriceTicks) return "PRICE_OUT_OF_RANGE";
  if (!Number.isInteger(priceTicks)) return "INVALID_PRICE_TICK";
  return undefined;
}

const SIDES = new Set(["buy", "sell"]);
const KINDS = new Set(["limit", "market"]);
const TIFS = new Set(["GTC", "IOC", "FOK"]);
const STPS = new Set(["cancel_taker", "cancel_maker", "cancel_both", "allow"]);
const TRIGGER_KINDS = new Set(["stop_loss", "take_profit"]);

function assertShape(ok: boolean, path: string, message: string): void {
  if (!ok) throw new ValidationError("malformed order", [{ path, message }]);
}

/**
 * Validates an order's numbers and shape. Returns the reject reason for an expected
 * rejection; throws `ValidationError` for a value its type forbids.
 */
export function validateOrderInput(order: BookOrderInput, maxPriceTicks: number): RejectReason | undefined {
  // Hot path: plain comparisons only (no Set lookups, no allocation) for a well-formed order.
  const id = order?.id;
  const side = order.side;
  const kind = order.kind;
  const tif = order.timeInForce;
  const stp = order.selfTrade;
  if (
    typeof id !== "string" ||
    id.length === 0 ||
    typeof order.accountId !== "string" ||
    (side !== "buy" && side !== "sell") ||
    (kind !== "limit" && kind !== "market") ||
    (tif !== undefined && tif !== "GTC" && tif !== "IOC" && tif !== "FOK") ||
    (stp !== undefined && stp !== "cancel_taker" && stp !== "cancel_maker" && stp !== "cancel_both" && stp !== "allow")
  ) {
    assertOrderShape(order);
  }
  const size = order.sizeLots;
  if (!(Number.isSafeInteger(size) && size > 0)) return checkSizeLots(size) ?? "INVALID_SIZE_LOT";
  const price = order.priceTicks;
  if (kind === "limit" || price !== undefined) {
    if (!(Number.isSafeInteger(price) && (price as number) > 0 && (price as number) <= maxPriceTicks)) {
      return checkPriceTicks(price, maxPriceTicks) ?? "INVALID_PRICE_TICK";
    }
  }
  return undefined;
}

/**
 * The shape checks of the book's positional calls (`limit`, `market`): throws the
 * `ValidationError` that names what is malformed. An id is a non-empty string or a
 * non-negative safe integer.
 */
export function assertStepShape(id: unknown, side: unknown, accountId: unknown, selfTrade: unknown): void {
  if (
    (typeof id === "string" ? id.length > 0 : Number.isSafeInteger(id) && (id as number) >= 0) &&
    (side === "buy" || side === "sell") &&
    typeof accountId === "string" &&
    (selfTrade === "allow" || selfTrade === "cancel_taker" || selfTrade === "cancel_maker" || selfTrade === "cancel_both")
  ) {
    return;
  }
  assertShape(typeof id === "string" ? id.length > 0 : Number.isSafeInteger(id) && (id as number) >= 0, "id", "must be a non-empty string or a non-negative safe integer");
  assertShape(side === "buy" || side === "sell", "side", "must be buy or sell");
  assertShape(typeof accountId === "string", "accountId", "must be a string");
  assertShape(false, "selfTrade", "unknown self-trade prevention mode");
}

/** Throws the ValidationError that names what is malformed in an order. */
function assertOrderShape(order: BookOrderInput): void {
  assertShape(typeof order?.id === "string" && order.id.length > 0, "id", "must be a non-empty string");
  assertShape(typeof order.accountId === "string", "accountId", "must be a string");
  assertShape(SIDES.has(order.side), "side", "must be buy or sell");
  assertShape(KINDS.has(order.kind), "kind", "must be limit or market");
  assertShape(order.timeInForce === undefined || TIFS.has(order.timeInForce), "timeInForce", "must be GTC, IOC or FOK");
  assertShape(order.selfTrade === undefined || STPS.has(order.selfTrade), "selfTrade", "unknown self-trade prevention mode");
}

/** Validates a trigger order: its size, trigger price and optional limit price. */
export function validateTriggerInput(trigger: TriggerOrderInput, maxPriceTicks: number): RejectReason | undefined {
  assertShape(typeof trigger?.id === "string" && trigger.id.length > 0, "id", "must be a non-empty string");
  assertShape(typeof trigger.accountId === "string", "accountId", "must be a string");
  assertShape(SIDES.has(trigger.side), "side", "must be buy or sell");
  assertShape(TRIGGER_KINDS.has(trigger.kind), "kind", "must be stop_loss or take_profit");
  const sizeReason = checkSizeLots(trigger.sizeLots);
  if (sizeReason !== undefined) return sizeReason;
  if (checkPriceTicks(trigger.triggerTicks, maxPriceTicks) !== undefined) return "INVALID_TRIGGER";
  if (trigger.limitTicks !== undefined && checkPriceTicks(trigger.limitTicks, maxPriceTicks) !== undefined) {
    return "INVALID_TRIGGER";
  }
  return undefined;
}

/**
 * Whether a reference price fires a trigger. A sell stop-loss fires at or below its
 * trigger, a sell take-profit at or above; a buy stop-loss at or above, a buy
 * take-profit at or below.
 */
export function triggerFires(trigger: TriggerOrderInput, referenceTicks: number): boolean {
  const fallsThrough = (trigger.side === "sell") === (trigger.kind === "stop_loss");
  return fallsThrough ? referenceTicks <= trigger.triggerTicks : referenceTicks >= trigger.triggerTicks;
}
