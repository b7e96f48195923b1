import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  ScheduleError,
  createSchedule,
  deepCacheSchedule,
  formatSchedule,
  fullSchedule,
  fullStep,
  nullStep,
  partialStep,
  scheduleCost,
  scheduleSteps,
  uniformSchedule,
  type Step,
} from '../src/index.js';
import { arbCostProfile, arbSchedule } from '../src/testing/index.js';

const profile = { fullMacs: 100, partialMacs: [25, 50, 75] };

describe('scheduleCost', () => {
  it('sums MACs per step kind', () => {
    const c = scheduleCost('F P0 N | F P2 N', profile);
    expect(c.macs).toBe(100 + 25 + 100 + 75);
    expect(c.speedup).toBeCloseTo(600 / 300, 12);
    expect(c.counts).toEqual({ full: 2, partial: 2, null: 2 });
  });
  it('the teacher has speed-up 1', () => {
    expect(scheduleCost(fullSchedule(50), profile)).toMatchObject({ macs: 5000, speedup: 1 });
  });
  it('rejects bad profiles and branches without a cost', () => {
    expect(() => scheduleCost('F', { fullMacs: 0, partialMacs: [] })).toThrow(/fullMacs 0/);
    expect(() => scheduleCost('F', { fullMacs: 10, partialMacs: [11] })).toThrow(/partialMacs\[0\] = 11/);
    const e = (() => {
      try {
        scheduleCost('F P3', profile);
      } catch (err) {
        return err as ScheduleError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('branch-out-of-range');
  });

  it('fixedMacs counts the same per-sample cost on both sides of the speed-up', () => {
    const c = scheduleCost('F P0 N | F P2 N', { ...profile, fixedMacs: 60 });
    expect(c.macs).toBe(300 + 60);
    expect(c.speedup).toBeCloseTo((600 + 60) / 360, 12);
    expect(scheduleCost(fullSchedule(50), { ...profile, fixedMacs: 1e6 }).speedup).toBe(1);
    expect(() => scheduleCost('F', { ...profile, fixedMacs: -1 })).toThrow(/fixedMacs -1: expected a finite number >= 0/);
    expect(() => scheduleCost('F', { ...profile, fixedMacs: Number.NaN })).toThrow(/fixedMacs NaN/);
  });

  fcTest.prop([arbSchedule({ branches: 3 }), arbCostProfile(3), fc.double({ min: 0, max: 1e4, noNaN: true })])(
    'fixedMacs pulls the speed-up toward 1 and matches the whole-pipeline ratio',
    (s, prof, fixed) => {
      const loop = scheduleCost(s, prof);
      const whole = scheduleCost(s, { ...prof, fixedMacs: fixed });
      const T = scheduleSteps(s).length;
      // independent reference: teacher pipeline MACs over candidate pipeline MACs
      expect(whole.speedup).toBeCloseTo((T * prof.fullMacs + fixed) / (loop.macs + fixed), 9);
      expect(Math.abs(whole.macs - (loop.macs + fixed))).toBeLessThanOrEqual(1e-12 * (loop.macs + fixed));
      expect(whole.speedup).toBeGreaterThanOrEqual(1 - 1e-12);
      expect(whole.speedup).toBeLessThanOrEqual(loop.speedup * (1 + 1e-12));
      expect(scheduleCost(s, { ...prof, fixedMacs: 0 })).toEqual(loop);
    },
  );

  const cheaper = (st: Step): Step[] =>
    st.kind === 'full'
      ? [nullStep(), ...[0, 1, 2].map((b) => partialStep(b))]
      : st.kind === 'partial'
        ? [nullStep(), ...Array.from({ length: st.branch }, (_, b) => partialStep(b))]
        : [];

  fcTest.prop([arbSchedule({ branches: 3 }), arbCostProfile(3), fc.nat(), fc.nat()])(
    'is monotone: replacing a step by a cheaper kind never raises the cost',
    (s, prof, at, pick) => {
      const steps = [...scheduleSteps(s)];
      const i = at % steps.length;
      const options = cheaper(steps[i]!).filter((c) => i > 0 || c.kind === 'full'); // keep a valid first step
      if (options.length === 0) return;
      steps[i] = options[pick % options.length]!;
      const L = s.segments[0]!.length;
      const segs: Step[][] = [];
      for (let k = 0; k < steps.length; k += L) segs.push(steps.slice(k, k + L));
      const t = createSchedule(segs);
      expect(scheduleCost(t, prof).macs).toBeLessThanOrEqual(scheduleCost(s, prof).macs);
      expect(scheduleCost(t, prof).speedup).toBeGreaterThanOrEqual(scheduleCost(s, prof).speedup);
    },
  );
});

describe('baselines', () => {
  it('uniformSchedule spaces k full steps evenly', () => {
    expect(formatSchedule(uniformSchedule(6, 3))).toBe('F N | F N | F N');
    expect(formatSchedule(uniformSchedule(5, 2))).toBe('F N F N N');
    expect(scheduleCost(uniformSchedule(50, 10), profile).speedup).toBe(5);
    expect(() => uniformSchedule(5, 6)).toThrow(/k 6: expected an integer in 1\.\.5/);
  });
  it('deepCacheSchedule puts a full step every N steps', () => {
    expect(formatSchedule(deepCacheSchedule(6, 3, 1))).toBe('F P1 P1 | F P1 P1');
    expect(formatSchedule(deepCacheSchedule(5, 2, 0))).toBe('F P0 F P0 F');
    expect(scheduleSteps(deepCacheSchedule(50, 5, 2)).filter((s) => s.kind === 'full')).toHaveLength(10);
    expect(() => deepCacheSchedule(10, 0, 0)).toThrow(ScheduleError);
  });
  fcTest.prop([fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 })])(
    'uniformSchedule(T, k) has exactly k full steps and starts full',
    (T, k0) => {
      const k = ((k0 - 1) % T) + 1;
      const steps = scheduleSteps(uniformSchedule(T, k));
      expect(steps).toHaveLength(T);
      expect(steps[0]).toEqual(fullStep());
      expect(steps.filter((s) => s.kind === 'full')).toHaveLength(k);
    },
  );
});
