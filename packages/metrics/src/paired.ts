import { MetricsError } from './errors.js';
import { checkInt, checkPositive, describe } from './internal/validate.js';

/**
 * Per-sample values of a paired metric and their mean.
 *
 * @public
 */
export interface PairedResult {
  /** One value per sample pair. */
  readonly perSample: Float64Array;
  /** Mean over the samples. */
  readonly mean: number;
}

/**
 * Options of {@link pairedMse}.
 *
 * @public
 */
export interface PairedOptions {
  /** Number of samples N the arrays hold (each N × sampleSize values, sample-major). Default 1. */
  readonly samples?: number;
}

/**
 * Options of {@link psnr}.
 *
 * @public
 */
export interface PsnrOptions extends PairedOptions {
  /** Width of the value range: 1 for [0, 1], 2 for [−1, 1], 255 for 8-bit pixels. */
  readonly dataRange: number;
  /**
   * Upper bound on a sample's PSNR in dB (identical samples have an infinite PSNR); default
   * `Infinity` (no bound).
   */
  readonly maxDb?: number;
}

/**
 * Arrays of samples accepted by the paired metrics.
 *
 * @public
 */
export type NumericArray = Float32Array | Float64Array | Uint8Array | Uint8ClampedArray | readonly number[];

/**
 * Mean squared error between paired samples (a candidate's image and the teacher's image of the
 * same seed), per sample and averaged, in float64.
 *
 * @param a - N samples, sample-major (e.g. [N, C, H, W] flattened).
 * @param b - N samples of the same shape.
 * @param options - `samples`: N (default 1).
 * @returns Frozen {@link PairedResult}.
 * @throws {@link MetricsError} `dimension-mismatch` for arrays of different lengths,
 *   `invalid-argument` for a length not divisible by N, `invalid-option` for a bad N.
 * @example
 * ```ts
 * pairedMse(candidate, teacher, { samples: 64 }).mean;
 * ```
 * @public
 */
export function pairedMse(a: NumericArray, b: NumericArray, options: PairedOptions = {}): PairedResult {
  const { n, size } = checkPair(a, b, options.samples);
  const perSample = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let acc = 0;
    const o = s * size;
    for (let i = 0; i < size; i++) {
      const t = a[o + i]! - b[o + i]!;
      acc += t * t;
    }
    perSample[s] = acc / size;
  }
  return Object.freeze({ perSample, mean: average(perSample) });
}

/**
 * Peak signal-to-noise ratio between paired samples, per sample and averaged over samples:
 * 10·log10(dataRange² / MSE) dB per sample (infinite for identical samples unless `maxDb`
 * bounds it).
 *
 * @param a - N samples, sample-major.
 * @param b - N samples of the same shape.
 * @param options - `dataRange` (required), `samples` (default 1), `maxDb`.
 * @returns Frozen {@link PairedResult} in dB.
 * @throws {@link MetricsError} as {@link pairedMse}, and `invalid-option` for a bad
 *   `dataRange` or `maxDb`.
 * @example
 * ```ts
 * psnr(candidate, teacher, { samples: 64, dataRange: 2 }).mean; // images in [-1, 1]
 * ```
 * @public
 */
export function psnr(a: NumericArray, b: NumericArray, options: PsnrOptions): PairedResult {
  if (typeof options !== 'object' || options === null) {
    throw new MetricsError('invalid-option', `Invalid psnr options ${describe(options)}: expected { dataRange, samples?, maxDb? }.`);
  }
  const range = checkPositive(options.dataRange, 'dataRange (e.g. 1 for [0, 1], 2 for [-1, 1], 255 for bytes)');
  const maxDb = options.maxDb ?? Number.POSITIVE_INFINITY;
  if (typeof maxDb !== 'number' || Number.isNaN(maxDb)) {
    throw new MetricsError('invalid-option', `Invalid maxDb ${describe(maxDb)}: expected a number or Infinity.`);
  }
  const mse = pairedMse(a, b, options).perSample;
  const perSample = new Float64Array(mse.length);
  const r2 = range * range;
  for (let i = 0; i < mse.length; i++) {
    const v = mse[i]! === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(r2 / mse[i]!);
    perSample[i] = Math.min(v, maxDb);
  }
  return Object.freeze({ perSample, mean: average(perSample) });
}

function average(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

function checkPair(a: NumericArray, b: NumericArray, samples: number | undefined): { n: number; size: number } {
  for (const [name, v] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (!(ArrayBuffer.isView(v) || Array.isArray(v))) {
      throw new MetricsError('invalid-argument', `Invalid ${name} ${describe(v)}: expected a typed array or an array of numbers.`);
    }
  }
  if (a.length !== b.length) {
    throw new MetricsError('dimension-mismatch', `Paired arrays differ in length: a has ${a.length} values, b has ${b.length}.`);
  }
  const n = checkInt(samples ?? 1, 'samples', 1);
  if (a.length === 0 || a.length % n !== 0) {
    throw new MetricsError(
      'invalid-argument',
      `Cannot split ${a.length} values into ${n} samples: expected a non-zero multiple of ${n} values.`,
    );
  }
  return { n, size: a.length / n };
}
