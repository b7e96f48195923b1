import type { FeatureStats, FrechetRoute, RfidKidOptions } from '@flexiffusion/metrics';
import type { CostProfile, Schedule } from '@flexiffusion/schedule';
import type { QueueConnection } from './connection.js';
import type { JsonValue } from './job.js';
import type { WorkerIdentity } from './result.js';

/**
 * A progress event of a queue evaluator.
 *
 * - `queued`: the job was added (or found waiting or running: another driver asked first).
 * - `cached`: the job had already finished: its result is read back, not recomputed.
 * - `done` / `failed`: its result arrived (`worker` says who ran it).
 * - `waiting`: jobs are pending and nothing finished for a while; `workers` is the number of
 *   workers connected to the queue (−1 when Redis does not allow `CLIENT LIST`).
 *
 * @public
 */
export interface QueueProgress {
  /** `teacher` for the reference statistics, `candidate` for the schedules of `evaluate`. */
  readonly phase: 'teacher' | 'candidate';
  /** What happened. */
  readonly event: 'queued' | 'cached' | 'done' | 'failed' | 'waiting';
  /** Index of the schedule in the `evaluate` call (−1 for the teacher and for `waiting`). */
  readonly index: number;
  /** Schedules in the `evaluate` call (1 for the teacher). */
  readonly total: number;
  /** The job's id. */
  readonly jobId?: string;
  /** Who ran it (`done`, `failed` with a stored result). */
  readonly worker?: WorkerIdentity;
  /** Workers connected (`waiting`). */
  readonly workers?: number;
  /** Jobs still pending (`waiting`). */
  readonly pending?: number;
  /** A failure's reason (`failed`). */
  readonly reason?: string;
}

/**
 * Options of {@link createQueueEvaluator}: where the queue is, what every job shares (model,
 * sampler settings, seeds and conditions, extractor), how candidates are scored (the settings of
 * the local rFID evaluator of `@flexiffusion/metrics`, with the same defaults), and how jobs are
 * retried.
 *
 * @public
 */
export interface QueueEvaluatorOptions {
  /** Redis: a `redis://` / `rediss://` URL or parsed options. */
  readonly connection: QueueConnection;
  /** Queue name (default {@link QUEUE_DEFAULTS}.queueName); the workers' must match. */
  readonly queueName?: string;
  /** Prefix of the Redis keys (default {@link QUEUE_DEFAULTS}.prefix). */
  readonly prefix?: string;
  /** Content hash of the model; workers holding another model refuse the jobs. */
  readonly model: string;
  /** The teacher schedule (typically all full steps). */
  readonly teacher: Schedule;
  /** The candidates' sampler and generation settings, as JSON (part of every job id). */
  readonly sampler: JsonValue;
  /** The teacher's sampler settings when they differ from the candidates' (default `sampler`). */
  readonly teacherSampler?: JsonValue;
  /** One seed per sample, shared by the teacher and every candidate. */
  readonly seeds: readonly number[];
  /** One class label per sample (class-conditional models). */
  readonly labels?: readonly number[];
  /** One prompt per sample (text-to-image models). */
  readonly prompts?: readonly string[];
  /** One negative prompt per sample. */
  readonly negativePrompts?: readonly string[];
  /** Number of samples N; default `seeds.length` (the first N seeds, labels and prompts are used). */
  readonly samples?: number;
  /** The feature extractor the workers use: its id (part of the job id) and dimension. */
  readonly extractor: {
    /** `FeatureExtractor.id` (part of every job id). */
    readonly id: string;
    /** Its feature dimension. */
    readonly dim: number;
  };
  /** When given, each result also reports `macs` and `speedup`. */
  readonly costProfile?: CostProfile;
  /** KID settings, or `false` to skip KID (defaults as the local rFID evaluator's). */
  readonly kid?: RfidKidOptions | false;
  /** Paired metrics `mse` and `psnr` against the teacher image of the same seed (default `true`). */
  readonly paired?: boolean;
  /** Value range width of the images for PSNR (default 2). */
  readonly dataRange?: number;
  /** Upper bound on per-sample PSNR in dB (default 100). */
  readonly maxPsnrDb?: number;
  /**
   * Statistics of real data in the extractor's feature space: each result then also reports `fid`
   * and `teacherFid`, as `createRfidEvaluator`'s `reference` does.
   */
  readonly reference?: FeatureStats;
  /** Route of the Fréchet distance (default `auto`). */
  readonly frechetRoute?: FrechetRoute;
  /** Tries per job for errors thrown by the workers' evaluation function (default 3). */
  readonly attempts?: number;
  /** First retry delay in ms, doubling (default 2000). */
  readonly backoffMs?: number;
  /** How long Redis may be unreachable before the evaluator gives up (default 30 000 ms). */
  readonly retryForMs?: number;
  /** Seconds finished jobs and results are kept in Redis (default 0: until removed). */
  readonly resultTtlS?: number;
  /** How often pending jobs' states are polled besides the events, in ms (default 2000). */
  readonly pollMs?: number;
  /** After how long without a finished job a `waiting` event reports the workers connected, in ms (default 15 000). */
  readonly waitingAfterMs?: number;
  /** Progress events. */
  readonly onProgress?: (event: QueueProgress) => void;
  /** Aborts connecting. */
  readonly signal?: AbortSignal;
}
