import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { ScheduleError, formatSchedule, scheduleCost, scheduleLength, scheduleSteps } from '@flexiffusion/schedule';
import { baselineGrid } from '../src/index.js';

describe('baselineGrid', () => {
  it('gives DDIM-25/17/12/10 and DeepCache N = 2, 3, 5 × each branch for T = 50', () => {
    const grid = baselineGrid(50, { branches: 3 });
    expect(grid.map((b) => b.label)).toEqual([
      'DDIM-25',
      'DDIM-17',
      'DDIM-12',
      'DDIM-10',
      'DeepCache-N2-b0',
      'DeepCache-N2-b1',
      'DeepCache-N2-b2',
      'DeepCache-N3-b0',
      'DeepCache-N3-b1',
      'DeepCache-N3-b2',
      'DeepCache-N5-b0',
      'DeepCache-N5-b1',
      'DeepCache-N5-b2',
    ]);
    const costProfile = { fullMacs: 100, partialMacs: [15, 32, 60] };
    const ddim17 = grid[1]!;
    expect(ddim17.params).toEqual({ k: 17 });
    expect(scheduleCost(ddim17.schedule, costProfile).counts).toEqual({ full: 17, partial: 0, null: 33 });
    const dc = grid.find((b) => b.label === 'DeepCache-N5-b1')!;
    expect(dc.family).toBe('deepcache');
    expect(dc.params).toEqual({ interval: 5, branch: 1 });
    expect(formatSchedule(dc.schedule).startsWith('F P1 P1 P1 P1 | F P1')).toBe(true);
  });

  it('puts the teacher first when asked, and drops repeated schedules', () => {
    const grid = baselineGrid(6, { branches: 2, ddimSteps: [6, 3], intervals: [1, 2], teacher: true });
    expect(grid.map((b) => b.label)).toEqual(['DDIM-6', 'DDIM-3', 'DeepCache-N2-b0', 'DeepCache-N2-b1']);
    expect(grid[0]!.family).toBe('teacher');
  });

  fcTest.prop([fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 4 })])(
    'every baseline has T steps, labels and schedules are unique',
    (T, B) => {
      const grid = baselineGrid(T, { branches: B, teacher: true });
      for (const b of grid) expect(scheduleLength(b.schedule)).toBe(T);
      expect(new Set(grid.map((b) => b.label)).size).toBe(grid.length);
      expect(new Set(grid.map((b) => formatSchedule(b.schedule))).size).toBe(grid.length);
      for (const b of grid) {
        const steps = scheduleSteps(b.schedule);
        if (b.family === 'ddim') expect(steps.filter((s) => s.kind === 'full')).toHaveLength(b.params.k!);
        if (b.family === 'deepcache') expect(steps.filter((s) => s.kind === 'full')).toHaveLength(Math.ceil(T / b.params.interval!));
      }
    },
  );

  it('validates its options, naming the bad value and the valid range', () => {
    expect(() => baselineGrid(0, { branches: 1 })).toThrow(/Invalid steps 0: expected an integer >= 1/);
    expect(() => baselineGrid(50, { branches: -1 })).toThrow(/Invalid branches -1: expected an integer >= 0/);
    expect(() => baselineGrid(50, { branches: 1, ddimSteps: [51] })).toThrow(
      /Invalid ddimSteps \[51\]: expected an array of integers in 1\.\.50/,
    );
    expect(() => baselineGrid(50, { branches: 1, intervals: [0] })).toThrow(/Invalid intervals \[0\]/);
    expect(() => baselineGrid(50, { branches: 1, intervals: [0] })).toThrow(ScheduleError);
  });
});
