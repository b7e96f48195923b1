import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  MemoryTrialStore,
  ScheduleError,
  createSearchSpace,
  formatSchedule,
  runSearch,
  scheduleCost,
  type Evaluator,
  type SearchSpace,
  type Trial,
} from '@flexiffusion/schedule';
import { arbCostProfile, arbSearchSpace } from '@flexiffusion/schedule/testing';
import { gridIndexOf, gridScheduleAt, gridSearcher, listSpace } from '../src/index.js';
import { drive, syntheticObjective } from './helpers.js';

const profile3 = { fullMacs: 100, partialMacs: [20, 45, 70] };

/** Small spaces (at most 600 members), with a matching cost profile. */
const arbSmall = arbSearchSpace({ maxSteps: 12, maxBranches: 2, maxSegmentLength: 4 })
  .filter((s) => s.size() <= 600n)
  .chain((space) => arbCostProfile(space.branches).map((costProfile) => ({ space, costProfile })));

/** Any space of the testing arbitraries (up to ~10^14 members), with a matching cost profile. */
const arbAny = arbSearchSpace().chain((space) => arbCostProfile(space.branches).map((costProfile) => ({ space, costProfile })));

const enumerated = (space: SearchSpace) => [...space.enumerate()].map(formatSchedule);

const evaluatorFor = (costProfile: { fullMacs: number; partialMacs: readonly number[] }): Evaluator => ({
  async evaluate(schedules) {
    return schedules.map((s) => ({ ok: true as const, objective: syntheticObjective(s, costProfile) }));
  },
});

const strip = (ts: readonly Trial[]) => ts.map(({ durationMs: _d, ...rest }) => rest);

describe('gridScheduleAt / gridIndexOf', () => {
  fcTest.prop([arbSmall])('gridScheduleAt(i) is the i-th member that enumerate() yields', ({ space }) => {
    const all = enumerated(space);
    expect(BigInt(all.length)).toBe(space.size());
    all.forEach((key, i) => {
      expect(formatSchedule(gridScheduleAt(space, i))).toBe(key);
      expect(gridIndexOf(space, gridScheduleAt(space, BigInt(i)))).toBe(BigInt(i));
    });
  });

  fcTest.prop([arbAny, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })])(
    'decodes any index of a large space to a member, and back',
    ({ space }, raw) => {
      const i = raw % space.size();
      const s = gridScheduleAt(space, i);
      expect(space.contains(s)).toBe(true);
      expect(gridIndexOf(space, s)).toBe(i);
    },
  );

  it('rejects an index outside the space, naming the range', () => {
    const space = createSearchSpace({ steps: 4, segmentLengths: [2], branches: 1 });
    expect(() => gridScheduleAt(space, 4n)).toThrow(/grid index 4: expected an integer in 0\.\.3/);
    expect(() => gridScheduleAt(space, -1)).toThrow(ScheduleError);
    expect(() => gridScheduleAt(space, 0.5)).toThrow(/index 0\.5/);
  });
});

describe('gridSearcher', () => {
  fcTest.prop([arbSmall, fc.integer({ min: 1, max: 9 })])(
    'enumerates exactly size() members, in order, with no repeats, then proposes nothing',
    ({ space, costProfile }, batch) => {
      const r = drive(gridSearcher(), { space, costProfile, rounds: 1000, batch });
      expect(r.done).toBe(true);
      expect(r.proposed).toEqual(enumerated(space));
      expect(BigInt(new Set(r.proposed).size)).toBe(space.size());
    },
  );

  fcTest.prop([
    arbSmall,
    fc.integer({ min: 1, max: 9 }),
    fc.nat(),
    fc.integer({ min: 1, max: 8 }),
    fc.double({ min: 1, max: 4, noNaN: true }),
  ])(
    'a strided subset under a constraint is exactly the feasible points start + j·stride',
    ({ space, costProfile }, strideRaw, startRaw, batch, minSpeedup) => {
      const size = Number(space.size());
      const stride = strideRaw;
      const start = startRaw % size;
      const expected = enumerated(space).filter(
        (key, i) => i >= start && (i - start) % stride === 0 && scheduleCost(key, costProfile).speedup >= minSpeedup,
      );
      const r = drive(gridSearcher({ stride, start }), { space, costProfile, rounds: 1000, batch, minSpeedup });
      expect(r.done).toBe(true);
      expect(r.proposed).toEqual(expected);
    },
  );

  it('walks a strided grid over a space of 1.4·10^11 members without enumerating it', () => {
    const space = createSearchSpace({ steps: 50, segmentLengths: [5, 10], branches: 3 });
    const size = space.size();
    expect(size).toBe(13n ** 10n + 28n ** 5n);
    const stride = size / 7n;
    const r = drive(gridSearcher({ stride, start: 3n }), { space, costProfile: profile3, rounds: 10, batch: 3 });
    const expected = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n].map((j) => 3n + j * stride).filter((i) => i < size);
    expect(r.proposed).toEqual(expected.map((i) => formatSchedule(gridScheduleAt(space, i))));
    expect(r.done).toBe(true);
  });

  fcTest.prop([
    arbAny,
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 6 }),
    fc.bigInt({ min: 1n, max: 1n << 40n }),
  ])(
    'snapshot → restore (through JSON) continues identically; a fresh searcher derives the cursor from the history',
    ({ space, costProfile }, batch, r1, r2, seed, strideRaw) => {
      const stride = 1n + (strideRaw % (space.size() / 8n + 1n));
      const a = gridSearcher({ stride });
      const first = drive(a, { space, costProfile, rounds: r1, batch, seed });
      const b = gridSearcher({ stride });
      b.restore!(JSON.parse(JSON.stringify(a.snapshot!())));
      const fresh = gridSearcher({ stride });
      const contA = drive(a, { space, costProfile, rounds: r2, batch, history: first.history });
      const contB = drive(b, { space, costProfile, rounds: r2, batch, history: first.history });
      const contC = drive(fresh, { space, costProfile, rounds: r2, batch, history: first.history });
      expect(contB.proposed).toEqual(contA.proposed);
      expect(contC.proposed).toEqual(contA.proposed);
    },
  );

  fcTest.prop(
    [
      arbAny,
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 4, max: 24 }),
      fc.integer({ min: 1, max: 6 }),
      fc.double({ min: 1, max: 3, noNaN: true }),
    ],
    {
      numRuns: 40,
    },
  )(
    'resuming through runSearch with a MemoryTrialStore after a partial run gives the same trials as one run',
    async ({ space, costProfile }, n1, n2, batchSize, minSpeedup) => {
      const stride = space.size() > 1000n ? space.size() / 997n : 1n;
      const opts = { space, costProfile, evaluator: evaluatorFor(costProfile), minSpeedup, batchSize, seed: 1, maxIdleRounds: 2 };
      const straight = await runSearch({ ...opts, searcher: gridSearcher({ stride }), trials: n2 });
      const store = new MemoryTrialStore();
      await runSearch({ ...opts, searcher: gridSearcher({ stride }), trials: Math.min(n1, n2), store });
      const resumed = await runSearch({ ...opts, searcher: gridSearcher({ stride }), trials: n2, store });
      expect(strip(resumed.trials)).toEqual(strip(straight.trials));
      expect(resumed.stopReason).toBe(straight.stopReason);
    },
  );

  it('evaluates every feasible member of a small space through runSearch, then stops as exhausted', async () => {
    const space = createSearchSpace({ steps: 12, segmentLengths: [4, 6], branches: 2 });
    const costProfile = { fullMacs: 100, partialMacs: [30, 60] };
    const feasible = enumerated(space).filter((k) => scheduleCost(k, costProfile).speedup >= 2);
    const r = await runSearch({
      space,
      searcher: gridSearcher(),
      evaluator: evaluatorFor(costProfile),
      costProfile,
      trials: 10_000,
      minSpeedup: 2,
      batchSize: 16,
    });
    expect(r.stopReason).toBe('exhausted');
    expect(r.trials.map((t) => t.schedule)).toEqual(feasible);
    expect(r.trials.every((t) => t.state === 'complete')).toBe(true);
  });

  it('works on a list space', () => {
    const space = listSpace(['F N N N', 'F P0 N N', 'F N F N']);
    const r = drive(gridSearcher(), { space, costProfile: profile3, rounds: 10, batch: 2 });
    expect(r.proposed).toEqual(['F N N N', 'F P0 N N', 'F N F N']);
  });

  it('throws instead of scanning an infeasible region for ever', () => {
    const space = createSearchSpace({ steps: 12, segmentLengths: [1, 2], branches: 1 });
    // index 0 is the all-full schedule (speed-up 1); nothing below index 1 meets 1.5
    expect(() =>
      drive(gridSearcher({ maxScan: 1 }), { space, costProfile: { fullMacs: 10, partialMacs: [5] }, rounds: 1, batch: 4, minSpeedup: 1.5 }),
    ).toThrow(/scanned maxScan = 1 grid points from index 0/);
  });

  it('validates its options, naming the bad value and the valid range', () => {
    expect(() => gridSearcher({ stride: 0 })).toThrow(/Invalid stride 0: expected an integer >= 1/);
    expect(() => gridSearcher({ start: -2n })).toThrow(/Invalid start -2: expected an integer >= 0/);
    expect(() => gridSearcher({ stride: 1.5 })).toThrow(/Invalid stride 1\.5/);
    expect(() => gridSearcher({ maxScan: 0 })).toThrow(/Invalid maxScan 0: expected an integer >= 1/);
    const space = createSearchSpace({ steps: 4, segmentLengths: [2], branches: 1 });
    expect(() => drive(gridSearcher({ start: 4 }), { space, costProfile: profile3, rounds: 1, batch: 1 })).toThrow(
      /Invalid start 4: expected an index in 0\.\.3/,
    );
    const g = gridSearcher({ stride: 2 });
    expect(() => g.restore!({ version: 1, stride: '3', start: '0', cursor: null })).toThrow(/Invalid grid searcher state/);
    expect(() => g.restore!('nope')).toThrow(ScheduleError);
    try {
      gridSearcher({ stride: -1 });
    } catch (e) {
      expect(e).toBeInstanceOf(ScheduleError);
      expect((e as ScheduleError).code).toBe('invalid-option');
    }
  });
});
