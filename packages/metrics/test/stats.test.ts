import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MetricsError,
  createStatsAccumulator,
  deserializeStats,
  featureStats,
  frechetDistance,
  frechetDistanceDetails,
  serializeStats,
  type FeatureStats,
} from '../src/index.js';

/** Seeded features with correlated columns and an offset. */
function randomFeatures(n: number, d: number, seed: number, shift = 0): Float64Array {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296 - 0.5;
  };
  const x = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    const f = u();
    for (let j = 0; j < d; j++) x[r * d + j] = u() + f * (j % 3) + shift + 0.1 * j;
  }
  return x;
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / Math.max(scale, 1e-300);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MetricsError);
    return (e as MetricsError).code;
  }
  return undefined;
}

describe('featureStats', () => {
  it('computes the mean and the N−1 covariance in float64', () => {
    const s = featureStats(Float32Array.from([0, 0, 2, 2, 4, 1]), 2);
    expect(s.count).toBe(3);
    expect(Array.from(s.mean)).toEqual([2, 1]);
    expect(Array.from(s.cov)).toEqual([4, 1, 1, 1]);
    expect(Object.isFrozen(s)).toBe(true);
    expect(s.features).toBeUndefined();
  });

  it('has a zero covariance for a single sample', () => {
    const s = featureStats(Float64Array.from([1, 2, 3]), 3);
    expect(Array.from(s.cov)).toEqual(new Array(9).fill(0));
  });

  it('keeps a copy of the features on request and computes the covariance lazily, identically', () => {
    const x = randomFeatures(50, 7, 3);
    const kept = featureStats(x, 7, { keepFeatures: true });
    expect(kept.features).toEqual(x);
    expect(kept.features).not.toBe(x);
    const eager = featureStats(x, 7);
    expect(maxRel(kept.cov, eager.cov)).toBeLessThan(1e-14);
    expect(kept.cov).toBe(kept.cov); // memoised
    expect(JSON.parse(JSON.stringify(Object.keys(kept)))).toEqual(['count', 'dim', 'mean', 'cov', 'features']);
  });

  it('names bad inputs', () => {
    expect(code(() => featureStats(new Float32Array(10), 3))).toBe('invalid-argument');
    expect(() => featureStats(new Float32Array(10), 3)).toThrow(/length 10 is not a multiple of dim 3/);
    expect(code(() => featureStats(new Float32Array(6), 0))).toBe('invalid-argument');
    expect(code(() => featureStats([1, 2] as unknown as Float32Array, 2))).toBe('invalid-argument');
    expect(code(() => featureStats(new Float32Array(0), 2))).toBe('too-few-samples');
    expect(code(() => featureStats(Float32Array.from([1, Number.NaN]), 2))).toBe('non-finite');
    expect(() => featureStats(Float32Array.from([1, Number.NaN]), 2)).toThrow(/NaN at index 1/);
  });
});

describe('createStatsAccumulator', () => {
  const d = 9;
  const x = randomFeatures(120, d, 11, 100); // large offset: tests the numerically careful update
  const single = featureStats(x, d);

  it('gives the single-pass result when fed in batches of any size', () => {
    const acc = createStatsAccumulator(d);
    let r = 0;
    for (const size of [1, 2, 0, 17, 40, 1, 59]) {
      acc.add(x.subarray(r * d, (r + size) * d));
      r += size;
    }
    expect(acc.count).toBe(120);
    const s = acc.result();
    expect(maxRel(s.mean, single.mean)).toBeLessThan(1e-14);
    expect(maxRel(s.cov, single.cov)).toBeLessThan(1e-11);
  });

  it('merges accumulators and serialised statistics from other workers exactly', () => {
    const w1 = createStatsAccumulator(d).add(x.subarray(0, 30 * d));
    const w2 = createStatsAccumulator(d, { keepFeatures: true }).add(x.subarray(30 * d, 31 * d));
    const w3 = deserializeStats(serializeStats(featureStats(x.subarray(31 * d), d)));
    const merged = createStatsAccumulator(d).merge(w1).merge(w2).merge(w3).result();
    expect(merged.count).toBe(120);
    expect(maxRel(merged.mean, single.mean)).toBeLessThan(1e-14);
    expect(maxRel(merged.cov, single.cov)).toBeLessThan(1e-11);
    expect(w1.count).toBe(30); // merged-in accumulators are unchanged
  });

  it('keeps features through merges of feature-carrying statistics, and drops them otherwise', () => {
    const a = createStatsAccumulator(d, { keepFeatures: true }).add(x.subarray(0, 60 * d));
    a.merge(featureStats(x.subarray(60 * d), d, { keepFeatures: true }));
    expect(a.keepsFeatures).toBe(true);
    const ra = a.result();
    expect(ra.features).toEqual(x);
    expect(maxRel(ra.cov, single.cov)).toBeLessThan(1e-13);
    const b = createStatsAccumulator(d, { keepFeatures: true }).add(x.subarray(0, 60 * d));
    b.merge(featureStats(x.subarray(60 * d), d));
    expect(b.keepsFeatures).toBe(false);
    const rb = b.result();
    expect(rb.features).toBeUndefined();
    expect(maxRel(rb.cov, single.cov)).toBeLessThan(1e-11);
  });

  it('returns snapshots: later additions do not change an earlier result', () => {
    for (const keepFeatures of [false, true]) {
      const acc = createStatsAccumulator(d, { keepFeatures }).add(x.subarray(0, 10 * d));
      const first = acc.result();
      const mean = first.mean.slice();
      acc.add(x.subarray(10 * d));
      expect(first.count).toBe(10);
      expect(first.mean).toEqual(mean);
      expect(maxRel(first.cov, featureStats(x.subarray(0, 10 * d), d).cov)).toBeLessThan(1e-12);
    }
  });

  it('rejects mismatched dimensions and empty results', () => {
    expect(code(() => createStatsAccumulator(3).result())).toBe('too-few-samples');
    expect(code(() => createStatsAccumulator(3).merge(createStatsAccumulator(4).add(new Float32Array(4))))).toBe('dimension-mismatch');
    expect(code(() => createStatsAccumulator(3).merge(featureStats(new Float32Array(4), 4)))).toBe('dimension-mismatch');
    expect(code(() => createStatsAccumulator(2).merge({ count: 2, dim: 2, mean: [0, 0] } as unknown as FeatureStats))).toBe(
      'invalid-argument',
    );
    expect(code(() => createStatsAccumulator(1.5))).toBe('invalid-argument');
  });

  fcTest.prop([
    fc.integer({ min: 1, max: 6 }),
    fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 6 }),
    fc.integer({ min: 1, max: 1000 }),
    fc.boolean(),
  ])('merge of any split equals a single pass', (dim, sizes, seed, keep) => {
    const total = sizes.reduce((s, v) => s + v, 0);
    fc.pre(total >= 1);
    const y = randomFeatures(total, dim, seed, 3);
    const acc = createStatsAccumulator(dim, { keepFeatures: keep });
    let r = 0;
    for (const size of sizes) {
      acc.merge(createStatsAccumulator(dim, { keepFeatures: !keep }).add(y.subarray(r * dim, (r + size) * dim)));
      r += size;
    }
    const one = featureStats(y, dim);
    const got = acc.result();
    expect(got.count).toBe(total);
    expect(maxRel(got.mean, one.mean)).toBeLessThan(1e-12);
    expect(maxRel(got.cov, one.cov)).toBeLessThan(1e-9);
  });

  fcTest.prop([
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 2, max: 30 }),
    fc.integer(),
    fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  ])('covariance is translation invariant; the mean moves with the data', (dim, n, seed, c) => {
    const y = randomFeatures(n, dim, seed);
    const z = y.map((v) => v + c);
    const a = featureStats(y, dim);
    const b = featureStats(z, dim);
    let tr = 0;
    for (let i = 0; i < dim; i++) tr += a.cov[i * dim + i]!;
    for (let i = 0; i < dim * dim; i++) expect(Math.abs(a.cov[i]! - b.cov[i]!)).toBeLessThan(1e-9 * Math.max(tr, 1e-3) * (1 + Math.abs(c)));
    for (let i = 0; i < dim; i++) expect(b.mean[i]).toBeCloseTo(a.mean[i]! + c, 8);
  });
});

describe('serializeStats / deserializeStats', () => {
  const x = randomFeatures(40, 5, 2);

  it('round-trips statistics exactly, with and without features', () => {
    for (const s of [
      featureStats(x, 5),
      featureStats(Float32Array.from(x), 5, { keepFeatures: true }),
      featureStats(x, 5, { keepFeatures: true }),
    ]) {
      const bytes = serializeStats(s);
      const back = deserializeStats(bytes);
      expect(back.count).toBe(s.count);
      expect(back.dim).toBe(s.dim);
      expect(back.mean).toEqual(s.mean);
      expect(back.cov).toEqual(s.cov);
      expect(back.features).toEqual(s.features);
      expect(back.features?.constructor).toBe(s.features?.constructor);
    }
    const noFeatures = deserializeStats(serializeStats(featureStats(x, 5, { keepFeatures: true }), { includeFeatures: false }));
    expect(noFeatures.features).toBeUndefined();
  });

  it('writes the documented layout', () => {
    const bytes = serializeStats(featureStats(Float64Array.from([1, 3]), 1));
    expect(String.fromCharCode(...bytes.subarray(0, 8))).toBe('FLXSTATS');
    const v = new DataView(bytes.buffer);
    expect([v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true), v.getUint32(20, true)]).toEqual([1, 0, 1, 0]);
    expect(v.getBigUint64(24, true)).toBe(2n);
    expect([v.getFloat64(32, true), v.getFloat64(40, true)]).toEqual([2, 2]);
    expect(bytes.length).toBe(48);
  });

  it('rejects bytes that are not serialised statistics, naming the problem', () => {
    const good = serializeStats(featureStats(x, 5));
    const edit = (f: (b: Uint8Array, v: DataView) => void): Uint8Array => {
      const b = good.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    const err = (b: Uint8Array): MetricsError => {
      try {
        deserializeStats(b);
      } catch (e) {
        return e as MetricsError;
      }
      throw new Error('no error');
    };
    expect(err(good.subarray(0, 10))).toMatchObject({
      code: 'invalid-serialization',
      message: expect.stringMatching(/shorter than the 32-byte header/),
    });
    expect(err(edit((b) => (b[0] = 0x47)))).toMatchObject({
      code: 'invalid-serialization',
      message: expect.stringMatching(/magic "FLXSTATS"/),
    });
    expect(err(edit((_, v) => v.setUint32(8, 2, true)))).toMatchObject({
      code: 'unsupported-version',
      message: expect.stringMatching(/version 2; this package reads version 1/),
    });
    expect(err(edit((_, v) => v.setUint32(12, 4, true)))).toMatchObject({
      code: 'invalid-serialization',
      message: expect.stringMatching(/unknown flags 0x4/),
    });
    expect(err(good.subarray(0, good.length - 8))).toMatchObject({
      code: 'invalid-serialization',
      message: expect.stringMatching(/should be \d+ bytes long/),
    });
    expect(err(edit((_, v) => v.setBigUint64(24, 0n, true)))).toMatchObject({ code: 'invalid-serialization' });
    expect(err(edit((_, v) => v.setFloat64(40, Number.NaN, true)))).toMatchObject({ code: 'non-finite' });
    expect(err('abc' as unknown as Uint8Array)).toMatchObject({ code: 'invalid-serialization' });
  });

  fcTest.prop([fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.integer(), fc.boolean()])(
    'round-trips any statistics bit for bit',
    (dim, n, seed, keep) => {
      const s = featureStats(randomFeatures(n, dim, seed), dim, { keepFeatures: keep });
      const back = deserializeStats(serializeStats(s));
      expect(back.mean).toEqual(s.mean);
      expect(back.cov).toEqual(s.cov);
      expect(back.features).toEqual(s.features);
    },
  );
});

describe('Fréchet distance properties', () => {
  const arbCase = fc.record({
    dim: fc.integer({ min: 1, max: 12 }),
    na: fc.integer({ min: 2, max: 24 }),
    nb: fc.integer({ min: 2, max: 24 }),
    seedA: fc.integer(),
    seedB: fc.integer(),
    shift: fc.double({ min: -3, max: 3, noNaN: true }),
  });
  const make = (c: { dim: number; na: number; nb: number; seedA: number; seedB: number; shift: number }) => ({
    a: featureStats(randomFeatures(c.na, c.dim, c.seedA), c.dim, { keepFeatures: true }),
    b: featureStats(randomFeatures(c.nb, c.dim, c.seedB, c.shift), c.dim, { keepFeatures: true }),
  });
  const scale = (s: FeatureStats): number => {
    let t = 0;
    for (let i = 0; i < s.dim; i++) t += s.cov[i * s.dim + i]!;
    return Math.max(t, 1e-12);
  };

  fcTest.prop([arbCase])('FD(a, a) ≈ 0 on both routes', (c) => {
    const { a } = make(c);
    for (const route of ['full', 'low-rank'] as const) {
      expect(frechetDistance(a, a, { route })).toBeLessThan(1e-9 * scale(a));
    }
  });

  fcTest.prop([arbCase])('FD is symmetric and non-negative', (c) => {
    const { a, b } = make(c);
    const ab = frechetDistance(a, b, { route: 'full' });
    const ba = frechetDistance(b, a, { route: 'full' });
    expect(ab).toBeGreaterThanOrEqual(0);
    expect(Math.abs(ab - ba)).toBeLessThanOrEqual(1e-9 * (ab + scale(a) + scale(b)));
  });

  fcTest.prop([arbCase])('the low-rank and full routes agree', (c) => {
    const { a, b } = make(c);
    const full = frechetDistanceDetails(a, b, { route: 'full' });
    const low = frechetDistanceDetails(a, b, { route: 'low-rank' });
    expect(Math.abs(full.distance - low.distance)).toBeLessThanOrEqual(1e-8 * (full.distance + scale(a) + scale(b)));
  });

  fcTest.prop([arbCase, fc.double({ min: -50, max: 50, noNaN: true })])('shifting both sets leaves FD unchanged', (c, t) => {
    const { a, b } = make(c);
    const shifted = (s: FeatureStats): FeatureStats =>
      featureStats(
        s.features!.map((v) => v + t),
        s.dim,
      );
    const before = frechetDistance(a, b);
    const after = frechetDistance(shifted(a), shifted(b));
    expect(Math.abs(before - after)).toBeLessThanOrEqual(1e-8 * (before + scale(a) + scale(b)) * (1 + Math.abs(t)));
  });

  it('matches closed forms: diagonal Gaussians and a pure mean shift', () => {
    // a: var 4 and 1; b: var 1 and 9 → tr sqrt = 2·1 + 1·3 = 5; FD = |μ|² + 5 + 10 − 10
    const mk = (mean: number[], cov: number[]): FeatureStats =>
      ({ count: 10, dim: 2, mean: Float64Array.from(mean), cov: Float64Array.from(cov) }) as FeatureStats;
    expect(frechetDistance(mk([0, 0], [4, 0, 0, 1]), mk([1, 2], [1, 0, 0, 9]))).toBeCloseTo(5 + 5 + 10 - 10, 12);
    const d = frechetDistanceDetails(mk([0, 0], [4, 0, 0, 1]), mk([1, 2], [1, 0, 0, 9]));
    expect(d).toMatchObject({ meanTerm: 5, traceA: 5, traceB: 10, route: 'full', size: 2 });
    expect(d.traceSqrt).toBeCloseTo(5, 12);
    // singular covariances (rank 1 each, orthogonal): tr sqrt = 0
    expect(frechetDistance(mk([0, 0], [1, 0, 0, 0]), mk([0, 0], [0, 0, 0, 1]))).toBeCloseTo(2, 12);
    // zero covariance
    expect(frechetDistance(mk([0, 0], [0, 0, 0, 0]), mk([3, 4], [0, 0, 0, 0]))).toBe(25);
  });

  it('takes the low-rank route automatically when N < d and features are kept', () => {
    const a = featureStats(randomFeatures(10, 40, 1), 40, { keepFeatures: true });
    const b = featureStats(randomFeatures(12, 40, 2), 40, { keepFeatures: true });
    expect(frechetDistanceDetails(a, b).route).toBe('low-rank');
    expect(frechetDistanceDetails(featureStats(a.features!, 40), b).route).toBe('full');
    const big = featureStats(randomFeatures(200, 4, 1), 4, { keepFeatures: true });
    expect(frechetDistanceDetails(big, big).route).toBe('full');
  });

  it('names bad arguments', () => {
    const a = featureStats(randomFeatures(5, 3, 1), 3);
    const b = featureStats(randomFeatures(5, 4, 1), 4);
    expect(code(() => frechetDistance(a, b))).toBe('dimension-mismatch');
    expect(code(() => frechetDistance(a, a, { route: 'low-rank' }))).toBe('invalid-argument');
    expect(() => frechetDistance(a, a, { route: 'low-rank' })).toThrow(/keepFeatures: true/);
    expect(code(() => frechetDistance(a, a, { route: 'fast' as 'full' }))).toBe('invalid-option');
    expect(() => frechetDistance(a, a, { route: 'fast' as 'full' })).toThrow(/'auto', 'full', 'low-rank'/);
    expect(code(() => frechetDistance(a, { ...a, cov: new Float64Array(3) } as FeatureStats))).toBe('invalid-argument');
    const nan = { ...a, cov: a.cov.map(() => Number.NaN) } as FeatureStats;
    expect(code(() => frechetDistance(a, nan))).toBe('non-finite');
  });
});
