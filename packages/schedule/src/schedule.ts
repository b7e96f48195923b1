import { ScheduleError, type ScheduleIssue } from './errors.js';
import { fullStep, nullStep, partialStep, type Step } from './step.js';

/**
 * A generation schedule: T denoising steps cut into segments of equal length L.
 * Plain frozen data; build one with {@link createSchedule} or {@link parseSchedule}.
 *
 * @public
 */
export interface Schedule {
  /** The segments, in order; each is a non-empty list of steps and all have the same length. */
  readonly segments: readonly (readonly Step[])[];
}

/**
 * Options shared by validation functions.
 *
 * @public
 */
export interface ValidateOptions {
  /**
   * Number of cache branches the target model offers. When given, a partial step with a branch
   * ≥ `branches` is an error (`branch-out-of-range`).
   */
  readonly branches?: number;
}

/**
 * Check the structure of a schedule object and return every problem found.
 *
 * @internal
 */
export function scheduleIssues(value: unknown, options: ValidateOptions = {}): ScheduleIssue[] {
  const issues: ScheduleIssue[] = [];
  if (typeof value !== 'object' || value === null || !Array.isArray((value as Schedule).segments)) {
    return [
      {
        code: 'invalid-schedule',
        message: `Expected a schedule object { segments: Step[][] } or schedule text, got ${describe(value)}.`,
      },
    ];
  }
  const segments = (value as Schedule).segments;
  if (segments.length === 0) {
    return [{ code: 'empty', message: 'The schedule has no segments: expected at least one step.' }];
  }
  const branches = options.branches;
  if (branches !== undefined && (!Number.isSafeInteger(branches) || branches < 0)) {
    return [
      {
        code: 'invalid-option',
        message: `Invalid branches option ${String(branches)}: expected an integer >= 0.`,
      },
    ];
  }
  const firstLen = Array.isArray(segments[0]) ? segments[0].length : 0;
  let index = 0;
  let seenFull = false;
  segments.forEach((seg, s) => {
    if (!Array.isArray(seg)) {
      issues.push({
        code: 'invalid-schedule',
        message: `Segment ${s} is ${describe(seg)}: expected an array of steps.`,
        position: { segment: s },
      });
      return;
    }
    if (seg.length === 0) {
      issues.push({
        code: 'empty-segment',
        message: `Segment ${s} is empty: every segment needs at least one step.`,
        position: { segment: s },
      });
    } else if (seg.length !== firstLen) {
      issues.push({
        code: 'unequal-segments',
        message: `Segment ${s} has ${seg.length} steps but segment 0 has ${firstLen}: all segments must have the same length.`,
        position: { segment: s },
      });
    }
    seg.forEach((step: unknown, i) => {
      const position = { segment: s, step: i, index };
      const st = step as Step;
      const kind = typeof step === 'object' && step !== null ? st.kind : undefined;
      if (kind === 'full') {
        seenFull = true;
      } else if (kind === 'partial') {
        const b = (st as { branch?: unknown }).branch;
        if (typeof b !== 'number' || !Number.isSafeInteger(b) || b < 0) {
          issues.push({
            code: 'invalid-step',
            message: `Step ${index} (segment ${s}, step ${i}) is a partial step with branch ${String(b)}: expected an integer >= 0.`,
            position,
          });
        } else if (branches !== undefined && b >= branches) {
          issues.push({
            code: 'branch-out-of-range',
            message:
              `Step ${index} (segment ${s}, step ${i}) uses cache branch ${b}, ` +
              `but the model has ${branches} branch${branches === 1 ? '' : 'es'} ` +
              `(valid: ${branches === 0 ? 'none' : `0..${branches - 1}`}).`,
            position,
          });
        }
        if (!seenFull) {
          issues.push({
            code: 'partial-before-full',
            message: `Step ${index} (segment ${s}, step ${i}) is a partial step with no earlier full step to read its cache from.`,
            position,
          });
        }
      } else if (kind !== 'null') {
        issues.push({
          code: 'invalid-step',
          message: `Step ${index} (segment ${s}, step ${i}) is ${describe(step)}: expected { kind: 'full' | 'partial' | 'null' }.`,
          position,
        });
      }
      if (index === 0 && kind !== 'full' && kind !== 'partial') {
        issues.push({
          code: 'must-start-with-full',
          message: `The schedule starts with ${kind === 'null' ? 'a null step' : describe(step)}: the first step must be a full step (F).`,
          position,
        });
      }
      index++;
    });
  });
  return issues;
}

/**
 * Build a schedule from segments of steps, validating it.
 *
 * @param segments - The segments; each a non-empty array of steps, all of the same length.
 * @param options - Optional model limits (number of cache branches).
 * @returns A deeply frozen {@link Schedule} with canonical step objects.
 * @throws {@link ScheduleError} with every problem in `issues` when the schedule is invalid.
 * @example
 * ```ts
 * const s = createSchedule([[fullStep(), partialStep(1), nullStep()], [fullStep(), nullStep(), nullStep()]]);
 * formatSchedule(s); // 'F P1 N | F N N'
 * ```
 * @public
 */
export function createSchedule(segments: readonly (readonly Step[])[], options: ValidateOptions = {}): Schedule {
  const value = { segments };
  const issues = scheduleIssues(value, options);
  if (issues.length > 0) {
    throw new ScheduleError(issues[0]!.code, issues.map((i) => i.message).join(' '), { issues });
  }
  return freezeSchedule(segments);
}

/** @internal Canonicalise and freeze already-valid segments. */
export function freezeSchedule(segments: readonly (readonly Step[])[]): Schedule {
  return Object.freeze({
    segments: Object.freeze(
      segments.map((seg) =>
        Object.freeze(seg.map((st) => (st.kind === 'full' ? fullStep() : st.kind === 'null' ? nullStep() : partialStep(st.branch)))),
      ),
    ),
  });
}

/**
 * All steps of a schedule in order (length T).
 *
 * @param schedule - A valid schedule.
 * @returns A frozen array of the T steps.
 * @public
 */
export function scheduleSteps(schedule: Schedule): readonly Step[] {
  return Object.freeze(schedule.segments.flat());
}

/**
 * Number of steps T of a schedule.
 *
 * @param schedule - A valid schedule.
 * @returns T.
 * @public
 */
export function scheduleLength(schedule: Schedule): number {
  let n = 0;
  for (const seg of schedule.segments) n += seg.length;
  return n;
}

/**
 * Segment length L of a schedule.
 *
 * @param schedule - A valid schedule.
 * @returns L (the length of every segment).
 * @public
 */
export function segmentLength(schedule: Schedule): number {
  return schedule.segments[0]?.length ?? 0;
}

/**
 * Re-cut a schedule's steps into segments of length `length`.
 *
 * @param steps - The steps in order.
 * @param length - Segment length L; must divide the number of steps.
 * @returns A valid frozen schedule.
 * @throws {@link ScheduleError} `invalid-option` when L does not divide T, or any validation error.
 * @public
 */
export function scheduleFromSteps(steps: readonly Step[], length: number = steps.length): Schedule {
  if (!Number.isSafeInteger(length) || length < 1 || steps.length % length !== 0) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid segment length ${String(length)} for ${steps.length} steps: expected a positive divisor of ${steps.length}.`,
    );
  }
  const segments: Step[][] = [];
  for (let i = 0; i < steps.length; i += length) segments.push(steps.slice(i, i + length));
  return createSchedule(segments);
}

/** @internal */
export function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}
