import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { sha256Hex, stableStringify } from '../src/internal/hash.js';
import { pivotedCholesky } from '../src/internal/cholesky.js';
import { symmetricEigenvaluesInPlace } from '../src/internal/eigen.js';
import { gemmABt } from '../src/internal/gemm.js';

describe('sha256Hex', () => {
  fcTest.prop([fc.uint8Array({ maxLength: 300 })])('matches node:crypto', (bytes) => {
    expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
  it('known vector', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('stableStringify sorts keys and drops undefined', () => {
    expect(stableStringify({ b: [1, { d: undefined, c: -0 }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":0}]}');
  });
});

function randSym(n: number, rank: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const u = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5;
  const x = Float64Array.from({ length: n * rank }, u);
  // X (n×rank) → X Xᵀ, rank ≤ rank
  return gemmABt(x, x, n, n, rank, { symmetric: true });
}

describe('linear algebra kernels', () => {
  fcTest.prop([
    fc.integer({ min: 1, max: 13 }),
    fc.integer({ min: 1, max: 9 }),
    fc.integer({ min: 1, max: 13 }),
    fc.boolean(),
    fc.boolean(),
  ])('gemmABt equals the naive product (upper-trapezoidal operands too)', (m, k, n, aUp, bUp) => {
    let s = m * 131 + k * 17 + n;
    const u = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5;
    const a = Float64Array.from({ length: m * k }, (_, i) => (aUp && i % k < Math.floor(i / k) ? 0 : u()));
    const b = Float64Array.from({ length: n * k }, (_, i) => (bUp && i % k < Math.floor(i / k) ? 0 : u()));
    const c = gemmABt(a, b, m, n, k, { aUpper: aUp, bUpper: bUp });
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let t = 0;
        for (let p = 0; p < k; p++) t += a[i * k + p]! * b[j * k + p]!;
        expect(c[i * n + j]).toBeCloseTo(t, 12);
      }
  });

  fcTest.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer()])(
    'eigenvalues keep the trace and the Frobenius norm; pivoted Cholesky finds the rank and reconstructs',
    (n, rank, seed) => {
      const a = randSym(n, rank, seed);
      let tr = 0;
      let fro = 0;
      for (let i = 0; i < n; i++) tr += a[i * n + i]!;
      for (const v of a) fro += v * v;
      const ev = symmetricEigenvaluesInPlace(a.slice(), n);
      expect(ev.reduce((p, q) => p + q, 0)).toBeCloseTo(tr, 9);
      expect(ev.reduce((p, q) => p + q * q, 0)).toBeCloseTo(fro, 8);
      const ch = pivotedCholesky(a, n);
      expect(ch.rank).toBe(Math.min(n, rank));
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let t = 0;
          for (let c = 0; c < ch.rank; c++) t += ch.lt[c * n + i]! * ch.lt[c * n + j]!;
          expect(t).toBeCloseTo(a[ch.perm[i]! * n + ch.perm[j]!]!, 9);
        }
    },
  );

  it('handles clusters of zero eigenvalues and diagonal matrices', () => {
    const n = 60;
    const a = randSym(n, 3, 7);
    const ev = Array.from(symmetricEigenvaluesInPlace(a, n)).sort((p, q) => q - p);
    expect(ev.slice(3).every((v) => Math.abs(v) < 1e-12)).toBe(true);
    const d = new Float64Array(9);
    d[0] = 3;
    d[4] = -1;
    d[8] = 2;
    expect(Array.from(symmetricEigenvaluesInPlace(d, 3)).sort()).toEqual([-1, 2, 3]);
    expect(Array.from(symmetricEigenvaluesInPlace(new Float64Array(4), 2))).toEqual([0, 0]);
  });
});
