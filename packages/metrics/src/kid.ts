import { MetricsError } from './errors.js';
import { gemmABt } from './internal/gemm.js';
import { createRng } from '@flexiffusion/schedule';
import { sampleWithoutReplacement } from './internal/rng.js';
import { checkDim, checkFeatures, checkFinite, checkInt, describe } from './internal/validate.js';

/**
 * Options of {@link kernelInceptionDistance}.
 *
 * @public
 */
export interface KidOptions {
  /** Number of random subsets (default 100, as torch-fidelity). Ignored with `indices`. */
  readonly subsets?: number;
  /**
   * Samples per subset, drawn without replacement from each set. Default min(1000, Na, Nb)
   * (torch-fidelity's 1000, reduced to what the sets hold); an explicit value larger than a set
   * is an error. Ignored with `indices`.
   */
  readonly subsetSize?: number;
  /** Seed of the subset sampler (default 0). Ignored with `rng` or `indices`. */
  readonly seed?: number;
  /** A source of uniform floats in [0, 1) to draw subsets with, instead of the seeded one. */
  readonly rng?: () => number;
  /**
   * Explicit subsets: for each, the row indices into A and into B (same length m ≥ 2 within a
   * subset). Overrides `subsets`, `subsetSize`, `seed` and `rng`.
   */
  readonly indices?: readonly (readonly [ArrayLike<number>, ArrayLike<number>])[];
  /**
   * The sets are paired: row i of A and row i of B belong together (e.g. a candidate image and the
   * teacher image of the same seed). Subsets then take the same rows from both sets, and the cross
   * term leaves out the matched pairs, Σ_{i≠j} k(xi, yj) / (m(m−1)) (Gretton et al.'s MMD²_u):
   * unbiased under pairing, where the default estimator is biased low by the similarity of matched
   * pairs. Needs Na = Nb. Default `false`.
   */
  readonly paired?: boolean;
}

/**
 * Result of {@link kernelInceptionDistance}.
 *
 * @public
 */
export interface KidResult {
  /** Mean of the per-subset unbiased MMD² estimates: the KID. */
  readonly mean: number;
  /** Their standard deviation (population, ddof = 0, as torch-fidelity). */
  readonly std: number;
  /** The per-subset estimates. */
  readonly values: Float64Array;
  /** Samples per subset (of the first subset, with explicit `indices`). */
  readonly subsetSize: number;
}

/** Entries above which kernel matrices are computed per subset instead of once in full. */
const FULL_KERNEL_LIMIT = 1 << 22;

/**
 * Kernel Inception Distance (Bińkowski et al. 2018): the unbiased estimate of the squared maximum
 * mean discrepancy with the cubic polynomial kernel k(x, y) = (x·y/d + 1)³, averaged over random
 * subsets, as torch-fidelity computes it:
 * MMD² = (Σ_{i≠j} k(xi, xj) + Σ_{i≠j} k(yi, yj)) / (m(m−1)) − 2 Σ_{i,j} k(xi, yj) / m².
 * With `paired: true` the cross term is Σ_{i≠j} k(xi, yj) / (m(m−1)) (see {@link KidOptions.paired}).
 *
 * @param featuresA - Na×d features, row-major.
 * @param featuresB - Nb×d features, row-major.
 * @param dim - The feature dimension d.
 * @param options - Subsets: count, size and seed, or explicit indices.
 * @returns Frozen {@link KidResult}.
 * @throws {@link MetricsError} `invalid-argument` for malformed features or indices,
 *   `too-few-samples` for sets or subsets of fewer than 2 samples, `invalid-option` for bad
 *   subset options, `non-finite` for NaN/Infinity.
 * @example
 * ```ts
 * const { mean, std } = kernelInceptionDistance(generated, reference, 2048, { subsets: 100, subsetSize: 1000, seed: 0 });
 * ```
 * @public
 */
export function kernelInceptionDistance(
  featuresA: Float32Array | Float64Array,
  featuresB: Float32Array | Float64Array,
  dim: number,
  options: KidOptions = {},
): KidResult {
  const d = checkDim(dim);
  const na = checkFeatures(featuresA, d, 'featuresA');
  const nb = checkFeatures(featuresB, d, 'featuresB');
  checkFinite(featuresA, 'featuresA');
  checkFinite(featuresB, 'featuresB');
  const paired = options.paired === true;
  if (paired && na !== nb) {
    throw new MetricsError('dimension-mismatch', `Paired KID needs sets of the same size, got ${na} and ${nb} samples.`);
  }
  const subsets = resolveSubsets(na, nb, options, paired);
  const values = new Float64Array(subsets.length);
  const fullKernels = na * na + nb * nb + na * nb <= FULL_KERNEL_LIMIT;
  if (fullKernels) {
    const x = toF64(featuresA);
    const y = toF64(featuresB);
    const kxx = cubicKernel(gemmABt(x, x, na, na, d, { symmetric: true }), d);
    const kyy = cubicKernel(gemmABt(y, y, nb, nb, d, { symmetric: true }), d);
    const kxy = cubicKernel(gemmABt(x, y, na, nb, d), d);
    subsets.forEach(([ia, ib], s) => {
      const m = ia.length;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let p = 0; p < m; p++) {
        const ra = ia[p]! * na;
        const rb = ib[p]! * nb;
        const rab = ia[p]! * nb;
        for (let q = 0; q < m; q++) {
          if (q !== p) {
            sxx += kxx[ra + ia[q]!]!;
            syy += kyy[rb + ib[q]!]!;
          }
          if (!paired || q !== p) sxy += kxy[rab + ib[q]!]!;
        }
      }
      values[s] = (sxx + syy) / (m * (m - 1)) - (2 * sxy) / (paired ? m * (m - 1) : m * m);
    });
  } else {
    subsets.forEach(([ia, ib], s) => {
      const m = ia.length;
      const x = gather(featuresA, ia, d);
      const y = gather(featuresB, ib, d);
      const kxx = cubicKernel(gemmABt(x, x, m, m, d, { symmetric: true }), d);
      const kyy = cubicKernel(gemmABt(y, y, m, m, d, { symmetric: true }), d);
      const kxy = cubicKernel(gemmABt(x, y, m, m, d), d);
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let i = 0; i < m * m; i++) {
        sxx += kxx[i]!;
        syy += kyy[i]!;
        sxy += kxy[i]!;
      }
      for (let i = 0; i < m; i++) {
        sxx -= kxx[i * m + i]!;
        syy -= kyy[i * m + i]!;
        if (paired) sxy -= kxy[i * m + i]!;
      }
      values[s] = (sxx + syy) / (m * (m - 1)) - (2 * sxy) / (paired ? m * (m - 1) : m * m);
    });
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let varSum = 0;
  for (const v of values) varSum += (v - mean) * (v - mean);
  return Object.freeze({
    mean,
    std: Math.sqrt(varSum / values.length),
    values,
    subsetSize: subsets[0]![0].length,
  });
}

function resolveSubsets(na: number, nb: number, options: KidOptions, paired: boolean): (readonly [Int32Array, Int32Array])[] {
  if (options.indices !== undefined) {
    const idx = options.indices;
    if (!Array.isArray(idx) || idx.length === 0) {
      throw new MetricsError(
        'invalid-option',
        `Invalid indices ${describe(idx)}: expected a non-empty array of [indicesA, indicesB] pairs.`,
      );
    }
    return idx.map((pair, s) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new MetricsError('invalid-option', `Invalid indices[${s}] ${describe(pair)}: expected a pair [indicesA, indicesB].`);
      }
      const ia = toIndexArray(pair[0], na, `indices[${s}][0]`);
      const ib = toIndexArray(pair[1], nb, `indices[${s}][1]`);
      if (ia.length !== ib.length) {
        throw new MetricsError(
          'invalid-option',
          `Invalid indices[${s}]: ${ia.length} indices into A but ${ib.length} into B; both must have the same length.`,
        );
      }
      if (ia.length < 2) {
        throw new MetricsError('too-few-samples', `Invalid indices[${s}]: a subset needs at least 2 samples, got ${ia.length}.`);
      }
      return [ia, ib] as const;
    });
  }
  if (na < 2 || nb < 2) {
    throw new MetricsError('too-few-samples', `KID needs at least 2 samples in each set, got ${na} and ${nb}.`);
  }
  const count = checkInt(options.subsets ?? 100, 'subsets', 1);
  const maxSize = Math.min(na, nb);
  const size =
    options.subsetSize === undefined
      ? Math.min(1000, maxSize)
      : checkInt(options.subsetSize, `subsetSize (the sets hold ${na} and ${nb} samples)`, 2, maxSize);
  let random = options.rng;
  if (random !== undefined && typeof random !== 'function') {
    throw new MetricsError('invalid-option', `Invalid rng ${describe(random)}: expected a function returning floats in [0, 1).`);
  }
  if (random === undefined) {
    const rng = createRng(checkInt(options.seed ?? 0, 'seed', Number.MIN_SAFE_INTEGER));
    random = () => rng.next();
  }
  const out: (readonly [Int32Array, Int32Array])[] = [];
  for (let s = 0; s < count; s++) {
    const ia = sampleWithoutReplacement(na, size, random);
    out.push([ia, paired ? ia : sampleWithoutReplacement(nb, size, random)]);
  }
  return out;
}

function toIndexArray(v: ArrayLike<number>, n: number, what: string): Int32Array {
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new MetricsError('invalid-option', `Invalid ${what} ${describe(v)}: expected an array of row indices.`);
  }
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isInteger(x) || x < 0 || x >= n) {
      throw new MetricsError('invalid-option', `Invalid ${what}[${i}] = ${describe(x)}: expected an integer in [0, ${n - 1}].`);
    }
    out[i] = x;
  }
  return out;
}

function toF64(x: Float32Array | Float64Array): Float64Array {
  return x instanceof Float64Array ? x : Float64Array.from(x);
}

function gather(x: Float32Array | Float64Array, idx: Int32Array, d: number): Float64Array {
  const out = new Float64Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r]! * d;
    for (let i = 0; i < d; i++) out[r * d + i] = x[src + i]!;
  }
  return out;
}

function cubicKernel(g: Float64Array, d: number): Float64Array {
  const inv = 1 / d;
  for (let i = 0; i < g.length; i++) {
    const t = g[i]! * inv + 1;
    g[i] = t * t * t;
  }
  return g;
}
