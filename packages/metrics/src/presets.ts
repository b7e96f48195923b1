import { MetricsError } from './errors.js';
import { describe } from './internal/validate.js';
import type { OnnxExtractorSpec } from './onnx-extractor.js';

/**
 * Fields of a preset that a caller may replace (e.g. a different input name in their export).
 *
 * @public
 */
export type PresetOverrides = Partial<OnnxExtractorSpec>;

function withOverrides(base: OnnxExtractorSpec, overrides: PresetOverrides, what: string): OnnxExtractorSpec {
  if (typeof overrides !== 'object' || overrides === null) {
    throw new MetricsError('invalid-option', `Invalid ${what} overrides ${describe(overrides)}: expected an object of spec fields.`);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...base, ...defined });
}

/**
 * The embedded Fashion-MNIST feature network (`packages/model-fashion`): input `image`
 * [B, 1, 28, 28] in [0, 1]; outputs `logits` [B, 10] and `features` [B, 128] (the feature).
 * The embedded UNet samples [B, 1, 32, 32] in [−1, 1] (28×28 images padded with 2 px of
 * background on each side), so the preset centre-crops 32 → 28 and maps [−1, 1] → [0, 1] with
 * clamping. 28×28 inputs pass the crop unchanged. Read the class logits with
 * `extractor.run(images, dims, ['logits', 'features'])`.
 *
 * @param overrides - Spec fields to replace (e.g. `{ batchSize: 128 }`).
 * @returns A frozen {@link OnnxExtractorSpec}.
 * @throws {@link MetricsError} `invalid-option` for overrides that are not an object.
 * @example
 * ```ts
 * const extractor = new OnnxFeatureExtractor(session, fashionPreset());
 * ```
 * @public
 */
export function fashionPreset(overrides: PresetOverrides = {}): OnnxExtractorSpec {
  return withOverrides(
    {
      id: 'fashion-mnist-features',
      input: 'image',
      output: 'features',
      dim: 128,
      preprocess: {
        crop: { height: 28, width: 28 },
        range: { from: [-1, 1], to: [0, 1], clamp: true },
      },
      batchSize: 64,
    },
    overrides,
    'fashionPreset',
  );
}

/**
 * pytorch-fid's Inception-v3 (FID weights, `pt_inception-2015-12-05`), exported by the user to
 * ONNX as described in this package's README: input `images` [B, 3, 299, 299] already
 * normalised to [−1, 1], output `pool3` [B, 2048] (or [B, 2048, 1, 1]). The preset maps samples
 * from [−1, 1] to [0, 1] with clamping, resizes bilinearly to 299×299 as pytorch-fid does
 * (`F.interpolate(..., mode='bilinear', align_corners=False)`), replicates a single channel to 3,
 * and normalises with mean 0.5, std 0.5 (pytorch-fid's `2x − 1`).
 *
 * @param overrides - Spec fields to replace (e.g. `{ preprocess: { ...}, input: 'x' }` for
 *   samples in [0, 1] or another export).
 * @returns A frozen {@link OnnxExtractorSpec}.
 * @throws {@link MetricsError} `invalid-option` for overrides that are not an object.
 * @example
 * ```ts
 * const session = await ort.InferenceSession.create('pt_inception-2015-12-05.onnx');
 * const extractor = new OnnxFeatureExtractor(session, inceptionPreset());
 * ```
 * @public
 */
export function inceptionPreset(overrides: PresetOverrides = {}): OnnxExtractorSpec {
  return withOverrides(
    {
      id: 'pytorch-fid-inception-v3-pool3',
      input: 'images',
      output: 'pool3',
      dim: 2048,
      preprocess: {
        range: { from: [-1, 1], to: [0, 1], clamp: true },
        resize: { height: 299, width: 299, mode: 'bilinear' },
        channels: 3,
        normalize: { mean: [0.5], std: [0.5] },
      },
      batchSize: 16,
    },
    overrides,
    'inceptionPreset',
  );
}

/**
 * The text side of a CLIP model exported to ONNX.
 *
 * @public
 */
export interface ClipTextSpec {
  /** Name of the text encoder (e.g. `clip-vit-base-patch32-text`). */
  readonly id: string;
  /** Name of the token id input ([B, L] int64 or int32). */
  readonly inputIds: string;
  /** Name of the attention mask input, when the export has one. */
  readonly attentionMask?: string;
  /** Element type of the token inputs (default `int64`, as Hugging Face exports). */
  readonly tokenType?: 'int64' | 'int32';
  /** Name of the projected text embedding output ([B, d]). */
  readonly output: string;
  /** Embedding dimension d (same as the image side). */
  readonly dim: number;
}

/**
 * Both sides of a CLIP model exported to ONNX.
 *
 * @public
 */
export interface ClipPreset {
  /** The image encoder as an extractor spec (its output is the projected image embedding). */
  readonly image: OnnxExtractorSpec;
  /** The text encoder. */
  readonly text: ClipTextSpec;
}

/**
 * Overrides of {@link clipPreset}.
 *
 * @public
 */
export interface ClipPresetOverrides {
  /** Image-side fields to replace. */
  readonly image?: PresetOverrides;
  /** Text-side fields to replace. */
  readonly text?: Partial<ClipTextSpec>;
}

/** CLIP's image normalisation constants (OpenAI). */
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/**
 * OpenAI CLIP ViT-B/32 exported to ONNX as two encoders (README: "Exporting CLIP"): image
 * encoder input `pixel_values` [B, 3, 224, 224] → `image_embeds` [B, 512]; text encoder inputs
 * `input_ids` (+ `attention_mask`) [B, 77] int64 → `text_embeds` [B, 512]. Images are mapped
 * from [−1, 1] to [0, 1], resized bilinearly to 224×224 (CLIP itself resizes the short side
 * bicubically and centre-crops: for square samples only the filter differs), replicated to 3
 * channels and normalised with CLIP's mean and std. For ViT-L/14 set `dim` to 768 on both sides.
 *
 * @param overrides - Fields to replace on either side.
 * @returns A frozen {@link ClipPreset}.
 * @throws {@link MetricsError} `invalid-option` for overrides that are not objects.
 * @example
 * ```ts
 * const scorer = new ClipScorer(imageSession, textSession, { ...clipPreset(), tokenize });
 * ```
 * @public
 */
export function clipPreset(overrides: ClipPresetOverrides = {}): ClipPreset {
  if (typeof overrides !== 'object' || overrides === null) {
    throw new MetricsError('invalid-option', `Invalid clipPreset overrides ${describe(overrides)}: expected { image?, text? }.`);
  }
  const image = withOverrides(
    {
      id: 'clip-vit-base-patch32-image',
      input: 'pixel_values',
      output: 'image_embeds',
      dim: 512,
      preprocess: {
        range: { from: [-1, 1], to: [0, 1], clamp: true },
        resize: { height: 224, width: 224, mode: 'bilinear' },
        channels: 3,
        normalize: { mean: CLIP_MEAN, std: CLIP_STD },
      },
      batchSize: 16,
    },
    overrides.image ?? {},
    'clipPreset image',
  );
  const textOverrides = overrides.text ?? {};
  if (typeof textOverrides !== 'object' || textOverrides === null) {
    throw new MetricsError('invalid-option', `Invalid clipPreset text overrides ${describe(textOverrides)}: expected an object.`);
  }
  const text: ClipTextSpec = Object.freeze({
    id: 'clip-vit-base-patch32-text',
    inputIds: 'input_ids',
    attentionMask: 'attention_mask',
    tokenType: 'int64' as const,
    output: 'text_embeds',
    dim: image.dim,
    ...Object.fromEntries(Object.entries(textOverrides).filter(([, v]) => v !== undefined)),
  });
  return Object.freeze({ image, text });
}
