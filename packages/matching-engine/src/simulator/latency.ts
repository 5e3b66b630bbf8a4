/**
 * Seeded order latency: each order's delay is drawn uniformly from [minMs, maxMs] from a
 * generator made from the seed, in submission order, so the same seed and the same order
 * stream give the same delays.
 */
import { type Random, ValidationError, createRandom } from "@autonome/core";

/** The range a delay is drawn from, in milliseconds (inclusive). */
export interface LatencyRange {
  minMs: number;
  maxMs: number;
}

/** Draws one delay per order from a seeded generator. */
export class LatencyModel {
  private readonly random: Random;

  constructor(
    readonly range: LatencyRange,
    seed: number | string,
  ) {
    const { minMs, maxMs } = range;
    if (!Number.isSafeInteger(minMs) || !Number.isSafeInteger(maxMs) || minMs < 0 || maxMs < minMs) {
      throw new ValidationError("invalid latency range", [{ path: "latency", message: `need integers 0 <= minMs <= maxMs, got [${minMs}, ${maxMs}]` }]);
    }
    this.random = createRandom(seed).fork("latency");
  }

  /** The next order's delay in ms. */
  nextDelayMs(): number {
    return this.random.int(this.range.minMs, this.range.maxMs);
  }
}
