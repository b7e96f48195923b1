/**
 * The defaults of {@link createQueueEvaluator} and {@link createQueueWorker}, with the reasons.
 *
 * - `lockDurationMs` 60 s: BullMQ renews a job's lock every half of it from a timer on the
 *   worker's event loop. The evaluation runs in onnxruntime's threads (and the CLI's generator
 *   threads), so the loop only ever waits for one network batch or one feature pass of JavaScript
 *   glue; 30 s of slack covers that on any machine, while a killed worker's job is free again
 *   within a minute.
 * - `stalledIntervalMs` 30 s: how often each worker looks for jobs whose lock expired (BullMQ's
 *   default). A killed worker's job is back in the queue after at most lock + 2 × this, ~2 min.
 * - `maxStalledCount` 2: a job survives two lost workers (BullMQ's default of 1 would fail a
 *   trial because one machine was rebooted); a job that kills every worker it reaches (out of
 *   memory) still fails, after three.
 * - `attempts` 3, `backoffMs` 2 s (exponential): for errors the evaluation function throws
 *   (a CUDA out-of-memory, a lost file); results are deterministic, so a retry cannot change one.
 * - `retryForMs` 30 s: how long Redis may be unreachable (at start, or in a run) before the
 *   driver or worker gives up with a `redis-unreachable` error.
 *
 * @public
 */
export const QUEUE_DEFAULTS = Object.freeze({
  /** BullMQ queue name. */
  queueName: 'evaluations',
  /** Prefix of every Redis key (BullMQ's `prefix`). */
  prefix: 'flexi',
  /** Lock of a running job in ms, renewed every half of it. */
  lockDurationMs: 60_000,
  /** Interval of the stalled-job check in ms. */
  stalledIntervalMs: 30_000,
  /** Times a job may lose its worker before it fails. */
  maxStalledCount: 2,
  /** Tries per job for errors the evaluation function throws. */
  attempts: 3,
  /** First retry delay in ms, doubling. */
  backoffMs: 2_000,
  /** How long Redis may be unreachable, in ms. */
  retryForMs: 30_000,
  /** Seconds results are kept in Redis; 0 = until removed (a resumed search reads them back). */
  resultTtlS: 0,
});

/** Redis key of a stored blob of a job's result. @internal */
export function blobKey(prefix: string, queueName: string, jobId: string, part: 'stats' | 'images'): string {
  return `${prefix}:${queueName}:result:${jobId}:${part}`;
}

/** Check a queue or prefix name: BullMQ joins keys with ':'. @internal */
export const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
