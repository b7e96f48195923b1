import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scheduleCost } from '@flexiffusion/schedule';
import { describe, expect, it } from 'vitest';
import { MODEL, MODELS, flexi } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'flexi-cost-'));
const SMALL = [
  ...['--teacher-steps', '10', '--samples', '6', '--batch-size', '6'],
  ...['--round-size', '2', '--grid-images', '0', '--speedup', '1.5'],
];
const read = (out: string, file: string) => JSON.parse(readFileSync(join(out, file), 'utf8'));
const trials = (out: string) =>
  readFileSync(join(out, 'trials.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { schedule: string; state: string; cost: { speedup: number } });

describe('flexi search --cost latency', () => {
  // the embedded pixel model and a Stable Diffusion-shaped export (text encoder and VAE: a fixed part)
  for (const [name, model] of [
    ['the embedded model', MODEL],
    ['a Stable Diffusion export', MODELS.sd],
  ] as const) {
    it(`${name}: the speed-ups count a profile measured before the search, kept for --resume`, { timeout: 180_000 }, async () => {
      const out = join(tmp(), 'o');
      const args = ['search', '--model', model, ...SMALL, '--cost', 'latency', '--metric', 'psnr', '--out', out];
      const r = await flexi([...args, '--trials', '3']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/cost: measured latency \([\d.]+ ms\/sample a full step; partial [\d. /]+ of a full step/);
      const profile = read(out, 'cost-profile.json');
      expect(profile).toMatchObject({ fullMacs: 1, steps: 10, samples: 6, rounds: 3 });
      expect(profile.partialMacs.length).toBeGreaterThan(0);
      for (const p of profile.partialMacs) expect(p > 0 && p <= 1).toBe(true);
      expect(profile.fixedMacs).toBeGreaterThanOrEqual(0);
      expect(profile.fullMs).toBeGreaterThan(0);
      expect(read(out, 'settings.json')).toMatchObject({ cost: 'latency' });
      // every trial and baseline is costed under the measured profile, fixed part included
      const done = trials(out);
      expect(done.length).toBe(3);
      for (const t of done) expect(t.cost.speedup).toBeCloseTo(scheduleCost(t.schedule, profile).speedup, 12);
      const baselines = read(out, 'baselines.json') as { schedule: string; speedup: number }[];
      expect(baselines.length).toBeGreaterThan(0);
      for (const b of baselines) expect(b.speedup).toBeCloseTo(scheduleCost(b.schedule, profile).speedup, 12);
      if (/best schedule/.test(r.stdout)) expect(r.stdout).toContain('faster (measured latency, whole pipeline)');
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('measured latency');

      // resumed: the stored profile, not a new measurement
      const bytes = readFileSync(join(out, 'cost-profile.json'), 'utf8');
      const again = await flexi(['search', '--resume', out, '--trials', '5']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('(from the folder)');
      expect(again.stderr).not.toContain('latency profile (');
      expect(readFileSync(join(out, 'cost-profile.json'), 'utf8')).toBe(bytes);
      expect(trials(out)).toHaveLength(5);

      // trials without their profile: refused, nothing measured
      rmSync(join(out, 'cost-profile.json'));
      const lost = await flexi(['search', '--resume', out, '--trials', '6']);
      expect(lost.code).toBe(2);
      expect(lost.stderr).toContain('has trials but no cost-profile.json');
      expect(trials(out)).toHaveLength(5);
    });
  }

  it('--cost: unknown values and the AutoDiffusion searcher are refused by name', { timeout: 60_000 }, async () => {
    const bad = await flexi(['search', '--model', MODEL, '--cost', 'watts']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unsupported --cost "watts". Should be one of: macs, latency');
    const ad = await flexi(['search', '--model', MODEL, '--cost', 'latency', '--searcher', 'autodiffusion', '--out', join(tmp(), 'o')]);
    expect(ad.code).toBe(2);
    expect(ad.stderr).toContain('--searcher autodiffusion keeps k = T / --speedup');
  });
});
