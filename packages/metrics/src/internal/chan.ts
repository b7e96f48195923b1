import { mirrorUpper } from './gemm.js';
import { columnMeansOf } from './moments.js';

/**
 * One chunk of a streamed mean/co-moment update (Chan et al.'s pairwise formula). Internal to the
 * package.
 */

/**
 * The chunk rows [r0, r0 + cnt) of x (d columns) join n samples of mean `mean`: updates `mean`
 * in place and returns the chunk's own mean (the chunk is centred on it) and, when n > 0, the
 * extra reduction step √(n·cnt/(n + cnt))·(chunk mean − old mean) whose outer product is Chan's
 * correction, so that co-moment += Σ (x − chunk mean)(x − chunk mean)ᵀ + extra·extraᵀ is one
 * product. Exact in exact arithmetic; in float64 each chunk is centred on its own mean, so large
 * feature means cost no precision.
 *
 * @internal
 */
export function chanStep(
  mean: Float64Array,
  n: number,
  x: ArrayLike<number>,
  r0: number,
  cnt: number,
  d: number,
): { bmean: Float64Array; extra: Float64Array | undefined } {
  const bmean = columnMeansOf(x, r0, cnt, d);
  const n2 = n + cnt;
  let extra: Float64Array | undefined;
  if (n > 0) {
    const g = Math.sqrt((n * cnt) / n2);
    extra = new Float64Array(d);
    for (let i = 0; i < d; i++) extra[i] = (bmean[i]! - mean[i]!) * g;
  }
  const f = cnt / n2;
  for (let i = 0; i < d; i++) mean[i] = mean[i]! + (bmean[i]! - mean[i]!) * f;
  return { bmean, extra };
}

/**
 * Chan et al.'s pairwise update: n samples (mean, m2) absorb nb samples (bmean, bm2; null = zero
 * co-moment). Updates `mean` and `m2` (when not null) in place; the caller adds nb to its count.
 *
 * @internal
 */
export function combineMoments(
  n: number,
  mean: Float64Array,
  m2: Float64Array | null,
  nb: number,
  bmean: Float64Array,
  bm2: Float64Array | null,
  d: number,
): void {
  const n2 = n + nb;
  const delta = new Float64Array(d);
  for (let i = 0; i < d; i++) delta[i] = bmean[i]! - mean[i]!;
  const f = nb / n2;
  for (let i = 0; i < d; i++) mean[i] = mean[i]! + delta[i]! * f;
  if (m2 === null) return;
  const g = (n * nb) / n2;
  for (let i = 0; i < d; i++) {
    const o = i * d;
    const di = delta[i]! * g;
    if (bm2 !== null) {
      for (let j = 0; j < d; j++) m2[o + j] = m2[o + j]! + bm2[o + j]! + di * delta[j]!;
    } else {
      for (let j = 0; j < d; j++) m2[o + j] = m2[o + j]! + di * delta[j]!;
    }
  }
}

/**
 * Covariance (N − 1 normalisation) from a co-moment whose upper triangle is authoritative (the
 * streamed updates write only it); all zeros for m2 = null or n < 2.
 *
 * @internal
 */
export function covFromMoment(m2: Float64Array | null, n: number, d: number): Float64Array {
  const cov = new Float64Array(d * d);
  if (m2 === null || n < 2) return cov;
  const f = 1 / (n - 1);
  for (let i = 0; i < d; i++) {
    const o = i * d;
    for (let j = i; j < d; j++) cov[o + j] = m2[o + j]! * f;
  }
  mirrorUpper(cov, d);
  return cov;
}
