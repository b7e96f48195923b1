/**
 * `@flexiffusion/runtime` — the platform-free Flexiffusion engine, written against
 * onnxruntime-common's API: model manifests, ONNX graph cutting for cached (DeepCache) steps, a
 * MAC counter that fills the schedule package's cost profile, samplers (DDIM, DPM-Solver++ 2M),
 * classifier-free guidance, seeded batch-independent noise, plan execution with caches, and the
 * pipelines of the model families (class-conditional, unconditional, latent, Stable Diffusion).
 *
 * Platform packages (`@flexiffusion/runtime-node`, `@flexiffusion/runtime-web`) supply a
 * {@link SessionFactory} and a {@link ModelSource}; nothing here imports Node or the DOM.
 *
 * @packageDocumentation
 */
export { RuntimeError, type RuntimeErrorCode, type RuntimeIssue } from './errors.js';
export type { SessionFactory, SessionInfo, ModelSource, ProgressEvent, OperationOptions } from './backend.js';
export type { AbortSignalLike } from './internal/platform.js';
export {
  MANIFEST_FILE,
  MODEL_FAMILIES,
  validateManifest,
  parseManifest,
  loadManifest,
  readModelFile,
  type ModelManifest,
  type ModelFamily,
  type UnetSpec,
  type CacheBranch,
  type SchedulerSpec,
  type ConditioningSpec,
  type ImageSpec,
  type VaeSpec,
  type TextEncoderSpec,
  type TokenizerSpec,
  type FeatureNetworkSpec,
  type ReferenceStatsSpec,
  type TimestepType,
  type ReadOptions,
} from './manifest.js';
export {
  cutUnet,
  extractSubgraph,
  addGraphOutputs,
  inspectGraph,
  type CutOptions,
  type CutGraphs,
  type TensorTypeInfo,
  type GraphSummary,
} from './graph-cut.js';
export { countMacs, COUNTED_OPS, type MacCount, type NodeMacs, type CountMacsOptions } from './macs.js';
export { prepareUnet, CachedUnet, type PrepareUnetOptions } from './cached-unet.js';
export { alphasCumprod, BETA_SCHEDULES, type BetaSchedule, type NoiseScheduleConfig } from './noise-schedule.js';
export {
  SAMPLERS,
  PREDICTION_TYPES,
  getSampler,
  applyGuidance,
  predictionToEpsilon,
  type SamplerName,
  type SamplerDefinition,
  type SamplerConfig,
  type SamplerStepInput,
  type PredictionType,
} from './samplers.js';
export { gaussianNoise, batchNoise, INITIAL_NOISE_STREAM } from './noise.js';
export { runPlan, type RunPlanOptions, type BatchConditioning } from './run-plan.js';
export {
  createPipeline,
  DiffusionPipeline,
  type CreatePipelineOptions,
  type GenerateOptions,
  type GenerateResult,
  type SampleBatch,
  type ProfileOptions,
  type PipelineProfile,
} from './pipeline.js';
export { ClipTokenizer, type ClipTokenizerOptions } from './clip-tokenizer.js';
export { samplesToImages, imagesToSamples, imageGrid, manifestImageOptions, type Image8, type ToImageOptions, type GridOptions } from './image.js';
