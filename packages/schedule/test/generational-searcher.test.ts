import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  ScheduleError,
  createGenerationalSearcher,
  createRng,
  createSearchSpace,
  formatSchedule,
  parseSchedule,
  scheduleCost,
  type GenerationalSnapshot,
  type Schedule,
  type SearchContext,
  type Trial,
} from '../src/index.js';
import { arbCostProfile, arbSearchSpace, driveSearcher } from '../src/testing/index.js';

/** A space of the testing arbitraries with a matching cost profile. */
const arbProblem = arbSearchSpace({ maxSteps: 16 }).chain((space) =>
  arbCostProfile(space.branches).map((costProfile) => ({ space, costProfile })),
);
const arbMinSpeedup = fc.oneof(fc.constant(1), fc.double({ min: 1, max: 3, noNaN: true }));

/**
 * A generation function for the tests: up to `size` new random members of the space that meet the
 * constraint, from `ctx.rng` only. Every generation it makes is logged (in notation) in `made`.
 */
function randomGenerations(size: number, made: string[][] = []) {
  const makeGeneration = (ctx: SearchContext): Schedule[] => {
    const taken = new Set(ctx.history.map((t) => t.schedule));
    const out: Schedule[] = [];
    for (let a = 0; a < 20 * size && out.length < size; a++) {
      const s = ctx.space.sample(ctx.rng);
      const key = formatSchedule(s);
      if (!taken.has(key) && ctx.cost(s).speedup >= ctx.minSpeedup) {
        taken.add(key);
        out.push(s);
      }
    }
    made.push(out.map(formatSchedule));
    return out;
  };
  return { makeGeneration, made };
}

const snapshotOf = (s: { snapshot?(): unknown }): GenerationalSnapshot => s.snapshot!() as GenerationalSnapshot;

describe('createGenerationalSearcher: properties', () => {
  fcTest.prop([arbProblem, fc.integer({ min: 1, max: 9 }), fc.integer(), arbMinSpeedup, fc.integer({ min: 1, max: 7 })])(
    'the queue drains in order: each ask hands out the next candidates of one generation, and the next generation comes only once it is empty',
    ({ space, costProfile }, size, seed, minSpeedup, batch) => {
      const { makeGeneration, made } = randomGenerations(size);
      const searcher = createGenerationalSearcher({ name: 'random-generations', makeGeneration });
      const rng = createRng(seed);
      let history: Trial[] = [];
      const handedOut: string[][] = [];
      for (let round = 0; round < 12; round++) {
        const before = snapshotOf(searcher);
        const r = driveSearcher(searcher, { space, costProfile, rng, minSpeedup, rounds: 1, batch, history });
        const after = snapshotOf(searcher);
        expect(after.generation).toBe(made.length);
        const batchKeys = r.proposed;
        if (before.queue.length > 0) {
          // the rest of the current generation first, without making a new one
          expect(after.generation).toBe(before.generation);
          expect(batchKeys).toEqual(before.queue.slice(0, batch));
        } else {
          // a new generation, handed out from its start
          expect(after.generation).toBe(before.generation + 1);
          expect(batchKeys).toEqual(made[made.length - 1]!.slice(0, batch));
        }
        expect([...batchKeys, ...after.queue]).toEqual(before.queue.length > 0 ? before.queue : made[made.length - 1]);
        while (handedOut.length < after.generation) handedOut.push([]);
        handedOut[after.generation - 1]!.push(...batchKeys);
        history = r.history;
        if (r.done) break;
      }
      // every generation but the current one was handed out whole, in order
      for (let g = 0; g + 1 < made.length; g++) expect(handedOut[g]).toEqual(made[g]);
      expect(history.map((t) => t.schedule)).toEqual(handedOut.flat());
    },
  );

  fcTest.prop([
    arbProblem,
    fc.integer({ min: 1, max: 9 }),
    fc.integer(),
    arbMinSpeedup,
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 1, max: 6 }),
  ])(
    'snapshot → restore (through JSON) gives the same future proposals as continuing, also in the middle of a generation',
    ({ space, costProfile }, size, seed, minSpeedup, batch, r1, r2) => {
      const a = createGenerationalSearcher({ name: 'random-generations', makeGeneration: randomGenerations(size).makeGeneration });
      const first = driveSearcher(a, { space, costProfile, seed, minSpeedup, rounds: r1, batch });
      const snap = JSON.parse(JSON.stringify(a.snapshot!())) as GenerationalSnapshot;
      const b = createGenerationalSearcher({ name: 'random-generations', makeGeneration: randomGenerations(size).makeGeneration });
      b.restore!(snap);
      expect(b.snapshot!()).toEqual(snap);
      const state = first.rng.state();
      const contA = driveSearcher(a, { space, costProfile, rng: createRng(state), minSpeedup, rounds: r2, batch, history: first.history });
      const contB = driveSearcher(b, { space, costProfile, rng: createRng(state), minSpeedup, rounds: r2, batch, history: first.history });
      expect(contB.proposed).toEqual(contA.proposed);
      expect(b.snapshot!()).toEqual(a.snapshot!());
    },
  );

  fcTest.prop([arbProblem, fc.integer({ min: 2, max: 9 }), fc.integer(), fc.integer({ min: 1, max: 4 })])(
    'drops queued candidates that were tried meanwhile or miss the constraint',
    ({ space, costProfile }, size, seed, batch) => {
      const gen = randomGenerations(size);
      const searcher = createGenerationalSearcher({ name: 'random-generations', makeGeneration: gen.makeGeneration });
      const first = driveSearcher(searcher, { space, costProfile, seed, rounds: 1, batch });
      const queued = snapshotOf(searcher).queue;
      fc.pre(queued.length > 0);
      // another process evaluated the first queued candidate; the constraint now excludes the most expensive ones
      const costs = queued.map((k) => scheduleCost(k, costProfile).speedup);
      const minSpeedup = Math.max(...costs) > Math.min(...costs) ? Math.max(...costs) : 1;
      const extra: Trial = { ...first.history[0]!, number: first.history.length, schedule: queued[0]! };
      const history = [...first.history, extra];
      const expected = queued.slice(1).filter((k) => scheduleCost(k, costProfile).speedup >= minSpeedup);
      fc.pre(expected.length > 0);
      const next = driveSearcher(searcher, { space, costProfile, rng: first.rng, minSpeedup, rounds: 1, batch: queued.length, history });
      expect(next.proposed).toEqual(expected);
      expect(snapshotOf(searcher).generation).toBe(1);
    },
  );
});

describe('createGenerationalSearcher: behaviour', () => {
  const space = createSearchSpace({ steps: 6, segmentLengths: [2, 3], branches: 1 });
  const costProfile = { fullMacs: 10, partialMacs: [4] };

  it('is frozen, named, and starts with an empty snapshot', () => {
    const s = createGenerationalSearcher({ name: 'g', makeGeneration: () => [] });
    expect(s.name).toBe('g');
    expect(Object.isFrozen(s)).toBe(true);
    expect(s.tell).toBeUndefined();
    expect(s.snapshot!()).toEqual({ version: 1, generation: 0, queue: [] });
  });

  it('asks for nothing when count ≤ 0, and returns frozen batches', () => {
    let calls = 0;
    const members = [...space.enumerate()];
    const s = createGenerationalSearcher({
      name: 'g',
      makeGeneration: () => {
        calls++;
        return members.slice(0, 3);
      },
    });
    const ctx: SearchContext = {
      space,
      history: [],
      rng: createRng(1),
      minSpeedup: 1,
      cost: (x) => scheduleCost(x, costProfile),
    };
    expect(s.ask(ctx, 0)).toEqual([]);
    expect(s.ask(ctx, -2)).toEqual([]);
    expect(calls).toBe(0);
    const batch = s.ask(ctx, 2);
    expect(batch.map(formatSchedule)).toEqual(members.slice(0, 2).map(formatSchedule));
    expect(Object.isFrozen(batch)).toBe(true);
    expect(s.snapshot!()).toEqual({ version: 1, generation: 1, queue: [formatSchedule(members[2]!)] });
  });

  it('an empty generation ends the search but still counts; the next ask makes another', () => {
    const sizes = [0, 2];
    const s = createGenerationalSearcher({
      name: 'g',
      makeGeneration: (ctx) => [...ctx.space.enumerate()].slice(ctx.history.length, ctx.history.length + (sizes.shift() ?? 0)),
    });
    expect(driveSearcher(s, { space, costProfile, rounds: 3, batch: 4 }).done).toBe(true);
    expect(snapshotOf(s).generation).toBe(1);
    expect(driveSearcher(s, { space, costProfile, rounds: 1, batch: 4 }).proposed).toHaveLength(2);
    expect(snapshotOf(s).generation).toBe(2);
  });

  it('drops queued candidates that are not members of the space asked about', () => {
    const s = createGenerationalSearcher({ name: 'g', makeGeneration: () => [] });
    s.restore!({ version: 1, generation: 1, queue: ['F N | F N | F N', 'F N N | F N N', 'F P0 | F N | F N'] });
    const thirds = createSearchSpace({ steps: 6, segmentLengths: [3], branches: 1 });
    expect(driveSearcher(s, { space: thirds, costProfile, rounds: 1, batch: 3 }).proposed).toEqual(['F N N | F N N']);
    expect(s.snapshot!()).toEqual({ version: 1, generation: 1, queue: [] });
  });

  it('lets an error of makeGeneration through, with the queue empty and the count unchanged', () => {
    const boom = new ScheduleError('invalid-option', 'no generation');
    const s = createGenerationalSearcher({
      name: 'g',
      makeGeneration: () => {
        throw boom;
      },
    });
    s.restore!({ version: 1, generation: 2, queue: ['F N | F N | F N'] });
    // the queued candidate is tried already: it is dropped, then makeGeneration throws
    const history: Trial[] = [
      { number: 0, schedule: 'F N | F N | F N', state: 'complete', objective: 1, cost: { macs: 30, speedup: 2 }, durationMs: 0 },
    ];
    expect(() => driveSearcher(s, { space, costProfile, rounds: 1, batch: 1, history })).toThrow(boom);
    expect(s.snapshot!()).toEqual({ version: 1, generation: 2, queue: [] });
  });

  it('restores a snapshot and refuses anything else, naming the searcher', () => {
    const s = createGenerationalSearcher({ name: 'my-evo', makeGeneration: () => [] });
    s.restore!({ version: 1, generation: 3, queue: ['F N | F N', 'F F N'] });
    expect(s.snapshot!()).toEqual({ version: 1, generation: 3, queue: ['F N | F N', 'F F N'] });
    expect(parseSchedule(snapshotOf(s).queue[0]!).segments).toHaveLength(2);
    const bad: unknown[] = [
      null,
      5,
      'x',
      { version: 2, generation: 0, queue: [] },
      { version: 1, generation: -1, queue: [] },
      { version: 1, generation: 1.5, queue: [] },
      { version: 1, generation: 0 },
      { version: 1, generation: 0, queue: 'F N' },
      { version: 1, generation: 0, queue: ['F X'] },
      { version: 1, generation: 0, queue: [3] },
    ];
    for (const state of bad) {
      let caught: unknown;
      try {
        s.restore!(state);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ScheduleError);
      expect((caught as ScheduleError).code).toBe('invalid-option');
      expect((caught as ScheduleError).message).toMatch(
        /^Invalid my-evo searcher state .*: expected \{ version: 1, generation: integer >= 0/,
      );
    }
    // a refused state leaves the searcher as it was
    expect(s.snapshot!()).toEqual({ version: 1, generation: 3, queue: ['F N | F N', 'F F N'] });
  });

  it('rejects bad options with invalid-option', () => {
    const cases: [unknown, RegExp][] = [
      [{ name: '', makeGeneration: () => [] }, /Invalid searcher name "": expected a non-empty string/],
      [{ name: 3, makeGeneration: () => [] }, /Invalid searcher name 3/],
      [{ name: 'g' }, /Invalid makeGeneration undefined: expected a function/],
      [undefined, /Invalid searcher name undefined/],
    ];
    for (const [o, re] of cases) {
      let caught: unknown;
      try {
        createGenerationalSearcher(o as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ScheduleError);
      expect((caught as ScheduleError).code).toBe('invalid-option');
      expect((caught as ScheduleError).message).toMatch(re);
    }
  });
});
