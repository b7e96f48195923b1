/**
 * A worker killed with SIGKILL mid-job (a separate process running the built package): its job
 * is taken again by another worker once its lock expires and the stall check runs, and the search
 * finishes with the trials of a local run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRfidEvaluator } from '@flexiffusion/metrics';
import { createSearchSpace, fullSchedule, runSearch } from '@flexiffusion/schedule';
import { evolutionarySearcher } from '@flexiffusion/search-evo';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueEvaluator, createQueueWorker } from '../src/index.js';
import { startRedisServer, syntheticModel, type TestRedisServer } from '../src/testing/index.js';
import { FAST, skipWithoutRedis, withoutTimings } from './helpers.js';

const skip = skipWithoutRedis('a worker killed mid-job');
const WORKER = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));

/** Resolves with the first stdout line matching `re`. */
function line(child: ChildProcess, re: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`no line matching ${re} from the worker; output: ${buf}`)), timeoutMs);
    const on = (d: Buffer): void => {
      buf += d.toString();
      const m = buf.split('\n').find((l) => re.test(l));
      if (m !== undefined) {
        clearTimeout(t);
        child.stdout?.off('data', on);
        resolve(m);
      }
    };
    child.stdout?.on('data', on);
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before printing ${re}: ${buf}`)));
  });
}

describe.skipIf(skip)('a worker killed mid-job', () => {
  let redis: TestRedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('has its job picked up again after the stall interval; the search finishes as a local one', async () => {
    const model = syntheticModel({ dim: 8 });
    const seeds = Array.from({ length: 12 }, (_, i) => i);
    const costProfile = { fullMacs: 100, partialMacs: [20, 50] };
    const teacher = fullSchedule(8);
    const search = {
      space: createSearchSpace({ steps: 8, segmentLengths: [2, 4], branches: 2 }),
      costProfile,
      trials: 8,
      batchSize: 4,
      minSpeedup: 1.5,
      seed: 5,
    } as const;
    const local = await runSearch({
      ...search,
      searcher: evolutionarySearcher(),
      evaluator: createRfidEvaluator({ generate: model.generate, extractor: model.extractor, teacher, seeds, costProfile }),
    });

    const queueName = 'kill';
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, REDIS_URL: redis.url, QUEUE: queueName, DELAY_MS: '400' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await line(child, /^ready$/);
      const evaluator = await createQueueEvaluator({
        connection: redis.url,
        queueName,
        model: 'm1',
        teacher,
        sampler: null,
        seeds,
        extractor: model.extractor,
        costProfile,
        pollMs: 200,
      });
      const started = line(child, /^started candidate-/); // the child takes the first candidate it can
      const run = runSearch({ ...search, searcher: evolutionarySearcher(), evaluator });
      const killedJob = (await started).split(' ')[1]!;
      child.kill('SIGKILL');
      await exited;
      const t0 = Date.now();
      let recoveredAfter = 0;
      const survivor = await createQueueWorker({
        connection: redis.url,
        queueName,
        model: 'm1',
        name: 'survivor',
        evaluate: model.evaluate,
        ...FAST,
        onEvent: (e) => {
          if (e.type === 'started' && e.jobId === killedJob) recoveredAfter = Date.now() - t0;
        },
      });
      try {
        const r = await run;
        expect(JSON.stringify(withoutTimings(r.trials))).toBe(JSON.stringify(withoutTimings(local.trials)));
        expect(recoveredAfter).toBeGreaterThan(0); // the killed job ran again, on the survivor
        expect(recoveredAfter).toBeLessThan(FAST.lockDurationMs + 3 * FAST.stalledIntervalMs + 2000);
        const q = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'flexi' });
        const job = await q.getJob(killedJob);
        expect(await job?.getState()).toBe('completed');
        expect(job?.returnvalue.worker.name).toBe('survivor');
        expect(job?.attemptsStarted).toBe(2);
        await q.close();
      } finally {
        await evaluator.close();
        await survivor.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
