import type { Schedule } from '@flexiffusion/schedule';
import { MetricsError } from '../errors.js';
import { describe } from './validate.js';

/**
 * Canonical text of a schedule (same notation as `formatSchedule` of `@flexiffusion/schedule`); part of the cache keys.
 *
 * @throws {@link MetricsError} `invalid-option` for anything but a Schedule of full, partial and null steps.
 * @internal
 */
export function scheduleText(s: unknown, what: string): string {
  const segs = (s as Schedule | undefined)?.segments;
  if (!Array.isArray(segs) || segs.length === 0) {
    throw new MetricsError('invalid-option', `Invalid ${what} ${describe(s)}: expected a Schedule { segments }.`);
  }
  return segs
    .map((seg: readonly unknown[], i: number) => {
      if (!Array.isArray(seg)) {
        throw new MetricsError('invalid-option', `Invalid ${what}: segment ${i} is ${describe(seg)}, expected an array of steps.`);
      }
      return seg
        .map((st) => {
          const k = (st as { kind?: unknown })?.kind;
          if (k === 'full') return 'F';
          if (k === 'null') return 'N';
          const b = (st as { branch?: unknown }).branch;
          if (k === 'partial' && typeof b === 'number' && Number.isSafeInteger(b) && b >= 0) return `P${b}`;
          throw new MetricsError(
            'invalid-option',
            `Invalid ${what}: step ${describe(st)} in segment ${i} is not a full, partial or null step.`,
          );
        })
        .join(' ');
    })
    .join(' | ');
}
