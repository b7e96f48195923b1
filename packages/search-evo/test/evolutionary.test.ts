import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  MemoryTrialStore,
  ScheduleError,
  createRng,
  createSearchSpace,
  formatSchedule,
  parseSchedule,
  runSearch,
  scheduleCost,
  type CostProfile,
  type Evaluator,
  type SearchSpace,
  type Trial,
} from '@flexiffusion/schedule';
import { arbCostProfile, arbSearchSpace } from '@flexiffusion/schedule/testing';
import {
  EVOLUTION_DEFAULTS,
  baselineSeeds,
  evolutionarySearcher,
  type EvolutionarySearcherOptions,
  type EvolutionarySnapshot,
} from '../src/index.js';
import { drive, syntheticObjective } from './helpers.js';

/** A space of the testing arbitraries with a matching cost profile. */
const arbProblem = arbSearchSpace({ maxSteps: 20 }).chain((space) =>
  arbCostProfile(space.branches).map((costProfile) => ({ space, costProfile })),
);

/** Small option sets, so that several generations pass in a few rounds. */
const arbOptions: fc.Arbitrary<EvolutionarySearcherOptions> = fc
  .record({
    populationSize: fc.integer({ min: 1, max: 10 }),
    topK: fc.integer({ min: 1, max: 5 }),
    mutants: fc.integer({ min: 0, max: 6 }),
    crossovers: fc.integer({ min: 0, max: 6 }),
    mutationProbability: fc.constantFrom(0, 0.1, 0.25, 1),
    seedBaselines: fc.boolean(),
    repair: fc.constantFrom('cheapen' as const, 'reject' as const),
    maxAttempts: fc.integer({ min: 1, max: 20 }),
  })
  .filter((o) => o.mutants + o.crossovers >= 1);

const arbMinSpeedup = fc.oneof(fc.constant(1), fc.double({ min: 1, max: 4, noNaN: true }));

const evaluatorFor = (costProfile: CostProfile): Evaluator => ({
  async evaluate(schedules) {
    return schedules.map((s) => ({ ok: true as const, objective: syntheticObjective(s, costProfile) }));
  },
});

const strip = (ts: readonly Trial[]) => ts.map(({ durationMs: _d, ...rest }) => rest);

describe('evolutionarySearcher: invariants', () => {
  fcTest.prop([arbProblem, arbOptions, fc.integer(), arbMinSpeedup, fc.integer({ min: 1, max: 12 })], { numRuns: 150 })(
    'every proposal is a member of the space, meets the constraint, and repeats neither the history nor its batch',
    ({ space, costProfile }, options, seed, minSpeedup, batch) => {
      // drive() asserts the invariants on every ask
      const r = drive(evolutionarySearcher(options), { space, costProfile, seed, minSpeedup, rounds: 12, batch });
      expect(new Set(r.proposed).size).toBe(r.proposed.length);
    },
  );

  fcTest.prop([arbProblem, arbOptions, fc.integer(), arbMinSpeedup, fc.integer({ min: 1, max: 12 })])(
    'is deterministic for a seed',
    ({ space, costProfile }, options, seed, minSpeedup, batch) => {
      const a = drive(evolutionarySearcher(options), { space, costProfile, seed, minSpeedup, rounds: 8, batch });
      const b = drive(evolutionarySearcher(options), { space, costProfile, seed, minSpeedup, rounds: 8, batch });
      expect(b.proposed).toEqual(a.proposed);
    },
  );

  fcTest.prop([
    arbProblem,
    arbOptions,
    fc.integer(),
    arbMinSpeedup,
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 1, max: 6 }),
  ])(
    'snapshot → restore (through JSON) continues identically, also in the middle of a generation',
    ({ space, costProfile }, options, seed, minSpeedup, batch, r1, r2) => {
      const a = evolutionarySearcher(options);
      const first = drive(a, { space, costProfile, seed, minSpeedup, rounds: r1, batch });
      const snap = JSON.parse(JSON.stringify(a.snapshot!())) as EvolutionarySnapshot;
      const b = evolutionarySearcher(options);
      b.restore!(snap);
      expect(b.snapshot!()).toEqual(snap);
      const state = first.rng.state();
      const contA = drive(a, { space, costProfile, rng: createRng(state), minSpeedup, rounds: r2, batch, history: first.history });
      const contB = drive(b, { space, costProfile, rng: createRng(state), minSpeedup, rounds: r2, batch, history: first.history });
      expect(contB.proposed).toEqual(contA.proposed);
    },
  );

  fcTest.prop([arbProblem, arbOptions, fc.integer(), arbMinSpeedup, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 })])(
    'at a generation boundary a fresh searcher rebuilt from the history alone continues identically',
    ({ space, costProfile }, options, seed, minSpeedup, batch, rounds) => {
      const a = evolutionarySearcher(options);
      const rng = createRng(seed);
      let history: Trial[] = [];
      // run until the current generation is used up (the queue is empty)
      for (let i = 0; i < rounds || (a.snapshot!() as EvolutionarySnapshot).queue.length > 0; i++) {
        const r = drive(a, { space, costProfile, rng, minSpeedup, rounds: 1, batch, history });
        history = r.history;
        if (r.done) break;
      }
      const state = rng.state();
      const contA = drive(a, { space, costProfile, rng: createRng(state), minSpeedup, rounds: 4, batch, history });
      const contFresh = drive(evolutionarySearcher(options), {
        space,
        costProfile,
        rng: createRng(state),
        minSpeedup,
        rounds: 4,
        batch,
        history,
      });
      expect(contFresh.proposed).toEqual(contA.proposed);
    },
  );

  fcTest.prop(
    [
      arbProblem,
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 5, max: 60 }),
      fc.integer({ min: 1, max: 10 }),
      arbMinSpeedup,
      fc.integer(),
    ],
    { numRuns: 40 },
  )(
    'resuming through runSearch with a MemoryTrialStore after a partial run gives the same trials as one run',
    async ({ space, costProfile }, n1, n2, batchSize, minSpeedup, seed) => {
      const opts = { space, costProfile, evaluator: evaluatorFor(costProfile), minSpeedup, batchSize, seed, maxIdleRounds: 3 };
      const straight = await runSearch({
        ...opts,
        searcher: evolutionarySearcher({ populationSize: 6, topK: 3, mutants: 4, crossovers: 3 }),
        trials: n2,
      });
      const store = new MemoryTrialStore();
      await runSearch({
        ...opts,
        searcher: evolutionarySearcher({ populationSize: 6, topK: 3, mutants: 4, crossovers: 3 }),
        trials: Math.min(n1, n2),
        store,
      });
      const resumed = await runSearch({
        ...opts,
        searcher: evolutionarySearcher({ populationSize: 6, topK: 3, mutants: 4, crossovers: 3 }),
        trials: n2,
        store,
      });
      expect(strip(resumed.trials)).toEqual(strip(straight.trials));
      expect(resumed.stopReason).toBe(straight.stopReason);
    },
  );
});

describe('evolutionarySearcher: behaviour', () => {
  const space = createSearchSpace({ steps: 20, segmentLengths: [4, 5, 10], branches: 3 });
  const costProfile = { fullMacs: 100, partialMacs: [15, 32, 60] };

  it('starts with populationSize random members, then makes generations of mutants + crossovers', () => {
    const searcher = evolutionarySearcher({ populationSize: 10, topK: 3, mutants: 4, crossovers: 2 });
    const r = drive(searcher, { space, costProfile, seed: 3, rounds: 1, batch: 100, minSpeedup: 2 });
    expect(r.proposed).toHaveLength(10);
    const next = drive(searcher, { space, costProfile, rng: r.rng, rounds: 1, batch: 100, minSpeedup: 2, history: r.history });
    expect(next.proposed).toHaveLength(6);
    expect((searcher.snapshot!() as EvolutionarySnapshot).generation).toBe(2);
  });

  it('hands a generation out over several asks before making the next', () => {
    const searcher = evolutionarySearcher({ populationSize: 10, topK: 3, mutants: 4, crossovers: 2 });
    const r = drive(searcher, { space, costProfile, seed: 3, rounds: 3, batch: 4 });
    // 10 = 4 + 4 + 2: the third ask returns the rest of the initial population only
    expect(r.proposed).toHaveLength(10);
    expect((searcher.snapshot!() as EvolutionarySnapshot).generation).toBe(1);
  });

  it('mutants of the single best parent differ from it in one segment or in segment length', () => {
    const searcher = evolutionarySearcher({ populationSize: 12, topK: 1, mutants: 8, crossovers: 0, mutationProbability: 0 });
    const r = drive(searcher, { space, costProfile, seed: 5, rounds: 1, batch: 100 });
    const best = [...r.history].sort((a, b) => a.objective! - b.objective! || a.number - b.number)[0]!;
    const next = drive(searcher, { space, costProfile, rng: r.rng, rounds: 1, batch: 100, history: r.history });
    expect(next.proposed).toHaveLength(8);
    const p = space.encode(parseSchedule(best.schedule));
    for (const key of next.proposed) {
      const c = space.encode(parseSchedule(key));
      if (c.length === p.length) expect(c.genes.filter((g, i) => g !== p.genes[i])).toHaveLength(1);
    }
  });

  it('seedBaselines puts the feasible baselines of the space into the initial population, up to half of it', () => {
    const seeds = baselineSeeds(space).map(formatSchedule);
    const feasible = seeds.filter((k) => scheduleCost(k, costProfile).speedup >= 2);
    expect(feasible.length).toBeGreaterThan(2);
    const r = drive(evolutionarySearcher({ populationSize: 6, seedBaselines: true }), {
      space,
      costProfile,
      seed: 1,
      rounds: 1,
      batch: 100,
      minSpeedup: 2,
    });
    expect(r.proposed).toHaveLength(6);
    expect(r.proposed.filter((k) => feasible.includes(k))).toHaveLength(Math.min(3, feasible.length));
    const all = drive(evolutionarySearcher({ populationSize: 40, seedBaselines: true }), {
      space,
      costProfile,
      seed: 1,
      rounds: 1,
      batch: 100,
      minSpeedup: 2,
    });
    for (const k of feasible) expect(all.proposed).toContain(k);
  });

  it('seeds go first into the initial population, in order, leaving out infeasible ones and repeats', () => {
    const open = createSearchSpace({ steps: 20, segmentLengths: [5], branches: 2, form: 'open' });
    const seeds = [
      'F N N F N | N N N N F | N N N N N | N N F N N', // 5× in full steps
      'F F F F F | F F F F F | F F F F F | F F F F F', // 1×: below the constraint
      'F N N F N | N N N N F | N N N N N | N N F N N', // a repeat
      'F P0 N N N | F N N N N | N N N N F | N N N N N',
    ];
    const r = drive(evolutionarySearcher({ populationSize: 6, seeds }), {
      space: open,
      costProfile,
      seed: 3,
      rounds: 1,
      batch: 100,
      minSpeedup: 2,
    });
    expect(r.proposed).toHaveLength(6);
    expect(r.proposed.slice(0, 2)).toEqual([seeds[0], seeds[3]]);
    expect(r.proposed.slice(2)).not.toContain(seeds[1]);
    // a seed outside the space is named when the search asks
    expect(() =>
      drive(evolutionarySearcher({ seeds: ['F N N F N | N N N N F | N N N N N | N N F N N'] }), {
        space,
        costProfile,
        seed: 3,
        rounds: 1,
        batch: 8,
        minSpeedup: 2,
      }),
    ).toThrow(/Seed F N N F N \| N N N N F .* is not a member of the search space/);
  });

  it('repairs children below the constraint by making them cheaper', () => {
    // minSpeedup 3.2: most random members and children miss it; every proposal must meet it
    const runs = (['cheapen', 'reject'] as const).map((repair) =>
      drive(evolutionarySearcher({ repair }), { space, costProfile, seed: 2, rounds: 10, batch: 8, minSpeedup: 3.2 }),
    );
    for (const r of runs) expect(r.proposed.length).toBeGreaterThan(40);
    // the initial population is the same; the children differ because repaired ones are kept
    expect(runs[0]!.proposed.slice(0, EVOLUTION_DEFAULTS.populationSize)).toEqual(
      runs[1]!.proposed.slice(0, EVOLUTION_DEFAULTS.populationSize),
    );
    expect(runs[0]!.proposed).not.toEqual(runs[1]!.proposed);
  });

  it('visits every feasible member of a small space once, then ends the search', async () => {
    const small = createSearchSpace({ steps: 6, segmentLengths: [2, 3], branches: 1 });
    const profile = { fullMacs: 10, partialMacs: [4] };
    const feasible = [...small.enumerate()].map(formatSchedule).filter((k) => scheduleCost(k, profile).speedup >= 1.5);
    const r = await runSearch({
      space: small,
      searcher: evolutionarySearcher({ populationSize: 4, topK: 2, mutants: 2, crossovers: 2 }),
      evaluator: evaluatorFor(profile),
      costProfile: profile,
      trials: 1000,
      minSpeedup: 1.5,
    });
    expect(r.stopReason).toBe('exhausted');
    expect(r.trials.every((t) => t.state === 'complete')).toBe(true);
    expect([...r.trials.map((t) => t.schedule)].sort()).toEqual([...feasible].sort());
  });

  it('fills its population under a constraint that random members almost never meet', () => {
    // T = 50: 8× needs segments of 10 that are nearly all null; plain sampling finds none in 50 draws
    const big = createSearchSpace({ steps: 50, segmentLengths: [5, 10], branches: 3 });
    const profile = { fullMacs: 1000, partialMacs: [150, 320, 600] };
    const r = drive(evolutionarySearcher(), { space: big, costProfile: profile, seed: 1, rounds: 4, batch: 8, minSpeedup: 8 });
    expect(r.proposed).toHaveLength(32);
    expect(
      drive(evolutionarySearcher({ repair: 'reject' }), { space: big, costProfile: profile, seed: 1, rounds: 4, batch: 8, minSpeedup: 8 })
        .done,
    ).toBe(true);
  });

  it('proposes nothing when no member meets the constraint', () => {
    const r = drive(evolutionarySearcher(), { space, costProfile, seed: 1, rounds: 3, batch: 8, minSpeedup: 100 });
    expect(r.done).toBe(true);
    expect(r.proposed).toHaveLength(0);
  });

  it('finds better schedules than its initial population on a synthetic objective', async () => {
    const big = createSearchSpace({ steps: 50, segmentLengths: [5, 10], branches: 3 });
    const r = await runSearch({
      space: big,
      searcher: evolutionarySearcher(),
      evaluator: evaluatorFor(costProfile),
      costProfile,
      trials: 96,
      minSpeedup: 2,
      seed: 4,
    });
    const initialBest = Math.min(...r.trials.slice(0, EVOLUTION_DEFAULTS.populationSize).map((t) => t.objective!));
    expect(r.best!.objective!).toBeLessThan(initialBest);
  });
});

describe('evolutionarySearcher: options and state', () => {
  it('documents its defaults', () => {
    expect(EVOLUTION_DEFAULTS).toMatchObject({ populationSize: expect.any(Number), topK: expect.any(Number), repair: 'cheapen' });
    expect(Object.isFrozen(EVOLUTION_DEFAULTS)).toBe(true);
  });

  it('rejects bad options, naming the value and the valid range', () => {
    const cases: [EvolutionarySearcherOptions, RegExp][] = [
      [{ populationSize: 0 }, /Invalid populationSize 0: expected an integer >= 1/],
      [{ topK: 1.5 }, /Invalid topK 1\.5: expected an integer >= 1/],
      [{ mutants: -1 }, /Invalid mutants -1: expected an integer >= 0/],
      [{ mutants: 0, crossovers: 0 }, /Invalid mutants 0 and crossovers 0: expected integers >= 0 with mutants \+ crossovers >= 1/],
      [{ mutationProbability: 1.5 }, /Invalid mutationProbability 1\.5: expected a number in \[0, 1\]/],
      [{ mutationProbability: Number.NaN }, /Invalid mutationProbability NaN/],
      [{ repair: 'fix' as never }, /Unknown repair "fix": expected one of "cheapen", "reject"/],
      [{ maxAttempts: 0 }, /Invalid maxAttempts 0: expected an integer >= 1/],
      [{ seedBaselines: 'yes' as never }, /Invalid seedBaselines yes: expected true or false/],
      [{ seeds: 'F N' as never }, /Invalid seeds F N: expected an array/],
      [{ seeds: ['F N', 'N F'] }, /Invalid seeds\[1\] "N F": expected a valid schedule/],
    ];
    for (const [o, re] of cases) {
      expect(() => evolutionarySearcher(o)).toThrow(re);
      try {
        evolutionarySearcher(o);
      } catch (e) {
        expect(e).toBeInstanceOf(ScheduleError);
        expect((e as ScheduleError).code).toBe('invalid-option');
      }
    }
  });

  it('refuses a state that is not its snapshot', () => {
    const s = evolutionarySearcher();
    expect(() => s.restore!(null)).toThrow(/Invalid evolutionary searcher state null/);
    expect(() => s.restore!({ version: 2, generation: 0, queue: [] })).toThrow(ScheduleError);
    expect(() => s.restore!({ version: 1, generation: 0, queue: ['F X'] })).toThrow(/Invalid evolutionary searcher state/);
    expect(() => s.restore!({ version: 1, generation: -1, queue: [] })).toThrow(/Invalid evolutionary searcher state/);
    s.restore!({ version: 1, generation: 3, queue: ['F N | F N'] });
    expect(s.snapshot!()).toEqual({ version: 1, generation: 3, queue: ['F N | F N'] });
  });
});

describe('baselineSeeds', () => {
  fcTest.prop([arbSearchSpace({ maxSteps: 24 })])(
    'are distinct members of the space, with the DDIM and DeepCache segments of each length',
    (space: SearchSpace) => {
      const seeds = baselineSeeds(space).map(formatSchedule);
      expect(new Set(seeds).size).toBe(seeds.length);
      for (const k of seeds) expect(space.contains(k)).toBe(true);
      for (const L of space.segmentLengths) {
        const n = space.steps / L;
        expect(seeds).toContain(Array.from({ length: n }, () => ['F', ...Array.from({ length: L - 1 }, () => 'N')].join(' ')).join(' | '));
        if (L > 1)
          for (let b = 0; b < space.branches; b++)
            expect(seeds).toContain(
              Array.from({ length: n }, () => ['F', ...Array.from({ length: L - 1 }, () => `P${b}`)].join(' ')).join(' | '),
            );
      }
    },
  );
});
