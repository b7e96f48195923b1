/**
 * Codes of {@link QueueError}. Each names one way a connection, an option, a job or a worker can
 * be wrong.
 *
 * - `invalid-option`: an option of {@link createQueueEvaluator} or {@link createQueueWorker} out of
 *   its valid range.
 * - `invalid-url`: a Redis URL that is not `redis://…` or `rediss://…` (the message shows it with
 *   the password redacted).
 * - `redis-unreachable`: Redis could not be reached (at start, or lost for longer than the retry
 *   window); the message names the URL, password redacted, and how long it was tried.
 * - `invalid-job`: a job's payload failed validation (the worker fails the job with the reason and
 *   never retries it).
 * - `refused`: a worker refused a job: it holds a different model (content hash) than the job
 *   names. The driver stops: the fleet, not the candidate, is wrong.
 * - `invalid-result`: a finished job's stored result is missing or malformed.
 * - `teacher-failed`: the teacher's job failed, so no candidate can be scored.
 * - `aborted`: the operation was cancelled through an `AbortSignal`.
 * - `closed`: the evaluator or worker was used after `close()`.
 *
 * @public
 */
export type QueueErrorCode =
  | 'invalid-option'
  | 'invalid-url'
  | 'redis-unreachable'
  | 'invalid-job'
  | 'refused'
  | 'invalid-result'
  | 'teacher-failed'
  | 'aborted'
  | 'closed';

/**
 * The one error class of `@flexiffusion/queue`: `code` says what went wrong, and the message names
 * the bad value and the valid ones. Redis URLs in messages never show a password.
 *
 * @example
 * ```ts
 * try {
 *   await createQueueEvaluator({ connection: 'redis://127.0.0.1:1', ... });
 * } catch (e) {
 *   if (e instanceof QueueError && e.code === 'redis-unreachable') process.exitCode = 1;
 * }
 * ```
 * @public
 */
export class QueueError extends Error {
  /** Machine-readable kind of problem. */
  readonly code: QueueErrorCode;

  /**
   * @param code - The kind of problem.
   * @param message - A message naming the bad value and the valid ones.
   * @param options - `cause`: the underlying error, where there was one.
   */
  constructor(code: QueueErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QueueError';
    this.code = code;
  }
}
