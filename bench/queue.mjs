#!/usr/bin/env node
// The search on a queue (@flexiffusion/queue on a throwaway redis-server): what the queue itself
// costs per job, and how a fixed round of 16 candidates scales from a local run to 1 and 2 worker
// processes with one onnxruntime thread each, on the embedded model.
//
//   npm run build      (or: turbo run build --filter=@flexiffusion/queue --filter=@flexiffusion/runtime-node)
//   node bench/queue.mjs [--part overhead|scaling|all] [--rounds R] [--samples N] [--steps T] [--write]
//
// overhead: 1 worker process with a trivial evaluation function (the synthetic model of
//   @flexiffusion/queue/testing, ~0.1 ms a job): R rounds of 16 new jobs (new seeds each round);
//   the queue's cost per job is the round's wall time / 16 minus the local per-job time. ~10 s.
// scaling: the same 16 candidates (T-step schedules of >= 2x MAC speed-up) evaluated locally in
//   this process (1 thread), then by 1 and by 2 worker processes (1 thread each); the teacher job
//   runs first and is not timed. With --samples 32 --steps 20 about 2-3 minutes on 2 cores.
// --write: put the tables into docs/benchmarks.md (section "queue").
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fashionPreset, OnnxFeatureExtractor } from '@flexiffusion/metrics';
import { createQueueEvaluator, createQueueWorker } from '@flexiffusion/queue';
import { startRedisServer, syntheticModel } from '@flexiffusion/queue/testing';
import { createRng, createSearchSpace, formatSchedule, fullSchedule, parseSchedule, scheduleCost } from '@flexiffusion/schedule';
import { writeSection } from './lib-benchmarks-md.mjs';

const { values: args } = parseArgs({
  options: {
    part: { type: 'string', default: 'all' },
    rounds: { type: 'string', default: '10' },
    samples: { type: 'string', default: '32' },
    steps: { type: 'string', default: '20' },
    write: { type: 'boolean', default: false },
    // internal: run as a worker process
    worker: { type: 'string' },
    url: { type: 'string' },
    queue: { type: 'string' },
  },
});
const ROUND = 16;
const SCRIPT = fileURLToPath(import.meta.url);

/** The embedded model as a worker's evaluation function (1 onnxruntime thread): generate, then extract features. */
async function fashionEvaluate() {
  const { loadModel } = await import('@flexiffusion/runtime-node');
  const model = await loadModel('fashion', { device: 'cpu', threads: 1 });
  const fn = model.manifest.featureNetwork;
  const session = await model.backend.sessions.create(new Uint8Array(await readFile(join(model.location, fn.file))), { label: 'features' });
  const { range = [-1, 1], crop } = model.imageOptions;
  const extractor = new OnnxFeatureExtractor(
    session,
    fashionPreset({
      id: 'fashion-features',
      input: fn.input,
      output: fn.features,
      dim: fn.dim,
      preprocess: { ...(crop ? { crop } : {}), range: { from: range, to: [0, 1], clamp: true } },
    }),
  );
  const evaluate = async ({ job, schedule }) => {
    const t0 = performance.now();
    const s = job.sampler;
    const r = await model.generate({
      schedule,
      seeds: job.seeds,
      labels: job.labels,
      sampler: s.sampler,
      nullMode: s.nullMode,
      batchSize: s.batchSize,
      guidanceScale: s.guidance,
    });
    const t1 = performance.now();
    const features = await extractor.extract(r.samples, r.shape);
    return { features, images: { data: r.samples, dims: r.shape }, generateMs: t1 - t0, extractMs: performance.now() - t1 };
  };
  return { model, extractor, evaluate };
}

if (args.worker) {
  // a worker process: synthetic (the trivial evaluation) or fashion
  const { evaluate, model } = args.worker === 'fashion' ? await fashionEvaluate() : { evaluate: syntheticModel({ dim: 8 }).evaluate };
  const worker = await createQueueWorker({ connection: args.url, queueName: args.queue, model: args.worker, backend: 'cpu', evaluate });
  process.stdout.write('ready\n');
  process.on(
    'SIGTERM',
    () =>
      void worker
        .close()
        .then(() => model?.dispose())
        .then(() => process.exit(0)),
  );
  await worker.closed;
  process.exit(0);
}

const out = [];
const say = (line = '') => {
  console.log(line);
  out.push(line);
};

/** Start `n` worker processes of `kind` on `queue`; resolves once they are connected. */
async function startWorkers(n, kind, url, queue) {
  const procs = [];
  for (let i = 0; i < n; i++) {
    const p = spawn(process.execPath, [SCRIPT, '--worker', kind, '--url', url, '--queue', queue], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(p);
    await new Promise((resolve, reject) => {
      p.stdout.on('data', (d) => d.toString().includes('ready') && resolve());
      p.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  }
  return async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))));
  };
}

const redis = await startRedisServer();
const fmt = (x, d = 1) => x.toFixed(d);
let queues = 0;
try {
  if (args.part === 'all' || args.part === 'overhead') {
    const rounds = Number(args.rounds);
    const synth = syntheticModel({ dim: 8 });
    const teacher = fullSchedule(8);
    const space = createSearchSpace({ steps: 8, segmentLengths: [2, 4], branches: 2 });
    const rng = createRng(1);
    const candidates = Array.from({ length: ROUND }, () => space.sample(rng));
    const queue = `overhead-${++queues}`;
    const stop = await startWorkers(1, 'synthetic', redis.url, queue);
    let queueMs = 0;
    let localMs = 0;
    try {
      for (let r = 0; r <= rounds; r++) {
        const seeds = Array.from({ length: 16 }, (_, i) => 1000 * r + i); // new seeds: new job ids, nothing cached
        const ev = await createQueueEvaluator({
          connection: redis.url,
          queueName: queue,
          model: 'synthetic',
          teacher,
          sampler: null,
          seeds,
          extractor: synth.extractor,
          pollMs: 1000,
        });
        await ev.teacherStats();
        const t0 = performance.now();
        await ev.evaluate(candidates);
        const t1 = performance.now();
        for (const s of candidates)
          await synth.evaluate({ job: { seeds, dim: 8 }, schedule: s, wantImages: true, signal: new AbortController().signal });
        const t2 = performance.now();
        await ev.close();
        if (r > 0) {
          // round 0 warms up connections and code
          queueMs += t1 - t0;
          localMs += t2 - t1;
        }
      }
    } finally {
      await stop();
    }
    const perJob = queueMs / (rounds * ROUND);
    const localPerJob = localMs / (rounds * ROUND);
    say('### Queue overhead per job (trivial evaluation)\n');
    say(
      `${rounds} rounds of ${ROUND} new jobs, 1 worker process, Redis on 127.0.0.1; the evaluation itself takes ${fmt(localPerJob, 2)} ms a job.\n`,
    );
    say('| | ms / job |');
    say('| --- | ---: |');
    say(`| round wall time / ${ROUND} | ${fmt(perJob, 2)} |`);
    say(`| **queue overhead** (minus the evaluation) | **${fmt(perJob - localPerJob, 2)}** |`);
    say('');
  }
  if (args.part === 'all' || args.part === 'scaling') {
    const T = Number(args.steps);
    const n = Number(args.samples);
    const { model, extractor, evaluate } = await fashionEvaluate();
    const profile = model.costProfile;
    const space = createSearchSpace({ steps: T, segmentLengths: [4, 5].filter((l) => T % l === 0), branches: model.branches });
    const rng = createRng(7);
    const picked = new Map();
    for (let tries = 0; picked.size < ROUND && tries < 10_000; tries++) {
      const s = space.sample(rng);
      if (scheduleCost(s, profile).speedup >= 2) picked.set(formatSchedule(s), s);
    }
    const candidates = [...picked.values()];
    const seeds = Array.from({ length: n }, (_, i) => i);
    const numClasses = model.manifest.conditioning?.numClasses ?? 10;
    const labels = seeds.map((i) => i % numClasses);
    const sampler = { sampler: 'ddim', nullMode: 'skip', batchSize: 16, guidance: model.manifest.conditioning?.defaultGuidanceScale ?? 1 };
    const job = { seeds, labels, sampler, dim: extractor.dim };
    const signal = new AbortController().signal;
    await evaluate({ job, schedule: parseSchedule(formatSchedule(candidates[0])), wantImages: false, signal }); // warm-up
    const t0 = performance.now();
    for (const s of candidates) await evaluate({ job, schedule: s, wantImages: true, signal });
    const localMs = performance.now() - t0;
    await model.dispose();
    const rows = [{ label: 'local (this process, 1 thread)', ms: localMs }];
    for (const workers of [1, 2]) {
      const queue = `scaling-${++queues}`;
      const stop = await startWorkers(workers, 'fashion', redis.url, queue);
      try {
        const ev = await createQueueEvaluator({
          connection: redis.url,
          queueName: queue,
          model: 'fashion',
          teacher: fullSchedule(T),
          sampler,
          seeds,
          labels,
          extractor,
          costProfile: profile,
          pollMs: 1000,
        });
        await ev.teacherStats(); // not timed
        const t1 = performance.now();
        await ev.evaluate(candidates);
        rows.push({ label: `${workers} worker process${workers > 1 ? 'es' : ''} (1 thread each)`, ms: performance.now() - t1 });
        await ev.close();
      } finally {
        await stop();
      }
    }
    say(`### A round of ${ROUND} candidates on the embedded model: local vs workers\n`);
    say(
      `T = ${T} (DDIM, guidance ${sampler.guidance}, batch 16), ${n} samples per candidate, candidates of >= 2x MAC speed-up; the teacher job ran before the timing.\n`,
    );
    say('| run | round wall time (s) | s / candidate | throughput vs local |');
    say('| --- | ---: | ---: | ---: |');
    for (const r of rows) say(`| ${r.label} | ${fmt(r.ms / 1000, 2)} | ${fmt(r.ms / 1000 / ROUND, 3)} | ${fmt(localMs / r.ms, 2)}x |`);
    say('');
  }
} finally {
  await redis.stop();
}

if (args.part !== 'all') {
  say(`Only the ${args.part} part was run; \`node bench/queue.mjs --write\` measures both (the scaling part takes minutes on 2 cores).`);
}

if (args.write) {
  const argv = process.argv.slice(2).filter((a) => a !== '--write');
  await writeSection(
    'queue',
    'The search on a queue: per-job overhead and scaling with workers',
    out.join('\n'),
    `node bench/queue.mjs${argv.length ? ` ${argv.join(' ')}` : ''} --write`,
  );
  console.log('wrote docs/benchmarks.md (section "queue")');
}
