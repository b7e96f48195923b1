import { packedGemm, rowMajorOperand } from './packed-gemm.js';

/**
 * Dense float64 matrix products: row-major `Float64Array`s, on the WebAssembly SIMD kernel
 * ({@link packedGemm}) from {@link WASM_GEMM_MIN} multiply-adds on, else register- and
 * cache-blocked JavaScript loops written for V8. Internal to the package.
 */

/** Multiply-adds (m·n·k) from which {@link gemmABt} uses the WebAssembly kernel. @internal */
export const WASM_GEMM_MIN = 1 << 15;

/** Options of {@link gemmABt}. @internal */
export interface GemmOptions {
  /**
   * The product is known to be symmetric (m = n): only the upper triangle is computed and then
   * mirrored.
   */
  readonly symmetric?: boolean;
  /** Row i of A is zero before column i (A is upper trapezoidal): the sums skip those terms. */
  readonly aUpper?: boolean;
  /** Row j of B is zero before column j (B is upper trapezoidal). */
  readonly bUpper?: boolean;
}

const KB = 256;
const JB = 128;

/**
 * C (m×n) = A (m×k) · Bᵀ, with A (m×k) and B (n×k) row-major: C[i][j] = dot(A row i, B row j).
 *
 * @internal
 */
export function gemmABt(a: Float64Array, b: Float64Array, m: number, n: number, k: number, options: GemmOptions = {}): Float64Array {
  const sym = options.symmetric === true;
  const aUp = options.aUpper === true;
  const bUp = options.bUpper === true;
  const c = new Float64Array(m * n);
  if (m * n * k >= WASM_GEMM_MIN) {
    const opA = rowMajorOperand(a, m, k);
    const opB = a === b && m === n ? 'same' : rowMajorOperand(b, n, k);
    if (packedGemm({ data: c, offset: 0, ld: n }, m, n, k, opA, opB, { upper: sym, aUpper: aUp, bUpper: bUp })) {
      if (sym) mirrorUpper(c, n);
      return c;
    }
  }
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = Math.min(k, k0 + KB);
    for (let j0 = 0; j0 < n; j0 += JB) {
      const j1 = Math.min(n, j0 + JB);
      const iEnd = sym ? Math.min(m, j1) : m;
      let i = 0;
      for (; i + 4 <= iEnd; i += 4) {
        const pa = aUp ? Math.max(k0, i) : k0;
        if (pa >= k1) continue;
        const a0 = i * k;
        const a1 = a0 + k;
        const a2 = a1 + k;
        const a3 = a2 + k;
        let j = sym ? Math.max(j0, i) : j0;
        for (; j + 2 <= j1; j += 2) {
          const p0 = bUp ? Math.max(pa, j) : pa;
          if (p0 >= k1) continue;
          const b0 = j * k;
          const b1 = b0 + k;
          let c00 = 0;
          let c01 = 0;
          let c10 = 0;
          let c11 = 0;
          let c20 = 0;
          let c21 = 0;
          let c30 = 0;
          let c31 = 0;
          for (let p = p0; p < k1; p++) {
            const x0 = b[b0 + p]!;
            const x1 = b[b1 + p]!;
            const y0 = a[a0 + p]!;
            const y1 = a[a1 + p]!;
            const y2 = a[a2 + p]!;
            const y3 = a[a3 + p]!;
            c00 += y0 * x0;
            c01 += y0 * x1;
            c10 += y1 * x0;
            c11 += y1 * x1;
            c20 += y2 * x0;
            c21 += y2 * x1;
            c30 += y3 * x0;
            c31 += y3 * x1;
          }
          const o = i * n + j;
          c[o] = c[o]! + c00;
          c[o + 1] = c[o + 1]! + c01;
          c[o + n] = c[o + n]! + c10;
          c[o + n + 1] = c[o + n + 1]! + c11;
          c[o + 2 * n] = c[o + 2 * n]! + c20;
          c[o + 2 * n + 1] = c[o + 2 * n + 1]! + c21;
          c[o + 3 * n] = c[o + 3 * n]! + c30;
          c[o + 3 * n + 1] = c[o + 3 * n + 1]! + c31;
        }
        for (; j < j1; j++) {
          const p0 = bUp ? Math.max(pa, j) : pa;
          const b0 = j * k;
          let c0 = 0;
          let c1 = 0;
          let c2 = 0;
          let c3 = 0;
          for (let p = p0; p < k1; p++) {
            const x = b[b0 + p]!;
            c0 += a[a0 + p]! * x;
            c1 += a[a1 + p]! * x;
            c2 += a[a2 + p]! * x;
            c3 += a[a3 + p]! * x;
          }
          const o = i * n + j;
          c[o] = c[o]! + c0;
          c[o + n] = c[o + n]! + c1;
          c[o + 2 * n] = c[o + 2 * n]! + c2;
          c[o + 3 * n] = c[o + 3 * n]! + c3;
        }
      }
      for (; i < iEnd; i++) {
        const pa = aUp ? Math.max(k0, i) : k0;
        const a0 = i * k;
        for (let j = sym ? Math.max(j0, i) : j0; j < j1; j++) {
          const p0 = bUp ? Math.max(pa, j) : pa;
          const b0 = j * k;
          let s = 0;
          for (let p = p0; p < k1; p++) s += a[a0 + p]! * b[b0 + p]!;
          c[i * n + j] = c[i * n + j]! + s;
        }
      }
    }
  }
  if (sym) mirrorUpper(c, n);
  return c;
}

/** Copy the upper triangle of a square row-major matrix onto its lower triangle. @internal */
export function mirrorUpper(c: Float64Array, n: number): void {
  const T = 64;
  for (let i0 = 0; i0 < n; i0 += T) {
    for (let j0 = 0; j0 <= i0; j0 += T) {
      const i1 = Math.min(n, i0 + T);
      for (let i = i0; i < i1; i++) {
        const j1 = Math.min(i, j0 + T);
        for (let j = j0; j < j1; j++) c[i * n + j] = c[j * n + i]!;
      }
    }
  }
}
