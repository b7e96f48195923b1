import { describe, expect, it } from 'vitest';
import { createSearchSpace, parseSchedule, type Searcher } from '../src/index.js';
import { driveSearcher } from '../src/testing/index.js';

const space = createSearchSpace({ steps: 6, segmentLengths: [3], branches: 1 });
const costProfile = { fullMacs: 100, partialMacs: [40] };
const fixed = (text: string): Searcher => ({ name: 'fixed', ask: () => [parseSchedule(text)] });

describe('driveSearcher', () => {
  it('names each broken invariant', () => {
    expect(() => driveSearcher(fixed('F N N N N N'), { space, costProfile, rounds: 1, batch: 1 })).toThrow(/not a member of the space/);
    expect(() => driveSearcher(fixed('F P0 P0 | F P0 P0'), { space, costProfile, rounds: 1, batch: 1, minSpeedup: 2 })).toThrow(
      /below the minimum 2/,
    );
    expect(() => driveSearcher(fixed('F N N | F N N'), { space, costProfile, rounds: 2, batch: 1 })).toThrow(/already tried/);
    const twice: Searcher = { name: 'twice', ask: () => [parseSchedule('F N N | F N N'), parseSchedule('F N N | F N N')] };
    expect(() => driveSearcher(twice, { space, costProfile, rounds: 1, batch: 2 })).toThrow(/twice in one batch/);
    const greedy: Searcher = { name: 'greedy', ask: () => [...space.enumerate()].slice(0, 3) };
    expect(() => driveSearcher(greedy, { space, costProfile, rounds: 1, batch: 2 })).toThrow(/asked for 2 candidates, got 3/);
  });
  it('drives a well-behaved searcher to exhaustion', () => {
    const all = [...space.enumerate()];
    const enumerating: Searcher = { name: 'enum', ask: (ctx, n) => all.slice(ctx.history.length, ctx.history.length + n) };
    const r = driveSearcher(enumerating, { space, costProfile, rounds: 10, batch: 2 });
    expect(r.done).toBe(true);
    expect(r.proposed).toHaveLength(all.length);
  });
});
