/**
 * `@flexiffusion/queue`: the Flexiffusion search on many machines, on BullMQ and Redis.
 *
 * - The driver keeps the search: `runSearch` of `@flexiffusion/schedule` with the evaluator of
 *   {@link createQueueEvaluator}, which puts each round's candidates on the queue as jobs and
 *   scores the statistics the workers return (rFID, KID, paired MSE/PSNR, as the local rFID
 *   evaluator of `@flexiffusion/metrics` does). The driver needs no GPU.
 * - Workers ({@link createQueueWorker}) run jobs through an evaluation function passed in (the
 *   model lives with the caller, this package loads none), refuse jobs for another model, and
 *   store the statistics.
 * - Jobs are idempotent: the id is the SHA-256 of the canonical JSON of the payload
 *   ({@link evaluationJobId}), so a retried, duplicated or resumed job has one result.
 * - Redis URLs with a password and `rediss://` (TLS) are parsed by {@link parseRedisUrl}; messages
 *   never show the password.
 *
 * `@flexiffusion/queue/testing` starts a throwaway `redis-server` and has a synthetic model for
 * tests and benchmarks.
 *
 * @packageDocumentation
 */
export { QueueError } from './errors.js';
export type { QueueErrorCode } from './errors.js';
export { parseRedisUrl, redactRedisUrl, describeConnection } from './connection.js';
export type { RedisConnectionOptions, QueueConnection } from './connection.js';
export { QUEUE_DEFAULTS } from './defaults.js';
export { JOB_FORMAT, canonicalJson, evaluationJobId, isEvaluationJobId, validateJob } from './job.js';
export type { EvaluationJob, JobKind, JsonValue } from './job.js';
export type { JobResult, JobTimings, BlobRef, WorkerIdentity } from './result.js';
export { createQueueWorker } from './worker.js';
export type { EvaluateJobFn, EvaluationRequest, EvaluationOutput, QueueWorker, QueueWorkerOptions, WorkerEvent } from './worker.js';
export { createQueueEvaluator } from './evaluator.js';
export type { QueueEvaluator } from './evaluator.js';
export type { QueueEvaluatorOptions, QueueProgress } from './evaluator-options.js';
