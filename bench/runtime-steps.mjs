#!/usr/bin/env node
// Per-step latency of the full step and of each branch's partial step next to their MAC ratios,
// and images/s of the teacher (DDIM-100, all full) and 2× schedules, on the embedded model.
//
//   npm run build -w @flexiffusion/schedule -w @flexiffusion/runtime -w @flexiffusion/runtime-node
//   node bench/runtime-steps.mjs [--quick] [--model fashion|DIR] [--threads N] [--batch B]
//                                [--images N] [--steps T] [--repeats R] [--ep cpu|cuda]
//
// Prints markdown tables. --quick: 8 images, 3 repeats (about half a minute on 2 cores).
// --torch: also time the same full/null schedules in eager PyTorch (Debian python3-torch, the same
// weights from tools/model-fashion/weights/unet-ema.pt) and report onnxruntime-node's speed-up.
// --write: put the tables into docs/benchmarks.md (section "runtime-steps").
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeSection } from './lib-benchmarks-md.mjs';
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
    torch: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const out = [];
const say = (line = '') => {
  console.log(line);
  out.push(line);
};

const threads = Number(args.threads ?? availableParallelism());
const batch = Number(args.batch ?? (args.quick ? 8 : 16));
const images = Number(args.images ?? (args.quick ? 8 : 64));
const repeats = Number(args.repeats ?? (args.quick ? 3 : 10));
const T = Number(args.steps);

const t0 = performance.now();
const model = await loadModel(args.model, { device: args.ep, threads });
const loadMs = performance.now() - t0;
const guidanceScale = args.guidance !== undefined ? Number(args.guidance) : undefined;
const guided = (guidanceScale ?? model.manifest.conditioning?.defaultGuidanceScale ?? 1) !== 1;

const profile = await model.profile({ batchSize: batch, repeats, warmup: 1, guidance: guided });
const { fullMacs, partialMacs } = profile.costProfile;
const fmt = (x, d = 2) => x.toFixed(d);
const macs = (m) => (m >= 1e9 ? `${fmt(m / 1e9)} G` : `${fmt(m / 1e6, 1)} M`);

say(
  `### Step kinds — model "${model.manifest.name}", ${args.ep}, ${threads} thread(s), batch ${batch}${guided ? ` (network batch ${profile.networkBatch} with guidance)` : ''}\n`,
);
say('| step | MACs / sample | MAC ratio | latency / step (ms) | latency ratio | ms / image-step |');
say('| --- | ---: | ---: | ---: | ---: | ---: |');
say(`| full | ${macs(fullMacs)} | 1.00 | ${fmt(profile.latencyMs.full)} | 1.00 | ${fmt(profile.perSampleMs.full, 3)} |`);
partialMacs.forEach((m, b) => {
  say(
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

say(`\n### Images/s — ${images} images, batch ${batch}, T = ${T}\n`);
say('| schedule | MAC speed-up | seconds | images/s | measured speed-up |');
say('| --- | ---: | ---: | ---: | ---: |');
const labels = Array.from({ length: images }, (_, i) => i % (model.manifest.conditioning?.numClasses ?? 1));
let base;
const timings = [];
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
  const opts = {
    schedule,
    seeds: labels.map((_, i) => i),
    batchSize: batch,
    ...(model.manifest.unet.inputs.classLabels ? { labels } : { count: images }),
  };
  if (guidanceScale !== undefined) opts.guidanceScale = guidanceScale;
  const s0 = performance.now();
  await model.generate(opts);
  const sec = (performance.now() - s0) / 1000;
  base ??= sec;
  timings.push({ name, schedule, sec });
  say(`| ${name} | ${fmt(cost.speedup)} | ${fmt(sec)} | ${fmt(images / sec)} | ${fmt(base / sec)} |`);
}
say(`\nModel load (cut + MAC probe + sessions): ${fmt(loadMs, 0)} ms. Node ${process.version}.`);
if (args.torch) {
  const plain = timings.filter((t) => !formatSchedule(t.schedule).includes('P'));
  const script = fileURLToPath(new URL('./torch-steps.py', import.meta.url));
  const g = guidanceScale ?? model.manifest.conditioning?.defaultGuidanceScale ?? 1;
  const r = spawnSync(
    '/usr/bin/python3',
    [
      script,
      '--threads',
      String(threads),
      '--batch',
      String(batch),
      '--images',
      String(images),
      '--guidance',
      String(g),
      '--schedules',
      JSON.stringify(plain.map((t) => formatSchedule(t.schedule))),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`torch-steps.py failed: ${r.stderr}`);
  const torch = JSON.parse(r.stdout.trim().split('\n').at(-1));
  say(
    `\n### onnxruntime-node vs eager PyTorch ${torch.torch} (same weights, ${threads} thread(s), batch ${batch}, ${images} images, guidance ${g})\n`,
  );
  say('| schedule | PyTorch (s) | onnxruntime-node (s) | onnxruntime-node speed-up |');
  say('| --- | ---: | ---: | ---: |');
  plain.forEach((t, i) =>
    say(`| ${t.name} | ${fmt(torch.results[i].seconds)} | ${fmt(t.sec)} | ${fmt(torch.results[i].seconds / t.sec)}× |`),
  );
}
await model.dispose();
if (args.write) {
  const command = `node bench/runtime-steps.mjs ${process.argv.slice(2).join(' ')}`;
  await writeSection('runtime-steps', 'Engine: step latencies, images/s, PyTorch comparison', out.join('\n'), command);
  console.error('wrote docs/benchmarks.md (runtime-steps)');
}
