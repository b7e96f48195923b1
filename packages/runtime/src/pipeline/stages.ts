import type { Tensor } from 'onnxruntime-common';
import type { RuntimeWarning } from '../errors.js';
import type { AbortSignalLike } from '../internal/platform.js';

/**
 * The conditioning options of a request, as a {@link ConditioningStage} reads them (a subset of
 * `GenerateOptions`), not yet validated.
 *
 * @public
 */
export interface ConditioningRequest {
  /** Class label per sample. */
  readonly labels?: readonly number[];
  /** Prompt per sample. */
  readonly prompts?: readonly string[];
  /** One negative prompt for every sample. */
  readonly negativePrompt?: string;
  /** Negative prompt per sample (instead of `negativePrompt`). */
  readonly negativePrompts?: readonly string[];
  /** Called for what the stage does to the request that the caller should know (e.g. a truncated prompt). */
  readonly onWarning?: (warning: RuntimeWarning) => void;
}

/**
 * The conditions of a request, one entry per sample, after validation: what the conditioning
 * stages turn into UNet feeds. A stage reads only the fields it owns.
 *
 * @public
 */
export interface SampleConditions {
  /** Class label per sample (the class-label stage). */
  readonly labels?: readonly number[];
  /** Prompt per sample (the prompt stage). */
  readonly prompts?: readonly string[];
  /** Negative prompt per sample: the unconditional half of guidance (the prompt stage). */
  readonly negativePrompts?: readonly string[];
}

/**
 * One conditioning stage of a model's pipeline, chosen once at load from the manifest: class
 * labels (`class-labels`) or prompts through a tokenizer and a text encoder (`prompts`). A model
 * without conditioning has none; one with several (a latent model with labels and text) has each.
 *
 * With guidance the network sees 2n samples, the unconditional half first (as diffusers orders
 * it); a stage's feeds follow that order.
 *
 * @public
 */
export interface ConditioningStage {
  /** Which stage: `class-labels` or `prompts`. */
  readonly kind: 'class-labels' | 'prompts';
  /**
   * Check the request's conditioning options and give one condition per sample (defaults filled
   * in: the unconditional label, the empty prompt).
   *
   * @param request - The request's labels, prompts and negative prompts, unchecked.
   * @param n - The number of samples.
   * @returns This stage's fields of {@link SampleConditions}.
   * @throws `RuntimeError` `invalid-option` naming the bad value and the valid ones.
   */
  select(request: ConditioningRequest, n: number): SampleConditions;
  /**
   * The UNet feeds of one batch.
   *
   * @param conditions - The batch's conditions (n entries).
   * @param guidance - Whether the batch is doubled for classifier-free guidance (unconditional half first).
   * @param options - `cache`: reuse and remember computed embeddings (default true); `signal`.
   * @returns Feeds by graph input name.
   */
  feeds(
    conditions: SampleConditions,
    guidance: boolean,
    options?: { readonly cache?: boolean; readonly signal?: AbortSignalLike },
  ): Promise<Record<string, Tensor>>;
  /** Release the stage's sessions. */
  dispose(): Promise<void>;
}

/**
 * The decoding stage of a model's pipeline, chosen once at load: identity for pixel models
 * (`latent: false`), the VAE decoder for latent models.
 *
 * @public
 */
export interface DecodingStage {
  /** Whether the UNet works in a latent space (the decoder is a VAE). */
  readonly latent: boolean;
  /**
   * Turn the final UNet samples into images.
   *
   * @param samples - [count, C, h, w] final samples (latents for latent models).
   * @param count - The number of samples.
   * @returns The images (the VAE's output range, not clipped) and their shape.
   */
  decode(
    samples: Float32Array,
    count: number,
  ): Promise<{
    /** The images, NCHW. */
    readonly images: Float32Array;
    /** [N, C, H, W] of `images`. */
    readonly shape: readonly [number, number, number, number];
  }>;
  /** Release the stage's sessions. */
  dispose(): Promise<void>;
}

/**
 * A model's pipeline: its conditioning stages and its decoding stage, composed once at load from
 * the manifest's family. The denoising loop between them ({@link runPlan}) is the same for every
 * family.
 *
 * @public
 */
export interface FamilyPipeline {
  /** The conditioning stages (empty for an unconditional model). */
  readonly conditioning: readonly ConditioningStage[];
  /** The decoding stage. */
  readonly decoding: DecodingStage;
}
