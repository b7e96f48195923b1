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

/**
 * Pivoted (rank-revealing) Cholesky factorisation of a symmetric positive semi-definite n×n
 * matrix, left-looking, stopping when the largest remaining pivot is ≤ n·ε·max diag (LAPACK
 * dpstrf's default tolerance). Robust for singular matrices.
 *
 * @internal
 */
export function pivotedCholesky(s: Float64Array, n: number): PivotedCholesky {
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
