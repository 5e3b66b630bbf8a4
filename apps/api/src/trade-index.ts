/**
 * One model's closed trades as an index for window statistics: trades sorted by closedAt
 * with prefix sums, so the statistics of any window [from, now] cost a binary search and
 * a few subtractions, whatever the number of trades.
 *
 * Invariants: `closedAt` is sorted ascending; `cumRealized[i]`, `cumFees[i]`, `cumWins[i]`
 * and `cumLosses[i]` are the sums over trades [0, i); `blockMax[b]` / `blockMin[b]` are
 * the largest / smallest realized PnL of trades [b * BLOCK, (b + 1) * BLOCK). Money is
 * exact: realized PnL and fees as integers of 1e-30 USD (the Orders columns are
 * numeric(65,30)), summed as BigInt.
 */
import { toDecimal } from "@autonome/core";
import type { LedgerTrade } from "@autonome/db";

const BLOCK = 128;
/** Decimal places of an Order's realized PnL and fees (numeric(65,30)). */
const MONEY_PLACES = 30;

/** Scales an exact decimal string to an integer of `places` decimals ("-1.5", 2 -> -150n). */
export function toScaled(text: string, places: number): bigint {
  // The common form ("-12.5", "0.05", "3"): split at the point, no regular expression.
  const dot = text.indexOf(".");
  const whole = dot < 0 ? text : text.slice(0, dot);
  const frac = dot < 0 ? "" : text.slice(dot + 1);
  if (/^[+-]?\d+$/.test(whole) && frac.length <= places && /^\d*$/.test(frac)) {
    return BigInt(whole + frac.padEnd(places, "0"));
  }
  return parseScaled(text, places);
}

function parseScaled(text: string, places: number): bigint {
  // Exponent notation (Decimal's toString of amounts below 1e-30): its plain digits.
  const plain = /e/i.test(text) ? toDecimal(text.trim()).toFixed() : text.trim();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(plain);
  if (match === null) throw new RangeError(`not a decimal: ${text}`);
  const [, sign, whole = "", frac = ""] = match;
  if (frac.length > places && /[1-9]/.test(frac.slice(places))) throw new RangeError(`${text} has more than ${places} decimals`);
  const digits = `${whole || "0"}${frac.slice(0, places).padEnd(places, "0")}`;
  const value = BigInt(digits);
  return sign === "-" ? -value : value;
}

/** The exact decimal string of a scaled integer, without trailing zeros (-150n, 2 -> "-1.5"). */
export function fromScaled(value: bigint, places: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const frac = digits.slice(digits.length - places).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac === "" ? "" : `.${frac}`}`;
}

/** The statistics of a model's trades closed in a window. */
export interface WindowTradeStats {
  count: number;
  wins: number;
  losses: number;
  /** Net realized PnL, exact decimal string. */
  realizedPnl: string;
  /** Fees, exact decimal string. */
  fees: string;
  /** Largest realized PnL, or null without trades. */
  best: string | null;
  /** Smallest realized PnL, or null without trades. */
  worst: string | null;
}

function growFloat(array: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(size);
  next.set(array);
  return next;
}

function growInt(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(size);
  next.set(array);
  return next;
}

/** A model's closed trades, indexed for window statistics. */
export class TradeIndex {
  private n = 0;
  /** Trades the arrays hold room for (the prefix arrays one more). */
  private capacity = 16;
  private closedAt = new Float64Array(16);
  /** Each trade's realized PnL and fees, in 1e-30 USD (BigInt: they exceed 64 bits). */
  private pnlUnits: bigint[] = [];
  private feeUnits: bigint[] = [];
  private cumRealized: bigint[] = [0n];
  private cumFees: bigint[] = [0n];
  private cumWins = new Int32Array(17);
  private cumLosses = new Int32Array(17);
  private blockMax: bigint[] = [];
  private blockMin: bigint[] = [];
  /** The earliest open time of any trade (when the model started trading), or null. */
  firstOpenedAt: number | null = null;

  /** How many trades. */
  get size(): number {
    return this.n;
  }

  /** Adds a trade, in order (O(1)) or, when it closed before the newest, by insertion (O(n)). */
  add(trade: Pick<LedgerTrade, "openedAt" | "closedAt" | "realizedPnl" | "fees">): void {
    const pnl = toScaled(trade.realizedPnl, MONEY_PLACES);
    const fees = toScaled(trade.fees, MONEY_PLACES);
    this.firstOpenedAt = this.firstOpenedAt === null ? trade.openedAt : Math.min(this.firstOpenedAt, trade.openedAt);
    const size = this.n + 1;
    if (size > this.capacity) {
      // Doubling: appends cost O(1) amortized.
      const capacity = this.capacity * 2;
      this.closedAt = growFloat(this.closedAt, capacity);
      this.cumWins = growInt(this.cumWins, capacity + 1);
      this.cumLosses = growInt(this.cumLosses, capacity + 1);
      this.capacity = capacity;
    }
    let at = this.n;
    if (this.n > 0 && trade.closedAt < this.closedAt[this.n - 1]!) {
      at = this.upperBound(trade.closedAt);
      this.closedAt.copyWithin(at + 1, at, this.n);
    }
    this.closedAt[at] = trade.closedAt;
    this.pnlUnits.splice(at, 0, pnl);
    this.feeUnits.splice(at, 0, fees);
    this.n = size;
    this.rebuildFrom(at);
  }

  private rebuildFrom(start: number): void {
    for (let i = start; i < this.n; i++) {
      const c = this.pnlUnits[i]!;
      this.cumRealized[i + 1] = this.cumRealized[i]! + c;
      this.cumFees[i + 1] = this.cumFees[i]! + this.feeUnits[i]!;
      this.cumWins[i + 1] = this.cumWins[i]! + (c > 0n ? 1 : 0);
      this.cumLosses[i + 1] = this.cumLosses[i]! + (c < 0n ? 1 : 0);
    }
    const firstBlock = Math.floor(start / BLOCK);
    const blocks = Math.ceil(this.n / BLOCK);
    if (start === this.n - 1) {
      // Appended: its block's extremes take it in (O(1)).
      const c = this.pnlUnits[start]!;
      if (this.blockMax.length < blocks) {
        this.blockMax.push(c);
        this.blockMin.push(c);
      }
      if (c > this.blockMax[firstBlock]!) this.blockMax[firstBlock] = c;
      if (c < this.blockMin[firstBlock]!) this.blockMin[firstBlock] = c;
      return;
    }
    this.blockMax.length = blocks;
    this.blockMin.length = blocks;
    for (let b = firstBlock; b < blocks; b++) {
      let max = this.pnlUnits[b * BLOCK]!;
      let min = max;
      for (let i = b * BLOCK; i < Math.min(this.n, (b + 1) * BLOCK); i++) {
        const c = this.pnlUnits[i]!;
        if (c > max) max = c;
        if (c < min) min = c;
      }
      this.blockMax[b] = max;
      this.blockMin[b] = min;
    }
  }

  /** The first index whose closedAt is >= `t`. */
  private lowerBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.closedAt[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first index whose closedAt is > `t`. */
  private upperBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.closedAt[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Statistics of the trades closed at or after `from` (every trade when null). */
  stats(from: number | null): WindowTradeStats {
    const i = from === null ? 0 : this.lowerBound(from);
    const n = this.n;
    const count = n - i;
    let best: bigint | null = null;
    let worst: bigint | null = null;
    if (count > 0) {
      const firstFull = Math.ceil(i / BLOCK);
      const lastFull = Math.floor(n / BLOCK);
      const headEnd = Math.min(n, firstFull * BLOCK);
      const take = (max: bigint, min: bigint) => {
        if (best === null || max > best) best = max;
        if (worst === null || min < worst) worst = min;
      };
      for (let k = i; k < headEnd; k++) take(this.pnlUnits[k]!, this.pnlUnits[k]!);
      for (let b = firstFull; b < lastFull; b++) take(this.blockMax[b]!, this.blockMin[b]!);
      for (let k = Math.max(headEnd, lastFull * BLOCK); k < n; k++) take(this.pnlUnits[k]!, this.pnlUnits[k]!);
    }
    return {
      count,
      wins: this.cumWins[n]! - this.cumWins[i]!,
      losses: this.cumLosses[n]! - this.cumLosses[i]!,
      realizedPnl: fromScaled(this.cumRealized[n]! - this.cumRealized[i]!, MONEY_PLACES),
      fees: fromScaled(this.cumFees[n]! - this.cumFees[i]!, MONEY_PLACES),
      best: best === null ? null : fromScaled(best, MONEY_PLACES),
      worst: worst === null ? null : fromScaled(worst, MONEY_PLACES),
    };
  }
}
