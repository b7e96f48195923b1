#!/usr/bin/env node
// Search cost (issue 19 item 4): how many evaluations the headline's paper-form searches need to
// reach their result. For each searcher (evolutionary, random, grid) and each search seed it runs the
// headline's search at one MAC speed-up target on the embedded model (DDIM-50 teacher, the same
// evaluator as bench/headline.mjs) and records the anytime curve: the best-so-far objective after
// each evaluation. Reports the mean ± sd over the seeds at a few budgets, the evaluation that found
// each search's best, the search time and the MAC speed-up of the schedules found.
//
//   npm run bench:anytime -- [--quick] [--target 5] [--trials 40] [--seeds 0,1,2,3,4]
//                            [--searchers evo,random,grid] [--search-samples 100]
//                            [--signal rfid-fid|rfid] [--threads N] [--shard i/n] [--write]
//
// --signal: the searches' objective (default rfid-fid, flexi search's default on this model: ½ rFID
// + ½ the change of FID vs the test set; rfid is the paper's). --quick: a smoke run (16 search
// samples, 6 evaluations, seeds 0 and 1; explicit options still apply).
// The grid searcher takes no randomness (it walks its strided grid in order), so it runs once, with
// the first of --seeds: its other seeds would repeat the same trials.
//
// Every search keeps its trials in a FileTrialStore under bench/.cache/anytime/ (one per searcher,
// seed and settings) and resumes; next to it, wall.json keeps the search's measured wall time.
// --shard i/n runs only the searches r with r % n == i (r: their index in the order searcher, then
// seed), so n processes can fill the stores side by side (give each --threads 1 on two cores); a
// final run without --shard replays them all (nothing is evaluated again) and prints the tables.
// --write (not with --shard) writes the section "search-anytime" of docs/benchmarks.md,
// docs/benchmarks-search-anytime.json and docs/search-anytime.svg (with --quick: search-anytime-quick).
import { cpus } from 'node:os';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileTrialStore, createSessionFactory, loadModel } from '@flexiffusion/runtime-node';
import { OnnxFeatureExtractor, deserializeStats, fashionPreset } from '@flexiffusion/metrics';
import { fullSchedule, runSearch } from '@flexiffusion/schedule';
import { cacheKey } from './lib-feature-cache.mjs';
import { anytimeCurve, fmt, paperSearchers, sd, searchEvaluators, searchWallSeconds } from './lib-headline.mjs';
import { BENCHMARKS_MD, writeSection } from './lib-benchmarks-md.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    target: { type: 'string', default: '5' },
    trials: { type: 'string' },
    seeds: { type: 'string' },
    searchers: { type: 'string', default: 'evo,random,grid' },
    'search-samples': { type: 'string' },
    signal: { type: 'string', default: 'rfid-fid' },
    threads: { type: 'string' },
    shard: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const T = 50;
const target = Number(args.target);
if (!Number.isFinite(target) || target < 1) throw new Error(`--target "${args.target}": expected a MAC speed-up >= 1, e.g. 5`);
const intOption = (name, text, min) => {
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v) || v < min) throw new Error(`--${name} "${text}": expected an integer >= ${min}`);
  return v;
};
const trials = intOption('trials', args.trials ?? (quick ? '6' : '40'), 1);
const searchSamples = intOption('search-samples', args['search-samples'] ?? (quick ? '16' : '100'), 2);
const seedsText = args.seeds ?? (quick ? '0,1' : '0,1,2,3,4');
const searchSeeds = seedsText.split(',').map((s) => {
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new Error(`--seeds entry "${s}": expected integers >= 0, e.g. 0,1,2,3,4`);
  return Number(s);
});
if (new Set(searchSeeds).size !== searchSeeds.length) throw new Error(`--seeds "${seedsText}": a seed is listed twice`);
const signal = args.signal;
if (!['rfid', 'rfid-fid'].includes(signal)) throw new Error(`--signal "${signal}": expected rfid-fid or rfid`);
// --searchers: evo (the paper's evolutionary search, stored as 'flexiffusion' like the headline's),
// random, grid
const searcherKeys = { evo: 'flexiffusion', random: 'random', grid: 'grid' };
const searcherNames = args.searchers.split(',');
for (const n of searcherNames) if (!(n in searcherKeys)) throw new Error(`--searchers entry "${n}": expected evo, random or grid`);
if (new Set(searcherNames).size !== searcherNames.length) throw new Error(`--searchers "${args.searchers}": a searcher is listed twice`);
const threads = intOption('threads', args.threads ?? String(cpus().length), 1);
let shard;
if (args.shard !== undefined) {
  const mm = /^(\d+)\/(\d+)$/.exec(args.shard);
  if (!mm || Number(mm[2]) < 1 || Number(mm[1]) >= Number(mm[2]))
    throw new Error(`--shard "${args.shard}": expected i/n with 0 <= i < n, e.g. 0/2 and 1/2 for two processes`);
  shard = { i: Number(mm[1]), n: Number(mm[2]) };
  if (args.write) throw new Error('--write needs every search: run it without --shard once the shards are done');
}
const section = quick ? 'search-anytime-quick' : 'search-anytime';
const budgets = [...new Set([...[5, 10, 20, 40, 60, 80].filter((n) => n <= trials), trials])];
const log = (s) => process.stderr.write(`${s}\n`);
const root = join(import.meta.dirname, '.cache', 'anytime');

// --- the runs: searcher × seed (the grid once, see the header), in a fixed order for --shard
const runs = [];
for (const name of searcherNames)
  for (const seed of name === 'grid' ? searchSeeds.slice(0, 1) : searchSeeds) runs.push({ name, seed, index: runs.length });
const mine = runs.filter((r) => shard === undefined || r.index % shard.n === shard.i);
log(`${mine.length} of ${runs.length} searches in this process${shard ? ` (shard ${shard.i}/${shard.n})` : ''}`);

// --- the model and the headline's evaluator (the teacher DDIM-50 all full, labels s % 10)
const model = await loadModel('fashion', { threads });
const m = model.manifest;
const settings = { guidanceScale: m.conditioning.defaultGuidanceScale, sampler: 'ddim', nullMode: 'skip', batchSize: 50 };
const session = await createSessionFactory({}).create(new Uint8Array(await readFile(join(model.location, m.featureNetwork.file))));
const extractor = new OnnxFeatureExtractor(session, fashionPreset());
const ref = deserializeStats(new Uint8Array(await readFile(join(model.location, m.referenceStats.file))));
const profile = model.costProfile;
const teacher = fullSchedule(T);
const seeds = Array.from({ length: searchSamples }, (_, i) => i);
const evaluator = searchEvaluators({
  model,
  extractor,
  teacher,
  seeds,
  conditions: { labels: seeds.map((s) => s % 10) },
  settings,
  costProfile: profile,
  signal,
  reference: ref,
})('ddim');
const searchers = paperSearchers({ T, branches: model.branches, form: 'paper', trials });

const results = [];
let teacherSeconds;
for (const run of mine) {
  const { name, seed } = run;
  const key = searcherKeys[name];
  const [searcher, space] = searchers[key]();
  const dir = join(
    root,
    cacheKey({ name: key, target, trials, searchSamples, settings, space: space.describe(), unet: m.unet.sha256, signal, seed }),
  );
  await mkdir(dir, { recursive: true });
  // wall.json: the measured wall time, written once the search has ended (a search without one
  // still evaluates, so the teacher's samples are generated first, outside its wall time)
  const wallFile = join(dir, 'wall.json');
  let wall;
  try {
    wall = JSON.parse(await readFile(wallFile, 'utf8'));
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  if (wall === undefined && teacherSeconds === undefined) {
    const t = performance.now();
    await evaluator.teacherStats();
    teacherSeconds = (performance.now() - t) / 1000;
    log(`teacher DDIM-${T} on ${searchSamples} samples: ${teacherSeconds.toFixed(0)} s`);
  }
  const t0 = performance.now();
  const r = await runSearch({
    space,
    searcher,
    evaluator,
    costProfile: profile,
    trials,
    minSpeedup: target,
    batchSize: 4,
    seed,
    store: new FileTrialStore(dir),
    meta: { searchSamples, settings, signal },
    onProgress: (p) => {
      if (p.trial.state !== 'pruned' && p.replayed < p.evaluated)
        log(
          `  ${name} seed ${seed}: ${p.evaluated}/${trials}${p.best ? ` best ${p.best.cost.speedup.toFixed(2)}× ${signal} ${p.best.objective.toFixed(3)}` : ''}`,
        );
    },
  });
  const ms = performance.now() - t0;
  const evaluated = r.trials.filter((t) => t.state !== 'pruned').length;
  // the measured wall time of the search (its batches and the searcher; the teacher's samples were
  // generated before), kept next to its store by the process that evaluated it
  if (evaluated > r.replayed || wall === undefined) {
    wall = { ms: (wall?.ms ?? 0) + ms, evaluated, replayed: r.replayed, threads, at: new Date().toISOString() };
    await writeFile(`${wallFile}.tmp`, JSON.stringify(wall, null, 2));
    await rename(`${wallFile}.tmp`, wallFile);
  }
  const { anytime, evaluationsToBest } = anytimeCurve(r.trials, target);
  const searchSeconds = searchWallSeconds(r.trials, { batchSize: 4, budget: trials });
  log(
    `${name} seed ${seed}: ${r.best ? `${r.best.schedule} (${r.best.cost.speedup.toFixed(2)}×, ${signal} ${r.best.objective.toFixed(3)})` : 'none'} after ${evaluated} evaluations, ${r.stopReason}; ${r.replayed} replayed, ${(ms / 1000).toFixed(0)} s this run`,
  );
  results.push({
    searcher: name,
    seed,
    evaluations: evaluated,
    stopReason: r.stopReason,
    evaluationsToBest,
    anytime,
    schedules: r.trials.filter((t) => t.state !== 'pruned').map((t) => t.schedule),
    best: r.best
      ? {
          schedule: r.best.schedule,
          objective: r.best.objective,
          macSpeedup: r.best.cost.speedup,
          ...(r.best.metrics ? { metrics: r.best.metrics } : {}),
        }
      : undefined,
    searchSeconds,
    wallSeconds: wall ? wall.ms / 1000 : undefined,
  });
}
await model.dispose();
if (shard !== undefined) {
  log(`shard ${shard.i}/${shard.n} done: run without --shard (and with --write) to replay every search and write the tables`);
  process.exit(0);
}

// --- summaries over the seeds
const mean = (xs) => (xs.length === 0 ? NaN : xs.reduce((a, v) => a + v, 0) / xs.length);
// the best-so-far after n evaluations; a search that ended sooner keeps its last value; undefined
// before its first complete trial
const at = (run, n) => {
  const v = run.anytime[Math.min(n, run.anytime.length) - 1];
  return Number.isFinite(v) ? v : undefined;
};
const summaries = searcherNames.map((name) => {
  const rs = results.filter((r) => r.searcher === name);
  const found = rs.filter((r) => r.best);
  const byBudget = Object.fromEntries(
    budgets.map((n) => {
      const vs = rs.map((r) => at(r, n)).filter((v) => v !== undefined);
      return [n, { mean: mean(vs), sd: vs.length > 1 ? sd(vs) : NaN, runs: vs.length }];
    }),
  );
  const walls = rs.map((r) => r.wallSeconds).filter((v) => v !== undefined);
  return {
    searcher: name,
    runs: rs.length,
    found: found.length,
    seeds: rs.map((r) => r.seed),
    evaluations: mean(rs.map((r) => r.evaluations)),
    endedEarly: rs
      .filter((r) => r.stopReason !== 'budget')
      .map((r) => ({ seed: r.seed, evaluations: r.evaluations, stopReason: r.stopReason })),
    byBudget,
    evaluationsToBest: mean(found.map((r) => r.evaluationsToBest)),
    searchSeconds: { mean: mean(rs.map((r) => r.searchSeconds)), total: rs.reduce((s, r) => s + r.searchSeconds, 0) },
    wallSeconds: { mean: mean(walls), total: walls.reduce((s, v) => s + v, 0), runs: walls.length },
    macSpeedup: mean(found.map((r) => r.best.macSpeedup)),
    // the mean curve over n = 1..trials (over the runs with a value at n)
    curve: Array.from({ length: trials }, (_, i) => {
      const vs = rs.map((r) => (r.anytime.length === 0 ? undefined : at(r, i + 1))).filter((v) => v !== undefined);
      return vs.length === 0 ? null : Number(mean(vs).toFixed(4));
    }),
  };
});

// --- the tables and the paragraph
const label = { evo: 'evo (Flexiffusion)', random: 'random', grid: 'grid' };
const v3 = (x) => fmt(x, 3);
const cell = (b, runs) =>
  b.runs === 0 ? '–' : `${v3(b.mean)}${b.runs > 1 ? ` ± ${v3(b.sd)}` : ''}${b.runs < runs ? ` (${b.runs} of ${runs})` : ''}`;
const objectiveName = signal === 'rfid' ? 'rFID' : 'rfid-fid (½ rFID + ½ the change of FID vs the test set)';
const gridRun = summaries.find((s) => s.searcher === 'grid');
const intro = [
  `Each search: the headline's paper-form search at MAC speed-up ≥ ${target}× on the embedded model, ${trials} evaluations, batches of 4, judged by ${objectiveName} at ${searchSamples} samples against the DDIM-${T} teacher (all full, guidance ${settings.guidanceScale}, null mode \`skip\`), lower is better. Evo and random search the segments of 2, 5, 10 and 25 steps; the grid walks a strided subset of the space of segments of 5 and 10 (stride: about 8 grid points per evaluation), as in the headline. Best after n: the best-so-far objective after n evaluations, mean ± sd over the search seeds (${searchSeeds.join(', ')}); proposals below the target are pruned without evaluation and not counted; a search that ended before its budget keeps its last value. Reached best at: the evaluation that found the search's best, mean over the seeds that found one.`,
  ...(gridRun
    ? [
        '',
        `The grid takes no randomness (it proposes its strided grid in order, whatever the seed, and the judge is deterministic): it ran once, with seed ${gridRun.seeds[0]}; its other seeds would repeat the same trials.`,
      ]
    : []),
  '',
  "Search (s): the evaluation wall time from the stored trials, as the headline's search column counts it (the sum over the batches of 4 of each batch's longest trial time: a trial's time runs from the start of its batch). Wall (s): the search's wall time as measured by the process that evaluated it (its batches and the searcher; the teacher's samples, generated once per process before its first search, are not included); searches run side by side shared the cores, so compare them with each other.",
];
const summaryTable = [
  `| searcher | runs | found a schedule | evaluations | ${budgets.map((n) => `best after ${n}`).join(' | ')} | reached best at | search (s), mean / total | wall (s), mean / total | MAC speed-up of the best |`,
  `| --- | ---: | ---: | ---: | ${budgets.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: |`,
  ...summaries.map(
    (s) =>
      `| ${label[s.searcher]} | ${s.runs} | ${s.found} of ${s.runs} | ${fmt(s.evaluations, 1)} | ${budgets.map((n) => cell(s.byBudget[n], s.runs)).join(' | ')} | ${fmt(s.evaluationsToBest, 1)} | ${fmt(s.searchSeconds.mean, 0)} / ${fmt(s.searchSeconds.total, 0)} | ${s.wallSeconds.runs === 0 ? '–' : `${fmt(s.wallSeconds.mean, 0)} / ${fmt(s.wallSeconds.total, 0)}${s.wallSeconds.runs < s.runs ? ` (${s.wallSeconds.runs} of ${s.runs} measured)` : ''}`} | ${fmt(s.macSpeedup)} |`,
  ),
];
const perSearcher = summaries.flatMap((s) => [
  '',
  `### ${label[s.searcher]}`,
  '',
  `| seed | evaluations | ${budgets.map((n) => `best after ${n}`).join(' | ')} | reached best at | search (s) | wall (s) | MAC speed-up | best schedule |`,
  `| ---: | ---: | ${budgets.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: | --- |`,
  ...results
    .filter((r) => r.searcher === s.searcher)
    .map(
      (r) =>
        `| ${r.seed} | ${r.evaluations}${r.stopReason !== 'budget' ? ` (${r.stopReason})` : ''} | ${budgets.map((n) => v3(at(r, n))).join(' | ')} | ${r.evaluationsToBest ?? '–'} | ${fmt(r.searchSeconds, 0)} | ${fmt(r.wallSeconds, 0)} | ${fmt(r.best?.macSpeedup)} | ${r.best ? `\`${(r.best.schedule.length > 60 ? `${r.best.schedule.slice(0, 57)}…` : r.best.schedule).replaceAll('|', '\\|')}\`` : 'none'} |`,
    ),
]);

// which searcher is ahead at each budget, from the data: runs of budgets with the same leader
function paragraph() {
  const out = [];
  const leaders = budgets.map((n) => ({
    n,
    ranked: summaries.filter((s) => s.byBudget[n].runs > 0).sort((a, b) => a.byBudget[n].mean - b.byBudget[n].mean),
  }));
  const list = (ns) => (ns.length === 1 ? `${ns[0]}` : `${ns.slice(0, -1).join(', ')} and ${ns.at(-1)}`);
  for (let i = 0; i < leaders.length; ) {
    const lead = leaders[i].ranked[0]?.searcher;
    let j = i;
    while (j + 1 < leaders.length && leaders[j + 1].ranked[0]?.searcher === lead) j++;
    const span = leaders.slice(i, j + 1);
    if (lead === undefined) out.push(`After ${list(span.map((l) => l.n))} evaluations no search had found a schedule yet.`);
    else {
      const last = span.at(-1);
      const [a, b] = last.ranked.map((s) => s.byBudget[last.n]);
      const second = last.ranked[1];
      const gap = b
        ? `; at ${last.n}: ${v3(a.mean)} against ${label[second.searcher]}'s ${v3(b.mean)}, a gap ${b.mean - a.mean > Math.max(a.sd || 0, b.sd || 0) ? 'larger' : 'no larger'} than the larger of their seed sds (${v3(a.sd)}, ${v3(b.sd)})`
        : '';
      out.push(`After ${list(span.map((l) => l.n))} evaluations, ${label[lead]} has the lowest mean best-so-far${gap}.`);
    }
    i = j + 1;
  }
  const found = summaries.filter((s) => Number.isFinite(s.evaluationsToBest)).sort((a, b) => a.evaluationsToBest - b.evaluationsToBest);
  if (found.length > 1)
    out.push(
      `Reaching its final best took ${found.map((s) => `${label[s.searcher]} ${fmt(s.evaluationsToBest, 1)}`).join(', ')} evaluations on average.`,
    );
  for (const s of summaries) {
    if (s.found < s.runs) out.push(`${label[s.searcher]} found no schedule meeting ${target}× in ${s.runs - s.found} of ${s.runs} runs.`);
    const early = s.endedEarly.filter((e) => e.stopReason === 'exhausted' || e.stopReason === 'idle');
    if (early.length > 0)
      out.push(
        `${label[s.searcher]} ended before its budget in ${early.length} of ${s.runs} run${s.runs === 1 ? '' : 's'} (after ${list(early.map((e) => e.evaluations))} evaluation${early.length === 1 && early[0].evaluations === 1 ? '' : 's'}: ${early[0].stopReason === 'exhausted' ? 'no more candidates meeting the target' : 'no new candidate for many rounds'}).`,
      );
  }
  // evo's initial population is drawn like random search's proposals: with the same seed both
  // start with the same schedules
  const shared = searchSeeds
    .map((seed) => [
      results.find((r) => r.searcher === 'evo' && r.seed === seed),
      results.find((r) => r.searcher === 'random' && r.seed === seed),
    ])
    .filter(([a, b]) => a && b)
    .map(([a, b]) => {
      let k = 0;
      while (k < a.schedules.length && k < b.schedules.length && a.schedules[k] === b.schedules[k]) k++;
      return k;
    });
  if (shared.length > 0) {
    const lo = Math.min(...shared);
    const hi = Math.max(...shared);
    out.push(
      `With the same seed, evo and random evaluated the same first ${lo === hi ? lo : `${lo} to ${hi}`} schedules (the evolutionary searcher's initial population is random members of the space, drawn as random search draws them), so their curves agree up to there.`,
    );
  }
  const timed = summaries.filter((s) => s.wallSeconds.runs > 0);
  if (timed.length > 0)
    out.push(
      `Wall time per search (and the mean MAC speed-up of the best schedules it bought): ${timed.map((s) => `${label[s.searcher]} ${fmt(s.wallSeconds.mean, 0)} s (${fmt(s.macSpeedup)}×)`).join(', ')}.`,
    );
  return out.join(' ');
}

const table = [...intro, '', ...summaryTable, '', paragraph(), '', `![best-so-far vs evaluations](${section}.svg)`, ...perSearcher].join(
  '\n',
);
console.log(table);

// the mean curves, one polyline per searcher
function svg() {
  const W = 720,
    H = 400,
    L = 64,
    R = 170,
    TOP = 20,
    B = 48;
  const colors = { evo: '#c00', random: '#1f5fbf', grid: '#2a9d3a' };
  // random dashed: at the same seed its first evaluations are evo's, so the curves overlap there
  const dash = (s) => (s.searcher === 'random' ? ' stroke-dasharray="6 4"' : '');
  const ys = summaries.flatMap((s) => s.curve.filter((v) => v !== null));
  const lo = ys.length > 0 ? Math.min(...ys) : 0;
  const hi = ys.length > 0 ? Math.max(...ys) : 1;
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  const y0 = lo - pad,
    y1 = hi + pad;
  const X = (n) => L + ((n - 1) / Math.max(1, trials - 1)) * (W - L - R);
  const Y = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - TOP - B);
  const lines = summaries
    .map((s) => {
      const pts = s.curve.map((v, i) => (v === null ? undefined : `${X(i + 1).toFixed(1)},${Y(v).toFixed(1)}`)).filter(Boolean);
      return pts.length === 0
        ? ''
        : `<polyline fill="none" stroke="${colors[s.searcher]}" stroke-width="2"${dash(s)} points="${pts.join(' ')}"><title>${label[s.searcher]}: mean of ${s.runs} run(s)</title></polyline>`;
    })
    .join('');
  const legend = summaries
    .map(
      (s, i) =>
        `<line x1="${W - R + 10}" x2="${W - R + 28}" y1="${TOP + 14 + i * 18}" y2="${TOP + 14 + i * 18}" stroke="${colors[s.searcher]}" stroke-width="2"${dash(s)}/><text x="${W - R + 34}" y="${TOP + 18 + i * 18}" font-size="11">${label[s.searcher]} (${s.runs} run${s.runs === 1 ? '' : 's'})</text>`,
    )
    .join('');
  const step = trials <= 10 ? 1 : trials <= 50 ? 5 : 10;
  const ticksX = [1];
  for (let n = step; n <= trials; n += step) if (n > 1) ticksX.push(n);
  const ticksY = [0, 1, 2, 3].map((k) => y0 + ((y1 - y0) * k) / 3);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif"><rect width="${W}" height="${H}" fill="#fff"/><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${TOP}" x2="${L}" y2="${H - B}" stroke="#333"/><text x="${(W - R + L) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">evaluations (≥ ${target}× MAC speed-up, ${searchSamples} samples each)</text><text transform="translate(16 ${(H - B) / 2}) rotate(-90)" text-anchor="middle" font-size="12">best-so-far ${signal}, mean over seeds</text>${ticksX.map((n) => `<line x1="${X(n).toFixed(1)}" x2="${X(n).toFixed(1)}" y1="${H - B}" y2="${H - B + 4}" stroke="#333"/><text x="${X(n).toFixed(1)}" y="${H - B + 16}" text-anchor="middle" font-size="10">${n}</text>`).join('')}${ticksY.map((v) => `<text x="${L - 4}" y="${(Y(v) + 3).toFixed(1)}" text-anchor="end" font-size="10">${v.toFixed(3)}</text>`).join('')}${lines}${legend}</svg>`;
}

if (args.write) {
  const docs = join(BENCHMARKS_MD, '..');
  const jsonName = `benchmarks-${section}.json`;
  const json = {
    machine: cpus()[0].model.trim(),
    cores: cpus().length,
    threads,
    teacher: `DDIM-${T}`,
    guidance: settings.guidanceScale,
    target,
    trials,
    searchSamples,
    signal,
    seeds: searchSeeds,
    budgets,
    summaries,
    runs: results.map(({ schedules: _, ...r }) => ({
      ...r,
      anytime: r.anytime.map((v) => (Number.isFinite(v) ? Number(v.toFixed(4)) : null)),
    })),
  };
  await writeFile(join(docs, `${jsonName}.tmp`), `${JSON.stringify(json, null, 2)}\n`);
  await rename(join(docs, `${jsonName}.tmp`), join(docs, jsonName));
  await writeFile(join(docs, `${section}.svg.tmp`), svg());
  await rename(join(docs, `${section}.svg.tmp`), join(docs, `${section}.svg`));
  const title = quick
    ? 'Search cost: best-so-far vs evaluations (quick smoke run — too few samples and evaluations to mean much)'
    : `Search cost: best-so-far vs evaluations for evo, random and grid at ≥ ${target}×`;
  await writeSection(section, title, table, `npm run bench:anytime -- ${process.argv.slice(2).map(shellQuote).join(' ')}`);
  log(`wrote docs/${jsonName}, docs/${section}.svg and docs/benchmarks.md (${section})`);
}

// quotes an argument for the documented command line when the shell would otherwise split or expand it
function shellQuote(a) {
  return /^[\w.,:=/-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}
