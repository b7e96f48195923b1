import { gemmABt } from './gemm.js';

/**
 * Column moments of N×d row-major feature arrays in float64: means, centred copies, the
 * co-moment. Internal to the package.
 */

/**
 * Column means of an N×d row-major array, in float64.
 *
 * @internal
 */
export function columnMeans(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) mean[i] = mean[i]! + x[o + i]!;
  }
  for (let i = 0; i < d; i++) mean[i] = mean[i]! / n;
  return mean;
}

/**
 * Centred copy of an N×d row-major array, transposed to d×N (float64).
 *
 * @internal
 */
export function centredTranspose(x: ArrayLike<number>, n: number, d: number, mean: Float64Array): Float64Array {
  const t = new Float64Array(d * n);
  const T = 32;
  for (let r0 = 0; r0 < n; r0 += T) {
    const r1 = Math.min(n, r0 + T);
    for (let i0 = 0; i0 < d; i0 += T) {
      const i1 = Math.min(d, i0 + T);
      for (let r = r0; r < r1; r++) {
        const o = r * d;
        for (let i = i0; i < i1; i++) t[i * n + r] = x[o + i]! - mean[i]!;
      }
    }
  }
  return t;
}

/**
 * Centred copy of an N×d row-major array (float64), same layout.
 *
 * @internal
 */
export function centredRows(x: ArrayLike<number>, n: number, d: number, mean: Float64Array): Float64Array {
  const out = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) out[o + i] = x[o + i]! - mean[i]!;
  }
  return out;
}

/**
 * Co-moment Σ (x − μ)(x − μ)ᵀ (d×d) of an N×d array around `mean`.
 *
 * @internal
 */
export function coMoment(x: ArrayLike<number>, n: number, d: number, mean: Float64Array): Float64Array {
  const t = centredTranspose(x, n, d, mean);
  return gemmABt(t, t, d, d, n, { symmetric: true });
}
