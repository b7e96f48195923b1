import { describe, expect, it } from 'vitest';
import { MetricsError, kernelInceptionDistance, pairedMse, psnr } from '../src/index.js';

function features(n: number, d: number, seed: number, shift = 0): Float32Array {
  let s = seed;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  return Float32Array.from({ length: n * d }, (_, i) => u() + shift * ((i % d) / d));
}

/** Straightforward unbiased MMD² with the cubic kernel, for one subset. */
function naive(x: Float32Array, y: Float32Array, d: number, ia: number[], ib: number[]): number {
  const k = (p: Float32Array, i: number, q: Float32Array, j: number): number => {
    let dot = 0;
    for (let t = 0; t < d; t++) dot += p[i * d + t]! * q[j * d + t]!;
    return (dot / d + 1) ** 3;
  };
  const m = ia.length;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let p = 0; p < m; p++) {
    for (let q = 0; q < m; q++) {
      if (p !== q) {
        xx += k(x, ia[p]!, x, ia[q]!);
        yy += k(y, ib[p]!, y, ib[q]!);
      }
      xy += k(x, ia[p]!, y, ib[q]!);
    }
  }
  return (xx + yy) / (m * (m - 1)) - (2 * xy) / (m * m);
}

describe('kernelInceptionDistance', () => {
  const a = features(60, 5, 1);
  const b = features(50, 5, 2, 2);

  it('matches a direct implementation on explicit subsets', () => {
    const indices: [number[], number[]][] = [
      [
        [0, 5, 7, 9],
        [1, 2, 3, 4],
      ],
      [
        [10, 11, 12, 59],
        [49, 0, 7, 8],
      ],
    ];
    const r = kernelInceptionDistance(a, b, 5, { indices });
    indices.forEach(([ia, ib], i) => expect(r.values[i]).toBeCloseTo(naive(a, b, 5, ia, ib), 10));
    expect(r.mean).toBeCloseTo((r.values[0]! + r.values[1]!) / 2, 14);
    expect(r.std).toBeCloseTo(Math.abs(r.values[0]! - r.values[1]!) / 2, 12);
    expect(r.subsetSize).toBe(4);
  });

  it('uses the per-subset route for large sets, with the same results', () => {
    const big = features(1300, 2, 3);
    const big2 = features(1300, 2, 4, 1);
    const indices: [number[], number[]][] = [
      [
        [0, 1000, 1299, 5, 6],
        [7, 8, 9, 1200, 3],
      ],
    ];
    const r = kernelInceptionDistance(big, big2, 2, { indices });
    expect(r.values[0]).toBeCloseTo(naive(big, big2, 2, ...indices[0]!), 10);
  });

  it('draws seeded subsets: same seed, same result; defaults to min(1000, N) samples', () => {
    const r1 = kernelInceptionDistance(a, b, 5, { subsets: 10, subsetSize: 20, seed: 3 });
    const r2 = kernelInceptionDistance(a, b, 5, { subsets: 10, subsetSize: 20, seed: 3 });
    const r3 = kernelInceptionDistance(a, b, 5, { subsets: 10, subsetSize: 20, seed: 4 });
    expect(r1.values).toEqual(r2.values);
    expect(r1.values).not.toEqual(r3.values);
    expect(r1.mean).toBeGreaterThan(0);
    const full = kernelInceptionDistance(a, b, 5, { subsets: 3 });
    expect(full.subsetSize).toBe(50);
    let calls = 0;
    kernelInceptionDistance(a, b, 5, { subsets: 2, subsetSize: 3, rng: () => (calls++ * 0.37) % 1 });
    expect(calls).toBeGreaterThan(0);
  });

  it('is near 0 for samples of one distribution and grows with the shift', () => {
    const x = features(400, 4, 5);
    const y = features(400, 4, 6);
    const z = features(400, 4, 7, 3);
    const same = kernelInceptionDistance(x, y, 4, { subsets: 20, subsetSize: 100 });
    const shifted = kernelInceptionDistance(x, z, 4, { subsets: 20, subsetSize: 100 });
    expect(Math.abs(same.mean)).toBeLessThan(3 * same.std + 1e-3);
    expect(shifted.mean).toBeGreaterThan(10 * Math.abs(same.mean));
  });

  it('names bad options', () => {
    const err = (fn: () => unknown): MetricsError => {
      try {
        fn();
      } catch (e) {
        return e as MetricsError;
      }
      throw new Error('no error');
    };
    expect(err(() => kernelInceptionDistance(a, b, 5, { subsetSize: 51 }))).toMatchObject({
      code: 'invalid-option',
      message: expect.stringMatching(/subsetSize \(the sets hold 60 and 50 samples\) 51: expected an integer in \[2, 50\]/),
    });
    expect(err(() => kernelInceptionDistance(a, b, 5, { subsets: 0 }))).toMatchObject({ code: 'invalid-option' });
    expect(err(() => kernelInceptionDistance(a.subarray(0, 5), b, 5))).toMatchObject({ code: 'too-few-samples' });
    expect(
      err(() =>
        kernelInceptionDistance(a, b, 5, {
          indices: [
            [
              [0, 60],
              [0, 1],
            ],
          ],
        }),
      ),
    ).toMatchObject({
      code: 'invalid-option',
      message: expect.stringMatching(/indices\[0\]\[0\]\[1\] = 60: expected an integer in \[0, 59\]/),
    });
    expect(err(() => kernelInceptionDistance(a, b, 5, { indices: [[[0, 1], [0]]] }))).toMatchObject({ code: 'invalid-option' });
    expect(err(() => kernelInceptionDistance(a, b, 4))).toMatchObject({ code: 'invalid-argument' });
  });
});

describe('pairedMse and psnr', () => {
  const a = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const b = Float32Array.from([0, 0, 0, 0, 0, 1, 1, 1]);

  it('compute per-sample values and their mean', () => {
    const mse = pairedMse(a, b, { samples: 2 });
    expect(Array.from(mse.perSample)).toEqual([0, 0.25]);
    expect(mse.mean).toBe(0.125);
    const p = psnr(a, b, { samples: 2, dataRange: 1 });
    expect(p.perSample[0]).toBe(Number.POSITIVE_INFINITY);
    expect(p.perSample[1]).toBeCloseTo(10 * Math.log10(4), 12);
    const capped = psnr(a, b, { samples: 2, dataRange: 2, maxDb: 60 });
    expect(capped.perSample[0]).toBe(60);
    expect(capped.mean).toBeCloseTo((60 + 10 * Math.log10(16)) / 2, 12);
    expect(pairedMse([1, 2], [1, 4]).mean).toBe(2);
  });

  it('name bad inputs', () => {
    expect(() => pairedMse(a, b.subarray(1))).toThrow(/a has 8 values, b has 7/);
    expect(() => pairedMse(a, b, { samples: 3 })).toThrow(/Cannot split 8 values into 3 samples/);
    expect(() => psnr(a, b, { dataRange: 0 })).toThrow(/dataRange .* 0: expected a finite number > 0/);
    expect(() => psnr(a, b, undefined as unknown as { dataRange: number })).toThrow(MetricsError);
  });
});
