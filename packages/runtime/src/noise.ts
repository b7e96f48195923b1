import { RuntimeError } from './errors.js';
import { philox4x32 } from './internal/philox.js';

/**
 * The noise stream of the initial sample x_T. Stream `1 + i` holds the fresh noise a stochastic
 * sampler (DDIM with eta > 0) adds at schedule step i.
 *
 * @public
 */
export const INITIAL_NOISE_STREAM = 0;

const TWO_32 = 4294967296;

/**
 * Standard normal noise keyed by a seed: a counter-based generator (Philox4x32-10, key = seed,
 * counter = (block, stream)) turned into normals by Box–Muller. Element j depends only on
 * (seed, stream, j), so sample i with seed s gets the same noise whatever the batch size, the batch
 * order or the platform.
 *
 * @param seed - A non-negative safe integer.
 * @param length - Number of values.
 * @param stream - Which stream (default {@link INITIAL_NOISE_STREAM}); a non-negative integer < 2^32.
 * @param out - Optional array to write into, at `offset`.
 * @param offset - Where in `out` to start (default 0).
 * @returns `out` (or a new Float32Array) holding `length` normals from `offset`.
 * @throws {@link RuntimeError} `invalid-option` for a bad seed, stream or length.
 * @example
 * ```ts
 * const a = gaussianNoise(42, 1024);
 * const b = gaussianNoise(42, 2048).subarray(0, 1024); // same values as a
 * ```
 * @public
 */
export function gaussianNoise(seed: number, length: number, stream = INITIAL_NOISE_STREAM, out?: Float32Array, offset = 0): Float32Array {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RuntimeError('invalid-option', `Invalid seed ${String(seed)}: expected an integer in 0..${Number.MAX_SAFE_INTEGER}.`);
  }
  if (!Number.isSafeInteger(stream) || stream < 0 || stream >= TWO_32) {
    throw new RuntimeError('invalid-option', `Invalid noise stream ${String(stream)}: expected an integer in 0..${TWO_32 - 1}.`);
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RuntimeError('invalid-option', `Invalid noise length ${String(length)}: expected a non-negative integer.`);
  }
  const dst = out ?? new Float32Array(length);
  if (offset + length > dst.length) {
    throw new RuntimeError(
      'invalid-option',
      `Noise of length ${length} at offset ${offset} does not fit an array of length ${dst.length}.`,
    );
  }
  const k0 = seed % TWO_32;
  const k1 = Math.floor(seed / TWO_32);
  const block = new Uint32Array(4);
  for (let j = 0, c = 0; j < length; j += 4, c++) {
    philox4x32(c, stream, 0x6e6f6973 /* "nois" */, 0, k0, k1, block);
    const n = Math.min(4, length - j);
    for (let p = 0; p < n; p += 2) {
      const u1 = (block[p]! + 0.5) / TWO_32;
      const u2 = block[p + 1]! / TWO_32;
      const r = Math.sqrt(-2 * Math.log(u1));
      const a = 2 * Math.PI * u2;
      dst[offset + j + p] = r * Math.cos(a);
      if (p + 1 < n) dst[offset + j + p + 1] = r * Math.sin(a);
    }
  }
  return dst;
}

/**
 * Noise for a batch: sample k gets `gaussianNoise(seeds[k], sampleSize, stream)`.
 *
 * @param seeds - One seed per sample.
 * @param sampleSize - Values per sample (C·H·W).
 * @param stream - Noise stream (default {@link INITIAL_NOISE_STREAM}).
 * @returns A Float32Array of `seeds.length · sampleSize` values.
 * @throws {@link RuntimeError} `invalid-option` for a bad seed.
 * @public
 */
export function batchNoise(seeds: readonly number[], sampleSize: number, stream = INITIAL_NOISE_STREAM): Float32Array {
  const out = new Float32Array(seeds.length * sampleSize);
  seeds.forEach((s, k) => gaussianNoise(s, sampleSize, stream, out, k * sampleSize));
  return out;
}
