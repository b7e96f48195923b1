/**
 * The random searcher: proposes uniformly sampled members of the search space that meet the
 * speed-up constraint and were not tried before. The reference implementation of the
 * `Searcher` interface of `@flexiffusion/schedule`, and a baseline for the others.
 *
 * @example
 * ```ts
 * import { createSearchSpace, runSearch } from '@flexiffusion/schedule';
 * import { randomSearcher } from '@flexiffusion/search-random';
 * const result = await runSearch({ space, searcher: randomSearcher(), evaluator, costProfile, trials: 50, minSpeedup: 2 });
 * ```
 * @packageDocumentation
 */
export { randomSearcher } from './random-searcher.js';
export type { RandomSearcherOptions } from './random-searcher.js';
