// The manifest format: `model.json`'s fields as TSDoc-commented interfaces.
//
// One source of truth, two views (decided in issue 15): these hand-written interfaces are what
// callers and the typedoc site see (typedoc shows each field's comment, which a type inferred from
// a schema would not carry), and `./schema.ts` holds the one valibot schema that validates a
// manifest. `schema.ts` proves at compile time that the schema's output type is identical to
// ModelManifest (and each block's to its interface), so a field added to one side only fails
// `tsc`. model.schema.json is generated from the valibot schema, its descriptions from these
// comments (scripts/write-schema.mjs).
import type { TimestepGrid, TimestepSpacing } from '@flexiffusion/schedule';
import type { BetaSchedule } from '../noise-schedule.js';
import type { FinalSigmasType, PredictionType } from '../samplers.js';

/** The manifest file name inside a model folder. @public */
export const MANIFEST_FILE = 'model.json';

/**
 * Model families.
 *
 * - `class-conditional`: pixel-space UNet conditioned on a class label (`unet.inputs.classLabels`).
 * - `unconditional`: pixel-space UNet without conditioning.
 * - `latent`: latent-space UNet (optionally class-conditional) and a VAE decoder run at the end.
 * - `stable-diffusion`: text-conditioned latent UNet: CLIP BPE tokenizer, text encoder, VAE decoder.
 *
 * @public
 */
export type ModelFamily = 'class-conditional' | 'unconditional' | 'latent' | 'stable-diffusion';

/** The valid {@link ModelFamily} values. @public */
export const MODEL_FAMILIES: readonly ModelFamily[] = Object.freeze(['class-conditional', 'unconditional', 'latent', 'stable-diffusion']);

/** Element types a UNet's timestep input may have. @public */
export type TimestepType = 'int64' | 'int32' | 'float32';

/**
 * The valid {@link TimestepType} values.
 *
 * @internal
 */
export const TIMESTEP_TYPES: readonly TimestepType[] = Object.freeze(['int64', 'int32', 'float32']);

/**
 * One cache branch of the UNet: the tensor a full step stores and a partial step of this branch
 * reads (a DeepCache cut point). Branch 0 is the shallowest (cheapest partial step).
 *
 * @public
 */
export interface CacheBranch {
  /** Branch index; branches are numbered 0..B−1 in order. */
  readonly branch: number;
  /** Name of the tensor in the UNet graph. */
  readonly tensor: string;
}

/**
 * The UNet block of a manifest.
 *
 * @public
 */
export interface UnetSpec {
  /** ONNX file, relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Graph input names by role. */
  readonly inputs: {
    /** The noisy sample x_t ([B, C, H, W]; diffusers: `sample`). */
    readonly sample: string;
    /** The timestep ([B] or scalar; diffusers: `timestep`). */
    readonly timestep: string;
    /** Class labels (int64 [B]), for class-conditional models. */
    readonly classLabels?: string;
    /** Text embeddings ([B, L, d]), for Stable Diffusion. */
    readonly encoderHiddenStates?: string;
  };
  /** Graph output name of the prediction. */
  readonly output: string;
  /** Shape of one sample, [C, H, W] (latent shape for latent models). */
  readonly sampleShape: readonly [number, number, number];
  /** What the output predicts (default `epsilon`). */
  readonly prediction?: PredictionType;
  /** Element type of the timestep input (default: read from the session, else `int64`). */
  readonly timestepType?: TimestepType;
  /** Cache branches (cut points), branch 0..B−1. May be empty: then only full and null steps run. */
  readonly cache: readonly CacheBranch[];
}

/**
 * The training noise schedule and the scheduler settings: diffusers' `scheduler_config.json`, keys
 * in camelCase (`parseSchedulerConfig` reads that file). Left out, every setting keeps what
 * manifests meant before these fields existed (diffusers' DDIMScheduler defaults, DPM-Solver++ on
 * the same timesteps as DDIM).
 *
 * @public
 */
export interface SchedulerSpec {
  /** `num_train_timesteps`. */
  readonly trainTimesteps: number;
  /** `beta_schedule`. */
  readonly betaSchedule: BetaSchedule;
  /** `beta_start`. */
  readonly betaStart: number;
  /** `beta_end`. */
  readonly betaEnd: number;
  /** `trained_betas`: β_t for t = 0..trainTimesteps−1, in [0, 1); replaces betaSchedule, betaStart and betaEnd. */
  readonly trainedBetas?: readonly number[];
  /** `rescale_betas_zero_snr` (default false): rescale the betas to zero terminal SNR (ᾱ_{T−1} = 0); needs `unet.prediction` `v_prediction` or `sample`. */
  readonly rescaleBetasZeroSnr?: boolean;
  /** `timestep_spacing` (default `leading`). */
  readonly timestepSpacing?: TimestepSpacing;
  /** `steps_offset`, added to leading timesteps (default 0; SD-1.x: 1). */
  readonly stepsOffset?: number;
  /** `set_alpha_to_one` (DDIM; default true): the last DDIM step goes to ᾱ = 1, else to ᾱ_0. */
  readonly setAlphaToOne?: boolean;
  /** `final_sigmas_type` (DPM-Solver++; default `zero`): the last step goes to x0 (`zero`) or to ᾱ_0 (`sigma_min`). */
  readonly finalSigmasType?: FinalSigmasType;
  /** `lower_order_final` (the multistep samplers; default true): DPM-Solver++ lowers the order of the last updates with fewer than 15 steps, UniPC always at the end, as diffusers does. */
  readonly lowerOrderFinal?: boolean;
  /** Which timesteps the multistep samplers (`dpmpp-2m`, `dpmpp-3m`, `unipc`) run on: `ddim` (default, as before this field) DDIM's; `dpm-solver` those of diffusers' DPMSolverMultistepScheduler / UniPCMultistepScheduler (parseSchedulerConfig writes it). */
  readonly dpmSolverTimesteps?: TimestepGrid;
}

/**
 * Conditioning of the model.
 *
 * @public
 */
export interface ConditioningSpec {
  /** Number of classes (class-conditional models). */
  readonly numClasses?: number;
  /** The label meaning "no class" (the unconditional half of classifier-free guidance). */
  readonly unconditionalLabel?: number;
  /** Class names, index = label. */
  readonly classNames?: readonly string[];
  /** Guidance scale used when a caller gives none. */
  readonly defaultGuidanceScale?: number;
}

/**
 * How samples map to pixels.
 *
 * @public
 */
export interface ImageSpec {
  /** Pixel value range of samples (model space), e.g. [-1, 1]. */
  readonly range: readonly [number, number];
  /** The region holding the image (e.g. a 28×28 image padded to 32×32). */
  readonly crop?: {
    /** First row of the region. */
    readonly top: number;
    /** First column of the region. */
    readonly left: number;
    /** Rows in the region. */
    readonly height: number;
    /** Columns in the region. */
    readonly width: number;
  };
}

/**
 * A VAE decoder (latent families).
 *
 * @public
 */
export interface VaeSpec {
  /** ONNX file, relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Input name (public export: `latent_sample`). */
  readonly input: string;
  /** Output name (public export: `sample`). */
  readonly output: string;
  /** Latents are divided by this before decoding (SD: 0.18215). */
  readonly scalingFactor: number;
}

/**
 * A CLIP text encoder (Stable Diffusion).
 *
 * @public
 */
export interface TextEncoderSpec {
  /** ONNX file, relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Input name (`input_ids`). */
  readonly input: string;
  /** Output name (`last_hidden_state`). */
  readonly output: string;
  /** Token sequence length (77). */
  readonly maxLength: number;
}

/**
 * A CLIP BPE tokenizer's files (Stable Diffusion): `vocab` and `merges` (transformers'
 * CLIPTokenizer), or `json` (a tokenizers `tokenizer.json`, CLIPTokenizerFast).
 *
 * @public
 */
export interface TokenizerSpec {
  /** `tokenizer/vocab.json` (with `merges`). */
  readonly vocab?: string;
  /** `tokenizer/merges.txt` (with `vocab`). */
  readonly merges?: string;
  /** `tokenizer/tokenizer.json`, instead of `vocab` and `merges`. */
  readonly json?: string;
  /** The padding token (default `<|endoftext|>`, as SD-1.x; SD-2.x pads with `!`). */
  readonly padToken?: string;
}

/**
 * A feature network for FID-style metrics (read by `@flexiffusion/metrics`).
 *
 * @public
 */
export interface FeatureNetworkSpec {
  /** ONNX file, relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Input name (images in [0, 1], cropped per `image.crop`). */
  readonly input: string;
  /** Output name of the feature vector. */
  readonly features: string;
  /** Output name of the class logits, if any. */
  readonly logits?: string;
  /** Feature dimension. */
  readonly dim: number;
}

/**
 * Reference feature statistics of real images (read by `@flexiffusion/metrics`).
 *
 * @public
 */
export interface ReferenceStatsSpec {
  /** Serialised statistics file (`@flexiffusion/metrics`' `serializeStats` format), relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Number of images the statistics were computed on. */
  readonly count: number;
  /** What the statistics are of (free text, for people). */
  readonly description?: string;
}

/**
 * What a model brings for its own evaluation: a default prompt set, a CLIP judge and prompt
 * attribute rules. The runtime checks the block and does not read the files; the CLI uses them
 * when the corresponding option is omitted (`flexi eval`, `flexi search`).
 *
 * @public
 */
export interface EvaluationSpec {
  /** Default prompt set: a JSON array of strings, relative to the model folder (used when no `--prompt`/`--prompts` is given). */
  readonly prompts?: {
    /** The JSON file. */
    readonly file: string;
    /** Lowercase hex SHA-256 of the file (checked on read when given). */
    readonly sha256?: string;
    /** Number of prompts in it. */
    readonly count: number;
  };
  /** A CLIP export that judges prompt adherence (the `--clip DIR` layout), a folder relative to the model folder. */
  readonly clip?: string;
  /** Prompt attribute rules (`@flexiffusion/metrics`' `parsePromptAttributeRules` format), relative to the model folder. */
  readonly attributes?: {
    /** The JSON file. */
    readonly file: string;
    /** Lowercase hex SHA-256 of the file (checked on read when given). */
    readonly sha256?: string;
  };
}

/**
 * A model manifest: `model.json` in a model folder. Version 1 of the format.
 *
 * @example
 * ```json
 * { "format": 1, "name": "fashion", "family": "class-conditional",
 *   "unet": { "file": "unet.onnx", "inputs": { "sample": "sample", "timestep": "timestep", "classLabels": "class_labels" },
 *             "output": "noise_pred", "sampleShape": [1, 32, 32], "prediction": "epsilon",
 *             "cache": [{ "branch": 0, "tensor": "/up_blocks.1/upsamplers.0/conv/Conv_output_0" }] },
 *   "scheduler": { "trainTimesteps": 1000, "betaSchedule": "linear", "betaStart": 0.0001, "betaEnd": 0.02 },
 *   "conditioning": { "numClasses": 10, "unconditionalLabel": 10, "defaultGuidanceScale": 2 },
 *   "image": { "range": [-1, 1] } }
 * ```
 * @public
 */
export interface ModelManifest {
  /** Format version: 1. */
  readonly format: 1;
  /** Model name. */
  readonly name: string;
  /** One-paragraph description. */
  readonly description?: string;
  /** Family; decides which blocks are required. */
  readonly family: ModelFamily;
  /** The denoising network and its cache branches. */
  readonly unet: UnetSpec;
  /** The training noise schedule. */
  readonly scheduler: SchedulerSpec;
  /** Required for class-conditional models. */
  readonly conditioning?: ConditioningSpec;
  /** How samples map to pixels (default range [-1, 1], no crop). */
  readonly image?: ImageSpec;
  /** Required for `latent` and `stable-diffusion`. */
  readonly vae?: VaeSpec;
  /** Required for `stable-diffusion`. */
  readonly textEncoder?: TextEncoderSpec;
  /** Required for `stable-diffusion`. */
  readonly tokenizer?: TokenizerSpec;
  /** Feature network for FID / rFID (needed by `flexi search`, `flexi eval`). */
  readonly featureNetwork?: FeatureNetworkSpec;
  /** Feature statistics of real images, for FID against real data. */
  readonly referenceStats?: ReferenceStatsSpec;
  /** What the model brings for its own evaluation (default prompts, CLIP judge, attribute rules). */
  readonly evaluation?: EvaluationSpec;
  /** Free-form: how the model was made (recipe, data, commit). */
  readonly provenance?: Readonly<Record<string, unknown>>;
  /** Free-form: a model package's sample of real data (model-fashion: test images); the runtime does not read it. */
  readonly testSample?: Readonly<Record<string, unknown>>;
  /** The JSON Schema editors check the file against (e.g. `@flexiffusion/runtime/model.schema.json`); not read. */
  readonly $schema?: string;
}
