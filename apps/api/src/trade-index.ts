/**
 * One model's closed trades as an index for window statistics: trades sorted by closedAt
 * with prefix sums, so the statistics of any window [from, now] cost a binary search and
 * a few subtractions, whatever the number of trades.
 *
 * Invariants: `closedAt` is sorted ascending; `cumWins[i]` and `cumLosses[i]` count trades
 * [0, i); the money columns' `blockPrefix[b]` is the sum over trades [0, b * BLOCK) and
 * `total` the sum over all; `blockMax[b]` / `blockMin[b]` are the largest / smallest
 * realized PnL of trades [b * BLOCK, (b + 1) * BLOCK). Money is exact: realized PnL and
 * fees as integers of 1e-30 USD (the Orders columns are numeric(65,30)), summed as BigInt.
 *
 * Memory: a million trades are a million rows of a few typed arrays (about 34 bytes each),
 * not millions of BigInt objects: each amount is kept as an int64 mantissa and its decimal
 * places (exact for up to 18 significant digits, what trades carry; a wider amount is kept
 * whole in a side list), and sums exist per block of BLOCK trades. So the garbage
 * collector has almost nothing to trace, whatever the history (the api's heap after
 * building 1,000,000 trades went from 199 MB to a few tens).
 */
import { toDecimal } from "@autonome/core";
import type { LedgerTrade } from "@autonome/db";

const BLOCK = 128;
/** Decimal places of an Order's realized PnL and fees (numeric(65,30)). */
const MONEY_PLACES = 30;
/** `places` of an amount kept whole in the side list (its mantissa slot holds the list index). */
const WIDE = 255;
/** 10^k as BigInt, k = 0..30. */
const POW10: readonly bigint[] = Array.from({ length: MONEY_PLACES + 1 }, (_, k) => 10n ** BigInt(k));
/** Most significant digits an int64 mantissa always holds. */
const MAX_MANTISSA_DIGITS = 18;

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

/**
 * One money column of a TradeIndex: amounts in 1e-30 USD kept as (int64 mantissa, places)
 * in typed arrays, with the sum of each full block and of everything.
 */
class MoneyColumn {
  mantissa: BigInt64Array<ArrayBuffer>;
  places: Uint8Array<ArrayBuffer>;
  /** Amounts too wide for a mantissa, whole. */
  private readonly wide: bigint[] = [];
  /** blockPrefix[b]: the sum over rows [0, b * BLOCK). */
  private blockPrefix: bigint[] = [0n];
  /** The sum over every row. */
  total = 0n;

  constructor(capacity: number) {
    this.mantissa = new BigInt64Array(capacity);
    this.places = new Uint8Array(capacity);
  }

  grow(capacity: number): void {
    const mantissa = new BigInt64Array(capacity);
    mantissa.set(this.mantissa);
    const places = new Uint8Array(capacity);
    places.set(this.places);
    this.mantissa = mantissa;
    this.places = places;
  }

  /** Row i's amount in 1e-30 USD. */
  get(i: number): bigint {
    const p = this.places[i]!;
    const m = this.mantissa[i]!;
    return p === WIDE ? this.wide[Number(m)]! : m * POW10[MONEY_PLACES - p]!;
  }

  /** Writes an amount (a decimal string) at row i, in the compact form when it fits; returns it in 1e-30 USD. */
  set(i: number, text: string): bigint {
    const dot = text.indexOf(".");
    const whole = dot < 0 ? text : text.slice(0, dot);
    let frac = dot < 0 ? "" : text.slice(dot + 1);
    if (/^[+-]?\d+$/.test(whole) && frac.length <= MONEY_PLACES && /^\d*$/.test(frac)) {
      let end = frac.length;
      while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
      frac = frac.slice(0, end);
      const negative = whole.charCodeAt(0) === 45;
      const unsigned = whole.charCodeAt(0) === 45 || whole.charCodeAt(0) === 43 ? whole.slice(1) : whole;
      const digits = (unsigned + frac).replace(/^0+/, "");
      if (digits.length <= MAX_MANTISSA_DIGITS) {
        const m = BigInt(digits === "" ? "0" : negative ? `-${digits}` : digits);
        this.mantissa[i] = m;
        this.places[i] = frac.length;
        return m * POW10[MONEY_PLACES - frac.length]!;
      }
    }
    const value = toScaled(text, MONEY_PLACES);
    this.mantissa[i] = BigInt(this.wide.length);
    this.places[i] = WIDE;
    this.wide.push(value);
    return value;
  }

  /** Moves rows [at, n) one down, making room at `at`. */
  openRow(at: number, n: number): void {
    this.mantissa.copyWithin(at + 1, at, n);
    this.places.copyWithin(at + 1, at, n);
  }

  /** The sum over rows [0, k). */
  prefix(k: number): bigint {
    const b = Math.floor(k / BLOCK);
    let sum = this.blockPrefix[b]!;
    for (let i = b * BLOCK; i < k; i++) sum += this.get(i);
    return sum;
  }

  /** Takes in row n - 1, just appended (O(1)). */
  appended(value: bigint, n: number): void {
    this.total += value;
    if (n % BLOCK === 0) this.blockPrefix[n / BLOCK] = this.total;
  }

  /** Recomputes the block sums from the block holding row `start` (after an insertion). */
  rebuildFrom(start: number, n: number, value: bigint): void {
    this.total += value;
    const blocks = Math.floor(n / BLOCK);
    this.blockPrefix.length = blocks + 1;
    for (let b = Math.floor(start / BLOCK); b < blocks; b++) {
      let sum = this.blockPrefix[b]!;
      for (let i = b * BLOCK; i < (b + 1) * BLOCK; i++) sum += this.get(i);
      this.blockPrefix[b + 1] = sum;
    }
  }
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
  /** Each trade's realized PnL and fees, in 1e-30 USD. */
  private readonly pnl = new MoneyColumn(16);
  private readonly fees = new MoneyColumn(16);
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
    const size = this.n + 1;
    if (size > this.capacity) {
      // Doubling: appends cost O(1) amortized.
      const capacity = this.capacity * 2;
      this.closedAt = growFloat(this.closedAt, capacity);
      this.pnl.grow(capacity);
      this.fees.grow(capacity);
      this.cumWins = growInt(this.cumWins, capacity + 1);
      this.cumLosses = growInt(this.cumLosses, capacity + 1);
      this.capacity = capacity;
    }
    let at = this.n;
    if (this.n > 0 && trade.closedAt < this.closedAt[this.n - 1]!) {
      at = this.upperBound(trade.closedAt);
      this.closedAt.copyWithin(at + 1, at, this.n);
      this.pnl.openRow(at, this.n);
      this.fees.openRow(at, this.n);
    }
    // Parsed before anything is counted: an amount that is not a decimal changes nothing.
    let pnl: bigint;
    let fee: bigint;
    try {
      pnl = this.pnl.set(at, trade.realizedPnl);
      fee = this.fees.set(at, trade.fees);
    } catch (error) {
      if (at < this.n) {
        this.closedAt.copyWithin(at, at + 1, this.n + 1);
        this.pnl.mantissa.copyWithin(at, at + 1, this.n + 1);
        this.pnl.places.copyWithin(at, at + 1, this.n + 1);
        this.fees.mantissa.copyWithin(at, at + 1, this.n + 1);
        this.fees.places.copyWithin(at, at + 1, this.n + 1);
      }
      throw error;
    }
    this.closedAt[at] = trade.closedAt;
    this.firstOpenedAt = this.firstOpenedAt === null ? trade.openedAt : Math.min(this.firstOpenedAt, trade.openedAt);
    this.n = size;
    if (at === size - 1) {
      this.pnl.appended(pnl, size);
      this.fees.appended(fee, size);
      this.cumWins[size] = this.cumWins[at]! + (pnl > 0n ? 1 : 0);
      this.cumLosses[size] = this.cumLosses[at]! + (pnl < 0n ? 1 : 0);
      // Its block's extremes take it in (O(1)).
      const block = Math.floor(at / BLOCK);
      if (this.blockMax.length <= block) {
        this.blockMax.push(pnl);
        this.blockMin.push(pnl);
      } else {
        if (pnl > this.blockMax[block]!) this.blockMax[block] = pnl;
        if (pnl < this.blockMin[block]!) this.blockMin[block] = pnl;
      }
      return;
    }
    this.pnl.rebuildFrom(at, size, pnl);
    this.fees.rebuildFrom(at, size, fee);
    for (let i = at; i < size; i++) {
      const c = this.pnl.get(i);
      this.cumWins[i + 1] = this.cumWins[i]! + (c > 0n ? 1 : 0);
      this.cumLosses[i + 1] = this.cumLosses[i]! + (c < 0n ? 1 : 0);
    }
    const blocks = Math.ceil(size / BLOCK);
    this.blockMax.length = blocks;
    this.blockMin.length = blocks;
    for (let b = Math.floor(at / BLOCK); b < blocks; b++) {
      let max = this.pnl.get(b * BLOCK);
      let min = max;
      for (let i = b * BLOCK + 1; i < Math.min(size, (b + 1) * BLOCK); i++) {
        const c = this.pnl.get(i);
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
      for (let k = i; k < headEnd; k++) {
        const c = this.pnl.get(k);
        take(c, c);
      }
      for (let b = firstFull; b < lastFull; b++) take(this.blockMax[b]!, this.blockMin[b]!);
      for (let k = Math.max(headEnd, lastFull * BLOCK); k < n; k++) {
        const c = this.pnl.get(k);
        take(c, c);
      }
    }
    return {
      count,
      wins: this.cumWins[n]! - this.cumWins[i]!,
      losses: this.cumLosses[n]! - this.cumLosses[i]!,
      realizedPnl: fromScaled(this.pnl.total - this.pnl.prefix(i), MONEY_PLACES),
      fees: fromScaled(this.fees.total - this.fees.prefix(i), MONEY_PLACES),
      best: best === null ? null : fromScaled(best, MONEY_PLACES),
      worst: worst === null ? null : fromScaled(worst, MONEY_PLACES),
    };
  }
}
