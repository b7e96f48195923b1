import { gemmABt, mirrorUpper } from './gemm.js';
import { KC, type PackedOperand, packedGemm, packedScratchSize } from './packed-gemm.js';
import { instantiateKernels, type WasmKernels } from './wasm-kernels.js';

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
  return columnMeansOf(x, 0, n, d);
}

/**
 * Column means of rows [r0, r0 + n) of a row-major array with d columns, in float64.
 *
 * @internal
 */
export function columnMeansOf(x: ArrayLike<number>, r0: number, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let r = r0; r < r0 + n; r++) {
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
 * The columns of rows [r0, r0 + n) of a row-major array with d columns, minus `shift`, as a
 * packed operand: its rows are the d features, its reduction steps the samples, then one more
 * step holding `extra` when given. Nothing is copied beyond the packed chunk.
 *
 * @internal
 */
export function sampleColumns(
  x: ArrayLike<number>,
  r0: number,
  n: number,
  d: number,
  shift: Float64Array,
  extra?: Float64Array,
): PackedOperand {
  return {
    rows: d,
    pack(dst, at, f0, f1, k0, k1) {
      const kk = k1 - k0;
      const fEnd = f0 + ((f1 - f0 + 3) & ~3);
      const full = Math.min(f1, d);
      for (let p = k0; p < k1; p++) {
        const base = at + (p - k0) * 4;
        if (p < n) {
          const o = (r0 + p) * d;
          let f = f0;
          for (; f + 4 <= full; f += 4) {
            const t = base + ((f - f0) >> 2) * kk * 4;
            dst[t] = x[o + f]! - shift[f]!;
            dst[t + 1] = x[o + f + 1]! - shift[f + 1]!;
            dst[t + 2] = x[o + f + 2]! - shift[f + 2]!;
            dst[t + 3] = x[o + f + 3]! - shift[f + 3]!;
          }
          for (; f < fEnd; f++) dst[base + ((f - f0) >> 2) * kk * 4 + ((f - f0) & 3)] = f < d ? x[o + f]! - shift[f]! : 0;
        } else {
          // the extra step (p = n)
          for (let f = f0; f < fEnd; f++) dst[base + ((f - f0) >> 2) * kk * 4 + ((f - f0) & 3)] = f < d ? extra![f]! : 0;
        }
      }
    },
  };
}

/**
 * m2 (d×d, row-major) += Σ (x − shift)(x − shift)ᵀ over rows [r0, r0 + n) of x, plus
 * extra·extraᵀ when given, on the upper triangle (the lower one is left stale, except inside the
 * 4×4 blocks on the diagonal). On the WebAssembly kernel, in place for a {@link CoMomentBuffer};
 * with JavaScript loops where the kernels are unavailable.
 *
 * @internal
 */
export function addCoMomentUpper(
  m2: Float64Array | CoMomentBuffer,
  x: ArrayLike<number>,
  r0: number,
  n: number,
  d: number,
  shift: Float64Array,
  extra?: Float64Array,
): void {
  const k = n + (extra === undefined ? 0 : 1);
  const op = sampleColumns(x, r0, n, d, shift, extra);
  const target =
    m2 instanceof Float64Array
      ? { data: m2, offset: 0, ld: d }
      : { data: m2.m2, offset: 0, ld: d, resident: { kern: m2.kern, scratchAt: m2.scratchAt } };
  if (packedGemm(target, d, d, k, op, 'same', { upper: true })) return;
  // no kernels: the centred columns (d×k), then their Gram matrix
  const t = new Float64Array(d * k);
  const base = new Float64Array(4 * k);
  for (let f0 = 0; f0 < d; f0 += 4) {
    op.pack(base, 0, f0, Math.min(d, f0 + 4), 0, k);
    for (let q = 0; q < 4 && f0 + q < d; q++) for (let p = 0; p < k; p++) t[(f0 + q) * k + p] = base[p * 4 + q]!;
  }
  const g = gemmABt(t, t, d, d, k, { symmetric: true });
  const out = target.data;
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) out[i * d + j] = out[i * d + j]! + g[i * d + j]!;
}

/**
 * A d×d co-moment held in its own WebAssembly memory, with room for the packed operands after
 * it: {@link addCoMomentUpper} then accumulates in place.
 *
 * @internal
 */
export interface CoMomentBuffer {
  readonly m2: Float64Array;
  readonly kern: WasmKernels;
  readonly scratchAt: number;
}

/**
 * A zeroed {@link CoMomentBuffer} for dimension d, or null without the WebAssembly kernels (or
 * when the memory cannot be had).
 *
 * @internal
 */
export function createCoMomentBuffer(d: number): CoMomentBuffer | null {
  // d + 4 rows: the 4×4 tiles past the last row add zeros there
  const scratchAt = (((d + 4) * d + 7) >> 3) << 3;
  const kern = instantiateKernels((scratchAt + packedScratchSize(d)) * 8);
  if (kern === null) return null;
  return { m2: new Float64Array(kern.memory.buffer, 0, d * d), kern, scratchAt };
}

/** Samples per co-moment update of the streaming accumulator (one packed chunk with the extra step). @internal */
export const MOMENT_CHUNK = KC - 1;

/**
 * Co-moment Σ (x − μ)(x − μ)ᵀ (d×d) of an N×d array around `mean`.
 *
 * @internal
 */
export function coMoment(x: ArrayLike<number>, n: number, d: number, mean: Float64Array): Float64Array {
  if (n * d * d >= 1 << 15) {
    const m2 = new Float64Array(d * d);
    if (packedGemm({ data: m2, offset: 0, ld: d }, d, d, n, sampleColumns(x, 0, n, d, mean), 'same', { upper: true })) {
      mirrorUpper(m2, d);
      return m2;
    }
  }
  const t = centredTranspose(x, n, d, mean);
  return gemmABt(t, t, d, d, n, { symmetric: true });
}
