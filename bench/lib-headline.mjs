// What the headline benches (bench/headline.mjs, bench/headline-t2i.mjs) share: the paired
// bootstrap over the seeds, the alternating wall-clock timing, the searches' evaluator and number
// formatting.
import { createMemoryStatsCache, createRfidEvaluator, featureStats, fid } from '@flexiffusion/metrics';
import { createRng } from '@flexiffusion/schedule';

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
 * all. `signal`: the objective, `rfid` (the paper's) or `rfid-fid` (½·rFID + ½·(fid − teacherFid),
 * flexi search's default where the model has reference statistics; needs `reference`).
 */
export function searchEvaluators({ model, extractor, teacher, seeds, conditions, settings, costProfile, signal = 'rfid', reference }) {
  if (signal !== 'rfid' && signal !== 'rfid-fid') throw new Error(`signal "${signal}": expected rfid or rfid-fid`);
  if (signal === 'rfid-fid' && reference === undefined) throw new Error('signal "rfid-fid" needs the reference statistics');
  const cache = createMemoryStatsCache();
  const map = (r) => (r.ok ? { ...r, objective: 0.5 * r.metrics.rfid + 0.5 * (r.metrics.fid - r.metrics.teacherFid) } : r);
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
      ...(signal === 'rfid-fid' ? { reference } : {}),
    });
    if (signal === 'rfid') return inner;
    return {
      async evaluate(schedules, opts = {}) {
        const { onResult, ...rest } = opts;
        const out = await inner.evaluate(schedules, { ...rest, ...(onResult ? { onResult: (i, r) => onResult(i, map(r)) } : {}) });
        return out.map(map);
      },
    };
  };
}
