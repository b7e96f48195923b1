import {
  RuntimeError,
  openModel,
  type AbortSignalLike,
  type ActiveBackend,
  type Backend,
  type Model,
  type ProgressEvent,
} from '@flexiffusion/runtime';
import { fetchSource, type DownloadProgress, type FetchLike } from './fetch-source.js';

/**
 * Options of {@link loadModel}.
 *
 * @public
 */
export interface LoadModelOptions {
  /**
   * Where the sessions run: backends to try in order (`resolveBackend` of `@flexiffusion/runtime`), e.g.
   * `[webgpuBackend(), wasmBackend()]` from the `/webgpu` and `/wasm` subpaths; one backend; or an
   * already started backend.
   */
  readonly backend: Backend | ActiveBackend | readonly Backend[];
  /** Called for each backend that failed to start before one did (e.g. why WebGPU fell back to wasm). */
  readonly onFallback?: (failed: { readonly name: string; readonly error: unknown }) => void;
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
 * Load a model folder over HTTP into the browser: start the first working backend (WebGPU, then
 * wasm, as given), fetch the manifest and the ONNX files with byte progress, and open the model with
 * `@flexiffusion/runtime`'s `openModel` (the same `Model` class Node gets: generate, stream,
 * profile). Draw its results with {@link drawSamples} / {@link samplesToImageData} and
 * `model.imageOptions`. Its `location` is the folder's URL.
 *
 * The folder is read by the core's `readModelFolder`, exactly as in Node: a folder with a complete
 * `model.json`, or a diffusers / optimum ONNX export (`model_index.json`, `unet/`, `text_encoder/`,
 * `tokenizer/`, `vae_decoder/`, `scheduler/`) whose manifest is derived from its files, with the
 * folder's `model.json`, if any, merged over it (e.g. `@flexiffusion/model-fashion-sd`'s cut
 * points and guidance). A file that is there but cannot be downloaded (a 503, a connection that
 * drops mid-way) fails the load with `missing-file` naming its URL, never counts as absent; call
 * `loadModel` again to retry.
 *
 * @param url - The model folder (absolute, or relative to the page).
 * @param options - `backend` (required), `onFallback`, `onDownload`, `onProgress`, `verifyChecksums`,
 *   `eagerPartials`, `signal`, `fetch`, `requestInit`.
 * @returns The `Model`; `dispose()` it when done.
 * @throws `RuntimeError`: `invalid-option` without a backend, `unsupported` when no backend starts (listing each one's failure:
 *   `[webgpu] …, [wasm] …`), `missing-file` (HTTP errors, failed or cut-off downloads: the message
 *   names the URL, see {@link fetchSource}), `checksum-mismatch`,
 *   `invalid-manifest`, `io-mismatch`, `shape-mismatch`, `session-failed`, `aborted`.
 * @example
 * ```ts
 * import { loadModel } from '@flexiffusion/runtime-web';
 * import { webgpuBackend } from '@flexiffusion/runtime-web/webgpu';
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';
 *
 * const model = await loadModel('/models/fashion/', {
 *   backend: [webgpuBackend({ wasmPaths: '/ort/' }), wasmBackend({ wasmPaths: '/ort/' })],
 *   onDownload: (p) => (bar.value = p.fraction ?? 0),
 * });
 * const result = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [7], seeds: [1] });
 * drawSamples(canvas, result.samples, result.shape, { ...model.imageOptions, scale: 4 });
 * await model.dispose();
 * ```
 * @public
 */
export async function loadModel(url: string | URL, options: LoadModelOptions): Promise<Model> {
  if ((options as Partial<LoadModelOptions> | undefined)?.backend === undefined) {
    throw new RuntimeError(
      'invalid-option',
      'loadModel needs options.backend: e.g. [webgpuBackend(), wasmBackend()] from "@flexiffusion/runtime-web/webgpu" and "/wasm", ' +
        'or a backend started by resolveBackend().',
    );
  }
  const source = fetchSource(url, {
    ...(options.onDownload ? { onDownload: options.onDownload } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestInit ? { requestInit: options.requestInit } : {}),
  });
  return openModel({
    source,
    backend: options.backend,
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
    ...(options.verifyChecksums !== undefined ? { verifyChecksums: options.verifyChecksums } : {}),
    ...(options.eagerPartials ? { eagerPartials: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
