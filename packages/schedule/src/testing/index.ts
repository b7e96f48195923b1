/**
 * fast-check arbitraries for schedules and search spaces, so that users' property tests can reuse
 * ours, and a contract checker for custom searchers ({@link driveSearcher}). Import from
 * `@flexiffusion/schedule/testing` (the arbitraries need `fast-check` ≥ 4 installed).
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbSchedule } from '@flexiffusion/schedule/testing';
 * fc.assert(fc.property(arbSchedule({ branches: 3 }), (s) => parseSchedule(formatSchedule(s)) !== undefined));
 * ```
 * @packageDocumentation
 */
import fc from 'fast-check';
import { createSearchSpace, SPACE_FORMS, type SearchSpace, type SpaceForm } from '../space.js';
import { freezeSchedule, type Schedule } from '../schedule.js';
import { fullStep, nullStep, partialStep, type Step } from '../step.js';
import type { CostProfile } from '../cost.js';
import { createRng, type Rng } from '../rng.js';
export { driveSearcher, syntheticObjective } from './drive-searcher.js';
export type { DriveSearcherOptions, DriveSearcherResult } from './drive-searcher.js';

/**
 * Options of {@link arbSchedule}.
 *
 * @public
 */
export interface ArbScheduleOptions {
  /** Number of cache branches (default 3). */
  readonly branches?: number;
  /** Maximum segment length (default 6). */
  readonly maxSegmentLength?: number;
  /** Maximum number of segments (default 6). */
  readonly maxSegments?: number;
}

/**
 * An arbitrary step with branches below `branches`.
 *
 * @param branches - Number of cache branches (0 = no partial steps).
 * @returns The arbitrary.
 * @public
 */
export function arbStep(branches = 3): fc.Arbitrary<Step> {
  const options: fc.Arbitrary<Step>[] = [fc.constant(fullStep()), fc.constant(nullStep())];
  if (branches > 0) options.push(fc.integer({ min: 0, max: branches - 1 }).map((b) => partialStep(b)));
  return fc.oneof(...options);
}

/**
 * An arbitrary valid schedule: equal segments, first step full, any steps after.
 *
 * @param options - Branch count and size limits.
 * @returns The arbitrary.
 * @public
 */
export function arbSchedule(options: ArbScheduleOptions = {}): fc.Arbitrary<Schedule> {
  const B = options.branches ?? 3;
  const maxL = options.maxSegmentLength ?? 6;
  const maxN = options.maxSegments ?? 6;
  return fc
    .record({ L: fc.integer({ min: 1, max: maxL }), n: fc.integer({ min: 1, max: maxN }) })
    .chain(({ L, n }) =>
      fc.array(arbStep(B), { minLength: L * n - 1, maxLength: L * n - 1 }).map((rest) => ({ L, steps: [fullStep() as Step, ...rest] })),
    )
    .map(({ L, steps }) => {
      const segs: Step[][] = [];
      for (let i = 0; i < steps.length; i += L) segs.push(steps.slice(i, i + L));
      return freezeSchedule(segs);
    });
}

/**
 * Options of {@link arbSearchSpace}.
 *
 * @public
 */
export interface ArbSearchSpaceOptions {
  /** Largest T (default 24). */
  readonly maxSteps?: number;
  /** Largest B (default 3). */
  readonly maxBranches?: number;
  /** Forms to draw from (default all of {@link SPACE_FORMS}). */
  readonly forms?: readonly SpaceForm[];
  /** Largest segment length (default 6, keeps free-form spaces indexable). */
  readonly maxSegmentLength?: number;
}

/**
 * An arbitrary search space: T, a non-empty set of its divisors as segment lengths (one in the
 * `'open'` form), B and a form.
 *
 * @param options - Size limits.
 * @returns The arbitrary.
 * @public
 */
export function arbSearchSpace(options: ArbSearchSpaceOptions = {}): fc.Arbitrary<SearchSpace> {
  const maxT = options.maxSteps ?? 24;
  const maxB = options.maxBranches ?? 3;
  const maxL = options.maxSegmentLength ?? 6;
  const forms = options.forms ?? SPACE_FORMS;
  return fc
    .record({ T: fc.integer({ min: 1, max: maxT }), B: fc.integer({ min: 0, max: maxB }), form: fc.constantFrom(...forms) })
    .chain(({ T, B, form }) => {
      const divisors: number[] = [];
      for (let d = 1; d <= Math.min(T, maxL); d++) if (T % d === 0) divisors.push(d);
      return (
        fc
          // an open space takes exactly one segment length
          .subarray(divisors, { minLength: 1, ...(form === 'open' ? { maxLength: 1 } : {}) })
          .map((segmentLengths) => createSearchSpace({ steps: T, segmentLengths, branches: B, form }))
      );
    });
}

/**
 * An arbitrary cost profile whose partial costs grow with the branch and stay ≤ the full cost.
 *
 * @param branches - Number of branches.
 * @returns The arbitrary.
 * @public
 */
export function arbCostProfile(branches = 3): fc.Arbitrary<CostProfile> {
  return fc
    .record({
      full: fc.integer({ min: 1_000, max: 1_000_000_000 }),
      fractions: fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: branches, maxLength: branches }),
    })
    .map(({ full, fractions }) => ({
      fullMacs: full,
      partialMacs: [...fractions].sort((a, b) => a - b).map((f) => Math.max(1, Math.floor(f * full))),
    }));
}

/**
 * An arbitrary seeded {@link Rng}.
 *
 * @returns The arbitrary.
 * @public
 */
export function arbRng(): fc.Arbitrary<Rng> {
  return fc.integer().map((seed) => createRng(seed));
}
