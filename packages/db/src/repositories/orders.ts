/**
 * Orders: the single source of truth for positions (OPEN) and trades (CLOSED).
 *
 * Invariants kept here (and by CHECK constraints in SQL): a model has at most one
 * OPEN order per symbol (opens lock the model's row, so concurrent opens serialize);
 * a CLOSED order never changes again; a close is one conditional UPDATE
 * (`WHERE status = 'OPEN'`), so two concurrent closes of one order close it once and
 * the loser gets StateConflictError. realizedPnl is net of all fees; it, the fees and
 * the funding are kept to 30 places (numeric(65,30)), so what the matching engine books is
 * stored exactly and a simulated account rebuilt from their sums has the cash it had;
 * unrealized PnL and notionals are never stored.
 * Funding settled while a position is open is added to its order's `funding` with one
 * atomic increment per settlement, so a restart restores it; it is part of the order's
 * realized PnL when it closes.
 */
import {
  type Clock,
  type CloseTrigger,
  type Decimal,
  type DecimalLike,
  type ExitPlan,
  type Position,
  type Side,
  type Trade,
  CLOSE_TRIGGERS,
  NotFoundError,
  StateConflictError,
  ValidationError,
  exitPlanJsonSchema,
  isDecimal,
  parseExitPlan,
  realizedPnl as grossRealizedPnl,
} from "@autonome/core";
import { Prisma } from "../../generated/prisma/client.js";
import type { Order as OrderRow } from "../../generated/prisma/client.js";
import {
  NUMERIC_10_2,
  NUMERIC_18_8,
  NUMERIC_65_30,
  checkId,
  checkOrderIndex,
  checkText,
  fromDbDecimal,
  fromDbDecimalOrNull,
  fromDbTime,
  toColumnDecimal,
  toDbTime,
} from "../internal/convert.js";
import { type DbClient, inTransaction } from "../internal/client.js";

/** The Lighter trigger orders and prices attached to an open position. */
export interface TriggerOrders {
  /** Lighter order index of the stop-loss order. */
  slOrderIndex: bigint | null;
  /** Lighter order index of the take-profit order. */
  tpOrderIndex: bigint | null;
  slTriggerPrice: Decimal | null;
  tpTriggerPrice: Decimal | null;
}

/** An OPEN order: a core Position plus what the broker needs to restore it. */
export interface OpenOrder extends Position, TriggerOrders {
  status: "OPEN";
  /** Fees paid so far (the entry fee), USD. */
  fees: Decimal;
  /** Net funding settled so far (positive = received), USD. */
  funding: Decimal;
  /** Epoch ms. */
  updatedAt: number;
}

/** A CLOSED order: a core Trade plus its trigger orders. */
export interface ClosedOrder extends Trade, TriggerOrders {
  status: "CLOSED";
  /** Net funding settled while the position was open (positive = received), USD; included in realizedPnl. */
  funding: Decimal;
  /** Epoch ms. */
  updatedAt: number;
}

/** Any order. */
export type OrderRecord = OpenOrder | ClosedOrder;

/** What opening a position records. */
export interface OpenPositionInput {
  modelId: string;
  symbol: string;
  side: Side;
  /** Base units, > 0, at most 8 decimals. */
  quantity: DecimalLike;
  /** > 0, at most 2 decimals. */
  leverage: DecimalLike;
  /** Average fill price, > 0; rounded half-even to 8 decimals (a VWAP may have more). */
  entryPrice: DecimalLike;
  exitPlan: ExitPlan;
  /** Fee paid on entry, USD (negative for a rebate); kept to 30 decimals (rounded half-even beyond). Default 0. */
  entryFee?: DecimalLike;
  /** Epoch ms; defaults to the clock's now. */
  openedAt?: number;
  /** Trigger orders placed with the entry, if any. */
  triggers?: Partial<TriggerOrdersInput>;
}

/** Trigger-order changes: a key left out is kept, null clears it. */
export interface TriggerOrdersInput {
  slOrderIndex: bigint | number | null;
  tpOrderIndex: bigint | number | null;
  slTriggerPrice: DecimalLike | null;
  tpTriggerPrice: DecimalLike | null;
}

/** What closing a position records. */
export interface ClosePositionInput {
  orderId: string;
  /** Average exit fill price, > 0; rounded half-even to 8 decimals. */
  exitPrice: DecimalLike;
  /** STOP, TARGET, LIQUIDATION, MANUAL; null when the model closed it. */
  closeTrigger: CloseTrigger | null;
  /** Fee paid on exit, USD; added to the order's fees. Default 0. */
  exitFee?: DecimalLike;
  /**
   * Realized PnL net of all fees and funding, as the venue reports it (live). When omitted
   * it is computed: side * (exit - entry) * quantity - (entry fee + exit fee) + funding.
   */
  realizedPnl?: DecimalLike;
  /**
   * The position's net funding over its whole life (positive = received), USD, when the
   * venue knows it exactly; kept to 30 decimals and stored in place of what
   * addFunding accrued. Default: the accrued value is kept.
   */
  funding?: DecimalLike;
  /** Epoch ms; defaults to the clock's now. */
  closedAt?: number;
}

/** What closing part of a position records (see OrdersRepository.closePartOfPosition). */
export interface ClosePartInput extends Omit<ClosePositionInput, "realizedPnl"> {
  /** Base units closed: > 0 and below the OPEN order's quantity, at most 8 decimals. */
  quantity: DecimalLike;
}

/** The two orders a partial close leaves: the CLOSED part and the smaller OPEN rest. */
export interface PartialClose {
  closed: ClosedOrder;
  open: OpenOrder;
}

/** One page of a newest-first list and the cursor of the next page (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Which closed trades to list. */
export interface ClosedTradesQuery {
  /** Only this model's trades; all models when omitted. */
  modelId?: string;
  /** Only trades on this symbol; every symbol when omitted. */
  symbol?: string;
  /** Page size, 1..500; default 50. */
  limit?: number;
  /** From a previous page's nextCursor. */
  cursor?: string | null;
}

const SIDE_VALUES: readonly Side[] = ["LONG", "SHORT"];

function toTriggers(row: OrderRow): TriggerOrders {
  return {
    slOrderIndex: row.slOrderIndex,
    tpOrderIndex: row.tpOrderIndex,
    slTriggerPrice: fromDbDecimalOrNull(row.slTriggerPrice),
    tpTriggerPrice: fromDbDecimalOrNull(row.tpTriggerPrice),
  };
}

function toOrderRecord(row: OrderRow): OrderRecord {
  const base = {
    orderId: row.id,
    modelId: row.modelId,
    symbol: row.symbol,
    side: row.side,
    quantity: fromDbDecimal(row.quantity),
    entryPrice: fromDbDecimal(row.entryPrice),
    leverage: fromDbDecimal(row.leverage),
    exitPlan: parseExitPlan(row.exitPlan),
    openedAt: fromDbTime(row.openedAt),
    fees: fromDbDecimal(row.fees),
    funding: fromDbDecimal(row.funding),
    updatedAt: fromDbTime(row.updatedAt),
    ...toTriggers(row),
  };
  if (row.status === "OPEN") return { ...base, status: "OPEN" };
  if (row.exitPrice === null || row.realizedPnl === null || row.closedAt === null) {
    throw new Error(`order ${row.id} is CLOSED without exit price, realized PnL or close time`);
  }
  return {
    ...base,
    status: "CLOSED",
    exitPrice: fromDbDecimal(row.exitPrice),
    realizedPnl: fromDbDecimal(row.realizedPnl),
    closeTrigger: row.closeTrigger,
    closedAt: fromDbTime(row.closedAt),
  };
}

/**
 * Every column of an Order under Prisma's field names and types: raw statements that
 * return Orders (RETURNING, SELECT) give rows toOrderRecord reads like Prisma's own.
 */
const ORDER_COLUMNS = Prisma.raw(
  `id::text AS "id", model_id::text AS "modelId", symbol, side::text AS "side", quantity, leverage, entry_price AS "entryPrice", exit_plan AS "exitPlan", ` +
    `status::text AS "status", exit_price AS "exitPrice", realized_pnl AS "realizedPnl", fees, funding, funding_settled_at AS "fundingSettledAt", ` +
    `close_trigger::text AS "closeTrigger", sl_order_index AS "slOrderIndex", tp_order_index AS "tpOrderIndex", sl_trigger_price AS "slTriggerPrice", ` +
    `tp_trigger_price AS "tpTriggerPrice", opened_at AS "openedAt", closed_at AS "closedAt", updated_at AS "updatedAt"`,
);

function toOpenOrder(row: OrderRow): OpenOrder {
  const record = toOrderRecord(row);
  if (record.status !== "OPEN") throw new Error(`order ${row.id} is not OPEN`);
  return record;
}

function toClosedOrder(row: OrderRow): ClosedOrder {
  const record = toOrderRecord(row);
  if (record.status !== "CLOSED") throw new Error(`order ${row.id} is not CLOSED`);
  return record;
}

/** Validates an exit plan (also one built by hand or by JavaScript callers); returns its JSON form. */
function checkExitPlan(plan: unknown): Prisma.InputJsonObject {
  if (typeof plan !== "object" || plan === null || Array.isArray(plan)) {
    throw new ValidationError("malformed exit plan", [{ path: "exitPlan", message: "must be an ExitPlan object" }]);
  }
  // Decimals become their strings; anything else goes to the schema as it is, to be judged there.
  const json = Object.fromEntries(Object.entries(plan).map(([key, value]) => [key, isDecimal(value) ? value.toString() : value]));
  const parsed = exitPlanJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(
      "malformed exit plan",
      parsed.error.issues.map((i) => ({ path: ["exitPlan", ...i.path].join("."), message: i.message })),
    );
  }
  return parsed.data as unknown as Prisma.InputJsonObject;
}

function checkSide(side: unknown): Side {
  if (!SIDE_VALUES.includes(side as Side)) {
    throw new ValidationError("invalid side", [{ path: "side", message: 'must be "LONG" or "SHORT"' }]);
  }
  return side as Side;
}

function checkTriggerInput(input: Partial<TriggerOrdersInput>): Prisma.OrderUncheckedUpdateManyInput {
  const data: Prisma.OrderUncheckedUpdateManyInput = {};
  if (input.slOrderIndex !== undefined) data.slOrderIndex = input.slOrderIndex === null ? null : checkOrderIndex("slOrderIndex", input.slOrderIndex);
  if (input.tpOrderIndex !== undefined) data.tpOrderIndex = input.tpOrderIndex === null ? null : checkOrderIndex("tpOrderIndex", input.tpOrderIndex);
  if (input.slTriggerPrice !== undefined) {
    data.slTriggerPrice =
      input.slTriggerPrice === null ? null : toColumnDecimal("slTriggerPrice", input.slTriggerPrice, { column: NUMERIC_18_8, sign: "positive", places: "exact" }).toString();
  }
  if (input.tpTriggerPrice !== undefined) {
    data.tpTriggerPrice =
      input.tpTriggerPrice === null ? null : toColumnDecimal("tpTriggerPrice", input.tpTriggerPrice, { column: NUMERIC_18_8, sign: "positive", places: "exact" }).toString();
  }
  return data;
}

interface Cursor {
  closedAt: number;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.closedAt, cursor.id]), "utf8").toString("base64url");
}

function decodeCursor(text: string): Cursor {
  try {
    const [closedAt, id] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof closedAt === "number" && Number.isSafeInteger(closedAt) && typeof id === "string") return { closedAt, id: checkId("order", id) };
  } catch {
    // fall through
  }
  throw new ValidationError("invalid cursor", [{ path: "cursor", message: "must be a nextCursor returned by a previous page" }]);
}

/** Checks a page size. */
export function checkLimit(limit: unknown, fallback = 50, max = 500): number {
  const value = limit ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError("invalid page size", [{ path: "limit", message: `must be an integer in [1, ${max}]` }]);
  }
  return value;
}

/** Reads and writes the Orders table. */
export class OrdersRepository {
  constructor(
    private readonly prisma: DbClient,
    private readonly clock: Clock,
  ) {}

  /**
   * Records a new OPEN position. NotFoundError for an unknown model, StateConflictError
   * when the model already holds an open position on the symbol, ValidationError for bad
   * input; in each case nothing is written.
   */
  async openPosition(input: OpenPositionInput): Promise<OpenOrder> {
    const modelId = checkId("model", input.modelId);
    const symbol = checkText("symbol", input.symbol, 32);
    const side = checkSide(input.side);
    const quantity = toColumnDecimal("quantity", input.quantity, { column: NUMERIC_18_8, sign: "positive", places: "exact" });
    const leverage = toColumnDecimal("leverage", input.leverage, { column: NUMERIC_10_2, sign: "positive", places: "exact" });
    // Average fill prices can carry more places than the column (a VWAP); they are rounded, sizes never are.
    const entryPrice = toColumnDecimal("entryPrice", input.entryPrice, { column: NUMERIC_18_8, sign: "positive", places: "round" });
    const fees = toColumnDecimal("entryFee", input.entryFee ?? 0, { column: NUMERIC_65_30, places: "round" });
    const exitPlan = checkExitPlan(input.exitPlan);
    const openedAt = toDbTime("openedAt", input.openedAt ?? this.clock.now());
    const triggers = checkTriggerInput(input.triggers ?? {});

    const row = await inTransaction(this.prisma, async (tx) => {
      // Locks the model row: opens of one model serialize, so the one-open-position-per-symbol check
      // holds (the INSERT runs after the lock, on a snapshot that sees any open committed before it).
      // Raw statements: a position opens on every trade, and Prisma's ORM calls cost twice as much.
      const models = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM models WHERE id = ${modelId}::uuid FOR UPDATE`;
      if (models.length === 0) throw new NotFoundError("model", modelId);
      const inserted = await tx.$queryRaw<OrderRow[]>`
        INSERT INTO orders (id, model_id, symbol, side, quantity, leverage, entry_price, exit_plan, fees, opened_at, updated_at,
                            sl_order_index, tp_order_index, sl_trigger_price, tp_trigger_price)
        SELECT ${globalThis.crypto.randomUUID()}::uuid, ${modelId}::uuid, ${symbol}, ${side}::"Side", ${quantity.toString()}::numeric,
               ${leverage.toString()}::numeric, ${entryPrice.toString()}::numeric, ${JSON.stringify(exitPlan)}::jsonb, ${fees.toString()}::numeric,
               ${openedAt}::timestamptz, ${new Date()}::timestamptz,
               ${(triggers.slOrderIndex as bigint | null | undefined) ?? null}::bigint, ${(triggers.tpOrderIndex as bigint | null | undefined) ?? null}::bigint,
               ${(triggers.slTriggerPrice as string | null | undefined) ?? null}::numeric, ${(triggers.tpTriggerPrice as string | null | undefined) ?? null}::numeric
        WHERE NOT EXISTS (SELECT 1 FROM orders WHERE model_id = ${modelId}::uuid AND symbol = ${symbol} AND status = 'OPEN')
        RETURNING ${ORDER_COLUMNS}`;
      if (inserted[0] === undefined) {
        const existing = await tx.order.findFirst({ where: { modelId, symbol, status: "OPEN" }, select: { id: true } });
        const id = existing?.id ?? "unknown";
        throw new StateConflictError(`model ${modelId} already has an open position on ${symbol} (order ${id})`, "order", id);
      }
      return inserted[0];
    });
    return toOpenOrder(row);
  }

  /**
   * Closes an OPEN position in one transaction: exit price, realized PnL (net of fees),
   * close trigger and close time. StateConflictError when it is already CLOSED (also
   * when a concurrent close won), NotFoundError when there is no such order.
   */
  async closePosition(input: ClosePositionInput): Promise<ClosedOrder> {
    const orderId = checkId("order", input.orderId);
    const exitPrice = toColumnDecimal("exitPrice", input.exitPrice, { column: NUMERIC_18_8, sign: "positive", places: "round" });
    const exitFee = toColumnDecimal("exitFee", input.exitFee ?? 0, { column: NUMERIC_65_30, places: "round" });
    if (input.closeTrigger !== null && !CLOSE_TRIGGERS.includes(input.closeTrigger)) {
      throw new ValidationError("invalid close trigger", [{ path: "closeTrigger", message: `must be one of ${CLOSE_TRIGGERS.join(", ")} or null` }]);
    }
    const givenPnl =
      input.realizedPnl === undefined ? null : toColumnDecimal("realizedPnl", input.realizedPnl, { column: NUMERIC_65_30, places: "round" });
    const givenFunding = input.funding === undefined ? null : toColumnDecimal("funding", input.funding, { column: NUMERIC_65_30, places: "round" });
    const closedAt = toDbTime("closedAt", input.closedAt ?? this.clock.now());

    if (givenPnl !== null) {
      // The caller computed the PnL (the brokers do): one atomic UPDATE, the status and time
      // conditions in its WHERE; of two concurrent closes the second updates nothing.
      const updated = await this.prisma.$queryRaw<OrderRow[]>`
        UPDATE orders SET status = 'CLOSED', exit_price = ${exitPrice.toString()}::numeric, realized_pnl = ${givenPnl.toString()}::numeric,
               fees = fees + ${exitFee.toString()}::numeric, funding = COALESCE(${givenFunding?.toString() ?? null}::numeric, funding),
               close_trigger = ${input.closeTrigger}::"CloseTrigger", closed_at = ${closedAt}::timestamptz, updated_at = ${new Date()}::timestamptz
        WHERE id = ${orderId}::uuid AND status = 'OPEN' AND opened_at <= ${closedAt}::timestamptz
        RETURNING ${ORDER_COLUMNS}`;
      if (updated[0] !== undefined) return toClosedOrder(updated[0]);
      const order = await this.prisma.order.findUnique({ where: { id: orderId }, select: { status: true } });
      if (order === null) throw new NotFoundError("order", orderId);
      if (order.status === "CLOSED") throw new StateConflictError(`order ${orderId} is already CLOSED`, "order", orderId);
      throw new ValidationError("invalid close time", [{ path: "closedAt", message: "must not be before the position was opened" }]);
    }
    const row = await inTransaction(this.prisma, async (tx) => {
      const order = await tx.order.findUnique({ where: { id: orderId } });
      if (order === null) throw new NotFoundError("order", orderId);
      if (order.status === "CLOSED") throw new StateConflictError(`order ${orderId} is already CLOSED`, "order", orderId);
      if (closedAt.getTime() < order.openedAt.getTime()) {
        throw new ValidationError("invalid close time", [{ path: "closedAt", message: "must not be before the position was opened" }]);
      }
      const fees = toColumnDecimal("fees", fromDbDecimal(order.fees).plus(exitFee), { column: NUMERIC_65_30, places: "round" });
      const funding = givenFunding ?? fromDbDecimal(order.funding);
      const pnl =
        givenPnl ??
        toColumnDecimal(
          "realizedPnl",
          grossRealizedPnl(order.side, fromDbDecimal(order.quantity), fromDbDecimal(order.entryPrice), exitPrice).minus(fees).plus(funding),
          { column: NUMERIC_65_30, places: "round" },
        );
      // The status condition makes the close atomic: of two concurrent closes, the
      // second re-checks it after the first commits and updates nothing.
      const { count } = await tx.order.updateMany({
        where: { id: orderId, status: "OPEN" },
        data: {
          status: "CLOSED",
          exitPrice: exitPrice.toString(),
          realizedPnl: pnl.toString(),
          fees: fees.toString(),
          ...(givenFunding === null ? {} : { funding: givenFunding.toString() }),
          closeTrigger: input.closeTrigger,
          closedAt,
        },
      });
      if (count === 0) throw new StateConflictError(`order ${orderId} is already CLOSED`, "order", orderId);
      return tx.order.findUniqueOrThrow({ where: { id: orderId } });
    });
    return toClosedOrder(row);
  }

  /**
   * Closes part of an OPEN position in one transaction: the OPEN order shrinks by `quantity`, and
   * a new CLOSED order records the part closed (same model, symbol, side, entry, leverage, exit
   * plan and open time; no trigger orders) with its exit price, close trigger and time, its
   * share of the entry fee plus `exitFee`, its share of the funding settled so far (or `funding`,
   * the venue's figure for the part), and its realized PnL computed as closePosition does. The
   * OPEN order keeps the rest of its fees and funding, its trigger orders and its id. Shares are
   * pro rata to quantity, kept to 30 decimals like every money column; the two orders' fees and funding add up
   * to the original's plus the exit fee, exactly. ValidationError when `quantity` is not below the
   * order's (close the whole position with closePosition) or the close time is before the open;
   * StateConflictError when the order is CLOSED; NotFoundError when there is none. Nothing is
   * written on any error.
   */
  async closePartOfPosition(input: ClosePartInput): Promise<PartialClose> {
    const orderId = checkId("order", input.orderId);
    const quantity = toColumnDecimal("quantity", input.quantity, { column: NUMERIC_18_8, sign: "positive", places: "exact" });
    const exitPrice = toColumnDecimal("exitPrice", input.exitPrice, { column: NUMERIC_18_8, sign: "positive", places: "round" });
    const exitFee = toColumnDecimal("exitFee", input.exitFee ?? 0, { column: NUMERIC_65_30, places: "round" });
    if (input.closeTrigger !== null && !CLOSE_TRIGGERS.includes(input.closeTrigger)) {
      throw new ValidationError("invalid close trigger", [{ path: "closeTrigger", message: `must be one of ${CLOSE_TRIGGERS.join(", ")} or null` }]);
    }
    const givenFunding = input.funding === undefined ? null : toColumnDecimal("funding", input.funding, { column: NUMERIC_65_30, places: "round" });
    const closedAt = toDbTime("closedAt", input.closedAt ?? this.clock.now());
    const rows = await inTransaction(this.prisma, async (tx) => {
      // Locks the order: a concurrent close or partial close waits, then sees what this one left.
      const rows = await tx.$queryRaw<OrderRow[]>`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
      const order = rows[0];
      if (order === undefined) throw new NotFoundError("order", orderId);
      if (order.status !== "OPEN") throw new StateConflictError(`order ${orderId} is already CLOSED`, "order", orderId);
      const total = fromDbDecimal(order.quantity);
      if (quantity.gte(total)) {
        throw new ValidationError("invalid partial close", [{ path: "quantity", message: `must be below the position's ${total.toString()} (close it whole with closePosition)` }]);
      }
      if (closedAt.getTime() < order.openedAt.getTime()) {
        throw new ValidationError("invalid close time", [{ path: "closedAt", message: "must not be before the position was opened" }]);
      }
      const share = (value: Decimal) => toColumnDecimal("share", value.mul(quantity).div(total), { column: NUMERIC_65_30, places: "round" });
      const fees = fromDbDecimal(order.fees);
      const funding = fromDbDecimal(order.funding);
      const entryFeeShare = share(fees);
      const fundingShare = givenFunding ?? share(funding);
      const closedFees = toColumnDecimal("fees", entryFeeShare.plus(exitFee), { column: NUMERIC_65_30, places: "round" });
      const pnl = toColumnDecimal(
        "realizedPnl",
        grossRealizedPnl(order.side, quantity, fromDbDecimal(order.entryPrice), exitPrice).minus(closedFees).plus(fundingShare),
        { column: NUMERIC_65_30, places: "round" },
      );
      const closedId = globalThis.crypto.randomUUID();
      const now = new Date();
      await tx.$executeRaw`
        INSERT INTO orders (id, model_id, symbol, side, quantity, leverage, entry_price, exit_plan, status, exit_price, realized_pnl, fees, funding,
                            close_trigger, opened_at, closed_at, updated_at)
        SELECT ${closedId}::uuid, model_id, symbol, side, ${quantity.toString()}::numeric, leverage, entry_price, exit_plan, 'CLOSED',
               ${exitPrice.toString()}::numeric, ${pnl.toString()}::numeric, ${closedFees.toString()}::numeric, ${fundingShare.toString()}::numeric,
               ${input.closeTrigger}::"CloseTrigger", opened_at, ${closedAt}::timestamptz, ${now}::timestamptz
        FROM orders WHERE id = ${orderId}::uuid`;
      // What accrued funding the part took leaves the rest; a venue figure for the part leaves the rest's accrual as it was.
      const restFunding = givenFunding === null ? funding.minus(fundingShare) : funding;
      await tx.$executeRaw`
        UPDATE orders SET quantity = ${total.minus(quantity).toString()}::numeric, fees = ${fees.minus(entryFeeShare).toString()}::numeric,
               funding = ${restFunding.toString()}::numeric, updated_at = ${now}::timestamptz
        WHERE id = ${orderId}::uuid`;
      return { closed: await tx.order.findUniqueOrThrow({ where: { id: closedId } }), open: await tx.order.findUniqueOrThrow({ where: { id: orderId } }) };
    });
    return { closed: toClosedOrder(rows.closed), open: toOpenOrder(rows.open) };
  }

  /** Replaces the exit plan of an OPEN order; StateConflictError when CLOSED. */
  async updateExitPlan(orderId: string, exitPlan: ExitPlan): Promise<OpenOrder> {
    const id = checkId("order", orderId);
    const json = checkExitPlan(exitPlan);
    return this.updateOpen(id, { exitPlan: json });
  }

  /** Sets or clears the SL/TP trigger orders of an OPEN order (a key left out is kept); StateConflictError when CLOSED. */
  async setTriggerOrders(orderId: string, triggers: Partial<TriggerOrdersInput>): Promise<OpenOrder> {
    const id = checkId("order", orderId);
    return this.updateOpen(id, checkTriggerInput(triggers));
  }

  /**
   * Adds one funding settlement (positive = received, USD, kept to 30 decimals, rounded
   * half-even beyond) to an OPEN order's funding in a single atomic increment, so concurrent
   * settlements and restarts never lose one. With `settledAt` (epoch ms the settlement
   * came due) it is recorded at most once per order: a settlement not after the last one
   * recorded (another worker's simulator, or a restarted one, charged it already) leaves
   * the order unchanged, which the returned order shows. StateConflictError when the order
   * is CLOSED (its close recorded the final funding), NotFoundError when there is no such order.
   */
  async addFunding(orderId: string, amount: DecimalLike, settledAt?: number): Promise<OpenOrder> {
    const id = checkId("order", orderId);
    const delta = toColumnDecimal("amount", amount, { column: NUMERIC_65_30, places: "round" });
    if (settledAt === undefined) return this.updateOpen(id, { funding: { increment: delta.toString() } });
    const at = toDbTime("settledAt", settledAt);
    const row = await inTransaction(this.prisma, async (tx) => {
      // One conditional UPDATE: of two workers reporting one settlement, the second re-checks after the first commits.
      await tx.order.updateMany({
        where: { id, status: "OPEN", OR: [{ fundingSettledAt: null }, { fundingSettledAt: { lt: at } }] },
        data: { funding: { increment: delta.toString() }, fundingSettledAt: at },
      });
      const order = await tx.order.findUnique({ where: { id } });
      if (order === null) throw new NotFoundError("order", id);
      if (order.status !== "OPEN") throw new StateConflictError(`order ${id} is CLOSED and cannot change`, "order", id);
      return order;
    });
    return toOpenOrder(row);
  }

  private async updateOpen(id: string, data: Prisma.OrderUncheckedUpdateManyInput): Promise<OpenOrder> {
    const row = await inTransaction(this.prisma, async (tx) => {
      const { count } = await tx.order.updateMany({ where: { id, status: "OPEN" }, data });
      const order = await tx.order.findUnique({ where: { id } });
      if (order === null) throw new NotFoundError("order", id);
      if (count === 0) throw new StateConflictError(`order ${id} is CLOSED and cannot change`, "order", id);
      return order;
    });
    return toOpenOrder(row);
  }

  /** The order with this id (open or closed), or null. */
  async byId(orderId: string): Promise<OrderRecord | null> {
    let id: string;
    try {
      id = checkId("order", orderId);
    } catch {
      return null;
    }
    const row = await this.prisma.order.findUnique({ where: { id } });
    return row === null ? null : toOrderRecord(row);
  }

  /** The model's open positions, oldest first. */
  async openOrdersOfModel(modelId: string): Promise<OpenOrder[]> {
    const id = checkId("model", modelId);
    const rows = await this.prisma.order.findMany({ where: { modelId: id, status: "OPEN" }, orderBy: [{ openedAt: "asc" }, { id: "asc" }] });
    return rows.map(toOpenOrder);
  }

  /** Every open position of every model, oldest first (the simulator's restore on start). */
  async allOpenOrders(): Promise<OpenOrder[]> {
    const rows = await this.prisma.order.findMany({ where: { status: "OPEN" }, orderBy: [{ openedAt: "asc" }, { id: "asc" }] });
    return rows.map(toOpenOrder);
  }

  /** The model's open position on a symbol, or null. */
  async openPositionOf(modelId: string, symbol: string): Promise<OpenOrder | null> {
    const id = checkId("model", modelId);
    const row = await this.prisma.order.findFirst({ where: { modelId: id, symbol, status: "OPEN" } });
    return row === null ? null : toOpenOrder(row);
  }

  /**
   * The net realized PnL of each model's closed orders (the models given, or every model),
   * exact; a model without closed orders is absent. What a simulated account's cash is
   * rebuilt from.
   */
  async realizedPnlByModel(modelIds?: readonly string[]): Promise<Map<string, Decimal>> {
    const ids = modelIds?.map((id) => checkId("model", id));
    if (ids !== undefined && ids.length === 0) return new Map();
    const groups = await this.prisma.order.groupBy({
      by: ["modelId"],
      where: { status: "CLOSED", ...(ids === undefined ? {} : { modelId: { in: ids } }) },
      _sum: { realizedPnl: true },
      orderBy: { modelId: "asc" },
    });
    return new Map(groups.flatMap((g) => (g._sum.realizedPnl === null ? [] : [[g.modelId, fromDbDecimal(g._sum.realizedPnl)] as const])));
  }

  /** Closed trades, newest closedAt first, one page at a time (keyset pagination: stable while rows are added). */
  async closedTrades(query: ClosedTradesQuery = {}): Promise<Page<ClosedOrder>> {
    const limit = checkLimit(query.limit);
    const modelId = query.modelId === undefined ? undefined : checkId("model", query.modelId);
    const symbol = query.symbol === undefined ? undefined : checkText("symbol", query.symbol, 32);
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const where: Prisma.OrderWhereInput = {
      status: "CLOSED",
      ...(modelId === undefined ? {} : { modelId }),
      ...(symbol === undefined ? {} : { symbol }),
    };
    if (cursor !== null) {
      const at = new Date(cursor.closedAt);
      where.OR = [{ closedAt: { lt: at } }, { closedAt: at, id: { lt: cursor.id } }];
    }
    const rows = await this.prisma.order.findMany({ where, orderBy: [{ closedAt: "desc" }, { id: "desc" }], take: limit + 1 });
    const items = rows.slice(0, limit).map(toClosedOrder);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor({ closedAt: last.closedAt, id: last.orderId }) : null };
  }

  /** The model's closed trades, newest first, paginated. */
  async closedTradesOfModel(modelId: string, page: Omit<ClosedTradesQuery, "modelId"> = {}): Promise<Page<ClosedOrder>> {
    return this.closedTrades({ ...page, modelId });
  }
}
