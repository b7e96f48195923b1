import { MetricsError } from './errors.js';
import { checkDim, checkFeatures, describe, throwIfAborted } from './internal/validate.js';
import { checkSessionNames, defaultTensorFactory, runSession, tensorFloats } from './internal/onnx.js';
import { OnnxFeatureExtractor } from './onnx-extractor.js';
import type { OnnxSession, TensorFactory } from './onnx-session.js';
import type { PairedResult } from './paired.js';
import type { ImageDims } from './preprocess.js';
import type { ClipPreset } from './presets.js';

/**
 * Token ids of N prompts, as a CLIP tokenizer produces them (padded to a common length L).
 *
 * @public
 */
export interface ClipTokens {
  /** N×L token ids, row-major. */
  readonly inputIds: BigInt64Array | Int32Array | readonly number[];
  /** N×L attention mask (1 = token, 0 = padding), when the text encoder takes one. */
  readonly attentionMask?: BigInt64Array | Int32Array | readonly number[];
  /** Sequence length L (77 for OpenAI CLIP). */
  readonly length: number;
}

/**
 * Turns prompts into token ids. CLIP's BPE tokenizer is not part of this package: pass one
 * (e.g. from `@huggingface/transformers`' `AutoTokenizer`, with `padding: 'max_length'`).
 *
 * @public
 */
export type ClipTokenizer = (prompts: readonly string[]) => ClipTokens | Promise<ClipTokens>;

/**
 * Options of {@link ClipScorer}: a {@link ClipPreset} plus the tokenizer.
 *
 * @public
 */
export interface ClipScorerOptions extends ClipPreset {
  /** The tokenizer. */
  readonly tokenize: ClipTokenizer;
  /** Input tensor constructor (default: `onnxruntime-common`'s `Tensor`). */
  readonly createTensor?: TensorFactory;
}

/**
 * CLIP score of paired image and text embeddings (Hessel et al. 2021, as torchmetrics):
 * 100 · max(cos(image, text), 0) per pair, and the mean.
 *
 * @param imageEmbeds - N×d image embeddings, row-major.
 * @param textEmbeds - N×d text embeddings of the matching prompts.
 * @param dim - The embedding dimension d.
 * @returns Frozen {@link PairedResult} (scores in [0, 100]).
 * @throws {@link MetricsError} `invalid-argument` for malformed arrays, `dimension-mismatch`
 *   for different N.
 * @example
 * ```ts
 * clipScore(imageEmbeds, textEmbeds, 512).mean; // e.g. 31.2
 * ```
 * @public
 */
export function clipScore(imageEmbeds: Float32Array | Float64Array, textEmbeds: Float32Array | Float64Array, dim: number): PairedResult {
  const d = checkDim(dim);
  const n = checkFeatures(imageEmbeds, d, 'imageEmbeds');
  const m = checkFeatures(textEmbeds, d, 'textEmbeds');
  if (n !== m) {
    throw new MetricsError(
      'dimension-mismatch',
      `CLIP score pairs images with prompts: got ${n} image embeddings and ${m} text embeddings.`,
    );
  }
  if (n === 0) throw new MetricsError('too-few-samples', 'CLIP score needs at least one image-prompt pair.');
  const perSample = new Float64Array(n);
  let sum = 0;
  for (let s = 0; s < n; s++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < d; i++) {
      const a = imageEmbeds[s * d + i]!;
      const b = textEmbeds[s * d + i]!;
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
    const cos = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
    perSample[s] = 100 * Math.max(cos, 0);
    sum += perSample[s]!;
  }
  return Object.freeze({ perSample, mean: sum / n });
}

/**
 * CLIP score of images against prompts with a CLIP model exported to ONNX as an image encoder
 * and a text encoder (see {@link clipPreset}).
 *
 * @example
 * ```ts
 * const scorer = new ClipScorer(imageSession, textSession, { ...clipPreset(), tokenize });
 * const { mean } = await scorer.score(images, [8, 3, 512, 512], prompts);
 * ```
 * @public
 */
export class ClipScorer {
  /** The image encoder as a feature extractor. */
  readonly images: OnnxFeatureExtractor;
  readonly #text: OnnxSession;
  readonly #options: ClipScorerOptions;
  readonly #createTensor: TensorFactory;

  /**
   * @param imageSession - Session of the image encoder.
   * @param textSession - Session of the text encoder.
   * @param options - The preset (`clipPreset()`) and a tokenizer.
   * @throws {@link MetricsError} `onnx-error` when a session lacks a named input or output,
   *   `invalid-option` for a missing tokenizer or different embedding sizes.
   */
  constructor(imageSession: OnnxSession, textSession: OnnxSession, options: ClipScorerOptions) {
    if (typeof options !== 'object' || options === null || typeof options.tokenize !== 'function') {
      throw new MetricsError('invalid-option', `Invalid ClipScorer options ${describe(options)}: expected { image, text, tokenize }.`);
    }
    if (options.image.dim !== options.text.dim) {
      throw new MetricsError(
        'invalid-option',
        `CLIP image and text embeddings must have the same dim: got ${options.image.dim} and ${options.text.dim}.`,
      );
    }
    this.#createTensor = options.createTensor ?? defaultTensorFactory;
    this.images = new OnnxFeatureExtractor(imageSession, { ...options.image, createTensor: this.#createTensor });
    checkSessionNames(textSession, [options.text.inputIds], [options.text.output]);
    this.#text = textSession;
    this.#options = options;
  }

  /**
   * Projected text embeddings of prompts.
   *
   * @param prompts - N prompts.
   * @param options - `signal` to abort.
   * @returns N×d embeddings.
   * @throws {@link MetricsError} `invalid-argument` for malformed tokens, `onnx-error` when the
   *   text encoder fails.
   */
  async embedTexts(prompts: readonly string[], options: { readonly signal?: AbortSignal } = {}): Promise<Float32Array> {
    if (!Array.isArray(prompts) || prompts.some((p) => typeof p !== 'string')) {
      throw new MetricsError('invalid-argument', `Invalid prompts ${describe(prompts)}: expected an array of strings.`);
    }
    throwIfAborted(options.signal);
    const n = prompts.length;
    const spec = this.#options.text;
    const tokens = await this.#options.tokenize(prompts);
    const L = tokens?.length;
    if (typeof L !== 'number' || !Number.isSafeInteger(L) || L < 1 || tokens.inputIds?.length !== n * L) {
      throw new MetricsError(
        'invalid-argument',
        `The tokenizer returned ${describe(tokens?.inputIds)} ids with length ${describe(L)}: expected ${n} prompts × length ids.`,
      );
    }
    throwIfAborted(options.signal);
    const type = spec.tokenType ?? 'int64';
    const toTensorData = (v: ArrayLike<number | bigint>): BigInt64Array | Int32Array =>
      type === 'int64' ? BigInt64Array.from(Array.from(v, (x) => BigInt(x))) : Int32Array.from(Array.from(v, (x) => Number(x)));
    const feeds: Record<string, ReturnType<TensorFactory>> = {
      [spec.inputIds]: this.#createTensor(type, toTensorData(tokens.inputIds), [n, L]),
    };
    if (spec.attentionMask !== undefined && this.#text.inputNames.includes(spec.attentionMask)) {
      const mask = tokens.attentionMask ?? Array.from({ length: n * L }, () => 1);
      if (mask.length !== n * L) {
        throw new MetricsError('invalid-argument', `The attention mask has ${mask.length} values: expected ${n} × ${L}.`);
      }
      feeds[spec.attentionMask] = this.#createTensor(type, toTensorData(mask), [n, L]);
    }
    const out = await runSession(this.#text, feeds, [spec.output]);
    const t = out[spec.output]!;
    const data = await tensorFloats(t, spec.output);
    if (data.length !== n * spec.dim) {
      throw new MetricsError(
        'onnx-error',
        `Output ${JSON.stringify(spec.output)} has shape [${t.dims.join(', ')}]: expected [${n}, ${spec.dim}].`,
      );
    }
    const copy = data.slice();
    t.dispose?.();
    return copy;
  }

  /**
   * CLIP score of each image against its prompt.
   *
   * @param images - N NCHW float32 images (in the range the preset maps from, [−1, 1] by default).
   * @param dims - Their shape.
   * @param prompts - N prompts, one per image.
   * @param options - `signal` to abort.
   * @returns Frozen {@link PairedResult} (scores in [0, 100]).
   * @throws {@link MetricsError} `dimension-mismatch` when N differs, and as
   *   {@link OnnxFeatureExtractor.extract}.
   */
  async score(
    images: Float32Array,
    dims: ImageDims,
    prompts: readonly string[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<PairedResult> {
    if (Array.isArray(prompts) && Array.isArray(dims) && prompts.length !== dims[0]) {
      throw new MetricsError('dimension-mismatch', `Got ${dims[0]} images but ${prompts.length} prompts: expected one prompt per image.`);
    }
    const img = await this.images.extract(images, dims, options);
    const txt = await this.embedTexts(prompts, options);
    return clipScore(img, txt, this.images.dim);
  }
}
