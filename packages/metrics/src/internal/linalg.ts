import { MetricsError } from '../errors.js';

/**
 * Dense float64 linear algebra kernels, written for V8: row-major `Float64Array`s, register- and
 * cache-blocked loops, no allocation inside the hot loops. Internal to the package.
 */

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
export function gemmABt(
  a: Float64Array,
  b: Float64Array,
  m: number,
  n: number,
  k: number,
  options: GemmOptions = {},
): Float64Array {
  const sym = options.symmetric === true;
  const aUp = options.aUpper === true;
  const bUp = options.bUpper === true;
  const c = new Float64Array(m * n);
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

/**
 * Eigenvalues of a symmetric n×n matrix (row-major; only the lower triangle is read). The
 * matrix is overwritten. Householder tridiagonalisation, with each step's rank-2 update fused
 * with the next step's matrix-vector product (one sweep over the trailing triangle per column),
 * then implicit QL with Wilkinson shifts on the tridiagonal matrix. Values only: O(4/3·n³) flops.
 *
 * @returns The eigenvalues, unsorted.
 * @internal
 */
export function symmetricEigenvaluesInPlace(a: Float64Array, n: number): Float64Array {
  const dd = new Float64Array(n);
  if (n === 0) return dd;
  // scale to max |a| = 1 to keep squares away from overflow and underflow
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const o = i * n;
    for (let j = 0; j <= i; j++) {
      const v = Math.abs(a[o + j]!);
      if (v > amax) amax = v;
    }
  }
  if (amax === 0 || !Number.isFinite(amax)) {
    if (!Number.isFinite(amax)) dd.fill(Number.NaN);
    return dd;
  }
  const sc = 1 / amax;
  for (let i = 0; i < n; i++) {
    const o = i * n;
    for (let j = 0; j <= i; j++) a[o + j] = a[o + j]! * sc;
  }
  const e = new Float64Array(n);
  let v = new Float64Array(n);
  let w = new Float64Array(n);
  let vn = new Float64Array(n);
  let pn = new Float64Array(n);
  for (let K = 0; K < n; K++) {
    // apply the pending update (v, w) of the previous step to column K (rows K..n-1)
    const vK = v[K]!;
    const wK = w[K]!;
    for (let i = K; i < n; i++) a[i * n + K] = a[i * n + K]! - (v[i]! * wK + w[i]! * vK);
    dd[K] = a[K * n + K]!;
    if (K === n - 1) break;
    // Householder reflector for column K, rows K+1..n-1
    const alpha = a[(K + 1) * n + K]!;
    let xn2 = 0;
    for (let i = K + 2; i < n; i++) {
      const x = a[i * n + K]!;
      xn2 += x * x;
    }
    let tau = 0;
    vn[K + 1] = 1;
    if (xn2 === 0) {
      e[K] = alpha;
      for (let i = K + 2; i < n; i++) vn[i] = 0;
    } else {
      const norm = Math.sqrt(alpha * alpha + xn2);
      const beta = alpha >= 0 ? -norm : norm;
      tau = (beta - alpha) / beta;
      const s = 1 / (alpha - beta);
      for (let i = K + 2; i < n; i++) vn[i] = a[i * n + K]! * s;
      e[K] = beta;
    }
    // sweep the trailing triangle: apply (v, w), accumulate pn = T·vn
    const j0 = K + 1;
    pn.fill(0, j0);
    if (tau !== 0) {
      let i = j0;
      // four rows at a time: the vector loads are shared by the rows
      for (; i + 3 < n; i += 4) {
        const vi0 = v[i]!;
        const wi0 = w[i]!;
        const vn0 = vn[i]!;
        const vi1 = v[i + 1]!;
        const wi1 = w[i + 1]!;
        const vn1 = vn[i + 1]!;
        const vi2 = v[i + 2]!;
        const wi2 = w[i + 2]!;
        const vn2 = vn[i + 2]!;
        const vi3 = v[i + 3]!;
        const wi3 = w[i + 3]!;
        const vn3 = vn[i + 3]!;
        const o0 = i * n;
        const o1 = o0 + n;
        const o2 = o1 + n;
        const o3 = o2 + n;
        let acc0 = 0;
        let acc1 = 0;
        let acc2 = 0;
        let acc3 = 0;
        for (let j = j0; j < i; j++) {
          const wj = w[j]!;
          const vj = v[j]!;
          const vnj = vn[j]!;
          const x0 = a[o0 + j]! - vi0 * wj - wi0 * vj;
          const x1 = a[o1 + j]! - vi1 * wj - wi1 * vj;
          const x2 = a[o2 + j]! - vi2 * wj - wi2 * vj;
          const x3 = a[o3 + j]! - vi3 * wj - wi3 * vj;
          a[o0 + j] = x0;
          a[o1 + j] = x1;
          a[o2 + j] = x2;
          a[o3 + j] = x3;
          acc0 += x0 * vnj;
          acc1 += x1 * vnj;
          acc2 += x2 * vnj;
          acc3 += x3 * vnj;
          pn[j] = pn[j]! + x0 * vn0 + x1 * vn1 + x2 * vn2 + x3 * vn3;
        }
        // the 4×4 lower triangle at columns i..i+3
        const vs = [vi0, vi1, vi2, vi3];
        const ws = [wi0, wi1, wi2, wi3];
        const vns = [vn0, vn1, vn2, vn3];
        const accs = [acc0, acc1, acc2, acc3];
        for (let r = 0; r < 4; r++) {
          const o = (i + r) * n;
          for (let q = 0; q <= r; q++) {
            const x = a[o + i + q]! - vs[r]! * ws[q]! - ws[r]! * vs[q]!;
            a[o + i + q] = x;
            accs[r] = accs[r]! + x * vns[q]!;
            if (q < r) accs[q] = accs[q]! + x * vns[r]!;
          }
        }
        pn[i] = pn[i]! + accs[0]!;
        pn[i + 1] = pn[i + 1]! + accs[1]!;
        pn[i + 2] = pn[i + 2]! + accs[2]!;
        pn[i + 3] = pn[i + 3]! + accs[3]!;
      }
      for (; i + 1 < n; i += 2) {
        const vi0 = v[i]!;
        const wi0 = w[i]!;
        const vn0 = vn[i]!;
        const vi1 = v[i + 1]!;
        const wi1 = w[i + 1]!;
        const vn1 = vn[i + 1]!;
        const o0 = i * n;
        const o1 = o0 + n;
        let acc0 = 0;
        let acc1 = 0;
        for (let j = j0; j < i; j++) {
          const wj = w[j]!;
          const vj = v[j]!;
          const vnj = vn[j]!;
          const x0 = a[o0 + j]! - vi0 * wj - wi0 * vj;
          const x1 = a[o1 + j]! - vi1 * wj - wi1 * vj;
          a[o0 + j] = x0;
          a[o1 + j] = x1;
          acc0 += x0 * vnj;
          acc1 += x1 * vnj;
          pn[j] = pn[j]! + x0 * vn0 + x1 * vn1;
        }
        // a[i][i], a[i+1][i], a[i+1][i+1]
        const d0 = a[o0 + i]! - 2 * vi0 * wi0;
        const x10 = a[o1 + i]! - vi1 * wi0 - wi1 * vi0;
        const d1 = a[o1 + i + 1]! - 2 * vi1 * wi1;
        a[o0 + i] = d0;
        a[o1 + i] = x10;
        a[o1 + i + 1] = d1;
        pn[i] = pn[i]! + acc0 + d0 * vn0 + x10 * vn1;
        pn[i + 1] = pn[i + 1]! + acc1 + x10 * vn0 + d1 * vn1;
      }
      for (; i < n; i++) {
        const vi = v[i]!;
        const wi = w[i]!;
        const vni = vn[i]!;
        const o = i * n;
        let acc = 0;
        for (let j = j0; j < i; j++) {
          const x = a[o + j]! - vi * w[j]! - wi * v[j]!;
          a[o + j] = x;
          acc += x * vn[j]!;
          pn[j] = pn[j]! + x * vni;
        }
        const xd = a[o + i]! - 2 * vi * wi;
        a[o + i] = xd;
        pn[i] = pn[i]! + acc + xd * vni;
      }
      // pn = tau·T·vn ; w' = pn − (tau/2)(pn·vn) vn
      let pv = 0;
      for (let i = j0; i < n; i++) {
        const t = pn[i]! * tau;
        pn[i] = t;
        pv += t * vn[i]!;
      }
      const h = 0.5 * tau * pv;
      for (let i = j0; i < n; i++) pn[i] = pn[i]! - h * vn[i]!;
    } else {
      // no reflection: still apply the pending update; the next step's w is 0
      for (let i = j0; i < n; i++) {
        const vi = v[i]!;
        const wi = w[i]!;
        const o = i * n;
        for (let j = j0; j < i; j++) a[o + j] = a[o + j]! - vi * w[j]! - wi * v[j]!;
        a[o + i] = a[o + i]! - 2 * vi * wi;
      }
    }
    // rotate buffers: next step's (v, w) = (vn, pn)
    const tv = v;
    v = vn;
    vn = tv;
    const tw = w;
    w = pn;
    pn = tw;
  }
  tqlValues(dd, e, n);
  for (let i = 0; i < n; i++) dd[i] = dd[i]! * amax;
  return dd;
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix with diagonal `d` and sub-diagonal `e`
 * (e[i] couples d[i] and d[i+1]; e[n-1] is ignored) by implicit QL with Wilkinson shifts.
 * Overwrites `d` with the eigenvalues and destroys `e`.
 *
 * @internal
 */
export function tqlValues(d: Float64Array, e: Float64Array, n: number): void {
  if (n === 0) return;
  e[n - 1] = 0;
  const EPS = Number.EPSILON;
  // EISPACK's test: an off-diagonal entry is negligible relative to the norm of the part of the
  // matrix seen so far (not only its two neighbours), which converges on clusters of tiny
  // eigenvalues where the local test cycles.
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    const h = Math.abs(d[l]!) + Math.abs(e[l]!);
    if (h > tst1) tst1 = h;
    do {
      for (m = l; m < n - 1; m++) {
        if (Math.abs(e[m]!) <= EPS * tst1) break;
      }
      if (m !== l) {
        if (iter++ === 100) {
          throw new MetricsError(
            'no-convergence',
            `The eigenvalue iteration did not converge for eigenvalue ${l} of ${n} after 100 iterations (is the matrix finite?).`,
          );
        }
        let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
        let r = Math.sqrt(g * g + 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        let underflow = false;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i]!;
          const b = c * e[i]!;
          r = Math.sqrt(f * f + g * g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] = d[i + 1]! - p;
            e[m] = 0;
            underflow = true;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1]! - p;
          r = (d[i]! - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (underflow) continue;
        d[l] = d[l]! - p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}
