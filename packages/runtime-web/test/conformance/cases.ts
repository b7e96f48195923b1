/**
 * The conformance case list, shared by both sides of the suite: runtime-node computes the
 * reference samples in the vitest process, the browser page computes the same cases on
 * runtime-web (wasm and WebGPU), and browser.test.ts compares them within {@link TOLERANCE}.
 * Plain data, importable in Node and in the page bundle.
 */

/** Web backends the suite runs on. */
export type WebKind = 'wasm' | 'webgpu';

/** One generation request, run on every backend it names. */
export interface ConformanceCase {
  readonly name: string;
  /** Schedule notation of @flexiffusion/schedule. */
  readonly schedule: string;
  readonly labels: readonly number[];
  readonly seeds: readonly number[];
  readonly guidanceScale: number;
  readonly sampler: 'ddim' | 'dpmpp-2m';
  readonly batchSize?: number;
  /** Where it runs besides runtime-node (WebGPU on SwiftShader takes seconds per step: keep its cases short). */
  readonly on: readonly WebKind[];
}

/**
 * Max |web − node| over all sample values (model space, images in [-1, 1]), fp32 everywhere.
 * Chosen from measurement (see README "Conformance with runtime-node"): wasm runs the same MLAS
 * kernels as onnxruntime-node's CPU provider and matched to 2.2e-6 … 6.3e-6 on these cases;
 * WebGPU (SwiftShader) sums in other orders in its own shaders and matched to 2.0e-5 … 2.1e-5.
 * The bounds leave > 10× headroom (a trained model may amplify differences more than the early
 * export) and stay far below one 8-bit pixel level (2/255 ≈ 7.8e-3).
 */
export const TOLERANCE: Readonly<Record<WebKind, number>> = Object.freeze({ wasm: 1e-4, webgpu: 5e-4 });

export const CASES: readonly ConformanceCase[] = Object.freeze([
  {
    // DeepCache-style: every branch read, a null step, guidance, two samples in one batch.
    name: 'ddim F/P/N, guidance 2, batch 2',
    schedule: 'F P0 P1 | F P2 N',
    labels: [3, 7],
    seeds: [11, 12],
    guidanceScale: 2,
    sampler: 'ddim',
    on: ['wasm'],
  },
  {
    // The same on one sample (network batch 2): WebGPU on SwiftShader takes seconds per step.
    name: 'ddim F/P/N, guidance 2, 1 sample',
    schedule: 'F P0 P1 | F P2 N',
    labels: [7],
    seeds: [12],
    guidanceScale: 2,
    sampler: 'ddim',
    on: ['wasm', 'webgpu'],
  },
  {
    name: 'dpmpp-2m, 2 batches of 1, no guidance',
    schedule: 'F P0 N | F P1 N | F P0 N',
    labels: [0, 9],
    seeds: [5, 6],
    guidanceScale: 1,
    sampler: 'dpmpp-2m',
    batchSize: 1,
    on: ['wasm'],
  },
  {
    name: 'ddim-10 all full, guidance 3',
    schedule: 'F F F F F F F F F F',
    labels: [1, 8],
    seeds: [21, 22],
    guidanceScale: 3,
    sampler: 'ddim',
    on: ['wasm'],
  },
]);
