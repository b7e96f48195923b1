import { ScheduleError, deepCacheSchedule, formatSchedule, fullSchedule, uniformSchedule, type Schedule } from '@flexiffusion/schedule';
import type { LabelledSchedule } from './list.js';

/**
 * Family of a {@link BaselineSchedule}.
 *
 * - `'teacher'`: all T steps full.
 * - `'ddim'`: DDIM with k steps (`uniformSchedule(T, k)`): k evenly spaced full steps, nulls between.
 * - `'deepcache'`: DeepCache's uniform 1:N schedule (`deepCacheSchedule(T, N, b)`): a full
 *   step every N steps, partial steps at branch b between.
 *
 * @public
 */
export type BaselineFamily = 'teacher' | 'ddim' | 'deepcache';

/**
 * One classic baseline schedule with its label and parameters.
 *
 * @public
 */
export interface BaselineSchedule extends LabelledSchedule {
  /** `'DDIM-50'` (teacher), `'DDIM-25'`, `'DeepCache-N3-b0'`, … */
  readonly label: string;
  /** Which family. */
  readonly family: BaselineFamily;
  /** The parameters: `k` for DDIM and the teacher (k = T), `interval` and `branch` for DeepCache. */
  readonly params: BaselineParams;
}

/**
 * Parameters of a {@link BaselineSchedule}.
 *
 * @public
 */
export interface BaselineParams {
  /** DDIM and teacher: the number of (full) steps k. */
  readonly k?: number;
  /** DeepCache: the cache interval N (a full step every N steps). */
  readonly interval?: number;
  /** DeepCache: the cache branch b of the partial steps. */
  readonly branch?: number;
}

/**
 * Options of {@link baselineGrid}.
 *
 * @public
 */
export interface BaselineGridOptions {
  /** B, the model's cache branches: DeepCache schedules are made for every branch 0..B−1 (0 = none). */
  readonly branches: number;
  /**
   * The step counts k of the DDIM baselines, each in 1..T. Default: T/r rounded to the nearest
   * integer (halves down) for r = 2, 3, 4, 5 — 25, 17, 12, 10 for T = 50 — without repeats.
   */
  readonly ddimSteps?: readonly number[];
  /** The DeepCache cache intervals N, each in 1..T (default 2, 3, 5, those ≤ T). */
  readonly intervals?: readonly number[];
  /** Include the teacher (all steps full) first (default false). */
  readonly teacher?: boolean;
}

/**
 * The default DDIM step counts for T steps: T/r rounded to the nearest integer, halves down,
 * for r = 2, 3, 4, 5, without repeats.
 *
 * @param steps - T.
 * @returns The step counts, descending.
 * @internal
 */
export function defaultDdimSteps(steps: number): number[] {
  const ks = [2, 3, 4, 5].map((r) => Math.max(1, Math.ceil(steps / r - 0.5)));
  return [...new Set(ks)];
}

function checkList(name: string, v: unknown, T: number): readonly number[] {
  if (!Array.isArray(v) || v.some((k) => !Number.isSafeInteger(k) || k < 1 || k > T)) {
    throw new ScheduleError('invalid-option', `Invalid ${name} ${JSON.stringify(v)}: expected an array of integers in 1..${T}.`);
  }
  return v as readonly number[];
}

/**
 * The classic baselines for a T-step teacher as a named grid: DDIM-k for each k, and DeepCache's
 * uniform schedule for each interval N × each cache branch b, in that order (teacher first when
 * asked), without repeated schedules (the first label wins: DeepCache N = 1 is the teacher).
 *
 * These schedules are generally not members of a `'paper'` search space (DDIM-17 or DeepCache
 * N = 3 on T = 50 are one segment of length 50): evaluate them with {@link listSearcher} over
 * {@link listSpace}`(baselines)`, or call the evaluator on them directly.
 *
 * @param steps - T, an integer ≥ 1.
 * @param options - Branches, DDIM step counts, DeepCache intervals, teacher; see {@link BaselineGridOptions}.
 * @returns The labelled baselines, frozen.
 * @throws ScheduleError `invalid-option` for a bad T, branch count, step count or interval, naming it and the valid range.
 * @example
 * ```ts
 * baselineGrid(50, { branches: 3 }).map((b) => b.label);
 * // ['DDIM-25', 'DDIM-17', 'DDIM-12', 'DDIM-10',
 * //  'DeepCache-N2-b0', 'DeepCache-N2-b1', 'DeepCache-N2-b2', 'DeepCache-N3-b0', …, 'DeepCache-N5-b2']
 * ```
 * @public
 */
export function baselineGrid(steps: number, options: BaselineGridOptions): readonly BaselineSchedule[] {
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new ScheduleError('invalid-option', `Invalid steps ${String(steps)}: expected an integer >= 1 (T).`);
  }
  const B = options?.branches;
  if (!Number.isSafeInteger(B) || B < 0) {
    throw new ScheduleError('invalid-option', `Invalid branches ${String(B)}: expected an integer >= 0.`);
  }
  const ks = options.ddimSteps === undefined ? defaultDdimSteps(steps) : checkList('ddimSteps', options.ddimSteps, steps);
  const intervals =
    options.intervals === undefined ? [2, 3, 5].filter((n) => n <= steps) : checkList('intervals', options.intervals, steps);
  const out: BaselineSchedule[] = [];
  const seen = new Set<string>();
  const add = (label: string, family: BaselineFamily, params: BaselineSchedule['params'], schedule: Schedule): void => {
    const key = formatSchedule(schedule);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(Object.freeze({ label, family, params: Object.freeze(params), schedule }));
  };
  if (options.teacher) add(`DDIM-${steps}`, 'teacher', { k: steps }, fullSchedule(steps));
  for (const k of ks) add(`DDIM-${k}`, k === steps ? 'teacher' : 'ddim', { k }, uniformSchedule(steps, k));
  for (const N of intervals) {
    for (let b = 0; b < B; b++) add(`DeepCache-N${N}-b${b}`, 'deepcache', { interval: N, branch: b }, deepCacheSchedule(steps, N, b));
  }
  return Object.freeze(out);
}
