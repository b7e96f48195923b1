import { type PackedOperand, packedGemm, packedScratchSize } from './packed-gemm.js';
import { instantiateKernels } from './wasm-kernels.js';

/**
 * Pivoted (rank-revealing) Cholesky factorisation of symmetric positive semi-definite matrices,
 * and the symmetric permutation that goes with it. Internal to the package.
 */

/**
 * Result of {@link pivotedCholesky}: S[perm[i]][perm[j]] ≈ Σ_c LT[c][i]·LT[c][j], with LT the
 * rank×d row-major matrix whose row c is zero before column c.
 *
 * @internal
 */
export interface PivotedCholesky {
  readonly rank: number;
  readonly n: number;
  readonly perm: Int32Array;
  readonly lt: Float64Array;
}

/** Columns per panel of the blocked factorisation. */
const PANEL = 64;

/** Size from which {@link pivotedCholesky} runs blocked on the WebAssembly kernels. @internal */
export const WASM_CHOLESKY_MIN = 96;

/**
 * Pivoted (rank-revealing) Cholesky factorisation of a symmetric positive semi-definite n×n
 * matrix (exactly symmetric: the two variants read different triangles), stopping when the
 * largest remaining pivot is ≤ n·ε·max diag (LAPACK dpstrf's default tolerance). Robust for singular matrices. Blocked like
 * dpstrf (panels of {@link PANEL} columns, the trailing matrix updated by one product per panel
 * on the WebAssembly kernel) from {@link WASM_CHOLESKY_MIN} on, else left-looking
 * ({@link pivotedCholeskyLeft}); both pick the same pivots up to round-off.
 *
 * @internal
 */
export function pivotedCholesky(s: Float64Array, n: number): PivotedCholesky {
  if (n >= WASM_CHOLESKY_MIN) {
    const r = pivotedCholeskyBlocked(s, n);
    if (r !== null) return r;
  }
  return pivotedCholeskyLeft(s, n);
}

/**
 * The blocked, right-looking variant (upper storage: row c of the working matrix becomes row c
 * of LT). Null without the WebAssembly kernels.
 */
function pivotedCholeskyBlocked(s: Float64Array, n: number): PivotedCholesky | null {
  // the working matrix in the kernels' memory (+4 rows: tiles past the end add zeros there)
  const scratchAt = (((n + 4) * n + 7) >> 3) << 3;
  const kern = instantiateKernels((scratchAt + packedScratchSize(n)) * 8);
  if (kern === null) return null;
  const w = new Float64Array(kern.memory.buffer, 0, n * n);
  w.set(s);
  const perm = new Int32Array(n);
  const dres = new Float64Array(n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    perm[i] = i;
    const v = w[i * n + i]!;
    dres[i] = v;
    if (v > maxDiag) maxDiag = v;
  }
  const tol = n * Number.EPSILON * maxDiag;
  let rank = 0;
  if (maxDiag > 0) {
    outer: for (let k0 = 0; k0 < n; k0 += PANEL) {
      const k1 = Math.min(n, k0 + PANEL);
      for (let j = k0; j < k1; j++) {
        let p = j;
        let best = dres[j]!;
        for (let i = j + 1; i < n; i++) {
          if (dres[i]! > best) {
            best = dres[i]!;
            p = i;
          }
        }
        if (!(best > tol)) break outer;
        if (p !== j) swapSymmetric(w, n, j, p, perm, dres);
        const oj = j * n;
        // row j minus the current panel's rows k0..j−1 (earlier panels are in the trailing update)
        let c = k0;
        for (; c + 4 <= j; c += 4) {
          const o0 = c * n;
          const o1 = o0 + n;
          const o2 = o1 + n;
          const o3 = o2 + n;
          const f0 = w[o0 + j]!;
          const f1 = w[o1 + j]!;
          const f2 = w[o2 + j]!;
          const f3 = w[o3 + j]!;
          for (let i = j + 1; i < n; i++) {
            w[oj + i] = w[oj + i]! - (f0 * w[o0 + i]! + f1 * w[o1 + i]! + f2 * w[o2 + i]! + f3 * w[o3 + i]!);
          }
        }
        for (; c < j; c++) {
          const o = c * n;
          const f = w[o + j]!;
          if (f === 0) continue;
          for (let i = j + 1; i < n; i++) w[oj + i] = w[oj + i]! - f * w[o + i]!;
        }
        const ujj = Math.sqrt(best);
        const inv = 1 / ujj;
        w[oj + j] = ujj;
        for (let i = j + 1; i < n; i++) {
          const v = w[oj + i]! * inv;
          w[oj + i] = v;
          dres[i] = dres[i]! - v * v;
        }
        rank = j + 1;
      }
      // trailing update: W[i][l] −= Σ_{c ∈ panel} U[c][i]·U[c][l], k1 ≤ i ≤ l
      const t = n - k1;
      if (t > 0) {
        const neg = panelOperand(w, n, k0, k1, -1);
        const pos = panelOperand(w, n, k0, k1, 1);
        packedGemm({ data: w, offset: k1 * n + k1, ld: n, resident: { kern, scratchAt } }, t, t, k1 - k0, neg, pos, { upper: true });
      }
    }
  }
  const lt = new Float64Array(rank * n);
  for (let c = 0; c < rank; c++) lt.set(w.subarray(c * n + c, (c + 1) * n), c * n + c);
  return { rank, n, perm, lt };
}

/** Rows k0..k1−1 of the working matrix from column k1 on, scaled by `sign`, as a packed operand. */
function panelOperand(w: Float64Array, n: number, k0: number, k1: number, sign: number): PackedOperand {
  const t = n - k1;
  return {
    rows: t,
    pack(dst, at, r0, r1, p0, p1) {
      const kk = p1 - p0;
      const rEnd = r0 + ((r1 - r0 + 3) & ~3);
      for (let p = p0; p < p1; p++) {
        const o = (k0 + p) * n + k1;
        const base = at + (p - p0) * 4;
        for (let r = r0; r < rEnd; r++) dst[base + ((r - r0) >> 2) * kk * 4 + ((r - r0) & 3)] = r < t ? sign * w[o + r]! : 0;
      }
    },
  };
}

/**
 * Swap indices j < p of the factorisation in progress: the rows of LT so far (columns j and p)
 * and the trailing symmetric matrix (upper storage).
 */
function swapSymmetric(w: Float64Array, n: number, j: number, p: number, perm: Int32Array, dres: Float64Array): void {
  const tp = perm[j]!;
  perm[j] = perm[p]!;
  perm[p] = tp;
  const td = dres[j]!;
  dres[j] = dres[p]!;
  dres[p] = td;
  for (let c = 0; c < j; c++) {
    const o = c * n;
    const t = w[o + j]!;
    w[o + j] = w[o + p]!;
    w[o + p] = t;
  }
  const oj = j * n;
  const op = p * n;
  const t = w[oj + j]!;
  w[oj + j] = w[op + p]!;
  w[op + p] = t;
  for (let i = j + 1; i < p; i++) {
    const u = w[oj + i]!;
    w[oj + i] = w[i * n + p]!;
    w[i * n + p] = u;
  }
  for (let i = p + 1; i < n; i++) {
    const u = w[oj + i]!;
    w[oj + i] = w[op + i]!;
    w[op + i] = u;
  }
}

/**
 * The left-looking variant of {@link pivotedCholesky} (no WebAssembly).
 *
 * @internal
 */
export function pivotedCholeskyLeft(s: Float64Array, n: number): PivotedCholesky {
  const perm = new Int32Array(n);
  const dres = new Float64Array(n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    perm[i] = i;
    const v = s[i * n + i]!;
    dres[i] = v;
    if (v > maxDiag) maxDiag = v;
  }
  const lt = new Float64Array(n * n);
  const tol = n * Number.EPSILON * maxDiag;
  const col = new Float64Array(n);
  let rank = 0;
  if (!(maxDiag > 0)) return { rank: 0, n, perm, lt: lt.subarray(0, 0) };
  for (let j = 0; j < n; j++) {
    // pivot
    let p = j;
    let best = dres[j]!;
    for (let i = j + 1; i < n; i++) {
      if (dres[i]! > best) {
        best = dres[i]!;
        p = i;
      }
    }
    if (!(best > tol)) break;
    if (p !== j) {
      const tp = perm[j]!;
      perm[j] = perm[p]!;
      perm[p] = tp;
      const td = dres[j]!;
      dres[j] = dres[p]!;
      dres[p] = td;
      for (let c = 0; c < j; c++) {
        const o = c * n;
        const t = lt[o + j]!;
        lt[o + j] = lt[o + p]!;
        lt[o + p] = t;
      }
    }
    // column j (rows j+1..n-1) of S' = P S Pᵀ minus the previous columns' contribution
    const pj = perm[j]! * n;
    for (let i = j + 1; i < n; i++) col[i] = s[pj + perm[i]!]!;
    let c = 0;
    for (; c + 4 <= j; c += 4) {
      const o0 = c * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      const f0 = lt[o0 + j]!;
      const f1 = lt[o1 + j]!;
      const f2 = lt[o2 + j]!;
      const f3 = lt[o3 + j]!;
      for (let i = j + 1; i < n; i++) {
        col[i] = col[i]! - (f0 * lt[o0 + i]! + f1 * lt[o1 + i]! + f2 * lt[o2 + i]! + f3 * lt[o3 + i]!);
      }
    }
    for (; c < j; c++) {
      const o = c * n;
      const f = lt[o + j]!;
      if (f === 0) continue;
      for (let i = j + 1; i < n; i++) col[i] = col[i]! - f * lt[o + i]!;
    }
    const ljj = Math.sqrt(best);
    const inv = 1 / ljj;
    const oj = j * n;
    lt[oj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const v = col[i]! * inv;
      lt[oj + i] = v;
      dres[i] = dres[i]! - v * v;
    }
    rank = j + 1;
  }
  return { rank, n, perm, lt: lt.subarray(0, rank * n) };
}

/**
 * P S Pᵀ for a permutation given as an index array: out[i][j] = s[perm[i]][perm[j]].
 *
 * @internal
 */
export function permuteSymmetric(s: Float64Array, n: number, perm: Int32Array): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const src = perm[i]! * n;
    const dst = i * n;
    for (let j = 0; j < n; j++) out[dst + j] = s[src + perm[j]!]!;
  }
  return out;
}
