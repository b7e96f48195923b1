import type { Trial } from './contracts.js';

/**
 * The Pareto front of complete trials: those no other complete trial beats on both speed-up
 * (higher is better) and objective (lower is better). Sorted by ascending speed-up.
 *
 * @param trials - Any trials; only `complete` ones are considered.
 * @returns The non-dominated trials, frozen, ascending speed-up (ties: lower objective first).
 * @example
 * ```ts
 * paretoFront(result.trials).map((t) => [t.cost.speedup, t.objective]);
 * ```
 * @public
 */
export function paretoFront(trials: readonly Trial[]): readonly Trial[] {
  const done = trials.filter((t) => t.state === 'complete' && typeof t.objective === 'number');
  // sort by speed-up descending, then objective ascending; sweep keeping strictly better objectives
  const sorted = [...done].sort((a, b) => b.cost.speedup - a.cost.speedup || a.objective! - b.objective! || a.number - b.number);
  const front: Trial[] = [];
  let best = Infinity;
  for (const t of sorted) {
    if (t.objective! < best) {
      front.push(t);
      best = t.objective!;
    }
  }
  return Object.freeze(front.reverse());
}

/**
 * The best complete trial reaching a minimum speed-up: lowest objective, ties broken by higher
 * speed-up, then by trial number.
 *
 * @param trials - Any trials.
 * @param minSpeedup - The constraint (default 1).
 * @returns The best trial, or `undefined` when none qualifies.
 * @public
 */
export function bestTrial(trials: readonly Trial[], minSpeedup = 1): Trial | undefined {
  let best: Trial | undefined;
  for (const t of trials) {
    if (t.state !== 'complete' || typeof t.objective !== 'number' || t.cost.speedup < minSpeedup) continue;
    if (!best || t.objective < best.objective! || (t.objective === best.objective && t.cost.speedup > best.cost.speedup)) {
      best = t;
    }
  }
  return best;
}
