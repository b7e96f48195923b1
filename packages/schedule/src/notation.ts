import { ScheduleError, type ScheduleIssue } from './errors.js';
import { freezeSchedule, scheduleIssues, type Schedule, type ValidateOptions } from './schedule.js';
import { fullStep, nullStep, partialStep, stepToken, type Step } from './step.js';

/**
 * Result of {@link validateSchedule}.
 *
 * @public
 */
export type ValidationResult =
  | {
      /** The value is a valid schedule. */
      readonly ok: true;
      /** The schedule (parsed when the value was notation). */
      readonly value: Schedule;
    }
  | {
      /** The value is not a valid schedule. */
      readonly ok: false;
      /** Every problem found, each with its position. */
      readonly issues: readonly ScheduleIssue[];
    };

interface Token {
  readonly step: Step;
  readonly offset: number;
}

function tokenize(text: string): { segments: Token[][]; segmentOffsets: number[]; issues: ScheduleIssue[] } {
  const segments: Token[][] = [[]];
  const segmentOffsets = [0];
  const issues: ScheduleIssue[] = [];
  let i = 0;
  let index = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const seg = segments.length - 1;
    if (c === '|') {
      segments.push([]);
      segmentOffsets.push(i + 1);
      i++;
      continue;
    }
    const position = { segment: seg, step: segments[seg]!.length, index, offset: i };
    if (c === 'F') {
      segments[seg]!.push({ step: fullStep(), offset: i });
      i++;
    } else if (c === 'N') {
      segments[seg]!.push({ step: nullStep(), offset: i });
      i++;
    } else if (c === 'P') {
      let j = i + 1;
      while (j < text.length && text[j]! >= '0' && text[j]! <= '9') j++;
      const digits = text.slice(i + 1, j);
      if (digits.length === 0 || (digits.length > 1 && digits[0] === '0') || digits.length > 9) {
        const shown = text.slice(i, Math.max(j, i + 2));
        issues.push({
          code: 'unknown-token',
          message:
            `Unknown token ${JSON.stringify(shown)} at offset ${i} (segment ${seg}, step ${position.step}): ` +
            'a partial step is P followed by a branch index without leading zeros, e.g. P0 or P1.',
          position,
        });
        segments[seg]!.push({ step: partialStep(0), offset: i });
      } else {
        segments[seg]!.push({ step: partialStep(Number(digits)), offset: i });
      }
      i = j;
    } else {
      let j = i + 1;
      while (j < text.length && !' \t\n\r|'.includes(text[j]!)) j++;
      const word = text.slice(i, j);
      const hint = 'fpn'.includes(c) ? ' (tokens are upper-case)' : '';
      issues.push({
        code: 'unknown-token',
        message:
          `Unknown token ${JSON.stringify(word)} at offset ${i} (segment ${seg}, step ${position.step}): ` +
          `expected F, P<branch> or N${hint}.`,
        position,
      });
      segments[seg]!.push({ step: nullStep(), offset: i });
      i = j;
    }
    index++;
  }
  return { segments, segmentOffsets, issues };
}

function parseIssues(text: string, options: ValidateOptions): { issues: ScheduleIssue[]; schedule?: Schedule } {
  if (text.trim().length === 0) {
    return {
      issues: [{ code: 'empty', message: 'The schedule text is empty: expected steps such as "F P1 N | F P0 N".' }],
    };
  }
  const { segments, segmentOffsets, issues } = tokenize(text);
  if (issues.length > 0) return { issues };
  const structural = scheduleIssues({ segments: segments.map((s) => s.map((t) => t.step)) }, options);
  if (structural.length > 0) {
    // Attach text offsets to the structural issues.
    const withOffsets = structural.map((iss) => {
      const p = iss.position;
      if (!p) return iss;
      const offset = p.step !== undefined ? segments[p.segment]?.[p.step]?.offset : segmentOffsets[p.segment];
      return offset === undefined ? iss : { ...iss, message: `${iss.message} (at offset ${offset})`, position: { ...p, offset } };
    });
    return { issues: withOffsets };
  }
  return { issues: [], schedule: freezeSchedule(segments.map((s) => s.map((t) => t.step))) };
}

/**
 * Parse the schedule notation.
 *
 * Grammar (whitespace between tokens is optional and ignored):
 * ```
 * schedule := segment ( "|" segment )*
 * segment  := step+
 * step     := "F" | "N" | "P" branch
 * branch   := "0" | [1-9][0-9]*
 * ```
 * `F` is a full step, `P<b>` a partial step reading cache branch b, `N` a null step. All
 * segments must have the same length and the first step must be `F`.
 *
 * @param text - The schedule text, e.g. `"F P1 P1 N N | F P0 N N N"`.
 * @param options - Optional model limits (number of cache branches).
 * @returns The frozen {@link Schedule}.
 * @throws {@link ScheduleError} whose `issues` name each problem with its segment, step and text
 *   offset: `empty`, `unknown-token`, `empty-segment`, `unequal-segments`, `must-start-with-full`,
 *   `partial-before-full`, `branch-out-of-range`.
 * @example
 * ```ts
 * const s = parseSchedule('F P1 P1 N N | F P0 N N N');
 * scheduleLength(s); // 10
 * segmentLength(s);  // 5
 * ```
 * @public
 */
export function parseSchedule(text: string, options: ValidateOptions = {}): Schedule {
  if (typeof text !== 'string') {
    throw new ScheduleError('invalid-schedule', `Expected schedule text (a string), got ${typeof text}.`);
  }
  const { issues, schedule } = parseIssues(text, options);
  if (!schedule) {
    throw new ScheduleError(issues[0]!.code, `Invalid schedule ${JSON.stringify(text)}: ${issues.map((i) => i.message).join(' ')}`, {
      issues,
    });
  }
  return schedule;
}

/**
 * Format a schedule in the canonical notation: steps separated by one space, segments by ` | `.
 * `parseSchedule(formatSchedule(s))` deep-equals `s` for every valid schedule.
 *
 * @param schedule - A valid schedule.
 * @returns The canonical text, e.g. `"F P1 P1 N N | F P0 N N N"`.
 * @throws {@link ScheduleError} when `schedule` is not a valid schedule.
 * @public
 */
export function formatSchedule(schedule: Schedule): string {
  const issues = scheduleIssues(schedule);
  if (issues.length > 0) {
    throw new ScheduleError(issues[0]!.code, `Cannot format an invalid schedule: ${issues.map((i) => i.message).join(' ')}`, {
      issues,
    });
  }
  return schedule.segments.map((seg) => seg.map(stepToken).join(' ')).join(' | ');
}

/**
 * Validate a schedule given as text or as an object, without throwing.
 *
 * @param value - Schedule text or a {@link Schedule}-shaped object.
 * @param options - Optional model limits (number of cache branches).
 * @returns `{ ok: true, value }` with the frozen canonical schedule, or `{ ok: false, issues }`
 *   listing every problem with its position.
 * @example
 * ```ts
 * const r = validateSchedule('F P3 N', { branches: 3 });
 * if (!r.ok) console.log(r.issues[0].code); // 'branch-out-of-range'
 * ```
 * @public
 */
export function validateSchedule(value: unknown, options: ValidateOptions = {}): ValidationResult {
  if (typeof value === 'string') {
    const { issues, schedule } = parseIssues(value, options);
    return schedule ? Object.freeze({ ok: true, value: schedule }) : Object.freeze({ ok: false, issues: Object.freeze(issues) });
  }
  const issues = scheduleIssues(value, options);
  if (issues.length > 0) return Object.freeze({ ok: false, issues: Object.freeze(issues) });
  return Object.freeze({ ok: true, value: freezeSchedule((value as Schedule).segments) });
}

/**
 * Accept a schedule as text or object and return the canonical frozen schedule.
 *
 * @param value - Schedule text or object.
 * @param options - Optional model limits.
 * @returns The schedule.
 * @throws {@link ScheduleError} when invalid.
 * @public
 */
export function toSchedule(value: string | Schedule, options: ValidateOptions = {}): Schedule {
  if (typeof value === 'string') return parseSchedule(value, options);
  const r = validateSchedule(value, options);
  if (!r.ok) throw new ScheduleError(r.issues[0]!.code, r.issues.map((i) => i.message).join(' '), { issues: r.issues });
  return r.value;
}
