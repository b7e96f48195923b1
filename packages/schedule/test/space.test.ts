import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { ScheduleError, createRng, createSearchSpace, formatSchedule, parseSchedule, validateSchedule } from '../src/index.js';
import { arbSchedule, arbSearchSpace } from '../src/testing/index.js';

describe('createSearchSpace', () => {
  it("has (1 + (L-1)·B)^(T/L) members per L in the 'paper' form", () => {
    const space = createSearchSpace({ steps: 50, segmentLengths: [5, 10], branches: 3 });
    expect(space.size()).toBe(13n ** 10n + 28n ** 5n);
    expect(space.segmentVariants(5)).toBe(13);
  });
  it("has (B+2)^((L-1)·T/L) members per L in the 'free' form", () => {
    const space = createSearchSpace({ steps: 12, segmentLengths: [3, 4], branches: 2, form: 'free' });
    expect(space.size()).toBe(4n ** 8n + 4n ** 9n);
  });
  it('paper-form segments are F, partials of one branch, then nulls', () => {
    const space = createSearchSpace({ steps: 4, segmentLengths: [4], branches: 2 });
    expect([...space.enumerate()].map(formatSchedule)).toEqual([
      'F N N N',
      'F P0 N N',
      'F P1 N N',
      'F P0 P0 N',
      'F P1 P1 N',
      'F P0 P0 P0',
      'F P1 P1 P1',
    ]);
    expect(space.contains('F P0 P1 N')).toBe(false);
    expect(space.contains('F N P0 N')).toBe(false);
    expect(space.contains('F P0 P0 N')).toBe(true);
    expect(space.contains('F P2 N N')).toBe(false);
    expect(space.contains('nonsense')).toBe(false);
  });
  it('rejects bad options naming the valid values', () => {
    expect(() => createSearchSpace({ steps: 10, segmentLengths: [3], branches: 1 })).toThrow(/one of 1, 2, 5, 10/);
    expect(() => createSearchSpace({ steps: 0, segmentLengths: [1], branches: 1 })).toThrow(ScheduleError);
    expect(() => createSearchSpace({ steps: 4, segmentLengths: [], branches: 1 })).toThrow(/non-empty/);
    expect(() => createSearchSpace({ steps: 4, segmentLengths: [2], branches: -1 })).toThrow(/branches -1/);
    expect(() => createSearchSpace({ steps: 4, segmentLengths: [2], branches: 1, form: 'wide' as never })).toThrow(
      /"paper", "free", "open"/,
    );
    expect(() => createSearchSpace({ steps: 10, segmentLengths: [2, 5], branches: 1, form: 'open' })).toThrow(/exactly one divisor of 10/);
    expect(() => createSearchSpace({ steps: 50, segmentLengths: [25], branches: 3, form: 'open' })).toThrow(/2\^53/);
    const open = createSearchSpace({ steps: 10, segmentLengths: [5], branches: 1, form: 'open' });
    expect(() => open.decode(5, [0, 243])).toThrow(/0\.\.80 \(the first\) and 0\.\.242 \(the others\)/);
    expect(() => open.segmentVariants(5, 2)).toThrow(/segment 2 .* 0\.\.1/);
  });
  it("has (B+2)^(T-1) members in the 'open' form, any step after the first of any kind", () => {
    const space = createSearchSpace({ steps: 50, segmentLengths: [5], branches: 3, form: 'open' });
    expect(space.size()).toBe(5n ** 49n);
    expect(space.segmentVariants(5)).toBe(5 ** 4);
    expect(space.segmentVariants(5, 1)).toBe(5 ** 5);
    // a GITS-style timestep subset and partial steps at the start of segments are members
    expect(
      space.contains(
        space.project(
          parseSchedule(
            'F N N F N | P0 N N N F | N N N N N | F N N P1 N | N N N N N | F N N N N | N F N N N | F N F N N | N N N N N | F N N N N',
          ),
          5,
        ),
      ),
    ).toBe(true);
    expect(
      space.contains(
        'N F N N N | F N N N N | F N N N N | F N N N N | F N N N N | F N N N N | F N N N N | F N N N N | F N N N N | F N N N N',
      ),
    ).toBe(false);
    expect(
      space.contains('F N N N N N N N N N | F N N N N N N N N N | F N N N N N N N N N | F N N N N N N N N N | F N N N N N N N N N'),
    ).toBe(false);
    const small = createSearchSpace({ steps: 3, segmentLengths: [1], branches: 1, form: 'open' });
    expect([...small.enumerate()].map(formatSchedule)).toEqual([
      'F | F | F',
      'F | F | N',
      'F | F | P0',
      'F | N | F',
      'F | N | N',
      'F | N | P0',
      'F | P0 | F',
      'F | P0 | N',
      'F | P0 | P0',
    ]);
    const e = space.encode(
      parseSchedule(
        'F N N N N | P2 N N N N | N N N N N | N N N N N | N N N N N | N N N N N | N N N N N | N N N N N | N N N N N | N N N N F',
      ),
    );
    expect(e.genes[0]).toBe(5 ** 3 + 5 ** 2 + 5 + 1);
    expect(e.genes[1]).toBe(4 * 5 ** 4 + 5 ** 3 + 5 ** 2 + 5 + 1);
    expect(e.genes[9]).toBe(5 ** 4 + 5 ** 3 + 5 ** 2 + 5);
  });
  it('encode and decode are inverse', () => {
    const space = createSearchSpace({ steps: 10, segmentLengths: [5], branches: 3 });
    const s = parseSchedule('F P1 P1 N N | F P0 N N N');
    const e = space.encode(s);
    expect(e).toEqual({ length: 5, genes: [1 + 1 * 3 + 1, 1] });
    expect(space.decode(5, e.genes)).toEqual(s);
    expect(() => space.encode(parseSchedule('F N N N N N N N N N'))).toThrow(/not a member/);
  });
});

const smallSpace = arbSearchSpace({ maxSteps: 12, maxBranches: 3 }).filter((s) => s.size() <= 5000n);

describe('search space properties', () => {
  fcTest.prop([smallSpace], { numRuns: 60 })('size() equals the number of schedules enumerate() yields (T <= 12)', (space) => {
    let n = 0n;
    const seen = new Set<string>();
    for (const s of space.enumerate()) {
      n++;
      const key = formatSchedule(s);
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      expect(space.contains(s)).toBe(true);
    }
    expect(n).toBe(space.size());
  });

  fcTest.prop([arbSearchSpace({ maxSteps: 24 }), fc.integer(), fc.integer()])(
    'sample, mutate and crossover return valid members of the space',
    (space, seedA, seedB) => {
      const rng = createRng(seedA);
      const a = space.sample(rng);
      const b = space.sample(createRng(seedB));
      for (const s of [a, b, space.mutate(a, rng), space.crossover(a, b, rng), space.crossover(b, a, rng)]) {
        expect(validateSchedule(s, { branches: space.branches }).ok).toBe(true);
        expect(space.contains(s)).toBe(true);
        expect(space.contains(formatSchedule(s))).toBe(true);
        expect(Object.isFrozen(s)).toBe(true);
      }
      for (const L of space.segmentLengths) expect(space.contains(space.project(a, L))).toBe(true);
    },
  );

  fcTest.prop([arbSearchSpace({ maxSteps: 24 }), fc.integer()])(
    'mutate changes the schedule when the space has more than one member',
    (space, seed) => {
      const rng = createRng(seed);
      const a = space.sample(rng);
      const m = space.mutate(a, rng);
      if (space.size() > 1n) expect(formatSchedule(m)).not.toBe(formatSchedule(a));
      else expect(m).toEqual(a);
    },
  );

  fcTest.prop([arbSearchSpace({ maxSteps: 24 }), fc.integer()])('crossover of a schedule with itself is itself', (space, seed) => {
    const a = space.sample(createRng(seed));
    expect(space.crossover(a, a, createRng(seed + 1))).toEqual(a);
  });

  fcTest.prop([fc.integer(), arbSearchSpace({ maxSteps: 24 })])('is deterministic for a seed', (seed, space) => {
    const run = () => {
      const rng = createRng(seed);
      const a = space.sample(rng);
      return [a, space.mutate(a, rng), space.crossover(a, space.sample(rng), rng)].map(formatSchedule);
    };
    expect(run()).toEqual(run());
  });

  fcTest.prop([arbSchedule({ branches: 2, maxSegmentLength: 4, maxSegments: 4 })])(
    "every valid schedule is in the 'open' space of its shape",
    (s) => {
      const L = s.segments[0]!.length;
      const T = L * s.segments.length;
      expect(createSearchSpace({ steps: T, segmentLengths: [L], branches: 2, form: 'open' }).contains(s)).toBe(true);
    },
  );

  fcTest.prop([arbSearchSpace({ maxSteps: 24, forms: ['open'] }), fc.integer()])(
    "an 'open' mutation changes one step, or swaps two neighbouring steps after the first",
    (space, seed) => {
      const rng = createRng(seed);
      const a = space
        .sample(rng)
        .segments.flat()
        .map((st) => (st.kind === 'partial' ? `P${st.branch}` : st.kind));
      const m = space
        .mutate(space.sample(createRng(seed)), rng)
        .segments.flat()
        .map((st) => (st.kind === 'partial' ? `P${st.branch}` : st.kind));
      const diff = a.flatMap((k, i) => (k !== m[i] ? [i] : []));
      if (space.size() === 1n) expect(diff).toEqual([]);
      else {
        expect(diff[0]).toBeGreaterThanOrEqual(1);
        if (diff.length === 2) {
          expect(diff[1]! - diff[0]!).toBe(1);
          expect([m[diff[0]!], m[diff[1]!]]).toEqual([a[diff[1]!], a[diff[0]!]]);
        } else expect(diff.length).toBe(1);
      }
    },
  );

  fcTest.prop([arbSchedule({ branches: 2, maxSegmentLength: 4, maxSegments: 4 })])(
    "every valid schedule whose segments start with F is in the 'free' space of its shape",
    (s) => {
      const L = s.segments[0]!.length;
      const T = L * s.segments.length;
      const space = createSearchSpace({ steps: T, segmentLengths: [L], branches: 2, form: 'free' });
      expect(space.contains(s)).toBe(s.segments.every((seg) => seg[0]!.kind === 'full'));
    },
  );
});

describe('createRng', () => {
  it('is deterministic and restorable from its state', () => {
    const a = createRng(42);
    const xs = [a.next(), a.int(10), a.int(1000)];
    const b = createRng(42);
    expect([b.next(), b.int(10), b.int(1000)]).toEqual(xs);
    const c = createRng(a.state());
    expect([c.next(), c.next()]).toEqual([a.next(), a.next()]);
  });
  it('int is in range and roughly uniform', () => {
    const r = createRng(7);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(() => r.int(0)).toThrow(ScheduleError);
  });
});
