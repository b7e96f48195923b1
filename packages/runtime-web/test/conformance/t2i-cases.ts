/**
 * The text-to-image conformance cases (the `fashion-sd` model: CLIP tokenizer and text encoder,
 * cross-attention UNet, VAE decoder), shared by both sides: runtime-node computes the reference in
 * the vitest process, the page computes them with runtime-web on wasm and WebGPU, on the page's
 * main thread and in a worker; browser-t2i.test.ts compares within {@link T2I_TOLERANCE}.
 * Few steps and one or two prompts: WebGPU on SwiftShader takes about a second per step.
 */
import type { WebKind } from './cases.js';

/** One text-to-image request. */
export interface T2iCase {
  readonly name: string;
  readonly schedule: string;
  readonly prompts: readonly string[];
  readonly seeds: readonly number[];
  readonly guidanceScale: number;
  readonly batchSize?: number;
  readonly on: readonly WebKind[];
}

/**
 * Max |web − node| over the decoded images (VAE output, ≈ [-1, 1]) and over the final latents,
 * fp32 everywhere. Measured (README "Conformance with runtime-node"): see the table there; the
 * bounds leave > 10× headroom and stay far below one 8-bit pixel level (2/255 ≈ 7.8e-3).
 */
export const T2I_TOLERANCE: Readonly<Record<WebKind, number>> = Object.freeze({ wasm: 1e-4, webgpu: 5e-3 });

export const T2I_CASES: readonly T2iCase[] = Object.freeze([
  {
    // every step kind and every branch, guidance 3 (the model's default): network batch 2
    name: 'fashion-sd F P0 N F P1 P2, guidance 3, 1 prompt',
    schedule: 'F P0 N F P1 P2',
    prompts: ['a photo of a dark sneaker'],
    seeds: [7],
    guidanceScale: 3,
    on: ['wasm'],
  },
  {
    name: 'fashion-sd all full ×4, two prompts in one batch',
    schedule: 'F F F F',
    prompts: ['a photo of a bright dress', 'a photo of a small bag'],
    seeds: [1, 2],
    guidanceScale: 3,
    on: ['wasm'],
  },
  {
    // WebGPU (SwiftShader here: ~4 s per UNet evaluation, ~35 s to load): a full and a partial step
    name: 'fashion-sd F P0 N, guidance 3, 1 prompt',
    schedule: 'F P0 N',
    prompts: ['a photo of a dark sneaker'],
    seeds: [7],
    guidanceScale: 3,
    on: ['webgpu'],
  },
]);
