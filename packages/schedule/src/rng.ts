import { ScheduleError } from './errors.js';

/**
 * A seeded pseudo-random number generator (xoshiro128**). Deterministic: the same seed gives the
 * same sequence on every platform. Its state can be saved and restored.
 *
 * @public
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). @throws {@link ScheduleError} for n not a positive safe integer. */
  int(n: number): number;
  /** True with probability p. */
  bool(p?: number): boolean;
  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new independent generator derived from this one (advances this one). */
  fork(): Rng;
  /** The current state (four uint32), for snapshots. */
  state(): readonly [number, number, number, number];
}

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Create a seeded {@link Rng}.
 *
 * @param seed - An integer seed, or a saved state from {@link Rng.state}.
 * @returns The generator.
 * @throws {@link ScheduleError} `invalid-option` for a seed that is not a safe integer or a state of four uint32 not all zero.
 * @example
 * ```ts
 * const rng = createRng(42);
 * rng.int(10); // same value on every run
 * ```
 * @public
 */
export function createRng(seed: number | readonly number[]): Rng {
  let s0: number, s1: number, s2: number, s3: number;
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new ScheduleError('invalid-option', `Invalid seed ${String(seed)}: expected a safe integer.`);
    }
    const sm = splitmix32((seed >>> 0) ^ Math.floor(seed / 0x100000000));
    s0 = sm();
    s1 = sm();
    s2 = sm();
    s3 = sm();
  } else {
    if (
      !Array.isArray(seed) ||
      seed.length !== 4 ||
      seed.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff) ||
      seed.every((v) => v === 0)
    ) {
      throw new ScheduleError('invalid-option', `Invalid RNG state ${JSON.stringify(seed)}: expected four uint32, not all zero.`);
    }
    [s0, s1, s2, s3] = seed as [number, number, number, number];
  }
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  const rng: Rng = {
    next: () => nextU32() / 0x100000000,
    int(n: number): number {
      if (!Number.isSafeInteger(n) || n <= 0) {
        throw new ScheduleError('invalid-option', `Invalid range ${String(n)} for Rng.int: expected a positive integer.`);
      }
      if (n <= 0x100000000) {
        // rejection sampling for an unbiased result
        const limit = Math.floor(0x100000000 / n) * n;
        for (;;) {
          const u = nextU32();
          if (u < limit) return u % n;
        }
      }
      return Math.floor(((nextU32() * 0x100000000 + nextU32()) / 2 ** 64) * n);
    },
    bool: (p = 0.5) => nextU32() / 0x100000000 < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new ScheduleError('invalid-option', 'Rng.pick needs a non-empty array.');
      return items[rng.int(items.length)]!;
    },
    fork: () => createRng([nextU32() | 1, nextU32(), nextU32(), nextU32()].map((v) => v >>> 0)),
    state: () => Object.freeze([s0, s1, s2, s3]) as readonly [number, number, number, number],
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
