import { QueueError } from './errors.js';
import { describe } from './internal/describe.js';

/**
 * Who ran a job: reported with every result, so that a slow or wrong machine can be found.
 *
 * @public
 */
export interface WorkerIdentity {
  /** `os.hostname()` of the worker's machine. */
  readonly hostname: string;
  /** The worker's process id. */
  readonly pid: number;
  /** What it runs the model on (e.g. `cpu`, `cuda`), as the worker was told. */
  readonly backend: string;
  /** A name given to the worker (`--name`), when one was. */
  readonly name?: string;
}

/**
 * Where the worker spent a job's time, in milliseconds.
 *
 * @public
 */
export interface JobTimings {
  /** Generating the samples (as the evaluation function reports it). */
  readonly generateMs: number;
  /** Extracting their features (as the evaluation function reports it). */
  readonly extractMs: number;
  /** The whole job on the worker, validation and storing the result included. */
  readonly totalMs: number;
}

/**
 * A stored byte blob of a result: its Redis key, size and SHA-256, checked when it is read back.
 *
 * @public
 */
export interface BlobRef {
  /** The Redis key. */
  readonly key: string;
  /** Its length in bytes. */
  readonly bytes: number;
  /** SHA-256 of the bytes, hex. */
  readonly sha256: string;
}

/**
 * What a finished job returns (its BullMQ return value). The large parts live in their own Redis
 * keys (BullMQ would copy a return value into its event stream too): the statistics, serialised
 * with `serializeStats` of `@flexiffusion/metrics` (float64 mean and covariance and the float32
 * features), and a teacher's images. A deterministic failure of the candidate (images or features
 * that hold NaN) completes the job with `ok: false`, so that it is not retried.
 *
 * @public
 */
export type JobResult =
  | {
      /** Format of the result, 1. */
      readonly format: 1;
      /** The evaluation succeeded. */
      readonly ok: true;
      /** The serialised feature statistics. */
      readonly stats: BlobRef;
      /** Teacher jobs with `keepImages`: the images (float32, NCHW) and their shape. */
      readonly images?: BlobRef & {
        /** Their shape [N, C, H, W]. */
        readonly dims: readonly [number, number, number, number];
      };
      /** Candidate jobs with `pairWith`: each sample's mean squared error against the teacher's image of the same seed. */
      readonly mse?: readonly number[];
      /** Where the time went. */
      readonly timings: JobTimings;
      /** Who ran it. */
      readonly worker: WorkerIdentity;
    }
  | {
      /** Format of the result, 1. */
      readonly format: 1;
      /** The candidate could not be evaluated. */
      readonly ok: false;
      /** Why, in words. */
      readonly reason: string;
      /** Where the time went. */
      readonly timings: JobTimings;
      /** Who ran it. */
      readonly worker: WorkerIdentity;
    };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function blob(v: unknown): v is BlobRef {
  return (
    isObj(v) &&
    typeof v['key'] === 'string' &&
    Number.isSafeInteger(v['bytes']) &&
    typeof v['sha256'] === 'string' &&
    /^[0-9a-f]{64}$/.test(v['sha256'])
  );
}

/**
 * Check a job's return value read back from Redis.
 *
 * @throws {@link QueueError} `invalid-result` naming the job and what is wrong.
 * @internal
 */
export function parseJobResult(value: unknown, jobId: string, samples: number): JobResult {
  const bad = (why: string): QueueError => new QueueError('invalid-result', `The stored result of job ${jobId} is malformed: ${why}.`);
  if (!isObj(value) || value['format'] !== 1 || typeof value['ok'] !== 'boolean') throw bad(`got ${describe(value)}`);
  const t = value['timings'];
  if (!isObj(t) || !isNum(t['generateMs']) || !isNum(t['extractMs']) || !isNum(t['totalMs'])) throw bad('no timings');
  const w = value['worker'];
  if (!isObj(w) || typeof w['hostname'] !== 'string' || !Number.isSafeInteger(w['pid']) || typeof w['backend'] !== 'string')
    throw bad('no worker identity');
  if (value['ok'] === false) {
    if (typeof value['reason'] !== 'string') throw bad('a failure without a reason');
    return value as unknown as JobResult;
  }
  if (!blob(value['stats'])) throw bad('no statistics');
  const images = value['images'];
  if (images !== undefined) {
    const dims = isObj(images) ? images['dims'] : undefined;
    if (
      !blob(images) ||
      !Array.isArray(dims) ||
      dims.length !== 4 ||
      dims.some((d) => !Number.isSafeInteger(d) || d < 1) ||
      dims[0] !== samples
    ) {
      throw bad(`images ${describe(images)}`);
    }
  }
  const mse = value['mse'];
  if (mse !== undefined && (!Array.isArray(mse) || mse.length !== samples || mse.some((m) => !isNum(m) || m < 0)))
    throw bad(`per-sample MSE ${describe(mse)}`);
  return value as unknown as JobResult;
}

/** Prefix of a failed job's reason when a worker refused it (a model mismatch). @internal */
export const REFUSED = 'flexi-refused: ';
/** Prefix of a failed job's reason when its payload was malformed. @internal */
export const INVALID = 'flexi-invalid-job: ';
