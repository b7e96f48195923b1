#!/usr/bin/env node
// Does a per-step latency profile predict the wall time of mixed schedules on fashion-sd?
// Times (whole pipeline, 32 samples, best of 3, alternated) homogeneous schedules for the profile
// and mixed ones (full steps that fill the cache between partial steps that read it), then prints
// each schedule's measured time per sample next to the profile's prediction.
//
//   node bench/latency-probe.mjs [--threads 2] [--write]   (--write: section latency-probe of docs/benchmarks.md)
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fashionSdPrompts } from '@flexiffusion/model-fashion-sd';
import { loadModel } from '@flexiffusion/runtime-node';
import { parseSchedule } from '@flexiffusion/schedule';
import { shellQuote, writeSection } from './lib-benchmarks-md.mjs';

const { values: args } = parseArgs({ options: { threads: { type: 'string' }, write: { type: 'boolean', default: false } } });
const threads = Number(args.threads ?? cpus().length);
const model = await loadModel('fashion-sd', { threads });
const prompts = fashionSdPrompts();
const ids = Array.from({ length: 32 }, (_, i) => i);
const settings = { guidanceScale: model.manifest.conditioning.defaultGuidanceScale, sampler: 'ddim', nullMode: 'skip', batchSize: 32 };
const T = 50;
const rep = (unit, n) => Array.from({ length: n }, () => unit).join(' ');
const schedules = {
  base: `F ${rep('N', T - 1)}`,
  full: rep('F', T),
  p0: `F ${rep('P0', T - 1)}`,
  p1: `F ${rep('P1', T - 1)}`,
  'F P0 alternating': rep('F P0', T / 2),
  'F P0 P0 N N': rep('F P0 P0 N N', T / 5),
  'F P1 N N N': rep('F P1 N N N', T / 5),
  'F N alternating': rep('F N', T / 2),
};
const ms = Object.fromEntries(Object.keys(schedules).map((k) => [k, Number.POSITIVE_INFINITY]));
await model.generate({ schedule: parseSchedule(schedules.full), seeds: ids.slice(0, 4), prompts: prompts.slice(0, 4), ...settings });
for (let r = 0; r < 3; r++)
  for (const [k, text] of Object.entries(schedules)) {
    const t0 = performance.now();
    await model.generate({ schedule: parseSchedule(text), seeds: ids, prompts: ids.map((i) => prompts[i % prompts.length]), ...settings });
    ms[k] = Math.min(ms[k], (performance.now() - t0) / ids.length);
  }
const f = (ms.full - ms.base) / (T - 1);
const p = [(ms.p0 - ms.base) / (T - 1) / f, (ms.p1 - ms.base) / (T - 1) / f];
const lines = [
  `Does a per-step latency profile (from homogeneous schedules: \`F N…\`, \`F F…\`, \`F P0…\`, \`F P1…\`) predict the wall time of mixed schedules on @flexiffusion/model-fashion-sd? Whole pipeline (text encoder, ${T} DDIM steps, VAE), 32 samples, guidance ${settings.guidanceScale}, onnxruntime-node CPU, ${threads} thread(s); every schedule timed 3 times in alternation, best kept. Profile: a full step costs ${f.toFixed(3)} ms per sample; partial P0 ${p[0].toFixed(2)}, P1 ${p[1].toFixed(2)} of a full step. Predicted: the \`F N…\` time minus one full step, plus the profile's cost of every step.`,
  '',
  '| schedule | measured ms / sample | predicted by the profile | measured / predicted |',
  '| --- | ---: | ---: | ---: |',
];
for (const [k, text] of Object.entries(schedules)) {
  const steps = parseSchedule(text).segments.flat();
  let pred = ms.base - f; // the first step and everything outside the loop
  for (const s of steps) pred += s.kind === 'full' ? f : s.kind === 'partial' ? p[s.branch] * f : 0;
  lines.push(`| ${k} | ${ms[k].toFixed(2)} | ${pred.toFixed(2)} | ${(ms[k] / pred).toFixed(3)} |`);
}
console.log(lines.join('\n'));
if (args.write)
  await writeSection(
    'latency-probe',
    'Latency profile check on fashion-sd: mixed schedules against the per-step profile',
    lines.join('\n'),
    `node bench/latency-probe.mjs ${process.argv.slice(2).map(shellQuote).join(' ')}`,
  );
await model.dispose();
