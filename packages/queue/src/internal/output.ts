import { pairedMse } from '@flexiffusion/metrics';
import type { EvaluationJob } from '../job.js';
import { describe } from './describe.js';

/** Images of a job, NCHW float32. @internal */
export interface JobImages {
  readonly data: Float32Array;
  readonly dims: readonly [number, number, number, number];
}

function firstNonFinite(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return i;
  return -1;
}

/**
 * Check what an evaluation function returned, as the local rFID evaluator checks a generator's
 * images and an extractor's features, with the same reasons. Returns the reason of a failed
 * candidate, or the checked images (undefined when none were returned).
 *
 * @internal
 */
export function checkOutput(
  job: EvaluationJob,
  features: unknown,
  images: unknown,
  wantImages: boolean,
): { ok: true; images: JobImages | undefined } | { ok: false; reason: string } {
  const n = job.seeds.length;
  const what = job.kind;
  let checked: JobImages | undefined;
  if (images !== undefined) {
    const g = images as JobImages;
    if (typeof images !== 'object' || images === null || !(g.data instanceof Float32Array) || !Array.isArray(g.dims)) {
      return {
        ok: false,
        reason: `The ${what} generator returned ${describe(images)}: expected { data: Float32Array, dims: [N, C, H, W] }.`,
      };
    }
    const d = g.dims;
    if (d.length !== 4 || d.some((v) => !Number.isSafeInteger(v) || v < 1) || d[0]! * d[1]! * d[2]! * d[3]! !== g.data.length) {
      return {
        ok: false,
        reason: `The ${what} generator returned dims ${describe(d)} for ${g.data.length} values: expected [N, C, H, W] matching the data.`,
      };
    }
    if (d[0] !== n)
      return { ok: false, reason: `The ${what} generator returned ${d[0]} images for ${n} seeds: expected one image per seed.` };
    const bad = firstNonFinite(g.data);
    if (bad >= 0)
      return { ok: false, reason: `The generated images hold ${String(g.data[bad])} at index ${bad}: expected finite numbers only.` };
    checked = { data: g.data, dims: [d[0]!, d[1]!, d[2]!, d[3]!] };
  } else if (wantImages) {
    return { ok: false, reason: 'The evaluation function returned no images, but the job needs them for the paired metrics (MSE, PSNR).' };
  }
  if (!(features instanceof Float32Array) || features.length !== n * job.dim) {
    return {
      ok: false,
      reason:
        `feature extraction failed: The extractor returned ${describe(features)}: ` +
        `expected a Float32Array of ${n} × ${job.dim} = ${n * job.dim} features.`,
    };
  }
  const bad = firstNonFinite(features);
  if (bad >= 0) {
    return {
      ok: false,
      reason: `feature extraction failed: The extracted features hold ${String(features[bad])} at index ${bad}: expected finite numbers only.`,
    };
  }
  return { ok: true, images: checked };
}

/**
 * Each sample's MSE against the teacher's image of the same seed (metrics' `pairedMse`, so the
 * numbers are those of a local evaluation), or the reason the shapes do not pair.
 *
 * @internal
 */
export function pairedErrors(candidate: JobImages, teacher: JobImages): { ok: true; mse: number[] } | { ok: false; reason: string } {
  if (candidate.dims.some((v, i) => v !== teacher.dims[i])) {
    return {
      ok: false,
      reason:
        `The candidate images have shape [${candidate.dims.join(', ')}] but the teacher's have [${teacher.dims.join(', ')}]: ` +
        'paired metrics need the same shape.',
    };
  }
  return { ok: true, mse: Array.from(pairedMse(candidate.data, teacher.data, { samples: candidate.dims[0] }).perSample) };
}

/** Float32 values as little-endian bytes. @internal */
export function f32Bytes(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setFloat32(i * 4, x[i]!, true);
  return out;
}

/** Little-endian bytes as float32 values. @internal */
export function bytesF32(b: Uint8Array): Float32Array {
  const out = new Float32Array(b.length / 4);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
