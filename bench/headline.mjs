#!/usr/bin/env node
// The headline benchmark (issue 9): Flexiffusion's evolutionary search against DDIM-k,
// DeepCache-uniform, and random / grid search with the same evaluation budget, on the embedded
// model with a DDIM-50 teacher. Every row: MAC and measured wall-clock speed-up, FID against the
// test set, its change vs the teacher, rFID, KID, class accuracy, search time.
//
//   npm run bench:headline -- [--quick] [--targets 2,3,4] [--trials 60] [--search-samples 100]
//                             [--fid-samples 5000] [--write]
//
// Everything long is cached under bench/.cache/ and resumes: searches keep their trials in a
// FileTrialStore per (searcher, target), generated features are cached per schedule in chunks of
// 100 seeds. All rows use the same seeds. --write writes docs/benchmarks.json, docs/headline.svg
// and the "headline" section of docs/benchmarks.md.
import { cpus } from 'node:os';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileTrialStore, createSessionFactory, loadModel } from '@flexiffusion/runtime-node';
import { OnnxFeatureExtractor, createMemoryStatsCache, createRfidEvaluator, deserializeStats, fashionPreset, featureStats, fid, frechetDistance, kernelInceptionDistance } from '@flexiffusion/metrics';
import { createSearchSpace, formatSchedule, fullSchedule, parseSchedule, runSearch, scheduleCost } from '@flexiffusion/schedule';
import { evolutionarySearcher } from '@flexiffusion/search-evo';
import { baselineGrid, gridSearcher } from '@flexiffusion/search-grid';
import { randomSearcher } from '@flexiffusion/search-random';
import { cachedFeatures, cacheKey } from './lib-feature-cache.mjs';
import { BENCHMARKS_MD, writeSection } from './lib-benchmarks-md.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    targets: { type: 'string' },
    trials: { type: 'string' },
    'search-samples': { type: 'string' },
    'fid-samples': { type: 'string' },
    'null-mode': { type: 'string', default: 'skip' },
    form: { type: 'string', default: 'paper' },
    write: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const T = 50;
const targets = (args.targets ?? (quick ? '2' : '2,3,4')).split(',').map(Number);
const trials = Number(args.trials ?? (quick ? 6 : 60));
const searchSamples = Number(args['search-samples'] ?? (quick ? 24 : 100));
const fidSamples = Number(args['fid-samples'] ?? (quick ? 100 : 5000));
const nullMode = args['null-mode'];
const log = (s) => process.stderr.write(`${s}\n`);
const root = join(import.meta.dirname, '.cache');

const model = await loadModel('fashion', { threads: cpus().length });
const m = model.manifest;
const guidance = m.conditioning.defaultGuidanceScale;
const settings = { guidanceScale: guidance, sampler: 'ddim', nullMode, batchSize: 50 };
const session = await createSessionFactory({}).create(new Uint8Array(await readFile(join(model.dir, m.featureNetwork.file))));
const extractor = new OnnxFeatureExtractor(session, fashionPreset());
const ref = deserializeStats(new Uint8Array(await readFile(join(model.dir, m.referenceStats.file))));
const profile = model.costProfile;
const teacher = fullSchedule(T);
const dim = extractor.dim;

// --- the evaluator every search uses (rFID at searchSamples, same seeds for all)
const seeds = Array.from({ length: searchSamples }, (_, i) => i);
const labels = seeds.map((s) => s % 10);
const evaluator = createRfidEvaluator({
  generate: async (schedule, req) => {
    const r = await model.generate({ schedule, seeds: req.seeds, labels: req.labels, ...settings, ...(req.signal ? { signal: req.signal } : {}) });
    return { data: r.samples, dims: [...r.shape] };
  },
  extractor,
  teacher,
  seeds,
  labels,
  costProfile: profile,
  cache: createMemoryStatsCache(),
  modelId: m.unet.sha256,
  sampler: settings,
});

// --- searches: evo, random, grid at each target, same budget, resumable
const space = createSearchSpace({ steps: T, segmentLengths: [2, 5, 10, 25], branches: model.branches, form: args.form });
// The grid walks a strided subset of a space without L = 2: in the full space 99.9% of the
// indices are L = 2 members (4^25 of them), nearly all below any target >= 2x, so a strided grid
// there proposes nothing. Stride: about 8 points per evaluation across the whole grid space.
const gridSpace = createSearchSpace({ steps: T, segmentLengths: [5, 10], branches: model.branches, form: args.form });
const searchers = {
  flexiffusion: () => [evolutionarySearcher(), space],
  random: () => [randomSearcher(), space],
  grid: () => [gridSearcher({ stride: gridSpace.size() / BigInt(trials * 8) + 1n }), gridSpace],
};
const found = [];
for (const target of targets) {
  for (const [name, make] of Object.entries(searchers)) {
    const [searcher, searchSpace] = make();
    const dir = join(root, 'headline', cacheKey({ name, target, trials, searchSamples, settings, space: searchSpace.describe(), unet: m.unet.sha256 }));
    await mkdir(dir, { recursive: true });
    const t0 = performance.now();
    const r = await runSearch({
      space: searchSpace, searcher, evaluator, costProfile: profile, trials, minSpeedup: target, batchSize: 4, seed: 0,
      store: new FileTrialStore(dir), meta: { searchSamples, settings },
      onProgress: (p) => log(`  ${name} ≥${target}×: ${p.evaluated}/${trials}${p.best ? ` best ${p.best.cost.speedup.toFixed(2)}× rFID ${p.best.objective.toFixed(3)}` : ''}`),
    });
    // search time: the stored trials' evaluation time (the part this run replays is not re-timed)
    const searchSeconds = r.trials.reduce((s, t) => s + t.durationMs, 0) / 1000;
    log(`${name} ≥${target}×: ${r.best?.schedule ?? 'none'} (${((performance.now() - t0) / 1000).toFixed(0)} s this run)`);
    if (r.best) found.push({ method: `${name === 'flexiffusion' ? 'Flexiffusion (evolutionary)' : `${name} search`} ≥${target}×`, schedule: parseSchedule(r.best.schedule), searchSeconds });
  }
}

// --- every row: baselines and found schedules, measured the same way
const rows = [{ method: 'teacher DDIM-50', schedule: teacher, searchSeconds: 0 }];
for (const b of baselineGrid(T, { branches: model.branches })) rows.push({ method: b.label, schedule: b.schedule, searchSeconds: 0 });
rows.push(...found);
const timeSeeds = Array.from({ length: 32 }, (_, i) => i);
const perSample = async (schedule) => {
  const opts = { schedule, seeds: timeSeeds, labels: timeSeeds.map((s) => s % 10), ...settings, batchSize: 32 };
  await model.generate(opts);
  const t0 = performance.now();
  await model.generate(opts);
  return (performance.now() - t0) / 32;
};
const teacherMs = await perSample(teacher);
const teacherF = await cachedFeatures({ dir: join(root, 'features'), model, extractor, schedule: teacher, count: fidSamples, settings, logitsName: 'logits' });
const teacherFid = fid(featureStats(teacherF.features, dim), ref);
const out = [];
for (const row of rows) {
  const f = await cachedFeatures({ dir: join(root, 'features'), model, extractor, schedule: row.schedule, count: fidSamples, settings, logitsName: 'logits', onChunk: (d, n) => log(`  ${row.method}: ${d}/${n}`) });
  const n = searchSamples * dim;
  const rfid = frechetDistance(featureStats(f.features.subarray(0, n), dim, { keepFeatures: true }), featureStats(teacherF.features.subarray(0, n), dim, { keepFeatures: true }));
  const kid = kernelInceptionDistance(f.features.subarray(0, n), teacherF.features.subarray(0, n), dim, { paired: true, subsets: 1, subsetSize: searchSamples }).mean;
  let correct = 0;
  for (let i = 0; i < fidSamples; i++) {
    let arg = 0;
    for (let j = 1; j < 10; j++) if (f.logits[i * 10 + j] > f.logits[i * 10 + arg]) arg = j;
    if (arg === i % 10) correct++;
  }
  const fidValue = fid(featureStats(f.features, dim), ref);
  const ms = row.schedule === teacher ? teacherMs : await perSample(row.schedule);
  out.push({
    method: row.method,
    schedule: formatSchedule(row.schedule),
    macSpeedup: scheduleCost(row.schedule, profile).speedup,
    wallSpeedup: teacherMs / ms,
    fid: fidValue,
    fidDegradationPct: ((fidValue - teacherFid) / teacherFid) * 100,
    rfid,
    kid,
    classAccuracy: correct / fidSamples,
    searchSeconds: row.searchSeconds,
  });
  log(`${row.method}: ${out.at(-1).macSpeedup.toFixed(2)}× MACs, ${out.at(-1).wallSpeedup.toFixed(2)}× wall, FID ${fidValue.toFixed(3)} (${out.at(-1).fidDegradationPct.toFixed(1)}%)`);
}

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const table = [
  `Teacher: the embedded model, DDIM ${T} steps (all full), guidance ${guidance}, null mode \`${nullMode}\`, space form \`${args.form}\`. FID against the 10,000 test images at ${fidSamples} samples per row (same seeds for every row); rFID and paired KID against the teacher at ${searchSamples} samples; searches: ${trials} evaluations each at rFID@${searchSamples}. Wall-clock speed-up: time per sample on 32 samples, this run, onnxruntime-node CPU.`,
  '',
  '| method | MAC speed-up | wall speed-up | FID | FID change | rFID | KID | class acc. | search (s) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...out.map((r) => `| ${r.method} | ${fmt(r.macSpeedup)} | ${fmt(r.wallSpeedup)} | ${fmt(r.fid, 3)} | ${r.fidDegradationPct >= 0 ? '+' : ''}${fmt(r.fidDegradationPct, 1)}% | ${fmt(r.rfid, 3)} | ${fmt(r.kid, 4)} | ${fmt(r.classAccuracy * 100, 1)}% | ${fmt(r.searchSeconds, 0)} |`),
  '',
  '![FID vs speed-up](headline.svg)',
].join('\n');
console.log(table);

function svg(rows) {
  const W = 720, H = 420, L = 60, R = 20, TOP = 20, B = 48;
  const xs = rows.map((r) => r.wallSpeedup);
  const ys = rows.map((r) => r.fid);
  const x0 = Math.min(1, ...xs) * 0.95, x1 = Math.max(...xs) * 1.05, y0 = 0, y1 = Math.max(...ys) * 1.1;
  const X = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - TOP - B);
  const color = (m) => (m.startsWith('Flexiffusion') ? '#c00' : m.startsWith('DDIM') ? '#1f5fbf' : m.startsWith('DeepCache') ? '#e08a00' : m.startsWith('teacher') ? '#000' : '#777');
  const pts = rows.map((r) => `<circle cx="${X(r.wallSpeedup).toFixed(1)}" cy="${Y(r.fid).toFixed(1)}" r="5" fill="${color(r.method)}"><title>${r.method}: ${r.wallSpeedup.toFixed(2)}×, FID ${r.fid.toFixed(3)}</title></circle><text x="${(X(r.wallSpeedup) + 7).toFixed(1)}" y="${(Y(r.fid) + 4).toFixed(1)}" font-size="9">${r.method.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#fff"/><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${TOP}" x2="${L}" y2="${H - B}" stroke="#333"/><text x="${(W + L) / 2}" y="${H - 12}" text-anchor="middle" font-size="12">measured wall-clock speed-up over the DDIM-${T} teacher (CPU)</text><text transform="translate(16 ${(H - B) / 2}) rotate(-90)" text-anchor="middle" font-size="12">FID vs test set (${fidSamples} samples)</text>${[x0, (x0 + x1) / 2, x1].map((v) => `<text x="${X(v)}" y="${H - B + 14}" text-anchor="middle" font-size="10">${v.toFixed(1)}×</text>`).join('')}${[y0, (y0 + y1) / 2, y1].map((v) => `<text x="${L - 4}" y="${Y(v) + 3}" text-anchor="end" font-size="10">${v.toFixed(2)}</text>`).join('')}${pts}</svg>`;
}

if (args.write) {
  const docs = join(BENCHMARKS_MD, '..');
  const json = { machine: cpus()[0].model.trim(), cores: cpus().length, teacher: `DDIM-${T}`, guidance, fidSamples, searchSamples, trials, rows: out };
  await writeFile(join(docs, 'benchmarks.json.tmp'), `${JSON.stringify(json, null, 2)}\n`);
  await rename(join(docs, 'benchmarks.json.tmp'), join(docs, 'benchmarks.json'));
  await writeFile(join(docs, 'headline.svg.tmp'), svg(out));
  await rename(join(docs, 'headline.svg.tmp'), join(docs, 'headline.svg'));
  await writeSection(quick ? 'headline-quick' : 'headline', `Headline: Flexiffusion vs DDIM-k and DeepCache${quick ? ' (quick smoke run — too few samples to mean much)' : ''}`, table, `npm run bench:headline -- ${process.argv.slice(2).join(' ')}`);
  log('wrote docs/benchmarks.json, docs/headline.svg and docs/benchmarks.md (headline)');
}
await model.dispose();
