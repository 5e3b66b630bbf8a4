/**
 * The simulator's accounts: cash, positions and their history, and the margin and views
 * derived from them. Markets are read through the narrow, read-only MarketQuote (definition,
 * mark, size on the book) and resting orders are the engines' records, indexed read-only;
 * nothing here touches a book or emits an event. The simulator feeds
 * it the fills a MarketEngine returned and turns what comes back (fills, closed trades,
 * touched positions) into events.
 *
 * Invariants:
 * - cash = initialCapital + realizedPnl - fees + funding + badDebt, exactly, after every change.
 * - A position keeps its cost basis, so its realized PnL over its life equals
 *   sign x (exit notional - entry notional) exactly; a closed position's trade reports it.
 * - A flat account never keeps negative cash: the loss beyond zero becomes bad debt.
 */
import {
  type CloseTrigger,
  type Decimal,
  type ExitPlan,
  type Liquidity,
  type Market,
  type OrderSide,
  type Side,
  ZERO,
  emptyExitPlan,
  lotsToSize,
  ticksToPrice,
} from "@autonome/core";
import {
  type AccountMargin,
  type MaintenanceStanding,
  type MarginPosition,
  type PositionAmount,
  accountMargin,
  applyFillToPosition,
  entryPriceOf,
  initialMargin,
  liquidationPriceEstimate,
  maintenanceMargin,
  maintenanceStanding,
  notionalAt,
  unrealizedPnlOf,
} from "./account.js";
import type { ExitTrigger, RestingOrder } from "./market-engine.js";
import type { AccountView, OpenOrderView, PositionView, SimFill, SimulatedTrade } from "./types.js";

/** An open position of an account, with the history its closing trade reports. */
export interface PositionState {
  id: string;
  symbol: string;
  amount: PositionAmount;
  leverage: Decimal;
  exitPlan: ExitPlan;
  openedAt: number;
  openedQuantity: Decimal;
  openedNotional: Decimal;
  closedQuantity: Decimal;
  closedNotional: Decimal;
  realizedPnl: Decimal;
  fees: Decimal;
  funding: Decimal;
}

/** A cross-margin account. */
export interface AccountState {
  id: string;
  /** Creation order among accounts (0 first): liquidations and exits of one mark change run in this order. */
  ordinal: number;
  initialCapital: Decimal;
  cash: Decimal;
  realizedPnl: Decimal;
  fees: Decimal;
  funding: Decimal;
  badDebt: Decimal;
  /** By symbol, in opening order. */
  positions: Map<string, PositionState>;
  /** Its resting orders by id, in placement order: the records of the markets' engines, read-only here. */
  openOrders: Map<string, Readonly<RestingOrder>>;
  positionIds: Set<string>;
}

/** What the accounts read of a market. */
export interface MarketQuote {
  readonly market: Market;
  readonly mark: Decimal | null;
  /** Size the book holds for an order, undefined when it holds none. */
  bookLots(orderId: string): number | undefined;
}

/** A market by symbol; throws UnknownMarketError for an unknown one. */
export type MarketLookup = (symbol: string) => MarketQuote;

/** How one operation changed one account's position in one market (for the position events). */
export interface Touch {
  accountId: string;
  symbol: string;
  before: { id: string; quantity: Decimal } | null;
  closed: SimulatedTrade | null;
  closeTrigger: CloseTrigger;
  realizedPnl: Decimal;
}

/** An execution: its trade id, both orders, price and size. */
export interface Execution {
  readonly tradeId: string;
  readonly makerOrderId: string;
  readonly takerOrderId: string;
  readonly price: Decimal;
  readonly quantity: Decimal;
}

/** On what terms one account books an execution. */
export interface FillTerms {
  orderId: string;
  side: OrderSide;
  liquidity: Liquidity;
  feeRate: Decimal;
  leverage: Decimal;
  /** Attached to the position when the fill opens or grows it. */
  exitPlan: ExitPlan | null;
  closeTrigger: CloseTrigger;
}

/** A new account holding `capital` in cash. */
export function newAccount(id: string, capital: Decimal, ordinal: number): AccountState {
  return {
    id,
    ordinal,
    initialCapital: capital,
    cash: capital,
    realizedPnl: ZERO,
    fees: ZERO,
    funding: ZERO,
    badDebt: ZERO,
    positions: new Map(),
    openOrders: new Map(),
    positionIds: new Set(),
  };
}

/**
 * Applies one fill to one account: cash, fees, position (open, grow, reduce, close, flip),
 * recording in `touches` what it did to the position. Returns the fill, the trade of a
 * position it closed, and whether the position's stop/target trigger changed (the position
 * opened, closed, flipped or took a new exit plan).
 */
export function applyAccountFill(
  account: AccountState,
  market: Market,
  touches: Map<string, Touch>,
  execution: Execution,
  f: FillTerms,
  now: number,
): { fill: SimFill; closed: SimulatedTrade | null; triggerChanged: boolean } {
  const { price, quantity } = execution;
  const notional = price.mul(quantity);
  const fee = notional.mul(f.feeRate);
  const key = `${account.id}\u0000${market.symbol}`;
  const position = account.positions.get(market.symbol) ?? null;
  let touch = touches.get(key);
  if (touch === undefined) {
    touch = {
      accountId: account.id,
      symbol: market.symbol,
      before: position === null ? null : { id: position.id, quantity: position.amount.quantity },
      closed: null,
      closeTrigger: f.closeTrigger,
      realizedPnl: ZERO,
    };
    touches.set(key, touch);
  }
  const outcome = applyFillToPosition(position?.amount ?? null, f.side, quantity, price, market.priceDecimals + market.sizeDecimals);
  account.cash = account.cash.plus(outcome.realizedPnl).minus(fee);
  account.realizedPnl = account.realizedPnl.plus(outcome.realizedPnl);
  account.fees = account.fees.plus(fee);
  touch.realizedPnl = touch.realizedPnl.plus(outcome.realizedPnl);
  let openingFee = fee;
  let closed: SimulatedTrade | null = null;
  let triggerChanged = false;
  if (position !== null) {
    if (outcome.closedQuantity.gt(0)) {
      const closingFee = outcome.openedQuantity.isZero() ? fee : fee.mul(outcome.closedQuantity).div(quantity);
      openingFee = fee.minus(closingFee);
      position.realizedPnl = position.realizedPnl.plus(outcome.realizedPnl);
      position.closedQuantity = position.closedQuantity.plus(outcome.closedQuantity);
      position.closedNotional = position.closedNotional.plus(outcome.closedQuantity.mul(price));
      position.fees = position.fees.plus(closingFee);
    } else {
      position.openedQuantity = position.openedQuantity.plus(quantity);
      position.openedNotional = position.openedNotional.plus(notional);
      position.fees = position.fees.plus(fee);
      position.leverage = f.leverage;
      if (f.exitPlan !== null) {
        position.exitPlan = f.exitPlan;
        triggerChanged = true;
      }
    }
    if (outcome.after === null || outcome.flipped) {
      account.positions.delete(market.symbol);
      closed = tradeOf(account, position, now, f.closeTrigger);
      triggerChanged = true;
      touch.closed = closed;
      touch.closeTrigger = f.closeTrigger;
    } else {
      position.amount = outcome.after;
    }
  }
  if (outcome.after !== null && (position === null || outcome.flipped)) {
    let id = f.orderId;
    for (let n = 2; account.positionIds.has(id); n++) id = `${f.orderId}#${n}`;
    account.positionIds.add(id);
    triggerChanged = true;
    account.positions.set(market.symbol, {
      id,
      symbol: market.symbol,
      amount: outcome.after,
      leverage: f.leverage,
      exitPlan: f.exitPlan ?? emptyExitPlan(),
      openedAt: now,
      openedQuantity: outcome.openedQuantity,
      openedNotional: outcome.openedQuantity.mul(price),
      closedQuantity: ZERO,
      closedNotional: ZERO,
      realizedPnl: ZERO,
      fees: openingFee,
      funding: ZERO,
    });
  }
  const fill: SimFill = {
    tradeId: execution.tradeId,
    orderId: f.orderId,
    accountId: account.id,
    symbol: market.symbol,
    side: f.side,
    price,
    quantity,
    fee,
    liquidity: f.liquidity,
    ts: now,
    makerOrderId: execution.makerOrderId,
    takerOrderId: execution.takerOrderId,
  };
  return { fill, closed, triggerChanged };
}

/** A position restored from persistence: as if opened at `entryPrice` at `openedAt`, with no fee; accrued funding carried. */
export function restoredPosition(p: { orderId: string; symbol: string; side: Side; quantity: Decimal; entryPrice: Decimal; leverage: Decimal; exitPlan: ExitPlan; openedAt: number; funding: Decimal }): PositionState {
  const costBasis = p.quantity.mul(p.entryPrice);
  return {
    id: p.orderId,
    symbol: p.symbol,
    amount: { side: p.side, quantity: p.quantity, costBasis },
    leverage: p.leverage,
    exitPlan: p.exitPlan,
    openedAt: p.openedAt,
    openedQuantity: p.quantity,
    openedNotional: costBasis,
    closedQuantity: ZERO,
    closedNotional: ZERO,
    realizedPnl: ZERO,
    fees: ZERO,
    funding: p.funding,
  };
}

/** The trade a closed position reports. */
export function tradeOf(account: AccountState, position: PositionState, closedAt: number, closeTrigger: CloseTrigger): SimulatedTrade {
  return {
    orderId: position.id,
    modelId: account.id,
    accountId: account.id,
    symbol: position.symbol,
    side: position.amount.side,
    quantity: position.closedQuantity,
    entryPrice: position.openedNotional.div(position.openedQuantity),
    exitPrice: position.closedNotional.div(position.closedQuantity),
    leverage: position.leverage,
    grossPnl: position.realizedPnl,
    realizedPnl: position.realizedPnl.minus(position.fees).plus(position.funding),
    fees: position.fees,
    funding: position.funding,
    closeTrigger,
    exitPlan: position.exitPlan,
    openedAt: position.openedAt,
    closedAt,
  };
}

/** The stop/target trigger a market watches for an account's position there (null: no position). */
export function exitTriggerOf(account: AccountState, position: PositionState | undefined): ExitTrigger | null {
  if (position === undefined) return null;
  const { stop, target } = position.exitPlan;
  return { positionId: position.id, side: position.amount.side, stop, target, rank: account.ordinal };
}

/** Books a funding payment (positive: received) on an account and its position. */
export function creditFunding(account: AccountState, position: PositionState, amount: Decimal): void {
  account.cash = account.cash.plus(amount);
  account.funding = account.funding.plus(amount);
  position.funding = position.funding.plus(amount);
}

/** A flat account never keeps negative cash: the loss beyond zero is recorded as bad debt and cash reset to zero. */
export function absorbBadDebt(account: AccountState): Decimal {
  if (account.positions.size > 0 || !account.cash.lt(0)) return ZERO;
  const badDebt = account.cash.neg();
  account.badDebt = account.badDebt.plus(badDebt);
  account.cash = ZERO;
  return badDebt;
}

/** Equity and margin at the current marks; resting orders that can grow a position reserve initial margin at their price. */
export function marginOf(account: AccountState, markets: MarketLookup): AccountMargin {
  return accountMargin(account.cash, marginPositionsOf(account, markets), openOrderMarginOf(account, markets));
}

/** Initial margin the resting orders that can grow a position reserve, at their price. */
function openOrderMarginOf(account: AccountState, markets: MarketLookup): Decimal {
  let openOrderMargin = ZERO;
  for (const open of account.openOrders.values()) {
    if (open.reduceOnly) continue;
    const quote = markets(open.symbol);
    const lots = quote.bookLots(open.orderId);
    if (lots === undefined) continue;
    const notional = lotsToSize(quote.market, lots).mul(ticksToPrice(quote.market, open.priceTicks));
    openOrderMargin = openOrderMargin.plus(initialMargin(notional, open.leverage));
  }
  return openOrderMargin;
}

/** Equity and maintenance margin at the current marks: what a liquidation check compares (marginOf's two numbers, cheaper). */
export function standingOf(account: AccountState, markets: MarketLookup): MaintenanceStanding {
  return maintenanceStanding(account.cash, marginPositionsOf(account, markets));
}

/** The account's positions as the margin arithmetic sees them, at the current marks. */
function marginPositionsOf(account: AccountState, markets: MarketLookup): MarginPosition[] {
  const positions: MarginPosition[] = [];
  for (const position of account.positions.values()) {
    const quote = markets(position.symbol);
    positions.push({ market: quote.market, amount: position.amount, leverage: position.leverage, markPrice: quote.mark });
  }
  return positions;
}

/**
 * Why an order would leave the account short of initial margin, or null when it fits.
 * `estimate` is what the order would take from the book now (lots and notional); an order
 * that lowers the initial margin requirement (a pure reduction) always fits.
 */
export function marginShortfall(
  account: AccountState,
  markets: MarketLookup,
  quote: MarketQuote,
  order: { side: OrderSide; priceTicks: number | undefined; restingLots: number },
  leverage: Decimal,
  estimate: { lots: number; notional: Decimal },
  takerFeeRate: Decimal,
): string | null {
  const { market } = quote;
  const before = marginOf(account, markets);
  const position = account.positions.get(market.symbol);
  const fillQuantity = lotsToSize(market, estimate.lots);
  const fillPrice = estimate.lots > 0 ? estimate.notional.div(fillQuantity) : null;
  const mark = quote.mark ?? fillPrice ?? (order.priceTicks === undefined ? null : ticksToPrice(market, order.priceTicks));
  let projected = position?.amount ?? null;
  if (fillPrice !== null) projected = applyFillToPosition(projected, order.side, fillQuantity, fillPrice, market.priceDecimals + market.sizeDecimals).after;
  const priceForMargin = (amount: PositionAmount): Decimal => mark ?? entryPriceOf(amount);
  // Exactly the position's share of `before.initialMarginUsed` (valued as marginOf() values it).
  const currentIm = position === undefined ? ZERO : initialMargin(notionalAt(position.amount, quote.mark ?? entryPriceOf(position.amount)), position.leverage);
  const projectedIm = projected === null ? ZERO : initialMargin(notionalAt(projected, priceForMargin(projected)), leverage);
  const restingIm =
    order.restingLots > 0 && order.priceTicks !== undefined
      ? initialMargin(lotsToSize(market, order.restingLots).mul(ticksToPrice(market, order.priceTicks)), leverage)
      : ZERO;
  const imAfter = before.initialMarginUsed.minus(currentIm).plus(projectedIm).plus(restingIm);
  if (imAfter.lte(before.initialMarginUsed)) return null;
  const fee = estimate.notional.mul(takerFeeRate);
  // Filling away from the mark is an immediate unrealized loss (slippage) for the account.
  const slippage = fillPrice === null || mark === null ? ZERO : fillQuantity.mul(order.side === "buy" ? mark.minus(fillPrice) : fillPrice.minus(mark));
  const equityAfter = before.equity.minus(fee).plus(slippage);
  if (equityAfter.gte(imAfter)) return null;
  return `needs initial margin ${imAfter.toString()}, equity after fees ${equityAfter.toString()}`;
}

/** A position at the current marks, with its liquidation price estimate given the account's other positions. */
export function positionViewOf(account: AccountState, position: PositionState, markets: MarketLookup): PositionView {
  const quote = markets(position.symbol);
  const mark = quote.mark ?? entryPriceOf(position.amount);
  const notional = notionalAt(position.amount, mark);
  let otherCollateral = account.cash;
  for (const other of account.positions.values()) {
    if (other === position) continue;
    const otherQuote = markets(other.symbol);
    const otherMark = otherQuote.mark ?? entryPriceOf(other.amount);
    otherCollateral = otherCollateral.plus(unrealizedPnlOf(other.amount, otherMark)).minus(maintenanceMargin(otherQuote.market, notionalAt(other.amount, otherMark)));
  }
  return {
    orderId: position.id,
    modelId: account.id,
    accountId: account.id,
    symbol: position.symbol,
    side: position.amount.side,
    quantity: position.amount.quantity,
    entryPrice: entryPriceOf(position.amount),
    leverage: position.leverage,
    exitPlan: position.exitPlan,
    openedAt: position.openedAt,
    markPrice: quote.mark,
    unrealizedPnl: unrealizedPnlOf(position.amount, mark),
    notional,
    initialMargin: initialMargin(notional, position.leverage),
    maintenanceMargin: maintenanceMargin(quote.market, notional),
    liquidationPrice: liquidationPriceEstimate(quote.market, position.amount, otherCollateral),
    realizedPnl: position.realizedPnl,
    fees: position.fees,
    funding: position.funding,
  };
}

/** An account's money, margin, positions and resting orders at the current marks. */
export function accountViewOf(account: AccountState, markets: MarketLookup): AccountView {
  return accountViewWith(account, markets, [...account.positions.values()].map((p) => positionViewOf(account, p, markets)));
}

/**
 * `accountViewOf` given the account's position views at the current marks (in opening
 * order): its margin sums what they hold, in the same order, so every value is what
 * `marginOf` gives (each view's unrealized PnL, initial and maintenance margin are those
 * `accountMargin` adds up). The views become the view's `positions`.
 */
export function accountViewWith(account: AccountState, markets: MarketLookup, positions: readonly PositionView[]): AccountView {
  let unrealized = ZERO;
  let initial = openOrderMarginOf(account, markets);
  let maintenance = ZERO;
  for (const view of positions) {
    unrealized = unrealized.plus(view.unrealizedPnl);
    initial = initial.plus(view.initialMargin);
    maintenance = maintenance.plus(view.maintenanceMargin);
  }
  const equity = account.cash.plus(unrealized);
  const openOrders: OpenOrderView[] = [];
  for (const open of account.openOrders.values()) {
    const quote = markets(open.symbol);
    openOrders.push({
      orderId: open.orderId,
      accountId: account.id,
      symbol: open.symbol,
      side: open.side,
      price: ticksToPrice(quote.market, open.priceTicks),
      size: lotsToSize(quote.market, quote.bookLots(open.orderId) ?? 0),
      leverage: open.leverage,
      reduceOnly: open.reduceOnly,
    });
  }
  return {
    accountId: account.id,
    cash: account.cash,
    equity,
    unrealizedPnl: unrealized,
    initialMarginUsed: initial,
    maintenanceMargin: maintenance,
    available: equity.minus(initial),
    initialCapital: account.initialCapital,
    realizedPnl: account.realizedPnl,
    fees: account.fees,
    funding: account.funding,
    badDebt: account.badDebt,
    positions: [...positions],
    openOrders,
  };
}
