import { ScheduleError } from './errors.js';

/**
 * The three kinds of denoising step.
 *
 * - `full`: run the whole UNet and store the deep features of every cache branch.
 * - `partial`: run only the shallow part of the UNet down to a cache branch and reuse the deep
 *   feature cached by the latest full step (DeepCache).
 * - `null`: no network evaluation (see {@link NullMode} for what the sampler does).
 *
 * @public
 */
export type StepKind = 'full' | 'partial' | 'null';

/** A full step. @public */
export interface FullStep {
  /** Discriminant: `'full'`. */
  readonly kind: 'full';
}
/** A partial step reading cache branch `branch` (0 = shallowest = cheapest). @public */
export interface PartialStep {
  /** Discriminant: `'partial'`. */
  readonly kind: 'partial';
  /** The cache branch read, 0 (shallowest, cheapest) to B − 1. */
  readonly branch: number;
}
/** A null step. @public */
export interface NullStep {
  /** Discriminant: `'null'`. */
  readonly kind: 'null';
}

/**
 * One denoising step of a schedule.
 *
 * @public
 */
export type Step = FullStep | PartialStep | NullStep;

const FULL: FullStep = Object.freeze({ kind: 'full' });
const NULL: NullStep = Object.freeze({ kind: 'null' });
const PARTIALS: PartialStep[] = [];

/**
 * The full step (a shared frozen object).
 *
 * @returns `{ kind: 'full' }`
 * @public
 */
export function fullStep(): FullStep {
  return FULL;
}

/**
 * The null step (a shared frozen object).
 *
 * @returns `{ kind: 'null' }`
 * @public
 */
export function nullStep(): NullStep {
  return NULL;
}

/**
 * A partial step reading cache branch `branch`.
 *
 * @param branch - Cache branch index, an integer ≥ 0 (0 = shallowest).
 * @returns A frozen `{ kind: 'partial', branch }`.
 * @throws {@link ScheduleError} `invalid-step` when `branch` is not a non-negative safe integer.
 * @public
 */
export function partialStep(branch: number): PartialStep {
  if (!Number.isSafeInteger(branch) || branch < 0) {
    throw new ScheduleError('invalid-step', `Invalid partial-step branch ${String(branch)}: expected an integer >= 0.`);
  }
  let s = PARTIALS[branch];
  if (s === undefined) {
    s = Object.freeze({ kind: 'partial', branch });
    if (branch < 64) PARTIALS[branch] = s;
  }
  return s;
}

/**
 * The text token of a step: `F`, `P<b>` or `N`.
 *
 * @param step - The step.
 * @returns Its token in the schedule notation.
 * @public
 */
export function stepToken(step: Step): string {
  switch (step.kind) {
    case 'full':
      return 'F';
    case 'null':
      return 'N';
    case 'partial':
      return `P${step.branch}`;
  }
}
