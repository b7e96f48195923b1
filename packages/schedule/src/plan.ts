import { ScheduleError } from './errors.js';
import { toSchedule } from './notation.js';
import { scheduleSteps, type Schedule } from './schedule.js';
import type { StepKind } from './step.js';

/**
 * What a sampler does at a null step.
 *
 * - `'skip'` (default): the step is not evaluated and not updated; the sampler jumps from the
 *   previous evaluated timestep straight to the next one (DDIM on the sub-sequence).
 * - `'reuse'`: the noise prediction of the latest evaluated step is reused and the step's update
 *   is still taken.
 *
 * @public
 */
export type NullMode = 'skip' | 'reuse';

/** The valid {@link NullMode} values. @public */
export const NULL_MODES: readonly NullMode[] = Object.freeze(['skip', 'reuse']);

/**
 * Options of {@link planSchedule}.
 *
 * @public
 */
export interface PlanOptions {
  /** Number of training timesteps of the model (default 1000). */
  readonly trainTimesteps?: number;
  /** What null steps do (default `'skip'`). */
  readonly nullMode?: NullMode;
}

/**
 * One sampler update of a {@link Plan}.
 *
 * @public
 */
export interface PlannedStep {
  /** Position of the step in the schedule (0..T-1). */
  readonly index: number;
  /** The step's kind. `null` appears only with nullMode `'reuse'`. */
  readonly kind: StepKind;
  /** Cache branch of a partial step; `null` otherwise. */
  readonly branch: number | null;
  /** The timestep this update starts from. */
  readonly timestep: number;
  /** The timestep this update goes to; −1 after the last update (the final, clean sample). */
  readonly nextTimestep: number;
  /** Whether the network is evaluated at this step (false only for null steps in `'reuse'` mode). */
  readonly evaluate: boolean;
  /** For a partial step: schedule index of the full step whose cache it reads; otherwise `null`. */
  readonly cacheFrom: number | null;
  /** For a null step in `'reuse'` mode: schedule index of the step whose noise prediction is reused. */
  readonly reuseFrom: number | null;
}

/**
 * The execution plan of a schedule: the sampler updates in order.
 *
 * @public
 */
export interface Plan {
  /** The updates in order. */
  readonly steps: readonly PlannedStep[];
  /** Number of steps T of the schedule. */
  readonly totalSteps: number;
  /** Training timesteps of the model. */
  readonly trainTimesteps: number;
  /** The null mode the plan was made for. */
  readonly nullMode: NullMode;
  /** Number of network evaluations (full + partial steps). */
  readonly evaluations: number;
  /** The base timesteps of all T steps (diffusers DDIM "leading" spacing). */
  readonly timesteps: readonly number[];
}

/**
 * The T base timesteps of diffusers' DDIM "leading" spacing with `steps_offset` 0:
 * ratio r = ⌊trainTimesteps / T⌋, timesteps `(T−1−i)·r` for i = 0..T−1.
 *
 * @param steps - T, an integer in 1..trainTimesteps.
 * @param trainTimesteps - Training timesteps (default 1000).
 * @returns A frozen, strictly decreasing array of T timesteps ending at 0.
 * @throws {@link ScheduleError} `invalid-option` for a bad T or trainTimesteps.
 * @public
 */
export function leadingTimesteps(steps: number, trainTimesteps = 1000): readonly number[] {
  if (!Number.isSafeInteger(trainTimesteps) || trainTimesteps < 1) {
    throw new ScheduleError('invalid-option', `Invalid trainTimesteps ${String(trainTimesteps)}: expected a positive integer (e.g. 1000).`);
  }
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > trainTimesteps) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid number of steps ${String(steps)}: expected an integer in 1..${trainTimesteps} (trainTimesteps).`,
    );
  }
  const r = Math.floor(trainTimesteps / steps);
  return Object.freeze(Array.from({ length: steps }, (_, i) => (steps - 1 - i) * r));
}

/**
 * Turn a schedule into its execution plan: which timestep each update uses, where it goes, and
 * which cache or noise prediction it reads.
 *
 * @param schedule - A schedule (object or text).
 * @param options - `trainTimesteps` (default 1000) and `nullMode` (default `'skip'`).
 * @returns A frozen {@link Plan}.
 * @throws {@link ScheduleError} for an invalid schedule or options.
 * @example
 * ```ts
 * const plan = planSchedule('F P0 N | F N N', { trainTimesteps: 1000 });
 * plan.steps.map((s) => [s.kind, s.timestep, s.nextTimestep]);
 * // T = 6, r = 166, timesteps 830 664 498 332 166 0:
 * // [['full', 830, 664], ['partial', 664, 332], ['full', 332, -1]]
 * ```
 * @public
 */
export function planSchedule(schedule: Schedule | string, options: PlanOptions = {}): Plan {
  const s = toSchedule(schedule);
  const trainTimesteps = options.trainTimesteps ?? 1000;
  const nullMode = options.nullMode ?? 'skip';
  if (!NULL_MODES.includes(nullMode)) {
    throw new ScheduleError(
      'invalid-option',
      `Unknown nullMode ${JSON.stringify(nullMode)}: expected one of ${NULL_MODES.map((m) => `"${m}"`).join(', ')}.`,
    );
  }
  const steps = scheduleSteps(s);
  const timesteps = leadingTimesteps(steps.length, trainTimesteps);
  const kept: number[] = [];
  steps.forEach((st, i) => {
    if (st.kind !== 'null' || nullMode === 'reuse') kept.push(i);
  });
  let lastFull = -1;
  let lastEval = -1;
  const planned: PlannedStep[] = kept.map((i, k) => {
    const st = steps[i]!;
    const next = k + 1 < kept.length ? timesteps[kept[k + 1]!]! : -1;
    let cacheFrom: number | null = null;
    let reuseFrom: number | null = null;
    if (st.kind === 'full') lastFull = i;
    if (st.kind === 'partial') cacheFrom = lastFull;
    if (st.kind === 'null') reuseFrom = lastEval;
    else lastEval = i;
    return Object.freeze({
      index: i,
      kind: st.kind,
      branch: st.kind === 'partial' ? st.branch : null,
      timestep: timesteps[i]!,
      nextTimestep: next,
      evaluate: st.kind !== 'null',
      cacheFrom,
      reuseFrom,
    });
  });
  return Object.freeze({
    steps: Object.freeze(planned),
    totalSteps: steps.length,
    trainTimesteps,
    nullMode,
    evaluations: planned.filter((p) => p.evaluate).length,
    timesteps,
  });
}
