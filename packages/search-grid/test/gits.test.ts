import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { ScheduleError, createRng, createSearchSpace, formatSchedule, scheduleSteps, uniformSchedule } from '@flexiffusion/schedule';
import { gitsCostMatrix, gitsPath, gitsSchedule, gitsSeeds, type GitsCostMatrix, type GitsMetric } from '../src/index.js';

/** Every k-jump path 0 → T: (k − 1)-subsets of 1..T−1. */
function* paths(T: number, k: number): Generator<number[]> {
  const rec = function* (from: number, left: number, acc: number[]): Generator<number[]> {
    if (left === 0) {
      yield [...acc, T];
      return;
    }
    for (let p = from; p <= T - left; p++) yield* rec(p + 1, left - 1, [...acc, p]);
  };
  yield* rec(1, k - 1, [0]);
}

const pathCost = (costs: GitsCostMatrix, points: readonly number[]): number => {
  let c = 0;
  for (let m = 0; m + 1 < points.length; m++) c += costs[points[m]!]![points[m + 1]!]!;
  return c;
};

/** A (T + 1)² matrix with the given entries above the diagonal and NaN elsewhere (never read). */
const matrix = (T: number, entry: (i: number, j: number) => number): number[][] =>
  Array.from({ length: T + 1 }, (_, i) => Array.from({ length: T + 1 }, (_, j) => (j > i ? entry(i, j) : Number.NaN)));

const arbCosts = fc
  .integer({ min: 1, max: 8 })
  .chain((T) =>
    fc
      .array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: (T + 1) * (T + 1), maxLength: (T + 1) * (T + 1) })
      .map((v) => ({ T, costs: matrix(T, (i, j) => v[i * (T + 1) + j]!) })),
  );

describe('gitsPath / gitsSchedule: the dynamic programme', () => {
  fcTest.prop([arbCosts.chain((c) => fc.record({ c: fc.constant(c), k: fc.integer({ min: 1, max: c.T }) }))])(
    'equals brute force over every k-jump path on small T',
    ({ c: { T, costs }, k }) => {
      const r = gitsPath(costs, k);
      let best = Number.POSITIVE_INFINITY;
      for (const p of paths(T, k)) best = Math.min(best, pathCost(costs, p));
      expect(r.cost).toBe(best);
      expect(r.points).toHaveLength(k + 1);
      expect(r.points[0]).toBe(0);
      expect(r.points[k]).toBe(T);
      for (let m = 1; m <= k; m++) expect(r.points[m]!).toBeGreaterThan(r.points[m - 1]!);
      expect(pathCost(costs, r.points)).toBe(r.cost);
      expect(r.steps).toEqual(r.points.slice(0, k));
      const s = gitsSchedule(costs, k);
      expect(s.segments).toHaveLength(1);
      const kinds = scheduleSteps(s).map((st) => st.kind);
      expect(kinds).toHaveLength(T);
      expect(kinds.flatMap((kind, i) => (kind === 'full' ? [i] : []))).toEqual(r.steps);
      expect(kinds.every((kind) => kind === 'full' || kind === 'null')).toBe(true);
    },
  );

  fcTest.prop([arbCosts])('k = T keeps every step', ({ T, costs }) => {
    expect(formatSchedule(gitsSchedule(costs, T))).toBe(Array.from({ length: T }, () => 'F').join(' '));
    expect(gitsPath(costs, T).points).toEqual(Array.from({ length: T + 1 }, (_, i) => i));
  });

  // costs[i][j] = Σ_{a in [i, j)} v_a + Σ_{i <= a < b < j} u_ab with v, u >= 0: splitting a jump drops the
  // cross terms, so it never costs more; integer weights keep the sums exact
  const arbSuperadditive = fc.integer({ min: 1, max: 10 }).chain((T) =>
    fc
      .record({
        v: fc.array(fc.nat({ max: 20 }), { minLength: T, maxLength: T }),
        u: fc.array(fc.nat({ max: 20 }), { minLength: T * T, maxLength: T * T }),
      })
      .map(({ v, u }) => ({
        T,
        costs: matrix(T, (i, j) => {
          let c = 0;
          for (let a = i; a < j; a++) {
            c += v[a]!;
            for (let b = a + 1; b < j; b++) c += u[a * T + b]!;
          }
          return c;
        }),
      })),
  );

  fcTest.prop([arbSuperadditive])('the optimal cost is non-increasing in k when splitting a jump never costs more', ({ T, costs }) => {
    const byK = Array.from({ length: T }, (_, i) => gitsPath(costs, i + 1).cost);
    for (let k = 1; k < T; k++) expect(byK[k]!).toBeLessThanOrEqual(byK[k - 1]!);
  });

  it('is not monotone for arbitrary costs (a long jump may be cheap)', () => {
    const costs = matrix(2, (i, j) => (i === 0 && j === 2 ? 0 : 5));
    expect(gitsPath(costs, 1).cost).toBe(0);
    expect(gitsPath(costs, 2).cost).toBe(10);
  });

  it('breaks ties towards the smallest predecessors', () => {
    const flat = matrix(4, () => 1);
    expect(gitsPath(flat, 2).points).toEqual([0, 1, 4]);
  });

  it('rejects a bad matrix or k, naming the entry', () => {
    const ok = matrix(3, () => 1);
    const cases: [() => unknown, RegExp][] = [
      [() => gitsPath([[0]], 1), /Invalid costs of 1 rows: expected a \(T \+ 1\) × \(T \+ 1\) array with T >= 1/],
      [() => gitsPath([[0, 1], [0]], 1), /Invalid costs\[1\] of length 1: expected 2 numbers/],
      [
        () =>
          gitsPath(
            matrix(3, (i, j) => (i === 1 && j === 3 ? Number.NaN : 1)),
            2,
          ),
        /Invalid costs\[1\]\[3\] NaN: expected a finite number >= 0/,
      ],
      [
        () =>
          gitsPath(
            matrix(3, (i, j) => (i === 0 && j === 2 ? -1 : 1)),
            2,
          ),
        /Invalid costs\[0\]\[2\] -1/,
      ],
      [() => gitsPath(ok, 0), /Invalid k 0: expected an integer in 1\.\.3/],
      [() => gitsSchedule(ok, 4), /Invalid k 4: expected an integer in 1\.\.3/],
    ];
    for (const [f, re] of cases) {
      expect(f).toThrow(re);
      expect(f).toThrow(ScheduleError);
    }
  });
});

describe('gitsCostMatrix on a Gaussian toy with a closed form', () => {
  // data x0 ~ N(μ, diag σ²): the exact ε is linear in x, so DDIM's updates are affine and the
  // teacher trajectory and every jump have closed forms (below), computed without the builder
  const mu = [0.5, -1, 2];
  const sigma = [0.3, 1, 1.7];
  const size = mu.length;
  const train = 1000;
  const alphasCumprod = new Float64Array(train);
  let prod = 1;
  for (let t = 0; t < train; t++) {
    prod *= 1 - (1e-4 + ((0.02 - 1e-4) * t) / (train - 1));
    alphasCumprod[t] = prod;
  }
  const T = 10;
  const timesteps = Array.from({ length: T }, (_, i) => (T - 1 - i) * (train / T)); // leading: 900 … 0
  const count = 6;
  const rng = createRng(11);
  const samples = Float64Array.from({ length: count * size }, () => {
    const u = 1 - rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  });
  const epsAt = (x: Float64Array, t: number): Float64Array => {
    const a = alphasCumprod[t]!;
    return x.map((v, idx) => {
      const dd = idx % size;
      return (Math.sqrt(1 - a) * (v - Math.sqrt(a) * mu[dd]!)) / (a * sigma[dd]! ** 2 + 1 - a);
    });
  };
  const alphaOf = (i: number): number => (i === T ? 1 : alphasCumprod[timesteps[i]!]!);

  /** x_j − √ᾱ_j μ = g(i, j) · (x_i − √ᾱ_i μ) for one DDIM update i → j with the exact ε. */
  const g = (i: number, j: number, dd: number): number => {
    const ai = alphaOf(i);
    const aj = alphaOf(j);
    const s2 = sigma[dd]! ** 2;
    return (Math.sqrt(ai * aj) * s2 + Math.sqrt((1 - ai) * (1 - aj))) / (ai * s2 + 1 - ai);
  };
  const expected = (metric: GitsMetric = 'l2-squared'): number[][] => {
    const want = Array.from({ length: T + 1 }, () => new Array<number>(T + 1).fill(0));
    for (let s = 0; s < count; s++) {
      // per (i, j): the per-value deviations x_j − jump_{i→j}(x_i) of this sample
      const dev = Array.from({ length: T + 1 }, () => Array.from({ length: T + 1 }, () => [] as number[]));
      for (let dd = 0; dd < size; dd++) {
        // offsets d_i of the teacher trajectory from √ᾱ_i μ
        const d = [samples[s * size + dd]! - Math.sqrt(alphaOf(0)) * mu[dd]!];
        for (let i = 0; i < T; i++) d.push(d[i]! * g(i, i + 1, dd));
        for (let i = 0; i < T; i++) {
          let teacher = 1;
          for (let j = i + 1; j <= T; j++) {
            teacher *= g(j - 1, j, dd);
            dev[i]![j]!.push(d[i]! * (teacher - g(i, j, dd)));
          }
        }
      }
      for (let i = 0; i < T; i++) {
        for (let j = i + 1; j <= T; j++) {
          const e = dev[i]![j]!;
          const sq = e.reduce((a, v) => a + v * v, 0);
          const v = metric === 'l1' ? e.reduce((a, x) => a + Math.abs(x), 0) : metric === 'l2' ? Math.sqrt(sq) : sq;
          want[i]![j]! += v / count;
        }
      }
    }
    return want;
  };

  it('matches the closed form within 1e-8 relative (1e-14 absolute), zero for one-step jumps', async () => {
    const costs = await gitsCostMatrix({ epsAt, alphasCumprod, timesteps, samples, count });
    const want = expected();
    expect(costs).toHaveLength(T + 1);
    let max = 0;
    for (let i = 0; i <= T; i++) {
      expect(costs[i]).toHaveLength(T + 1);
      for (let j = 0; j <= T; j++) {
        if (j <= i + 1) {
          expect(costs[i]![j]).toBe(0);
          continue;
        }
        const w = want[i]![j]!;
        max = Math.max(max, w);
        expect(Math.abs(costs[i]![j]! - w)).toBeLessThanOrEqual(1e-8 * w + 1e-14);
      }
    }
    expect(max).toBeGreaterThan(1e-3); // long jumps do cost something
    expect(Object.isFrozen(costs) && Object.isFrozen(costs[0])).toBe(true);
  });

  it('measures the L2 and L1 norms (GITS’s metrics) as the closed form too', async () => {
    for (const metric of ['l2', 'l1'] as const) {
      const costs = await gitsCostMatrix({ epsAt, alphasCumprod, timesteps, samples, count, metric });
      const want = expected(metric);
      for (let i = 0; i < T; i++) {
        for (let j = i + 2; j <= T; j++) expect(Math.abs(costs[i]![j]! - want[i]![j]!)).toBeLessThanOrEqual(1e-8 * want[i]![j]! + 1e-14);
      }
    }
  });

  it('gives a schedule no worse than DDIM-k by its own measure, and the brute-force optimum', async () => {
    const costs = await gitsCostMatrix({ epsAt, alphasCumprod, timesteps, samples, count });
    for (const k of [2, 3, 5]) {
      const r = gitsPath(costs, k);
      let best = Number.POSITIVE_INFINITY;
      for (const p of paths(T, k)) best = Math.min(best, pathCost(costs, p));
      expect(r.cost).toBe(best);
      const ddim = scheduleSteps(uniformSchedule(T, k)).flatMap((st, i) => (st.kind === 'full' ? [i] : []));
      expect(r.cost).toBeLessThanOrEqual(pathCost(costs, [...ddim, T]));
    }
  });

  it('does not depend on the batch size, takes an async model, and reports progress', async () => {
    const whole = await gitsCostMatrix({ epsAt, alphasCumprod, timesteps, samples, count });
    const seen: number[] = [];
    let calls = 0;
    const batched = await gitsCostMatrix({
      epsAt: async (x, t) => {
        calls++;
        expect(x.length).toBeLessThanOrEqual(4 * size);
        return epsAt(x, t);
      },
      alphasCumprod,
      timesteps,
      samples: Array.from(samples), // any ArrayLike
      count,
      batchSize: 4,
      onProgress: (f) => seen.push(f),
    });
    expect(batched).toEqual(whole);
    expect(calls).toBe(2 * T);
    expect(seen[seen.length - 1]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect(await gitsCostMatrix({ epsAt, alphasCumprod, timesteps, samples, count, batchSize: 1 })).toEqual(whole);
  });

  it('rejects bad options and bad model output, and stops when aborted', async () => {
    const base = { epsAt, alphasCumprod, timesteps, samples, count };
    const cases: [Parameters<typeof gitsCostMatrix>[0], RegExp][] = [
      [{ ...base, timesteps: [] }, /Invalid timesteps : expected a non-empty array/],
      [{ ...base, timesteps: [10, 20] }, /Invalid timesteps\[1\] 20: expected integers in 0\.\.999 \(the ᾱ table\), strictly decreasing/],
      [{ ...base, timesteps: [1000] }, /Invalid timesteps\[0\] 1000/],
      [{ ...base, alphasCumprod: [0, 0.5], timesteps: [1, 0] }, /Invalid alphasCumprod\[0\] 0: expected a number in \(0, 1\]/],
      [{ ...base, finalAlphaCumprod: 0 }, /Invalid finalAlphaCumprod 0/],
      [{ ...base, count: 5 }, /Invalid samples of 18 values for count 5: expected count × size values/],
      [{ ...base, count: 0 }, /Invalid count 0: expected an integer >= 1/],
      [{ ...base, batchSize: 0 }, /Invalid batchSize 0/],
      [{ ...base, metric: 'cosine' as never }, /Unknown metric "cosine": expected one of "l2-squared", "l2", "l1"/],
      [{ ...base, epsAt: () => new Float64Array(1) }, /epsAt returned 1 values at step 0 \(timestep 900\): expected 18 \(6 × 3\)/],
      [{ ...base, epsAt: (x) => x.map((_, i) => (i === 4 ? Number.NaN : 0)) }, /epsAt returned NaN at step 0 \(timestep 900\), value 4/],
    ];
    for (const [o, re] of cases) {
      await expect(gitsCostMatrix(o)).rejects.toThrow(re);
      await expect(gitsCostMatrix(o)).rejects.toBeInstanceOf(ScheduleError);
    }
    const ac = new AbortController();
    const run = gitsCostMatrix({
      ...base,
      epsAt: (x, t, step) => {
        if (step === 3) ac.abort();
        return epsAt(x, t);
      },
      signal: ac.signal,
    });
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
  });
});

describe('gitsSeeds: GITS-k as starting points of an open search', () => {
  const arbSeeds = arbCosts.chain((c) =>
    fc.record({
      c: fc.constant(c),
      speedup: fc.double({ min: 1, max: c.T, noNaN: true }),
      L: fc.constantFrom(...Array.from({ length: c.T }, (_, i) => i + 1).filter((l) => c.T % l === 0)),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  );

  fcTest.prop([arbSeeds])(
    'GITS-k for the largest k that meet the speed-up, cut into the open space of that shape',
    ({ c: { T, costs }, speedup, L, count }) => {
      const seeds = gitsSeeds(costs, { speedup, segmentLength: L, count });
      const top = Math.floor(T / speedup + 1e-9);
      expect(seeds).toHaveLength(Math.min(count, top));
      expect(Object.isFrozen(seeds)).toBe(true);
      const space = createSearchSpace({ steps: T, segmentLengths: [L], branches: 1, form: 'open' });
      seeds.forEach((s, i) => {
        const k = top - i;
        expect(T / k).toBeGreaterThanOrEqual(speedup * (1 - 1e-12));
        expect(s.segments.every((seg) => seg.length === L)).toBe(true);
        expect(scheduleSteps(s)).toEqual(scheduleSteps(gitsSchedule(costs, k)));
        expect(space.contains(s)).toBe(true);
      });
    },
  );

  it('takes k = T / speedup where the division lands just below an integer, and three seeds by default', () => {
    const costs = matrix(50, (i, j) => (j - i) ** 2);
    const seeds = gitsSeeds(costs, { speedup: 50 / 7, segmentLength: 5 });
    expect(seeds.map((s) => scheduleSteps(s).filter((st) => st.kind === 'full').length)).toEqual([7, 6, 5]);
  });

  it('names a bad speed-up, segment length or count', () => {
    const costs = matrix(4, () => 1);
    for (const [options, message] of [
      [{ speedup: 0.5, segmentLength: 2 }, /Invalid speedup 0\.5: expected a finite number in 1\.\.4/],
      [{ speedup: Number.NaN, segmentLength: 2 }, /Invalid speedup NaN/],
      [{ speedup: 5, segmentLength: 2 }, /Invalid speedup 5/],
      [{ speedup: 2, segmentLength: 3 }, /Invalid segmentLength 3: expected a positive integer that divides 4/],
      [{ speedup: 2, segmentLength: 2, count: 0 }, /Invalid count 0: expected a positive integer/],
    ] as const) {
      expect(() => gitsSeeds(costs, options)).toThrow(ScheduleError);
      expect(() => gitsSeeds(costs, options)).toThrow(message);
    }
  });
});
