import type { Schedule } from '@flexiffusion/schedule';
import type { ImageDims } from './preprocess.js';

/**
 * What {@link RfidEvaluatorOptions.generate} is asked to produce: one image per seed (and
 * label or prompt), in order.
 *
 * @public
 */
export interface GenerateRequest {
  /** One initial-noise seed per sample. */
  readonly seeds: readonly number[];
  /** One class label (condition) per sample, when the model is conditional. */
  readonly labels?: readonly number[];
  /** One prompt per sample, for text-to-image models. */
  readonly prompts?: readonly string[];
  /** One negative prompt per sample (the unconditional half of guidance), when given. */
  readonly negativePrompts?: readonly string[];
  /** Aborts generation. */
  readonly signal?: AbortSignal;
}

/**
 * Images produced by a generator: NCHW float32.
 *
 * @public
 */
export interface GeneratedImages {
  /** The values, NCHW, row-major. */
  readonly data: Float32Array;
  /** Their shape [N, C, H, W]; N must equal the number of seeds. */
  readonly dims: ImageDims;
}

/**
 * Generates images with a schedule. The runtime packages provide it (it runs the diffusion
 * model); the evaluator only times and scores it. It may return a bare `Float32Array` (NCHW) when
 * the evaluator is given `imageShape`.
 *
 * @public
 */
export type GenerateFn = (schedule: Schedule, request: GenerateRequest) => Promise<GeneratedImages | Float32Array>;
