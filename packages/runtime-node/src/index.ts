/**
 * `@flexiffusion/runtime-node` — Flexiffusion on Node.js: {@link loadModel} opens a model folder
 * (or the embedded `'fashion'` model) with onnxruntime-node on CPU or CUDA, and returns a model
 * that generates with any schedule, streams batches and profiles its step kinds; PNG helpers write
 * samples and grids; {@link FileTrialStore} keeps a search's trials on disk so it resumes after a
 * crash. The engine itself is `@flexiffusion/runtime` (a peer dependency).
 *
 * @packageDocumentation
 */
export { loadModel, resolveModelDir, fileSource, NodeModel, EMBEDDED_MODELS, type LoadModelOptions, type NodeModelProfile } from './load-model.js';
export {
  createSessionFactory,
  isCudaInstalled,
  EXECUTION_PROVIDERS,
  CUDA_INSTALL_HINT,
  type ExecutionProvider,
  type NodeSessionOptions,
} from './sessions.js';
export { encodePng, writePng, saveSamplesAsPng, saveImageGrid, type SaveImagesOptions } from './png.js';
export { FileTrialStore, TRIAL_STORE_FILES } from './trial-store.js';
