import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatSchedule, parseSchedule, scheduleSteps, type Evaluator } from '@flexiffusion/schedule';
import { gitsSchedule, type GitsCostMatrix } from '@flexiffusion/search-grid';
import { gitsTeacher, onceGits, openSeeds, type GitsTeacher } from '../src/internal/gits.js';
import { openModel } from '../src/internal/model.js';
import { evaluateBaselines, type BaselineOptions } from '../src/internal/search-results.js';
import type { SearchSettings } from '../src/internal/search-folder.js';
import { tmp } from './helpers.js';

const T = 10;
const settings = (sampler: SearchSettings['sampler']): SearchSettings => ({
  model: 'fashion',
  searcher: 'evo',
  speedup: 1.5,
  samples: 6,
  teacherSteps: T,
  segmentLengths: [2, 5],
  form: 'paper',
  sampler,
  nullMode: 'skip',
  guidance: null,
  seed: 0,
  batchSize: 2,
  genBatch: 6,
});
const costProfile = { fullMacs: 100, partialMacs: [30, 60] };
// objective: the number of full steps, so every row completes
const evaluator: Evaluator = {
  evaluate: async (schedules) =>
    schedules.map((s) => ({
      ok: true as const,
      objective: scheduleSteps(s).filter((x) => x.kind === 'full').length,
      metrics: { rfid: 1 },
    })),
};
// jumps over more than one step cost their length squared, except those out of point 0: a path
// that jumps far at the start, then walks — not the uniform one
const costs: GitsCostMatrix = Array.from({ length: T + 1 }, (_, i) =>
  Array.from({ length: T + 1 }, (_, j) => (j <= i + 1 ? 0 : i === 0 ? 0 : (j - i) ** 2)),
);
const fullSteps = (s: string) => scheduleSteps(parseSchedule(s)).filter((x) => x.kind === 'full').length;

function teacher(costsOf: GitsTeacher['costs'] = async () => costs): GitsTeacher & { calls: number } {
  const t = {
    samples: 6,
    steps: T,
    calls: 0,
    costs: (o: Parameters<GitsTeacher['costs']>[0]) => {
      t.calls++;
      return costsOf(o);
    },
  };
  return t;
}

const options = (over: Partial<BaselineOptions>): BaselineOptions => ({
  settings: settings('ddim'),
  branches: 2,
  costProfile,
  evaluator,
  out: tmp(),
  which: 'near',
  signal: new AbortController().signal,
  ...over,
});

afterEach(() => vi.restoreAllMocks());

describe('evaluateBaselines: the GITS-k rows', () => {
  it('near: GITS-k at the k of the nearest uniform row, same speed-up, k full steps; a resumed run reads it back', async () => {
    const gits = teacher();
    const o = options({ gits });
    const rows = await evaluateBaselines(o);
    expect(rows.map((r) => r.label)).toEqual(['DDIM-5', expect.stringMatching(/^DeepCache-N\d+-b\d$/), 'GITS-5']);
    const [ddim, , g] = rows;
    expect(g!.speedup).toBe(ddim!.speedup);
    expect(fullSteps(g!.schedule)).toBe(5);
    // the DP's path, not the uniform one: one jump out of point 0, then single steps
    expect(g!.schedule).toBe('F N N N N N F F F F');
    expect(gits.calls).toBe(1);
    const again = await evaluateBaselines({ ...o, gits: teacher(() => Promise.reject(new Error('recorded again'))) });
    expect(again).toEqual(rows);
  });

  it('all: one GITS-k per uniform k, labelled after the search sampler', async () => {
    const rows = await evaluateBaselines(options({ which: 'all', settings: settings('dpmpp-2m'), gits: teacher() }));
    const uniform = rows.filter((r) => r.label.startsWith('DPM-Solver++-'));
    const gits = rows.filter((r) => r.label.startsWith('GITS-'));
    expect(uniform.map((r) => r.label)).toEqual(['DPM-Solver++-5', 'DPM-Solver++-3', 'DPM-Solver++-2']);
    expect(gits.map((r) => r.label)).toEqual(['GITS-5 + DPM-Solver++', 'GITS-3 + DPM-Solver++', 'GITS-2 + DPM-Solver++']);
    gits.forEach((r, i) => {
      expect(r.speedup).toBe(uniform[i]!.speedup);
      expect(fullSteps(r.schedule)).toBe([5, 3, 2][i]);
    });
  });

  it('a trajectory that cannot be recorded leaves the GITS row out with a one-line note; an abort is thrown', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      writes.push(String(s));
      return true;
    });
    const rows = await evaluateBaselines(
      options({ gits: teacher(() => Promise.reject(new Error('Invalid alphasCumprod[999] 0:\nexpected'))) }),
    );
    expect(rows.map((r) => r.label)).toEqual(['DDIM-5', expect.stringMatching(/^DeepCache-/)]);
    const notes = writes.filter((w) => w.includes('GITS baseline'));
    expect(notes).toEqual([
      'flexi search: the GITS baseline is left out: its teacher trajectory could not be recorded (Invalid alphasCumprod[999] 0: expected)\n',
    ]);
    const ctrl = new AbortController();
    const aborting = teacher(async () => {
      ctrl.abort();
      throw new Error('aborted');
    });
    await expect(evaluateBaselines(options({ signal: ctrl.signal, gits: aborting }))).rejects.toThrow('aborted');
  });

  it('none records nothing', async () => {
    const gits = teacher();
    expect(await evaluateBaselines(options({ which: 'none', gits }))).toEqual([]);
    expect(gits.calls).toBe(0);
  });
});

describe('gitsTeacher', () => {
  it("records the embedded model's DDIM teacher batch by batch: the matrix does not depend on the batch size", {
    timeout: 60_000,
  }, async () => {
    const model = await openModel('test', 'fashion', { device: 'cpu' });
    try {
      const seeds = [3, 4, 5, 6, 7, 8];
      const request = { teacherSteps: T, seeds, conditioning: { labels: [0, 1, 2, 3, 4, 5] } };
      const one = gitsTeacher(model, { ...request, batchSize: 6 });
      const three = gitsTeacher(model, { ...request, batchSize: 4 });
      expect([one.samples, one.steps, three.steps]).toEqual([6, T, 2 * T]);
      let steps = 0;
      const a = await one.costs({ signal: new AbortController().signal });
      const b = await three.costs({ signal: new AbortController().signal, onStep: (d) => (steps = d) });
      expect(steps).toBe(2 * T);
      expect(a).toHaveLength(T + 1);
      expect(a[0]![1]).toBe(0);
      expect(a[0]![T]).toBeGreaterThan(0);
      for (let i = 0; i <= T; i++) for (let j = i + 1; j <= T; j++) expect(b[i]![j]).toBeCloseTo(a[i]![j]!, 4);
      expect(gitsSchedule(b, 5)).toEqual(gitsSchedule(a, 5));
      const ctrl = new AbortController();
      ctrl.abort();
      await expect(one.costs({ signal: ctrl.signal })).rejects.toMatchObject({ code: 'aborted' });
    } finally {
      await model.dispose();
    }
  });
});

describe('openSeeds / onceGits', () => {
  afterEach(() => vi.restoreAllMocks());
  const signal = new AbortController().signal;

  it('GITS-k for the three k nearest below T / speedup, cut into the segment length; recorded once', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const g = teacher();
    const once = onceGits(g);
    const seeds = await openSeeds(once, { teacherSteps: T, speedup: 3, segmentLength: 2, signal });
    expect(seeds.map((s) => fullSteps(formatSchedule(s)))).toEqual([3, 2, 1]);
    seeds.forEach((s, i) => {
      expect(s.segments.every((seg) => seg.length === 2)).toBe(true);
      expect(scheduleSteps(s)).toEqual(scheduleSteps(gitsSchedule(costs, [3, 2, 1][i]!)));
    });
    // the GITS baseline asks again: the same matrix, no second recording, its bar ends full
    let done = 0;
    expect(await once.costs({ signal, onStep: (d) => (done = d) })).toBe(costs);
    expect(g.calls).toBe(1);
    expect(done).toBe(T);
    // a speed-up that is a whole divisor keeps its k (no rounding below it)
    expect(
      (await openSeeds(once, { teacherSteps: T, speedup: 2, segmentLength: 5, signal })).map((s) => fullSteps(formatSchedule(s))),
    ).toEqual([5, 4, 3]);
  });

  it('a trajectory that cannot be recorded gives no seeds and a one-line note; an abort is thrown', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      writes.push(String(s));
      return true;
    });
    const failing = teacher(() => Promise.reject(new Error('Invalid alphasCumprod[999] 0:\nexpected')));
    expect(await openSeeds(failing, { teacherSteps: T, speedup: 3, segmentLength: 2, signal })).toEqual([]);
    expect(writes.filter((w) => w.includes('GITS seeds'))).toEqual([
      'flexi search: the open search starts without GITS seeds: the teacher trajectory could not be recorded (Invalid alphasCumprod[999] 0: expected)\n',
    ]);
    const ctrl = new AbortController();
    const aborting = teacher(async () => {
      ctrl.abort();
      throw new Error('aborted');
    });
    await expect(openSeeds(aborting, { teacherSteps: T, speedup: 3, segmentLength: 2, signal: ctrl.signal })).rejects.toThrow('aborted');
  });
});
