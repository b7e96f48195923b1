/**
 * `@flexiffusion/metrics`: the quality side of the Flexiffusion search.
 *
 * - Feature statistics in float64: {@link featureStats}, the streaming and mergeable
 *   {@link createStatsAccumulator}, and a compact binary form ({@link serializeStats},
 *   {@link deserializeStats}).
 * - Distances: {@link frechetDistance} / {@link fid} (FID, rFID) through a symmetric eigenvalue
 *   route that is exact for singular covariances and has a fast low-rank route when N < d;
 *   {@link kernelInceptionDistance} (KID); paired {@link pairedMse} and {@link psnr};
 *   {@link clipScore}.
 * - Feature extractors that run an ONNX network through any onnxruntime session
 *   ({@link OnnxFeatureExtractor}, {@link ClipScorer}) with PyTorch-exact preprocessing
 *   ({@link preprocessImages}) and presets ({@link fashionPreset}, {@link inceptionPreset},
 *   {@link clipPreset}).
 * - The rFID evaluator of the search ({@link createRfidEvaluator}) with a pluggable teacher
 *   statistics cache ({@link StatsCache}, {@link createMemoryStatsCache}).
 *
 * Everything is platform-free: no Node or browser API is used, sessions and caches are passed in.
 *
 * @packageDocumentation
 */
export { MetricsError } from './errors.js';
export type { MetricsErrorCode } from './errors.js';
export { featureStats, createStatsAccumulator } from './stats.js';
export type { FeatureStats } from './feature-stats.js';
export type { StatsOptions, StatsAccumulator } from './stats.js';
export { createOnnxStatsAccumulator } from './onnx-stats.js';
export type { OnnxStatsOptions, OnnxStatsAccumulator } from './onnx-stats.js';
export { serializeStats, deserializeStats } from './serialize.js';
export type { SerializeOptions } from './serialize.js';
export { frechetDistance, frechetDistanceDetails, fid } from './frechet.js';
export type { FrechetRoute, FrechetOptions, FrechetDetails } from './frechet.js';
export { kernelInceptionDistance } from './kid.js';
export type { KidOptions, KidResult } from './kid.js';
export { pairedMse, psnr } from './paired.js';
export type { PairedResult, PairedOptions, PsnrOptions, NumericArray } from './paired.js';
export { preprocessImages } from './preprocess.js';
export type {
  ImageDims,
  PreprocessSpec,
  PreprocessedImages,
  CropSpec,
  RangeSpec,
  ResizeSpec,
  ResizeMode,
  NormalizeSpec,
} from './preprocess.js';
export { OnnxFeatureExtractor } from './onnx-extractor.js';
export type { FeatureExtractor, OnnxExtractorSpec, OnnxExtractorOptions, ExtractedOutput } from './onnx-extractor.js';
export type { OnnxSession, TensorFactory, InputTensorType } from './onnx-session.js';
export { fashionPreset, inceptionPreset, clipPreset } from './presets.js';
export type { PresetOverrides, ClipPreset, ClipPresetOverrides, ClipTextSpec } from './presets.js';
export { clipScore, ClipScorer } from './clip.js';
export type { ClipTokens, ClipTokenizer, ClipScorerOptions } from './clip.js';
export { createMemoryStatsCache, teacherStatsKey } from './stats-cache.js';
export type { StatsCache, MemoryStatsCache, TeacherStatsKeyParts } from './stats-cache.js';
export { createRfidEvaluator } from './rfid-evaluator.js';
export type { RfidEvaluator } from './rfid-evaluator.js';
export type { RfidEvaluatorOptions, RfidKidOptions, RfidProgress } from './rfid-options.js';
export type { GenerateFn, GenerateRequest, GeneratedImages } from './generator.js';
export {
  parsePromptAttributeRules,
  promptTarget,
  measureImageAttributes,
  toUint8Images,
  scorePromptAdherence,
} from './prompt-attributes.js';
export type {
  PromptAttributeRules,
  AttributeClass,
  PromptTarget,
  ImageAttributes,
  AdherenceCount,
  PromptAdherence,
} from './prompt-attributes.js';
