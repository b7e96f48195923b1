/**
 * `@flexiffusion/runtime-web` — Flexiffusion in the browser on onnxruntime-web. A thin adapter
 * over the platform-free engine `@flexiffusion/runtime` (a peer dependency): the webgpu and wasm
 * backends (tried in order by the core's `resolveBackend`: WebGPU, falling back to wasm), a fetch
 * source with byte progress ({@link fetchSource}), {@link loadModel} (a URL of a model folder or a
 * diffusers / optimum export → the engine's `Model`), {@link createWorkerModel} (the same, loaded
 * and run in a dedicated Web Worker whose module calls `serveModelWorker` of the `/worker` subpath),
 * the cache tensors kept in GPU memory between a full step and the partial steps that read them,
 * and canvas helpers ({@link drawSamples}, {@link samplesToImageData}).
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
 * The engine's `Model`, `RuntimeError` (`code`, `issues`, `cause`) and `resolveBackend` are re-exported here.
 *
 * @packageDocumentation
 */
export {
  Model,
  RuntimeError,
  resolveBackend,
  type Backend,
  type ActiveBackend,
  type ResolveBackendOptions,
  type RuntimeErrorCode,
  type RuntimeIssue,
} from '@flexiffusion/runtime';
export { LOG_LEVELS, type CommonBackendOptions, type WasmPaths, type LogLevel } from './backend.js';
export { fetchSource, type FetchSourceOptions, type DownloadProgress, type FetchLike } from './fetch-source.js';
export { loadModel, type LoadModelOptions } from './load-model.js';
export {
  createWorkerModel,
  WorkerModel,
  type WorkerModelOptions,
  type WorkerGenerateOptions,
  type WorkerGenerateResult,
  type WorkerSampleBatch,
  type WorkerLike,
  type WorkerBackendOptions,
  type WorkerBackendInfo,
} from './worker-model.js';
export {
  imageToRgba,
  samplesToImageData,
  drawSamples,
  type CanvasImageOptions,
  type DrawSamplesOptions,
  type RgbaImage,
  type Canvas2DLike,
} from './canvas.js';
