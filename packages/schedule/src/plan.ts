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
 * How the T base timesteps are spread over the training timesteps (diffusers' `timestep_spacing`;
 * the names are those of Table 2 of Lin et al. 2023, "Common Diffusion Noise Schedules and Sample
 * Steps are Flawed").
 *
 * - `'leading'` (default): ratio r = ⌊train / T⌋, timesteps `(T−1−i)·r + stepsOffset` (SD-1.x).
 * - `'trailing'`: `round(arange(train, 0, −train/T)) − 1`: starts at train − 1 (SD-2.x, zero SNR).
 * - `'linspace'`: `round(linspace(0, train − 1, T))`, reversed.
 *
 * @public
 */
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

/** The valid {@link TimestepSpacing} values. @public */
export const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = Object.freeze(['leading', 'trailing', 'linspace']);

/**
 * Which diffusers scheduler's `set_timesteps` (and update targets) a plan follows. The two differ
 * for `'leading'` and `'linspace'` spacing.
 *
 * - `'ddim'` (default): `DDIMScheduler`: T grid points; an update from t goes to t − ⌊train/T⌋
 *   (a negative target is the end of sampling). For `'linspace'` (and `'trailing'` when T does
 *   not divide train) that target is above the next timestep — the model is then evaluated at
 *   the next timestep on a sample that is not there, exactly as diffusers does.
 * - `'dpm-solver'`: `DPMSolverMultistepScheduler`: T + 1 grid points with the last one dropped
 *   (leading: r = ⌊train / (T+1)⌋; linspace: `linspace(0, train − 1, T + 1)`); an update goes to
 *   the next timestep, the last one to the end.
 *
 * @public
 */
export type TimestepGrid = 'ddim' | 'dpm-solver';

/** The valid {@link TimestepGrid} values. @public */
export const TIMESTEP_GRIDS: readonly TimestepGrid[] = Object.freeze(['ddim', 'dpm-solver']);

/**
 * Options of {@link planSchedule} and {@link schedulerTimesteps}. The defaults are diffusers'
 * `DDIMScheduler` defaults (leading spacing, offset 0).
 *
 * @public
 */
export interface PlanOptions {
  /** Number of training timesteps of the model (default 1000). */
  readonly trainTimesteps?: number;
  /** What null steps do (default `'skip'`). */
  readonly nullMode?: NullMode;
  /** How the base timesteps are spread (diffusers' `timestep_spacing`, default `'leading'`). */
  readonly timestepSpacing?: TimestepSpacing;
  /**
   * Added to every timestep of `'leading'` spacing (diffusers' `steps_offset`, default 0; SD-1.x
   * uses 1). Like diffusers, the other spacings ignore it.
   */
  readonly stepsOffset?: number;
  /** Whose `set_timesteps` the plan follows (default `'ddim'`). */
  readonly grid?: TimestepGrid;
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
  /**
   * The timestep this update goes to (see {@link planSchedule}); −1 after the last update (the
   * end of sampling: where the sampler's final ᾱ applies).
   */
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
  /** The base timesteps of all T steps ({@link schedulerTimesteps} for the plan's settings). */
  readonly timesteps: readonly number[];
  /** The spacing the timesteps follow. */
  readonly timestepSpacing: TimestepSpacing;
  /** The offset added to leading timesteps. */
  readonly stepsOffset: number;
  /** Whose `set_timesteps` the plan follows. */
  readonly grid: TimestepGrid;
}

function invalid(message: string): ScheduleError {
  return new ScheduleError('invalid-option', message);
}

function listOf(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}

/** numpy's `round` (and `ndarray.round`): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** numpy's `linspace(start, stop, num)` (endpoint included), value for value. */
function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const y = Array.from({ length: num }, (_, i) => i * step + start);
  y[num - 1] = stop;
  return y;
}

/**
 * numpy's `arange(start, stop, step)` for floats, value for value: numpy fills `start + i·d` with
 * d = (start + step) − start, and takes ⌈(stop − start) / step⌉ values.
 */
function arange(start: number, stop: number, step: number): number[] {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const d = start + step - start;
  return Array.from({ length: n }, (_, i) => (i === 0 ? start : i === 1 ? start + step : start + i * d));
}

/**
 * The T base timesteps of a diffusers scheduler's `set_timesteps(T)`, integer for integer
 * (numpy's float arithmetic and half-to-even rounding reproduced).
 *
 * - grid `'ddim'` (`DDIMScheduler`): leading `arange(0, T)·⌊train/T⌋ + stepsOffset`, trailing
 *   `round(arange(train, 0, −train/T)) − 1`, linspace `round(linspace(0, train − 1, T))`, each
 *   reversed to decreasing order.
 * - grid `'dpm-solver'` (`DPMSolverMultistepScheduler`, with its default `lambda_min_clipped`):
 *   leading `arange(0, T + 1)·⌊train/(T+1)⌋ + stepsOffset` and linspace
 *   `round(linspace(0, train − 1, T + 1))`, reversed, the last (smallest) dropped; trailing as DDIM.
 *
 * @param steps - T, an integer in 1..trainTimesteps.
 * @param options - `trainTimesteps` (default 1000), `timestepSpacing` (default `'leading'`),
 *   `stepsOffset` (default 0), `grid` (default `'ddim'`).
 * @returns A frozen, strictly decreasing array of T timesteps in 0..trainTimesteps−1.
 * @throws {@link ScheduleError} `invalid-option` for a bad setting, or when the settings give no
 *   valid T timesteps — diffusers' own `set_timesteps` then gives repeated or out-of-range
 *   timesteps, or, for `'trailing'` and some T (61, 103, … of 1000), T + 1 of them.
 * @example
 * ```ts
 * schedulerTimesteps(10, { stepsOffset: 1 }); // SD-1.5: [901, 801, …, 101, 1]
 * schedulerTimesteps(4, { timestepSpacing: 'trailing' }); // [999, 749, 499, 249]
 * ```
 * @public
 */
export function schedulerTimesteps(steps: number, options: Omit<PlanOptions, 'nullMode'> = {}): readonly number[] {
  const train = options.trainTimesteps ?? 1000;
  const spacing = options.timestepSpacing ?? 'leading';
  const offset = options.stepsOffset ?? 0;
  const grid = options.grid ?? 'ddim';
  if (!Number.isSafeInteger(train) || train < 1) {
    throw invalid(`Invalid trainTimesteps ${String(train)}: expected a positive integer (e.g. 1000).`);
  }
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > train) {
    throw invalid(`Invalid number of steps ${String(steps)}: expected an integer in 1..${train} (trainTimesteps).`);
  }
  if (!TIMESTEP_SPACINGS.includes(spacing)) {
    throw invalid(`Unknown timestepSpacing ${JSON.stringify(spacing)}: expected one of ${listOf(TIMESTEP_SPACINGS)}.`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw invalid(`Invalid stepsOffset ${String(offset)}: expected an integer >= 0 (SD-1.x: 1).`);
  }
  if (!TIMESTEP_GRIDS.includes(grid)) {
    throw invalid(`Unknown grid ${JSON.stringify(grid)}: expected one of ${listOf(TIMESTEP_GRIDS)}.`);
  }
  const points = grid === 'ddim' ? steps : steps + 1;
  let t: number[];
  if (spacing === 'leading') {
    const r = Math.floor(train / points);
    t = Array.from({ length: steps }, (_, i) => (points - 1 - i) * r + offset);
  } else if (spacing === 'linspace') {
    t = linspace(0, train - 1, points)
      .map(roundHalfEven)
      .reverse()
      .slice(0, steps);
  } else {
    t = arange(train, 0, -(train / steps)).map((v) => roundHalfEven(v) - 1);
  }
  const where = `timestepSpacing "${spacing}"${spacing === 'leading' ? `, stepsOffset ${offset}` : ''}, grid "${grid}", T = ${steps}, trainTimesteps ${train}`;
  if (t.length !== steps) {
    throw invalid(
      `No valid timesteps for ${where}: diffusers' set_timesteps gives ${t.length} timesteps, not ${steps} (np.arange rounding); choose another T.`,
    );
  }
  const bad = t.findIndex((v, i) => v < 0 || v > train - 1 || (i > 0 && v >= t[i - 1]!));
  if (bad >= 0) {
    throw invalid(
      `No valid timesteps for ${where}: timestep ${bad} would be ${t[bad]}, ` +
        `${t[bad]! < 0 || t[bad]! > train - 1 ? `outside 0..${train - 1}` : 'not below the one before it'}; use fewer steps or a smaller offset.`,
    );
  }
  return Object.freeze(t);
}

/**
 * The T base timesteps of diffusers' DDIM "leading" spacing with `steps_offset` 0:
 * ratio r = ⌊trainTimesteps / T⌋, timesteps `(T−1−i)·r` for i = 0..T−1.
 *
 * @param steps - T, an integer in 1..trainTimesteps.
 * @param trainTimesteps - Training timesteps (default 1000).
 * @returns A frozen, strictly decreasing array of T timesteps ending at 0.
 * @throws {@link ScheduleError} `invalid-option` for a bad T or trainTimesteps.
 * @see {@link schedulerTimesteps} for the other spacings, offsets and grids.
 * @public
 */
export function leadingTimesteps(steps: number, trainTimesteps = 1000): readonly number[] {
  return schedulerTimesteps(steps, { trainTimesteps });
}

/**
 * Turn a schedule into its execution plan: which timestep each update uses, where it goes, and
 * which cache or noise prediction it reads.
 *
 * An update goes to where the base T-step loop (all steps full) stands just before the next
 * update's step: with grid `'ddim'`, `t_{j−1} − ⌊train/T⌋` for the next kept step j (diffusers'
 * `prev_timestep`); with `'dpm-solver'`, `t_j`. For leading spacing (and trailing when T divides
 * train) both are `t_j`: a skipped null step makes the sampler jump from one evaluated timestep
 * straight to the next. After the last update the target is −1 (the end of sampling) unless
 * diffusers' own target is still a timestep ≥ 0 (e.g. trailing with T = 15: 66 − 66 = 0).
 *
 * @param schedule - A schedule (object or text).
 * @param options - `trainTimesteps` (default 1000), `nullMode` (default `'skip'`),
 *   `timestepSpacing`, `stepsOffset`, `grid` (see {@link schedulerTimesteps}).
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
    throw invalid(`Unknown nullMode ${JSON.stringify(nullMode)}: expected one of ${listOf(NULL_MODES)}.`);
  }
  const steps = scheduleSteps(s);
  const T = steps.length;
  const timesteps = schedulerTimesteps(T, options);
  const grid = options.grid ?? 'ddim';
  const ratio = Math.floor(trainTimesteps / T);
  /** Where the base loop stands after the update of step m. */
  const target = (m: number): number => {
    const next = grid === 'ddim' ? timesteps[m]! - ratio : (timesteps[m + 1] ?? -1);
    return next < 0 ? -1 : next;
  };
  const kept: number[] = [];
  steps.forEach((st, i) => {
    if (st.kind !== 'null' || nullMode === 'reuse') kept.push(i);
  });
  let lastFull = -1;
  let lastEval = -1;
  const planned: PlannedStep[] = kept.map((i, k) => {
    const st = steps[i]!;
    const next = target((kept[k + 1] ?? T) - 1);
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
    totalSteps: T,
    trainTimesteps,
    nullMode,
    evaluations: planned.filter((p) => p.evaluate).length,
    timesteps,
    timestepSpacing: options.timestepSpacing ?? 'leading',
    stepsOffset: options.stepsOffset ?? 0,
    grid,
  });
}
