/**
 * Grid search and baselines for Flexiffusion schedule search, on the ask/tell `Searcher`
 * interface of `@flexiffusion/schedule`:
 *
 * - {@link gridSearcher}: every member of a search space in enumeration order, or an exact
 *   strided subset of a huge one (decoded by mixed-radix arithmetic), with a resumable cursor.
 * - {@link baselineGrid}: the classic baselines (DDIM-k, DeepCache 1:N × branch) as labelled schedules.
 * - {@link listSearcher} and {@link listSpace}: evaluate a fixed list of schedules — e.g. the
 *   baselines, most of which are not members of a segment-wise space — through `runSearch`.
 * - {@link gitsSchedule} / {@link gitsPath}: GITS-style optimal timesteps (Chen et al., ICML 2024)
 *   by dynamic programming over a cost matrix of one-step jump errors along the teacher's
 *   trajectory, and {@link gitsCostMatrix}, which measures that matrix through a model callback;
 *   {@link gitsSeeds}: GITS-k cut into segments, the starting points of a search in an `'open'` space.
 *
 * @example
 * ```ts
 * import { createSearchSpace, runSearch } from '@flexiffusion/schedule';
 * import { baselineGrid, gridSearcher, listSearcher, listSpace } from '@flexiffusion/search-grid';
 *
 * const space = createSearchSpace({ steps: 12, segmentLengths: [4, 6], branches: 2 });
 * const grid = await runSearch({ space, searcher: gridSearcher(), evaluator, costProfile, trials: 1000, minSpeedup: 2 });
 *
 * const baselines = baselineGrid(12, { branches: 2 });
 * const base = await runSearch({
 *   space: listSpace(baselines),
 *   searcher: listSearcher(baselines),
 *   evaluator,
 *   costProfile,
 *   trials: baselines.length,
 * });
 * ```
 * @packageDocumentation
 */
export { gridSearcher } from './grid-searcher.js';
export type { GridSearcherOptions, GridSearcherSnapshot } from './grid-searcher.js';
export { gridScheduleAt, gridIndexOf } from './grid-index.js';
export { baselineGrid } from './baselines.js';
export type { BaselineFamily, BaselineGridOptions, BaselineParams, BaselineSchedule } from './baselines.js';
export { listSearcher, listSpace } from './list.js';
export type { LabelledSchedule, ScheduleLike } from './list.js';
export { gitsPath, gitsSchedule, gitsSeeds } from './gits.js';
export type { GitsCostMatrix, GitsPath, GitsSeedsOptions } from './gits.js';
export { gitsCostMatrix, GITS_METRICS } from './gits-cost-matrix.js';
export type { GitsCostMatrixOptions, GitsEpsFn, GitsMetric } from './gits-cost-matrix.js';
