/**
 * `@flexiffusion/runtime` — the platform-free Flexiffusion engine, written against
 * onnxruntime-common's API: the backend contract and its resolver, one {@link Model} class for
 * every platform, model manifests, ONNX graph cutting for cached (DeepCache) steps, a MAC counter
 * that fills the schedule package's cost profile, samplers as data (DDIM, DPM-Solver++ 2M, or your
 * own), classifier-free guidance, seeded batch-independent noise, plan execution with caches, and
 * a pipeline per model family composed of stages (conditioning: class labels / prompts; decoding:
 * identity / VAE).
 *
 * Platform packages supply {@link Backend}s and a {@link ModelSource}: `@flexiffusion/runtime-node`
 * (cpu, cuda, files) and `@flexiffusion/runtime-web` (webgpu, wasm, fetch); nothing here imports
 * Node or the DOM, and nothing registers itself on import.
 *
 * @packageDocumentation
 */
export { RuntimeError, type RuntimeErrorCode, type RuntimeIssue, type RuntimeWarning } from './errors.js';
export type { Backend, ActiveBackend, SessionFactory, SessionInfo, ModelSource, ProgressEvent, OperationOptions } from './backend.js';
export { resolveBackend, checkBackend, type ResolveBackendOptions } from './resolve-backend.js';
export { Model, type ModelFile } from './model/model.js';
export { openModel, type OpenModelOptions } from './model/open-model.js';
export type { GenerateOptions, GenerateResult, SampleBatch } from './model/generate-options.js';
export type { ProfileOptions, ModelProfile } from './model/profile.js';
export type { FamilyPipeline, ConditioningStage, ConditioningRequest, DecodingStage, SampleConditions } from './pipeline/stages.js';
export type { PromptEmbeddings } from './pipeline/prompts.js';
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
  type EvaluationSpec,
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
  SAMPLER_NAMES,
  PREDICTION_TYPES,
  getSampler,
  applyGuidance,
  predictionToEpsilon,
  predictionToX0,
  FINAL_SIGMAS_TYPES,
  type FinalSigmasType,
  type SamplerSettings,
  type SamplerName,
  type SamplerDefinition,
  type SamplerConfig,
  type SamplerStepInput,
  type PredictionType,
} from './samplers.js';
export { recordTrajectory, type TrajectoryRecorder, type RecordedBatch } from './trajectory-recorder.js';
export { parseSchedulerConfig, SCHEDULER_CLASSES, type ImportedScheduler } from './import/scheduler-config.js';
export { samplerSettings, planSettings } from './scheduler-settings.js';
export * from './import/index.js';
export { gaussianNoise, batchNoise, INITIAL_NOISE_STREAM } from './noise.js';
export { runPlan, type RunPlanOptions, type BatchConditioning } from './run-plan.js';
export { ClipTokenizer, type ClipTokenizerOptions } from './clip-tokenizer.js';
export {
  samplesToImages,
  imagesToSamples,
  imageGrid,
  manifestImageOptions,
  type Image8,
  type ToImageOptions,
  type GridOptions,
} from './image.js';
