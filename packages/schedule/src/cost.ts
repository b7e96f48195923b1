import { ScheduleError } from './errors.js';
import { toSchedule } from './notation.js';
import type { Schedule } from './schedule.js';

/**
 * Cost of each step kind of a model, in multiply-accumulates (MACs) per sample.
 * A null step costs 0.
 *
 * @public
 */
export interface CostProfile {
  /** MACs of one full step. */
  readonly fullMacs: number;
  /** MACs of one partial step for each cache branch b (index = b); each in (0, fullMacs]. */
  readonly partialMacs: readonly number[];
  /**
   * MACs per sample outside the denoising steps, the same for every schedule: e.g. a text encoder
   * and a VAE decoder. Counted in {@link ScheduleCost.macs} and on both sides of
   * {@link ScheduleCost.speedup}, so the speed-up is the whole pipeline's. Default 0: the speed-up
   * of the denoising loop alone.
   */
  readonly fixedMacs?: number;
}

/**
 * Cost of a schedule.
 *
 * @public
 */
export interface ScheduleCost {
  /** Total MACs per sample: the steps' plus the profile's `fixedMacs`. */
  readonly macs: number;
  /** MACs of the all-full schedule of the same T (plus `fixedMacs`) divided by `macs`. */
  readonly speedup: number;
  /** Number of full, partial and null steps. */
  readonly counts: {
    /** Full steps. */
    readonly full: number;
    /** Partial steps (all branches). */
    readonly partial: number;
    /** Null steps. */
    readonly null: number;
  };
}

/**
 * Check a cost profile.
 *
 * @param profile - The profile to check.
 * @returns The profile, frozen.
 * @throws {@link ScheduleError} `invalid-cost-profile` naming the bad value.
 * @public
 */
export function validateCostProfile(profile: CostProfile): CostProfile {
  if (typeof profile !== 'object' || profile === null) {
    throw new ScheduleError('invalid-cost-profile', `Expected a cost profile { fullMacs, partialMacs }, got ${String(profile)}.`);
  }
  const { fullMacs, partialMacs, fixedMacs } = profile;
  if (typeof fullMacs !== 'number' || !Number.isFinite(fullMacs) || fullMacs <= 0) {
    throw new ScheduleError('invalid-cost-profile', `Invalid fullMacs ${String(fullMacs)}: expected a finite number > 0.`);
  }
  if (!Array.isArray(partialMacs)) {
    throw new ScheduleError(
      'invalid-cost-profile',
      `Invalid partialMacs ${String(partialMacs)}: expected an array of numbers (one per cache branch).`,
    );
  }
  partialMacs.forEach((m, b) => {
    if (typeof m !== 'number' || !Number.isFinite(m) || m <= 0 || m > fullMacs) {
      throw new ScheduleError(
        'invalid-cost-profile',
        `Invalid partialMacs[${b}] = ${String(m)}: expected a number in (0, fullMacs = ${fullMacs}].`,
      );
    }
  });
  if (fixedMacs !== undefined && (typeof fixedMacs !== 'number' || !Number.isFinite(fixedMacs) || fixedMacs < 0)) {
    throw new ScheduleError(
      'invalid-cost-profile',
      `Invalid fixedMacs ${String(fixedMacs)}: expected a finite number >= 0 (or no fixedMacs).`,
    );
  }
  return Object.freeze({
    fullMacs,
    partialMacs: Object.freeze([...partialMacs]),
    ...(fixedMacs !== undefined ? { fixedMacs } : {}),
  });
}

/**
 * Total MACs of a schedule and its speed-up over the all-full schedule of the same length.
 *
 * @param schedule - A schedule (object or text).
 * @param profile - The model's {@link CostProfile}.
 * @returns A frozen {@link ScheduleCost}.
 * @throws {@link ScheduleError} for an invalid schedule or profile, or `branch-out-of-range`
 *   when a partial step's branch has no entry in `partialMacs`.
 * @example
 * ```ts
 * scheduleCost('F P0 N | F P0 N', { fullMacs: 100, partialMacs: [25] });
 * // { macs: 250, speedup: 2.4, counts: { full: 2, partial: 2, null: 2 } }
 * // the whole pipeline: 50 MACs per sample outside the steps
 * scheduleCost('F P0 N | F P0 N', { fullMacs: 100, partialMacs: [25], fixedMacs: 50 });
 * // { macs: 300, speedup: 650 / 300, counts: … }
 * ```
 * @public
 */
export function scheduleCost(schedule: Schedule | string, profile: CostProfile): ScheduleCost {
  const p = validateCostProfile(profile);
  const s = toSchedule(schedule, { branches: p.partialMacs.length });
  const fixed = p.fixedMacs ?? 0;
  let macs = fixed;
  let full = 0;
  let partial = 0;
  let nulls = 0;
  let t = 0;
  for (const seg of s.segments) {
    for (const st of seg) {
      t++;
      if (st.kind === 'full') {
        macs += p.fullMacs;
        full++;
      } else if (st.kind === 'partial') {
        macs += p.partialMacs[st.branch]!;
        partial++;
      } else nulls++;
    }
  }
  return Object.freeze({
    macs,
    speedup: (t * p.fullMacs + fixed) / macs,
    counts: Object.freeze({ full, partial, null: nulls }),
  });
}
