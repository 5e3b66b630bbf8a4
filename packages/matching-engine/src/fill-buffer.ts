/**
 * The reused outputs of the book's allocation-free calls (`OrderBook.limit`, `market`,
 * `remove`): one `BookStep` and one `FillBuffer` per book, overwritten by every call that
 * trades or rests, so a hot loop allocates nothing per operation.
 *
 * Invariants: after a call, fills `0 .. count - 1` are that call's fills in execution order
 * (and `cancelledMakerIds[0 .. cancelledCount - 1]` the makers self-trade prevention
 * removed); entries past `count` are stale. The typed arrays are replaced when they grow,
 * so read them through the buffer after each call rather than keeping a reference.
 */
import type { OrderSide, RejectReason } from "@autonome/core";
import { idText } from "./internal/id-index.js";
import type { BookFill, OrderId, SubmitStatus } from "./types.js";

/** What one allocation-free call did. The book reuses this object: it is valid until the next call on the same book. */
export interface BookStep {
  /** As for `submit`: filled, partially_filled, resting, cancelled or rejected; `remove` gives cancelled or rejected. */
  status: SubmitStatus;
  /** Why it was rejected (`undefined` unless `status` is "rejected"); nothing changed then. */
  reason: RejectReason | undefined;
  /** Lots executed by this call (the fills in `book.fills` add up to it). */
  filledLots: number;
  /** Lots of this order left resting on the book. */
  restingLots: number;
  /** Lots taken off without trading: a market or IOC remainder, a remainder stopped by self-trade prevention, or what `remove` took off the book. */
  cancelledLots: number;
}

/** The fills of the last allocation-free call, as parallel arrays (see the module comment). */
export class FillBuffer {
  /** Number of fills of the last call. */
  count = 0;
  /** Fill sequence numbers (strictly increasing within the book, shared with `submit`'s fills). */
  seq: Float64Array;
  /** The maker's price in ticks: the execution price. */
  priceTicks: Float64Array;
  /** Lots traded. */
  sizeLots: Float64Array;
  /** What is left of the maker after the fill (0 = gone from the book). */
  makerRemainingLots: Float64Array;
  /** The makers' ids as they were given (a numeric id stays a number). */
  readonly makerOrderIds: OrderId[];
  readonly makerAccountIds: string[];
  /** Number of resting orders self-trade prevention removed in the last call. */
  cancelledCount = 0;
  /** Their ids, as they were given. */
  readonly cancelledMakerIds: OrderId[] = [""];

  constructor(capacity = 64) {
    this.seq = new Float64Array(capacity);
    this.priceTicks = new Float64Array(capacity);
    this.sizeLots = new Float64Array(capacity);
    this.makerRemainingLots = new Float64Array(capacity);
    // Filled up front with strings: one elements kind from the start, so the optimised
    // matching code of one book fits the next.
    this.makerOrderIds = new Array<OrderId>(capacity).fill("");
    this.makerAccountIds = new Array<string>(capacity).fill("");
  }

  /**
   * The last call's fills as the `BookFill` objects `submit` reports, in execution order,
   * for the taker named here (the buffer keeps only the makers): maker ids as strings (`5`
   * becomes `"5"`). Appends to `out` (a new array by default) and returns it. This allocates;
   * it is how `submit`, `modify` and `loadSnapshot` build their fills.
   */
  toFills(takerOrderId: string, takerAccountId: string, takerSide: OrderSide, out: BookFill[] = []): BookFill[] {
    for (let i = 0; i < this.count; i++) {
      out.push({
        seq: this.seq[i] as number,
        makerOrderId: idText(this.makerOrderIds[i] as OrderId),
        makerAccountId: this.makerAccountIds[i] as string,
        takerOrderId,
        takerAccountId,
        takerSide,
        priceTicks: this.priceTicks[i] as number,
        sizeLots: this.sizeLots[i] as number,
        makerRemainingLots: this.makerRemainingLots[i] as number,
      });
    }
    return out;
  }

  /** Doubles the typed arrays (keeping their contents); called by the book when `count` reaches their length. */
  grow(): void {
    const capacity = this.seq.length * 2;
    const grown = (a: Float64Array): Float64Array => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    this.seq = grown(this.seq);
    this.priceTicks = grown(this.priceTicks);
    this.sizeLots = grown(this.sizeLots);
    this.makerRemainingLots = grown(this.makerRemainingLots);
    for (let i = this.makerOrderIds.length; i < capacity; i++) {
      this.makerOrderIds.push("");
      this.makerAccountIds.push("");
    }
  }
}
