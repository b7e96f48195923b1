import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  MemoryTrialStore,
  ScheduleError,
  createRng,
  createSearchSpace,
  formatSchedule,
  runSearch,
  uniformSchedule,
  type CostProfile,
  type Evaluator,
  type Schedule,
  type Trial,
} from '@flexiffusion/schedule';
import { driveSearcher as drive } from '@flexiffusion/schedule/testing';
import {
  AUTODIFFUSION_DEFAULTS,
  autoDiffusionSearcher,
  keptSteps,
  subsetSchedule,
  timestepSubsetSpace,
  type AutoDiffusionSearcherOptions,
  type AutoDiffusionSnapshot,
} from '../src/index.js';
import { crossGenes, mutateGenes } from '../src/internal/variation.js';

const costProfile: CostProfile = { fullMacs: 100, partialMacs: [] };

/**
 * A structured objective on timestep subsets, shaped like a sampling error: each jump between kept
 * steps costs (gap)² weighted by where it starts (early jumps matter more), so the best subsets
 * are neither uniform nor random. Not a model of image quality.
 */
const jumpObjective = (s: Schedule | string): number => {
  const kept = keptSteps(s);
  const T = typeof s === 'string' ? s.replace(/\|/g, ' ').trim().split(/\s+/).length : s.segments.flat().length;
  let v = 0;
  for (let i = 0; i < kept.length; i++) {
    const gap = (kept[i + 1] ?? T) - kept[i]!;
    v += gap * gap * (1 + 3 * Math.exp(-kept[i]! / 4));
  }
  return v;
};

const evaluator: Evaluator = {
  async evaluate(schedules) {
    return schedules.map((s) => ({ ok: true as const, objective: jumpObjective(s) }));
  },
};

/** T in 2..12 and k in 1..T. */
const arbTk = fc.integer({ min: 2, max: 12 }).chain((T) => fc.record({ T: fc.constant(T), k: fc.integer({ min: 1, max: T }) }));

/** Small option sets, so that several generations pass in a few rounds. */
const arbOptions: fc.Arbitrary<AutoDiffusionSearcherOptions> = fc.record({
  populationSize: fc.integer({ min: 1, max: 10 }),
  topK: fc.integer({ min: 1, max: 5 }),
  mutants: fc.integer({ min: 0, max: 6 }),
  crossovers: fc.integer({ min: 0, max: 6 }),
  mutationProbability: fc.constantFrom(0, 0.1, 0.25, 1),
  seedUniform: fc.boolean(),
  seedMutationProbability: fc.constantFrom(0, 0.1, 1),
  attemptsPerChild: fc.integer({ min: 1, max: 10 }),
});

const strip = (ts: readonly Trial[]) => ts.map(({ durationMs: _d, ...rest }) => rest);
const objective = (s: Schedule) => jumpObjective(s);

describe('autoDiffusionSearcher: invariants', () => {
  fcTest.prop([arbTk, arbOptions, fc.integer(), fc.integer({ min: 1, max: 12 })], { numRuns: 120 })(
    'every proposal is a member of the space with k full steps, and repeats neither the history nor its batch',
    ({ T, k }, options, seed, batch) => {
      const space = timestepSubsetSpace(T, k);
      // drive() asserts membership, the constraint and no repeats on every ask
      const r = drive(autoDiffusionSearcher(options), { space, costProfile, seed, minSpeedup: T / k, rounds: 12, batch, objective });
      expect(new Set(r.proposed).size).toBe(r.proposed.length);
      for (const key of r.proposed) expect(keptSteps(key)).toHaveLength(k);
    },
  );

  fcTest.prop([arbTk, arbOptions, fc.integer(), fc.integer({ min: 1, max: 12 })])(
    'is deterministic for a seed',
    ({ T, k }, options, seed, batch) => {
      const space = timestepSubsetSpace(T, k);
      const a = drive(autoDiffusionSearcher(options), { space, costProfile, seed, rounds: 8, batch, objective });
      const b = drive(autoDiffusionSearcher(options), { space, costProfile, seed, rounds: 8, batch, objective });
      expect(b.proposed).toEqual(a.proposed);
    },
  );

  fcTest.prop([
    arbTk,
    arbOptions,
    fc.integer(),
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 1, max: 6 }),
  ])(
    'snapshot → restore (through JSON) continues identically, also in the middle of a generation',
    ({ T, k }, options, seed, batch, r1, r2) => {
      const space = timestepSubsetSpace(T, k);
      const a = autoDiffusionSearcher(options);
      const first = drive(a, { space, costProfile, seed, rounds: r1, batch, objective });
      const snap = JSON.parse(JSON.stringify(a.snapshot!())) as AutoDiffusionSnapshot;
      const b = autoDiffusionSearcher(options);
      b.restore!(snap);
      expect(b.snapshot!()).toEqual(snap);
      const state = first.rng.state();
      const contA = drive(a, { space, costProfile, rng: createRng(state), rounds: r2, batch, history: first.history, objective });
      const contB = drive(b, { space, costProfile, rng: createRng(state), rounds: r2, batch, history: first.history, objective });
      expect(contB.proposed).toEqual(contA.proposed);
    },
  );

  fcTest.prop([arbTk, arbOptions, fc.integer(), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 })])(
    'at a generation boundary a fresh searcher rebuilt from the history alone continues identically',
    ({ T, k }, options, seed, batch, rounds) => {
      const space = timestepSubsetSpace(T, k);
      const a = autoDiffusionSearcher(options);
      const rng = createRng(seed);
      let history: Trial[] = [];
      for (let i = 0; i < rounds || (a.snapshot!() as AutoDiffusionSnapshot).queue.length > 0; i++) {
        const r = drive(a, { space, costProfile, rng, rounds: 1, batch, history, objective });
        history = r.history;
        if (r.done) break;
      }
      const state = rng.state();
      const contA = drive(a, { space, costProfile, rng: createRng(state), rounds: 4, batch, history, objective });
      const contFresh = drive(autoDiffusionSearcher(options), {
        space,
        costProfile,
        rng: createRng(state),
        rounds: 4,
        batch,
        history,
        objective,
      });
      expect(contFresh.proposed).toEqual(contA.proposed);
    },
  );

  fcTest.prop([arbTk, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 5, max: 60 }), fc.integer({ min: 1, max: 10 }), fc.integer()], {
    numRuns: 40,
  })(
    'resuming through runSearch with a MemoryTrialStore after a partial run gives the same trials as one run',
    async ({ T, k }, n1, n2, batchSize, seed) => {
      const space = timestepSubsetSpace(T, k);
      const opts = { space, costProfile, evaluator, batchSize, seed, minSpeedup: T / k, maxIdleRounds: 3 };
      const settings = { populationSize: 6, topK: 3, mutants: 3, crossovers: 2 };
      const straight = await runSearch({ ...opts, searcher: autoDiffusionSearcher(settings), trials: n2 });
      const store = new MemoryTrialStore();
      await runSearch({ ...opts, searcher: autoDiffusionSearcher(settings), trials: Math.min(n1, n2), store });
      const resumed = await runSearch({ ...opts, searcher: autoDiffusionSearcher(settings), trials: n2, store });
      expect(strip(resumed.trials)).toEqual(strip(straight.trials));
      expect(resumed.stopReason).toBe(straight.stopReason);
    },
  );
});

describe('autoDiffusionSearcher: AutoDiffusion’s generations', () => {
  const space = timestepSubsetSpace(50, 10);

  it('starts with DDIM-k, ⌊P/2⌋ random subsets and P − 1 − ⌊P/2⌋ mutants of DDIM-k, then makes generations of P', () => {
    const searcher = autoDiffusionSearcher();
    const r = drive(searcher, { space, costProfile, seed: 3, rounds: 1, batch: 1000, minSpeedup: 5, objective });
    expect(r.proposed).toHaveLength(50);
    const uniform = keptSteps(uniformSchedule(50, 10));
    expect(r.proposed[0]).toBe(formatSchedule(subsetSchedule(50, uniform)));
    // mutants of DDIM-10 at p = 0.1 keep most of its steps; random subsets share about 1 + 9·9/49 of them
    const shared = (key: string) => keptSteps(key).filter((x) => uniform.includes(x)).length;
    const mutants = r.proposed.slice(26).map(shared);
    expect(mutants).toHaveLength(24);
    for (const n of mutants) expect(n).toBeGreaterThanOrEqual(5);
    expect(
      r.proposed
        .slice(1, 26)
        .map(shared)
        .reduce((a, b) => a + b, 0) / 25,
    ).toBeLessThan(4);
    for (let g = 0; g < 3; g++) {
      const next = drive(searcher, {
        space,
        costProfile,
        rng: r.rng,
        rounds: 1,
        batch: 1000,
        minSpeedup: 5,
        history: r.history,
        objective,
      });
      expect(next.proposed).toHaveLength(50);
      r.history.push(...next.history.slice(r.history.length));
    }
    expect((searcher.snapshot!() as AutoDiffusionSnapshot).generation).toBe(4);
  });

  it('without seedUniform starts with P random subsets', () => {
    const r = drive(autoDiffusionSearcher({ seedUniform: false, populationSize: 20 }), {
      space,
      costProfile,
      seed: 1,
      rounds: 1,
      batch: 100,
      objective,
    });
    expect(r.proposed).toHaveLength(20);
    expect(r.proposed).not.toContain(formatSchedule(subsetSchedule(50, keptSteps(uniformSchedule(50, 10)))));
  });

  it('hands a generation out over several asks before making the next', () => {
    const searcher = autoDiffusionSearcher({ populationSize: 10 });
    const r = drive(searcher, { space, costProfile, seed: 3, rounds: 3, batch: 4, objective });
    expect(r.proposed).toHaveLength(10); // 4 + 4 + 2
    expect((searcher.snapshot!() as AutoDiffusionSnapshot).generation).toBe(1);
  });

  it('breeds from the top k only: mutants and crossovers of one parent share most of its steps', () => {
    const searcher = autoDiffusionSearcher({
      populationSize: 12,
      topK: 1,
      mutants: 6,
      crossovers: 4,
      mutationProbability: 0.1,
      seedUniform: false,
    });
    const r = drive(searcher, { space, costProfile, seed: 5, rounds: 1, batch: 100, objective });
    const best = [...r.history].sort((a, b) => a.objective! - b.objective! || a.number - b.number)[0]!;
    const next = drive(searcher, { space, costProfile, rng: r.rng, rounds: 1, batch: 100, history: r.history, objective });
    // 6 mutants, no crossover (a crossover of the one parent with itself is the parent), 6 random
    expect(next.proposed).toHaveLength(12);
    const parent = keptSteps(best.schedule);
    for (const key of next.proposed.slice(0, 6)) {
      const kept = keptSteps(key);
      expect(kept.filter((x) => parent.includes(x)).length).toBeGreaterThanOrEqual(5);
    }
  });

  it('finds better subsets than its initial population, and than DDIM-k, on a structured objective', async () => {
    const r = await runSearch({ space, searcher: autoDiffusionSearcher(), evaluator, costProfile, trials: 250, minSpeedup: 5, seed: 4 });
    const initialBest = Math.min(...r.trials.slice(0, 50).map((t) => t.objective!));
    expect(r.best!.objective!).toBeLessThan(initialBest);
    expect(r.best!.objective!).toBeLessThan(jumpObjective(uniformSchedule(50, 10)));
    expect(r.trials.every((t) => t.state === 'complete')).toBe(true);
  });

  it('visits every member of a small space once, then ends the search', async () => {
    const small = timestepSubsetSpace(8, 3); // C(7, 2) = 21
    const r = await runSearch({
      space: small,
      searcher: autoDiffusionSearcher({ populationSize: 4, topK: 2, mutants: 2, crossovers: 2 }),
      evaluator,
      costProfile,
      trials: 1000,
    });
    expect(r.stopReason).toBe('exhausted');
    expect([...r.trials.map((t) => t.schedule)].sort()).toEqual([...small.enumerate()].map(formatSchedule).sort());
  });
});

describe('autoDiffusionSearcher: spaces, k and the constraint', () => {
  it('takes k from a timestep-subset space, and refuses a different one', () => {
    const space = timestepSubsetSpace(12, 4);
    expect(drive(autoDiffusionSearcher({ populationSize: 4 }), { space, costProfile, rounds: 1, batch: 10 }).proposed).toHaveLength(4);
    expect(() => drive(autoDiffusionSearcher({ k: 3 }), { space, costProfile, rounds: 1, batch: 10 })).toThrow(
      /Invalid k 3: the timestep-subset space has k = 4/,
    );
    expect(() => drive(autoDiffusionSearcher({ k: 13 }), { space, costProfile, rounds: 1, batch: 10 })).toThrow(
      /Invalid k 13: expected an integer in 1\.\.12/,
    );
  });

  it('over another space proposes only the subset schedules that are members of it, with k = ⌊T / minSpeedup⌋', () => {
    // a 'free' space: segments of 3 start with F, the other steps are anything — subsets holding steps 0, 3, 6, 9 are members
    const free = createSearchSpace({ steps: 12, segmentLengths: [3], branches: 1, form: 'free' });
    const r = drive(autoDiffusionSearcher({ populationSize: 6, topK: 2, mutants: 3, crossovers: 2 }), {
      space: free,
      costProfile: { fullMacs: 100, partialMacs: [40] },
      minSpeedup: 2,
      rounds: 30,
      batch: 4,
    });
    // k = 6: steps 0, 3, 6, 9 and 2 of the other 8 — C(8, 2) = 28 members, all visited, then done
    expect(r.done).toBe(true);
    expect(r.proposed).toHaveLength(28);
    for (const key of r.proposed) {
      const kept = keptSteps(key);
      expect(kept).toHaveLength(6);
      for (const s of [0, 3, 6, 9]) expect(kept).toContain(s);
    }
  });

  it('proposes nothing when k full steps miss the minimum speed-up', () => {
    const r = drive(autoDiffusionSearcher(), {
      space: timestepSubsetSpace(50, 10),
      costProfile,
      seed: 1,
      rounds: 3,
      batch: 8,
      minSpeedup: 5.5,
    });
    expect(r.done).toBe(true);
    expect(r.proposed).toHaveLength(0);
  });
});

describe('AutoDiffusion’s variation operators', () => {
  fcTest.prop([
    fc
      .integer({ min: 2, max: 30 })
      .chain((T) => fc.tuple(fc.constant(T), fc.uniqueArray(fc.integer({ min: 1, max: T - 1 }), { minLength: 1 }))),
    fc.integer(),
  ])('mutation keeps k distinct steps in 1..T−1; p = 0 changes nothing, p = 1 replaces every step it can', ([T, genes], seed) => {
    const g = [...genes].sort((a, b) => a - b);
    const rng = createRng(seed);
    expect(mutateGenes(g, T, 0, rng)).toEqual(g);
    for (const p of [0.25, 1]) {
      const m = mutateGenes(g, T, p, rng);
      expect(m).toHaveLength(g.length);
      expect(new Set(m).size).toBe(m.length);
      for (const x of m) expect(x >= 1 && x < T).toBe(true);
      if (p === 1) expect(m.filter((x) => !g.includes(x))).toHaveLength(Math.min(g.length, T - 1 - g.length));
    }
  });

  fcTest.prop([
    fc
      .integer({ min: 2, max: 30 })
      .chain((T) =>
        fc
          .integer({ min: 1, max: T - 1 })
          .chain((r) =>
            fc.tuple(
              fc.constant(T),
              fc.uniqueArray(fc.integer({ min: 1, max: T - 1 }), { minLength: r, maxLength: r }),
              fc.uniqueArray(fc.integer({ min: 1, max: T - 1 }), { minLength: r, maxLength: r }),
            ),
          ),
      ),
    fc.integer(),
  ])('crossover takes position i of the sorted steps from either parent, and refuses a child that repeats a step', ([, a0, b0], seed) => {
    const a = [...a0].sort((x, y) => x - y);
    const b = [...b0].sort((x, y) => x - y);
    const rng = createRng(seed);
    for (let n = 0; n < 10; n++) {
      const c = crossGenes(a, b, rng);
      if (!c) continue;
      expect(new Set(c).size).toBe(a.length);
      // the sorted child is a choice of a[i] or b[i] at each i, re-sorted: its multiset lies within a ∪ b
      for (const x of c) expect(a.includes(x) || b.includes(x)).toBe(true);
    }
    expect(crossGenes(a, a, rng)).toEqual(a);
  });
});

describe('autoDiffusionSearcher: options and state', () => {
  it('documents its defaults: AutoDiffusion’s ImageNet-64 settings', () => {
    expect(AUTODIFFUSION_DEFAULTS).toEqual({
      populationSize: 50,
      topK: 10,
      mutants: 25,
      crossovers: 15,
      mutationProbability: 0.25,
      seedUniform: true,
      seedMutationProbability: 0.1,
      attemptsPerChild: 10,
    });
    expect(Object.isFrozen(AUTODIFFUSION_DEFAULTS)).toBe(true);
    expect(autoDiffusionSearcher().name).toBe('autodiffusion');
  });

  it('rejects bad options, naming the value and the valid range', () => {
    const cases: [AutoDiffusionSearcherOptions, RegExp][] = [
      [{ k: 0 }, /Invalid k 0: expected an integer >= 1/],
      [{ populationSize: 0 }, /Invalid populationSize 0: expected an integer >= 1/],
      [{ topK: 1.5 }, /Invalid topK 1\.5: expected an integer >= 1/],
      [{ mutants: -1 }, /Invalid mutants -1: expected an integer >= 0/],
      [{ crossovers: Number.NaN }, /Invalid crossovers NaN/],
      [{ mutationProbability: 1.5 }, /Invalid mutationProbability 1\.5: expected a number in \[0, 1\]/],
      [{ seedMutationProbability: -0.1 }, /Invalid seedMutationProbability -0\.1/],
      [{ attemptsPerChild: 0 }, /Invalid attemptsPerChild 0: expected an integer >= 1/],
      [{ seedUniform: 'yes' as never }, /Invalid seedUniform yes: expected true or false/],
    ];
    for (const [o, re] of cases) {
      expect(() => autoDiffusionSearcher(o)).toThrow(re);
      try {
        autoDiffusionSearcher(o);
      } catch (e) {
        expect(e).toBeInstanceOf(ScheduleError);
        expect((e as ScheduleError).code).toBe('invalid-option');
      }
    }
  });

  it('refuses a state that is not its snapshot', () => {
    const s = autoDiffusionSearcher();
    expect(() => s.restore!(null)).toThrow(/Invalid autodiffusion searcher state null/);
    expect(() => s.restore!({ version: 2, generation: 0, queue: [] })).toThrow(ScheduleError);
    expect(() => s.restore!({ version: 1, generation: 0, queue: ['F X'] })).toThrow(/Invalid autodiffusion searcher state/);
    expect(() => s.restore!({ version: 1, generation: -1, queue: [] })).toThrow(/Invalid autodiffusion searcher state/);
    s.restore!({ version: 1, generation: 3, queue: ['F N F N'] });
    expect(s.snapshot!()).toEqual({ version: 1, generation: 3, queue: ['F N F N'] });
  });
});
