import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsError, preprocessImages, type ImageDims } from '../src/index.js';
import { FIXTURES } from './fixtures.js';

interface ResizeRef {
  input: number[];
  dims: number[];
  size: [number, number];
  bilinear: number[];
  nearest: number[];
  bilinear_stride?: number;
  nearest_stride?: number;
}
const refs = JSON.parse(readFileSync(join(FIXTURES, 'onnx', 'references.json'), 'utf8')) as { resize: ResizeRef[] };

describe('resize matches PyTorch F.interpolate', () => {
  it.each(refs.resize.map((r) => [`${r.dims.join('×')} → ${r.size.join('×')}`, r] as const))('%s', (_, r) => {
    for (const mode of ['bilinear', 'nearest'] as const) {
      const { data, dims } = preprocessImages(Float32Array.from(r.input), r.dims as unknown as ImageDims, {
        resize: { height: r.size[0], width: r.size[1], mode },
      });
      expect(dims).toEqual([r.dims[0], r.dims[1], r.size[0], r.size[1]]);
      const stride = r[`${mode}_stride`] ?? 1;
      const expected = r[mode];
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(data[i * stride]! - expected[i]!));
      expect(worst, mode).toBeLessThan(mode === 'nearest' ? 1e-12 : 2e-7); // bilinear: within float32 rounding
    }
  });
});

describe('preprocessImages', () => {
  const img = Float32Array.from({ length: 2 * 1 * 4 * 4 }, (_, i) => i / 16 - 1); // [-1, 1)

  it('centre-crops, maps and clamps the range, replicates channels and normalises, in that order', () => {
    const out = preprocessImages(img, [2, 1, 4, 4], {
      crop: { height: 2, width: 2 },
      range: { from: [-1, 0], to: [0, 1] },
      channels: 3,
      normalize: { mean: [0.5, 0, 0], std: [0.5, 1, 2] },
    });
    expect(out.dims).toEqual([2, 3, 2, 2]);
    // sample 0 crop rows 1-2, cols 1-2: indices 5, 6, 9, 10 → values i/16 - 1 → +1 → clamp to [0, 1]
    const base = [5, 6, 9, 10].map((i) => Math.min(1, Math.max(0, i / 16)));
    expect(Array.from(out.data.subarray(0, 4))).toEqual(base.map((v) => expect.closeTo((v - 0.5) / 0.5, 6)));
    expect(Array.from(out.data.subarray(4, 8))).toEqual(base.map((v) => expect.closeTo(v, 6)));
    expect(Array.from(out.data.subarray(8, 12))).toEqual(base.map((v) => expect.closeTo(v / 2, 6)));
    // sample 1: indices 21.. → i/16 - 1 > 0 → clamped to 1
    expect(out.data[12]).toBeCloseTo(1, 6);
  });

  it('supports explicit crop offsets and leaves the input untouched', () => {
    const copy = img.slice();
    const out = preprocessImages(img, [2, 1, 4, 4], { crop: { height: 1, width: 3, top: 3, left: 1 } });
    expect(Array.from(out.data)).toEqual([13, 14, 15, 29, 30, 31].map((i) => i / 16 - 1));
    expect(img).toEqual(copy);
    const same = preprocessImages(img, [2, 1, 4, 4], {});
    expect(same.data).not.toBe(img);
    expect(same.data).toEqual(img);
  });

  it('names the bad value and the valid ones', () => {
    const bad = (spec: object, re: RegExp, code = 'invalid-option'): void => {
      try {
        preprocessImages(img, [2, 1, 4, 4], spec);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(MetricsError);
        expect((e as MetricsError).code).toBe(code);
        expect((e as MetricsError).message).toMatch(re);
      }
    };
    bad({ crop: { height: 5, width: 2 } }, /crop 5×2 .* of a 4×4 image/);
    bad({ range: { from: [1, 1], to: [0, 1] } }, /two ends must differ/);
    bad({ range: { from: [0], to: [0, 1] } }, /range.from \[0\]|range.from array/);
    bad({ resize: { height: 0, width: 2 } }, /resize.height 0: expected an integer >= 1/);
    bad({ resize: { height: 2, width: 2, mode: 'cubic' } }, /'bilinear' or 'nearest'/);
    bad({ normalize: { mean: [0, 0], std: [1] } }, /expected 1 or 1 finite numbers/);
    bad({ normalize: { mean: [0], std: [0] } }, /normalize.std .* > 0/);
    expect(() => preprocessImages(Float32Array.from([1, 2, 3]), [1, 1, 2, 2], {})).toThrow(/describe 4 values but the array holds 3/);
    const rgb = new Float32Array(2 * 3 * 2 * 2);
    expect(() => preprocessImages(rgb, [2, 3, 2, 2], { channels: 4 })).toThrow(/only 1-channel images can be replicated/);
  });
});
