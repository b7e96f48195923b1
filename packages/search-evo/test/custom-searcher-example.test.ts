// Keeps examples/custom-searcher and docs/guides/custom-searcher.md from rotting: the example
// runs through runSearch here, and the guide must quote it verbatim.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { MemoryTrialStore, createSearchSpace, runSearch, type CostProfile, type Evaluator, type Trial } from '@flexiffusion/schedule';
import { arbCostProfile, arbSearchSpace } from '@flexiffusion/schedule/testing';
import { hillClimber } from '../../../examples/custom-searcher/hill-climber.js';
import { drive, syntheticObjective } from './helpers.js';

const evaluatorFor = (costProfile: CostProfile): Evaluator => ({
  async evaluate(schedules) {
    return schedules.map((s) => ({ ok: true as const, objective: syntheticObjective(s, costProfile) }));
  },
});
const strip = (ts: readonly Trial[]) => ts.map(({ durationMs: _d, ...rest }) => rest);
const arbProblem = arbSearchSpace({ maxSteps: 20 }).chain((space) =>
  arbCostProfile(space.branches).map((costProfile) => ({ space, costProfile })),
);

describe('examples/custom-searcher: hillClimber', () => {
  fcTest.prop([arbProblem, fc.integer(), fc.double({ min: 1, max: 3, noNaN: true }), fc.integer({ min: 1, max: 8 })])(
    'proposes new feasible members of the space',
    ({ space, costProfile }, seed, minSpeedup, batch) => {
      drive(hillClimber({ tries: 20 }), { space, costProfile, seed, minSpeedup, rounds: 6, batch });
    },
  );

  fcTest.prop(
    [arbProblem, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 5, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer()],
    { numRuns: 30 },
  )('resumes through runSearch with a MemoryTrialStore', async ({ space, costProfile }, n1, n2, batchSize, seed) => {
    const opts = { space, costProfile, evaluator: evaluatorFor(costProfile), batchSize, seed, minSpeedup: 1.5, maxIdleRounds: 3 };
    const straight = await runSearch({ ...opts, searcher: hillClimber({ tries: 20 }), trials: n2 });
    const store = new MemoryTrialStore();
    await runSearch({ ...opts, searcher: hillClimber({ tries: 20 }), trials: Math.min(n1, n2), store });
    const resumed = await runSearch({ ...opts, searcher: hillClimber({ tries: 20 }), trials: n2, store });
    expect(strip(resumed.trials)).toEqual(strip(straight.trials));
  });

  it('climbs: the best of 64 trials beats the first ones', async () => {
    const space = createSearchSpace({ steps: 20, segmentLengths: [4, 5], branches: 2 });
    const costProfile = { fullMacs: 100, partialMacs: [25, 50] };
    const r = await runSearch({
      space,
      searcher: hillClimber(),
      evaluator: evaluatorFor(costProfile),
      costProfile,
      trials: 64,
      minSpeedup: 2,
      seed: 1,
    });
    expect(r.trials.filter((t) => t.state === 'complete')).toHaveLength(64);
    expect(r.best!.objective!).toBeLessThan(Math.min(...r.trials.slice(0, 8).map((t) => t.objective!)));
  });

  it('is quoted verbatim by docs/guides/custom-searcher.md', () => {
    const read = (rel: string) => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8');
    const source = read('../../../examples/custom-searcher/hill-climber.ts');
    const guide = read('../../../docs/guides/custom-searcher.md');
    expect(guide).toContain(source.trim());
  });
});
