/**
 * The queue's randomness, behind `Random` (queue.ts): the platform's CSPRNG in production, and a
 * seeded generator for tests and the benchmark, side by side. Both are uniform on [0, bound).
 */
import type { Random } from "./queue";

/** From crypto.getRandomValues, by rejection sampling, so no bound is favoured by a modulo. */
export const cryptoRandom: Random = (bound) => {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    const value = word[0] as number;
    if (value < limit) return value % bound;
  }
};

/**
 * Deterministic from `seed` (mulberry32, 32 bits of state): the same seed replays the same shuffle.
 * Not for production: its whole state can be recovered from a few outputs.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return (bound) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
    return Math.floor(unit * bound);
  };
}
