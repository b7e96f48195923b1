import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { createRng, createSearchSpace, formatSchedule, scheduleCost, scheduleSteps, type CostProfile } from '@flexiffusion/schedule';
import { CliError } from '../src/internal/args.js';
import { readStartSchedules, startSeeds } from '../src/internal/start-from.js';

const COST: CostProfile = { fullMacs: 1, partialMacs: [0.3, 0.7] };
const tmp = () => mkdtempSync(join(tmpdir(), 'flexi-start-'));

describe('startSeeds', () => {
  const forms = ['paper', 'free', 'open'] as const;
  // every member of the space is kept exactly when it meets the speed-up, as a member of the space
  fcTest.prop([fc.constantFrom(...forms), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.double({ min: 1, max: 4, noNaN: true })])(
    'keeps a space member iff it meets the speed-up',
    (form, seed, speedup) => {
      const space = createSearchSpace({ steps: 20, segmentLengths: form === 'open' ? [5] : [2, 5], branches: 2, form });
      const rng = createRng(seed);
      const s = space.sample(rng);
      const r = startSeeds([formatSchedule(s)], space, COST, speedup);
      const meets = scheduleCost(s, COST).speedup >= speedup;
      expect(r.seeds.length).toBe(meets ? 1 : 0);
      expect(r.tooSlow).toBe(meets ? 0 : 1);
      for (const x of r.seeds) {
        expect(space.contains(x)).toBe(true);
        // the same steps, only cut into the space's segments
        expect(scheduleSteps(x)).toEqual(scheduleSteps(s));
      }
    },
  );

  it('cuts a schedule into the open space of another segment length, and counts what it leaves out', () => {
    const space = createSearchSpace({ steps: 10, segmentLengths: [5], branches: 2, form: 'open' });
    const r = startSeeds(
      ['F N F N P0 N F N F N', 'F F F F F F F F F F', 'F N F N', 'F N | F N | F N | F N | F N', 'F N F N P0 N F N F N'],
      space,
      COST,
      1.5,
    );
    expect(r.seeds.map((s) => formatSchedule(s))).toEqual(['F N F N P0 | N F N F N', 'F N F N F | N F N F N']);
    expect(r).toMatchObject({ tooSlow: 1, otherLength: 1, notInSpace: 0 });
  });

  it('counts a schedule that fits no segment length of a paper space', () => {
    const space = createSearchSpace({ steps: 10, segmentLengths: [5], branches: 2, form: 'paper' });
    // a full step at the second position of a segment of 5: not the paper form
    const r = startSeeds(['F F N N N | F N N N N'], space, COST, 1.5);
    expect(r).toMatchObject({ seeds: [], notInSpace: 1 });
  });
});

describe('readStartSchedules', () => {
  it('reads pareto.json then best.json, without duplicates', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'pareto.json'), JSON.stringify([{ schedule: 'F N | F N' }, { schedule: 'F P0 | F N' }]));
    writeFileSync(join(dir, 'best.json'), JSON.stringify({ schedule: 'F N F N' }));
    // best.json's "F N F N" is another segmentation of the same steps as "F N | F N": kept, as written
    expect(readStartSchedules('search', dir)).toEqual(['F N | F N', 'F P0 | F N', 'F N F N']);
  });

  it('a folder without results, a file that is not JSON, an entry without a schedule: bad-start naming it', () => {
    const empty = tmp();
    expect(() => readStartSchedules('search', empty)).toThrow(
      new CliError(
        'bad-start',
        `flexi search: --start-from "${empty}": expected a search folder with pareto.json or best.json (what flexi search writes), found neither.`,
      ),
    );
    const broken = tmp();
    writeFileSync(join(broken, 'pareto.json'), '[{');
    expect(() => readStartSchedules('search', broken)).toThrow(/pareto\.json is not JSON/);
    const other = tmp();
    mkdirSync(join(other, 'x'));
    writeFileSync(join(other, 'pareto.json'), JSON.stringify([{ schedule: 'F N' }, { label: 'DDIM-5' }]));
    expect(() => readStartSchedules('search', other)).toThrow(/pareto\.json\[1\] has no "schedule" string/);
    const invalid = tmp();
    writeFileSync(join(invalid, 'best.json'), JSON.stringify({ schedule: 'F X' }));
    try {
      readStartSchedules('search', invalid);
      expect.unreachable();
    } catch (e) {
      expect((e as CliError).code).toBe('bad-start');
      expect((e as CliError).message).toContain('holds an invalid schedule "F X"');
    }
  });

  it('best.json of a search that found nothing (null) adds nothing', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'best.json'), 'null');
    expect(readStartSchedules('search', dir)).toEqual([]);
  });
});
