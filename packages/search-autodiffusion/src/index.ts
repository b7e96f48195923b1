/**
 * AutoDiffusion's evolutionary timestep search (Li et al., "AutoDiffusion: Training-Free
 * Optimization of Time Steps and Architectures for Automated Diffusion Model Acceleration",
 * ICCV 2023) as a peer baseline for Flexiffusion: candidates are subsets of k of the T teacher
 * steps (full network at those, the others skipped), evolved with AutoDiffusion's published
 * population, selection, mutation and crossover on the ask/tell `Searcher` interface of
 * `@flexiffusion/schedule` — deterministic for the driver's seed, resumable, JSON snapshots —
 * and the space of those subsets, {@link timestepSubsetSpace}, which the segment-wise spaces
 * cannot express.
 *
 * @example
 * ```ts
 * import { runSearch } from '@flexiffusion/schedule';
 * import { autoDiffusionSearcher, subsetSizeForSpeedup, timestepSubsetSpace } from '@flexiffusion/search-autodiffusion';
 *
 * const space = timestepSubsetSpace(50, subsetSizeForSpeedup(50, 5)); // k = 10
 * const result = await runSearch({
 *   space, searcher: autoDiffusionSearcher(), evaluator, costProfile,
 *   trials: 550, minSpeedup: 5, seed: 1,
 * });
 * ```
 * @packageDocumentation
 */
export { autoDiffusionSearcher, AUTODIFFUSION_DEFAULTS } from './autodiffusion-searcher.js';
export type { AutoDiffusionSearcherOptions, AutoDiffusionSnapshot } from './autodiffusion-searcher.js';
export { timestepSubsetSpace, subsetSchedule, keptSteps, subsetSizeForSpeedup } from './timestep-subset-space.js';
export type { TimestepSubsetSpace, TimestepSubsetSpaceDescription } from './timestep-subset-space.js';
