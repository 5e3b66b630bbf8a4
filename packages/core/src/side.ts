/** Position direction: long profits when the price rises, short when it falls. */
export type Side = "LONG" | "SHORT";
/** Order direction on the book. */
export type OrderSide = "buy" | "sell";

/** Both position sides, for validation and iteration. */
export const SIDES: readonly Side[] = ["LONG", "SHORT"];
/** Both order sides. */
export const ORDER_SIDES: readonly OrderSide[] = ["buy", "sell"];

/** The order side that opens or adds to a position of this side. */
export function openingOrderSide(side: Side): OrderSide {
  return side === "LONG" ? "buy" : "sell";
}

/** The order side that reduces or closes a position of this side. */
export function closingOrderSide(side: Side): OrderSide {
  return side === "LONG" ? "sell" : "buy";
}

/** The position side an order side opens. */
export function positionSideOf(orderSide: OrderSide): Side {
  return orderSide === "buy" ? "LONG" : "SHORT";
}

/** +1 for LONG, -1 for SHORT: PnL = sign * (exit - entry) * quantity. */
export function sideSign(side: Side): 1 | -1 {
  return side === "LONG" ? 1 : -1;
}

/** The other side. */
export function oppositeSide(side: Side): Side {
  return side === "LONG" ? "SHORT" : "LONG";
}

/** The other order side. */
export function oppositeOrderSide(side: OrderSide): OrderSide {
  return side === "buy" ? "sell" : "buy";
}
