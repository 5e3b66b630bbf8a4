/**
 * Ids that sort in the order this process made them: UUIDv7 (RFC 9562), 48 bits of Unix
 * milliseconds, then a 12-bit sequence that starts at a random value each millisecond and
 * counts up within it, then 62 random bits. Rows that share a timestamp column (every tool
 * call of a backtest tick carries the tick's time) are read back in the order they were
 * recorded when ordered by (time, id); PostgreSQL compares uuid values bytewise, as the
 * strings compare. The embedded time is the wall clock; only the order matters, and no
 * result depends on it.
 */
let lastMs = -1;
let sequence = 0;

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** A UUIDv7 greater than every one this process made before. */
export function orderedUuid(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // Half the range left to count up in before the millisecond is used up.
    sequence = globalThis.crypto.getRandomValues(new Uint16Array(1))[0]! & 0x7ff;
  } else if (sequence < 0xfff) {
    sequence += 1;
  } else {
    // 4,096 ids in one millisecond (or a clock that went back): borrow the next millisecond.
    lastMs += 1;
    sequence = 0;
  }
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
