/**
 * The queue on a real redis-server (started here on a free loopback port, stopped after): a
 * driver and workers in this process with the synthetic model, each test on its own queue.
 * A search through the queue must give the trials of a local run (bit for bit, timings aside)
 * with 1, 2 or 3 workers in any completion order; a resumed driver reads finished jobs back;
 * a worker with another model refuses; a malformed job fails without retry; Redis down at start
 * is a bounded wait and a typed error.
 */
import { createRfidEvaluator } from '@flexiffusion/metrics';
import {
  type CostProfile,
  createSearchSpace,
  type Evaluator,
  fullSchedule,
  MemoryTrialStore,
  parseSchedule,
  runSearch,
  ScheduleError,
  type Trial,
} from '@flexiffusion/schedule';
import { evolutionarySearcher } from '@flexiffusion/search-evo';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createQueueEvaluator,
  createQueueWorker,
  type EvaluateJobFn,
  evaluationJobId,
  type QueueEvaluatorOptions,
  QueueError,
  type QueueWorker,
  type QueueWorkerOptions,
} from '../src/index.js';
import { freePort, startRedisServer, syntheticModel, type TestRedisServer } from '../src/testing/index.js';
import { FAST, skipWithoutRedis, withoutTimings } from './helpers.js';

const skip = skipWithoutRedis('the queue on a real redis-server');

const model = syntheticModel({ dim: 8 });
const seeds = Array.from({ length: 16 }, (_, i) => 100 + i);
const labels = seeds.map((_, i) => i % 3);
const costProfile: CostProfile = { fullMacs: 100, partialMacs: [20, 50] };
const teacher = fullSchedule(8);
const space = createSearchSpace({ steps: 8, segmentLengths: [2, 4], branches: 2 });
const search = { space, costProfile, trials: 12, batchSize: 4, minSpeedup: 1.5, seed: 3 } as const;

/** The synthetic model's evaluation, counting the evaluations per job and waiting `delay(jobId)` ms first. */
function counting(counts: Map<string, number>, delay: (jobId: string) => number = () => 0): EvaluateJobFn {
  return async (req) => {
    counts.set(req.jobId, (counts.get(req.jobId) ?? 0) + 1);
    const ms = delay(req.jobId);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    return model.evaluate(req);
  };
}

/** A pseudo-random delay in [0, max) ms from the job id: completion order differs from submission order. */
const scrambled =
  (max: number) =>
  (jobId: string): number =>
    Number.parseInt(jobId.slice(-6), 16) % max;

let queueCount = 0;

describe.skipIf(skip)('the queue on a real redis-server', () => {
  let redis: TestRedisServer;
  const closers: (() => Promise<void>)[] = [];
  let localTrials: unknown[];

  beforeAll(async () => {
    redis = await startRedisServer();
    const local = createRfidEvaluator({ generate: model.generate, extractor: model.extractor, teacher, seeds, labels, costProfile });
    localTrials = withoutTimings((await runSearch({ ...search, searcher: evolutionarySearcher(), evaluator: local })).trials);
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    await redis?.stop();
  });

  /** A fresh queue name, an evaluator and workers on it. */
  async function fleet(
    workers: Partial<QueueWorkerOptions>[],
    evaluator: Partial<QueueEvaluatorOptions> = {},
  ): Promise<{ queueName: string; evaluator: Awaited<ReturnType<typeof createQueueEvaluator>>; workers: QueueWorker[] }> {
    const queueName = `test-${++queueCount}`;
    const ws: QueueWorker[] = [];
    for (const w of workers) {
      const worker = await createQueueWorker({ connection: redis.url, queueName, model: 'm1', evaluate: model.evaluate, ...FAST, ...w });
      closers.push(() => worker.close({ force: true }));
      ws.push(worker);
    }
    const ev = await createQueueEvaluator({
      connection: redis.url,
      queueName,
      model: 'm1',
      teacher,
      sampler: { sampler: 'synthetic' },
      seeds,
      labels,
      extractor: model.extractor,
      costProfile,
      pollMs: 200,
      ...evaluator,
    });
    closers.push(() => ev.close());
    return { queueName, evaluator: ev, workers: ws };
  }

  it('1 driver + 2 workers: the trials of a local run, the work shared', async () => {
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    const { evaluator } = await fleet(
      [
        { name: 'w1', evaluate: counting(counts, () => 20) },
        { name: 'w2', evaluate: counting(counts, () => 20) },
      ],
      { onProgress: (e) => e.worker?.name && seen.add(e.worker.name) },
    );
    const r = await runSearch({ ...search, searcher: evolutionarySearcher(), evaluator });
    expect(withoutTimings(r.trials)).toEqual(localTrials);
    expect(JSON.stringify(withoutTimings(r.trials))).toBe(JSON.stringify(localTrials));
    expect([...seen].sort()).toEqual(['w1', 'w2']);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  });

  it('with reference statistics: fid and teacherFid, bit-identical to a local run with the same reference', async () => {
    const { featureStats } = await import('@flexiffusion/metrics');
    const realSeeds = Array.from({ length: 24 }, (_, i) => 900 + i);
    const real = await model.generate(teacher, { seeds: realSeeds, labels: realSeeds.map((x) => x % 10) });
    const reference = featureStats(await model.extractor.extract(real.data, real.dims), model.extractor.dim);
    const local = createRfidEvaluator({
      generate: model.generate,
      extractor: model.extractor,
      teacher,
      seeds,
      labels,
      costProfile,
      reference,
    });
    const want = (await runSearch({ ...search, searcher: evolutionarySearcher(), evaluator: local })).trials;
    const { evaluator } = await fleet([{ evaluate: counting(new Map(), () => 10) }], { reference });
    const r = await runSearch({ ...search, searcher: evolutionarySearcher(), evaluator });
    // teacherFid: the queue's teacher statistics come back serialised from a worker, the local
    // ones are computed in place; the two distances agree to rounding (measured: 5e-15 relative)
    const teacherFids = (trials: readonly Trial[]) => trials.map((t) => t.metrics?.['teacherFid']);
    const without = (trials: readonly Trial[]) => JSON.stringify(withoutTimings(trials), (k, v) => (k === 'teacherFid' ? undefined : v));
    expect(without(r.trials)).toBe(without(want));
    const [got, ref] = [teacherFids(r.trials), teacherFids(want)];
    expect(got.every((v) => typeof v === 'number')).toBe(true);
    got.forEach((v, i) => expect(Math.abs(v! - ref[i]!) / ref[i]!).toBeLessThan(1e-12));
    expect(without(r.trials)).toMatch(/"fid":/);
  });

  it('is deterministic: local, 1 worker and 3 workers in scrambled completion order give bit-identical trials', async () => {
    for (const n of [1, 3]) {
      const completed: number[] = [];
      const { evaluator } = await fleet(
        Array.from({ length: n }, () => ({ evaluate: counting(new Map(), scrambled(60)) })),
        { onProgress: (e) => e.event === 'done' && completed.push(e.index) },
      );
      const r = await runSearch({ ...search, searcher: evolutionarySearcher(), evaluator });
      expect(JSON.stringify(withoutTimings(r.trials))).toBe(JSON.stringify(localTrials));
      if (n === 3) expect(completed).not.toEqual([...completed].sort((a, b) => a - b)); // results arrived out of order
    }
  });

  it('a driver killed mid-search resumes: finished jobs are read back, nothing is computed twice', async () => {
    const counts = new Map<string, number>();
    const { queueName, evaluator } = await fleet([
      { evaluate: counting(counts, scrambled(80)) },
      { evaluate: counting(counts, scrambled(80)) },
    ]);
    const store = new MemoryTrialStore();
    const ctrl = new AbortController();
    const first = runSearch({
      ...search,
      searcher: evolutionarySearcher(),
      evaluator,
      store,
      signal: ctrl.signal,
      onProgress: (p) => p.evaluated === 5 && ctrl.abort(new Error('driver killed')),
    });
    await expect(first).rejects.toMatchObject({ code: 'aborted' });
    await evaluator.close();
    const stored = (await store.load())!.trials.length;
    expect(stored).toBeGreaterThanOrEqual(5);
    expect(stored).toBeLessThan(search.trials);
    await new Promise((r) => setTimeout(r, 300)); // the round's other jobs finish while no driver runs
    const cached: number[] = [];
    const again = await createQueueEvaluator({
      connection: redis.url,
      queueName,
      model: 'm1',
      teacher,
      sampler: { sampler: 'synthetic' },
      seeds,
      labels,
      extractor: model.extractor,
      costProfile,
      pollMs: 200,
      onProgress: (e) => e.event === 'cached' && cached.push(e.index),
    });
    closers.push(() => again.close());
    const r = await runSearch({ ...search, searcher: evolutionarySearcher(), evaluator: again, store });
    expect(r.replayed).toBe(stored - r.trials.slice(0, stored).filter((t) => t.state === 'pruned').length);
    expect(JSON.stringify(withoutTimings(r.trials))).toBe(JSON.stringify(localTrials));
    expect(cached.length).toBeGreaterThan(0);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  });

  it('a worker with another model refuses the job once, says why, and the search stops with nothing recorded as failed', async () => {
    const { queueName, evaluator, workers } = await fleet([{}]);
    await evaluator.teacherStats(); // the right worker computed the teacher
    await workers[0]!.close();
    const refused: string[] = [];
    const wrong = await createQueueWorker({
      connection: redis.url,
      queueName,
      model: 'm2',
      name: 'wrong-box',
      evaluate: model.evaluate,
      ...FAST,
      onEvent: (e) => e.type === 'refused' && refused.push(e.reason),
    });
    closers.push(() => wrong.close({ force: true }));
    const store = new MemoryTrialStore();
    const run = runSearch({
      ...search,
      searcher: evolutionarySearcher(),
      evaluator,
      store,
      signal: AbortSignal.any([evaluator.fatalSignal]),
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScheduleError);
    expect((err as ScheduleError).code).toBe('aborted');
    const reason = evaluator.fatalSignal.reason as QueueError;
    expect(reason).toBeInstanceOf(QueueError);
    expect(reason.code).toBe('refused');
    expect(reason.message).toContain('wrong-box');
    expect(reason.message).toContain('holds model m2, but the job is for model m1');
    expect(refused.length).toBeGreaterThan(0);
    expect((await store.load())!.trials.filter((t) => t.state === 'failed')).toEqual([]);
    const q = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'flexi' });
    const failed = await q.getFailed();
    expect(failed.length).toBeGreaterThan(0);
    for (const j of failed) {
      expect(j.attemptsMade).toBe(1); // UnrecoverableError: not retried up to `attempts`
      expect(j.failedReason).toMatch(/^flexi-refused: /);
    }
    await q.close();
  });

  it('fails a malformed job with the reasons, never retries it, and keeps working', async () => {
    const { queueName, evaluator } = await fleet([{}]);
    const q = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'flexi' });
    const good = {
      format: 1,
      kind: 'teacher',
      model: 'm1',
      schedule: 'F F',
      sampler: null,
      seeds: [1, 2],
      extractor: 'x',
      dim: 2,
    } as const;
    await q.add('candidate', { format: 1, kind: 'candidate', seeds: 'all' }, { jobId: 'bad-1', attempts: 3 });
    await q.add('teacher', good, { jobId: 'teacher-0000', attempts: 3 });
    await q.add('teacher', { ...good, seeds: [1, 2.5] }, { jobId: evaluationJobId(good), attempts: 3 });
    await evaluator.teacherStats(); // the worker is still alive and computes the real teacher
    const deadline = Date.now() + 5000;
    while ((await q.getFailedCount()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const failed = new Map((await q.getFailed()).map((j) => [j.id, j] as const));
    expect(failed.get('bad-1')?.failedReason).toMatch(/^flexi-invalid-job: Invalid job: \$\.model: .*\$\.seeds: expected an array/);
    expect(failed.get('teacher-0000')?.failedReason).toContain('is not the content hash of its payload');
    expect(failed.get(evaluationJobId(good))?.failedReason).toContain('$.seeds[1]: expected an integer, got 2.5');
    for (const j of failed.values()) expect(j.attemptsMade).toBe(1);
    await q.close();
  });

  it('a job longer than the lock duration keeps its lock: it runs once', async () => {
    const counts = new Map<string, number>();
    const opts = { evaluate: counting(counts, () => 2500), lockDurationMs: 500, stalledIntervalMs: 250 };
    const { evaluator } = await fleet([opts, opts]);
    await evaluator.teacherStats();
    expect([...counts.values()]).toEqual([1]);
  });

  it('Redis down at start: a bounded retry, then redis-unreachable naming the URL without its password', async () => {
    const port = await freePort();
    const url = `redis://:hunter2@127.0.0.1:${port}`;
    const retries: string[] = [];
    const t0 = Date.now();
    const err = await createQueueEvaluator({
      connection: url,
      model: 'm1',
      teacher,
      sampler: null,
      seeds,
      extractor: model.extractor,
      retryForMs: 1500,
    }).catch((e: unknown) => e);
    const ms = Date.now() - t0;
    expect(err).toBeInstanceOf(QueueError);
    expect((err as QueueError).code).toBe('redis-unreachable');
    expect((err as Error).message).toContain(`redis://:***@127.0.0.1:${port}`);
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as Error).message).toMatch(/\d+ tries over \d/);
    expect(ms).toBeGreaterThan(500);
    expect(ms).toBeLessThan(6000);
    const werr = await createQueueWorker({
      connection: url,
      model: 'm1',
      evaluate: model.evaluate,
      retryForMs: 500,
      onEvent: (e) => e.type === 'redis' && retries.push(e.message),
    }).catch((e: unknown) => e);
    expect((werr as QueueError).code).toBe('redis-unreachable');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.join('\n')).not.toContain('hunter2');
  });

  it('a password-protected Redis: the URL with the password works, a wrong one is a clear error', async () => {
    const secured = await startRedisServer({ password: 'p@ss word' });
    try {
      const worker = await createQueueWorker({ connection: secured.url, model: 'm1', evaluate: model.evaluate, ...FAST });
      const ev = await createQueueEvaluator({
        connection: secured.url,
        model: 'm1',
        teacher,
        sampler: null,
        seeds,
        extractor: model.extractor,
      });
      expect((await ev.teacherStats()).count).toBe(seeds.length);
      await ev.close();
      await worker.close();
      const wrong = secured.url.replace('p%40ss%20word', 'nope');
      const err = await createQueueEvaluator({
        connection: wrong,
        model: 'm1',
        teacher,
        sampler: null,
        seeds,
        extractor: model.extractor,
      }).catch((e: unknown) => e);
      expect((err as QueueError).code).toBe('redis-unreachable');
      expect((err as Error).message).toContain('refused the credentials');
      expect((err as Error).message).not.toContain('nope');
    } finally {
      await secured.stop();
    }
  });

  it('Redis lost mid-run: the evaluator fails with redis-unreachable and the worker stops', async () => {
    const own = await startRedisServer();
    const worker = await createQueueWorker({ connection: own.url, model: 'm1', evaluate: model.evaluate, retryForMs: 1000, ...FAST });
    const ev = await createQueueEvaluator({
      connection: own.url,
      model: 'm1',
      teacher,
      sampler: null,
      seeds,
      extractor: model.extractor,
      retryForMs: 1000,
    });
    await ev.teacherStats();
    await own.stop();
    const err = await ev.evaluate([parseSchedule('F P0 N N | F P0 N N')]).catch((e: unknown) => e);
    expect((err as QueueError).code).toBe('redis-unreachable');
    expect(ev.fatalSignal.aborted).toBe(true);
    await expect(worker.closed).rejects.toMatchObject({ code: 'redis-unreachable' });
    await ev.close();
  });
});

// keep the Evaluator contract visible to the type checker: a QueueEvaluator is an Evaluator
const _typecheck = (e: Awaited<ReturnType<typeof createQueueEvaluator>>): Evaluator => e;
void _typecheck;
