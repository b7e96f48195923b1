import { formatSchedule, parseSchedule, type Schedule, type SearchContext, type Searcher } from '@flexiffusion/schedule';

/**
 * A hill-climber: proposes neighbours (`space.mutate`) of the best schedule found so far; random
 * members before anything is evaluated, or when no new neighbour turns up.
 *
 * It keeps no state: the incumbent comes from the history, randomness from `ctx.rng`. So it is
 * deterministic for the driver's seed and resumes by replay, with no snapshot.
 *
 * @param options - `tries`: draws per candidate before giving up (default 100).
 * @returns A `Searcher` named `'hill-climber'`.
 */
export function hillClimber(options: { readonly tries?: number } = {}): Searcher {
  const tries = options.tries ?? 100;
  return {
    name: 'hill-climber',
    ask(ctx: SearchContext, count: number): readonly Schedule[] {
      const tried = new Set(ctx.history.map((t) => t.schedule));
      const best = incumbent(ctx);
      const out: Schedule[] = [];
      // one candidate at a time, so that asking for fewer gives a prefix of asking for more
      while (out.length < count) {
        let found: Schedule | undefined;
        for (let i = 0; i < 2 * tries && !found; i++) {
          const s = best && i < tries ? ctx.space.mutate(best, ctx.rng) : ctx.space.sample(ctx.rng);
          const key = formatSchedule(s);
          if (!tried.has(key) && ctx.cost(s).speedup >= ctx.minSpeedup) found = s; // new and feasible only
        }
        if (!found) break;
        tried.add(formatSchedule(found));
        out.push(found);
      }
      return out; // [] ends the search
    },
  };
}

/** The best complete trial meeting the constraint, as a schedule (the history holds notation). */
function incumbent(ctx: SearchContext): Schedule | undefined {
  let best: { objective: number; schedule: string } | undefined;
  for (const t of ctx.history) {
    if (t.state !== 'complete' || t.objective === undefined || t.cost.speedup < ctx.minSpeedup) continue;
    if (!best || t.objective < best.objective) best = { objective: t.objective, schedule: t.schedule };
  }
  return best && ctx.space.contains(best.schedule) ? parseSchedule(best.schedule) : undefined;
}
