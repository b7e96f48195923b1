import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  MemoryTrialStore,
  createRng,
  createSearchSpace,
  formatSchedule,
  parseSchedule,
  runSearch,
  scheduleCost,
  type Evaluator,
} from '@flexiffusion/schedule';
import { arbSchedule } from '@flexiffusion/schedule/testing';
import { baselineGrid, listSearcher, listSpace } from '../src/index.js';
import { drive, syntheticObjective } from './helpers.js';

const costProfile = { fullMacs: 100, partialMacs: [15, 32, 60] };
const evaluator: Evaluator = {
  async evaluate(schedules) {
    return schedules.map((s) => ({ ok: true as const, objective: syntheticObjective(s, costProfile) }));
  },
};

describe('listSpace', () => {
  fcTest.prop([fc.array(arbSchedule({ branches: 3, maxSegmentLength: 4, maxSegments: 3 }), { minLength: 1, maxLength: 12 }), fc.integer()])(
    'contains exactly the listed schedules, and every operation returns a member',
    (raw, seed) => {
      // keep the ones with the same T as the first
      const T = raw[0]!.segments.flat().length;
      const list = raw.filter((s) => s.segments.flat().length === T);
      const keys = [...new Set(list.map(formatSchedule))];
      const space = listSpace(list, { branches: 3 });
      const rng = createRng(seed);
      expect(space.size()).toBe(BigInt(keys.length));
      expect([...space.enumerate()].map(formatSchedule)).toEqual(keys);
      for (const k of keys) expect(space.contains(k)).toBe(true);
      const s = space.sample(rng);
      expect(space.contains(s)).toBe(true);
      const m = space.mutate(s, rng);
      expect(space.contains(m)).toBe(true);
      if (keys.length > 1) expect(formatSchedule(m)).not.toBe(formatSchedule(s));
      const c = space.crossover(s, m, rng);
      expect([formatSchedule(s), formatSchedule(m)]).toContain(formatSchedule(c));
      const e = space.encode(s);
      expect(formatSchedule(space.decode(e.length, e.genes))).toBe(formatSchedule(s));
      expect(space.segmentVariants(T)).toBe(keys.length);
      expect(formatSchedule(space.project(s, T))).toBe(formatSchedule(s));
      expect(space.describe()).toMatchObject({ steps: T, members: keys });
    },
  );

  it('rejects bad lists, naming the problem', () => {
    expect(() => listSpace([])).toThrow(/expected at least one schedule/);
    expect(() => listSpace(['F N', 'F N N'])).toThrow(/schedules\[1\] "F N N": it has 3 steps, expected 2/);
    expect(() => listSpace(['F P2 N'], { branches: 2 })).toThrow(
      /Invalid branches 2: a listed schedule uses branch 2; expected an integer >= 3/,
    );
    expect(() => listSpace(['F X'])).toThrow(/Invalid schedules\[0\] "F X"/);
    const space = listSpace(['F N', 'F P0']);
    expect(space.contains('F F')).toBe(false);
    expect(space.contains('garbage')).toBe(false);
    expect(() => space.encode(parseSchedule('F F'))).toThrow(/not a member/);
    expect(() => space.decode(2, [2])).toThrow(/one integer in 0\.\.1/);
    expect(() => space.segmentVariants(1)).toThrow(/one segment length, 2/);
  });
});

describe('listSearcher', () => {
  it('proposes the list in order, skipping non-members, infeasible entries, repeats and tried ones', () => {
    const space = createSearchSpace({ steps: 4, segmentLengths: [2, 4], branches: 1 });
    const list = ['F N | F N', 'F N F N', 'F P0 | F P0', 'F F | F F', 'F N | F N', 'F N N N', 'F P0 P0 P0'];
    // 'F N F N' is not a paper member; 'F F | F F' is not either; 'F P0 | F P0' has speed-up 8/6 < 1.5
    const r = drive(listSearcher(list), { space, costProfile: { fullMacs: 4, partialMacs: [2] }, rounds: 10, batch: 2, minSpeedup: 1.5 });
    expect(r.proposed).toEqual(['F N | F N', 'F N N N', 'F P0 P0 P0']);
    expect(r.done).toBe(true);
  });

  it('evaluates the classic baselines through runSearch over their list space, resumably', async () => {
    const baselines = baselineGrid(50, { branches: 3 });
    const space = listSpace(baselines);
    const expected = baselines.map((b) => formatSchedule(b.schedule));
    const straight = await runSearch({ space, searcher: listSearcher(baselines), evaluator, costProfile, trials: 100, batchSize: 4 });
    expect(straight.stopReason).toBe('exhausted');
    expect(straight.trials.map((t) => t.schedule)).toEqual(expected);
    expect(straight.trials.every((t) => t.state === 'complete')).toBe(true);
    const byLabel = new Map(straight.trials.map((t) => [t.schedule, t]));
    expect(byLabel.get(formatSchedule(baselines[0]!.schedule))?.cost.speedup).toBeCloseTo(2, 10); // DDIM-25

    const store = new MemoryTrialStore();
    await runSearch({ space, searcher: listSearcher(baselines), evaluator, costProfile, trials: 5, batchSize: 4, store });
    const resumed = await runSearch({ space, searcher: listSearcher(baselines), evaluator, costProfile, trials: 100, batchSize: 4, store });
    expect(resumed.trials.map((t) => t.schedule)).toEqual(expected);
    expect(resumed.replayed).toBe(5);
  });

  it('with a paper space, runs only the baselines that are members', async () => {
    const space = createSearchSpace({ steps: 50, segmentLengths: [2, 5, 10], branches: 3 });
    const baselines = baselineGrid(50, { branches: 3 });
    const members = baselines.filter((b) => space.contains(b.schedule)).map((b) => b.label);
    expect(members).toEqual([
      'DDIM-25',
      'DDIM-10',
      'DeepCache-N2-b0',
      'DeepCache-N2-b1',
      'DeepCache-N2-b2',
      'DeepCache-N5-b0',
      'DeepCache-N5-b1',
      'DeepCache-N5-b2',
    ]);
    const r = await runSearch({ space, searcher: listSearcher(baselines), evaluator, costProfile, trials: 100 });
    expect(r.trials.map((t) => t.schedule)).toEqual(
      baselines.filter((b) => members.includes(b.label)).map((b) => formatSchedule(b.schedule)),
    );
    for (const t of r.trials) expect(scheduleCost(t.schedule, costProfile).speedup).toBe(t.cost.speedup);
  });

  it('rejects invalid entries and names', () => {
    expect(() => listSearcher(['F N', 'N F'])).toThrow(/Invalid schedules\[1\] "N F"/);
    expect(() => listSearcher([], { name: '' })).toThrow(/Invalid name "": expected a non-empty string/);
    expect(listSearcher([], { name: 'baselines' }).name).toBe('baselines');
  });
});
