/**
 * Seeded randomness. Every simulated run draws from a generator made from its seed,
 * so the same seed reproduces the same run. Algorithm: sfc32 seeded through splitmix32.
 */

/** A seeded pseudo-random generator. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer uniform in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** Standard normal draw (Box-Muller). */
  normal(): number;
  /** A new generator derived from this one, for an independent stream. */
  fork(label: string): Random;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Creates a generator from a seed (an integer or any string). */
export function createRandom(seed: number | string): Random {
  const seedNumber = typeof seed === "string" ? hashLabel(seed) : seed >>> 0;
  const init = splitmix32(seedNumber);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  let spareNormal: number | null = null;
  const nextUint = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextUint();
  const random: Random = {
    next: () => nextUint() / 4294967296,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new RangeError(`bad range [${min}, ${max}]`);
      return min + Math.floor(random.next() * (max - min + 1));
    },
    normal() {
      if (spareNormal !== null) {
        const value = spareNormal;
        spareNormal = null;
        return value;
      }
      let u = 0;
      while (u === 0) u = random.next();
      const v = random.next();
      const radius = Math.sqrt(-2 * Math.log(u));
      spareNormal = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    fork(label) {
      return createRandom((nextUint() ^ hashLabel(label)) >>> 0);
    },
  };
  return random;
}
