#!/usr/bin/env node
// Quality gates of the embedded text-to-image model (@flexiffusion/model-fashion-sd), measured with
// the TypeScript stack (runtime-node + metrics) on the default prompt set:
//   - the teacher (DDIM-T, all full, the model's default guidance): class accuracy (the fashion
//     feature network's argmax = the prompt's class), brightness and size accuracy (the written
//     attribute rules), FID of the decoded samples against the 10,000 test images, CLIP score
//     (the judge CLIP) of samples with their prompts;
//   - real test images with their own captions (from the same rules): CLIP score, FID floor;
//   - the VAE: reconstruction PSNR and FID of reconstructed test images;
//   - the pixel model (@flexiffusion/model-fashion) teacher at the same N: its FID, for the "within 2×" gate;
//   - a 10×10 grid, one row per prompt.
//
//   npm run build && node bench/model-fashion-sd-quality.mjs [--samples 2000] [--steps 50] [--guidance G] [--write]
//
// --write puts the table into packages/model-fashion-sd/README.md (between the quality markers)
// and the grid into packages/model-fashion-sd/samples-grid.png. Needs Debian's
// dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, or --data DIR) for the real images.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import {
  deserializeStats,
  fashionPreset,
  featureStats,
  fid,
  OnnxFeatureExtractor,
  parsePromptAttributeRules,
  psnr,
  scorePromptAdherence,
  toUint8Images,
} from '@flexiffusion/metrics';
import { fashionSdAttributes, fashionSdModelDir, fashionSdPrompts } from '@flexiffusion/model-fashion-sd';
import { createSessionFactory, loadModel, saveImageGrid } from '@flexiffusion/runtime-node';
import { fullSchedule } from '@flexiffusion/schedule';
import * as ort from 'onnxruntime-node';
import { openFashionSdJudge } from './lib-fashion-sd-judge.mjs';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '2000' },
    steps: { type: 'string', default: '50' },
    guidance: { type: 'string' },
    'pixel-guidance': { type: 'string' },
    'real-images': { type: 'string', default: '2000' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    write: { type: 'boolean', default: false },
  },
});
const N = Number(values.samples);
const T = Number(values.steps);
const nReal = Number(values['real-images']);
const threads = cpus().length;
const dataDir = values.data;

function idx(file) {
  const b = gunzipSync(readFileSync(join(dataDir, file)));
  const dims = b.readUInt8(3);
  const off = 4 + 4 * dims;
  return new Uint8Array(b.buffer, b.byteOffset + off, b.length - off);
}
const testImages = idx('t10k-images-idx3-ubyte.gz');
const testLabels = idx('t10k-labels-idx1-ubyte.gz');
/** 28×28 uint8 → 32×32 in [-1, 1], padded with −1 (the models' sample space). */
function toSampleSpace(u8, n) {
  const x = new Float32Array(n * 1024).fill(-1);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) x[i * 1024 + (r + 2) * 32 + c + 2] = (u8[i * 784 + r * 28 + c] / 255) * 2 - 1;
  return x;
}

const progress = (label) => {
  let last = -1;
  return (e) => {
    if (e.phase !== 'sample') return; // decode events have their own fraction
    const pct = Math.floor(e.fraction * 100);
    if (pct !== last) process.stderr.write(`\r${label} ${(last = pct)}%`);
  };
};

const model = await loadModel('fashion-sd', { threads });
const m = model.manifest;
const guidance = values.guidance !== undefined ? Number(values.guidance) : m.conditioning.defaultGuidanceScale;
const prompts = fashionSdPrompts();
const rules = parsePromptAttributeRules(fashionSdAttributes());
const samplePrompts = Array.from({ length: N }, (_, i) => prompts[i % prompts.length]);
const seeds = Array.from({ length: N }, (_, i) => i);

// ---- teacher samples
let t0 = performance.now();
const gen = await model.generate({
  schedule: fullSchedule(T),
  prompts: samplePrompts,
  seeds,
  guidanceScale: guidance,
  batchSize: 50,
  onProgress: progress(`fashion-sd DDIM-${T} w=${guidance}`),
});
const genSeconds = (performance.now() - t0) / 1000;
process.stderr.write('\n');
const featureSession = await createSessionFactory({ threads }).create(
  new Uint8Array(await readFile(join(model.location, m.featureNetwork.file))),
);
const extractor = new OnnxFeatureExtractor(featureSession, fashionPreset());
const ref = deserializeStats(new Uint8Array(await readFile(join(model.location, m.referenceStats.file))));
const run = async (x, n) => extractor.run(x, [n, 1, 32, 32], ['logits', 'features']);
const argmax = (logits, n) =>
  Array.from({ length: n }, (_, i) => {
    let a = 0;
    for (let j = 1; j < 10; j++) if (logits[i * 10 + j] > logits[i * 10 + a]) a = j;
    return a;
  });
const out = await run(gen.samples, N);
const predicted = argmax(out.logits.data, N);
const adherence = scorePromptAdherence(toUint8Images(gen.samples, gen.shape, [-1, 1], m.image.crop), samplePrompts, rules, predicted);
const fidTeacher = fid(featureStats(out.features.data, 128), ref);
const judge = await openFashionSdJudge(model, { threads });
const clipTeacher = await judge.score(gen.samples, gen.shape, samplePrompts);

// ---- real test images: captions from the rules, CLIP score; FID floor at N; real class accuracy
const realX = toSampleSpace(testImages, nReal);
const realU8 = toUint8Images(realX, [nReal, 1, 32, 32], [-1, 1], m.image.crop);
const realCaptions = realU8.map((u, i) => {
  const c = rules.classes[testLabels[i]];
  let n = 0;
  let s = 0;
  for (const v of u) {
    if (v > rules.foregroundThreshold) {
      n++;
      s += v;
    }
  }
  const b = n > 0 ? s / n : 0;
  const bw = rules.brightnessWords[b < c.brightnessMedian ? 0 : 1];
  const sw = rules.sizeWords[n / u.length < c.areaMedian ? 0 : 1];
  return `a photo of a ${sw} ${bw} ${c.name}`.replace(/ a ([aeiou])/, ' an $1');
});
const clipReal = await judge.score(realX, [nReal, 1, 32, 32], realCaptions);
const realOut = await run(realX, nReal);
const realAcc = argmax(realOut.logits.data, nReal).filter((p, i) => p === testLabels[i]).length / nReal;
const fidFloor = fid(featureStats(ref.features.subarray(0, N * 128), 128), ref);

// ---- VAE reconstruction of the same real images
const opts = { executionProviders: ['cpu'], intraOpNumThreads: threads };
const enc = await ort.InferenceSession.create(join(model.location, 'vae_encoder', 'model.onnx'), opts);
const dec = await ort.InferenceSession.create(join(model.location, 'vae_decoder', 'model.onnx'), opts);
const recon = new Float32Array(realX.length);
for (let i = 0; i < nReal; i += 100) {
  const k = Math.min(100, nReal - i);
  const z = (await enc.run({ sample: new ort.Tensor('float32', realX.slice(i * 1024, (i + k) * 1024), [k, 1, 32, 32]) })).latent_sample;
  const r = (await dec.run({ latent_sample: z })).sample;
  recon.set(r.data, i * 1024);
}
const crop = (x, n) => toUint8Images(x, [n, 1, 32, 32], [-1, 1], m.image.crop);
const flat = (list) => Float64Array.from(list.flatMap((u) => [...u]));
const vaePsnr = psnr(flat(crop(recon, nReal)), flat(realU8), { dataRange: 255, samples: nReal }).mean; // mean of per-image PSNR
const reconOut = await run(recon, nReal);
const fidRecon = fid(featureStats(reconOut.features.data, 128), ref);
const fidRealN = fid(featureStats(realOut.features.data, 128), ref);

// ---- the pixel model's teacher at the same N
const pixel = await loadModel('fashion', { threads });
const pixelGuidance =
  values['pixel-guidance'] !== undefined ? Number(values['pixel-guidance']) : pixel.manifest.conditioning.defaultGuidanceScale;
t0 = performance.now();
const pgen = await pixel.generate({
  schedule: fullSchedule(T),
  labels: seeds.map((i) => i % 10),
  seeds,
  guidanceScale: pixelGuidance,
  batchSize: 50,
  onProgress: progress(`fashion DDIM-${T} w=${pixelGuidance}`),
});
const pixelSeconds = (performance.now() - t0) / 1000;
process.stderr.write('\n');
const fidPixel = fid(featureStats((await run(pgen.samples, N)).features.data, 128), ref);
await pixel.dispose();

// ---- grid: 10 prompts × 10 seeds
const gridPrompts = [
  'a photo of a dark t-shirt',
  'a photo of a light trouser',
  'a photo of a small pullover',
  'a photo of a large dress',
  'a photo of a small dark coat',
  'a photo of a light sandal',
  'a photo of a large light shirt',
  'a photo of a dark sneaker',
  'a photo of a small bag',
  'a photo of a large dark ankle boot',
];
const grid = await model.generate({
  schedule: fullSchedule(T),
  prompts: gridPrompts.flatMap((p) => Array(10).fill(p)),
  seeds: Array.from({ length: 100 }, (_, i) => 100000 + i),
  guidanceScale: guidance,
  batchSize: 50,
});
const gridPath = values.write ? join(fashionSdModelDir(), '..', 'samples-grid.png') : 'fashion-sd-grid.png';
await saveImageGrid(gridPath, grid.samples, grid.shape, { ...model.imageOptions, columns: 10, padding: 2 });
await model.dispose();

const folderBytes = (d) =>
  readdirSync(d, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? folderBytes(join(d, e.name)) : statSync(join(d, e.name)).size),
    0,
  );
const modelMB = folderBytes(fashionSdModelDir()) / 1e6;
const pct = (x) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const gate = (ok) => (ok ? 'pass' : '**fail**');
const a = adherence;
const cmd = `node bench/model-fashion-sd-quality.mjs --samples ${N} --steps ${T} --guidance ${guidance}${values.write ? ' --write' : ''}`;
const md = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${threads} × ${cpus()[0].model.trim()} (CPU, onnxruntime-node), with \`${cmd}\`.`,
  `Teacher: DDIM-${T} (all full), guidance ${guidance}, ${N} samples (seeds 0..${N - 1}; sample i uses prompt i mod ${prompts.length} of the default prompt set).`,
  '',
  '| gate | measured | target | |',
  '| --- | --- | --- | --- |',
  `| class accuracy (feature network's argmax = the prompt's class) | **${pct(a.classAccuracy.accuracy)}** (${a.classAccuracy.correct}/${a.classAccuracy.total}) | ≥ 90% | ${gate(a.classAccuracy.accuracy >= 0.9)} |`,
  `| brightness accuracy (the rule, for the prompt's class) | **${pct(a.brightnessAccuracy.accuracy)}** (${a.brightnessAccuracy.correct}/${a.brightnessAccuracy.total}) | ≥ 80% | ${gate(a.brightnessAccuracy.accuracy >= 0.8)} |`,
  `| size accuracy (the rule, for the prompt's class) | **${pct(a.sizeAccuracy.accuracy)}** (${a.sizeAccuracy.correct}/${a.sizeAccuracy.total}) | ≥ 80% | ${gate(a.sizeAccuracy.accuracy >= 0.8)} |`,
  `| FID of decoded samples vs the 10,000 test images (fashion feature network, N = ${N}) | **${fidTeacher.toFixed(3)}** | ≤ 2 × the pixel model's (${(2 * fidPixel).toFixed(3)}) | ${gate(fidTeacher <= 2 * fidPixel)} |`,
  `| the pixel model's teacher FID (model-fashion, DDIM-${T}, guidance ${pixelGuidance}, same N and seeds) | ${fidPixel.toFixed(3)} | | |`,
  `| CLIP score (judge CLIP) of samples with their prompts | **${clipTeacher.toFixed(2)}** | report | |`,
  `| CLIP score of ${nReal} real test images with their own captions ("a photo of a {size} {brightness} {class}" by the rules) | ${clipReal.toFixed(2)} | report | |`,
  `| VAE reconstruction PSNR (mean over ${nReal} test images, 28×28 uint8) | ${vaePsnr.toFixed(2)} dB | report | |`,
  `| VAE reconstruction FID (the ${nReal} reconstructions vs the 10,000 test images) | ${fidRecon.toFixed(3)} (the same ${nReal} real images: ${fidRealN.toFixed(3)}) | report | |`,
  `| FID of ${N} real test images vs the same statistics (the small-sample floor) | ${fidFloor.toFixed(3)} | | |`,
  `| class accuracy of the feature network on ${nReal} real test images | ${pct(realAcc)} | | |`,
  `| generation time (${N} samples, CFG batch of 2 × 50) | ${genSeconds.toFixed(1)} s (${((genSeconds * 1000) / N).toFixed(1)} ms per image; the pixel model: ${((pixelSeconds * 1000) / N).toFixed(1)} ms) | | |`,
  `| size of the model folder (every file in model/) | ${modelMB.toFixed(1)} MB | < 30 MB | ${gate(modelMB < 30)} |`,
  '',
  `![10×10 teacher samples, one row per prompt](samples-grid.png)`,
  '',
  `Rows, top to bottom: ${gridPrompts.map((p) => `"${p}"`).join(', ')}.`,
].join('\n');
console.log(md);
if (values.write) {
  const readme = join(fashionSdModelDir(), '..', 'README.md');
  const text = await readFile(readme, 'utf8');
  const start = '<!-- quality:start -->';
  const end = '<!-- quality:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) throw new Error(`${readme} lacks the ${start} / ${end} markers`);
  await writeFile(`${readme}.tmp`, `${text.slice(0, i + start.length)}\n${md}\n${text.slice(j)}`);
  await rename(`${readme}.tmp`, readme);
  console.error(`wrote ${readme} and ${gridPath}`);
}
