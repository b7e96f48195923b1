#!/usr/bin/env node
// Per-step latency of the full step and of each branch's partial step next to their MAC ratios,
// and images/s of the teacher (DDIM-100, all full) and 2× schedules, on the embedded model.
//
//   npm run build -w @flexiffusion/schedule -w @flexiffusion/runtime -w @flexiffusion/runtime-node
//   node bench/runtime-steps.mjs [--quick] [--model fashion|DIR] [--threads N] [--batch B]
//                                [--images N] [--steps T] [--repeats R] [--ep cpu|cuda]
//
// Prints markdown tables. --quick: 8 images, 3 repeats (about half a minute on 2 cores).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { loadModel } from '@flexiffusion/runtime-node';
import { deepCacheSchedule, formatSchedule, fullSchedule, scheduleCost, uniformSchedule } from '@flexiffusion/schedule';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    model: { type: 'string', default: 'fashion' },
    threads: { type: 'string' },
    batch: { type: 'string' },
    images: { type: 'string' },
    steps: { type: 'string', default: '100' },
    repeats: { type: 'string' },
    ep: { type: 'string', default: 'cpu' },
    guidance: { type: 'string' },
  },
});

const threads = Number(args.threads ?? availableParallelism());
const batch = Number(args.batch ?? (args.quick ? 8 : 16));
const images = Number(args.images ?? (args.quick ? 8 : 64));
const repeats = Number(args.repeats ?? (args.quick ? 3 : 10));
const T = Number(args.steps);

const t0 = performance.now();
const model = await loadModel(args.model, { executionProvider: args.ep, threads });
const loadMs = performance.now() - t0;
const guidanceScale = args.guidance !== undefined ? Number(args.guidance) : undefined;
const guided = (guidanceScale ?? model.manifest.conditioning?.defaultGuidanceScale ?? 1) !== 1;

const profile = await model.profile({ batchSize: batch, repeats, warmup: 1, guidance: guided });
const { fullMacs, partialMacs } = profile.costProfile;
const fmt = (x, d = 2) => x.toFixed(d);
const macs = (m) => (m >= 1e9 ? `${fmt(m / 1e9)} G` : `${fmt(m / 1e6, 1)} M`);

console.log(`## Step kinds — model "${model.manifest.name}", ${args.ep}, ${threads} thread(s), batch ${batch}${guided ? ` (network batch ${profile.networkBatch} with guidance)` : ''}\n`);
console.log('| step | MACs / sample | MAC ratio | latency / step (ms) | latency ratio | ms / image-step |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
console.log(`| full | ${macs(fullMacs)} | 1.00 | ${fmt(profile.latencyMs.full)} | 1.00 | ${fmt(profile.perSampleMs.full, 3)} |`);
partialMacs.forEach((m, b) => {
  console.log(
    `| partial b=${b} | ${macs(m)} | ${fmt(m / fullMacs)} | ${fmt(profile.latencyMs.partial[b])} | ${fmt(profile.latencyMs.partial[b] / profile.latencyMs.full)} | ${fmt(profile.perSampleMs.partial[b], 3)} |`,
  );
});

// the teacher, exact 2× by null steps (DDIM-50 on the 100-step grid), and the DeepCache uniform
// schedule whose MAC speed-up is closest to 2
const candidates = [];
for (const N of [2, 3, 4, 5]) for (let b = 0; b < partialMacs.length; b++) candidates.push({ N, b, s: deepCacheSchedule(T, N, b) });
const deep = candidates
  .map((x) => ({ ...x, c: scheduleCost(x.s, profile.costProfile) }))
  .sort((a, b) => Math.abs(a.c.speedup - 2) - Math.abs(b.c.speedup - 2))[0];
const schedules = [
  { name: `teacher DDIM-${T}`, schedule: fullSchedule(T) },
  { name: `2× null steps (DDIM-${T / 2})`, schedule: uniformSchedule(T, Math.floor(T / 2)) },
  ...(deep ? [{ name: `DeepCache N=${deep.N} b=${deep.b} (\`${formatSchedule(deep.s).slice(0, 14)}…\`)`, schedule: deep.s }] : []),
];

console.log(`\n## Images/s — ${images} images, batch ${batch}, T = ${T}\n`);
console.log('| schedule | MAC speed-up | seconds | images/s | measured speed-up |');
console.log('| --- | ---: | ---: | ---: | ---: |');
const labels = Array.from({ length: images }, (_, i) => i % (model.manifest.conditioning?.numClasses ?? 1));
let base;
// warm-up: every session (full and each partial) once at the measured batch size
await model.generate({
  schedule: ['F', ...partialMacs.map((_, b) => `P${b}`)].join(' '),
  seeds: Array.from({ length: Math.min(batch, images) }, (_, i) => i),
  ...(model.manifest.unet.inputs.classLabels ? { labels: labels.slice(0, Math.min(batch, images)) } : { count: Math.min(batch, images) }),
  batchSize: batch,
  ...(guidanceScale !== undefined ? { guidanceScale } : {}),
});
for (const { name, schedule } of schedules) {
  const cost = scheduleCost(schedule, profile.costProfile);
  const opts = { schedule, seeds: labels.map((_, i) => i), batchSize: batch, ...(model.manifest.unet.inputs.classLabels ? { labels } : { count: images }) };
  if (guidanceScale !== undefined) opts.guidanceScale = guidanceScale;
  const s0 = performance.now();
  await model.generate(opts);
  const sec = (performance.now() - s0) / 1000;
  base ??= sec;
  console.log(`| ${name} | ${fmt(cost.speedup)} | ${fmt(sec)} | ${fmt(images / sec)} | ${fmt(base / sec)} |`);
}
console.log(`\nModel load (cut + MAC probe + sessions): ${fmt(loadMs, 0)} ms. Node ${process.version}.`);
await model.dispose();
