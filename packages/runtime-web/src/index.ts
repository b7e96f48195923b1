/**
 * `@flexiffusion/runtime-web` — Flexiffusion in the browser on onnxruntime-web. A thin adapter
 * over the platform-free engine `@flexiffusion/runtime` (a peer dependency): it chooses an
 * execution backend (WebGPU, falling back to wasm: {@link resolveBackend}), fetches a model
 * folder with byte progress ({@link fetchSource}), opens the sessions ({@link loadModel}), keeps
 * the cache tensors in GPU memory between a full step and the partial steps that read them, and
 * draws samples on a canvas ({@link drawSamples}, {@link samplesToImageData}).
 *
 * The backends live on their own subpaths so that a bundle holds only the onnxruntime-web build
 * it uses, and are passed in rather than registered on import:
 *
 * ```ts
 * import { loadModel } from '@flexiffusion/runtime-web';
 * import { webgpuBackend } from '@flexiffusion/runtime-web/webgpu'; // onnxruntime-web/webgpu
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';     // onnxruntime-web/wasm
 * ```
 *
 * Errors are the engine's `RuntimeError` (`code`, `issues`, `cause`), re-exported here.
 *
 * @packageDocumentation
 */
export { RuntimeError, type RuntimeErrorCode, type RuntimeIssue } from '@flexiffusion/runtime';
export {
  resolveBackend,
  LOG_LEVELS,
  type WebBackend,
  type ActiveBackend,
  type ResolveBackendOptions,
  type CommonBackendOptions,
  type WasmPaths,
  type LogLevel,
} from './backend.js';
export { fetchSource, type FetchSourceOptions, type DownloadProgress, type FetchLike } from './fetch-source.js';
export { loadModel, WebModel, type LoadModelOptions } from './load-model.js';
export {
  imageToRgba,
  samplesToImageData,
  drawSamples,
  type CanvasImageOptions,
  type DrawSamplesOptions,
  type RgbaImage,
  type Canvas2DLike,
} from './canvas.js';
