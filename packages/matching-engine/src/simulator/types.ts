/**
 * Public types of the ExchangeSimulator: options, order input and results, account and
 * position views, commands of the journal. Money is core's Decimal at this boundary;
 * journal commands carry decimals as strings so a journal is JSON-safe.
 */
import type {
  CloseTrigger,
  Decimal,
  ExitPlanJson,
  Fill,
  OrderSide,
  Position,
  RejectReason,
  Side,
  Trade,
} from "@autonome/core";
import type { BrokenLimit, TimeInForce } from "../types.js";
import type { DecimalInput, ExitPlanInput } from "../decimal-input.js";
import type { LatencyRange } from "./latency.js";
import type { OrderStatus } from "./order-lifecycle.js";

/** Tunables of the simulated exchange; every one has a default (DEFAULT_SIMULATOR_OPTIONS). */
export interface SimulatorOptions {
  /** Cash of a new account in quote units (USD). Default 10000. */
  initialCapital: DecimalInput;
  /** Fee rate of taker fills (a fraction: 0.001 = 10 bp). Default 0.001. */
  takerFeeRate: DecimalInput;
  /** Fee rate of maker fills (negative for a rebate). Default 0.0005. */
  makerFeeRate: DecimalInput;
  /** Extra fee rate charged on liquidation fills, on top of the taker fee. Default 0. */
  liquidationFeeRate: DecimalInput;
  /**
   * `applyBook` replaces a market's liquidity only when this many ms (of the clock) have
   * passed since the last load, so liquidity a taker consumed stays consumed meanwhile.
   * 0 loads on every call. Default 5000. `loadBook` always loads.
   */
  refreshIntervalMs: number;
  /** Order latency drawn per order from this range; null (the default) = orders arrive at once. Needs a TimerClock. */
  latency: LatencyRange | null;
  /** Seed of every random draw (latency). Default 0. */
  seed: number | string;
  /**
   * Funding settlement period, aligned to the epoch (3_600_000 = on the hour, as Lighter
   * settles). Default 0: no scheduled funding; `settleFunding()` always works. Scheduled
   * settlement needs a TimerClock.
   */
  fundingIntervalMs: number;
  /** Account id that owns the liquidity loaded from L2 snapshots. Default "__external__". */
  externalAccountId: string;
  /** How many of the latest events `eventLog()` keeps (the oldest go first). Default 0: no log. */
  eventLogSize: number;
}

/** An order as a simulated account submits it; sizes in base units. */
export interface PlaceOrderInput {
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: "market" | "limit";
  /** Size in base units (on the market's lot grid). */
  size: DecimalInput;
  /** Limit price; for a market order an optional worst acceptable price. */
  price?: DecimalInput;
  /** Default GTC for limit, IOC for market. */
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  /** Only reduces the position; a larger size is cut to the position's size. */
  reduceOnly?: boolean;
  /** Leverage of the resulting position. Default: the open position's, else the market's default leverage. */
  leverage?: DecimalInput;
  /** Default: generated from the command's sequence number ("o<seq>"). */
  orderId?: string;
  /** Exit plan attached to the position this order opens (or replaces the plan of the one it grows). */
  exitPlan?: ExitPlanInput;
}

/** Opening a position with a market order. */
export interface OpenPositionInput {
  accountId: string;
  symbol: string;
  side: Side;
  quantity: DecimalInput;
  leverage?: DecimalInput;
  exitPlan?: ExitPlanInput;
  orderId?: string;
  /** Protection: the worst price level the market order may take. */
  worstPrice?: DecimalInput;
}

/**
 * A refusal, as a value: nothing changed. `reason` is the stable code to branch on, `detail`
 * says it in words, `limit` names the market limit it broke (minimum size or notional,
 * maximum leverage) with its value.
 */
export interface Rejected {
  status: "rejected";
  reason: RejectReason;
  detail?: string;
  limit?: BrokenLimit;
}

/** A refused order (or cancel): a Rejected with the order's id. */
export interface OrderRejection extends Rejected {
  orderId: string;
}

/** One execution of a simulated account's order: core's Fill plus both orders of the match. */
export interface SimFill extends Fill {
  /** The resting order that provided the liquidity (for external liquidity an id of the snapshot level). */
  makerOrderId: string;
  /** The order that took it. */
  takerOrderId: string;
}

/** What placing an order did, as a value. */
export type OrderResult =
  | OrderRejection
  /** Latency is on: the order is on its way and meets the book at `arrivesAt`. */
  | { status: "pending"; orderId: string; arrivesAt: number }
  | {
      status: "filled" | "partially_filled" | "resting" | "cancelled";
      orderId: string;
      filledSize: Decimal;
      /** Volume-weighted fill price; null without fills. */
      averagePrice: Decimal | null;
      restingSize: Decimal;
      fills: SimFill[];
    };

/** What cancelling did: the size taken off the book, or UNKNOWN_ORDER when the order is not live (filled, cancelled, never placed). */
export type CancelResult = { status: "cancelled"; orderId: string; size: Decimal } | OrderRejection;

/** What setting an exit plan did: the position with its new plan, or NO_POSITION. */
export type ExitPlanResult = { status: "updated"; position: PositionView } | Rejected;

/** A position a trigger check closed (or tried to): why, and what its closing order did. */
export interface TriggeredExit {
  accountId: string;
  symbol: string;
  trigger: "STOP" | "TARGET" | "LIQUIDATION";
  result: OrderResult;
}

/** What `checkTriggers` did at the current marks. */
export interface TriggerCheckResult {
  /** Accounts liquidated, in creation order. */
  liquidated: string[];
  /** Every closing order sent, liquidations first. */
  exits: TriggeredExit[];
}

/** An open position with its live numbers. */
export interface PositionView extends Position {
  accountId: string;
  markPrice: Decimal | null;
  unrealizedPnl: Decimal;
  notional: Decimal;
  initialMargin: Decimal;
  maintenanceMargin: Decimal;
  /** Estimate holding everything else fixed; null when no positive price liquidates it. */
  liquidationPrice: Decimal | null;
  /** Gross PnL realized by partial reductions so far. */
  realizedPnl: Decimal;
  fees: Decimal;
  /** Net funding cash flow (positive = received). */
  funding: Decimal;
}

/** A resting order of a simulated account. */
export interface OpenOrderView {
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  price: Decimal;
  /** Remaining size. */
  size: Decimal;
  leverage: Decimal;
  reduceOnly: boolean;
}

/** An account's money, margin and positions. */
export interface AccountView {
  accountId: string;
  cash: Decimal;
  equity: Decimal;
  unrealizedPnl: Decimal;
  initialMarginUsed: Decimal;
  maintenanceMargin: Decimal;
  available: Decimal;
  initialCapital: Decimal;
  /** Lifetime gross realized PnL. */
  realizedPnl: Decimal;
  /** Lifetime fees (positive = paid). */
  fees: Decimal;
  /** Lifetime net funding cash flow (positive = received). */
  funding: Decimal;
  /** Losses beyond zero cash absorbed after liquidations (cash was reset to zero). */
  badDebt: Decimal;
  positions: PositionView[];
  openOrders: OpenOrderView[];
}

/** A closed position of a simulated account (modelId = accountId). Net realizedPnl includes fees and funding. */
export interface SimulatedTrade extends Trade {
  accountId: string;
  /** Gross realized PnL: sign x (exit notional - entry notional). */
  grossPnl: Decimal;
  /** Net funding cash flow over its life. */
  funding: Decimal;
}

/** A position persisted as an OPEN order, to be restored after a restart. */
export interface PersistedOpenOrder {
  accountId: string;
  orderId: string;
  symbol: string;
  side: Side;
  quantity: DecimalInput;
  entryPrice: DecimalInput;
  /** Default: the market's default leverage. */
  leverage?: DecimalInput;
  /** Default: none. */
  exitPlan?: ExitPlanInput;
  /** Epoch ms; default the clock's now. */
  openedAt?: number;
  /**
   * Net funding the position accrued before it was persisted (positive = received), USD;
   * default 0. Already in the account's cash: restore carries it into the position (so its
   * close reports it in `funding` and `realizedPnl`) without changing cash.
   */
  funding?: DecimalInput;
}

/** An L2 snapshot as market data delivers it: [price, size] pairs (any order; a size of 0 is skipped). */
export interface L2Book {
  bids: ReadonlyArray<readonly [DecimalInput, DecimalInput]>;
  asks: ReadonlyArray<readonly [DecimalInput, DecimalInput]>;
}

/** What loading liquidity did. */
export interface LoadBookResult {
  /** Levels loaded a side (zero-size levels skipped). */
  bidLevels: number;
  askLevels: number;
  /** Fills of the simulated accounts' resting orders that the new liquidity crossed (the market traded through them). */
  fills: SimFill[];
}

/** What applying market data did: setMark, loadBook when due, checkTriggers. */
export interface ApplyBookResult {
  /** Whether the snapshot replaced the market's liquidity on this call. */
  loaded: boolean;
  /** Clock time from which the next `applyBook` loads ("due" rule). */
  nextLoadAt: number;
  /** The mark after the call: the snapshot's mid, or unchanged when a side is empty. */
  markPrice: Decimal | null;
  /** Crossing fills of the load (empty when nothing was loaded). */
  fills: SimFill[];
  /** What the trigger check at the new mark did. */
  triggers: TriggerCheckResult;
}

/** JSON-safe order input of the journal. */
export interface PlaceOrderCommandInput {
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: "market" | "limit";
  size: string;
  price?: string;
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  reduceOnly?: boolean;
  leverage?: string;
  orderId?: string;
  exitPlan?: ExitPlanJson;
}

/** One state-changing request to the simulator, as the journal records it. */
export type SimulatorCommand =
  | { type: "createAccount"; accountId: string; initialCapital?: string }
  | { type: "applyBook"; symbol: string; bids: Array<[string, string]>; asks: Array<[string, string]>; load?: "always" }
  | { type: "loadBook"; symbol: string; bids: Array<[string, string]>; asks: Array<[string, string]> }
  | { type: "setMark"; symbol: string; price: string }
  | { type: "checkTriggers"; symbol?: string }
  | { type: "setFundingRate"; symbol: string; rate: string }
  | { type: "settleFunding"; symbol?: string }
  | { type: "placeOrder"; order: PlaceOrderCommandInput; closeTrigger?: CloseTrigger }
  | { type: "cancelOrder"; accountId: string; orderId: string }
  | { type: "closePosition"; accountId: string; symbol: string; orderId?: string }
  | { type: "setExitPlan"; accountId: string; symbol: string; exitPlan: ExitPlanJson }
  | {
      type: "restore";
      orders: Array<{
        accountId: string;
        orderId: string;
        symbol: string;
        side: Side;
        quantity: string;
        entryPrice: string;
        leverage?: string;
        exitPlan: ExitPlanJson;
        openedAt: number;
        funding?: string;
      }>;
    };

/** A command with its sequence number and the clock time it was applied at. */
export interface JournalEntry {
  seq: number;
  ts: number;
  command: SimulatorCommand;
}

/** A position inside a simulator snapshot (decimals as strings). */
export interface SnapshotPosition {
  id: string;
  symbol: string;
  side: Side;
  quantity: string;
  costBasis: string;
  leverage: string;
  exitPlan: ExitPlanJson;
  openedAt: number;
  openedQuantity: string;
  openedNotional: string;
  closedQuantity: string;
  closedNotional: string;
  realizedPnl: string;
  fees: string;
  funding: string;
}

/** A resting order of a simulated account inside a snapshot. */
export interface SnapshotOpenOrder {
  orderId: string;
  symbol: string;
  side: OrderSide;
  priceTicks: number;
  leverage: string;
  reduceOnly: boolean;
  postOnly: boolean;
  exitPlan: ExitPlanJson | null;
}

/** An order still in flight (latency) inside a snapshot. */
export interface SnapshotPendingOrder {
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: "market" | "limit";
  sizeLots: number;
  priceTicks: number | null;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  leverage: string | null;
  exitPlan: ExitPlanJson | null;
  closeTrigger: CloseTrigger;
  arrivesAt: number;
}

/**
 * A JSON-safe picture of a whole simulator, from which `ExchangeSimulator.fromSnapshot`
 * rebuilds an identical one; journal entries after `sequence` can then be replayed on it.
 */
export interface SimulatorSnapshot {
  version: 1;
  /** Clock time when it was taken. */
  takenAt: number;
  /** Sequence number of the last command applied. */
  sequence: number;
  eventSeq: number;
  autoOrderSeq: number;
  /** Latency delays drawn so far (the generator is advanced by as many draws on restore). */
  latencyDraws: number;
  usedOrderIds: string[];
  markets: Array<{
    symbol: string;
    mark: string | null;
    fundingRate: string;
    lastLoadAt: number | null;
    tradeSeq: number;
    /** Remaining snapshot liquidity, [priceTicks, sizeLots] best first. */
    external: { bids: Array<[number, number]>; asks: Array<[number, number]> };
    /** Simulated accounts' resting orders in queue priority order (bids best first, then asks). */
    ownOrders: Array<{ orderId: string; accountId: string; sizeLots: number }>;
  }>;
  accounts: Array<{
    accountId: string;
    initialCapital: string;
    cash: string;
    realizedPnl: string;
    fees: string;
    funding: string;
    badDebt: string;
    positionIds: string[];
    positions: SnapshotPosition[];
    /** In placement order. */
    openOrders: SnapshotOpenOrder[];
  }>;
  pendingOrders: SnapshotPendingOrder[];
  trades: Array<Record<string, unknown>>;
  /** Order records (`OrderView` with decimals as strings), in creation order. */
  orders: Array<Record<string, unknown>>;
}

/** An order the simulator accepted (or holds in flight), with its status and fills so far. */
export interface OrderView {
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: "market" | "limit";
  /** Size that met the book (a reduce-only order is cut to the position). */
  size: Decimal;
  price: Decimal | null;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  leverage: Decimal | null;
  /** Set when the order closes or reduces a position. */
  closeTrigger: CloseTrigger | null;
  status: OrderStatus;
  filledSize: Decimal;
  /** Sum of price x size of its fills. */
  filledNotional: Decimal;
  averagePrice: Decimal | null;
  /** Why an in-flight order was rejected on arrival. */
  rejectReason: RejectReason | null;
  createdAt: number;
  updatedAt: number;
}
