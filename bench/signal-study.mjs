#!/usr/bin/env node
// Which cheap quality signal ranks schedules like FID@5000? (issue 19 part A item 1.) The ground
// truth is the FID against the test images at the headline's sample count, as recorded in
// docs/benchmarks.json by bench/headline.mjs (pixel model, both samplers) and by
// bench/headline-t2i.mjs (the text-to-image model, held out: nothing is tuned on it). Each
// candidate signal is computed at N samples on the same seeds (and labels / prompts) as the
// headline: the generated features are cached under bench/.cache/ like the headline's.
//
// Signals (lower = better for all): rFID@N (vs the teacher's images of the same seeds, the paper's
// signal), paired KID@N vs the teacher, −PSNR vs the teacher (pixel model only: the images are
// kept), FID vs the data at N (the model's reference statistics, paired seeds), and the mixes
// α·rFID@N + (1 − α)·(FID_data@N − the teacher's FID_data@N).
// Time of a signal: N × the row's time per sample (the teacher's measured ms per sample divided by
// the row's recorded wall-clock speed-up) + the measured metric time, against the same for
// FID@5000.
//
// --also adds the pixel rows of other headline files in docs/ (e.g. benchmarks-headline-v2.json,
// written by bench/headline.mjs --rows … --name headline-v2 with the same teacher, seeds and FID
// sample count); a schedule already listed (same sampler and schedule) is taken once.
//
// --sampled K adds K random schedules of the open space (what a random search would evaluate: full,
// partial and null steps at random places), their MAC speed-ups spread evenly over 1.2×–6×,
// alternately run with DDIM and DPM-Solver++ 2M (seeded by --seed). Their ground truth is computed
// here the way bench/headline.mjs does it (FID@5000 vs the test images, the same seeds and labels,
// features cached under bench/.cache/features, resumable, fillable side by side: --fill-only K0/K1
// fills sampled schedules K0..K1−1 and stops). Their time per sample is the teacher's divided by the
// MAC speed-up (they have no measured wall-clock speed-up).
//
//   npm run build && node bench/signal-study.mjs [--ns 32,64,128,256] [--threads N]
//        [--also benchmarks-headline-v2.json] [--sampled K] [--seed S] [--fill-only K0/K1] [--write]
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  OnnxFeatureExtractor,
  deserializeStats,
  fashionPreset,
  featureStats,
  fid,
  frechetDistance,
  kernelInceptionDistance,
  measureImageAttributes,
  parsePromptAttributeRules,
  psnr,
  toUint8Images,
} from '@flexiffusion/metrics';
import { fashionSdAttributes, fashionSdPrompts } from '@flexiffusion/model-fashion-sd';
import { createSessionFactory, loadModel } from '@flexiffusion/runtime-node';
import {
  createRng,
  createSearchSpace,
  formatSchedule,
  fullStep,
  nullStep,
  parseSchedule,
  partialStep,
  scheduleCost,
  scheduleFromSteps,
  scheduleSteps,
} from '@flexiffusion/schedule';
import { writeSection } from './lib-benchmarks-md.mjs';
import { fashionSdCacheOptions, openFashionSdJudge } from './lib-fashion-sd-judge.mjs';
import { cachedFeatures, spearman } from './lib-feature-cache.mjs';

const { values: args } = parseArgs({
  options: {
    ns: { type: 'string', default: '32,64,128,256' },
    threads: { type: 'string' },
    write: { type: 'boolean', default: false },
    also: { type: 'string', default: 'benchmarks-headline-v2.json' },
    sampled: { type: 'string', default: '0' },
    seed: { type: 'string', default: '19' },
    'fill-only': { type: 'string' },
  },
});
const ns = args.ns.split(',').map(Number);
const nMax = Math.max(...ns);
const threads = Number(args.threads ?? cpus().length);
const log = (s) => process.stderr.write(`${s}\n`);
const docs = join(import.meta.dirname, '..', 'docs');
const bench = JSON.parse(await readFile(join(docs, 'benchmarks.json'), 'utf8'));
const ALPHAS = [0.25, 0.5, 0.75];
const sampledCount = Number(args.sampled);
if (!Number.isInteger(sampledCount) || sampledCount < 0) throw new Error(`--sampled "${args.sampled}": expected a whole number ≥ 0`);
const fillOnly = args['fill-only']?.split('/').map(Number);
if (fillOnly && (fillOnly.length !== 2 || !fillOnly.every((k) => Number.isInteger(k) && k >= 0) || fillOnly[0] >= fillOnly[1]))
  throw new Error(`--fill-only "${args['fill-only']}": expected K0/K1 with 0 ≤ K0 < K1`);

/**
 * K sampled schedules of T steps, the i-th with a MAC speed-up near 1.2 + (6 − 1.2)·i/(K − 1).
 * Even i: a random open-form schedule (each step after the first full with probability pF, partial
 * with a uniform branch with probability pP, else null; (pF, pP) drawn so that the expected cost is
 * near the target, drawn again until the speed-up is within 5% of it), alternately with DDIM and
 * DPM-Solver++. Odd i: three open-space mutations (what the evolutionary search tries next) of the
 * row of docs/benchmarks.json nearest the target, with that row's sampler.
 */
function sampledSchedules(count, { T, branches, profile, seed, bases }) {
  const rng = createRng(seed);
  const space = createSearchSpace({ steps: T, segmentLengths: [5], branches, form: 'open' });
  const out = [];
  const partialCost = profile.partialMacs.reduce((s, c) => s + c, 0) / branches / profile.fullMacs;
  const taken = new Set(bases.map((b) => `${b.sampler} ${formatSchedule(scheduleFromSteps(scheduleSteps(parseSchedule(b.schedule)), 5))}`));
  for (let i = 0; i < count; i++) {
    const target = count === 1 ? 3 : 1.2 + ((6 - 1.2) * i) / (count - 1);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 100000) throw new Error(`--sampled: no schedule drawn near ${target.toFixed(2)}×`);
      let schedule;
      let sampler;
      let from;
      if (i % 2 === 1) {
        const base = bases.reduce((a, b) => (Math.abs(b.macSpeedup - target) < Math.abs(a.macSpeedup - target) ? b : a));
        schedule = scheduleFromSteps(scheduleSteps(parseSchedule(base.schedule)), 5);
        for (let k = 0; k < 3; k++) schedule = space.mutate(schedule, rng);
        sampler = base.sampler;
        from = base.method;
      } else {
        const pP = rng.next() * 0.6;
        const pF = 1 / target - pP * partialCost;
        if (pF <= 0.02) continue;
        const steps = [fullStep()];
        for (let t = 1; t < T; t++) {
          const u = rng.next();
          steps.push(u < pF ? fullStep() : u < pF + pP ? partialStep(Math.floor(rng.next() * branches)) : nullStep());
        }
        schedule = scheduleFromSteps(steps, 5);
        sampler = (i / 2) % 2 === 0 ? 'ddim' : 'dpmpp-2m';
        const speedup = scheduleCost(schedule, profile).speedup;
        if (Math.abs(speedup / target - 1) > 0.05) continue;
      }
      const key = `${sampler} ${formatSchedule(schedule)}`;
      if (taken.has(key)) continue;
      taken.add(key);
      out.push({ schedule, speedup: scheduleCost(schedule, profile).speedup, sampler, from });
      break;
    }
  }
  return out;
}

/** Every signal of one model's rows; `pixels` keeps the images for PSNR. */
async function study(name, rows, { pixels, fidSamples, cacheOptions, settingsOf, teacherMs }) {
  const model = await loadModel(name, { threads });
  const m = model.manifest;
  const session = await createSessionFactory({ threads }).create(
    new Uint8Array(await readFile(join(model.location, m.featureNetwork.file))),
  );
  const extractor = new OnnxFeatureExtractor(session, fashionPreset());
  const ref = deserializeStats(new Uint8Array(await readFile(join(model.location, m.referenceStats.file))));
  const dim = extractor.dim;
  const extra = cacheOptions ? await cacheOptions(model) : {};
  const image = pixels ? [{ name: 'image', size: 1024, compute: (r) => r.samples }] : [];
  const get = (row, count) =>
    cachedFeatures({
      dir: join(import.meta.dirname, '.cache', 'features'),
      model,
      extractor,
      schedule: parseSchedule(row.schedule),
      count,
      settings: settingsOf(row.sampler),
      logitsName: 'logits',
      ...extra,
      ...(pixels ? { extras: image } : {}),
      onChunk: (d, n) => log(`  ${name} ${row.method}: ${d}/${n}`),
    });
  // the pixel model: N ≤ nMax samples regenerated; the t2i model: the first N of the headline's
  // cache, generated here when missing
  const count = nMax;
  const teacherRow = rows.find((r) => r.method.startsWith('teacher'));
  // rows without a recorded FID (the --sampled ones): FID@fidSamples computed here, like the headline
  for (const [i, row] of rows.filter((r) => r.fid === undefined).entries()) {
    if (fillOnly && !(i >= fillOnly[0] && i < fillOnly[1])) continue;
    const f = await get(row, fidSamples);
    row.fid = fid(featureStats(f.features, dim), ref);
    log(`  ${row.method}: FID@${fidSamples} ${row.fid.toFixed(3)}`);
  }
  if (fillOnly) {
    await model.dispose();
    return undefined;
  }
  const t = await get(teacherRow, count);
  const teacherData = Object.fromEntries(ns.map((n) => [n, fid(featureStats(t.features.subarray(0, n * dim), dim), ref)]));
  const out = [];
  for (const row of rows) {
    if (row === teacherRow) continue;
    const f = await get(row, count);
    const s = { method: row.method, sampler: row.sampler, fid: row.fid, signals: {}, ms: {} };
    for (const n of ns) {
      const a = f.features.subarray(0, n * dim);
      const b = t.features.subarray(0, n * dim);
      let t0 = performance.now();
      const rfid = frechetDistance(featureStats(a, dim), featureStats(b, dim));
      const rfidMs = performance.now() - t0;
      t0 = performance.now();
      const kid = kernelInceptionDistance(a, b, dim, { paired: true, subsets: 1, subsetSize: n }).mean;
      const kidMs = performance.now() - t0;
      t0 = performance.now();
      const data = fid(featureStats(a, dim), ref);
      const dataMs = performance.now() - t0;
      const gen = n * (teacherMs / row.wallSpeedup);
      s.signals[`rfid@${n}`] = rfid;
      s.ms[`rfid@${n}`] = gen + rfidMs;
      s.signals[`kid@${n}`] = kid;
      s.ms[`kid@${n}`] = gen + kidMs;
      s.signals[`datafid@${n}`] = data;
      s.ms[`datafid@${n}`] = gen + dataMs;
      for (const al of ALPHAS) {
        s.signals[`mix${al}@${n}`] = al * rfid + (1 - al) * (data - teacherData[n]);
        s.ms[`mix${al}@${n}`] = gen + rfidMs + dataMs;
      }
      if (pixels) {
        t0 = performance.now();
        const p = psnr(f.extras.image.subarray(0, n * 1024), t.extras.image.subarray(0, n * 1024), { dataRange: 2, samples: n }).mean;
        s.signals[`psnr@${n}`] = -p;
        s.ms[`psnr@${n}`] = gen + (performance.now() - t0);
      }
    }
    s.fidMs = fidSamples * (teacherMs / row.wallSpeedup);
    out.push(s);
  }
  await model.dispose();
  return out;
}

const rho = (rows, key) =>
  spearman(
    rows.map((r) => r.signals[key]),
    rows.map((r) => r.fid),
  );
function report(title, rows, keys) {
  const ddim = rows.filter((r) => r.sampler === 'ddim');
  const other = rows.filter((r) => r.sampler !== 'ddim');
  const fidMs = rows.reduce((s, r) => s + r.fidMs, 0) / rows.length;
  const lines = [
    `**${title}** (${rows.length} schedules: ${ddim.length} DDIM, ${other.length} ${[...new Set(other.map((r) => r.sampler))].join(' / ')}).`,
    '',
    '| signal | ρ all | ρ DDIM rows | ρ other-sampler rows | mean time (s) | share of the FID@5000 evaluation time |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const result = [];
  for (const k of keys) {
    if (rows.some((r) => r.signals[k] === undefined)) continue;
    const ms = rows.reduce((s, r) => s + r.ms[k], 0) / rows.length;
    const e = { key: k, all: rho(rows, k), ddim: rho(ddim, k), other: rho(other, k), ms, share: ms / fidMs };
    result.push(e);
    lines.push(
      `| ${k} | ${e.all.toFixed(3)} | ${e.ddim.toFixed(3)} | ${other.length > 2 ? e.other.toFixed(3) : '–'} | ${(ms / 1000).toFixed(1)} | ${(e.share * 100).toFixed(1)}% |`,
    );
  }
  return { lines, result };
}

// --- the pixel model: the rows of docs/benchmarks.json bench/headline.mjs wrote
const pixelRows = bench.rows.filter((r) => r.model === undefined || r.model === 'fashion');
const pixelMeta = bench;
// the sampled schedules' mutation bases: docs/benchmarks.json's rows only, so that --also files added
// later do not change which schedules are sampled (their cached features stay valid)
const ownRows = [...pixelRows];
const alsoFiles = args.also === '' ? [] : args.also.split(',');
for (const file of alsoFiles) {
  const extra = JSON.parse(await readFile(join(docs, file), 'utf8'));
  for (const [key, want] of [
    ['fidSamples', pixelMeta.fidSamples],
    ['guidance', pixelMeta.guidance],
  ])
    if (extra[key] !== want) throw new Error(`--also ${file}: ${key} ${extra[key]}, expected ${want} as in docs/benchmarks.json`);
  const seen = new Set(pixelRows.map((r) => `${r.sampler} ${r.schedule}`));
  for (const r of extra.rows.filter((r) => (r.model === undefined || r.model === 'fashion') && !seen.has(`${r.sampler} ${r.schedule}`)))
    pixelRows.push({ ...r, rfidSamples: extra.searchSamples });
}
const pixelSettings = { guidanceScale: pixelMeta.guidance, sampler: 'ddim', nullMode: 'skip', batchSize: 50 };
if (sampledCount > 0) {
  const fashion = await loadModel('fashion', { threads });
  const sampled = sampledSchedules(sampledCount, {
    T: 50,
    branches: fashion.branches,
    profile: fashion.costProfile,
    seed: Number(args.seed),
    bases: ownRows.filter((r) => !r.method.startsWith('teacher') && r.macSpeedup >= 1.2 && r.macSpeedup <= 6),
  });
  await fashion.dispose();
  const label = { ddim: 'DDIM', 'dpmpp-2m': 'DPM-Solver++' };
  for (const [i, r] of sampled.entries())
    pixelRows.push({
      method: `sampled #${i} (${r.from ? `3 mutations of ${r.from}` : 'random'}, ${label[r.sampler]}, ${r.speedup.toFixed(2)}×)`,
      schedule: formatSchedule(r.schedule),
      sampler: r.sampler,
      macSpeedup: r.speedup,
      wallSpeedup: r.speedup,
      sampled: true,
    });
}
const keys = ns.flatMap((n) => [`rfid@${n}`, `kid@${n}`, `psnr@${n}`, `datafid@${n}`, ...ALPHAS.map((a) => `mix${a}@${n}`)]);
log(
  `pixel model: ${pixelRows.length - 1} schedules (${alsoFiles.length > 0 ? `with ${alsoFiles.join(', ')}` : 'docs/benchmarks.json'}), ${nMax} samples each`,
);
const pixel = await study('fashion', pixelRows, {
  pixels: true,
  fidSamples: pixelMeta.fidSamples,
  settingsOf: (sampler) => (sampler === 'ddim' ? pixelSettings : { ...pixelSettings, sampler }),
  teacherMs: pixelMeta.teacherMsPerSample.min,
});
if (fillOnly) process.exit(0);
// consistency: the regenerated rFID@searchSamples equals the recorded one (same seeds, same images)
const recorded = pixelRows.filter((r) => !r.method.startsWith('teacher') && !r.sampled);
// (each row's rFID was recorded at its file's search sample count: docs/benchmarks.json's, or the
// --also file's)
const nOf = (r) => r.rfidSamples ?? pixelMeta.searchSamples;
const checked = recorded.map((r, i) => [r, i]).filter(([r]) => ns.includes(nOf(r)));
const nCheck = [...new Set(checked.map(([r]) => nOf(r)))].join(' / ');
const worst =
  checked.length > 0
    ? Math.max(...checked.map(([r, i]) => Math.abs(pixel[i].signals[`rfid@${nOf(r)}`] - r.rfid) / Math.max(1e-9, r.rfid)))
    : undefined;
const a = report('The embedded pixel model (@flexiffusion/model-fashion)', pixel, keys);

// --- the text-to-image model, held out
const sdMeta = bench.models?.['fashion-sd'];
const sdRows = bench.rows.filter((r) => r.model === 'fashion-sd');
let b;
if (sdMeta && sdRows.length > 3) {
  const prompts = fashionSdPrompts();
  const sdSettings = { guidanceScale: sdMeta.guidance, sampler: 'ddim', nullMode: 'skip', batchSize: 50 };
  const sd = await study('fashion-sd', sdRows, {
    pixels: false,
    fidSamples: sdMeta.fidSamples,
    // the headline-t2i cache's settings (conditioning and extras are part of its key), with the
    // judge, so that the first nMax samples of a row missing from the cache are generated here
    // exactly as bench/headline-t2i.mjs would
    cacheOptions: async (model) =>
      fashionSdCacheOptions(model, prompts, {
        judge: await openFashionSdJudge(model, { threads }),
        rules: parsePromptAttributeRules(fashionSdAttributes()),
        measure: measureImageAttributes,
        toUint8: toUint8Images,
      }),
    settingsOf: (sampler) => (sampler === 'ddim' ? sdSettings : { ...sdSettings, sampler }),
    teacherMs: sdRows.find((r) => r.method.startsWith('teacher')).msPerImage,
  });
  b = report('The text-to-image model (@flexiffusion/model-fashion-sd), held out', sd, keys);
}

// the winner: the highest ρ over all pixel rows among signals at ≤ 10% of the FID@5000 time
const eligible = a.result.filter((e) => e.share <= 0.1).sort((x, y) => y.all - x.all);
const win = eligible[0];
const heldOut = b?.result.find((e) => e.key === win?.key);
const body = [
  `Ground truth: FID against the 10,000 test images at the headline's ${pixelMeta.fidSamples} samples per schedule, as recorded in docs/benchmarks.json${alsoFiles.length > 0 ? ` and ${alsoFiles.map((f) => `docs/${f}`).join(', ')}` : ''} (bench/headline.mjs, and bench/headline-t2i.mjs for the text-to-image model)${sampledCount > 0 ? `, and for the ${sampledCount} sampled schedules (MAC speed-ups spread over 1.2×–6×: half random open-form schedules, alternately DDIM and DPM-Solver++, half three open-space mutations of the docs/benchmarks.json row nearest their speed-up, with its sampler; --seed ${args.seed}) computed by this script the same way (their time per sample is the teacher's / their MAC speed-up)` : ''}. Signals at N samples on the same seeds; lower is better for every signal (PSNR enters negated). mixα = α·rFID + (1 − α)·(FID vs data − the teacher's FID vs data, both at N). ρ: Spearman rank correlation with FID@${pixelMeta.fidSamples}. Time: N × the row's time per sample (the teacher's measured ms per sample / the row's recorded wall-clock speed-up) + the metric's measured time, averaged over the rows. Caveat: the signals use seeds 0..N−1, which are also among the 5,000 seeds of the ground truth (at most ${((nMax / pixelMeta.fidSamples) * 100).toFixed(0)}% of them), so the FID-vs-data signals share a little of the ground truth's sampling noise; the ground truth itself has a paired bootstrap spread of about 0.5–1.5% per row.`,
  '',
  ...(worst !== undefined
    ? [
        `Consistency: the regenerated rFID@${nCheck} equals the rFID the headline recorded for every row to a relative ${worst.toExponential(1)} (the same seeds give the same images).`,
        '',
      ]
    : []),
  ...a.lines,
  '',
  ...(b ? [...b.lines, ''] : ['The text-to-image rows are not in docs/benchmarks.json yet (bench/headline-t2i.mjs --write).', '']),
  win
    ? `Best signal on the pixel model at ≤ 10% of the FID@${pixelMeta.fidSamples} time: **${win.key}**, ρ = ${win.all.toFixed(3)} (DDIM rows ${win.ddim.toFixed(3)}, other samplers ${win.other.toFixed(3)}), ${(win.share * 100).toFixed(1)}% of the time${heldOut ? `; on the held-out text-to-image rows ρ = ${heldOut.all.toFixed(3)}` : ''}.`
    : 'No signal within 10% of the FID time.',
].join('\n');
console.log(body);
if (args.write)
  await writeSection(
    'signal-study',
    'Which quick signal ranks schedules like FID@5000',
    body,
    `node bench/signal-study.mjs ${process.argv.slice(2).join(' ')}`,
  );
