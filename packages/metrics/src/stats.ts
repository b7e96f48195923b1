import { MetricsError } from './errors.js';
import type { FeatureStats } from './feature-stats.js';
import { addCoMomentUpper, type CoMomentBuffer, coMoment, columnMeans, createCoMomentBuffer, MOMENT_CHUNK } from './internal/moments.js';
import { chanStep, combineMoments, covFromMoment } from './internal/chan.js';
import { wasmAvailable } from './internal/wasm-kernels.js';
import { checkStats, makeStats } from './internal/stats-object.js';
import { checkDim, checkFeatures, checkFinite, describe, type FeatureArray } from './internal/validate.js';

/**
 * Options of {@link featureStats} and {@link createStatsAccumulator}.
 *
 * @public
 */
export interface StatsOptions {
  /**
   * Keep a copy of the raw features in the result (`FeatureStats.features`) and compute the
   * covariance only when it is first read. Costs N×d values of memory; enables the low-rank
   * Fréchet route (much faster when N < d) and KID. Default `false`.
   */
  readonly keepFeatures?: boolean;
}

/**
 * A streaming mean/covariance accumulator: add feature batches as they come, merge accumulators
 * (or statistics) computed elsewhere, read the statistics at any time. The merge is exact
 * (Chan et al.'s pairwise update of the mean and the co-moment), so splitting the data across
 * workers and merging gives the single-pass result up to float64 rounding.
 *
 * @public
 */
export interface StatsAccumulator {
  /** Feature dimension d. */
  readonly dim: number;
  /** Number of samples added so far. */
  readonly count: number;
  /**
   * Whether the raw features are being kept. Becomes `false` when merging in statistics that
   * carry no features (the result then has no features either).
   */
  readonly keepsFeatures: boolean;
  /**
   * Add a batch of feature vectors.
   *
   * @param batch - N×d values, row-major (N ≥ 0).
   * @returns This accumulator.
   * @throws {@link MetricsError} `invalid-argument` for a length not a multiple of d,
   *   `non-finite` for NaN or ±Infinity.
   */
  add(batch: Float32Array | Float64Array): StatsAccumulator;
  /**
   * Merge another accumulator's samples, or statistics computed elsewhere (e.g. by a worker and
   * sent through {@link serializeStats}), into this one. `other` is not changed.
   *
   * @param other - An accumulator of the same dimension or a {@link FeatureStats}.
   * @returns This accumulator.
   * @throws {@link MetricsError} `dimension-mismatch` for a different d, `invalid-argument` for
   *   malformed statistics.
   */
  merge(other: StatsAccumulator | FeatureStats): StatsAccumulator;
  /**
   * The statistics of every sample added or merged so far. Later additions do not change a
   * returned result.
   *
   * @returns Frozen {@link FeatureStats}.
   * @throws {@link MetricsError} `too-few-samples` when no sample was added.
   */
  result(): FeatureStats;
}

/**
 * Mean and covariance (float64, N − 1 normalisation) of N feature vectors.
 *
 * @param features - N×d values, row-major (float32 or float64), N ≥ 1.
 * @param dim - The feature dimension d.
 * @param options - `keepFeatures` to keep a copy of the features (low-rank route, KID).
 * @returns Frozen {@link FeatureStats}.
 * @throws {@link MetricsError} `invalid-argument` for a bad dimension or a length not a multiple
 *   of it, `too-few-samples` for N = 0, `non-finite` for NaN or ±Infinity.
 * @example
 * ```ts
 * const stats = featureStats(new Float32Array([0, 0, 2, 2]), 2); // two 2-d samples
 * stats.mean; // Float64Array [1, 1]
 * stats.cov;  // Float64Array [2, 2, 2, 2]
 * ```
 * @public
 */
export function featureStats(features: Float32Array | Float64Array, dim: number, options: StatsOptions = {}): FeatureStats {
  return createStatsAccumulator(dim, options).add(features).result();
}

/**
 * Create a streaming {@link StatsAccumulator}.
 *
 * @param dim - The feature dimension d.
 * @param options - `keepFeatures` to keep the raw features.
 * @returns An empty accumulator.
 * @throws {@link MetricsError} `invalid-argument` for a dimension that is not a positive integer.
 * @example
 * ```ts
 * const acc = createStatsAccumulator(128);
 * for (const batch of batches) acc.add(batch);
 * const other = createStatsAccumulator(128).add(moreFeatures);
 * const stats = acc.merge(other).result(); // same as one pass over all the features
 * ```
 * @public
 */
export function createStatsAccumulator(dim: number, options: StatsOptions = {}): StatsAccumulator {
  checkDim(dim);
  if (typeof options !== 'object' || options === null) {
    throw new MetricsError('invalid-option', `Invalid options ${describe(options)}: expected an object.`);
  }
  return new Accumulator(dim, options.keepFeatures === true);
}

class Accumulator implements StatsAccumulator {
  readonly dim: number;
  #n = 0;
  #mean: Float64Array;
  /** Co-moment Σ (x − μ)(x − μ)ᵀ, in moment mode. */
  #m2: Float64Array | null = null;
  /** The wasm memory holding `#m2` in place, when it does. */
  #buffer: CoMomentBuffer | null = null;
  #keep: boolean;
  #chunks: FeatureArray[] = [];
  /** Samples gathered for the next streamed chunk (moment mode on the WebAssembly kernel). */
  #pending: Float64Array | null = null;
  #pendingRows = 0;

  constructor(dim: number, keep: boolean) {
    this.dim = dim;
    this.#keep = keep;
    this.#mean = new Float64Array(dim);
  }

  get count(): number {
    return this.#n + this.#pendingRows;
  }

  get keepsFeatures(): boolean {
    return this.#keep;
  }

  add(batch: Float32Array | Float64Array): StatsAccumulator {
    const d = this.dim;
    const nb = checkFeatures(batch, d, 'batch');
    if (nb === 0) return this;
    checkFinite(batch, 'The feature batch');
    if (!this.#keep && wasmAvailable()) {
      this.#addStreamed(batch, nb);
      return this;
    }
    const bmean = columnMeans(batch, nb, d);
    if (this.#keep) {
      this.#chunks.push(batch.slice());
      this.#combine(nb, bmean, null);
    } else {
      this.#combine(nb, bmean, nb > 1 ? coMoment(batch, nb, d, bmean) : null);
    }
    return this;
  }

  merge(other: StatsAccumulator | FeatureStats): StatsAccumulator {
    const d = this.dim;
    this.#flush();
    if (other instanceof Accumulator) {
      if (other.dim !== d) {
        throw new MetricsError('dimension-mismatch', `Cannot merge an accumulator of dim ${other.dim} into one of dim ${d}.`);
      }
      if (other.count === 0) return this;
      return this.merge(other.result());
    }
    const s = checkStats(other, 'merged statistics');
    if (s.dim !== d) {
      throw new MetricsError('dimension-mismatch', `Cannot merge statistics of dim ${s.dim} into an accumulator of dim ${d}.`);
    }
    if (this.#keep && s.features !== undefined) {
      this.#chunks.push(s.features.slice());
      this.#combine(s.count, s.mean, null);
      return this;
    }
    this.#toMomentMode();
    const m2 = new Float64Array(d * d);
    if (s.count > 1) {
      const cov = s.cov;
      const f = s.count - 1;
      for (let i = 0; i < m2.length; i++) m2[i] = cov[i]! * f;
    }
    this.#combine(s.count, s.mean, m2);
    return this;
  }

  result(): FeatureStats {
    this.#flush();
    const n = this.#n;
    const d = this.dim;
    if (n === 0) {
      throw new MetricsError('too-few-samples', 'No samples were added: statistics need at least 1 sample.');
    }
    if (this.#keep) {
      const features = this.#concat();
      const mean = columnMeans(features, n, d);
      return makeStats(n, d, mean, () => covFromMoment(n > 1 ? coMoment(features, n, d, mean) : null, n, d), features);
    }
    const m2 = this.#m2;
    const cov = covFromMoment(m2, n, d);
    return makeStats(n, d, this.#mean.slice(), cov, undefined);
  }

  #concat(): FeatureArray {
    const chunks = this.#chunks;
    if (chunks.length === 1) return chunks[0]!;
    const total = chunks.reduce((s, c) => s + c.length, 0);
    const out = chunks.every((c) => c instanceof Float32Array) ? new Float32Array(total) : new Float64Array(total);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    this.#chunks = [out];
    return out;
  }

  #toMomentMode(): void {
    if (!this.#keep) return;
    this.#keep = false;
    const n = this.#n;
    const d = this.dim;
    if (n > 0) {
      const features = this.#concat();
      const mean = columnMeans(features, n, d);
      this.#mean = mean;
      this.#m2 = n > 1 ? coMoment(features, n, d, mean) : new Float64Array(d * d);
    }
    this.#chunks = [];
  }

  /**
   * Moment mode on the WebAssembly kernel: chunks of {@link MOMENT_CHUNK} samples (small batches
   * are gathered first, so any batch size costs the same), each centred on its own mean, with
   * Chan et al.'s correction folded into the same product ({@link chanStep}). One pass over the
   * co-moment's upper triangle per chunk, no N×d copy.
   */
  #addStreamed(batch: FeatureArray, nb: number): void {
    const d = this.dim;
    let r = 0;
    if (this.#pendingRows > 0) {
      r = Math.min(nb, MOMENT_CHUNK - this.#pendingRows);
      this.#pending!.set(batch.subarray(0, r * d), this.#pendingRows * d);
      this.#pendingRows += r;
      if (this.#pendingRows === MOMENT_CHUNK) this.#flush();
    }
    for (; nb - r >= MOMENT_CHUNK; r += MOMENT_CHUNK) this.#chunk(batch, r, MOMENT_CHUNK);
    if (r < nb) {
      this.#pending ??= new Float64Array(MOMENT_CHUNK * d);
      this.#pending.set(batch.subarray(r * d, nb * d), 0);
      this.#pendingRows = nb - r;
    }
  }

  /** Fold the gathered samples in. */
  #flush(): void {
    if (this.#pendingRows === 0) return;
    const rows = this.#pendingRows;
    this.#pendingRows = 0;
    this.#chunk(this.#pending!, 0, rows);
  }

  #chunk(x: FeatureArray, r0: number, cnt: number): void {
    const d = this.dim;
    if (this.#m2 === null) {
      // the co-moment in its own wasm memory when possible (accumulated in place), else in JS
      this.#buffer = createCoMomentBuffer(d);
      this.#m2 = this.#buffer?.m2 ?? new Float64Array(d * d);
    }
    const target = this.#buffer !== null && this.#buffer.m2 === this.#m2 ? this.#buffer : this.#m2;
    const { bmean, extra } = chanStep(this.#mean, this.#n, x, r0, cnt, d);
    if (cnt > 1 || extra !== undefined) addCoMomentUpper(target, x, r0, cnt, d, bmean, extra);
    this.#n += cnt;
  }

  /** Chan et al.: combine (n, mean, m2) with a batch (nb, bmean, bm2). bm2 null = zero (or kept). */
  #combine(nb: number, bmean: Float64Array, bm2: Float64Array | null): void {
    const d = this.dim;
    if (this.#n === 0) {
      this.#mean.set(bmean);
      this.#n = nb;
      if (!this.#keep) this.#m2 = bm2 ?? new Float64Array(d * d);
      return;
    }
    if (this.#keep) {
      combineMoments(this.#n, this.#mean, null, nb, bmean, null, d);
    } else {
      this.#m2 ??= new Float64Array(d * d);
      combineMoments(this.#n, this.#mean, this.#m2, nb, bmean, bm2, d);
    }
    this.#n += nb;
  }
}
