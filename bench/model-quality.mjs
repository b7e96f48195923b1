#!/usr/bin/env node
// Quality of the embedded model's teacher samples, measured with the TypeScript stack
// (runtime-node + metrics): class accuracy under the feature network and FID against the
// test-set statistics, DDIM-T at a guidance scale, plus a 10x10 grid (one row per class).
//
//   node bench/model-quality.mjs [--steps 100] [--per-class 50] [--guidance 2] [--write]
//
// --write puts the figures into packages/model-fashion/README.md (between the quality markers)
// and the grid into packages/model-fashion/samples-grid.png.
import { readFile, writeFile, rename } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, createSessionFactory, saveImageGrid } from '@flexiffusion/runtime-node';
import { OnnxFeatureExtractor, fashionPreset, featureStats, fid, deserializeStats } from '@flexiffusion/metrics';
import { fullSchedule } from '@flexiffusion/schedule';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '100' },
    'per-class': { type: 'string', default: '50' },
    guidance: { type: 'string' },
    seed: { type: 'string', default: '0' },
    write: { type: 'boolean', default: false },
  },
});
const T = Number(values.steps);
const perClass = Number(values['per-class']);
const model = await loadModel('fashion', { threads: cpus().length });
const m = model.manifest;
const guidance = values.guidance !== undefined ? Number(values.guidance) : m.conditioning.defaultGuidanceScale;
const n = perClass * 10;
const labels = Array.from({ length: n }, (_, i) => Math.floor(i / perClass));
const seeds = Array.from({ length: n }, (_, i) => Number(values.seed) + i);
let lastPct = -1;
const t0 = performance.now();
const { samples, shape } = await model.generate({
  schedule: fullSchedule(T),
  labels,
  seeds,
  guidanceScale: guidance,
  batchSize: 50,
  onProgress: (e) => {
    const pct = Math.floor(e.fraction * 100);
    if (pct !== lastPct) process.stderr.write(`\rgenerating ${(lastPct = pct)}%`);
  },
});
const genSeconds = (performance.now() - t0) / 1000;
process.stderr.write('\n');
const session = await createSessionFactory({}).create(new Uint8Array(await readFile(join(model.location, m.featureNetwork.file))));
const extractor = new OnnxFeatureExtractor(session, fashionPreset());
const out = await extractor.run(samples, shape, ['logits', 'features']);
const logits = out.logits.data;
let correct = 0;
const perClassCorrect = new Array(10).fill(0);
for (let i = 0; i < n; i++) {
  let arg = 0;
  for (let j = 1; j < 10; j++) if (logits[i * 10 + j] > logits[i * 10 + arg]) arg = j;
  if (arg === labels[i]) {
    correct++;
    perClassCorrect[labels[i]]++;
  }
}
const ref = deserializeStats(new Uint8Array(await readFile(join(model.location, m.referenceStats.file))));
const fidValue = fid(featureStats(out.features.data, 128), ref);
// FID of as many real test images against the full test set, for scale (the same estimator bias)
const refSubset = featureStats(ref.features.subarray(0, n * 128), 128);
const fidReal = fid(refSubset, ref);
const accuracy = correct / n;
const gridIdx = labels.flatMap((_, i) => (i % perClass < 10 ? [i] : []));
const per = shape[1] * shape[2] * shape[3];
const gridSamples = new Float32Array(gridIdx.length * per);
gridIdx.forEach((s, k) => gridSamples.set(samples.subarray(s * per, (s + 1) * per), k * per));
const gridPath = values.write ? join(model.location, '..', 'samples-grid.png') : 'samples-grid.png';
await saveImageGrid(gridPath, gridSamples, [gridIdx.length, ...shape.slice(1)], { ...model.imageOptions, columns: 10, padding: 2 });
const cmd = `node bench/model-quality.mjs --steps ${T} --per-class ${perClass} --guidance ${guidance}${values.write ? ' --write' : ''}`;
const md = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0].model.trim()} (CPU, onnxruntime-node), with \`${cmd}\`:`,
  '',
  '| what | value |',
  '| --- | --- |',
  `| teacher | DDIM ${T} steps (all full), guidance ${guidance}, ${n} samples (${perClass} per class, seeds ${values.seed}..${Number(values.seed) + n - 1}) |`,
  `| class accuracy (feature network's argmax = requested class) | **${(accuracy * 100).toFixed(1)}%** (per class: ${perClassCorrect.map((c) => `${Math.round((c / perClass) * 100)}`).join(' / ')} %) |`,
  `| FID against the 10,000 test images (feature network space, ${n} samples) | **${fidValue.toFixed(3)}** |`,
  `| FID of ${n} real test images against the same statistics (the small-sample floor) | ${fidReal.toFixed(3)} |`,
  `| generation time | ${genSeconds.toFixed(1)} s (${((genSeconds * 1000) / n).toFixed(0)} ms per image) |`,
  '',
  `![10×10 samples, one row per class](samples-grid.png)`,
].join('\n');
console.log(md);
if (values.write) {
  const readme = join(model.location, '..', 'README.md');
  const text = await readFile(readme, 'utf8');
  const start = '<!-- quality:start -->';
  const end = '<!-- quality:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) throw new Error(`${readme} lacks the ${start} / ${end} markers`);
  const next = `${text.slice(0, i + start.length)}\n${md}\n${text.slice(j)}`;
  await writeFile(`${readme}.tmp`, next);
  await rename(`${readme}.tmp`, readme);
  console.error(`wrote ${readme} and ${gridPath}`);
}
await model.dispose();
