import { MetricsError } from '../errors.js';
import type { GeneratedImages } from '../generator.js';
import type { ImageDims } from '../preprocess.js';
import { describe } from './validate.js';

/**
 * Check what a generator returned: `{ data, dims }` with dims [N, C, H, W] matching the data, one
 * image per seed, and (for paired metrics) the teacher's shape.
 *
 * @param gen - The generator's result.
 * @param n - The number of seeds.
 * @param expected - The teacher's dims, when the shapes must match.
 * @param what - `teacher` or `candidate`, for the messages.
 * @returns The dims, frozen.
 * @throws {@link MetricsError} `invalid-argument` for a malformed result, `dimension-mismatch` for
 *   a wrong count or shape.
 * @internal
 */
export function checkGenerated(gen: unknown, n: number, expected: ImageDims | undefined, what: string): ImageDims {
  const g = gen as GeneratedImages;
  if (typeof gen !== 'object' || gen === null || !(g.data instanceof Float32Array) || !Array.isArray(g.dims)) {
    throw new MetricsError(
      'invalid-argument',
      `The ${what} generator returned ${describe(gen)}: expected { data: Float32Array, dims: [N, C, H, W] }.`,
    );
  }
  const d = g.dims;
  if (d.length !== 4 || d.some((v) => !Number.isSafeInteger(v) || v < 1) || d[0]! * d[1]! * d[2]! * d[3]! !== g.data.length) {
    throw new MetricsError(
      'invalid-argument',
      `The ${what} generator returned dims ${describe(d)} for ${g.data.length} values: expected [N, C, H, W] matching the data.`,
    );
  }
  if (d[0] !== n) {
    throw new MetricsError(
      'dimension-mismatch',
      `The ${what} generator returned ${d[0]} images for ${n} seeds: expected one image per seed.`,
    );
  }
  if (expected !== undefined && d.some((v, i) => v !== expected[i])) {
    throw new MetricsError(
      'dimension-mismatch',
      `The ${what} images have shape [${d.join(', ')}] but the teacher's have [${expected.join(', ')}]: ` +
        'paired metrics need the same shape.',
    );
  }
  return Object.freeze([d[0]!, d[1]!, d[2]!, d[3]!] as const);
}
