import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  ScheduleError,
  createSchedule,
  formatSchedule,
  fullStep,
  nullStep,
  parseSchedule,
  partialStep,
  scheduleLength,
  segmentLength,
  validateSchedule,
} from '../src/index.js';
import { arbSchedule } from '../src/testing/index.js';

function errorOf(fn: () => unknown): ScheduleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ScheduleError);
    return e as ScheduleError;
  }
  throw new Error('expected a ScheduleError');
}

describe('parseSchedule / formatSchedule', () => {
  it('parses the example of the issue', () => {
    const s = parseSchedule('F P1 P1 N N | F P0 N N N');
    expect(scheduleLength(s)).toBe(10);
    expect(segmentLength(s)).toBe(5);
    expect(s.segments[0]).toEqual([fullStep(), partialStep(1), partialStep(1), nullStep(), nullStep()]);
    expect(s.segments[1]![1]).toEqual({ kind: 'partial', branch: 0 });
    expect(Object.isFrozen(s) && Object.isFrozen(s.segments) && Object.isFrozen(s.segments[0])).toBe(true);
  });

  it('accepts tokens without spaces and extra whitespace', () => {
    expect(formatSchedule(parseSchedule('FP1P1NN|FP0NNN'))).toBe('F P1 P1 N N | F P0 N N N');
    expect(formatSchedule(parseSchedule('  F\tP12 \n N|F N  N  '))).toBe('F P12 N | F N N');
  });

  fcTest.prop([arbSchedule({ branches: 4 })])('round-trips: parse(format(s)) equals s', (s) => {
    const text = formatSchedule(s);
    expect(parseSchedule(text)).toEqual(s);
    expect(formatSchedule(parseSchedule(text))).toBe(text);
  });

  fcTest.prop([arbSchedule({ branches: 4 })])('round-trips through the compact form without spaces', (s) => {
    const compact = formatSchedule(s).replace(/ /g, '');
    expect(parseSchedule(compact)).toEqual(s);
  });

  fcTest.prop([arbSchedule({ branches: 3 })])('validateSchedule accepts the object and its text alike', (s) => {
    const a = validateSchedule(s);
    const b = validateSchedule(formatSchedule(s));
    expect(a).toEqual({ ok: true, value: s });
    expect(b).toEqual({ ok: true, value: s });
  });
});

describe('validation errors', () => {
  it('empty text', () => {
    const e = errorOf(() => parseSchedule('   '));
    expect(e.code).toBe('empty');
    expect(validateSchedule('')).toMatchObject({ ok: false, issues: [{ code: 'empty' }] });
  });

  it('unknown token, with its position and text offset', () => {
    const e = errorOf(() => parseSchedule('F P1 X N | F N N N'));
    expect(e.code).toBe('unknown-token');
    expect(e.issues[0]!.position).toEqual({ segment: 0, step: 2, index: 2, offset: 5 });
    expect(e.message).toContain('"X"');
    expect(e.message).toContain('offset 5');
  });

  it('lower-case tokens get a hint', () => {
    const e = errorOf(() => parseSchedule('f n'));
    expect(e.code).toBe('unknown-token');
    expect(e.message).toMatch(/upper-case/);
  });

  it('P without a branch or with a leading zero', () => {
    expect(errorOf(() => parseSchedule('F P N')).code).toBe('unknown-token');
    expect(errorOf(() => parseSchedule('F P01 N')).code).toBe('unknown-token');
  });

  it('unequal segment lengths name the segment', () => {
    const e = errorOf(() => parseSchedule('F N N | F N | F N N'));
    expect(e.code).toBe('unequal-segments');
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]!.position).toMatchObject({ segment: 1, offset: 7 });
    expect(e.message).toContain('Segment 1 has 2 steps but segment 0 has 3');
  });

  it('an empty segment', () => {
    const e = errorOf(() => parseSchedule('F N | | F N'));
    expect(e.issues.map((i) => i.code)).toContain('empty-segment');
  });

  it('a schedule that does not start with F', () => {
    const e = errorOf(() => parseSchedule('N F | F N'));
    expect(e.code).toBe('must-start-with-full');
    expect(e.issues[0]!.position).toEqual({ segment: 0, step: 0, index: 0, offset: 0 });
  });

  it('a partial step with no earlier full step', () => {
    const e = errorOf(() => parseSchedule('P0 F | F N'));
    expect(e.code).toBe('partial-before-full');
    expect(e.issues[0]!.position).toMatchObject({ index: 0 });
  });

  it('a branch index out of range for a given model', () => {
    const r = validateSchedule('F P1 | F P3', { branches: 3 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]).toMatchObject({ code: 'branch-out-of-range', position: { segment: 1, step: 1, index: 3, offset: 9 } });
      expect(r.issues[0]!.message).toContain('valid: 0..2');
    }
    expect(validateSchedule('F P2', { branches: 3 }).ok).toBe(true);
  });

  it('collects several issues at once', () => {
    const r = validateSchedule('F P7 N | F N', { branches: 2 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.code).sort()).toEqual(['branch-out-of-range', 'unequal-segments']);
  });

  it('rejects malformed objects without throwing', () => {
    expect(validateSchedule(null)).toMatchObject({ ok: false, issues: [{ code: 'invalid-schedule' }] });
    expect(validateSchedule({ segments: [] })).toMatchObject({ ok: false, issues: [{ code: 'empty' }] });
    expect(validateSchedule({ segments: [[{ kind: 'full' }, { kind: 'half' }]] })).toMatchObject({
      ok: false,
      issues: [{ code: 'invalid-step', position: { index: 1 } }],
    });
    expect(validateSchedule({ segments: [[{ kind: 'full' }, { kind: 'partial', branch: -1 }]] })).toMatchObject({
      ok: false,
      issues: [{ code: 'invalid-step' }],
    });
  });

  it('createSchedule throws with every issue', () => {
    const e = errorOf(() => createSchedule([[nullStep(), nullStep()], [fullStep()]]));
    expect(e.issues.map((i) => i.code)).toEqual(['must-start-with-full', 'unequal-segments']);
  });

  fcTest.prop([fc.string()])('never throws anything but ScheduleError on arbitrary text', (text) => {
    const r = validateSchedule(text);
    if (r.ok) expect(parseSchedule(formatSchedule(r.value))).toEqual(r.value);
    else {
      expect(r.issues.length).toBeGreaterThan(0);
      expect(() => parseSchedule(text)).toThrow(ScheduleError);
    }
  });
});
