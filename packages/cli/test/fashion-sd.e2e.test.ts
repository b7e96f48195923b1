// The embedded text-to-image model from the CLI: its default prompt set, its own judge CLIP and
// attribute rules, so `flexi eval --model fashion-sd --metric clip` reports every signal.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flexi, tmp } from './helpers.js';

const SCHEDULE = 'F F P0 F P1 F P0 F P1 F';

describe('fashion-sd', () => {
  it('flexi eval --metric clip: FID, rFID, CLIP score, class and attribute accuracy, speed-up', { timeout: 180_000 }, async () => {
    const dir = tmp();
    const json = join(dir, 'eval.json');
    const r = await flexi([
      ...['eval', '--model', 'fashion-sd', '--schedule', SCHEDULE, '--samples', '20', '--timing-samples', '4'],
      ...['--metric', 'clip', '--threads', '1', '--json', json, '--cache-dir', join(dir, 'cache')],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("using the model's default prompt set (200 prompts, prompts.json)");
    expect(r.stdout.split('\n')[0]).toMatch(/^clip\s+\d/); // the --metric first
    const out = JSON.parse(readFileSync(json, 'utf8'));
    for (const k of [
      'fid',
      'teacherFid',
      'rfid',
      'clip',
      'teacherClip',
      'clipDrop',
      'classAccuracy',
      'brightnessAccuracy',
      'sizeAccuracy',
    ]) {
      expect(typeof out[k], k).toBe('number');
    }
    expect(out.wallSpeedup).toBeGreaterThan(0);
    expect(out.macSpeedup).toBeGreaterThan(1);
    expect(out.clip).toBeGreaterThan(0);
    expect(out.clip).toBeLessThanOrEqual(100);
    for (const k of ['classAccuracy', 'brightnessAccuracy', 'sizeAccuracy']) {
      expect(out[k]).toBeGreaterThanOrEqual(0);
      expect(out[k]).toBeLessThanOrEqual(1);
    }
    expect(out.notComputed).toEqual({});
    // the search's default objective, from the same measurements
    expect(out['rfid-fid']).toBeCloseTo(0.5 * out.rfid + 0.5 * (out.fid - out.teacherFid), 12);
  });

  it('flexi sample uses the default prompt set; a prompt of its own works too', { timeout: 120_000 }, async () => {
    const dir = tmp();
    const a = await flexi(['sample', '--model', 'fashion-sd', '--schedule', 'F F F F F', '--count', '4', '--out', join(dir, 'a.png')]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toContain('default prompt set');
    expect(existsSync(join(dir, 'a.png'))).toBe(true);
    const b = await flexi([
      ...['sample', '--model', 'fashion-sd', '--schedule', 'F F F F F', '--count', '2'],
      ...['--prompt', 'a photo of a dark sneaker', '--out', join(dir, 'b.png')],
    ]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).not.toContain('default prompt set');
  });

  it('--metric rfid-fid is printed first, as ½ rFID + ½ the FID change', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const json = join(dir, 'eval.json');
    const r = await flexi([
      ...['eval', '--model', 'fashion', '--schedule', 'F N F F', '--samples', '8', '--timing-samples', '2'],
      ...['--metric', 'rfid-fid', '--threads', '1', '--json', json, '--cache-dir', join(dir, 'cache')],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^rfid-fid\s+-?\d/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(typeof out['rfid-fid']).toBe('number');
    expect(out['rfid-fid']).toBeCloseTo(0.5 * out.rfid + 0.5 * (out.fid - out.teacherFid), 12);
  });

  it('--metric on a model that cannot compute it is exit 2 naming why', { timeout: 60_000 }, async () => {
    const r = await flexi(['eval', '--model', 'fashion', '--schedule', 'F F F F', '--samples', '4', '--metric', 'clip']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^flexi eval: --metric clip cannot be computed: .*takes no prompts/);
  });
});
