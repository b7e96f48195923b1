import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { ScheduleError, formatSchedule, leadingTimesteps, planSchedule, scheduleSteps, uniformSchedule } from '../src/index.js';
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
