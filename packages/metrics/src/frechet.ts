import { MetricsError } from './errors.js';
import type { FeatureStats } from './feature-stats.js';
import { permuteSymmetric, pivotedCholesky, type PivotedCholesky } from './internal/cholesky.js';
import { symmetricEigenvaluesInPlace } from './internal/eigen.js';
import { gemmABt } from './internal/gemm.js';
import { centredRows } from './internal/moments.js';
import { statsInternals } from './internal/stats-internals.js';
import { checkCov, checkStats } from './internal/stats-object.js';
import { describe } from './internal/validate.js';

/**
 * How {@link frechetDistance} computes tr (Σa Σb)^{1/2}.
 *
 * - `full`: pivoted (rank-revealing) Cholesky Σb = F Fᵀ, then the symmetric d×d matrix
 *   M = Fᵀ Σa F, whose eigenvalues are those of Σa Σb; tr sqrt = Σ sqrt(max(λ, 0)). Works for any
 *   statistics, singular covariances included. O(d³).
 * - `low-rank`: needs both statistics to carry their features. With centred features A (Na×d)
 *   and B (Nb×d), the non-zero eigenvalues of Σa Σb are those of (A Bᵀ)(B Aᵀ)/((Na−1)(Nb−1)),
 *   a min(Na, Nb)-sized problem: O(Na·Nb·d). Far cheaper when N < d.
 * - `auto` (default): `low-rank` when both carry features and it is estimated cheaper, else `full`.
 *
 * @public
 */
export type FrechetRoute = 'auto' | 'full' | 'low-rank';

/**
 * Options of {@link frechetDistance}.
 *
 * @public
 */
export interface FrechetOptions {
  /** Route for the trace of the matrix square root; default `auto`. */
  readonly route?: FrechetRoute;
}

/**
 * The terms of a Fréchet distance, as returned by {@link frechetDistanceDetails}.
 *
 * @public
 */
export interface FrechetDetails {
  /** The distance: `meanTerm + traceA + traceB − 2·traceSqrt`, clamped at 0 against round-off. */
  readonly distance: number;
  /** ‖μa − μb‖². */
  readonly meanTerm: number;
  /** tr Σa. */
  readonly traceA: number;
  /** tr Σb. */
  readonly traceB: number;
  /** tr (Σa Σb)^{1/2}. */
  readonly traceSqrt: number;
  /** The route actually taken. */
  readonly route: 'full' | 'low-rank';
  /** Size of the eigenvalue problem solved (d or the numerical rank for `full`, min(Na, Nb) for `low-rank`). */
  readonly size: number;
}

const ROUTES: readonly FrechetRoute[] = ['auto', 'full', 'low-rank'];

/**
 * Fréchet distance between two Gaussians fitted to feature sets:
 * ‖μa − μb‖² + tr(Σa + Σb − 2 (Σa Σb)^{1/2}), as in pytorch-fid, computed in float64 through a
 * symmetric eigenvalue route that is robust for singular covariances (see {@link FrechetRoute}).
 * Derived data of each statistics object (its centred features or its covariance factor) is
 * memoised, so comparing many candidates to one reference factors the reference once.
 *
 * @param a - Statistics of the first set.
 * @param b - Statistics of the second set (the reference, when there is one).
 * @param options - The route (default `auto`).
 * @returns The distance (≥ 0).
 * @throws {@link MetricsError} `dimension-mismatch` for statistics of different dimensions,
 *   `invalid-argument` for malformed statistics or a `low-rank` route without features,
 *   `invalid-option` for an unknown route, `non-finite` for NaN/Infinity in the statistics.
 * @example
 * ```ts
 * const a = featureStats(featuresA, 2048, { keepFeatures: true });
 * const b = featureStats(featuresB, 2048, { keepFeatures: true });
 * frechetDistance(a, b); // FID-style distance, low-rank route when N < 2048
 * ```
 * @public
 */
export function frechetDistance(a: FeatureStats, b: FeatureStats, options: FrechetOptions = {}): number {
  return frechetDistanceDetails(a, b, options).distance;
}

/**
 * FID: the Fréchet distance between the statistics of generated images' features and reference
 * statistics (real images, or the teacher's images for rFID). Same as {@link frechetDistance}
 * with the reference second.
 *
 * @param stats - Statistics of the evaluated images' features.
 * @param referenceStats - Statistics of the reference features, of the same dimension.
 * @param options - The route (default `auto`).
 * @returns The distance (≥ 0).
 * @throws {@link MetricsError} as {@link frechetDistance}.
 * @example
 * ```ts
 * const rfid = fid(featureStats(candidateFeatures, 128), teacherStats);
 * ```
 * @public
 */
export function fid(stats: FeatureStats, referenceStats: FeatureStats, options: FrechetOptions = {}): number {
  return frechetDistanceDetails(stats, referenceStats, options).distance;
}

/**
 * {@link frechetDistance} with its terms and the route taken.
 *
 * @param a - Statistics of the first set.
 * @param b - Statistics of the second set.
 * @param options - The route (default `auto`).
 * @returns Frozen {@link FrechetDetails}.
 * @throws {@link MetricsError} as {@link frechetDistance}.
 * @public
 */
export function frechetDistanceDetails(a: FeatureStats, b: FeatureStats, options: FrechetOptions = {}): FrechetDetails {
  const sa = checkStats(a, 'statistics a');
  const sb = checkStats(b, 'statistics b');
  if (sa.dim !== sb.dim) {
    throw new MetricsError(
      'dimension-mismatch',
      `Cannot compare statistics of dim ${sa.dim} and ${sb.dim}: both must have the same dimension.`,
    );
  }
  const route = options.route ?? 'auto';
  if (!ROUTES.includes(route)) {
    throw new MetricsError(
      'invalid-option',
      `Invalid route ${describe(route)}: expected one of ${ROUTES.map((r) => `'${r}'`).join(', ')}.`,
    );
  }
  const d = sa.dim;
  const hasFeatures = sa.features !== undefined && sb.features !== undefined;
  if (route === 'low-rank' && !hasFeatures) {
    throw new MetricsError(
      'invalid-argument',
      "The 'low-rank' route needs the raw features of both statistics (featureStats(..., { keepFeatures: true })); " +
        `${sa.features === undefined ? 'a' : 'b'} has none. Use route 'full' or 'auto'.`,
    );
  }
  let meanTerm = 0;
  for (let i = 0; i < d; i++) {
    const t = sa.mean[i]! - sb.mean[i]!;
    meanTerm += t * t;
  }
  if (!Number.isFinite(meanTerm)) {
    throw new MetricsError('non-finite', `The mean vectors hold NaN or Infinity (‖μa − μb‖² = ${meanTerm}).`);
  }
  const useLowRank = route === 'low-rank' || (route === 'auto' && hasFeatures && lowRankIsCheaper(sa, sb));
  const r = useLowRank ? lowRank(sa, sb) : full(sa, sb);
  const raw = meanTerm + r.traceA + r.traceB - 2 * r.traceSqrt;
  if (!Number.isFinite(raw)) {
    throw new MetricsError('non-finite', `The Fréchet distance is ${raw}: the covariances hold NaN or Infinity.`);
  }
  return Object.freeze({
    distance: Math.max(0, raw),
    meanTerm,
    traceA: r.traceA,
    traceB: r.traceB,
    traceSqrt: r.traceSqrt,
    route: useLowRank ? 'low-rank' : 'full',
    size: r.size,
  });
}

interface TraceTerms {
  traceA: number;
  traceB: number;
  traceSqrt: number;
  size: number;
}

/** Rough operation counts of both routes (multiply-adds, memory-bound parts weighted). */
function lowRankIsCheaper(a: FeatureStats, b: FeatureStats): boolean {
  const d = a.dim;
  const na = a.count;
  const nb = b.count;
  const lo = Math.min(na, nb);
  const hi = Math.max(na, nb);
  const lowRankCost = na * nb * d + 0.5 * lo * lo * hi + 0.8 * lo * lo * lo;
  const ia = statsInternals(a);
  const ib = statsInternals(b);
  let fullCost = 0.8 * d * d * d + (ib.chol !== undefined || ia.chol !== undefined ? 0 : 0.35 * d * d * d);
  // covariances not computed yet (lazy) must be built from the features first
  fullCost += 0.5 * d * d * (na + nb);
  return lowRankCost < fullCost;
}

function centred(s: FeatureStats): { x: Float64Array; sq: number } {
  const memo = statsInternals(s);
  if (memo.centred === undefined || memo.centredSq === undefined) {
    const x = centredRows(s.features!, s.count, s.dim, s.mean);
    let sq = 0;
    for (let i = 0; i < x.length; i++) sq += x[i]! * x[i]!;
    if (!Number.isFinite(sq)) {
      throw new MetricsError('non-finite', 'The features hold NaN or Infinity: expected finite numbers only.');
    }
    memo.centred = x;
    memo.centredSq = sq;
  }
  return { x: memo.centred, sq: memo.centredSq };
}

function lowRank(a: FeatureStats, b: FeatureStats): TraceTerms {
  const d = a.dim;
  const na = a.count;
  const nb = b.count;
  const ca = centred(a);
  const cb = centred(b);
  const traceA = na > 1 ? ca.sq / (na - 1) : 0;
  const traceB = nb > 1 ? cb.sq / (nb - 1) : 0;
  if (na < 2 || nb < 2) return { traceA, traceB, traceSqrt: 0, size: 0 };
  // C = A Bᵀ (na×nb); the non-zero eigenvalues of Σa Σb are those of C Cᵀ / ((na−1)(nb−1))
  const c = gemmABt(ca.x, cb.x, na, nb, d);
  let g: Float64Array;
  let m: number;
  if (na <= nb) {
    g = gemmABt(c, c, na, na, nb, { symmetric: true });
    m = na;
  } else {
    const ct = new Float64Array(nb * na);
    for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) ct[j * na + i] = c[i * nb + j]!;
    g = gemmABt(ct, ct, nb, nb, na, { symmetric: true });
    m = nb;
  }
  const ev = symmetricEigenvaluesInPlace(g, m);
  // rank(Σa Σb) ≤ min(d, Na − 1, Nb − 1): the other eigenvalues are zero up to round-off
  const traceSqrt = sumSqrtTop(ev, Math.min(d, na - 1, nb - 1)) / Math.sqrt((na - 1) * (nb - 1));
  return { traceA, traceB, traceSqrt, size: m };
}

function cholOf(s: FeatureStats, cov: Float64Array): PivotedCholesky {
  const memo = statsInternals(s);
  memo.chol ??= pivotedCholesky(cov, s.dim);
  return memo.chol;
}

function full(a: FeatureStats, b: FeatureStats): TraceTerms {
  const d = a.dim;
  const covA = checkCov(a, 'statistics a');
  const covB = checkCov(b, 'statistics b');
  let traceA = 0;
  let traceB = 0;
  for (let i = 0; i < d; i++) {
    traceA += covA[i * d + i]!;
    traceB += covB[i * d + i]!;
  }
  for (const [name, cov] of [
    ['a', covA],
    ['b', covB],
  ] as const) {
    for (let i = 0; i < cov.length; i++) {
      if (!Number.isFinite(cov[i]!)) {
        throw new MetricsError(
          'non-finite',
          `The covariance of statistics ${name} holds ${cov[i]} at index ${i}: expected finite numbers.`,
        );
      }
    }
  }
  // factor the side that already has a factor, else the reference (b)
  const factorA = statsInternals(a).chol !== undefined && statsInternals(b).chol === undefined;
  const [fs, fcov, other] = factorA ? [a, covA, covB] : [b, covB, covA];
  const ch = cholOf(fs, fcov);
  const r = ch.rank;
  if (r === 0) return { traceA, traceB, traceSqrt: 0, size: 0 };
  // M = Lᵀ (P S Pᵀ) L, L = LTᵀ (d×r lower trapezoidal)
  const sp = permuteSymmetric(other, d, ch.perm);
  const wt = gemmABt(ch.lt, sp, r, d, d, { aUpper: true });
  const m = gemmABt(wt, ch.lt, r, r, d, { bUpper: true, symmetric: true });
  const ev = symmetricEigenvaluesInPlace(m, r);
  // rank(Σa Σb) ≤ min(rank, Na − 1, Nb − 1): the other eigenvalues are zero up to round-off
  const traceSqrt = sumSqrtTop(ev, Math.min(r, a.count - 1, b.count - 1));
  return { traceA, traceB, traceSqrt, size: r };
}

/** Σ sqrt(max(λ, 0)) over the k largest eigenvalues. */
function sumSqrtTop(ev: Float64Array, k: number): number {
  ev.sort();
  let s = 0;
  for (let i = ev.length - 1, taken = 0; i >= 0 && taken < k; i--, taken++) {
    const v = ev[i]!;
    if (v > 0) s += Math.sqrt(v);
  }
  return s;
}
