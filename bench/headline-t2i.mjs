#!/usr/bin/env node
// The headline on the text-to-image latent model (issue 19 part B): @flexiffusion/model-fashion-sd
// with its default prompt set (sample i: seed i, prompt i mod 200), a DDIM-50 teacher at the model's
// guidance. Rows: the teacher; DDIM-k, DPM-Solver++-k and UniPC-k; DeepCache uniform; Flexiffusion's
// evolutionary search (the free form) with DPM-Solver++ 2M candidates (or others: --search-samplers)
// at MAC targets.
// Every row: MAC and measured wall-clock speed-up (the text encoder and the VAE decoder included,
// and their time reported apart), FID of the decoded samples against the 10,000 test images
// (fashion feature network) at --fid-samples, CLIP score (the model's judge CLIP) and its change vs
// the teacher, class / brightness / size accuracy (the prompt's words, by the model's attribute
// rules), rFID against the teacher at --search-samples, with a paired bootstrap over the seeds.
//
//   npm run bench:headline -- --model fashion-sd [--fid-samples 5000] [--search-samples 64]
//        [--trials 40] [--targets 3,4,5] [--ks 17,12,10] [--search-samplers dpmpp-2m,unipc]
//        [--threads N] [--rows REGEX] [--gits 15,12] [--name NAME] [--form free|open]
//        [--fill-only] [--quick] [--signal rfid|rfid-fid] [--cost macs|latency|pipeline]
//        [--latency-steps 10] [--wall-rounds 3] [--write]
//
// --signal: the searches' objective, rfid (the default of the tables so far, the paper's) or
// rfid-fid (½ rFID + ½ the change of FID vs the test set at the search's N, on the same seeds and
// prompts: flexi search's default, see the signal study, where it ranks this model's rows at 0.953)
//
// --cost latency: the searches' speed-up constraint counts measured step latencies instead of MACs
// (partial steps of this small latent UNet cost more time than their MACs say). The profile is
// measured once on the whole pipeline (T = --latency-steps schedules, default 10, 32 samples,
// best of 3): a full step is t(F×T) − t(F N×(T−1)) over T − 1, partial branch b is
// t(F Pb×(T−1)) − t(F N×(T−1)) over T − 1 (the text encoder, the VAE and the first step cancel
// out); it is kept in bench/.cache (one file per T) so that a resumed search sees the same
// constraint. The MAC speed-up column still counts MACs.
// --cost pipeline: the same profile plus its fixed part, the time per sample outside the steps
// (text encoder, VAE decoder: t(F N×(T−1)) minus one full step, in full steps) as the cost
// profile's `fixedMacs`, so the searches' target is the whole pipeline's wall speed-up, the
// quantity the wall column measures.
//
// --gits K,… adds GITS-k rows for each k (peer baseline: the teacher's DDIM trajectory on the
// search's seeds and prompts gives the one-jump cost matrix, an exact DP picks k of the 50 steps),
// run with DDIM (GITS-k) and with DPM-Solver++ 2M (GITS-k + DPM-Solver++).
// --form open searches the open space (full steps at any timestep, partial steps anywhere after the
// first; segments of 5 as genes) from GITS-k for the three k nearest below 50 / target.
// --rows with --write writes docs/benchmarks-NAME.json and section NAME of docs/benchmarks.md
// (--name, default headline-fashion-sd-rows), leaving the full table and docs/benchmarks.json alone.
//
// Resumable like bench/headline.mjs: searches keep their trials in a FileTrialStore, row features
// are cached in chunks of 100 seeds under bench/.cache/ (several processes may fill side by side:
// e.g. one `--rows '^(DDIM|DPM|UniPC|Deep)' --fill-only --threads 1` beside the main run).
// --write writes docs/benchmarks-fashion-sd.json, replaces the fashion-sd rows of
// docs/benchmarks.json (each row has `model`) and the "headline-fashion-sd" section of
// docs/benchmarks.md.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  OnnxFeatureExtractor,
  clipScore,
  deserializeStats,
  fashionPreset,
  featureStats,
  fid,
  frechetDistance,
  measureImageAttributes,
  parsePromptAttributeRules,
  promptTarget,
  toUint8Images,
} from '@flexiffusion/metrics';
import { fashionSdAttributes, fashionSdPrompts } from '@flexiffusion/model-fashion-sd';
import { FileTrialStore, createSessionFactory, loadModel } from '@flexiffusion/runtime-node';
import {
  createSearchSpace,
  deepCacheSchedule,
  formatSchedule,
  fullSchedule,
  parseSchedule,
  runSearch,
  scheduleCost,
  uniformSchedule,
} from '@flexiffusion/schedule';
import { evolutionarySearcher } from '@flexiffusion/search-evo';
import { gitsSchedule, gitsSeeds } from '@flexiffusion/search-grid';
import { BENCHMARKS_MD, shellQuote, writeSection } from './lib-benchmarks-md.mjs';
import { JUDGE_DIM, fashionSdCacheOptions, openFashionSdJudge } from './lib-fashion-sd-judge.mjs';
import {
  alternatingBest,
  anytimeCurve,
  fmt,
  pairedBootstrap,
  pm,
  recordGitsCosts,
  rowsFilter,
  sd,
  searchEvaluators,
  searchCostTable,
  searchWallSeconds,
} from './lib-headline.mjs';
import { cacheKey, cachedFeatures } from './lib-feature-cache.mjs';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'fashion-sd' },
    quick: { type: 'boolean', default: false },
    targets: { type: 'string' },
    trials: { type: 'string' },
    'search-samples': { type: 'string' },
    'fid-samples': { type: 'string' },
    ks: { type: 'string' },
    'search-samplers': { type: 'string', default: 'dpmpp-2m' },
    form: { type: 'string', default: 'free' },
    threads: { type: 'string' },
    rows: { type: 'string' },
    'fill-only': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    gits: { type: 'string' },
    name: { type: 'string' },
    signal: { type: 'string', default: 'rfid' },
    cost: { type: 'string', default: 'macs' },
    'latency-steps': { type: 'string', default: '10' },
    'wall-rounds': { type: 'string', default: '3' },
  },
});
if (args.model !== 'fashion-sd') throw new Error(`bench/headline-t2i.mjs --model "${args.model}": expected fashion-sd`);
const quick = args.quick;
const T = 50;
const targets = (args.targets ?? (quick ? '3' : '3,4,5')).split(',').map(Number);
const trials = Number(args.trials ?? (quick ? 6 : 40));
const searchSamples = Number(args['search-samples'] ?? (quick ? 16 : 64));
const fidSamples = Number(args['fid-samples'] ?? (quick ? 100 : 5000));
const ks = (args.ks ?? (quick ? '10' : '17,12,10')).split(',').map(Number);
const threads = Number(args.threads ?? cpus().length);
const signal = args.signal;
if (!['rfid', 'rfid-fid'].includes(signal)) throw new Error(`--signal "${signal}": expected rfid or rfid-fid`);
if (!['macs', 'latency', 'pipeline'].includes(args.cost)) throw new Error(`--cost "${args.cost}": expected macs, latency or pipeline`);
const latencyCost = args.cost !== 'macs';
const latencySteps = Number(args['latency-steps']);
if (!Number.isInteger(latencySteps) || latencySteps < 2 || latencySteps > 1000)
  throw new Error(`--latency-steps "${args['latency-steps']}": expected an integer in [2, 1000]`);
const wallRounds = Number(args['wall-rounds']);
if (!Number.isInteger(wallRounds) || wallRounds < 1 || wallRounds > 100)
  throw new Error(`--wall-rounds "${args['wall-rounds']}": expected an integer in [1, 100]`);
const signalLabel = signal === 'rfid' ? 'rFID' : 'rfid-fid';
const section = quick
  ? 'headline-fashion-sd-quick'
  : args.rows !== undefined
    ? (args.name ?? 'headline-fashion-sd-rows')
    : 'headline-fashion-sd';
if (!/^[a-z0-9-]+$/.test(section)) throw new Error(`--name "${section}": expected lowercase letters, digits and dashes`);
if (args.name !== undefined && args.rows === undefined)
  throw new Error('--name needs --rows (the full table is always section headline-fashion-sd)');
const log = (s) => process.stderr.write(`${s}\n`);
const root = join(import.meta.dirname, '.cache');

const model = await loadModel('fashion-sd', { threads });
const m = model.manifest;
const guidance = m.conditioning.defaultGuidanceScale;
const prompts = fashionSdPrompts();
const promptOf = (seed) => prompts[seed % prompts.length];
const rules = parsePromptAttributeRules(fashionSdAttributes());
const settings = { guidanceScale: guidance, sampler: 'ddim', nullMode: 'skip', batchSize: 50 };
const settingsFor = (sampler) => (sampler === 'ddim' ? settings : { ...settings, sampler });
const samplerLabel = { ddim: 'DDIM', 'dpmpp-2m': 'DPM-Solver++', unipc: 'UniPC' };
const teacher = fullSchedule(T);
const profile = model.costProfile;
const session = await createSessionFactory({ threads }).create(new Uint8Array(await readFile(join(model.location, m.featureNetwork.file))));
const extractor = new OnnxFeatureExtractor(session, fashionPreset());
const ref = deserializeStats(new Uint8Array(await readFile(join(model.location, m.referenceStats.file))));
const dim = extractor.dim;
const judge = await openFashionSdJudge(model, { threads });

const rowFilter = rowsFilter(args.rows);

// --cost latency: the searches' cost profile from measured step latencies (see the header)
async function latencyProfile() {
  const file = join(root, `latency-profile-fashion-sd-${m.unet.sha256.slice(0, 16)}${latencySteps === 10 ? '' : `-T${latencySteps}`}.json`);
  let old;
  try {
    old = JSON.parse(await readFile(file, 'utf8'));
    if (args.cost !== 'pipeline' || old.fixedMacs !== undefined) return old;
  } catch {}
  {
    const ids = Array.from({ length: 32 }, (_, i) => i);
    const perSample = async (text) => {
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        await model.generate({ schedule: parseSchedule(text), seeds: ids, prompts: ids.map(promptOf), ...settings, batchSize: 32 });
        best = Math.min(best, (performance.now() - t0) / 32);
      }
      return best;
    };
    const rest = latencySteps - 1;
    const base = await perSample(`F${' N'.repeat(rest)}`);
    const full = ((await perSample(`F${' F'.repeat(rest)}`)) - base) / rest;
    // the fixed part: everything but the steps (text encoder, VAE), in full steps
    const fixedMacs = Math.max(0, Math.round(((base - full) / full) * 100) / 100);
    const save = async (p) => {
      await mkdir(root, { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(p, null, 2));
      await rename(`${file}.tmp`, file);
      return p;
    };
    // a profile written before --cost pipeline lacks the fixed part: only that is measured now,
    // so the step costs (and the --cost latency searches keyed by them) stay as they were
    if (old) return save({ ...old, fixedMacs, fixedMeasured: new Date().toISOString() });
    const partialMacs = [];
    for (let b = 0; b < model.branches; b++)
      // clamped into (0, 1]: a profile's partial steps cost at most a full step
      partialMacs.push(
        Math.min(1, Math.max(0.01, Math.round((((await perSample(`F${` P${b}`.repeat(rest)}`)) - base) / rest / full) * 100) / 100)),
      );
    const p = {
      fullMacs: 1,
      partialMacs,
      fixedMacs,
      steps: latencySteps,
      fullMs: Math.round(full * 100) / 100,
      measured: new Date().toISOString(),
      threads,
    };
    return save(p);
  }
}
// --cost latency: the steps only (a profile file's fixed part left out, so that its searches keep
// their cache keys); --cost pipeline: with the fixed part
const searchProfile = await (async () => {
  if (!latencyCost) return profile;
  const { fixedMacs, fixedMeasured, ...steps } = await latencyProfile();
  return args.cost === 'pipeline' ? { ...steps, fixedMacs } : steps;
})();
if (latencyCost)
  log(
    `latency cost profile: partial steps cost ${searchProfile.partialMacs.join(' / ')} of a full step (MACs: ${profile.partialMacs.map((x) => (x / profile.fullMacs).toFixed(2)).join(' / ')})${args.cost === 'pipeline' ? `, text encoder + VAE ${searchProfile.fixedMacs} full steps` : ''}`,
  );

// --- searches: the free form with the --search-samplers candidates (the teacher stays
// DDIM-50), rFID at searchSamples on the first prompts of the default set
const seeds = Array.from({ length: searchSamples }, (_, i) => i);
const evaluatorFor = searchEvaluators({
  model,
  extractor,
  teacher,
  seeds,
  conditions: { prompts: seeds.map(promptOf) },
  settings,
  costProfile: profile,
  signal,
  reference: ref,
});
// --form open: full steps at any of the T timesteps, partial steps anywhere after the first
// (segments of 5 as genes), the search seeded with GITS-k for the three k nearest below T / target
if (!['free', 'open'].includes(args.form)) throw new Error(`--form "${args.form}": expected free or open`);
const open = args.form === 'open';
const space = open
  ? createSearchSpace({ steps: T, segmentLengths: [5], branches: model.branches, form: 'open' })
  : createSearchSpace({ steps: T, segmentLengths: [2, 5, 10], branches: model.branches, form: 'free' });
let gitsCostsMemo;
const gitsCosts = async () => {
  if (!gitsCostsMemo) {
    const t0 = performance.now();
    const costs = await recordGitsCosts({ model, teacher, seeds, conditions: { prompts: seeds.map(promptOf) }, settings });
    gitsCostsMemo = { costs, seconds: (performance.now() - t0) / 1000 };
    log(`GITS cost matrix: ${gitsCostsMemo.seconds.toFixed(0)} s`);
  }
  return gitsCostsMemo;
};
/** GITS-k for the three largest k that meet the target, cut into the open space's segments. */
const openSeeds = async (target) => gitsSeeds((await gitsCosts()).costs, { speedup: target, segmentLength: 5 });
const found = [];
for (const target of targets) {
  for (const sampler of args['search-samplers'].split(',')) {
    if (!(sampler in samplerLabel))
      throw new Error(`--search-samplers entry "${sampler}": expected ${Object.keys(samplerLabel).join(', ')}`);
    const label = `${
      open ? `Flexiffusion, 'open' form from GITS + ${samplerLabel[sampler]}` : `Flexiffusion, 'free' form + ${samplerLabel[sampler]}`
    }${args.cost === 'latency' ? ', latency cost' : args.cost === 'pipeline' ? ', pipeline latency cost' : ''}`;
    // --rows: only the searches whose rows are measured
    if (rowFilter && !rowFilter.test(`${label} ≥${target}×`)) continue;
    const runSettings = settingsFor(sampler);
    const dir = join(
      root,
      'headline-fashion-sd',
      cacheKey({
        target,
        trials,
        searchSamples,
        settings: runSettings,
        space: space.describe(),
        unet: m.unet.sha256,
        ...(signal !== 'rfid' ? { signal } : {}),
        ...(latencyCost ? { cost: searchProfile } : {}),
      }),
    );
    await mkdir(dir, { recursive: true });
    const t0 = performance.now();
    const r = await runSearch({
      space,
      searcher: evolutionarySearcher(open ? { seeds: await openSeeds(target) } : {}),
      evaluator: evaluatorFor(sampler),
      costProfile: searchProfile,
      trials,
      minSpeedup: target,
      batchSize: 4,
      seed: 0,
      store: new FileTrialStore(dir),
      meta: { searchSamples, settings: runSettings, prompts: 'default' },
      onProgress: (p) =>
        log(
          `  ${label} ≥${target}×: ${p.evaluated}/${trials}${p.best ? ` best ${p.best.cost.speedup.toFixed(2)}× ${signalLabel} ${p.best.objective.toFixed(3)}` : ''}`,
        ),
    });
    const searchSeconds = searchWallSeconds(r.trials, { batchSize: 4, budget: trials });
    log(`${label} ≥${target}×: ${r.best?.schedule ?? 'none'} (${((performance.now() - t0) / 1000).toFixed(0)} s this run)`);
    // search cost: best-so-far objective after each evaluation and the evaluation that first reached the best
    const { anytime, evaluationsToBest } = anytimeCurve(r.trials, target);
    if (r.best)
      found.push({
        method: `${label} ≥${target}×`,
        schedule: parseSchedule(r.best.schedule),
        searchSeconds,
        sampler,
        anytime,
        evaluationsToBest,
      });
  }
}

// --- rows
let rows = [{ method: `teacher DDIM-${T}`, schedule: teacher, searchSeconds: 0, sampler: 'ddim' }];
for (const sampler of ['ddim', 'dpmpp-2m', 'unipc'])
  for (const k of ks) rows.push({ method: `${samplerLabel[sampler]}-${k}`, schedule: uniformSchedule(T, k), searchSeconds: 0, sampler });
for (const N of [3, 5])
  rows.push({ method: `DeepCache-N${N}-b0`, schedule: deepCacheSchedule(T, N, 0), searchSeconds: 0, sampler: 'ddim' });
rows.push(...found);
const gitsKs = args.gits === undefined ? [] : args.gits.split(',').map(Number);
for (const k of gitsKs) if (!Number.isInteger(k) || k < 2 || k > T) throw new Error(`--gits entry "${k}": expected integers in [2, ${T}]`);
if (gitsKs.length > 0) {
  const { costs, seconds } = await gitsCosts();
  for (const k of gitsKs) {
    const schedule = gitsSchedule(costs, k);
    rows.push({ method: `GITS-${k}`, schedule, searchSeconds: seconds, sampler: 'ddim' });
    rows.push({ method: `GITS-${k} + DPM-Solver++`, schedule, searchSeconds: seconds, sampler: 'dpmpp-2m' });
  }
}
let left = [];
if (args.rows !== undefined) {
  left = rows.filter((r) => r.schedule !== teacher && !rowFilter.test(r.method)).map((r) => r.method);
  rows = rows.filter((r) => r.schedule === teacher || rowFilter.test(r.method));
  log(
    `--rows: ${rows.length - 1} rows: ${rows
      .slice(1)
      .map((r) => r.method)
      .join(', ')}`,
  );
}

// per sample: the feature network's features and logits, the judge's image embedding, brightness and area
const sdCache = fashionSdCacheOptions(model, prompts, { judge, rules, measure: measureImageAttributes, toUint8: toUint8Images });
const rowFeatures = (row) =>
  cachedFeatures({
    dir: join(root, 'features'),
    model,
    extractor,
    schedule: row.schedule,
    count: fidSamples,
    settings: settingsFor(row.sampler),
    logitsName: 'logits',
    ...sdCache,
    onChunk: (d, n) => log(`  ${row.method}: ${d}/${n}`),
  });
if (args['fill-only']) {
  for (const row of rows) {
    const t0 = performance.now();
    await rowFeatures(row);
    log(`${row.method}: ${fidSamples} samples cached (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await model.dispose();
  process.exit(0);
}

// --- timing: 32 samples, the full pipeline; the progress events split the text encoder, the
// denoising loop and the VAE decoder
const timeSeeds = Array.from({ length: 32 }, (_, i) => i);
const timeOnce = async (schedule, sampler) => {
  const t0 = performance.now();
  let first;
  let decode;
  let events = 0;
  await model.generate({
    schedule,
    seeds: timeSeeds,
    prompts: timeSeeds.map(promptOf),
    ...settingsFor(sampler),
    batchSize: 32,
    onProgress: (e) => {
      const t = performance.now();
      if (e.phase === 'sample') {
        events++;
        first ??= t;
      } else if (e.phase === 'decode') decode = t;
    },
  });
  const end = performance.now();
  const step = events > 1 ? (decode - first) / (events - 1) : 0;
  const text = Math.max(0, first - t0 - step);
  return { total: (end - t0) / 32, fixed: (text + (end - decode)) / 32 };
};
const measureWall = async (schedule, sampler) => {
  const {
    row,
    teacher: t,
    speedup,
  } = await alternatingBest(
    () => timeOnce(schedule, sampler),
    () => timeOnce(teacher, 'ddim'),
    wallRounds,
  );
  return { speedup, msPerImage: row.total, fixedMs: row.fixed, teacherMs: t.total };
};

// --- measure every row
const textEmb = await judge.embedTexts(prompts);
const clipScores = (emb, n) => {
  const txt = new Float32Array(n * JUDGE_DIM);
  for (let i = 0; i < n; i++)
    txt.set(textEmb.subarray((i % prompts.length) * JUDGE_DIM, ((i % prompts.length) + 1) * JUDGE_DIM), i * JUDGE_DIM);
  return clipScore(emb.subarray(0, n * JUDGE_DIM), txt, JUDGE_DIM).perSample;
};
const targetsOf = Array.from({ length: fidSamples }, (_, i) => promptTarget(promptOf(i), rules));
const accuracies = (f) => {
  const c = { cls: 0, bri: 0, briN: 0, size: 0, sizeN: 0 };
  targetsOf.forEach((t, i) => {
    let arg = 0;
    for (let j = 1; j < 10; j++) if (f.logits[i * 10 + j] > f.logits[i * 10 + arg]) arg = j;
    if (arg === t.classIndex) c.cls++;
    const cls = rules.classes[t.classIndex];
    const [b, a] = [f.extras.attributes[2 * i], f.extras.attributes[2 * i + 1]];
    if (t.brightness !== null) {
      c.briN++;
      if ((b < cls.brightnessMedian ? 0 : 1) === t.brightness) c.bri++;
    }
    if (t.size !== null) {
      c.sizeN++;
      if ((a < cls.areaMedian ? 0 : 1) === t.size) c.size++;
    }
  });
  return { classAccuracy: c.cls / fidSamples, brightnessAccuracy: c.bri / c.briN, sizeAccuracy: c.size / c.sizeN };
};
const out = [];
const kept = [];
let teacherF;
for (const row of rows) {
  const f = await rowFeatures(row);
  teacherF ??= f;
  const n = searchSamples * dim;
  const rfid = frechetDistance(featureStats(f.features.subarray(0, n), dim), featureStats(teacherF.features.subarray(0, n), dim));
  const clip = clipScores(f.extras.clip, fidSamples);
  const fidValue = fid(featureStats(f.features, dim), ref);
  kept.push({ features: f.features, clip });
  const wall = row.schedule === teacher ? undefined : await measureWall(row.schedule, row.sampler);
  const mean = clip.reduce((s, v) => s + v, 0) / clip.length;
  out.push({
    model: 'fashion-sd',
    method: row.method,
    schedule: formatSchedule(row.schedule),
    sampler: row.sampler,
    macSpeedup: scheduleCost(row.schedule, profile).speedup,
    wallSpeedup: wall?.speedup ?? 1,
    msPerImage: wall?.msPerImage,
    textAndVaeMsPerImage: wall?.fixedMs,
    fid: fidValue,
    clipScore: mean,
    ...accuracies(f),
    rfid,
    searchSeconds: row.searchSeconds,
    ...(row.anytime
      ? { evaluationsToBest: row.evaluationsToBest, anytime: row.anytime.map((v) => (Number.isFinite(v) ? Number(v.toFixed(4)) : null)) }
      : {}),
  });
  log(
    `${row.method}: ${out.at(-1).macSpeedup.toFixed(2)}× MACs, ${out.at(-1).wallSpeedup.toFixed(2)}× wall, FID ${fidValue.toFixed(3)}, CLIP ${mean.toFixed(2)}`,
  );
}
// the teacher's own wall-clock split (best of 3 after a warm-up)
{
  await timeOnce(teacher, 'ddim');
  let best = { total: Infinity };
  for (let i = 0; i < 3; i++) {
    const a = await timeOnce(teacher, 'ddim');
    if (a.total < best.total) best = a;
  }
  out[0].msPerImage = best.total;
  out[0].textAndVaeMsPerImage = best.fixed;
}
const t0fid = out[0].fid;
const t0clip = out[0].clipScore;
for (const r of out) {
  r.fidDegradationPct = ((r.fid - t0fid) / t0fid) * 100;
  r.clipChangePct = ((r.clipScore - t0clip) / t0clip) * 100;
}

// --- paired bootstrap over the seeds (the same resampled seeds for every row)
const B = quick ? 10 : 50;
const boot = pairedBootstrap(
  kept.map((k) => ({ features: k.features, values: k.clip })),
  { dim, ref, count: fidSamples, B },
);
out.forEach((r, i) => {
  r.fidChangeSdPct = (sd(Array.from(boot[i].fid, (v, b) => v - boot[0].fid[b])) / t0fid) * 100;
  r.clipChangeSdPct = (sd(Array.from(boot[i].mean, (v, b) => v - boot[0].mean[b])) / t0clip) * 100;
});

const pct = (x) => `${fmt(x * 100, 1)}%`;
const bestOf = (pred) => {
  const ok = out.filter((r) => pred(r) && r.fidDegradationPct < 5 && Math.abs(r.clipChangePct) <= 1);
  return ok.length === 0 ? undefined : ok.reduce((a, b) => (b.wallSpeedup > a.wallSpeedup ? b : a));
};
const families = [
  ['Flexiffusion', (r) => r.method.startsWith('Flexiffusion')],
  ['DDIM-k', (r) => /^DDIM-\d+$/.test(r.method)],
  ['DPM-Solver++-k', (r) => /^DPM-Solver\+\+-\d+$/.test(r.method)],
  ['UniPC-k', (r) => /^UniPC-\d+$/.test(r.method)],
  ['DeepCache', (r) => r.method.startsWith('DeepCache')],
  ['GITS-k', (r) => /^GITS-\d+$/.test(r.method)],
  ['GITS-k + DPM-Solver++', (r) => /^GITS-\d+ \+ DPM/.test(r.method)],
];
// matched cost: each searched row against every baseline at least as fast in MACs (within 3%), per family
const matched = [];
out.forEach((r, i) => {
  if (r.searchSeconds === 0 || r.method.startsWith('GITS')) return;
  for (const [name, pred] of families.slice(1)) {
    const peers = out
      .map((b, j) => ({ b, j }))
      .filter(({ b }) => pred(b) && b.macSpeedup >= r.macSpeedup * 0.97)
      .sort((x, y) => x.b.macSpeedup - y.b.macSpeedup);
    const near = peers[0];
    if (!near) continue;
    const diff = Array.from(boot[i].fid, (v, b) => v - boot[near.j].fid[b]);
    matched.push(
      `| ${r.method} | ${fmt(r.macSpeedup)} | ${fmt(r.fid, 3)} | ${name}: ${near.b.method} (${fmt(near.b.macSpeedup)}×) ${fmt(near.b.fid, 3)} | ${pm(r.fid - near.b.fid, 3)} ± ${fmt(sd(diff), 3)} |`,
    );
  }
});
const summary = families
  .filter(([, pred]) => out.some(pred))
  .map(([name, pred]) => {
    const r = bestOf(pred);
    return r
      ? `| ${name} | ${r.method} | ${fmt(r.wallSpeedup)} | ${fmt(r.macSpeedup)} | ${pm(r.fidDegradationPct)}% ± ${fmt(r.fidChangeSdPct)} | ${pm(r.clipChangePct, 2)}% |`
      : `| ${name} | none under 5% FID and within 1% CLIP | – | – | – | – |`;
  });
const table = [
  `Teacher: @flexiffusion/model-fashion-sd (latent UNet, text encoder, VAE), DDIM ${T} steps (all full), guidance ${guidance}, null mode \`skip\`. Sample i: seed i and prompt i mod ${prompts.length} of the model's default prompt set (every class × dark/light × small/large). FID: decoded samples against the 10,000 test images in the fashion feature network's space, ${fidSamples} samples per row (the same seeds and prompts for every row). CLIP: the model's judge CLIP, mean score of each sample with its prompt. Class accuracy: the feature network's argmax is the prompt's class; brightness and size: the model's attribute rules. rFID: against the teacher at ${searchSamples} samples. Searches: ${trials} evaluations each at ${signal === 'rfid' ? 'rFID' : 'rfid-fid (½ rFID + ½ the change of FID vs the test set, on the same seeds and prompts)'}@${searchSamples}, ${open ? 'the open form (full steps at any timestep, partial steps anywhere after the first; segments of 5 as genes) seeded with GITS-k for the three k nearest below 50 / target' : 'the free form (segments of 2, 5, 10)'}, candidates with the named sampler, the teacher DDIM-${T}.${latencyCost ? ` Latency cost (--cost ${args.cost}): the searches' target counts measured ${args.cost === 'pipeline' ? 'whole-pipeline latencies' : 'step latencies'}, not MACs: a partial step on branch 0 / 1 / 2 costs ${searchProfile.partialMacs.join(' / ')} of a full step (${profile.partialMacs.map((x) => (x / profile.fullMacs).toFixed(2)).join(' / ')} in MACs)${args.cost === 'pipeline' ? `, and the text encoder plus the VAE decoder cost ${searchProfile.fixedMacs} full steps per sample on both sides of the speed-up (the cost profile's fixedMacs)` : ''}, from T = ${searchProfile.steps ?? 10} schedules on the whole pipeline at ${searchProfile.threads} thread(s), ${searchProfile.measured.slice(0, 10)}; the MAC speed-up column still counts MACs.` : ''} Search (s): the searches' evaluation wall time from their stored trials (the sum over the batches of 4 of each batch's longest trial time); GITS-k (peer baseline, with --gits): the teacher's DDIM trajectory on the search's ${searchSamples} seeds and prompts gives GITS's one-jump cost matrix, an exact DP picks k of the ${T} steps; its search (s) is that recording and DP.`,
  '',
  `Wall-clock: ms per image on 32 samples (CFG batch 64), the whole pipeline (text encoder, denoising loop, VAE decoder), onnxruntime-node CPU, ${threads} thread(s), this run; each row timed alternately with the teacher, ${wallRounds} rounds after a warm-up, best of each side (the teacher row's own ms: best of 3 at the end). "text + VAE": the part of that time outside the denoising loop (from the progress events). FID and CLIP change: vs the teacher, ± one standard deviation of the paired bootstrap over the seeds (${B} replicates).`,
  '',
  ...(left.length > 0 ? [`Rows: those matching \`${args.rows}\`. Not measured in this run: ${left.join(', ')}.`, ''] : []),
  '| method | sampler | MAC speed-up | wall speed-up | ms / image | text + VAE ms | FID | FID change | CLIP | CLIP change | class acc. | brightness acc. | size acc. | rFID | search (s) | schedule |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...out.map(
    (r) =>
      `| ${r.method} | ${samplerLabel[r.sampler]} | ${fmt(r.macSpeedup)} | ${fmt(r.wallSpeedup)} | ${fmt(r.msPerImage, 1)} | ${fmt(r.textAndVaeMsPerImage, 1)} | ${fmt(r.fid, 3)} | ${pm(r.fidDegradationPct)}% ± ${fmt(r.fidChangeSdPct)} | ${fmt(r.clipScore)} | ${pm(r.clipChangePct, 2)}% ± ${fmt(r.clipChangeSdPct, 2)} | ${pct(r.classAccuracy)} | ${pct(r.brightnessAccuracy)} | ${pct(r.sizeAccuracy)} | ${fmt(r.rfid, 3)} | ${fmt(r.searchSeconds, 0)} | \`${(r.schedule.length > 60 ? `${r.schedule.slice(0, 57)}…` : r.schedule).replaceAll('|', '\\|')}\` |`,
  ),
  '',
  '### Fastest row under 5% FID degradation with CLIP within 1% of the teacher, per method',
  '',
  '| methods | row | wall speed-up | MAC speed-up | FID change | CLIP change |',
  '| --- | --- | ---: | ---: | ---: | ---: |',
  ...summary,
  '',
  '### Searched schedules against the cheapest baseline of each family that is at least as fast',
  '',
  "For each searched row and baseline family, the baseline with the smallest MAC speed-up that is at least the row's (within 3%); ± is the paired bootstrap standard deviation of the FID difference. Negative: the searched schedule is better.",
  '',
  '| row | MAC speed-up | FID | baseline | difference |',
  '| --- | ---: | ---: | --- | ---: |',
  ...matched,
  ...searchCostTable(out, `${signalLabel} at ${searchSamples} samples`),
].join('\n');
console.log(table);

if (args.write) {
  const docs = join(BENCHMARKS_MD, '..');
  const meta = {
    model: 'fashion-sd',
    machine: cpus()[0].model.trim(),
    cores: cpus().length,
    threads,
    teacher: `DDIM-${T}`,
    guidance,
    fidSamples,
    searchSamples,
    trials,
    // the searches' cost: macs, or the measured profile they searched under (--cost latency|pipeline)
    cost: args.cost,
    ...(latencyCost ? { costProfile: searchProfile } : {}),
    ...(args.rows !== undefined ? { rowsFilter: args.rows, notMeasured: left } : {}),
  };
  const own = `benchmarks-${section.replace(/^headline-/, '')}.json`;
  await writeFile(join(docs, `${own}.tmp`), `${JSON.stringify({ ...meta, rows: out }, null, 2)}\n`);
  await rename(join(docs, `${own}.tmp`), join(docs, own));
  if (!quick && args.rows === undefined) {
    // docs/benchmarks.json holds every model's rows (the demo reads the fashion-sd ones)
    const all = JSON.parse(await readFile(join(docs, 'benchmarks.json'), 'utf8'));
    // the peers' GITS-k rows stay in docs/benchmarks-fashion-sd.json: the demo offers every
    // benchmarks.json row with a search time as a searched schedule
    all.rows = [...all.rows.filter((r) => r.model !== 'fashion-sd'), ...out.filter((r) => !r.method.startsWith('GITS'))];
    all.models = { ...(all.models ?? {}), 'fashion-sd': meta };
    await writeFile(join(docs, 'benchmarks.json.tmp'), `${JSON.stringify(all, null, 2)}\n`);
    await rename(join(docs, 'benchmarks.json.tmp'), join(docs, 'benchmarks.json'));
  }
  const title = quick
    ? 'Headline on the text-to-image model (quick smoke run — too few samples to mean much)'
    : args.rows !== undefined
      ? `Headline on the text-to-image model: fashion-sd, rows matching ${args.rows}`
      : 'Headline on the text-to-image model: fashion-sd';
  await writeSection(section, title, table, `npm run bench:headline -- ${process.argv.slice(2).map(shellQuote).join(' ')}`);
  log(
    `wrote docs/${own}${!quick && args.rows === undefined ? ', docs/benchmarks.json (fashion-sd rows)' : ''} and docs/benchmarks.md (${section})`,
  );
}
await model.dispose();
