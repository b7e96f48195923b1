import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { ScheduleError, createRng, formatSchedule, parseSchedule, scheduleCost, uniformSchedule } from '@flexiffusion/schedule';
import { arbCostProfile } from '@flexiffusion/schedule/testing';
import { keptSteps, subsetSchedule, subsetSizeForSpeedup, timestepSubsetSpace } from '../src/index.js';
import { binomialBig } from '../src/internal/combinations.js';

/** T in 1..10 and k in 1..T. */
const arbTk = fc.integer({ min: 1, max: 10 }).chain((T) => fc.record({ T: fc.constant(T), k: fc.integer({ min: 1, max: T }) }));

const isSubsetMember = (key: string, T: number, k: number): boolean => {
  const s = parseSchedule(key);
  const kept = keptSteps(s);
  return s.segments.length === 1 && s.segments[0]!.length === T && kept.length === k && kept[0] === 0;
};

describe('timestepSubsetSpace', () => {
  fcTest.prop([arbTk])('enumerates C(T−1, k−1) distinct members in rank order, and encode/decode invert each other', ({ T, k }) => {
    const space = timestepSubsetSpace(T, k);
    expect(space.size()).toBe(binomialBig(T - 1, k - 1));
    const all = [...space.enumerate()];
    expect(BigInt(all.length)).toBe(space.size());
    const keys = all.map(formatSchedule);
    expect(new Set(keys).size).toBe(keys.length);
    all.forEach((s, i) => {
      expect(isSubsetMember(keys[i]!, T, k)).toBe(true);
      expect(space.contains(s)).toBe(true);
      expect(space.encode(s)).toEqual({ length: T, genes: [i] });
      expect(formatSchedule(space.decode(T, [i]))).toBe(keys[i]);
      expect(space.project(s, T)).toBe(s);
    });
    expect(space.segmentVariants(T)).toBe(all.length);
  });

  fcTest.prop([arbTk, fc.integer()])(
    'sample, mutate and crossover return members; mutate moves one step, crossover mixes the parents',
    ({ T, k }, seed) => {
      const space = timestepSubsetSpace(T, k);
      const rng = createRng(seed);
      for (let i = 0; i < 10; i++) {
        const a = space.sample(rng);
        const b = space.sample(rng);
        expect(space.contains(a)).toBe(true);
        const m = space.mutate(a, rng);
        expect(space.contains(m)).toBe(true);
        const ka = new Set(keptSteps(a));
        const km = keptSteps(m);
        if (space.size() > 1n) expect(km.filter((x) => !ka.has(x))).toHaveLength(1);
        else expect(formatSchedule(m)).toBe(formatSchedule(a));
        const c = space.crossover(a, b, rng);
        expect(space.contains(c)).toBe(true);
        const kb = new Set(keptSteps(b));
        const kc = keptSteps(c);
        for (const x of kc) expect(ka.has(x) || kb.has(x)).toBe(true);
        for (const x of ka) if (kb.has(x)) expect(kc).toContain(x);
      }
    },
  );

  fcTest.prop([arbTk, arbCostProfile(3)])(
    'every member costs k full steps: a speed-up of T / k under any cost profile',
    ({ T, k }, profile) => {
      const s = timestepSubsetSpace(T, k).sample(createRng(T * 31 + k));
      expect(scheduleCost(s, profile).speedup).toBeCloseTo(T / k, 10);
    },
  );

  it('ranks a large space exactly (T = 50, k = 25: 6.3·10^13 members)', () => {
    const space = timestepSubsetSpace(50, 25);
    expect(space.size()).toBe(63205303218876n);
    const rng = createRng(7);
    for (let i = 0; i < 200; i++) {
      const s = space.sample(rng);
      const [rank] = space.encode(s).genes;
      expect(formatSchedule(space.decode(50, [rank!]))).toBe(formatSchedule(s));
    }
    const last = space.decode(50, [Number(space.size()) - 1]);
    expect(keptSteps(last)).toEqual([0, ...Array.from({ length: 24 }, (_, i) => 26 + i)]);
    expect(keptSteps(space.decode(50, [0]))).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('contains only the one-segment F/N schedules with k full steps, the first one full; never throws', () => {
    const space = timestepSubsetSpace(6, 3);
    expect(space.contains('F N F F N N')).toBe(true);
    expect(space.contains('F N F | F N N')).toBe(false); // another segmentation
    expect(space.contains('F N F F N F')).toBe(false); // k = 4
    expect(space.contains('F P0 F F N N')).toBe(false);
    expect(space.contains('F N F F N')).toBe(false); // T = 5
    expect(space.contains('X')).toBe(false);
    expect(space.contains({ segments: [] } as never)).toBe(false);
    expect(() => space.encode(parseSchedule('F N F | F N N'))).toThrow(ScheduleError);
    try {
      space.encode(parseSchedule('F F F F N N'));
    } catch (e) {
      expect((e as ScheduleError).code).toBe('not-in-space');
    }
  });

  it('describes itself as a timestep-subset space with its k, in JSON', () => {
    expect(JSON.parse(JSON.stringify(timestepSubsetSpace(50, 10).describe()))).toEqual({
      steps: 50,
      segmentLengths: [50],
      branches: 0,
      form: 'free',
      kind: 'timestep-subset',
      k: 10,
    });
    expect(Object.isFrozen(timestepSubsetSpace(4, 2))).toBe(true);
  });

  it('rejects bad arguments, naming the value and the valid range', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => timestepSubsetSpace(0, 1), /Invalid steps \(T\) 0: expected an integer in 1\.\./],
      [() => timestepSubsetSpace(10, 0), /Invalid k 0: expected an integer in 1\.\.10/],
      [() => timestepSubsetSpace(10, 11), /Invalid k 11: expected an integer in 1\.\.10/],
      [() => timestepSubsetSpace(100, 50), /has 50445672272782096667406248628 members, more than 2\^53 − 1/],
      [() => timestepSubsetSpace(6, 3).decode(6, [10]), /Invalid genes \[10\]: a timestep-subset space expects one integer in 0\.\.9/],
      [() => timestepSubsetSpace(6, 3).decode(3, [0]), /Invalid segment length 3: a timestep-subset space has one segment length, 6/],
      [() => timestepSubsetSpace(6, 3).segmentVariants(2), /Invalid segment length 2/],
    ];
    for (const [f, re] of cases) {
      expect(f).toThrow(re);
      expect(f).toThrow(ScheduleError);
    }
    expect(() => timestepSubsetSpace(100, 14)).not.toThrow();
    expect(() => timestepSubsetSpace(100, 15)).toThrow(/more than 2\^53 − 1/);
    expect(() => timestepSubsetSpace(100, 87)).not.toThrow();
  });
});

describe('subsetSchedule, keptSteps, subsetSizeForSpeedup', () => {
  fcTest.prop([fc.integer({ min: 2, max: 40 }).chain((T) => fc.tuple(fc.constant(T), fc.uniqueArray(fc.integer({ min: 1, max: T - 1 }))))])(
    'keptSteps inverts subsetSchedule',
    ([T, rest]) => {
      const kept = [0, ...rest];
      const s = subsetSchedule(T, kept);
      expect(keptSteps(s)).toEqual([...kept].sort((a, b) => a - b));
      expect(timestepSubsetSpace(T, kept.length).contains(s)).toBe(true);
    },
  );

  it('reads the kept steps of any segmentation, and DDIM-k is a member once re-cut', () => {
    const ddim = uniformSchedule(50, 10);
    expect(keptSteps(ddim)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45]);
    const space = timestepSubsetSpace(50, 10);
    expect(space.contains(ddim)).toBe(false);
    expect(space.contains(subsetSchedule(50, keptSteps(ddim)))).toBe(true);
    expect(formatSchedule(subsetSchedule(6, [3, 0, 2]))).toBe('F N F F N N');
  });

  it('rejects bad subsets and schedules with partial steps', () => {
    expect(() => subsetSchedule(6, [1, 2])).toThrow(/step 0 must be kept/);
    expect(() => subsetSchedule(6, [0, 2, 2])).toThrow(/step 2 appears twice/);
    expect(() => subsetSchedule(6, [0, 6])).toThrow(/Invalid kept step 6: expected an integer in 0\.\.5/);
    expect(() => keptSteps('F P0 N')).toThrow(/expected a valid schedule of full \(F\) and null \(N\) steps only/);
    expect(() => keptSteps('N F')).toThrow(ScheduleError);
  });

  it('gives the largest k with T / k at least the speed-up', () => {
    expect(subsetSizeForSpeedup(50, 1)).toBe(50);
    expect(subsetSizeForSpeedup(50, 2)).toBe(25);
    expect(subsetSizeForSpeedup(50, 2.5)).toBe(20);
    expect(subsetSizeForSpeedup(50, 3)).toBe(16);
    expect(subsetSizeForSpeedup(50, 1000)).toBe(1);
    expect(() => subsetSizeForSpeedup(50, 0.5)).toThrow(/Invalid speedup 0\.5: expected a finite number >= 1/);
  });
});
