/** The text-to-image demo's schedule picker (demo/schedule-options.ts), in Node. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { checkCustomSchedule, scheduleOptions } from '../demo/schedule-options.js';

describe('the demo schedule picker', () => {
  it('offers the teacher, DDIM-k and DeepCache baselines from the schedule helpers', () => {
    const { options } = scheduleOptions('fashion-sd', 25, 3, { rows: [] });
    expect(options.map((o) => o.id)).toEqual(['teacher', 'ddim-13', 'ddim-5', 'deepcache-3-0', 'deepcache-5-0', 'deepcache-3-2']);
    expect(options[0]!.schedule).toBe(Array.from({ length: 25 }, () => 'F').join(' | '));
    expect(options.find((o) => o.id === 'ddim-5')!.schedule).toBe(Array.from({ length: 5 }, () => 'F N N N N').join(' | '));
    expect(options.find((o) => o.id === 'deepcache-5-0')!.schedule).toBe(Array.from({ length: 5 }, () => 'F P0 P0 P0 P0').join(' | '));
  });

  it("gives every option its T and sampler: the teacher and the baselines run DDIM at the teacher's T", () => {
    const { options } = scheduleOptions('fashion-sd', 25, 3, { rows: [] });
    for (const o of options) expect({ steps: o.steps, sampler: o.sampler }).toEqual({ steps: 25, sampler: 'ddim' });
  });

  it('adds the searched rows of docs/benchmarks.json whose model is the model, skipping invalid ones, and says so', () => {
    const benchmarks = {
      rows: [
        { model: 'fashion-sd', method: 'evo', schedule: 'F P1 N | F P0 N', macSpeedup: 2.5, fidDegradationPct: 3.2, searchSeconds: 60 },
        { model: 'fashion-sd', method: 'bad', schedule: 'F P9 N', searchSeconds: 60 },
        { method: 'pixel model row', schedule: 'F N', searchSeconds: 60 },
      ],
    };
    const r = scheduleOptions('fashion-sd', 25, 3, benchmarks);
    const searched = r.options.filter((o) => o.group === 'searched');
    expect(searched).toEqual([
      {
        id: 'searched-0',
        label: 'Searched: evo (6 steps, DDIM, 2.50× fewer MACs, FID +3.2%)',
        schedule: 'F P1 N | F P0 N',
        steps: 6,
        sampler: 'ddim',
        group: 'searched',
      },
    ]);
    expect(r.searchedNote).toBe("1 searched schedule from docs/benchmarks.json (1 skipped: invalid for this model's 3 branches).");
  });

  it("carries the row's sampler and T (the schedule's length), and labels only the measured figures the row has", () => {
    const fifty = Array.from({ length: 10 }, () => 'F P0 P0 P0 N').join(' | ');
    const benchmarks = {
      rows: [
        {
          model: 'fashion-sd',
          method: 'teacher DDIM-50',
          schedule: Array.from({ length: 50 }, () => 'F').join(' | '),
          sampler: 'ddim',
          searchSeconds: 0,
        },
        { model: 'fashion-sd', method: 'DPM-Solver++-10', schedule: 'F N N N N', sampler: 'dpmpp-2m', macSpeedup: 5, searchSeconds: 0 },
        {
          model: 'fashion-sd',
          method: "Flexiffusion, 'free' form + DPM-Solver++ ≥3×",
          schedule: fifty,
          sampler: 'dpmpp-2m',
          macSpeedup: 3.03,
          wallSpeedup: 2.9,
          fidDegradationPct: 1.2,
          clipChangePct: -0.1,
          searchSeconds: 120,
        },
        {
          model: 'fashion-sd',
          method: 'unipc, FID only',
          schedule: 'F N | F N',
          sampler: 'unipc',
          fidDegradationPct: -2.31,
          searchSeconds: 5,
        },
        { model: 'fashion-sd', method: 'no figures', schedule: 'F N N', searchSeconds: 1 },
        {
          model: 'fashion-sd',
          method: 'zero change',
          schedule: 'F N',
          sampler: 'dpmpp-3m',
          fidDegradationPct: -0.04,
          clipChangePct: 0,
          searchSeconds: 1,
        },
        { model: 'fashion-sd', method: 'euler', schedule: 'F N', sampler: 'euler', searchSeconds: 1 },
      ],
    };
    const r = scheduleOptions('fashion-sd', 25, 3, benchmarks);
    const searched = r.options.filter((o) => o.group === 'searched');
    expect(searched.map((o) => ({ id: o.id, label: o.label, steps: o.steps, sampler: o.sampler }))).toEqual([
      {
        id: 'searched-0',
        label:
          "Searched: Flexiffusion, 'free' form + DPM-Solver++ ≥3× (50 steps, DPM-Solver++ 2M, 3.03× fewer MACs, 2.90× wall-clock, FID +1.2%, CLIP −0.10%)",
        steps: 50,
        sampler: 'dpmpp-2m',
      },
      { id: 'searched-1', label: 'Searched: unipc, FID only (4 steps, UniPC, FID −2.3%)', steps: 4, sampler: 'unipc' },
      { id: 'searched-2', label: 'Searched: no figures (3 steps, DDIM)', steps: 3, sampler: 'ddim' },
      {
        id: 'searched-3',
        label: 'Searched: zero change (2 steps, DPM-Solver++ 3M, FID ±0.0%, CLIP ±0.00%)',
        steps: 2,
        sampler: 'dpmpp-3m',
      },
    ]);
    expect(searched[0]!.schedule).toBe(fifty);
    // the benchmark's baselines are not offered: the picker makes its own at the teacher's T
    expect(r.options.filter((o) => o.group !== 'searched').map((o) => o.id)).toEqual(
      scheduleOptions('fashion-sd', 25, 3, { rows: [] }).options.map((o) => o.id),
    );
    expect(r.searchedNote).toBe(
      '4 searched schedules from docs/benchmarks.json (1 skipped: unknown sampler "euler"; known: ddim, dpmpp-2m, dpmpp-3m, unipc).',
    );
  });

  it('counts rows skipped for either reason in one note', () => {
    const r = scheduleOptions('fashion-sd', 25, 3, {
      rows: [
        { model: 'fashion-sd', schedule: 'F P9', searchSeconds: 1 },
        { model: 'fashion-sd', schedule: 'F N', sampler: 'euler', searchSeconds: 1 },
        { model: 'fashion-sd', schedule: 'F N', sampler: null, searchSeconds: 1 },
        { model: 'fashion-sd', schedule: 'F N', searchSeconds: 1 },
      ],
    });
    expect(r.options.filter((o) => o.group === 'searched').map((o) => o.id)).toEqual(['searched-3']);
    expect(r.searchedNote).toBe(
      '1 searched schedule from docs/benchmarks.json (3 skipped: 1 invalid for this model\'s 3 branches, 2 with unknown samplers "euler", null; known: ddim, dpmpp-2m, dpmpp-3m, unipc).',
    );
  });

  it('says so when the model has only baseline rows', () => {
    const r = scheduleOptions('fashion-sd', 25, 3, {
      rows: [{ model: 'fashion-sd', method: 'DDIM-12', schedule: 'F N', searchSeconds: 0 }],
    });
    expect(r.options.some((o) => o.group === 'searched')).toBe(false);
    expect(r.searchedNote).toMatch(
      /^docs\/benchmarks\.json has no searched schedules for fashion-sd yet \(its 1 "fashion-sd" row is a baseline/,
    );
  });

  it('says plainly when there are no searched schedules for the model, or no benchmarks file', async () => {
    const committed = JSON.parse(await readFile(new URL('../../../docs/benchmarks.json', import.meta.url), 'utf8')) as unknown;
    const r = scheduleOptions('fashion-sd', 25, 3, committed);
    if (r.options.some((o) => o.group === 'searched')) expect(r.searchedNote).toMatch(/searched schedules? from docs\/benchmarks\.json/);
    else expect(r.searchedNote).toMatch(/^docs\/benchmarks\.json has no searched schedules for fashion-sd yet \(/);
    expect(scheduleOptions('fashion-sd', 25, 3, null).searchedNote).toMatch(/could not be read/);
    expect(scheduleOptions('fashion-sd', 25, 3, { rows: [] }).searchedNote).toBe(
      'docs/benchmarks.json has no searched schedules for fashion-sd yet (no row with "model": "fashion-sd").',
    );
  });

  it('checks a custom schedule with the parser: the message and the character offset', () => {
    expect(checkCustomSchedule(' F P0 | F  P1 ', 3)).toEqual({ ok: true, schedule: 'F P0 | F P1', steps: 4 });
    expect(checkCustomSchedule('F P0 X', 3)).toEqual({
      ok: false,
      code: 'unknown-token',
      offset: 5,
      message: 'Unknown token "X" at offset 5 (segment 0, step 2): expected F, P<branch> or N.',
    });
    expect(checkCustomSchedule('F P3', 3)).toMatchObject({ ok: false, code: 'branch-out-of-range', offset: 2 });
    expect(checkCustomSchedule('', 3)).toMatchObject({ ok: false, code: 'empty', offset: null });
  });
});
