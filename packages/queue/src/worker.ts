import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { featureStats, serializeStats } from '@flexiffusion/metrics';
import { parseSchedule, type Schedule } from '@flexiffusion/schedule';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { describeConnection, type QueueConnection, resolveConnection } from './connection.js';
import { blobKey, QUEUE_DEFAULTS } from './defaults.js';
import { QueueError } from './errors.js';
import { describe, errorMessage, intOption, queueNames } from './internal/describe.js';
import { bytesF32, checkOutput, f32Bytes, type JobImages, pairedErrors } from './internal/output.js';
import { bullConnection, connectRedis, getBlob, setBlob } from './internal/redis.js';
import { type EvaluationJob, evaluationJobId, validateJob } from './job.js';
import { INVALID, type JobResult, parseJobResult, REFUSED, type WorkerIdentity } from './result.js';

/**
 * What a worker's evaluation function is asked to do: generate the job's samples (its schedule,
 * seeds, labels or prompts, sampler settings) and extract their features.
 *
 * @public
 */
export interface EvaluationRequest {
  /** The validated job payload. */
  readonly job: EvaluationJob;
  /** Its id (the payload's content hash). */
  readonly jobId: string;
  /** The job's schedule, parsed. */
  readonly schedule: Schedule;
  /** Whether the images must be returned too (paired metrics need them); they may be returned anyway. */
  readonly wantImages: boolean;
  /** Fires when the worker is closed with `force` or the job is cancelled. */
  readonly signal: AbortSignal;
}

/**
 * What an evaluation function returns: the features (and images) of the job's samples, in seed
 * order. The worker checks them as the local rFID evaluator does (shapes, finite values), turns
 * the features into statistics and stores them.
 *
 * @public
 */
export interface EvaluationOutput {
  /** N × dim features, row-major. */
  readonly features: Float32Array;
  /** The samples' images, NCHW float32; required when {@link EvaluationRequest.wantImages}. */
  readonly images?: {
    /** The values. */
    readonly data: Float32Array;
    /** Their shape [N, C, H, W]. */
    readonly dims: readonly [number, number, number, number];
  };
  /** Milliseconds spent generating. */
  readonly generateMs?: number;
  /** Milliseconds spent extracting features. */
  readonly extractMs?: number;
}

/**
 * A worker's evaluation function: the model lives here, not in this package (the CLI passes one
 * that loads the model, generates and extracts). Throwing retries the job (up to the driver's
 * `attempts`); results must depend only on the request.
 *
 * @public
 */
export type EvaluateJobFn = (request: EvaluationRequest) => Promise<EvaluationOutput>;

/**
 * What a worker reports as it runs.
 *
 * @public
 */
export type WorkerEvent =
  | {
      /** Connected and taking jobs. */
      readonly type: 'ready';
      /** Who this worker is. */
      readonly identity: WorkerIdentity;
      /** The Redis URL, password redacted. */
      readonly connection: string;
      /** `prefix:queueName`. */
      readonly queue: string;
    }
  | {
      /** A job passed its checks and is being evaluated. */
      readonly type: 'started';
      /** The job's id. */
      readonly jobId: string;
      /** Teacher or candidate. */
      readonly kind: EvaluationJob['kind'];
      /** Its schedule. */
      readonly schedule: string;
    }
  | {
      /** A job's result is stored (`ok: false`: the candidate failed deterministically). */
      readonly type: 'completed';
      /** The job's id. */
      readonly jobId: string;
      /** Milliseconds on this worker. */
      readonly ms: number;
      /** Whether the candidate was evaluated. */
      readonly ok: boolean;
      /** Why not, when `ok` is false. */
      readonly reason?: string;
    }
  | {
      /** The evaluation threw: the job is retried while tries remain. */
      readonly type: 'failed';
      /** The job's id. */
      readonly jobId: string;
      /** The error. */
      readonly reason: string;
      /** Tries made so far. */
      readonly attempt: number;
    }
  | {
      /** The job is for another model or feature extractor: failed at once, never retried. */
      readonly type: 'refused';
      /** The job's id. */
      readonly jobId: string;
      /** Why, naming this worker and both hashes. */
      readonly reason: string;
    }
  | {
      /** Trouble with Redis (unreachable, reconnecting). */
      readonly type: 'redis';
      /** What happened, the URL's password redacted. */
      readonly message: string;
    };

/**
 * Options of {@link createQueueWorker}.
 *
 * @public
 */
export interface QueueWorkerOptions {
  /** Redis: a `redis://` / `rediss://` URL or parsed options. */
  readonly connection: QueueConnection;
  /** Queue name (default {@link QUEUE_DEFAULTS}.queueName); the driver's must match. */
  readonly queueName?: string;
  /** Prefix of the Redis keys (default {@link QUEUE_DEFAULTS}.prefix); the driver's must match. */
  readonly prefix?: string;
  /** Content hash of the model this worker holds; jobs for another model are refused. */
  readonly model: string;
  /**
   * Id of the feature extractor this worker uses; when given, jobs naming another extractor are
   * refused like jobs for another model.
   */
  readonly extractor?: string;
  /** Generates and extracts one job's samples. */
  readonly evaluate: EvaluateJobFn;
  /** What the model runs on (reported with each result), default `unknown`. */
  readonly backend?: string;
  /** A name for this worker (reported with each result and shown in Redis' client list). */
  readonly name?: string;
  /** Jobs run at once (default 1). */
  readonly concurrency?: number;
  /** Lock duration in ms (default {@link QUEUE_DEFAULTS}.lockDurationMs); renewed every half of it. */
  readonly lockDurationMs?: number;
  /** Stalled-job check interval in ms (default {@link QUEUE_DEFAULTS}.stalledIntervalMs). */
  readonly stalledIntervalMs?: number;
  /** Times a job may lose its worker before it fails (default {@link QUEUE_DEFAULTS}.maxStalledCount). */
  readonly maxStalledCount?: number;
  /** How long Redis may be unreachable before the worker stops (default {@link QUEUE_DEFAULTS}.retryForMs). */
  readonly retryForMs?: number;
  /** Seconds results are kept (default 0: until removed). */
  readonly resultTtlS?: number;
  /** Progress and trouble reports. */
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Aborts connecting. */
  readonly signal?: AbortSignal;
}

/**
 * A running worker.
 *
 * @public
 */
export interface QueueWorker {
  /** Who this worker is (reported with every result). */
  readonly identity: WorkerIdentity;
  /** Resolves when the worker is closed; rejects with a `redis-unreachable` {@link QueueError} when it stopped because Redis was lost. */
  readonly closed: Promise<void>;
  /**
   * Stop taking jobs and close. By default the running jobs finish first; with `force` they are
   * left to the stall check (another worker takes them after the lock expires).
   */
  close(options?: { readonly force?: boolean }): Promise<void>;
}

/**
 * Start a worker: it takes evaluation jobs from the queue, refuses those for another model
 * (failed at once with the reason, never retried), fails malformed ones with the reasons, runs
 * the others through `evaluate` and stores their statistics. The processor runs in this process
 * and only awaits `evaluate`, so BullMQ's timer keeps renewing the lock of a long job as long as
 * `evaluate` does its heavy work off the event loop (onnxruntime's threads, worker threads) — the
 * alternative of BullMQ's sandboxed processors would need the model code in a separate file, not
 * a function passed in. A worker that dies mid-job (kill -9, power loss) loses its lock, and
 * another worker takes the job after the stall interval.
 *
 * @param options - Connection, model hash, evaluation function and settings.
 * @returns The running worker, once Redis answered.
 * @throws {@link QueueError} `invalid-option` for bad options, `redis-unreachable` when Redis does
 *   not answer within `retryForMs`.
 * @example
 * ```ts
 * const worker = await createQueueWorker({
 *   connection: 'redis://:secret@queue-host:6379',
 *   model: modelHash,
 *   backend: 'cuda',
 *   evaluate: async ({ job, schedule, signal }) => {
 *     const images = await generate(schedule, job, signal);
 *     return { features: await extract(images), images };
 *   },
 * });
 * process.on('SIGTERM', () => void worker.close());
 * await worker.closed;
 * ```
 * @public
 */
export async function createQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  if (typeof options !== 'object' || options === null) {
    throw new QueueError('invalid-option', `Invalid worker options ${describe(options)}: expected an object.`);
  }
  const conn = resolveConnection(options.connection);
  const { queueName, prefix } = queueNames(options);
  if (typeof options.model !== 'string' || options.model === '') {
    throw new QueueError(
      'invalid-option',
      `Invalid model ${describe(options.model)}: expected the content hash of the model this worker holds.`,
    );
  }
  if (options.extractor !== undefined && (typeof options.extractor !== 'string' || options.extractor === '')) {
    throw new QueueError(
      'invalid-option',
      `Invalid extractor ${describe(options.extractor)}: expected the id of the worker's feature extractor.`,
    );
  }
  if (typeof options.evaluate !== 'function') {
    throw new QueueError(
      'invalid-option',
      `Invalid evaluate ${describe(options.evaluate)}: expected a function (request) => Promise<{ features, images? }>.`,
    );
  }
  const concurrency = intOption(options.concurrency, 'concurrency', 1, 1, 1024);
  const lockDuration = intOption(options.lockDurationMs, 'lockDurationMs', QUEUE_DEFAULTS.lockDurationMs, 100);
  const stalledInterval = intOption(options.stalledIntervalMs, 'stalledIntervalMs', QUEUE_DEFAULTS.stalledIntervalMs, 100);
  const maxStalledCount = intOption(options.maxStalledCount, 'maxStalledCount', QUEUE_DEFAULTS.maxStalledCount, 0, 1000);
  const retryForMs = intOption(options.retryForMs, 'retryForMs', QUEUE_DEFAULTS.retryForMs, 0);
  const resultTtlS = intOption(options.resultTtlS, 'resultTtlS', QUEUE_DEFAULTS.resultTtlS, 0);
  const emit = (e: WorkerEvent): void => {
    try {
      options.onEvent?.(Object.freeze(e));
    } catch {
      // a reporting callback must not break the worker
    }
  };
  const identity: WorkerIdentity = Object.freeze({
    hostname: hostname(),
    pid: process.pid,
    backend: options.backend ?? 'unknown',
    ...(options.name === undefined ? {} : { name: String(options.name) }),
  });
  const who = `${identity.name ?? identity.hostname} (pid ${identity.pid}, ${identity.backend})`;
  const client = await connectRedis(conn, {
    retryForMs,
    signal: options.signal,
    onRetry: (message) => emit({ type: 'redis', message }),
  });
  const teachers = new Map<string, JobImages>();
  let reader: Queue | undefined;
  const closing = new AbortController();

  async function teacherImages(id: string): Promise<JobImages> {
    const hit = teachers.get(id);
    if (hit) return hit;
    if (!reader) {
      reader = new Queue(queueName, { connection: bullConnection(conn, retryForMs), prefix });
      reader.on('error', () => {});
    }
    const teacherJob = await reader.getJob(id);
    const n = (teacherJob?.data as EvaluationJob | undefined)?.seeds?.length ?? 0;
    let result: JobResult | undefined;
    try {
      result = teacherJob?.returnvalue == null ? undefined : parseJobResult(teacherJob.returnvalue, id, n);
    } catch {
      result = undefined;
    }
    if (!result?.ok || !result.images) {
      throw new UnrecoverableError(`${INVALID}the teacher job ${id} it is paired with has no stored images in this queue.`);
    }
    const bytes = await getBlob(client, result.images.key);
    if (!bytes || sha256(bytes) !== result.images.sha256) {
      throw new UnrecoverableError(`${INVALID}the images of teacher job ${id} are missing or corrupt in Redis (${result.images.key}).`);
    }
    const images = { data: bytesF32(bytes), dims: result.images.dims };
    if (teachers.size >= 2) teachers.delete(teachers.keys().next().value!);
    teachers.set(id, images);
    return images;
  }

  async function processJob(job: Job, _token?: string, signal?: AbortSignal): Promise<JobResult> {
    const t0 = performance.now();
    const jobId = String(job.id);
    let data: EvaluationJob;
    try {
      data = validateJob(job.data);
      const expected = evaluationJobId(data);
      if (expected !== jobId)
        throw new QueueError('invalid-job', `The job id ${jobId} is not the content hash of its payload (${expected}).`);
    } catch (e) {
      throw new UnrecoverableError(`${INVALID}${errorMessage(e)}`);
    }
    if (data.model !== options.model) {
      const reason = `worker ${who} holds model ${options.model}, but the job is for model ${data.model}: give the worker the same model files as the driver, or stop it.`;
      emit({ type: 'refused', jobId, reason });
      throw new UnrecoverableError(`${REFUSED}${reason}`);
    }
    if (options.extractor !== undefined && data.extractor !== options.extractor) {
      const reason = `worker ${who} extracts features with ${options.extractor}, but the job asks for ${data.extractor}: start it with the same --features as the driver.`;
      emit({ type: 'refused', jobId, reason });
      throw new UnrecoverableError(`${REFUSED}${reason}`);
    }
    const teacher = data.pairWith === undefined ? undefined : await teacherImages(data.pairWith);
    const wantImages = data.keepImages === true || teacher !== undefined;
    emit({ type: 'started', jobId, kind: data.kind, schedule: data.schedule });
    const jobSignal = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
    const out = await options.evaluate(
      Object.freeze({ job: data, jobId, schedule: parseSchedule(data.schedule), wantImages, signal: jobSignal }),
    );
    const timings = (): JobResult['timings'] => ({
      generateMs: finiteOr0(out?.generateMs),
      extractMs: finiteOr0(out?.extractMs),
      totalMs: performance.now() - t0,
    });
    const checked = checkOutput(data, out?.features, out?.images, wantImages);
    const failed = (reason: string): JobResult => ({ format: 1, ok: false, reason, timings: timings(), worker: identity });
    if (!checked.ok) return failed(checked.reason);
    let mse: number[] | undefined;
    if (teacher !== undefined) {
      const p = pairedErrors(checked.images!, teacher);
      if (!p.ok) return failed(p.reason);
      mse = p.mse;
    }
    const statsBytes = serializeStats(featureStats(out.features, data.dim, { keepFeatures: true }));
    const statsKey = blobKey(prefix, queueName, jobId, 'stats');
    await setBlob(client, statsKey, statsBytes, resultTtlS);
    let images: (JobResult & { ok: true })['images'];
    if (data.keepImages && checked.images) {
      const bytes = f32Bytes(checked.images.data);
      const key = blobKey(prefix, queueName, jobId, 'images');
      await setBlob(client, key, bytes, resultTtlS);
      images = { key, bytes: bytes.length, sha256: sha256(bytes), dims: checked.images.dims };
    }
    return {
      format: 1,
      ok: true,
      stats: { key: statsKey, bytes: statsBytes.length, sha256: sha256(statsBytes) },
      ...(images ? { images } : {}),
      ...(mse ? { mse } : {}),
      timings: timings(),
      worker: identity,
    };
  }

  const worker = new Worker(queueName, processJob, {
    connection: bullConnection(conn, retryForMs, { maxRetriesPerRequest: null }),
    prefix,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    name: `flexi-worker:${identity.name ?? identity.hostname}:${identity.pid}`,
    autorun: false,
  });
  let lastRedisMessage = '';
  worker.on('error', (e) => {
    const message = `Redis at ${describeConnection(conn)}: ${errorMessage(e)}`;
    if (message !== lastRedisMessage) emit({ type: 'redis', message });
    lastRedisMessage = message;
  });
  worker.on('completed', (job, result: JobResult) => {
    lastRedisMessage = '';
    emit({
      type: 'completed',
      jobId: String(job.id),
      ms: result.timings.totalMs,
      ok: result.ok,
      ...(result.ok ? {} : { reason: result.reason }),
    });
  });
  worker.on('failed', (job, err) => {
    if (!job || err.message.startsWith(REFUSED)) return;
    emit({ type: 'failed', jobId: String(job.id), reason: err.message, attempt: job.attemptsMade });
  });

  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const closed = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  closed.catch(() => {});
  let closingPromise: Promise<void> | undefined;
  const close = (force: boolean, error?: QueueError): Promise<void> => {
    if (force) closing.abort(error ?? new QueueError('closed', 'The worker was closed.'));
    closingPromise ??= (async () => {
      await worker.close(force).catch(() => {});
      await reader?.close().catch(() => {});
      client.disconnect();
      if (error) settle.reject(error);
      else settle.resolve();
    })();
    return closingPromise;
  };
  client.on('end', () => {
    void close(
      true,
      new QueueError(
        'redis-unreachable',
        `Lost Redis at ${describeConnection(conn)} for more than ${(retryForMs / 1000).toFixed(0)} s; the worker stopped.`,
      ),
    );
  });
  void worker
    .run()
    .catch((e: unknown) => close(true, new QueueError('redis-unreachable', `The worker stopped: ${errorMessage(e)}`, { cause: e })));
  await worker.waitUntilReady();
  emit({ type: 'ready', identity, connection: describeConnection(conn), queue: `${prefix}:${queueName}` });
  return Object.freeze({
    identity,
    closed,
    close: (o: { readonly force?: boolean } = {}) => close(o.force === true),
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function finiteOr0(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
