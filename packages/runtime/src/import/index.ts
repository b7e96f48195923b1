// Importing diffusers / optimum ONNX export folders as they are (scheduler-config.ts, by its own
// export line in src/index.ts, reads their scheduler config).
export {
  deriveManifest,
  DEFAULT_VAE_SCALING_FACTOR,
  DEFAULT_SD_GUIDANCE_SCALE,
  DEFAULT_TEXT_LENGTH,
  type DerivedManifest,
  type DeriveManifestOptions,
} from './derive-manifest.js';
export { readModelFolder, type ModelFolder } from './model-folder.js';
export { mergeManifest } from './merge.js';
export { proposeCutPoints, type CutPointProposal, type CutPointProposals, type ProposeCutPointsOptions } from './cut-points.js';
export { modelPathProblem } from './paths.js';
export { MODEL_INDEX_FILE } from './export-files.js';
