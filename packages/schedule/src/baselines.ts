import { ScheduleError } from './errors.js';
import { createSchedule, type Schedule } from './schedule.js';
import { fullStep, nullStep, partialStep, type Step } from './step.js';

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new ScheduleError('invalid-option', `Invalid ${name} ${String(v)}: expected an integer in ${min}..${max}.`);
  }
}

/**
 * Plain DDIM with k steps on a T-step base schedule: k evenly spaced full steps (positions
 * ⌊i·T/k⌋, so the first step is full), every other step null. With nullMode `'skip'` this is DDIM
 * on the k-step sub-sequence of the T-step timesteps.
 *
 * The schedule is one segment of length T (the positions are not periodic in general).
 *
 * @param steps - T, an integer ≥ 1.
 * @param k - Number of full steps, in 1..T.
 * @returns The schedule.
 * @throws {@link ScheduleError} `invalid-option` for bad T or k.
 * @example
 * ```ts
 * formatSchedule(uniformSchedule(6, 3)); // 'F N F N F N'
 * ```
 * @public
 */
export function uniformSchedule(steps: number, k: number): Schedule {
  checkInt('steps (T)', steps, 1, Number.MAX_SAFE_INTEGER);
  checkInt('k', k, 1, steps);
  const out: Step[] = Array.from({ length: steps }, () => nullStep());
  for (let i = 0; i < k; i++) out[Math.floor((i * steps) / k)] = fullStep();
  if (k * Math.floor(steps / k) === steps) {
    // periodic: cut into k segments of length T/k for a compact notation
    const L = steps / k;
    const segs: Step[][] = [];
    for (let i = 0; i < steps; i += L) segs.push(out.slice(i, i + L));
    return createSchedule(segs);
  }
  return createSchedule([out]);
}

/**
 * DeepCache's uniform schedule: a full step every N steps and partial steps with branch b
 * between (segments of length N; the last one may be cut short when N does not divide T, in
 * which case the schedule is one segment of length T).
 *
 * @param steps - T, an integer ≥ 1.
 * @param interval - N, the cache interval, in 1..T.
 * @param branch - Cache branch b ≥ 0.
 * @returns The schedule.
 * @throws {@link ScheduleError} `invalid-option` for bad T, N or b.
 * @example
 * ```ts
 * formatSchedule(deepCacheSchedule(6, 3, 1)); // 'F P1 P1 | F P1 P1'
 * ```
 * @public
 */
export function deepCacheSchedule(steps: number, interval: number, branch: number): Schedule {
  checkInt('steps (T)', steps, 1, Number.MAX_SAFE_INTEGER);
  checkInt('interval (N)', interval, 1, steps);
  checkInt('branch (b)', branch, 0, Number.MAX_SAFE_INTEGER);
  const out: Step[] = Array.from({ length: steps }, (_, i) => (i % interval === 0 ? fullStep() : partialStep(branch)));
  if (steps % interval === 0) {
    const segs: Step[][] = [];
    for (let i = 0; i < steps; i += interval) segs.push(out.slice(i, i + interval));
    return createSchedule(segs);
  }
  return createSchedule([out]);
}

/**
 * The teacher: all T steps full.
 *
 * @param steps - T, an integer ≥ 1.
 * @returns A schedule of T full steps in segments of length 1.
 * @throws {@link ScheduleError} `invalid-option` for a bad T.
 * @public
 */
export function fullSchedule(steps: number): Schedule {
  checkInt('steps (T)', steps, 1, Number.MAX_SAFE_INTEGER);
  return createSchedule(Array.from({ length: steps }, () => [fullStep()]));
}
