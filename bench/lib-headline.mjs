// What the headline benches (bench/headline.mjs, bench/headline-t2i.mjs) share: the paired
// bootstrap over the seeds, the alternating wall-clock timing, and number formatting.
import { featureStats, fid } from '@flexiffusion/metrics';
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
 * The search's objective from what the rFID evaluator measured once: `rfid` leaves the evaluator
 * as it is; `rfid-fid` (flexi search's default where the model has reference statistics) is
 * ½·rFID + ½·(fid − teacherFid), which needs the evaluator built with a `reference`.
 */
export function withSignal(signal, inner) {
  if (signal === 'rfid') return inner;
  if (signal !== 'rfid-fid') throw new Error(`signal "${signal}": expected rfid or rfid-fid`);
  const map = (r) => (r.ok ? { ...r, objective: 0.5 * r.metrics.rfid + 0.5 * (r.metrics.fid - r.metrics.teacherFid) } : r);
  return {
    async evaluate(schedules, opts = {}) {
      const { onResult, ...rest } = opts;
      const out = await inner.evaluate(schedules, { ...rest, ...(onResult ? { onResult: (i, r) => onResult(i, map(r)) } : {}) });
      return out.map(map);
    },
  };
}
