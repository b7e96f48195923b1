import { ScheduleError, formatSchedule, type Schedule, type SearchContext, type Searcher } from '@flexiffusion/schedule';

/**
 * Options of {@link randomSearcher}.
 *
 * @public
 */
export interface RandomSearcherOptions {
  /**
   * Samples drawn per requested candidate before giving up on finding new feasible ones
   * (default 200). When no candidate is found the searcher returns nothing and the search ends.
   */
  readonly attemptsPerCandidate?: number;
}

/**
 * Create a random searcher. Stateless: everything it needs is in the context (history and RNG),
 * so it resumes by replay and needs no snapshot.
 *
 * @param options - See {@link RandomSearcherOptions}.
 * @returns A {@link Searcher} named `'random'`.
 * @throws ScheduleError `invalid-option` for a bad `attemptsPerCandidate`.
 * @example
 * ```ts
 * const searcher = randomSearcher({ attemptsPerCandidate: 500 });
 * ```
 * @public
 */
export function randomSearcher(options: RandomSearcherOptions = {}): Searcher {
  const attempts = options.attemptsPerCandidate ?? 200;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new ScheduleError('invalid-option', `Invalid attemptsPerCandidate ${String(attempts)}: expected an integer >= 1.`);
  }
  return Object.freeze({
    name: 'random',
    ask(ctx: SearchContext, count: number): readonly Schedule[] {
      const tried = new Set(ctx.history.map((t) => t.schedule));
      const out: Schedule[] = [];
      let budget = attempts * count;
      while (out.length < count && budget-- > 0) {
        const s = ctx.space.sample(ctx.rng);
        const key = formatSchedule(s);
        if (tried.has(key) || ctx.cost(s).speedup < ctx.minSpeedup) continue;
        tried.add(key);
        out.push(s);
      }
      return out;
    },
  });
}
