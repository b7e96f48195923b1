import { MetricsError } from '../errors.js';
import { instantiateKernels, SWEEP_ROWS, type WasmKernels } from './wasm-kernels.js';

/**
 * Eigenvalues of symmetric matrices: Householder tridiagonalisation, then implicit QL on the
 * tridiagonal matrix. Internal to the package.
 */

/**
 * Eigenvalues of a symmetric n×n matrix (row-major; only the lower triangle is read). The
 * matrix is overwritten. Householder tridiagonalisation, with each step's rank-2 update fused
 * with the next step's matrix-vector product (one sweep over the trailing triangle per column),
 * then implicit QL with Wilkinson shifts on the tridiagonal matrix. Values only: O(4/3·n³) flops.
 * From n = {@link WASM_EIGEN_MIN} on, the sweep runs in the WebAssembly SIMD kernel on a copy of
 * the matrix (then `a` is left as it was); the arithmetic is the same up to summation order.
 *
 * @returns The eigenvalues, unsorted.
 * @internal
 */
export function symmetricEigenvaluesInPlace(input: Float64Array, n: number): Float64Array {
  const dd = new Float64Array(n);
  if (n === 0) return dd;
  // the matrix, then 4 vectors of n (+ 4 slack values each: the kernel reads row quads)
  const vecLen = n + 4;
  const kern = n >= WASM_EIGEN_MIN ? instantiateKernels((n * n + 4 * vecLen) * 8) : null;
  let a = input;
  if (kern !== null) {
    a = new Float64Array(kern.memory.buffer, 0, n * n);
    a.set(input);
  }
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
  // the vectors and their byte addresses in the kernels' memory (-1 without kernels)
  const vecs: Float64Array[] = [];
  const addr: number[] = [];
  for (let q = 0; q < 4; q++) {
    if (kern !== null) {
      const off = (n * n + q * vecLen) * 8;
      vecs.push(new Float64Array(kern.memory.buffer, off, vecLen));
      addr.push(off);
    } else {
      vecs.push(new Float64Array(vecLen));
      addr.push(-1);
    }
  }
  let [v, w, vn, pn] = vecs as [Float64Array, Float64Array, Float64Array, Float64Array];
  let [av, aw, avn, apn] = addr as [number, number, number, number];
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
      if (kern !== null) i = sweepWasm(kern, a, n, j0, av, aw, avn, apn, v, w, vn, pn);
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
    const tav = av;
    av = avn;
    avn = tav;
    const taw = aw;
    aw = apn;
    apn = taw;
  }
  tqlValues(dd, e, n);
  for (let i = 0; i < n; i++) dd[i] = dd[i]! * amax;
  return dd;
}

/** Size from which {@link symmetricEigenvaluesInPlace} uses the WebAssembly kernels. @internal */
export const WASM_EIGEN_MIN = 48;

/**
 * The row quads of one sweep (see {@link symmetricEigenvaluesInPlace}): the kernel does the
 * columns left of each quad, this the quads' 4×4 diagonal blocks. Returns the first row left
 * (fewer than 4 remain).
 */
function sweepWasm(
  kern: WasmKernels,
  a: Float64Array,
  n: number,
  j0: number,
  av: number,
  aw: number,
  avn: number,
  apn: number,
  v: Float64Array,
  w: Float64Array,
  vn: Float64Array,
  pn: Float64Array,
): number {
  const R = SWEEP_ROWS;
  const quads = Math.floor((n - j0) / R);
  const iEnd = j0 + quads * R;
  kern.sweep(0, n * 8, j0 * 8, j0, iEnd, av, aw, avn, apn);
  for (let i = j0; i < iEnd; i += R) {
    for (let r = 0; r < R; r++) {
      const o = (i + r) * n;
      const vr = v[i + r]!;
      const wr = w[i + r]!;
      const vnr = vn[i + r]!;
      let acc = 0;
      for (let q = 0; q < r; q++) {
        const x = a[o + i + q]! - vr * w[i + q]! - wr * v[i + q]!;
        a[o + i + q] = x;
        acc += x * vn[i + q]!;
        pn[i + q] = pn[i + q]! + x * vnr;
      }
      const xd = a[o + i + r]! - 2 * vr * wr;
      a[o + i + r] = xd;
      pn[i + r] = pn[i + r]! + acc + xd * vnr;
    }
  }
  return iEnd;
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
