// The model manifest (model.json): its format as interfaces (manifest/types.ts), the one valibot
// schema that validates it (manifest/schema.ts, proven to match the interfaces; its JSON Schema is
// model.schema.json), validation (manifest/validate.ts) and reading a model folder (manifest/read.ts).
export {
  MANIFEST_FILE,
  MODEL_FAMILIES,
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
} from './manifest/types.js';
export { validateManifest, parseManifest } from './manifest/validate.js';
export { loadManifest, readModelFile, type ReadOptions } from './manifest/read.js';
