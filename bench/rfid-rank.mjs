#!/usr/bin/env node
// Does rFID on few samples rank schedules like FID against real data on many? (issue: the paper's
// claim that rFID cuts evaluation time by > 90%.) Over ~25 schedules spanning 1×–5× speed-up on
// the embedded model (teacher DDIM-50, default guidance): Spearman correlation between rFID at N
// samples (paired with the teacher by seed) and FID against the 10,000 test images at --large
// samples, for several N, and the evaluation time of each.
//
//   node bench/rfid-rank.mjs [--large 5000] [--ns 25,50,100,200,400] [--quick] [--write]
//
// Generation is slow on 2 CPU cores (hours for --large 5000): features are cached on disk per
// schedule in chunks of 100 seeds (bench/.cache/), so the run resumes where it stopped, across
// sessions. --quick: --large 200, ns 25,50,100 (a smoke test; the figures then mean little).
import { cpus } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSessionFactory, loadModel } from '@flexiffusion/runtime-node';
import { OnnxFeatureExtractor, deserializeStats, fashionPreset, featureStats, fid, frechetDistance } from '@flexiffusion/metrics';
import {
  createRng,
  createSearchSpace,
  deepCacheSchedule,
  formatSchedule,
  fullSchedule,
  scheduleCost,
  uniformSchedule,
} from '@flexiffusion/schedule';
import { cachedFeatures, spearman } from './lib-feature-cache.mjs';
import { writeSection } from './lib-benchmarks-md.mjs';

const { values: args } = parseArgs({
  options: {
    large: { type: 'string' },
    ns: { type: 'string' },
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    threads: { type: 'string' },
  },
});
const large = Number(args.large ?? (args.quick ? 200 : 5000));
const ns = (args.ns ?? (args.quick ? '25,50,100' : '25,50,100,200,400'))
  .split(',')
  .map(Number)
  .filter((n) => n <= large);
const T = 50;
const model = await loadModel('fashion', { threads: Number(args.threads ?? cpus().length) });
const m = model.manifest;
const session = await createSessionFactory({}).create(new Uint8Array(await readFile(join(model.location, m.featureNetwork.file))));
const extractor = new OnnxFeatureExtractor(session, fashionPreset());
const ref = deserializeStats(new Uint8Array(await readFile(join(model.location, m.referenceStats.file))));
// the same settings (and key order) as bench/headline.mjs, so the two share cached features
const settings = { guidanceScale: m.conditioning.defaultGuidanceScale, sampler: 'ddim', nullMode: 'skip', batchSize: 50 };
const dir = join(import.meta.dirname, '.cache', 'features');

// the schedules: DDIM-k, DeepCache N/b, and paper-space members at 1.5x-5x
const profile = model.costProfile;
const schedules = [];
for (const k of [35, 25, 20, 17, 14, 12, 10]) schedules.push({ label: `DDIM-${k}`, schedule: uniformSchedule(T, k) });
for (const N of [2, 3, 5])
  for (let b = 0; b < model.branches; b++) schedules.push({ label: `DeepCache N=${N} b=${b}`, schedule: deepCacheSchedule(T, N, b) });
const space = createSearchSpace({ steps: T, segmentLengths: [5, 10], branches: model.branches });
const rng = createRng(2024);
const targets = [2, 3, 4, 5];
for (const target of targets) {
  for (let tries = 0; tries < 10000; tries++) {
    const s = space.sample(rng);
    const c = scheduleCost(s, profile).speedup;
    if (Math.abs(c - target) / target < 0.08) {
      schedules.push({ label: `segment-wise ~${target}x`, schedule: s });
      break;
    }
  }
}
const teacher = fullSchedule(T);
const log = (s) => process.stderr.write(`${s}\n`);
log(`${schedules.length} schedules, ${large} samples each (+ the teacher); cache ${dir}`);

const get = async (schedule, label) =>
  cachedFeatures({
    dir,
    model,
    extractor,
    schedule,
    count: large,
    settings,
    logitsName: m.featureNetwork.logits,
    onChunk: (d, n) => log(`  ${label}: ${d}/${n}`),
  });
const teacherF = await get(teacher, 'teacher');
const teacherStats = featureStats(teacherF.features, extractor.dim);

// time per sample of each schedule, measured in this run on 32 samples
const timePerSample = async (schedule) => {
  const seeds = Array.from({ length: 32 }, (_, i) => i);
  await model.generate({ schedule, seeds, labels: seeds.map((s) => s % 10), ...settings, batchSize: 32 });
  const t0 = performance.now();
  await model.generate({ schedule, seeds, labels: seeds.map((s) => s % 10), ...settings, batchSize: 32 });
  return (performance.now() - t0) / 32;
};

const rows = [];
for (const { label, schedule } of schedules) {
  const f = await get(schedule, label);
  const dim = extractor.dim;
  const stats = featureStats(f.features, dim);
  const fidLarge = fid(stats, ref);
  const rfid = {};
  const fdMs = {};
  for (const n of ns) {
    const t0 = performance.now();
    rfid[n] = frechetDistance(
      featureStats(f.features.subarray(0, n * dim), dim, { keepFeatures: true }),
      featureStats(teacherF.features.subarray(0, n * dim), dim, { keepFeatures: true }),
    );
    fdMs[n] = performance.now() - t0;
  }
  const rfidLarge = frechetDistance(stats, teacherStats);
  const t0 = performance.now();
  fid(featureStats(f.features, dim), ref);
  const fidMs = performance.now() - t0;
  // the reference's own noise: FID on the two halves of the seeds, independently
  const half = Math.floor(large / 2) * dim;
  const fidHalves = [
    fid(featureStats(f.features.subarray(0, half), dim), ref),
    fid(featureStats(f.features.subarray(half, 2 * half), dim), ref),
  ];
  rows.push({
    label,
    schedule: formatSchedule(schedule),
    speedup: scheduleCost(schedule, profile).speedup,
    fidLarge,
    fidHalves,
    rfid,
    rfidLarge,
    fdMs,
    fidMs,
    msPerSample: await timePerSample(schedule),
  });
  log(
    `${label}: ${rows.at(-1).speedup.toFixed(2)}x FID@${large} ${fidLarge.toFixed(3)} rFID ${ns.map((n) => `@${n} ${rfid[n].toFixed(3)}`).join(' ')}`,
  );
}

const out = [];
out.push(
  `Teacher DDIM-${T} (all full), guidance ${settings.guidanceScale}; ${rows.length} schedules from ${Math.min(...rows.map((r) => r.speedup)).toFixed(2)}× to ${Math.max(...rows.map((r) => r.speedup)).toFixed(2)}× (MACs). FID against the 10,000 test images at ${large} samples per schedule; rFID against the teacher's images of the same seeds at N samples. Evaluation time = N × the schedule's measured time per sample (32 samples, this run) + the measured Fréchet time; the teacher's features are computed once per search and not counted.`,
);
out.push('');
out.push(
  `| N (rFID samples) | Spearman ρ(rFID@N, FID@${large}) | ρ(rFID@N, rFID@${large}) | mean evaluation time (s) | time saved vs FID@${large} |`,
);
out.push('| ---: | ---: | ---: | ---: | ---: |');
const fidTime = rows.reduce((s, r) => s + (large * r.msPerSample + r.fidMs) / 1000, 0) / rows.length;
let smallest;
for (const n of ns) {
  const rho = spearman(
    rows.map((r) => r.rfid[n]),
    rows.map((r) => r.fidLarge),
  );
  const t = rows.reduce((s, r) => s + (n * r.msPerSample + r.fdMs[n]) / 1000, 0) / rows.length;
  if (rho >= 0.9 && smallest === undefined) smallest = { n, rho, saved: 1 - t / fidTime };
  const rhoSelf = spearman(
    rows.map((r) => r.rfid[n]),
    rows.map((r) => r.rfidLarge),
  );
  out.push(`| ${n} | ${rho.toFixed(3)} | ${rhoSelf.toFixed(3)} | ${t.toFixed(1)} | ${((1 - t / fidTime) * 100).toFixed(1)}% |`);
}
out.push(`| FID@${large} (reference) | 1 | – | ${fidTime.toFixed(1)} | – |`);
out.push('');
const split = spearman(
  rows.map((r) => r.fidHalves[0]),
  rows.map((r) => r.fidHalves[1]),
);
out.push(
  `How reproducible the reference ranking itself is: Spearman ρ between FID on seeds [0, ${Math.floor(large / 2)}) and FID on seeds [${Math.floor(large / 2)}, ${2 * Math.floor(large / 2)}) (two independent halves of ${Math.floor(large / 2)} samples) = **${split.toFixed(3)}**. ${split >= 0.95 ? `The reference ranking is reproducible, so where ρ(rFID@N, FID@${large}) stays below it while ρ(rFID@N, rFID@${large}) is high, the gap is systematic, not sampling noise: rFID measures the distance to the teacher's images, FID the distance to the data, and a schedule can drift from the teacher without getting worse (or better) against the data.` : `Where this is far below 1 the reference ranking is partly chance, and no proxy can match it reliably.`}`,
);
out.push('');
out.push(
  smallest
    ? `Smallest N with ρ ≥ 0.9: **N = ${smallest.n}** (ρ = ${smallest.rho.toFixed(3)}), saving **${(smallest.saved * 100).toFixed(1)}%** of the evaluation time of FID@${large}.`
    : `No N tried reached ρ ≥ 0.9.`,
);
out.push('');
out.push(`| schedule | MAC speed-up | FID@${large} | ${ns.map((n) => `rFID@${n}`).join(' | ')} | ms / sample |`);
out.push(`| --- | ---: | ---: | ${ns.map(() => '---:').join(' | ')} | ---: |`);
for (const r of rows.sort((a, b) => a.speedup - b.speedup))
  out.push(
    `| ${r.label} | ${r.speedup.toFixed(2)} | ${r.fidLarge.toFixed(3)} | ${ns.map((n) => r.rfid[n].toFixed(3)).join(' | ')} | ${r.msPerSample.toFixed(1)} |`,
  );
console.log(out.join('\n'));
if (args.write) {
  await writeSection(
    args.quick ? 'rfid-rank-quick' : 'rfid-rank',
    `rFID vs FID: rank correlation and evaluation time${args.quick ? ' (quick smoke run — too few samples to mean much)' : ''}`,
    out.join('\n'),
    `node bench/rfid-rank.mjs ${process.argv.slice(2).join(' ')}`,
  );
}
await model.dispose();
