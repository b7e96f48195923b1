import {
  RuntimeError,
  createPipeline,
  manifestImageOptions,
  type AbortSignalLike,
  type DiffusionPipeline,
  type GenerateOptions,
  type GenerateResult,
  type ModelManifest,
  type PipelineProfile,
  type ProfileOptions,
  type ProgressEvent,
  type SampleBatch,
  type ToImageOptions,
} from '@flexiffusion/runtime';
import type { CostProfile } from '@flexiffusion/schedule';
import { resolveBackend, type ActiveBackend, type WebBackend } from './backend.js';
import { drawSamples, samplesToImageData, type Canvas2DLike, type CanvasImageOptions, type DrawSamplesOptions } from './canvas.js';
import { fetchSource, type DownloadProgress, type FetchLike } from './fetch-source.js';

/**
 * Options of {@link loadModel}.
 *
 * @public
 */
export interface LoadModelOptions {
  /**
   * Backends to try, in order (see {@link resolveBackend}), e.g.
   * `[webgpuBackend(), wasmBackend()]` from the `/webgpu` and `/wasm` subpaths; or an
   * already started backend.
   */
  readonly backends: readonly WebBackend[] | ActiveBackend;
  /** Check files against the manifest's SHA-256 (default true; needs Web Crypto, i.e. a secure context). */
  readonly verifyChecksums?: boolean;
  /** Open every partial session at load (default: on first use). */
  readonly eagerPartials?: boolean;
  /** Bytes received per file, as they stream in. */
  readonly onDownload?: (progress: DownloadProgress) => void;
  /** Loading phases (reading files, cutting the graph, opening sessions). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Cancels loading. */
  readonly signal?: AbortSignalLike;
  /** The fetch to use (default `globalThis.fetch`). */
  readonly fetch?: FetchLike;
  /** Extra `fetch` options for every request. */
  readonly requestInit?: RequestInit;
}

/**
 * A model loaded in the browser: generate with any schedule on the chosen backend, stream
 * batches, profile the step kinds, draw samples on a canvas. Made by {@link loadModel}.
 *
 * @public
 */
export class WebModel {
  /** The model folder's URL. */
  readonly url: string;
  /** The backend the sessions run on. */
  readonly backend: ActiveBackend;
  /** The platform-free pipeline underneath. */
  readonly pipeline: DiffusionPipeline;

  /** @internal */
  constructor(url: string, backend: ActiveBackend, pipeline: DiffusionPipeline) {
    this.url = url;
    this.backend = backend;
    this.pipeline = pipeline;
  }

  /** The manifest. */
  get manifest(): ModelManifest {
    return this.pipeline.manifest;
  }

  /** MACs per sample of a full step and of each branch's partial step. */
  get costProfile(): CostProfile {
    return this.pipeline.costProfile;
  }

  /** Number of cache branches. */
  get branches(): number {
    return this.pipeline.branches;
  }

  /** The manifest's image range and crop, for {@link samplesToImageData} and {@link drawSamples}. */
  get imageOptions(): ToImageOptions {
    return manifestImageOptions(this.manifest);
  }

  /**
   * Generate samples. On a device-resident backend the cache tensors stay on the GPU between a
   * full step and the partial steps that read them; the noise prediction still comes back every
   * step (guidance and the sampler update run in JS).
   *
   * @param options - Schedule, labels, seeds or initialNoise, guidanceScale, sampler, batchSize,
   *   nullMode, signal, onProgress (as `@flexiffusion/runtime`'s `generate`).
   * @returns `{ samples, shape, durationMs }`: raw final samples [N, C, H, W] (model space, not clipped).
   * @throws `RuntimeError` for bad options, `session-failed`, `aborted`; `ScheduleError` for a bad schedule.
   * @example
   * ```ts
   * const { samples, shape } = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [0, 1], seeds: [1, 2] });
   * drawSamples(canvas, samples, shape, { ...model.imageOptions, scale: 4 });
   * ```
   */
  generate(options: GenerateOptions): Promise<GenerateResult> {
    return this.pipeline.generate(options);
  }

  /**
   * Generate batch by batch (an async iterator), as {@link WebModel.generate}.
   *
   * @param options - As {@link WebModel.generate}.
   * @returns Batches in order.
   */
  stream(options: GenerateOptions): AsyncGenerator<SampleBatch, void, undefined> {
    return this.pipeline.stream(options);
  }

  /**
   * Measure the median latency of a full step and each branch's partial step on this backend.
   *
   * @param options - Batch size, repeats, warm-up, guidance.
   * @returns The cost profile and latencies.
   */
  profile(options: ProfileOptions = {}): Promise<PipelineProfile> {
    return this.pipeline.profile(options);
  }

  /**
   * A result's samples as `ImageData`, one per sample, with the manifest's range and crop.
   *
   * @param result - A generate result or stream batch.
   * @param options - `scale`, overrides of range and crop.
   * @returns The images.
   */
  toImageData(result: { readonly samples: Float32Array; readonly shape: readonly number[] }, options: CanvasImageOptions = {}): ImageData[] {
    return samplesToImageData(result.samples, result.shape, { ...this.imageOptions, ...options });
  }

  /**
   * Draw a result's samples as a grid on a canvas, with the manifest's range and crop.
   *
   * @param canvas - An `HTMLCanvasElement` or `OffscreenCanvas` (resized to fit).
   * @param result - A generate result or stream batch.
   * @param options - `scale`, `columns`, `padding`, `background`, overrides.
   * @returns The canvas.
   */
  draw<T extends Canvas2DLike>(canvas: T, result: { readonly samples: Float32Array; readonly shape: readonly number[] }, options: DrawSamplesOptions = {}): T {
    return drawSamples(canvas, result.samples, result.shape, { ...this.imageOptions, ...options });
  }

  /** Release the sessions (and their GPU memory). */
  dispose(): Promise<void> {
    return this.pipeline.dispose();
  }
}

/**
 * Load a model folder over HTTP into the browser: start the first working backend (WebGPU, then
 * wasm, as given), fetch `model.json` and the ONNX files with byte progress, cut the UNet for
 * cached steps and open the sessions.
 *
 * @param url - The folder holding model.json (absolute, or relative to the page).
 * @param options - `backends` (required), `onDownload`, `onProgress`, `verifyChecksums`,
 *   `eagerPartials`, `signal`, `fetch`, `requestInit`.
 * @returns The {@link WebModel}; `dispose()` it when done.
 * @throws `RuntimeError`: `invalid-option` without backends, `unsupported` when no backend starts (listing each one's failure:
 *   `[webgpu] …, [wasm] …`), `missing-file` (HTTP errors), `checksum-mismatch`,
 *   `invalid-manifest`, `io-mismatch`, `shape-mismatch`, `session-failed`, `aborted`.
 * @example
 * ```ts
 * import { loadModel } from '@flexiffusion/runtime-web';
 * import { webgpuBackend } from '@flexiffusion/runtime-web/webgpu';
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';
 *
 * const model = await loadModel('/models/fashion/', {
 *   backends: [webgpuBackend({ wasmPaths: '/ort/' }), wasmBackend({ wasmPaths: '/ort/' })],
 *   onDownload: (p) => (bar.value = p.fraction ?? 0),
 * });
 * const result = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [7], seeds: [1] });
 * model.draw(canvas, result, { scale: 4 });
 * await model.dispose();
 * ```
 * @public
 */
export async function loadModel(url: string | URL, options: LoadModelOptions): Promise<WebModel> {
  const given = (options as Partial<LoadModelOptions> | undefined)?.backends;
  let backend: ActiveBackend;
  if (Array.isArray(given)) {
    backend = await resolveBackend(given as readonly WebBackend[], options.signal ? { signal: options.signal } : {});
  } else if (given && typeof given === 'object' && typeof (given as ActiveBackend).sessions?.create === 'function') {
    backend = given as ActiveBackend;
  } else {
    throw new RuntimeError(
      'invalid-option',
      'loadModel needs options.backends: e.g. [webgpuBackend(), wasmBackend()] from "@flexiffusion/runtime-web/webgpu" and "/wasm", or a backend started by resolveBackend().',
    );
  }
  const source = fetchSource(url, {
    ...(options.onDownload ? { onDownload: options.onDownload } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestInit ? { requestInit: options.requestInit } : {}),
  });
  const pipeline = await createPipeline({
    source,
    sessions: backend.sessions,
    ...(options.verifyChecksums !== undefined ? { verifyChecksums: options.verifyChecksums } : {}),
    ...(options.eagerPartials ? { eagerPartials: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return new WebModel(source.location!, backend, pipeline);
}
