import { describe, expect, it } from 'vitest';
import { drawSamples, imageToRgba, samplesToImageData } from '../src/index.js';

describe('canvas helpers', () => {
  it('imageToRgba expands grey and RGB to opaque RGBA and upscales by nearest neighbour', () => {
    const grey = imageToRgba({ width: 2, height: 1, channels: 1, data: Uint8Array.of(10, 200) }, 2);
    expect(grey.width).toBe(4);
    expect(grey.height).toBe(2);
    const px = (x: number, y: number) => Array.from(grey.data.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 4));
    expect([px(0, 0), px(1, 1), px(2, 0), px(3, 1)]).toEqual([
      [10, 10, 10, 255],
      [10, 10, 10, 255],
      [200, 200, 200, 255],
      [200, 200, 200, 255],
    ]);
    const rgb = imageToRgba({ width: 1, height: 1, channels: 3, data: Uint8Array.of(1, 2, 3) });
    expect(Array.from(rgb.data)).toEqual([1, 2, 3, 255]);
    const rgba = imageToRgba({ width: 1, height: 1, channels: 4, data: Uint8Array.of(1, 2, 3, 4) });
    expect(Array.from(rgba.data)).toEqual([1, 2, 3, 4]);
  });

  it('checks its inputs', () => {
    expect(() => imageToRgba({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) })).toThrow(/needs 4 bytes/);
    expect(() => imageToRgba({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, 0)).toThrow(/Invalid scale 0/);
  });

  it('samplesToImageData and drawSamples need ImageData (a browser) and say so', () => {
    const samples = new Float32Array(4);
    expect(() => samplesToImageData(samples, [1, 1, 2, 2])).toThrow(/There is no ImageData here/);
  });

  it('drawSamples lays samples out in a grid, with range and crop, on any 2D canvas', () => {
    class FakeImageData {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    }
    const g = globalThis as { ImageData?: unknown };
    const before = g.ImageData;
    g.ImageData = FakeImageData;
    try {
      let put: FakeImageData | null = null;
      const canvas = { width: 0, height: 0, getContext: () => ({ putImageData: (img: unknown) => void (put = img as FakeImageData) }) };
      // two 1×4×4 samples: -1 everywhere except one +1 pixel inside the 2×2 crop
      const samples = new Float32Array(32).fill(-1);
      samples[5] = 1; // sample 0, (1,1)
      samples[16 + 10] = 1; // sample 1, (2,2)
      drawSamples(canvas, samples, [2, 1, 4, 4], {
        crop: { top: 1, left: 1, height: 2, width: 2 },
        columns: 2,
        padding: 1,
        background: 128,
        scale: 2,
      });
      // grid: 2·2 + 3·1 = 7 wide, 2 + 2 = 4 high; scaled ×2
      expect([canvas.width, canvas.height]).toEqual([14, 8]);
      const img = put as unknown as FakeImageData;
      const at = (x: number, y: number) => img.data[(y * 14 + x) * 4]!;
      expect(at(0, 0)).toBe(128); // padding
      expect(at(2, 2)).toBe(255); // sample 0's lit pixel (crop (0,0)) at grid (1,1) → ×2
      expect(at(4, 2)).toBe(0);
      expect(at(10, 4)).toBe(255); // sample 1's lit pixel (crop (1,1)) at grid (3 + 1 + 1, 1 + 1) = (5, 2) → ×2
    } finally {
      g.ImageData = before;
    }
  });
});
