/**
 * `@flexiffusion/runtime-node` — Flexiffusion on Node.js, a thin adapter over the platform-free
 * engine `@flexiffusion/runtime` (a peer dependency): the onnxruntime-node backends
 * ({@link cpuBackend}, {@link cudaBackend}, `device: 'auto'`), a file source, {@link loadModel}
 * (a model folder or the embedded `'fashion'` model → the engine's `Model`, which generates with
 * any schedule, streams batches and profiles its step kinds), PNG helpers for samples and grids,
 * and {@link FileTrialStore}, which keeps a search's trials on disk so it resumes after a crash.
 *
 * @packageDocumentation
 */
export { loadModel, resolveModelDir, fileSource, EMBEDDED_MODELS, type LoadModelOptions } from './load-model.js';
export {
  cpuBackend,
  cudaBackend,
  nodeBackends,
  createSessionFactory,
  isCudaInstalled,
  EXECUTION_PROVIDERS,
  NODE_DEVICES,
  CUDA_INSTALL_HINT,
  type ExecutionProvider,
  type NodeDevice,
  type NodeSessionOptions,
} from './backends.js';
export { Model, RuntimeError, type GenerateOptions, type GenerateResult, type ModelProfile } from '@flexiffusion/runtime';
export { encodePng, writePng, saveSamplesAsPng, saveImageGrid, type SaveImagesOptions } from './png.js';
export { FileTrialStore, TRIAL_STORE_FILES } from './trial-store.js';
