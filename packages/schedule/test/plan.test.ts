import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  ScheduleError,
  TIMESTEP_GRIDS,
  TIMESTEP_SPACINGS,
  formatSchedule,
  fullSchedule,
  leadingTimesteps,
  planSchedule,
  scheduleSteps,
  schedulerTimesteps,
  uniformSchedule,
  type PlanOptions,
} from '../src/index.js';
import { arbSchedule } from '../src/testing/index.js';

describe('leadingTimesteps', () => {
  it("matches diffusers' DDIM leading spacing", () => {
    // diffusers: step_ratio = 1000 // 50 = 20; (np.arange(0, 50) * 20).round()[::-1]
    expect(leadingTimesteps(50)).toEqual(Array.from({ length: 50 }, (_, i) => (49 - i) * 20));
    expect(leadingTimesteps(3, 1000)).toEqual([666, 333, 0]);
    expect(leadingTimesteps(7, 1000)[0]).toBe(6 * 142);
  });
  it('rejects bad step counts', () => {
    expect(() => leadingTimesteps(0)).toThrow(ScheduleError);
    expect(() => leadingTimesteps(1001, 1000)).toThrow(/1\.\.1000/);
    expect(() => leadingTimesteps(10, 0)).toThrow(/trainTimesteps/);
  });
});

describe('planSchedule', () => {
  it('skips null steps and jumps to the next evaluated timestep', () => {
    const plan = planSchedule('F P0 N | F N N', { trainTimesteps: 1000 });
    expect(plan.timesteps).toEqual([830, 664, 498, 332, 166, 0]);
    expect(plan.steps.map((s) => [s.index, s.kind, s.branch, s.timestep, s.nextTimestep, s.cacheFrom])).toEqual([
      [0, 'full', null, 830, 664, null],
      [1, 'partial', 0, 664, 332, 0],
      [3, 'full', null, 332, -1, null],
    ]);
    expect(plan.evaluations).toBe(3);
  });

  it("reuses the last prediction in 'reuse' mode", () => {
    const plan = planSchedule('F P0 N | F N N', { nullMode: 'reuse' });
    expect(plan.steps.map((s) => [s.index, s.kind, s.evaluate, s.nextTimestep, s.reuseFrom])).toEqual([
      [0, 'full', true, 664, null],
      [1, 'partial', true, 498, null],
      [2, 'null', false, 332, 1],
      [3, 'full', true, 166, null],
      [4, 'null', false, 0, 3],
      [5, 'null', false, -1, 3],
    ]);
    expect(plan.evaluations).toBe(3);
  });

  it('a uniform schedule is DDIM on the sub-sequence', () => {
    const plan = planSchedule(uniformSchedule(50, 10));
    expect(plan.steps.map((s) => s.timestep)).toEqual([980, 880, 780, 680, 580, 480, 380, 280, 180, 80]);
    expect(plan.steps.at(-1)!.nextTimestep).toBe(-1);
  });

  it('rejects an unknown null mode and too many steps', () => {
    expect(() => planSchedule('F N', { nullMode: 'drop' as never })).toThrow(/"skip", "reuse"/);
    expect(() => planSchedule('F N N', { trainTimesteps: 2 })).toThrow(ScheduleError);
  });

  fcTest.prop([arbSchedule({ branches: 3, maxSegmentLength: 8, maxSegments: 8 }), fc.constantFrom('skip', 'reuse' as const)])(
    'never reads a cache that no earlier full step wrote',
    (s, nullMode) => {
      const steps = scheduleSteps(s);
      const plan = planSchedule(s, { nullMode });
      for (const p of plan.steps) {
        if (p.kind === 'partial') {
          expect(p.cacheFrom).not.toBeNull();
          expect(p.cacheFrom!).toBeLessThan(p.index);
          expect(steps[p.cacheFrom!]!.kind).toBe('full');
          // it is the latest full step before it
          for (let i = p.cacheFrom! + 1; i < p.index; i++) expect(steps[i]!.kind).not.toBe('full');
        }
        if (p.kind === 'null') {
          expect(p.reuseFrom!).toBeLessThan(p.index);
          expect(steps[p.reuseFrom!]!.kind).not.toBe('null');
        }
      }
    },
  );

  fcTest.prop([arbSchedule({ branches: 3, maxSegmentLength: 8, maxSegments: 8 }), fc.integer({ min: 64, max: 2000 })])(
    "with 'skip' the evaluated timesteps are strictly decreasing and chain to -1",
    (s, trainTimesteps) => {
      const plan = planSchedule(s, { trainTimesteps });
      const ts = plan.steps.map((p) => p.timestep);
      for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeLessThan(ts[i - 1]!);
      plan.steps.forEach((p, i) => expect(p.nextTimestep).toBe(plan.steps[i + 1]?.timestep ?? -1));
      expect(plan.steps.every((p) => p.kind !== 'null' && p.evaluate)).toBe(true);
      expect(plan.steps.length).toBe(scheduleSteps(s).filter((x) => x.kind !== 'null').length);
      expect(plan.steps[0]!.timestep).toBe(plan.timesteps[0]);
    },
  );

  fcTest.prop([arbSchedule({ branches: 2 })])("with 'reuse' every step is updated once, in order", (s) => {
    const plan = planSchedule(formatSchedule(s), { nullMode: 'reuse' });
    expect(plan.steps.map((p) => p.index)).toEqual(plan.timesteps.map((_, i) => i));
    plan.steps.forEach((p, i) => expect(p.timestep).toBe(plan.timesteps[i]));
  });
});

describe('schedulerTimesteps', () => {
  // the expected lists are diffusers' set_timesteps as numpy computes them (tools/scheduler-fixtures
  // checks every T of 1..1000 against numpy; these are the readable cases)
  it("is DDIMScheduler's set_timesteps for each spacing", () => {
    expect(schedulerTimesteps(10, { stepsOffset: 1 })).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(schedulerTimesteps(4, { timestepSpacing: 'trailing' })).toEqual([999, 749, 499, 249]);
    expect(schedulerTimesteps(7, { timestepSpacing: 'trailing' })).toEqual([999, 856, 713, 570, 428, 285, 142]);
    expect(schedulerTimesteps(10, { timestepSpacing: 'linspace' })).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    // linspace(0, 999, 3) = 0, 499.5, 999 and numpy rounds half to even: 500
    expect(schedulerTimesteps(3, { timestepSpacing: 'linspace' })).toEqual([999, 500, 0]);
    // steps_offset applies to leading spacing only, as in diffusers
    expect(schedulerTimesteps(4, { timestepSpacing: 'trailing', stepsOffset: 1 })).toEqual([999, 749, 499, 249]);
  });

  it("is DPMSolverMultistepScheduler's set_timesteps on the 'dpm-solver' grid", () => {
    // leading: ratio 1000 // (T + 1); linspace: T + 1 points, the last (0) dropped
    expect(schedulerTimesteps(6, { grid: 'dpm-solver' })).toEqual([852, 710, 568, 426, 284, 142]);
    expect(schedulerTimesteps(6, { grid: 'dpm-solver', stepsOffset: 1 })).toEqual([853, 711, 569, 427, 285, 143]);
    expect(schedulerTimesteps(4, { grid: 'dpm-solver', timestepSpacing: 'linspace' })).toEqual([999, 749, 500, 250]);
    expect(schedulerTimesteps(4, { grid: 'dpm-solver', timestepSpacing: 'trailing' })).toEqual([999, 749, 499, 249]);
  });

  it('refuses settings for which diffusers gives no valid T timesteps, saying why', () => {
    expect(() => schedulerTimesteps(61, { timestepSpacing: 'trailing' })).toThrow(/gives 62 timesteps, not 61/);
    expect(() => schedulerTimesteps(1000, { stepsOffset: 1 })).toThrow(/timestep 0 would be 1000, outside 0\.\.999/);
    expect(() => schedulerTimesteps(1000, { grid: 'dpm-solver' })).toThrow(/not below the one before it/);
    expect(() => schedulerTimesteps(10, { timestepSpacing: 'bogus' as never })).toThrow(/"leading", "trailing", "linspace"/);
    expect(() => schedulerTimesteps(10, { stepsOffset: -1 })).toThrow(/stepsOffset -1: expected an integer >= 0/);
    expect(() => schedulerTimesteps(10, { grid: 'pndm' as never })).toThrow(/"ddim", "dpm-solver"/);
    for (const f of [() => schedulerTimesteps(61, { timestepSpacing: 'trailing' }), () => planSchedule('F N', { stepsOffset: 0.5 })]) {
      expect(f).toThrow(ScheduleError);
    }
  });
});

describe('planSchedule with scheduler settings', () => {
  it("follows diffusers' DDIM prev_timestep = t - train // T, even where it is not the next timestep", () => {
    // linspace, T = 10: timesteps 999, 888, …; DDIM steps from 999 to 899, then evaluates at 888
    const plan = planSchedule(fullSchedule(10), { timestepSpacing: 'linspace' });
    expect(plan.steps.map((p) => p.nextTimestep)).toEqual([899, 788, 677, 566, 455, 344, 233, 122, 11, -1]);
    // trailing, T = 15 (15 does not divide 1000): the last update lands on 66 - 66 = 0, not the end
    const t15 = planSchedule(fullSchedule(15), { timestepSpacing: 'trailing' });
    expect(t15.steps.at(-1)).toMatchObject({ timestep: 66, nextTimestep: 0 });
  });

  it('skips null steps to where the full loop would stand before the next evaluated step', () => {
    const plan = planSchedule('F N N F N', { timestepSpacing: 'trailing' });
    expect(plan.timesteps).toEqual([999, 799, 599, 399, 199]);
    expect(plan.steps.map((p) => [p.timestep, p.nextTimestep])).toEqual([
      [999, 399],
      [399, -1],
    ]);
    const dpm = planSchedule('F N F', { grid: 'dpm-solver' });
    expect(dpm.steps.map((p) => [p.timestep, p.nextTimestep])).toEqual([
      [750, 250],
      [250, -1],
    ]);
    expect(dpm).toMatchObject({ grid: 'dpm-solver', timestepSpacing: 'leading', stepsOffset: 0 });
  });

  const settings = fc.record(
    {
      timestepSpacing: fc.constantFrom(...TIMESTEP_SPACINGS),
      stepsOffset: fc.integer({ min: 0, max: 3 }),
      grid: fc.constantFrom(...TIMESTEP_GRIDS),
      trainTimesteps: fc.integer({ min: 64, max: 2000 }),
      nullMode: fc.constantFrom('skip' as const, 'reuse' as const),
    },
    { requiredKeys: [] },
  );

  fcTest.prop([arbSchedule({ branches: 3, maxSegmentLength: 8, maxSegments: 8 }), settings])(
    'every spacing, offset and grid: decreasing timesteps in range, chained targets, the right counts',
    (s, options: PlanOptions) => {
      const T = scheduleSteps(s).length;
      const train = options.trainTimesteps ?? 1000;
      let plan: ReturnType<typeof planSchedule>;
      try {
        plan = planSchedule(s, options);
      } catch (e) {
        // only where diffusers itself has no T valid timesteps
        expect(e).toBeInstanceOf(ScheduleError);
        expect(() => schedulerTimesteps(T, options)).toThrow(/No valid timesteps/);
        return;
      }
      expect(plan.timesteps).toEqual(schedulerTimesteps(T, options));
      expect(plan.totalSteps).toBe(T);
      expect(plan.timesteps.length).toBe(T);
      plan.timesteps.forEach((t, i) => {
        expect(t).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThanOrEqual(train - 1);
        if (i > 0) expect(t).toBeLessThan(plan.timesteps[i - 1]!);
      });
      const kept = scheduleSteps(s).filter((x) => options.nullMode === 'reuse' || x.kind !== 'null').length;
      expect(plan.steps.length).toBe(kept);
      expect(plan.evaluations).toBe(scheduleSteps(s).filter((x) => x.kind !== 'null').length);
      const exact = (options.grid ?? 'ddim') === 'dpm-solver' || (options.timestepSpacing ?? 'leading') === 'leading';
      plan.steps.forEach((p, k) => {
        expect(p.timestep).toBe(plan.timesteps[p.index]);
        expect(p.nextTimestep).toBeLessThan(p.timestep);
        expect(p.nextTimestep).toBeGreaterThanOrEqual(-1);
        const next = plan.steps[k + 1];
        if (next) {
          // the update lands at or above the next evaluated timestep; exactly on it where diffusers does
          expect(p.nextTimestep).toBeGreaterThanOrEqual(next.timestep);
          if (exact) expect(p.nextTimestep).toBe(next.timestep);
        } else if ((options.grid ?? 'ddim') === 'dpm-solver') {
          expect(p.nextTimestep).toBe(-1);
        }
      });
    },
  );
});
