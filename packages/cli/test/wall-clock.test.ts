import { fullSchedule, scheduleSteps, type Schedule } from '@flexiffusion/schedule';
import { describe, expect, it } from 'vitest';
import type { PoolRequest } from '../src/internal/generator-pool.js';
import { measureWallClock, wallClockOf } from '../src/internal/wall-clock.js';

/**
 * A stand-in pool on a fake clock: a generation costs 10 ms per full step and 3 ms per partial one
 * per sample, plus `extra(call)` (the warm-up's slowness, a round's noise). It records the calls.
 */
function fakePool(extra: (call: number) => number = () => 0) {
  let clock = 0;
  const calls: { schedule: string; sampler: PoolRequest['sampler']; seeds: number }[] = [];
  const cost = (s: Schedule) =>
    scheduleSteps(s).reduce((ms, step) => ms + (step.kind === 'full' ? 10 : step.kind === 'partial' ? 3 : 0), 0);
  return {
    calls,
    now: () => clock,
    pool: {
      async generate(req: PoolRequest) {
        clock += cost(req.schedule) * req.seeds.length + extra(calls.length);
        calls.push({
          schedule: scheduleSteps(req.schedule)
            .map((s) => s.kind[0])
            .join(''),
          sampler: req.sampler,
          seeds: req.seeds.length,
        });
        return { samples: new Float32Array(0), shape: [0, 0, 0, 0] as const };
      },
    },
  };
}

describe('measureWallClock', () => {
  it('times the teacher and each row alternately, best of the rounds, after one warm-up', async () => {
    // the warm-up (call 0) is slow; round 1 (calls 1–3) is noisier than round 2 (calls 4–6)
    const f = fakePool((call) => (call === 0 ? 10_000 : call <= 3 ? 7 : 0));
    const wall = await measureWallClock(f.pool, {
      rows: [
        { label: 'best', schedule: 'F N | F N' },
        { label: 'DeepCache', schedule: 'F P0 | F P0' },
      ],
      teacher: fullSchedule(4),
      teacherSampler: 'ddim',
      seeds: [0, 1],
      rounds: 2,
      now: f.now,
    });
    // warm-up, then per round: the teacher, then every row
    expect(f.calls.map((c) => c.schedule)).toEqual(['fnfn', 'ffff', 'fnfn', 'fpfp', 'ffff', 'fnfn', 'fpfp']);
    expect(f.calls.map((c) => c.sampler)).toEqual([undefined, 'ddim', undefined, undefined, 'ddim', undefined, undefined]);
    expect(wall.samples).toBe(2);
    // the teacher: 4 full steps × 10 ms; the rows 20 and 26 ms per sample (round 2, the noise-free one)
    expect(wall.teacherMsPerSample).toBe(40);
    expect(wall.rows.map((r) => [r.label, r.msPerSample, r.wallSpeedup])).toEqual([
      ['best', 20, 2],
      ['DeepCache', 26, 80 / 52],
    ]);
    expect(Object.isFrozen(wall) && Object.isFrozen(wall.rows[0])).toBe(true);
  });

  it('reports progress for every timed generation, the warm-up included', async () => {
    const f = fakePool();
    const seen: [number, number][] = [];
    await measureWallClock(f.pool, {
      rows: [{ label: 'a', schedule: 'F N' }],
      teacher: fullSchedule(2),
      seeds: [0],
      rounds: 3,
      now: f.now,
      onProgress: (d, t) => seen.push([d, t]),
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7].map((d) => [d, 7]));
  });

  it('finds a row by its schedule in any spelling, and nothing for an untimed one', async () => {
    const f = fakePool();
    const wall = await measureWallClock(f.pool, {
      rows: [{ label: 'a', schedule: 'F  N|F N' }],
      teacher: fullSchedule(4),
      seeds: [0],
      rounds: 1,
      now: f.now,
    });
    expect(wall.rows[0]!.schedule).toBe('F N | F N');
    expect(wallClockOf(wall, 'F N | F N')?.label).toBe('a');
    expect(wallClockOf(wall, 'F P0 | F N')).toBeUndefined();
    expect(wallClockOf(undefined, 'F N | F N')).toBeUndefined();
  });

  it('rejects no seeds and a bad round count, and passes the pool errors on', async () => {
    const f = fakePool();
    const base = { rows: [{ label: 'a', schedule: 'F N' }], teacher: fullSchedule(2), now: f.now };
    await expect(measureWallClock(f.pool, { ...base, seeds: [], rounds: 1 })).rejects.toThrow(/no seeds/);
    await expect(measureWallClock(f.pool, { ...base, seeds: [0], rounds: 0 })).rejects.toThrow(/rounds 0, expected a whole number ≥ 1/);
    await expect(measureWallClock(f.pool, { ...base, seeds: [0], rounds: 1.5 })).rejects.toThrow(RangeError);
    const failing = { generate: async () => Promise.reject(new Error('aborted')) };
    await expect(measureWallClock(failing, { ...base, seeds: [0], rounds: 1 })).rejects.toThrow('aborted');
  });
});
