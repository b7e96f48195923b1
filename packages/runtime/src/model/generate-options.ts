import type { NullMode, Schedule } from '@flexiffusion/schedule';
import type { OperationOptions } from '../backend.js';
import type { RuntimeWarning } from '../errors.js';
import type { SamplerDefinition, SamplerName } from '../samplers.js';

/**
 * Options of {@link Model.generate} and {@link Model.stream}.
 *
 * @public
 */
export interface GenerateOptions extends OperationOptions {
  /** The schedule (object or notation text, e.g. `"F P0 N | F P0 N"`). */
  readonly schedule: Schedule | string;
  /** Class label per sample (class-conditional models). Its length sets the sample count. */
  readonly labels?: readonly number[];
  /** Prompt per sample (Stable Diffusion). Its length sets the sample count. */
  readonly prompts?: readonly string[];
  /** Negative prompt: the unconditional half of guidance, for every sample (Stable Diffusion; default `""`). */
  readonly negativePrompt?: string;
  /** Negative prompt per sample (instead of `negativePrompt`). */
  readonly negativePrompts?: readonly string[];
  /** Number of samples when neither labels, prompts, seeds nor initialNoise give it. */
  readonly count?: number;
  /** Seed per sample: sample i gets `gaussianNoise(seeds[i], C·H·W)` whatever the batching (default 0..N−1). */
  readonly seeds?: readonly number[];
  /** x_T for all samples, N·C·H·W values (instead of seeds). */
  readonly initialNoise?: Float32Array;
  /** Classifier-free guidance scale w (default: the manifest's, else 1 = no guidance). */
  readonly guidanceScale?: number;
  /**
   * Sampler: a built-in name (default `ddim`) or a custom {@link SamplerDefinition} (data plus a
   * step function, see the custom-sampler guide).
   */
  readonly sampler?: SamplerName | SamplerDefinition<unknown>;
  /** DDIM eta (default 0). With eta > 0 the step noise is keyed by (seed, step), so seeds are needed. */
  readonly eta?: number;
  /** Samples per network batch (default 16; with guidance the network sees twice as many). */
  readonly batchSize?: number;
  /** What null steps do (default `'skip'`). */
  readonly nullMode?: NullMode;
  /**
   * Height of the generated images in pixels (default: the model's). Checked against the model: a
   * multiple of the VAE's scale factor, and a size the UNet takes (today its native size only).
   */
  readonly height?: number;
  /** Width of the generated images in pixels (default: the model's); checked like `height`. */
  readonly width?: number;
  /** Called for what the runtime did to the request that the caller should know, e.g. a prompt truncated to the text encoder's length. */
  readonly onWarning?: (warning: RuntimeWarning) => void;
}

/**
 * One batch of results, as {@link Model.stream} yields them.
 *
 * @public
 */
export interface SampleBatch {
  /** Index of the batch's first sample in the whole request. */
  readonly offset: number;
  /** Samples in this batch. */
  readonly count: number;
  /**
   * The final samples, [count, C, H, W], not clipped: the model-space x_0 for pixel models, the
   * decoded images (the VAE's output range) for latent models.
   */
  readonly samples: Float32Array;
  /** Shape of `samples`. */
  readonly shape: readonly [number, number, number, number];
  /** Latent models: the final latents [count, C, h, w] before decoding. */
  readonly latents?: Float32Array;
  /** Shape of `latents`. */
  readonly latentShape?: readonly [number, number, number, number];
}

/**
 * The result of {@link Model.generate}: every batch joined.
 *
 * @public
 */
export interface GenerateResult {
  /** [N, C, H, W] final samples (see {@link SampleBatch.samples}). */
  readonly samples: Float32Array;
  /** Shape of `samples`. */
  readonly shape: readonly [number, number, number, number];
  /** Latent models: final latents. */
  readonly latents?: Float32Array;
  /** Shape of `latents`. */
  readonly latentShape?: readonly [number, number, number, number];
  /** Wall time in milliseconds. */
  readonly durationMs: number;
}
