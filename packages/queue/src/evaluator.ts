import { createHash } from 'node:crypto';
import { deserializeStats, type FeatureStats } from '@flexiffusion/metrics';
import { type EvaluateOptions, type EvaluationResult, type Evaluator, formatSchedule, type Schedule } from '@flexiffusion/schedule';
import { Queue, QueueEvents } from 'bullmq';
import { describeConnection, resolveConnection } from './connection.js';
import { QUEUE_DEFAULTS } from './defaults.js';
import { QueueError } from './errors.js';
import type { QueueEvaluatorOptions, QueueProgress } from './evaluator-options.js';
import { describe, errorMessage, intOption, queueNames } from './internal/describe.js';
import { bullConnection, connectRedis, getBlob } from './internal/redis.js';
import { costOf, resolveScoreSettings, scoreCandidate } from './internal/score.js';
import { JobWaiter } from './internal/waiter.js';
import { type EvaluationJob, evaluationJobId, JOB_FORMAT } from './job.js';
import { INVALID, type JobResult, parseJobResult, REFUSED } from './result.js';

/**
 * The evaluator of a search whose candidates run on queue workers. It has the shape of the
 * local rFID evaluator of `@flexiffusion/metrics` (`teacherStats`, `cacheKey`), so a driver can
 * use either.
 *
 * @public
 */
export interface QueueEvaluator extends Evaluator {
  /** The teacher job's id: the key its statistics are cached under in the queue. */
  readonly cacheKey: string;
  /**
   * Fires (with a {@link QueueError} as its reason) when the evaluator meets a problem of the
   * fleet rather than of a candidate: a worker refused a job (another model), or Redis was lost.
   * Pass it to `runSearch` (with `AbortSignal.any`) so that the search stops with its finished
   * trials kept, instead of recording the pending candidates as failed.
   */
  readonly fatalSignal: AbortSignal;
  /** The teacher's statistics (with features): computed by a worker on first use, or read back. */
  teacherStats(options?: { readonly signal?: AbortSignal }): Promise<FeatureStats>;
  /** The job ids `evaluate` would use for these schedules (canonical notation or schedules). */
  jobIds(schedules: readonly (Schedule | string)[]): string[];
  /** Close the connections; queued jobs stay in Redis. */
  close(): Promise<void>;
}

interface Teacher {
  readonly id: string;
  readonly stats: FeatureStats;
}

/**
 * Create the evaluator of a distributed search. Each `evaluate` call puts its candidates on the
 * queue as jobs whose id is the content hash of the payload ({@link evaluationJobId}), waits for
 * the workers' results, scores them here from the returned statistics (rFID, KID, paired MSE and
 * PSNR — the computations of the local evaluator, so the trials are bit-identical to a local
 * run's apart from timings), and reports them in the order asked, never in completion order.
 * The driver needs no GPU.
 *
 * A job that already finished (a resumed search, a duplicate) is read back, not recomputed; a
 * job that failed in an earlier run is retried. The teacher is one job too, asked for first.
 *
 * @param options - Connection, model hash, what every job shares, scoring and retry settings.
 * @returns The evaluator, once Redis answered.
 * @throws {@link QueueError} `invalid-option` for bad options; `redis-unreachable` when Redis
 *   does not answer within `retryForMs` (the message names the URL, password redacted).
 * @example
 * ```ts
 * const evaluator = await createQueueEvaluator({
 *   connection: process.env.FLEXI_QUEUE!, // redis://:password@host:6379
 *   model: modelHash, teacher: fullSchedule(50), sampler: { sampler: 'ddim', guidance: 2 },
 *   seeds, labels, extractor: { id: 'fashion-features', dim: 128 }, costProfile,
 * });
 * const result = await runSearch({ space, searcher, evaluator, costProfile, trials: 40,
 *   signal: AbortSignal.any([ctrl.signal, evaluator.fatalSignal]) });
 * await evaluator.close();
 * ```
 * @public
 */
export async function createQueueEvaluator(options: QueueEvaluatorOptions): Promise<QueueEvaluator> {
  if (typeof options !== 'object' || options === null) {
    throw new QueueError('invalid-option', `Invalid evaluator options ${describe(options)}: expected an object.`);
  }
  const conn = resolveConnection(options.connection);
  const { queueName, prefix } = queueNames(options);
  const ex = options.extractor;
  if (typeof ex !== 'object' || ex === null || typeof ex.id !== 'string' || !Number.isSafeInteger(ex.dim) || ex.dim < 1) {
    throw new QueueError('invalid-option', `Invalid extractor ${describe(ex)}: expected { id: string, dim: positive integer }.`);
  }
  const seedsIn = options.seeds;
  if (!Array.isArray(seedsIn) || seedsIn.length < 2)
    throw new QueueError('invalid-option', `Invalid seeds ${describe(seedsIn)}: expected at least 2 integers.`);
  const n = intOption(options.samples, `samples (seeds holds ${seedsIn.length})`, seedsIn.length, 2, seedsIn.length);
  const firstN = <T>(xs: readonly T[] | undefined, what: string): T[] | undefined => {
    if (xs === undefined) return undefined;
    if (!Array.isArray(xs) || xs.length < n)
      throw new QueueError('invalid-option', `Invalid ${what} ${describe(xs)}: expected at least ${n} (one per sample).`);
    return xs.slice(0, n);
  };
  const common = {
    format: JOB_FORMAT as typeof JOB_FORMAT,
    model: options.model,
    seeds: seedsIn.slice(0, n),
    labels: firstN(options.labels, 'labels'),
    prompts: firstN(options.prompts, 'prompts'),
    negativePrompts: firstN(options.negativePrompts, 'negativePrompts'),
    extractor: ex.id,
    dim: ex.dim,
  };
  const score = resolveScoreSettings(options, n);
  const attempts = intOption(options.attempts, 'attempts', QUEUE_DEFAULTS.attempts, 1, 100);
  const backoffMs = intOption(options.backoffMs, 'backoffMs', QUEUE_DEFAULTS.backoffMs, 0);
  const retryForMs = intOption(options.retryForMs, 'retryForMs', QUEUE_DEFAULTS.retryForMs, 0);
  const resultTtlS = intOption(options.resultTtlS, 'resultTtlS', QUEUE_DEFAULTS.resultTtlS, 0);
  const pollMs = intOption(options.pollMs, 'pollMs', 2000, 10);
  const waitingAfterMs = intOption(options.waitingAfterMs, 'waitingAfterMs', 15_000, 10);
  const teacherJob: EvaluationJob = {
    ...common,
    kind: 'teacher',
    schedule: formatSchedule(options.teacher),
    sampler: options.teacherSampler ?? options.sampler,
    ...(score.paired ? { keepImages: true as const } : {}),
  };
  const teacherId = evaluationJobId(teacherJob); // validates model, seeds, labels, prompts, sampler
  const candidateJob = (schedule: string): EvaluationJob => ({
    ...common,
    kind: 'candidate',
    schedule,
    sampler: options.sampler,
    ...(score.paired ? { pairWith: teacherId } : {}),
  });
  const progress = (e: QueueProgress): void => {
    try {
      options.onProgress?.(Object.freeze(e));
    } catch {
      // a progress callback must not break the evaluation
    }
  };

  const client = await connectRedis(conn, { retryForMs, signal: options.signal });
  const queue = new Queue(queueName, { connection: bullConnection(conn, retryForMs), prefix });
  const events = new QueueEvents(queueName, { connection: bullConnection(conn, retryForMs, { maxRetriesPerRequest: null }), prefix });
  const fatalCtrl = new AbortController();
  const waiter = new JobWaiter(queue, events, pollMs);
  const fatal = (e: QueueError): QueueError => {
    if (!fatalCtrl.signal.aborted) fatalCtrl.abort(e);
    waiter.fail(fatalCtrl.signal.reason);
    return fatalCtrl.signal.reason as QueueError;
  };
  // reconnection is bounded; a lost Redis is reported by the client's 'end' below
  queue.on('error', () => {});
  events.on('error', () => {});
  client.on('end', () => {
    fatal(
      new QueueError('redis-unreachable', `Lost Redis at ${describeConnection(conn)} for more than ${(retryForMs / 1000).toFixed(0)} s.`),
    );
  });
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  } catch (e) {
    client.disconnect();
    await Promise.allSettled([queue.close(), events.close()]);
    throw new QueueError(
      'redis-unreachable',
      `Cannot open the queue ${prefix}:${queueName} at ${describeConnection(conn)}: ${errorMessage(e)}`,
      { cause: e },
    );
  }
  let closed = false;
  const check = (): void => {
    if (closed) throw new QueueError('closed', 'The queue evaluator was closed.');
    if (fatalCtrl.signal.aborted) throw fatalCtrl.signal.reason;
  };
  const jobOptions = (id: string) => ({
    jobId: id,
    attempts,
    backoff: { type: 'exponential' as const, delay: backoffMs },
    removeOnComplete: resultTtlS > 0 ? { age: resultTtlS } : false,
    removeOnFail: resultTtlS > 0 ? { age: resultTtlS } : false,
  });

  /** Add jobs (existing ids are kept by BullMQ), retry those that failed in an earlier run; returns the ids already finished. */
  async function submit(jobs: readonly { id: string; job: EvaluationJob }[]): Promise<Set<string>> {
    await queue.addBulk(jobs.map(({ id, job }) => ({ name: job.kind, data: job, opts: jobOptions(id) })));
    const done = new Set<string>();
    for (const { id } of jobs) {
      const state = await queue.getJobState(id);
      if (state === 'completed') done.add(id);
      else if (state === 'failed') await (await queue.getJob(id))?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
    return done;
  }

  /** Wait for a job and read its result back; a result whose blob is gone is computed again, once. */
  async function outcome(
    id: string,
    job: EvaluationJob,
    signal: AbortSignal | undefined,
    again = true,
  ): Promise<{ result: JobResult; stats?: FeatureStats } | { failed: string }> {
    const end = await waiter.wait(id, signal);
    if (end.state === 'failed') {
      if (end.reason.startsWith(REFUSED)) {
        throw fatal(
          new QueueError(
            'refused',
            `A worker refused job ${id}: ${end.reason.slice(REFUSED.length)} The search stops; finished results stay in the queue for --resume.`,
          ),
        );
      }
      return {
        failed: end.reason.startsWith(INVALID)
          ? `invalid job: ${end.reason.slice(INVALID.length)}`
          : `the job failed on the workers: ${end.reason}`,
      };
    }
    const stored = await queue.getJob(id);
    const result = parseJobResult(stored?.returnvalue, id, n);
    if (!result.ok) return { result };
    const bytes = await getBlob(client, result.stats.key);
    let stats: FeatureStats | undefined;
    try {
      stats = bytes && sha256(bytes) === result.stats.sha256 ? deserializeStats(bytes) : undefined;
    } catch {
      stats = undefined; // corrupt: computed again below
    }
    if (stats === undefined || stats.count !== n || stats.dim !== job.dim || stats.features === undefined) {
      if (!again)
        throw new QueueError('invalid-result', `The statistics of job ${id} (${result.stats.key}) are missing or corrupt in Redis.`);
      await stored?.remove();
      await submit([{ id, job }]);
      return outcome(id, job, signal, false);
    }
    return { result, stats };
  }

  let teacherPromise: Promise<Teacher> | undefined;
  async function prepareTeacher(signal: AbortSignal | undefined): Promise<Teacher> {
    const done = await submit([{ id: teacherId, job: teacherJob }]);
    progress({ phase: 'teacher', event: done.has(teacherId) ? 'cached' : 'queued', index: -1, total: 1, jobId: teacherId });
    const o = await outcome(teacherId, teacherJob, signal);
    if ('failed' in o || !o.result.ok || o.stats === undefined) {
      const reason = 'failed' in o ? o.failed : o.result.ok ? 'no statistics' : o.result.reason;
      progress({ phase: 'teacher', event: 'failed', index: -1, total: 1, jobId: teacherId, reason });
      throw new QueueError('teacher-failed', `The teacher's job ${teacherId} failed: ${reason}`);
    }
    progress({ phase: 'teacher', event: 'done', index: -1, total: 1, jobId: teacherId, worker: o.result.worker });
    return { id: teacherId, stats: o.stats };
  }
  const getTeacher = (signal: AbortSignal | undefined): Promise<Teacher> => {
    teacherPromise ??= prepareTeacher(signal).catch((e: unknown) => {
      teacherPromise = undefined;
      throw e;
    });
    return teacherPromise;
  };

  /** Errors that are not ours come from Redis or BullMQ: a lost connection ends the evaluator. */
  const lost = (e: unknown): never => {
    if (e instanceof QueueError) throw e;
    if (fatalCtrl.signal.aborted) throw fatalCtrl.signal.reason;
    throw fatal(new QueueError('redis-unreachable', `Lost Redis at ${describeConnection(conn)}: ${errorMessage(e)}`, { cause: e }));
  };

  async function evaluate(schedules: readonly Schedule[], opts: EvaluateOptions = {}): Promise<readonly EvaluationResult[]> {
    return evaluateRound(schedules, opts).catch(lost);
  }

  async function evaluateRound(schedules: readonly Schedule[], opts: EvaluateOptions): Promise<readonly EvaluationResult[]> {
    check();
    if (!Array.isArray(schedules))
      throw new QueueError('invalid-option', `Invalid schedules ${describe(schedules)}: expected an array of schedules.`);
    const { signal } = opts;
    if (signal?.aborted) throw new QueueError('aborted', 'The evaluation was aborted.', { cause: signal.reason });
    const teacher = await getTeacher(signal);
    const total = schedules.length;
    const results: (EvaluationResult | undefined)[] = new Array(total).fill(undefined);
    const plan: ({ id: string; job: EvaluationJob } | { error: string })[] = schedules.map((s, i) => {
      try {
        if (score.costProfile !== undefined) costOf(s, score.costProfile);
        const text = formatSchedule(s);
        const job = candidateJob(text);
        return { id: evaluationJobId(job), job };
      } catch (e) {
        return { error: `Invalid schedules[${i}]: ${errorMessage(e)}` };
      }
    });
    const unique = new Map<string, EvaluationJob>();
    for (const p of plan) if ('id' in p) unique.set(p.id, p.job);
    const done = await submit([...unique].map(([id, job]) => ({ id, job })));
    let next = 0;
    let finished = 0;
    let lastFinish = Date.now();
    const flush = (): void => {
      while (next < total && results[next] !== undefined) {
        opts.onResult?.(next, results[next]!);
        next++;
        opts.onProgress?.(next / total);
      }
    };
    const hint = setInterval(
      () => {
        if (Date.now() - lastFinish < waitingAfterMs) return;
        lastFinish = Date.now();
        void queue
          .getWorkersCount()
          .catch(() => -1)
          .then((workers) => progress({ phase: 'candidate', event: 'waiting', index: -1, total, workers, pending: total - finished }));
      },
      Math.min(waitingAfterMs, 1000),
    );
    hint.unref?.();
    try {
      await Promise.all(
        plan.map(async (p, i) => {
          let r: EvaluationResult;
          if ('error' in p) r = Object.freeze({ ok: false as const, reason: p.error });
          else {
            progress({ phase: 'candidate', event: done.has(p.id) ? 'cached' : 'queued', index: i, total, jobId: p.id });
            const o = await outcome(p.id, p.job, signal);
            if ('failed' in o) r = Object.freeze({ ok: false as const, reason: o.failed });
            else if (!o.result.ok) r = Object.freeze({ ok: false as const, reason: o.result.reason });
            else {
              try {
                r = scoreCandidate(schedules[i]!, o.stats!, o.result.mse, teacher.stats, o.result.timings, score);
              } catch (e) {
                r = Object.freeze({ ok: false as const, reason: errorMessage(e) }); // as the local evaluator reports a scoring error
              }
            }
            const worker = 'failed' in o ? undefined : o.result.worker;
            progress({
              phase: 'candidate',
              event: r.ok ? 'done' : 'failed',
              index: i,
              total,
              jobId: p.id,
              ...(worker ? { worker } : {}),
              ...(r.ok ? {} : { reason: r.reason }),
            });
          }
          results[i] = r;
          finished++;
          lastFinish = Date.now();
          flush();
        }),
      );
    } finally {
      clearInterval(hint);
    }
    return Object.freeze(results as EvaluationResult[]);
  }

  return Object.freeze({
    cacheKey: teacherId,
    fatalSignal: fatalCtrl.signal,
    evaluate,
    async teacherStats(o: { readonly signal?: AbortSignal } = {}): Promise<FeatureStats> {
      check();
      return (await getTeacher(o.signal).catch(lost)).stats;
    },
    jobIds: (schedules: readonly (Schedule | string)[]) =>
      schedules.map((s) => evaluationJobId(candidateJob(typeof s === 'string' ? s : formatSchedule(s)))),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      waiter.fail(new QueueError('closed', 'The queue evaluator was closed.'));
      waiter.close();
      await Promise.allSettled([events.close(), queue.close()]);
      client.disconnect();
    },
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
