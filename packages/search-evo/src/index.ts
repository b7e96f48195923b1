/**
 * The evolutionary searcher of Flexiffusion (after AutoDiffusion) for the segment-wise schedule
 * space of `@flexiffusion/schedule`: an initial random population (optionally seeded with the
 * classic DDIM / DeepCache baselines), top-k parent selection, mutation, crossover, and repair of
 * children below the minimum speed-up — on the ask/tell `Searcher` interface, deterministic for
 * the driver's seed and resumable.
 *
 * @example
 * ```ts
 * import { createSearchSpace, runSearch } from '@flexiffusion/schedule';
 * import { evolutionarySearcher } from '@flexiffusion/search-evo';
 *
 * const space = createSearchSpace({ steps: 50, segmentLengths: [5, 10], branches: 3 });
 * const result = await runSearch({
 *   space, searcher: evolutionarySearcher(), evaluator, costProfile,
 *   trials: 200, minSpeedup: 2, seed: 1,
 * });
 * ```
 * @packageDocumentation
 */
export { evolutionarySearcher, EVOLUTION_DEFAULTS, REPAIR_MODES } from './evolutionary-searcher.js';
export type { EvolutionarySearcherOptions, EvolutionarySnapshot, RepairMode } from './evolutionary-searcher.js';
export { baselineSeeds } from './seeds.js';
