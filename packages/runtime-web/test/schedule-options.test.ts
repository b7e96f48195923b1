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

  it('adds the rows of docs/benchmarks.json whose model is the model, skipping invalid ones, and says so', () => {
    const benchmarks = {
      rows: [
        { model: 'fashion-sd', method: 'evo', schedule: 'F P1 N | F P0 N', macSpeedup: 2.5, fidDegradationPct: 3.2 },
        { model: 'fashion-sd', method: 'bad', schedule: 'F P9 N' },
        { method: 'pixel model row', schedule: 'F N' },
      ],
    };
    const r = scheduleOptions('fashion-sd', 25, 3, benchmarks);
    const searched = r.options.filter((o) => o.group === 'searched');
    expect(searched).toEqual([
      { id: 'searched-0', label: 'Searched: evo (6 steps, 2.50× fewer MACs, FID +3.2%)', schedule: 'F P1 N | F P0 N', group: 'searched' },
    ]);
    expect(r.searchedNote).toBe("1 searched schedule from docs/benchmarks.json (1 skipped: invalid for this model's 3 branches).");
  });

  it('says plainly when there are no searched schedules for the model, or no benchmarks file', async () => {
    const committed = JSON.parse(await readFile(new URL('../../../docs/benchmarks.json', import.meta.url), 'utf8')) as unknown;
    const r = scheduleOptions('fashion-sd', 25, 3, committed);
    if (r.options.some((o) => o.group === 'searched')) expect(r.searchedNote).toMatch(/searched schedules? from docs\/benchmarks\.json/);
    else
      expect(r.searchedNote).toBe('docs/benchmarks.json has no searched schedules for fashion-sd yet (no row with "model": "fashion-sd").');
    expect(scheduleOptions('fashion-sd', 25, 3, null).searchedNote).toMatch(/could not be read/);
  });

  it('checks a custom schedule with the parser: the message and the character offset', () => {
    expect(checkCustomSchedule(' F P0 | F  P1 ', 3)).toEqual({ ok: true, schedule: 'F P0 | F P1' });
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
