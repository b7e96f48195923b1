// The kernels behind the Fréchet distance at scale (WebAssembly SIMD products, the blocked
// pivoted Cholesky, the tridiagonalisation sweep, the streamed co-moment and the onnxruntime
// accumulator), checked against the JavaScript loops, naive references and scipy fixtures.
// Sizes stay small (d ≤ 256); d = 2048 is in bench/metrics-frechet.mjs.
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createOnnxStatsAccumulator,
  createStatsAccumulator,
  type FeatureStats,
  featureStats,
  frechetDistanceDetails,
  MetricsError,
} from '../src/index.js';
import { pivotedCholesky, pivotedCholeskyLeft, WASM_CHOLESKY_MIN } from '../src/internal/cholesky.js';
import { symmetricEigenvaluesInPlace, WASM_EIGEN_MIN } from '../src/internal/eigen.js';
import { gemmABt } from '../src/internal/gemm.js';
import { addCoMomentUpper, MOMENT_CHUNK } from '../src/internal/moments.js';
import { setWasmEnabled, wasmAvailable } from '../src/internal/wasm-kernels.js';
import { frechetCases, loadSet, relErr } from './fixtures.js';

afterEach(() => setWasmEnabled(true));

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5;
}

/** X Xᵀ for a random n×rank X: symmetric PSD of rank min(n, rank). */
function randPsd(n: number, rank: number, seed: number): Float64Array {
  const u = rng(seed);
  const x = Float64Array.from({ length: n * rank }, u);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let t = 0;
      for (let p = 0; p < rank; p++) t += x[i * rank + p]! * x[j * rank + p]!;
      s[i * n + j] = t;
      s[j * n + i] = t;
    }
  return s;
}

/** Two-pass float64 mean and covariance (N − 1), the plain textbook way. */
function naiveStats(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) mean[i] = mean[i]! + x[r * d + i]!;
  for (let i = 0; i < d; i++) mean[i] = mean[i]! / n;
  const cov = new Float64Array(d * d);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < d; i++) {
      const a = x[r * d + i]! - mean[i]!;
      for (let j = 0; j < d; j++) cov[i * d + j] = cov[i * d + j]! + a * (x[r * d + j]! - mean[j]!);
    }
  for (let i = 0; i < cov.length; i++) cov[i] = cov[i]! / Math.max(1, n - 1);
  return { mean, cov };
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return e / Math.max(m, 1e-300);
}

/** Features with a large common mean (1e3) and per-feature spreads, like shifted activations. */
function features(n: number, d: number, seed: number, offset = 1e3): Float32Array {
  const u = rng(seed);
  const x = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    const f = u();
    for (let i = 0; i < d; i++) x[r * d + i] = offset + (i % 7) + u() * (1 + i / d) + 0.7 * f;
  }
  return x;
}

describe('WebAssembly kernels', () => {
  it('are available in this runtime (else every routine falls back to its JavaScript loops)', () => {
    expect(wasmAvailable()).toBe(true);
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 70 }),
      fc.constantFrom('plain', 'symmetric', 'aUpper', 'bUpper'),
    ],
    { numRuns: 40 },
  )('gemmABt on the kernel equals the JavaScript loops and the naive product', (m, k, n0, mode) => {
    const u = rng(m * 7919 + k * 31 + n0);
    const sym = mode === 'symmetric';
    const n = sym ? m : n0;
    const a = Float64Array.from({ length: m * k }, (_, i) => (mode === 'aUpper' && i % k < Math.floor(i / k) ? 0 : u()));
    const b = sym ? a : Float64Array.from({ length: n * k }, (_, i) => (mode === 'bUpper' && i % k < Math.floor(i / k) ? 0 : u()));
    const opts = { symmetric: sym, aUpper: mode === 'aUpper', bUpper: mode === 'bUpper' };
    const wasm = gemmABt(a, b, m, n, k, opts);
    setWasmEnabled(false);
    const js = gemmABt(a, b, m, n, k, opts);
    setWasmEnabled(true);
    const naive = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let t = 0;
        for (let p = 0; p < k; p++) t += a[i * k + p]! * b[j * k + p]!;
        naive[i * n + j] = t;
      }
    expect(maxRel(wasm, naive)).toBeLessThan(1e-13);
    expect(maxRel(wasm, js)).toBeLessThan(1e-13);
  });

  fcTest.prop([fc.integer({ min: WASM_EIGEN_MIN, max: 110 }), fc.integer({ min: 1, max: 120 }), fc.integer()], { numRuns: 12 })(
    'the SIMD tridiagonalisation keeps trace and Frobenius norm, PSD stays PSD, and matches the JavaScript sweep',
    (n, rank, seed) => {
      const a = randPsd(n, rank, seed);
      let tr = 0;
      let fro = 0;
      for (let i = 0; i < n; i++) tr += a[i * n + i]!;
      for (const v of a) fro += v * v;
      const ev = symmetricEigenvaluesInPlace(a.slice(), n).sort();
      setWasmEnabled(false);
      const evJs = symmetricEigenvaluesInPlace(a.slice(), n).sort();
      setWasmEnabled(true);
      const top = ev[n - 1]!;
      expect(
        relErr(
          ev.reduce((p, q) => p + q, 0),
          tr,
        ),
      ).toBeLessThan(1e-12);
      expect(
        relErr(
          ev.reduce((p, q) => p + q * q, 0),
          fro,
        ),
      ).toBeLessThan(1e-12);
      expect(ev[0]!).toBeGreaterThan(-1e-12 * top);
      for (let i = 0; i < n; i++) expect(Math.abs(ev[i]! - evJs[i]!)).toBeLessThan(1e-12 * top);
      // the rank shows: eigenvalues beyond it vanish
      for (let i = 0; i < n - Math.min(n, rank); i++) expect(Math.abs(ev[i]!)).toBeLessThan(1e-12 * top);
    },
  );

  fcTest.prop([fc.integer({ min: WASM_CHOLESKY_MIN, max: 160 }), fc.integer({ min: 1, max: 180 }), fc.integer()], { numRuns: 8 })(
    'the blocked pivoted Cholesky finds the rank, reconstructs, and pivots like the left-looking one',
    (n, rank, seed) => {
      const s = randPsd(n, rank, seed);
      const ch = pivotedCholesky(s, n);
      const left = pivotedCholeskyLeft(s, n);
      expect(ch.rank).toBe(Math.min(n, rank));
      expect(ch.rank).toBe(left.rank);
      expect(Array.from(ch.perm)).toEqual(Array.from(left.perm));
      expect(maxRel(ch.lt, left.lt)).toBeLessThan(1e-10);
      let scale = 0;
      for (let i = 0; i < n; i++) scale = Math.max(scale, s[i * n + i]!);
      for (let c = 0; c < ch.rank; c++) for (let i = 0; i < c; i++) expect(ch.lt[c * n + i]).toBe(0);
      for (let i = 0; i < n; i++)
        for (let j = i; j < n; j++) {
          let t = 0;
          for (let c = 0; c < ch.rank; c++) t += ch.lt[c * n + i]! * ch.lt[c * n + j]!;
          expect(Math.abs(t - s[ch.perm[i]! * n + ch.perm[j]!]!)).toBeLessThan(1e-12 * scale);
        }
    },
  );
});

describe('streamed statistics', () => {
  fcTest.prop(
    [
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 2, max: 700 }),
      fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 6 }),
      fc.boolean(),
      fc.integer(),
    ],
    { numRuns: 25 },
  )('equal the one-shot two-pass statistics for any batch split, with a mean 1000× the spread', (d, n, cuts, f64, seed) => {
    const x32 = features(n, d, seed);
    const x = f64 ? Float64Array.from(x32) : x32;
    const ref = naiveStats(x, n, d);
    const bounds = [...new Set([0, n, ...cuts.map((c) => c % (n + 1))])].sort((p, q) => p - q);
    const acc = createStatsAccumulator(d);
    for (let i = 0; i + 1 < bounds.length; i++) acc.add(x.subarray(bounds[i]! * d, bounds[i + 1]! * d));
    expect(acc.count).toBe(n);
    const s = acc.result();
    expect(maxRel(s.mean, ref.mean)).toBeLessThan(1e-14);
    expect(maxRel(s.cov, ref.cov)).toBeLessThan(1e-11);
    const one = featureStats(x, d);
    expect(maxRel(s.cov, one.cov)).toBeLessThan(1e-11);
    // exactly symmetric
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) expect(s.cov[i * d + j]).toBe(s.cov[j * d + i]);
  });

  it('match the JavaScript fallback, across chunk boundaries and merges', () => {
    const d = 70;
    const n = 3 * MOMENT_CHUNK + 17;
    const x = features(n, d, 5);
    const run = (): FeatureStats => {
      const a = createStatsAccumulator(d)
        .add(x.subarray(0, 100 * d))
        .add(x.subarray(100 * d, 600 * d));
      const b = createStatsAccumulator(d).add(x.subarray(600 * d));
      return a.merge(b).result();
    };
    const wasm = run();
    setWasmEnabled(false);
    const js = run();
    setWasmEnabled(true);
    const ref = naiveStats(x, n, d);
    expect(wasm.count).toBe(n);
    expect(maxRel(wasm.cov, js.cov)).toBeLessThan(1e-12);
    expect(maxRel(wasm.cov, ref.cov)).toBeLessThan(1e-12);
    expect(maxRel(wasm.mean, ref.mean)).toBeLessThan(1e-15);
  });

  it('co-moment update: kernel and JavaScript fallback equal the naive sum (upper triangle, with the extra step)', () => {
    const d = 23;
    const n = 40;
    const x = features(n, d, 11, 0);
    const shift = Float64Array.from({ length: d }, (_, i) => 0.1 * i);
    const extra = Float64Array.from({ length: d }, (_, i) => Math.sin(i));
    const naive = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = i; j < d; j++) {
        let t = extra[i]! * extra[j]!;
        for (let r = 5; r < 5 + 30; r++) t += (x[r * d + i]! - shift[i]!) * (x[r * d + j]! - shift[j]!);
        naive[i * d + j] = t;
      }
    const upper = (m: Float64Array): number[] => Array.from(m).filter((_, k) => k % d >= Math.floor(k / d));
    for (const enabled of [true, false]) {
      setWasmEnabled(enabled);
      const m2 = new Float64Array(d * d).fill(1);
      addCoMomentUpper(m2, x, 5, 30, d, shift, extra);
      expect(
        maxRel(
          upper(m2).map((v) => v - 1),
          upper(naive),
        ),
      ).toBeLessThan(1e-13);
    }
  });

  it('give a result that later additions do not change, and keep counting gathered samples', () => {
    const d = 16;
    const x = features(50, d, 9);
    const acc = createStatsAccumulator(d).add(x.subarray(0, 10 * d));
    expect(acc.count).toBe(10);
    const first = acc.result();
    const cov = first.cov.slice();
    acc.add(x.subarray(10 * d));
    expect(acc.count).toBe(50);
    expect(first.cov).toEqual(cov);
    expect(maxRel(acc.result().cov, naiveStats(x, 50, d).cov)).toBeLessThan(1e-12);
  });
});

describe('Fréchet distance from streamed statistics agrees with scipy (pytorch-fid) on the fixtures', () => {
  // the fixtures' scipy values (tools/metrics-fixtures/make_fixtures.py); tolerance 1e-6 relative
  const cases = frechetCases().filter((c) => c.dim <= 256);
  it.each(cases)('$name: streamed in batches of 37, full route, wasm and JavaScript', (c) => {
    const a = loadSet(c.a, c.dim);
    const b = loadSet(c.b, c.dim);
    const stream = (x: Float32Array): FeatureStats => {
      const acc = createStatsAccumulator(c.dim);
      for (let r = 0; r * c.dim < x.length; r += 37) acc.add(x.subarray(r * c.dim, Math.min(x.length, (r + 37) * c.dim)));
      return acc.result();
    };
    const fd = frechetDistanceDetails(stream(a), stream(b), { route: 'full' });
    expect(relErr(fd.distance, c.fid_pytorch)).toBeLessThan(1e-6);
    setWasmEnabled(false);
    const js = frechetDistanceDetails(stream(a), stream(b), { route: 'full' });
    setWasmEnabled(true);
    expect(relErr(fd.distance, js.distance)).toBeLessThan(1e-9);
    expect(fd.size).toBe(js.size);
  });
});

describe('createOnnxStatsAccumulator (onnxruntime-node, float64 MatMul)', () => {
  const createSession = (model: Uint8Array) => ort.InferenceSession.create(model, { intraOpNumThreads: 1 });

  it('equals the synchronous accumulator, for overlapping calls, small chunks and merges', async () => {
    const d = 300; // two output blocks
    const n = 700;
    const x = features(n, d, 3);
    const acc = await createOnnxStatsAccumulator(d, { createSession, chunkSize: 64 });
    // not awaited one by one: applied in call order
    const adds = [acc.add(x.subarray(0, 5 * d)), acc.add(x.subarray(5 * d, 300 * d)), acc.add(x.subarray(300 * d, 301 * d))];
    expect(acc.count).toBe(301);
    await Promise.all(adds);
    await acc.merge(createStatsAccumulator(d).add(x.subarray(301 * d, 500 * d)));
    await acc.merge(featureStats(x.subarray(500 * d, 650 * d), d));
    await acc.add(x.subarray(650 * d));
    expect(acc.count).toBe(n);
    const s = await acc.result();
    const ref = naiveStats(x, n, d);
    expect(s.count).toBe(n);
    expect(maxRel(s.mean, ref.mean)).toBeLessThan(1e-14);
    expect(maxRel(s.cov, ref.cov)).toBeLessThan(1e-11);
    expect(s.features).toBeUndefined();
  });

  it('agrees with scipy on a fixture (one session shared by both accumulators)', async () => {
    const c = frechetCases().find((k) => k.name === 'd256-above')!;
    let shared: Promise<ort.InferenceSession> | undefined;
    const stream = async (x: Float32Array): Promise<FeatureStats> => {
      const acc = await createOnnxStatsAccumulator(c.dim, { createSession: (m) => (shared ??= createSession(m)), chunkSize: 128 });
      for (let r = 0; r * c.dim < x.length; r += 100) await acc.add(x.subarray(r * c.dim, Math.min(x.length, (r + 100) * c.dim)));
      return acc.result();
    };
    const [sa, sb] = await Promise.all([stream(loadSet(c.a, c.dim)), stream(loadSet(c.b, c.dim))]);
    const fd = frechetDistanceDetails(sa, sb);
    expect(relErr(fd.distance, c.fid_pytorch)).toBeLessThan(1e-6);
    expect(maxRel(sa.cov, featureStats(loadSet(c.a, c.dim), c.dim).cov)).toBeLessThan(1e-12);
  });

  it('rejects bad input and options with MetricsError codes', async () => {
    const code = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
        return 'resolved';
      } catch (e) {
        return e instanceof MetricsError ? e.code : `other: ${String(e)}`;
      }
    };
    expect(await code(createOnnxStatsAccumulator(0, { createSession }))).toBe('invalid-argument');
    expect(await code(createOnnxStatsAccumulator(4, {} as never))).toBe('invalid-option');
    expect(await code(createOnnxStatsAccumulator(4, { createSession, chunkSize: 3 }))).toBe('invalid-option');
    expect(await code(createOnnxStatsAccumulator(4, { createSession: () => Promise.reject(new Error('no runtime')) }))).toBe('onnx-error');
    const acc = await createOnnxStatsAccumulator(4, { createSession });
    expect(await code(acc.result())).toBe('too-few-samples');
    expect(await code(acc.add(new Float32Array(5)))).toBe('invalid-argument');
    expect(await code(acc.add(Float32Array.from([1, 2, 3, Number.NaN])))).toBe('non-finite');
    expect(await code(acc.merge(featureStats(new Float32Array(6), 3)))).toBe('dimension-mismatch');
    await acc.add(Float32Array.from([1, 2, 3, 4]));
    const s = await acc.result();
    expect(Array.from(s.mean)).toEqual([1, 2, 3, 4]);
    expect(Array.from(s.cov)).toEqual(new Array(16).fill(0));
    // a failing run breaks the accumulator for good
    const failing = await createOnnxStatsAccumulator(4, {
      createSession: async (model) => {
        const real = await createSession(model);
        return { inputNames: real.inputNames, outputNames: real.outputNames, run: () => Promise.reject(new Error('boom')) };
      },
      chunkSize: 16,
    });
    expect(await code(failing.add(new Float32Array(4 * 20)))).toBe('onnx-error');
    expect(await code(failing.result())).toBe('onnx-error');
  });
});
