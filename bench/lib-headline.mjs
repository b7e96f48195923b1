// What the headline benches (bench/headline.mjs, bench/headline-t2i.mjs, bench/search-anytime.mjs)
// share: the paired bootstrap over the seeds, the alternating wall-clock timing, the searches'
// evaluator, the paper-form searchers, the anytime curve of a search and number formatting.
import { createMemoryStatsCache, createRfidEvaluator, featureStats, fid } from '@flexiffusion/metrics';
import { getSampler, recordTrajectory } from '@flexiffusion/runtime';
import { createRng, createSearchSpace } from '@flexiffusion/schedule';
import { evolutionarySearcher } from '@flexiffusion/search-evo';
import { gitsCostMatrix, gridSearcher } from '@flexiffusion/search-grid';
import { randomSearcher } from '@flexiffusion/search-random';

/**
 * The paired bootstrap over the seeds: B replicates, each the same resampled seeds for every row.
 * `rows[r].features` (count × dim) gives each replicate's FID against `ref`; `rows[r].values`
 * (optional, one number per sample) gives each replicate's mean. Returns per row
 * `{ fid: Float64Array(B), mean?: Float64Array(B) }`.
 */
export function pairedBootstrap(rows, { dim, ref, count, B, seed = 7 }) {
  const out = rows.map((r) => ({ fid: new Float64Array(B), ...(r.values ? { mean: new Float64Array(B) } : {}) }));
  const rng = createRng(seed);
  const tmp = new Float32Array(count * dim);
  for (let b = 0; b < B; b++) {
    const idx = Array.from({ length: count }, () => Math.floor(rng.next() * count));
    rows.forEach((r, k) => {
      let s = 0;
      idx.forEach((j, i) => {
        tmp.set(r.features.subarray(j * dim, (j + 1) * dim), i * dim);
        if (r.values) s += r.values[j];
      });
      out[k].fid[b] = fid(featureStats(tmp, dim), ref);
      if (r.values) out[k].mean[b] = s / count;
    });
  }
  return out;
}

/** The --rows option as a RegExp (undefined when not given); a bad pattern throws, naming it. */
export function rowsFilter(pattern) {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new Error(`--rows "${pattern}" is not a valid regular expression: ${e.message}`);
  }
}

/** Sample standard deviation. */
export function sd(xs) {
  const mean = xs.reduce((a, v) => a + v, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, v) => a + (v - mean) ** 2, 0) / (xs.length - 1));
}

/** A number with d decimals, or '–'. */
export const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
/** A signed number with d decimals (+ or −). */
export const pm = (x, d = 1) => `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x), d)}`;

/**
 * A row's wall-clock speed-up: after a warm-up of the row, 3 rounds of (row, teacher), the best of
 * each side; alternating puts both bests in the same minutes of a machine whose speed drifts.
 * `time()` returns a number (ms per sample) or an object with `total`; the best results are
 * returned as measured.
 */
export async function alternatingBest(timeRow, timeTeacher, rounds = 3) {
  const total = (v) => (typeof v === 'number' ? v : v.total);
  await timeRow();
  let row;
  let teacher;
  for (let i = 0; i < rounds; i++) {
    const a = await timeRow();
    if (row === undefined || total(a) < total(row)) row = a;
    const b = await timeTeacher();
    if (teacher === undefined || total(b) < total(teacher)) teacher = b;
  }
  return { row, teacher, speedup: total(teacher) / total(row) };
}

/**
 * The searches' evaluators, one per candidate sampler: rFID (and KID, PSNR) against the teacher on
 * `seeds` with `conditions` (`{ labels }` or `{ prompts }`, one per seed), the teacher always run
 * with `settings` (DDIM), candidates with `settings` and the given sampler; one teacher cache for
 * all. `signal`: the objective, `rfid` (the paper's), `rfid-fid` (½·rFID + ½·(fid − teacherFid),
 * flexi search's default where the model has reference statistics; needs `reference`) or `fid` (FID
 * vs the data at N, AutoDiffusion's judge; needs `reference`). Each
 * evaluator also has `teacherStats()`, which generates the teacher's samples once (then cached).
 */
export function searchEvaluators({ model, extractor, teacher, seeds, conditions, settings, costProfile, signal = 'rfid', reference }) {
  if (!['rfid', 'rfid-fid', 'fid'].includes(signal)) throw new Error(`signal "${signal}": expected rfid, rfid-fid or fid`);
  if (signal !== 'rfid' && reference === undefined) throw new Error(`signal "${signal}": needs the reference statistics`);
  const cache = createMemoryStatsCache();
  // rfid-fid: ½ rFID + ½ the change of FID vs the data; fid: FID vs the data alone (AutoDiffusion's
  // published judge, at its sample count)
  const objectiveOf = signal === 'fid' ? (m) => m.fid : (m) => 0.5 * m.rfid + 0.5 * (m.fid - m.teacherFid);
  const map = (r) => (r.ok ? { ...r, objective: objectiveOf(r.metrics) } : r);
  return (sampler) => {
    const inner = createRfidEvaluator({
      generate: async (schedule, req) => {
        const r = await model.generate({
          schedule,
          seeds: req.seeds,
          ...(req.labels ? { labels: req.labels } : {}),
          ...(req.prompts ? { prompts: req.prompts } : {}),
          ...(schedule === teacher || sampler === 'ddim' ? settings : { ...settings, sampler }),
          ...(req.signal ? { signal: req.signal } : {}),
        });
        return { data: r.samples, dims: [...r.shape] };
      },
      extractor,
      teacher,
      seeds,
      ...conditions,
      costProfile,
      cache,
      modelId: model.manifest.unet.sha256,
      sampler: settings,
      ...(signal !== 'rfid' ? { reference } : {}),
    });
    if (signal === 'rfid') return inner;
    return {
      teacherStats: (opts) => inner.teacherStats(opts),
      async evaluate(schedules, opts = {}) {
        const { onResult, ...rest } = opts;
        const out = await inner.evaluate(schedules, { ...rest, ...(onResult ? { onResult: (i, r) => onResult(i, map(r)) } : {}) });
        return out.map(map);
      },
    };
  };
}

/**
 * GITS's one-jump cost matrix from the teacher's trajectory: the teacher (all full, DDIM, at
 * `settings`) runs on `seeds` with `conditions` (labels or prompts) in one batch, through a DDIM that
 * records the (guided) ε it is given at each step; `gitsSchedule(costs, k)` then picks k steps.
 */
export async function recordGitsCosts({ model, teacher, seeds, conditions, settings }) {
  const rec = recordTrajectory(getSampler('ddim'));
  await model.generate({ schedule: teacher, seeds, ...conditions, ...settings, sampler: rec.sampler, batchSize: seeds.length });
  const [batch] = rec.batches;
  return gitsCostMatrix({
    epsAt: (_x, _t, step) => batch.eps[step],
    alphasCumprod: rec.alphasCumprod,
    timesteps: batch.timesteps,
    finalAlphaCumprod: rec.finalAlphaCumprod,
    samples: Float64Array.from(batch.x),
    count: seeds.length,
  });
}

/**
 * The headline's paper-form searches, each a factory of `[searcher, space]`: the evolutionary and
 * the random searcher over segments of 2, 5, 10 and 25 steps, the grid over a strided subset of a
 * space without L = 2. In the full space 99.9% of the indices are L = 2 members (4^25 of them),
 * nearly all below any target >= 2x, so a strided grid there proposes nothing. Stride: about 8
 * points per evaluation (of `trials`) across the whole grid space. The spaces are built once; every
 * call of a factory returns a fresh searcher with the same space object.
 */
export function paperSearchers({ T, branches, form, trials }) {
  const space = createSearchSpace({ steps: T, segmentLengths: [2, 5, 10, 25], branches, form });
  const gridSpace = createSearchSpace({ steps: T, segmentLengths: [5, 10], branches, form });
  return {
    flexiffusion: () => [evolutionarySearcher(), space],
    random: () => [randomSearcher(), space],
    grid: () => [gridSearcher({ stride: gridSpace.size() / BigInt(trials * 8) + 1n }), gridSpace],
  };
}

/**
 * A search's evaluation wall time in seconds from its stored trials: `runSearch` hands the evaluator
 * batches of `batchSize` proposals (fewer when fewer evaluations are left of `budget`; pruned
 * proposals count in their batch but not in the budget) and a trial's `durationMs` runs from the
 * start of its batch, so each batch took its largest `durationMs`. (The sum over trials counts the
 * earlier trials of a batch again when the evaluator works through it one by one.)
 */
export function searchWallSeconds(trials, { batchSize, budget }) {
  const sorted = [...trials].sort((a, b) => a.number - b.number);
  let evaluated = 0;
  let ms = 0;
  for (let i = 0; i < sorted.length && evaluated < budget; ) {
    const batch = sorted.slice(i, i + Math.min(batchSize, budget - evaluated));
    ms += Math.max(0, ...batch.map((t) => t.durationMs));
    evaluated += batch.filter((t) => t.state !== 'pruned').length;
    i += batch.length;
  }
  return ms / 1000;
}

/**
 * A search's cost: the best-so-far objective after each evaluated trial (pruned proposals, below
 * the target, are not evaluated and not counted; a failed trial or one below `target` does not
 * improve it; Infinity until the first complete trial meeting the target) and the evaluation
 * (1-based) that first reached the best, undefined when none did.
 */
export function anytimeCurve(trials, target) {
  const anytime = [];
  let bestSoFar = Infinity;
  let evaluationsToBest;
  for (const t of trials) {
    if (t.state === 'pruned') continue;
    if (t.state === 'complete' && t.cost.speedup >= target && t.objective < bestSoFar) {
      bestSoFar = t.objective;
      evaluationsToBest = anytime.length + 1;
    }
    anytime.push(bestSoFar);
  }
  return { anytime, evaluationsToBest };
}

/**
 * The "Search cost" subsection of a headline table: for every row with an anytime curve, the
 * evaluations, the one that found the row's schedule, the best-so-far objective after 10, 25, 50,
 * 100, 200 (those below the longest curve) and all evaluations, the search time, the wall speed-up
 * and the FID change. `objective` is the sentence's description of the objective. Returns the
 * markdown lines (none when no row was searched).
 */
export function searchCostTable(rows, objective) {
  const searched = rows.filter((r) => r.anytime);
  if (searched.length === 0) return [];
  const most = Math.max(...searched.map((r) => r.anytime.length));
  const at = [...new Set([...[10, 25, 50, 100, 200].filter((n) => n < most), most])];
  const v = (x) => (x === null || x === undefined ? '–' : fmt(x, 3));
  return [
    '',
    '### Search cost',
    '',
    `Objective: ${objective}, lower is better; best so far after n evaluations (one search seed per row; proposals below the target are not evaluated and not counted). Search (s) as in the table above.`,
    '',
    `| row | evaluations | reached its best at | ${at.map((n) => `best after ${n}`).join(' | ')} | search (s) | wall speed-up | FID change |`,
    `| --- | ---: | ---: | ${at.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
    ...searched.map(
      (r) =>
        `| ${r.method} | ${r.anytime.length} | ${r.evaluationsToBest ?? '–'} | ${at.map((n) => v(r.anytime[Math.min(n, r.anytime.length) - 1])).join(' | ')} | ${fmt(r.searchSeconds, 0)} | ${fmt(r.wallSpeedup)} | ${pm(r.fidDegradationPct)}% |`,
    ),
  ];
}
