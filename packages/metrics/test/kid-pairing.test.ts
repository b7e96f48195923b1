import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { MetricsError, kernelInceptionDistance } from '../src/index.js';

function features(n: number, d: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n * d);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 4 - 2;
  }
  return out;
}

/** Reference: Gretton's MMD²_u with the cubic kernel, written out directly. */
function mmdPaired(x: Float64Array, y: Float64Array, m: number, d: number): number {
  const k = (a: Float64Array, i: number, b: Float64Array, j: number) => {
    let dot = 0;
    for (let t = 0; t < d; t++) dot += a[i * d + t]! * b[j * d + t]!;
    return (dot / d + 1) ** 3;
  };
  let sum = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) sum += k(x, i, x, j) + k(y, i, y, j) - k(x, i, y, j) - k(x, j, y, i);
  return sum / (m * (m - 1));
}

describe('paired KID', () => {
  it('matches the direct formula and is 0 for identical paired sets', () => {
    const x = features(12, 5, 1);
    const y = features(12, 5, 2);
    const r = kernelInceptionDistance(x, y, 5, { paired: true, subsets: 1, subsetSize: 12 });
    expect(r.mean).toBeCloseTo(mmdPaired(x, y, 12, 5), 10);
    expect(kernelInceptionDistance(x, x, 5, { paired: true, subsets: 1, subsetSize: 12 }).mean).toBeCloseTo(0, 12);
    // the unpaired estimator is biased low for identical paired sets
    expect(kernelInceptionDistance(x, x, 5, { subsets: 1, subsetSize: 12 }).mean).toBeLessThan(0);
  });
  fcTest.prop([fc.integer({ min: 3, max: 10 }), fc.integer(), fc.integer()])('subset and full-matrix routes agree', (m, a, b) => {
    const x = features(m, 3, a);
    const y = features(m, 3, b);
    const r = kernelInceptionDistance(x, y, 3, { paired: true, subsets: 1, subsetSize: m });
    expect(r.mean).toBeCloseTo(mmdPaired(x, y, m, 3), 8);
  });
  it('needs sets of the same size', () => {
    expect(() => kernelInceptionDistance(features(4, 2, 1), features(5, 2, 1), 2, { paired: true })).toThrow(MetricsError);
  });
});
