import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  MemoryTrialStore,
  createRng,
  createSearchSpace,
  formatSchedule,
  runSearch,
  scheduleCost,
  type Evaluator,
  type SearchContext,
} from '@flexiffusion/schedule';
import { arbSearchSpace } from '@flexiffusion/schedule/testing';
import { randomSearcher } from '../src/index.js';

const costProfile = { fullMacs: 100, partialMacs: [20, 45, 70] };
const evaluator: Evaluator = {
  async evaluate(schedules) {
    return schedules.map((s) => ({ ok: true as const, objective: formatSchedule(s).length }));
  },
};

function context(space: ReturnType<typeof createSearchSpace>, seed: number, minSpeedup = 1): SearchContext {
  return { space, history: [], rng: createRng(seed), minSpeedup, cost: (s) => scheduleCost(s, costProfile) };
}

describe('randomSearcher', () => {
  fcTest.prop([arbSearchSpace({ maxSteps: 20, maxBranches: 3 }), fc.integer(), fc.double({ min: 1, max: 4, noNaN: true })])(
    'proposes distinct feasible members of the space',
    (space, seed, minSpeedup) => {
      const out = randomSearcher().ask(context(space, seed, minSpeedup), 8);
      const keys = out.map(formatSchedule);
      expect(new Set(keys).size).toBe(keys.length);
      for (const s of out) {
        expect(space.contains(s)).toBe(true);
        expect(scheduleCost(s, costProfile).speedup).toBeGreaterThanOrEqual(minSpeedup);
      }
    },
  );

  it('exhausts a small space and then proposes nothing', async () => {
    const space = createSearchSpace({ steps: 4, segmentLengths: [2, 4], branches: 1 });
    const r = await runSearch({ space, searcher: randomSearcher(), evaluator, costProfile, trials: 100, seed: 5 });
    expect(r.stopReason).toBe('exhausted');
    expect(BigInt(r.trials.filter((t) => t.state === 'complete').length)).toBe(space.size());
  });

  it('is deterministic and resumes by replay', async () => {
    const space = createSearchSpace({ steps: 20, segmentLengths: [4, 5, 10], branches: 3 });
    const a = await runSearch({ space, searcher: randomSearcher(), evaluator, costProfile, trials: 12, minSpeedup: 2, seed: 11 });
    const store = new MemoryTrialStore();
    await runSearch({ space, searcher: randomSearcher(), evaluator, costProfile, trials: 5, minSpeedup: 2, seed: 11, store });
    const b = await runSearch({ space, searcher: randomSearcher(), evaluator, costProfile, trials: 12, minSpeedup: 2, seed: 11, store });
    expect(b.trials.map((t) => t.schedule)).toEqual(a.trials.map((t) => t.schedule));
    expect(b.replayed).toBe(5);
  });

  it('rejects a bad option', () => {
    expect(() => randomSearcher({ attemptsPerCandidate: 0 })).toThrow(/attemptsPerCandidate 0/);
  });
});
