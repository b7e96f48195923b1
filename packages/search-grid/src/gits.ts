import {
  ScheduleError,
  createSchedule,
  fullStep,
  nullStep,
  scheduleFromSteps,
  scheduleSteps,
  type Schedule,
  type Step,
} from '@flexiffusion/schedule';

/**
 * The cost matrix of a GITS-style timestep selection: for the T + 1 points of the teacher's
 * trajectory (point i is the sample before teacher step i, point T the end of sampling),
 * `costs[i][j]` (i < j) is the error of jumping from point i straight to point j in one sampler
 * step. A (T + 1) × (T + 1) array; entries on and below the diagonal are not read.
 * {@link gitsCostMatrix} builds one from a model.
 *
 * @public
 */
export type GitsCostMatrix = readonly (readonly number[])[];

/**
 * The optimal path of {@link gitsPath}.
 *
 * @public
 */
export interface GitsPath {
  /** The points visited, 0 = p_0 < p_1 < … < p_k = T. */
  readonly points: readonly number[];
  /** The kept teacher steps p_0 … p_{k−1}: where the schedule runs the network. */
  readonly steps: readonly number[];
  /** The summed cost Σ costs[p_m][p_{m+1}], summed in path order. */
  readonly cost: number;
}

/** T of a cost matrix, after checking its shape and the entries the DP reads. */
function checkCosts(costs: GitsCostMatrix): number {
  if (!Array.isArray(costs) || costs.length < 2) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid costs ${Array.isArray(costs) ? `of ${costs.length} rows` : String(costs)}: expected a (T + 1) × (T + 1) array with T >= 1.`,
    );
  }
  const n = costs.length;
  for (let i = 0; i < n; i++) {
    const row = costs[i];
    if (!Array.isArray(row) || row.length !== n) {
      throw new ScheduleError(
        'invalid-option',
        `Invalid costs[${i}] ${Array.isArray(row) ? `of length ${row.length}` : String(row)}: expected ${n} numbers (a square matrix).`,
      );
    }
    for (let j = i + 1; j < n; j++) {
      const c = row[j];
      if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) {
        throw new ScheduleError('invalid-option', `Invalid costs[${i}][${j}] ${String(c)}: expected a finite number >= 0 (a jump error).`);
      }
    }
  }
  return n - 1;
}

/**
 * The k-jump path from point 0 to point T of least summed cost, by exact dynamic programming
 * (GITS: Chen et al., "On the Trajectory Regularity of ODE-based Diffusion Sampling", ICML 2024):
 * D[m][j] = min over i < j of D[m−1][i] + costs[i][j], D[0][0] = 0; the answer is D[k][T].
 * O(k·T²) time, O(k·T) memory. Among equally good paths it returns the one whose predecessors
 * are the smallest indices, walking back from T.
 *
 * When every jump of two or more steps has a split that costs no more (costs[i][m] +
 * costs[m][j] ≤ costs[i][j] for some i < m < j), the optimal cost is non-increasing in k: split
 * a jump of the best k-path. For arbitrary costs, measured ones included, it need not be.
 *
 * @param costs - The (T + 1) × (T + 1) cost matrix ({@link GitsCostMatrix}); only the entries
 *   above the diagonal are read, each a finite number ≥ 0.
 * @param k - The number of jumps (= network evaluations), in 1..T.
 * @returns The points, the kept steps and the summed cost, frozen.
 * @throws ScheduleError `invalid-option` for a matrix that is not square with T ≥ 1, a bad entry
 *   above the diagonal (naming it), or k outside 1..T.
 * @example
 * ```ts
 * const costs = await gitsCostMatrix({ epsAt, alphasCumprod, timesteps, samples, count: 64 });
 * gitsPath(costs, 10).steps; // e.g. [0, 1, 2, 4, 7, 11, 16, 23, 31, 40]
 * ```
 * @public
 */
export function gitsPath(costs: GitsCostMatrix, k: number): GitsPath {
  const T = checkCosts(costs);
  if (!Number.isSafeInteger(k) || k < 1 || k > T) {
    throw new ScheduleError('invalid-option', `Invalid k ${String(k)}: expected an integer in 1..${T} (T, the steps of the cost matrix).`);
  }
  const W = T + 1;
  const D = new Float64Array((k + 1) * W).fill(Number.POSITIVE_INFINITY);
  const from = new Int32Array((k + 1) * W).fill(-1);
  D[0] = 0;
  for (let m = 1; m <= k; m++) {
    // point j after m jumps needs j >= m, and T - j <= k - m jumps left to reach T
    const hi = T - (k - m);
    for (let j = m; j <= hi; j++) {
      let best = Number.POSITIVE_INFINITY;
      let arg = -1;
      for (let i = m - 1; i < j; i++) {
        const v = D[(m - 1) * W + i]! + costs[i]![j]!;
        if (v < best) {
          best = v;
          arg = i;
        }
      }
      D[m * W + j] = best;
      from[m * W + j] = arg;
    }
  }
  const points = new Array<number>(k + 1);
  points[k] = T;
  for (let m = k; m >= 1; m--) points[m - 1] = from[m * W + points[m]!]!;
  return Object.freeze({
    points: Object.freeze(points),
    steps: Object.freeze(points.slice(0, k)),
    cost: D[k * W + T]!,
  });
}

/**
 * The GITS-style schedule with k network evaluations: full steps at the kept steps of
 * {@link gitsPath}, null steps elsewhere, as one segment of length T. With null mode `'skip'`
 * (the default) the sampler jumps between the kept teacher timesteps — the jumps whose errors the
 * cost matrix holds. Its speed-up is T / k; it is a member of `timestepSubsetSpace(T, k)` of
 * `@flexiffusion/search-autodiffusion`; run it through `runSearch` with {@link listSpace}.
 *
 * @param costs - The (T + 1) × (T + 1) cost matrix ({@link GitsCostMatrix}).
 * @param k - The number of full steps, in 1..T.
 * @returns The schedule, frozen.
 * @throws ScheduleError `invalid-option` as {@link gitsPath}.
 * @example
 * ```ts
 * const costs = await gitsCostMatrix({ epsAt, alphasCumprod, timesteps, samples, count: 64 });
 * const gits10 = gitsSchedule(costs, 10); // 5× on 50 steps
 * await runSearch({ space: listSpace([gits10]), searcher: listSearcher([gits10]), evaluator, costProfile, trials: 1 });
 * ```
 * @public
 */
export function gitsSchedule(costs: GitsCostMatrix, k: number): Schedule {
  const { points } = gitsPath(costs, k);
  const T = points[points.length - 1]!;
  const steps: Step[] = Array.from({ length: T }, () => nullStep());
  for (let m = 0; m < k; m++) steps[points[m]!] = fullStep();
  return createSchedule([steps]);
}

/**
 * Options of {@link gitsSeeds}.
 *
 * @public
 */
export interface GitsSeedsOptions {
  /** The speed-up the seeds must meet: k runs from ⌊T / speedup⌋ down. A finite number ≥ 1. */
  readonly speedup: number;
  /** The segment length the seeds are cut into (the search space's); it divides T. */
  readonly segmentLength: number;
  /** How many seeds, at most (fewer where k would drop below 1). Default 3. */
  readonly count?: number;
}

/**
 * Starting points for a search in an `'open'` space: GITS-k ({@link gitsSchedule}) for the
 * `count` largest k that meet `speedup` (k = ⌊T / speedup⌋, then k − 1, …, down to 1), each cut
 * into segments of `segmentLength` so that it is a member of the open space of that shape. Pass
 * them as `evolutionarySearcher({ seeds })` of `@flexiffusion/search-evo`: the search starts from
 * the DP's timesteps and moves them, or adds partial steps, from there.
 *
 * @param costs - The (T + 1) × (T + 1) cost matrix ({@link GitsCostMatrix}).
 * @param options - The speed-up, the segment length and the number of seeds.
 * @returns The seeds, fastest last (GITS-k, GITS-(k−1), …), frozen.
 * @throws ScheduleError `invalid-option` for a bad matrix (as {@link gitsPath}), a speed-up that is
 *   not a finite number in 1..T, a segment length that does not divide T, or a count that is not a
 *   positive integer (each naming the value).
 * @example
 * ```ts
 * const costs = await gitsCostMatrix({ epsAt, alphasCumprod, timesteps, samples, count: 64 });
 * const seeds = gitsSeeds(costs, { speedup: 5, segmentLength: 5 }); // GITS-10, -9, -8
 * const searcher = evolutionarySearcher({ seeds });
 * ```
 * @public
 */
export function gitsSeeds(costs: GitsCostMatrix, options: GitsSeedsOptions): readonly Schedule[] {
  const T = checkCosts(costs);
  const { speedup, segmentLength: L, count = 3 } = options;
  if (typeof speedup !== 'number' || !Number.isFinite(speedup) || speedup < 1 || speedup > T) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid speedup ${String(speedup)}: expected a finite number in 1..${T} (T, the steps of the cost matrix).`,
    );
  }
  if (!Number.isSafeInteger(L) || L < 1 || T % L !== 0) {
    throw new ScheduleError('invalid-option', `Invalid segmentLength ${String(L)}: expected a positive integer that divides ${T} (T).`);
  }
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ScheduleError('invalid-option', `Invalid count ${String(count)}: expected a positive integer.`);
  }
  // the 1e-9 keeps k = T / speedup when the division lands just below an integer (50 / (50 / 7))
  const top = Math.floor(T / speedup + 1e-9);
  const seeds: Schedule[] = [];
  for (let k = top; k >= 1 && seeds.length < count; k--) seeds.push(scheduleFromSteps(scheduleSteps(gitsSchedule(costs, k)), L));
  return Object.freeze(seeds);
}
