import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { RuntimeError, batchNoise, gaussianNoise } from '../src/index.js';
import { philox4x32 } from '../src/internal/philox.js';

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    const hex = (): string => [...out].map((v) => v.toString(16).padStart(8, '0')).join(' ');
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(hex()).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect(hex()).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(hex()).toBe('d16cfe09 94fdcceb 5001e420 24126ea1');
  });
});

describe('gaussianNoise', () => {
  it('is standard normal', () => {
    const x = gaussianNoise(7, 200_000);
    let s = 0;
    let s2 = 0;
    for (const v of x) {
      s += v;
      s2 += v * v;
    }
    const mean = s / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(s2 / x.length - mean * mean - 1)).toBeLessThan(0.02);
  });

  it('differs between seeds and between streams', () => {
    expect(gaussianNoise(1, 8)).not.toEqual(gaussianNoise(2, 8));
    expect(gaussianNoise(1, 8, 0)).not.toEqual(gaussianNoise(1, 8, 1));
    expect(gaussianNoise(2 ** 40, 8)).not.toEqual(gaussianNoise(0, 8));
  });

  fcTest.prop([fc.nat({ max: 2 ** 40 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.nat({ max: 1000 })], {
    numRuns: 30,
  })('element j depends only on (seed, stream, j): a prefix of a longer draw is the shorter draw', (seed, n, extra, stream) => {
    const short = gaussianNoise(seed, n, stream);
    const long = gaussianNoise(seed, n + extra, stream);
    expect(long.subarray(0, n)).toEqual(short);
  });

  fcTest.prop([fc.array(fc.nat({ max: 1e9 }), { minLength: 1, maxLength: 6 })], { numRuns: 20 })(
    'sample i of a batch gets the same noise whatever the batch order',
    (seeds) => {
      const size = 12;
      const batch = batchNoise(seeds, size);
      const reversed = batchNoise([...seeds].reverse(), size);
      seeds.forEach((s, i) => {
        expect(batch.subarray(i * size, (i + 1) * size)).toEqual(gaussianNoise(s, size));
        expect(reversed.subarray((seeds.length - 1 - i) * size, (seeds.length - i) * size)).toEqual(gaussianNoise(s, size));
      });
    },
  );

  it('rejects bad seeds with a message naming the value', () => {
    expect(() => gaussianNoise(-1, 4)).toThrow(RuntimeError);
    expect(() => gaussianNoise(1.5, 4)).toThrow(/Invalid seed 1.5/);
  });
});
