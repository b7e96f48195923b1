/**
 * Codes of {@link ScheduleError}. Each names one way a schedule, a plan request, a cost profile,
 * a search space or a search can be wrong.
 *
 * @public
 */
export type ScheduleErrorCode =
  | 'empty'
  | 'unknown-token'
  | 'empty-segment'
  | 'unequal-segments'
  | 'must-start-with-full'
  | 'partial-before-full'
  | 'branch-out-of-range'
  | 'invalid-step'
  | 'invalid-schedule'
  | 'invalid-option'
  | 'invalid-cost-profile'
  | 'not-in-space'
  | 'resume-mismatch'
  | 'aborted';

/**
 * Where in a schedule an {@link ScheduleIssue} was found.
 *
 * @public
 */
export interface SchedulePosition {
  /** Zero-based index of the segment. */
  readonly segment: number;
  /** Zero-based index of the step within its segment. */
  readonly step?: number;
  /** Zero-based index of the step within the whole schedule (0..T-1). */
  readonly index?: number;
  /** Zero-based character offset in the source text, when the schedule was parsed from text. */
  readonly offset?: number;
}

/**
 * One problem found by {@link validateSchedule} or {@link parseSchedule}.
 *
 * @public
 */
export interface ScheduleIssue {
  /** Machine-readable kind of problem. */
  readonly code: ScheduleErrorCode;
  /** Human-readable message naming the bad value and what was expected. */
  readonly message: string;
  /** Where the problem is, when it has a position. */
  readonly position?: SchedulePosition;
}

/**
 * The one error class of `@flexiffusion/schedule`. Every function of the package throws only this
 * (or a subclass); `code` says what went wrong, `issues` lists every problem found when there were
 * several, and `cause` carries an underlying error where there was one.
 *
 * @example
 * ```ts
 * try {
 *   parseSchedule('F X');
 * } catch (e) {
 *   if (e instanceof ScheduleError) console.log(e.code, e.issues[0]?.position); // 'unknown-token' { segment: 0, step: 1, ... }
 * }
 * ```
 *
 * @public
 */
export class ScheduleError extends Error {
  /** Machine-readable kind of the (first) problem. */
  readonly code: ScheduleErrorCode;
  /** Every problem found; at least one. */
  readonly issues: readonly ScheduleIssue[];

  /**
   * @param code - The kind of problem.
   * @param message - A message naming the bad value and the valid ones.
   * @param options - `issues` (defaults to one issue built from code and message) and `cause`.
   */
  constructor(
    code: ScheduleErrorCode,
    message: string,
    options: { issues?: readonly ScheduleIssue[]; cause?: unknown; position?: SchedulePosition } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScheduleError';
    this.code = code;
    this.issues = Object.freeze(
      options.issues && options.issues.length > 0
        ? [...options.issues]
        : [Object.freeze(options.position ? { code, message, position: options.position } : { code, message })],
    );
  }
}
