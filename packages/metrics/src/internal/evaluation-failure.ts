import type { EvaluationResult } from '@flexiffusion/schedule';
import { MetricsError } from '../errors.js';

/** A failed candidate's result: `{ ok: false, reason }`, frozen. @internal */
export function fail(reason: string): EvaluationResult {
  return Object.freeze({ ok: false as const, reason });
}

/** The message of a thrown value (an `Error`'s message, else its string form). @internal */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether a thrown value is an abort: a {@link MetricsError} `aborted` or any `AbortError`. @internal */
export function isAbort(e: unknown): boolean {
  return (
    (e instanceof MetricsError && e.code === 'aborted') ||
    (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError')
  );
}
