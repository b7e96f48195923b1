import { scheduleCost, type CostProfile } from '../cost.js';
import { formatSchedule } from '../notation.js';
import { createRng, type Rng } from '../rng.js';
import type { Schedule } from '../schedule.js';
import type { SearchSpace } from '../space.js';
import type { SearchContext, Searcher, Trial } from '../search/contracts.js';

/**
 * A synthetic objective for searcher tests: cheaper schedules score worse, plus a deterministic
 * per-schedule wobble in [0, 1). Not a model of image quality.
 *
 * @param s - The schedule.
 * @param profile - The cost profile.
 * @returns speed-up + wobble (lower is better, as rFID).
 * @public
 */
export function syntheticObjective(s: Schedule, profile: CostProfile): number {
  const key = formatSchedule(s);
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return scheduleCost(s, profile).speedup + (h % 1000) / 1000;
}

/**
 * Options of {@link driveSearcher}.
 *
 * @public
 */
export interface DriveSearcherOptions {
  /** The space searched. */
  readonly space: SearchSpace;
  /** The cost profile. */
  readonly costProfile: CostProfile;
  /** Seed of the driver's RNG (default 0); ignored with `rng`. */
  readonly seed?: number;
  /** The driver's RNG, to continue a drive. */
  readonly rng?: Rng;
  /** Minimum speed-up (default 1). */
  readonly minSpeedup?: number;
  /** Rounds of ask/tell. */
  readonly rounds: number;
  /** Candidates asked for per round. */
  readonly batch: number;
  /** Trials already finished (to continue a drive). */
  readonly history?: readonly Trial[];
  /** The objective of a schedule (default {@link syntheticObjective}). */
  readonly objective?: (s: Schedule) => number;
}

/**
 * Result of {@link driveSearcher}.
 *
 * @public
 */
export interface DriveSearcherResult {
  /** Every trial, in order (with the synthetic or given objective). */
  history: Trial[];
  /** The proposed schedules in notation, in order. */
  proposed: string[];
  /** Whether the searcher ran out (returned no candidate). */
  done: boolean;
  /** The driver's RNG, to continue the drive. */
  rng: Rng;
}

/**
 * Drive a searcher synchronously, as `runSearch` would, and check the contract on every ask: at
 * most `batch` candidates, all members of the space, all meeting the speed-up constraint, none a
 * duplicate of the history or of the same batch. Use it to test a custom searcher.
 *
 * @param searcher - The searcher under test.
 * @param o - The space, cost profile, constraint, rounds and batch size.
 * @returns The trial history, the proposed schedules in order, whether the searcher ran out
 *   (returned no candidate), and the driver's RNG.
 * @throws Error naming the first violated invariant and the offending schedule.
 * @example
 * ```ts
 * const { history, done } = driveSearcher(mySearcher, { space, costProfile, minSpeedup: 2, rounds: 10, batch: 4 });
 * ```
 * @public
 */
export function driveSearcher(searcher: Searcher, o: DriveSearcherOptions): DriveSearcherResult {
  const rng = o.rng ?? createRng(o.seed ?? 0);
  const minSpeedup = o.minSpeedup ?? 1;
  const history: Trial[] = [...(o.history ?? [])];
  const proposed: string[] = [];
  const cost = (s: Schedule) => scheduleCost(s, o.costProfile);
  const objective = o.objective ?? ((s: Schedule) => syntheticObjective(s, o.costProfile));
  const ctx = (): SearchContext => Object.freeze({ space: o.space, history: Object.freeze([...history]), rng, minSpeedup, cost });
  const fail = (msg: string): never => {
    throw new Error(`Searcher "${searcher.name}" broke the contract: ${msg}`);
  };
  let done = false;
  for (let r = 0; r < o.rounds; r++) {
    const out = searcher.ask(ctx(), o.batch);
    if (out.length === 0) {
      done = true;
      break;
    }
    if (out.length > o.batch) fail(`asked for ${o.batch} candidates, got ${out.length}.`);
    const keys = out.map(formatSchedule);
    const tried = new Set(history.map((t) => t.schedule));
    const seen = new Set<string>();
    const trials: Trial[] = out.map((s, i) => {
      const key = keys[i]!;
      if (!o.space.contains(s)) fail(`"${key}" is not a member of the space.`);
      if (seen.has(key)) fail(`"${key}" appears twice in one batch.`);
      if (tried.has(key)) fail(`"${key}" was already tried.`);
      seen.add(key);
      const c = cost(s);
      if (c.speedup < minSpeedup) fail(`"${key}" has speed-up ${c.speedup.toFixed(3)}, below the minimum ${minSpeedup}.`);
      return Object.freeze({
        number: history.length + i,
        schedule: key,
        state: 'complete' as const,
        objective: objective(s),
        cost: Object.freeze({ macs: c.macs, speedup: c.speedup }),
        durationMs: 0,
      });
    });
    proposed.push(...keys);
    history.push(...trials);
    searcher.tell?.(trials, ctx());
  }
  return { history, proposed, done, rng };
}
