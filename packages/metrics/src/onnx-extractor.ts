import { MetricsError } from './errors.js';
import { hashJson } from './internal/hash.js';
import { checkSessionNames, defaultTensorFactory, runSession, tensorFloats } from './internal/onnx.js';
import { checkImageDims, checkInt, describe, throwIfAborted } from './internal/validate.js';
import type { OnnxSession, TensorFactory } from './onnx-session.js';
import { preprocessImages, type ImageDims, type PreprocessSpec } from './preprocess.js';

/**
 * Turns image batches into feature vectors. {@link OnnxFeatureExtractor} is the shipped
 * implementation; anything with this shape (a remote service, a JS model) works with
 * {@link createRfidEvaluator}.
 *
 * @public
 */
export interface FeatureExtractor {
  /**
   * A stable identifier of the network and its preprocessing; part of teacher-statistics cache
   * keys, so it must change whenever the features would.
   */
  readonly id: string;
  /** Feature dimension d. */
  readonly dim: number;
  /**
   * Features of a batch of images.
   *
   * @param images - NCHW float32 images.
   * @param dims - Their shape [N, C, H, W].
   * @param options - `signal` to abort.
   * @returns N×d features, row-major.
   */
  extract(images: Float32Array, dims: ImageDims, options?: { readonly signal?: AbortSignal }): Promise<Float32Array>;
}

/**
 * What describes an ONNX feature network and how to feed it; the presets
 * ({@link fashionPreset}, {@link inceptionPreset}, {@link clipPreset}) return these.
 *
 * @public
 */
export interface OnnxExtractorSpec {
  /** Name of the network (e.g. `fashion-mnist-features`); see {@link OnnxFeatureExtractor.id}. */
  readonly id: string;
  /** Name of the image input. */
  readonly input: string;
  /** Name of the feature output; its per-sample size must be `dim` (e.g. [B, d] or [B, d, 1, 1]). */
  readonly output: string;
  /** Feature dimension d. */
  readonly dim: number;
  /** Preprocessing applied to each batch before the network. */
  readonly preprocess?: PreprocessSpec;
  /** Samples per `session.run` (default 32). */
  readonly batchSize?: number;
  /**
   * Pad the last batch to `batchSize` (repeating its last sample; the extra outputs are dropped),
   * for networks exported with a fixed batch size. Default `false`.
   */
  readonly padBatch?: boolean;
}

/**
 * Options of {@link OnnxFeatureExtractor}: a spec plus an optional tensor factory.
 *
 * @public
 */
export interface OnnxExtractorOptions extends OnnxExtractorSpec {
  /** Input tensor constructor (default: `onnxruntime-common`'s `Tensor`). */
  readonly createTensor?: TensorFactory;
}

/**
 * One output of {@link OnnxFeatureExtractor.run}, all batches concatenated.
 *
 * @public
 */
export interface ExtractedOutput {
  /** The values, sample-major. */
  readonly data: Float32Array;
  /** Shape: [N, ...per-sample dims of the network's output]. */
  readonly dims: readonly number[];
}

/**
 * A {@link FeatureExtractor} running an ONNX network through a caller-supplied onnxruntime
 * session: preprocess (crop, range, resize, channels, normalise), batch, run, collect the
 * feature output. Platform-free: works with onnxruntime-node, -web or any session of the same
 * API.
 *
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-node';
 * const session = await ort.InferenceSession.create('fashion-features.onnx');
 * const extractor = new OnnxFeatureExtractor(session, fashionPreset());
 * const features = await extractor.extract(samples, [64, 1, 32, 32]); // Float32Array 64×128
 * ```
 * @public
 */
export class OnnxFeatureExtractor implements FeatureExtractor {
  /**
   * `spec.id` followed by `#` and a hash of the input/output names, dimension and
   * preprocessing: a different preprocessing gives a different id.
   */
  readonly id: string;
  /** Feature dimension d. */
  readonly dim: number;
  /** The spec this extractor runs (frozen). */
  readonly spec: OnnxExtractorSpec;
  readonly #session: OnnxSession;
  readonly #createTensor: TensorFactory;
  readonly #batchSize: number;

  /**
   * @param session - An onnxruntime session of the feature network.
   * @param options - The network's spec (e.g. `fashionPreset()`) and an optional tensor factory.
   * @throws {@link MetricsError} `onnx-error` when the session lacks the input or output,
   *   `invalid-option` for a bad spec.
   */
  constructor(session: OnnxSession, options: OnnxExtractorOptions) {
    if (typeof session !== 'object' || session === null || typeof session.run !== 'function') {
      throw new MetricsError('invalid-argument', `Invalid session ${describe(session)}: expected an onnxruntime InferenceSession.`);
    }
    const spec = checkSpec(options);
    checkSessionNames(session, [spec.input], [spec.output]);
    this.#session = session;
    this.#createTensor = options.createTensor ?? defaultTensorFactory;
    this.#batchSize = spec.batchSize ?? 32;
    this.spec = spec;
    this.dim = spec.dim;
    this.id = `${spec.id}#${hashJson({
      input: spec.input,
      output: spec.output,
      dim: spec.dim,
      preprocess: spec.preprocess ?? {},
    }).slice(0, 16)}`;
  }

  /**
   * Features of a batch of images: the spec's output, N×d row-major.
   *
   * @param images - NCHW float32 images (any N; batched internally).
   * @param dims - Their shape [N, C, H, W].
   * @param options - `signal` to abort between batches.
   * @returns N×d features.
   * @throws {@link MetricsError} `invalid-argument` for bad images, `onnx-error` when the
   *   session fails or returns an unexpected tensor, `aborted` when the signal fires.
   */
  async extract(images: Float32Array, dims: ImageDims, options: { readonly signal?: AbortSignal } = {}): Promise<Float32Array> {
    const out = await this.run(images, dims, [this.spec.output], options);
    return out[this.spec.output]!.data;
  }

  /**
   * Run the network on images and collect any of its outputs (e.g. a classifier's `logits`
   * besides its `features`).
   *
   * @param images - NCHW float32 images.
   * @param dims - Their shape [N, C, H, W].
   * @param outputs - Output names to collect (default: the spec's feature output).
   * @param options - `signal` to abort between batches.
   * @returns For each requested output, its values over all samples and its shape.
   * @throws {@link MetricsError} as {@link OnnxFeatureExtractor.extract}.
   */
  async run(
    images: Float32Array,
    dims: ImageDims,
    outputs: readonly string[] = [this.spec.output],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<Readonly<Record<string, ExtractedOutput>>> {
    const [n] = checkImageDims(images, dims);
    checkSessionNames(this.#session, [], outputs);
    const spec = this.spec;
    const bs = this.#batchSize;
    const parts = new Map<string, { data: Float32Array; per: number; tail: number[] }>();
    for (let start = 0; start < n; start += bs) {
      throwIfAborted(options.signal);
      const count = Math.min(bs, n - start);
      const [, c, h, w] = dims;
      const plane = c * h * w;
      let batch = images.subarray(start * plane, (start + count) * plane);
      let runCount = count;
      if (spec.padBatch === true && count < bs) {
        const padded = new Float32Array(bs * plane);
        padded.set(batch);
        for (let s = count; s < bs; s++) padded.set(batch.subarray((count - 1) * plane, count * plane), s * plane);
        batch = padded;
        runCount = bs;
      }
      const pre = preprocessImages(batch, [runCount, c, h, w], spec.preprocess ?? {});
      const result = await runSession(this.#session, { [spec.input]: this.#createTensor('float32', pre.data, pre.dims) }, outputs);
      for (const name of outputs) {
        const t = result[name]!;
        const data = await tensorFloats(t, name);
        const tdims = t.dims;
        if (tdims.length < 1 || tdims[0] !== runCount) {
          throw new MetricsError(
            'onnx-error',
            `Output ${JSON.stringify(name)} has shape [${tdims.join(', ')}]: expected the batch size ${runCount} first.`,
          );
        }
        const per = runCount === 0 ? 0 : data.length / runCount;
        if (name === spec.output && per !== spec.dim) {
          throw new MetricsError(
            'onnx-error',
            `Output ${JSON.stringify(name)} has ${per} values per sample (shape [${tdims.join(', ')}]): expected dim = ${spec.dim}.`,
          );
        }
        let entry = parts.get(name);
        if (entry === undefined) {
          entry = { data: new Float32Array(n * per), per, tail: tdims.slice(1) };
          parts.set(name, entry);
        } else if (entry.per !== per) {
          throw new MetricsError(
            'onnx-error',
            `Output ${JSON.stringify(name)} changed size between batches (${entry.per} then ${per} values per sample).`,
          );
        }
        entry.data.set(data.subarray(0, count * per), start * per);
        t.dispose?.();
      }
    }
    const out: Record<string, ExtractedOutput> = {};
    for (const name of outputs) {
      const e = parts.get(name);
      out[name] = Object.freeze({
        data: e?.data ?? new Float32Array(0),
        dims: Object.freeze([n, ...(e?.tail ?? [])]),
      });
    }
    return Object.freeze(out);
  }
}

function checkSpec(options: OnnxExtractorOptions): OnnxExtractorSpec {
  if (typeof options !== 'object' || options === null) {
    throw new MetricsError(
      'invalid-option',
      `Invalid extractor options ${describe(options)}: expected { id, input, output, dim, preprocess? }.`,
    );
  }
  for (const key of ['id', 'input', 'output'] as const) {
    if (typeof options[key] !== 'string' || options[key].length === 0) {
      throw new MetricsError('invalid-option', `Invalid ${key} ${describe(options[key])}: expected a non-empty string.`);
    }
  }
  checkInt(options.dim, 'dim', 1);
  if (options.batchSize !== undefined) checkInt(options.batchSize, 'batchSize', 1);
  if (options.createTensor !== undefined && typeof options.createTensor !== 'function') {
    throw new MetricsError(
      'invalid-option',
      `Invalid createTensor ${describe(options.createTensor)}: expected a function (type, data, dims) => Tensor.`,
    );
  }
  const spec: OnnxExtractorSpec = {
    id: options.id,
    input: options.input,
    output: options.output,
    dim: options.dim,
    ...(options.preprocess === undefined
      ? {}
      : { preprocess: deepFreeze(JSON.parse(JSON.stringify(options.preprocess)) as PreprocessSpec) }),
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.padBatch === undefined ? {} : { padBatch: options.padBatch }),
  };
  return Object.freeze(spec);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
