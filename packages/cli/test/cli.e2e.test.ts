import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, MODEL, flexi } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'flexi-cli-'));
// a small, fast search: 10-step teacher, 6 samples in one network batch, 2 candidates per round
const SMALL = [
  ...['--teacher-steps', '10', '--samples', '6', '--batch-size', '6'],
  ...['--round-size', '2', '--grid-images', '10', '--speedup', '1.5'],
];

describe('flexi: errors are one clear line with a non-zero exit', () => {
  it('unknown command', async () => {
    const r = await flexi(['serch']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^flexi: unknown command "serch". Should be one of: .*search, sample, eval, report.*\.$/);
  });
  it('bad option value', async () => {
    const r = await flexi(['search', '--searcher', 'annealing']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('unsupported --searcher "annealing". Should be one of: evo, grid, random, autodiffusion.');
  });
  it('a renamed option names its new spelling', async () => {
    const r = await flexi(['search', '--gen-batch', '6']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'flexi search: --gen-batch was renamed: use --batch-size (samples per network batch; candidates per round is now --round-size).',
    );
  });
  it('unknown model', async () => {
    const r = await flexi(['sample', '--model', '/nonexistent/model', '--schedule', 'F N']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cannot load model "/nonexistent/model"');
  });
  it('invalid schedule, with the position quoted', async () => {
    const r = await flexi(['sample', '--model', MODEL, '--schedule', 'F P1 X N']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toContain('invalid --schedule "F P1 »X« N"');
  });
  it('unreadable search folder', async () => {
    const r = await flexi(['report', join(tmp(), 'missing')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a search folder');
  });
});

describe('flexi sample', () => {
  it('writes a PNG grid', async () => {
    const out = join(tmp(), 'grid.png');
    const r = await flexi(['sample', '--model', MODEL, '--schedule', 'F P0 N N N | F P1 N N N', '--count', '10', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
    expect(r.stdout).toMatch(/fewer MACs; 10 samples/);
  });
});

function watchLines(file: string, n: number, then: () => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= n) {
      clearInterval(timer);
      then();
    }
  }, 50);
  return timer;
}

describe('flexi search', () => {
  it('writes trials, best, pareto and a report; an interrupted search resumes with nothing lost or repeated', {
    timeout: 240_000,
  }, async () => {
    const dir = tmp();
    const cache = join(dir, 'cache');
    // uninterrupted reference run
    const ref = join(dir, 'ref');
    const a = await flexi(['search', '--model', MODEL, ...SMALL, '--trials', '6', '--out', ref, '--cache-dir', cache]);
    expect(a.code, a.stderr).toBe(0);
    for (const f of ['trials.jsonl', 'best.json', 'pareto.json', 'report.html', 'baselines.json', 'grid-teacher.png', 'grid-best.png']) {
      expect(existsSync(join(ref, f)), f).toBe(true);
    }
    expect(a.stdout).toMatch(/best schedule: F/);
    // the default objective on a model with its own reference statistics: rfid-fid, recorded
    expect(JSON.parse(readFileSync(join(ref, 'settings.json'), 'utf8'))).toMatchObject({ metric: 'rfid-fid' });
    // the baselines beside the best, so the gain (or its absence) is visible at once
    expect(a.stdout).toMatch(
      /baselines at about the same cost[^\n]*\n {2}search \(best\) +\d+\.\d\dx {2}½ rFID \+ ½ FID change vs data -?\d/,
    );
    const baselines: { label: string; schedule: string; speedup: number }[] = JSON.parse(readFileSync(join(ref, 'baselines.json'), 'utf8'));
    expect(baselines.length).toBeGreaterThan(0);
    for (const b of baselines) {
      expect(a.stdout).toContain(`  ${b.label}`);
    }
    // GITS-k at the k of the nearest uniform row: the same cost, k of the T steps full
    const uniform = baselines.find((b) => /^DDIM-\d+$/.test(b.label))!;
    const k = Number(uniform.label.slice('DDIM-'.length));
    const gits = baselines.find((b) => b.label === `GITS-${k}`);
    expect(gits, JSON.stringify(baselines.map((b) => b.label))).toBeDefined();
    expect(gits!.speedup).toBe(uniform.speedup);
    expect(gits!.schedule.split(/[\s|]+/).filter((s) => s === 'F')).toHaveLength(k);
    expect(a.stdout).toMatch(new RegExp(`\\n  GITS-${k} +${uniform.speedup.toFixed(2)}x `));
    expect(a.stderr).toContain('gits (DDIM teacher trajectory, 6 samples)');
    const best = JSON.parse(readFileSync(join(ref, 'best.json'), 'utf8'));
    expect(best.speedup).toBeGreaterThanOrEqual(1.5);
    expect(typeof best.rfid).toBe('number');
    // the wall-clock speed-ups, measured against the teacher in this run: the best first, then every baseline
    const wall = JSON.parse(readFileSync(join(ref, 'wall-clock.json'), 'utf8'));
    expect(wall).toMatchObject({ samples: 6, rounds: 2 });
    expect(wall.rows.map((r: { label: string }) => r.label)).toEqual(['search (best)', ...baselines.map((b) => b.label)]);
    expect(wall.rows[0].schedule).toBe(best.schedule);
    for (const r of wall.rows)
      expect(r.wallSpeedup > 0 && Number.isFinite(r.wallSpeedup) && r.msPerSample > 0, JSON.stringify(r)).toBe(true);
    expect(a.stdout).toMatch(/\n {2}\d+\.\d\dx faster in wall-clock time, measured here \(\d+\.\d against \d+\.\d ms\/sample, 6 samples\)/);
    expect(a.stdout).toMatch(/\n {2}search \(best\) +\d+\.\d\dx {2}[^\n]* {2}\d+\.\d\dx wall-clock {2}\d+\.\d ms\/sample/);
    expect(readFileSync(join(ref, 'report.html'), 'utf8')).toContain('<th>wall-clock speed-up (measured)</th>');

    // interrupted run: SIGINT once two trials are on disk
    const out = join(dir, 'run');
    const child = spawn(
      process.execPath,
      [BIN, 'search', '--model', MODEL, ...SMALL, '--trials', '6', '--out', out, '--cache-dir', cache],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = watchLines(join(out, 'trials.jsonl'), 2, () => child.kill('SIGINT'));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearInterval(timer);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain(`flexi search --resume ${out}`);
    const kept = readFileSync(join(out, 'trials.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    expect(kept).toBeGreaterThanOrEqual(2);

    const b = await flexi(['search', '--resume', out, '--cache-dir', cache, '--timing-samples', '0']);
    expect(b.code, b.stderr).toBe(0);
    // --timing-samples 0: nothing timed, and no wall-clock column
    expect(existsSync(join(out, 'wall-clock.json'))).toBe(false);
    expect(b.stdout).not.toContain('wall-clock');
    expect(b.stderr).toMatch(/trials replayed from the store/);
    const lines = (p: string) =>
      readFileSync(join(p, 'trials.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    const resumed = lines(out);
    const reference = lines(ref);
    expect(resumed.map((t) => t.number)).toEqual(resumed.map((_, i) => i));
    const strip = (ts: { schedule: string; state: string; objective?: number }[]) => ts.map((t) => [t.schedule, t.state, t.objective]);
    expect(strip(resumed)).toEqual(strip(reference));
    // the GITS schedule is the same in a second folder: the same seeds, the same trajectory
    const resumedBaselines: { label: string; schedule: string }[] = JSON.parse(readFileSync(join(out, 'baselines.json'), 'utf8'));
    expect(resumedBaselines.find((x) => x.label === gits!.label)?.schedule).toBe(gits!.schedule);

    // the report renders in headless Chromium
    const chromium = '/usr/bin/chromium';
    if (!existsSync(chromium)) {
      if (process.env['CI']) throw new Error('Chromium is required for the report check in CI (apt-get install chromium)');
      return;
    }
    const shot = join(dir, 'report.png');
    const flags = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${join(dir, 'chrome')}`,
    ];
    execFileSync(chromium, [...flags, '--window-size=1100,1400', `--screenshot=${shot}`, `file://${join(out, 'report.html')}`], {
      stdio: 'ignore',
      timeout: 60_000,
    });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    const dom = execFileSync(chromium, [...flags, '--dump-dom', `file://${join(out, 'report.html')}`], { timeout: 60_000 }).toString();
    expect(dom).toContain('class="pareto"');
    expect((dom.match(/<img /g) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('--form open: the evo search starts from GITS-k, the trajectory recorded once for the seeds and the GITS row', {
    timeout: 180_000,
  }, async () => {
    const out = join(tmp(), 'o');
    const r = await flexi([
      'search',
      '--model',
      MODEL,
      ...SMALL,
      '--form',
      'open',
      '--speedup',
      '3',
      '--trials',
      '4',
      '--grid-images',
      '0',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('L in {2}');
    expect(r.stderr).toContain('open form');
    expect(r.stderr).toContain('gits seeds (DDIM teacher trajectory, 6 samples)');
    // the GITS row reuses the recording: its bar ends full at once
    expect(r.stderr).toMatch(/gits \(DDIM teacher trajectory, 6 samples\)[^\n\r]*100% in 0:00/);
    expect(JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8'))).toMatchObject({ form: 'open', segmentLengths: [2] });
    const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { schedule: string });
    // T = 10 at >= 3x: GITS-3, GITS-2, GITS-1 first, all full steps or nulls
    const kinds = (t: { schedule: string }) => t.schedule.split(/[\s|]+/).filter(Boolean);
    expect(trials.slice(0, 3).map((t) => kinds(t).filter((k) => k === 'F').length)).toEqual([3, 2, 1]);
    for (const t of trials.slice(0, 3)) expect(kinds(t).every((k) => k === 'F' || k === 'N')).toBe(true);
    // the GITS-3 baseline (the nearest uniform row is DDIM-3) is the first seed
    const baselines: { label: string; schedule: string }[] = JSON.parse(readFileSync(join(out, 'baselines.json'), 'utf8'));
    expect(baselines.find((b) => b.label === 'GITS-3')?.schedule.replace(/[\s|]+/g, ' ')).toBe(trials[0]!.schedule.replace(/[\s|]+/g, ' '));
  });

  it('--teacher-sampler: DPM-Solver++ candidates are judged against the DDIM teacher (its cached statistics)', {
    timeout: 120_000,
  }, async () => {
    const dir = tmp();
    const cache = join(dir, 'cache');
    const base = ['search', '--model', MODEL, ...SMALL, '--trials', '1', '--baselines', 'none', '--grid-images', '0', '--cache-dir', cache];
    const ddim = await flexi([...base, '--out', join(dir, 'ddim')]);
    expect(ddim.code, ddim.stderr).toBe(0);
    expect(ddim.stderr).not.toContain('teacher statistics: from the cache');
    const dpm = await flexi([...base, '--sampler', 'dpmpp-2m', '--teacher-sampler', 'ddim', '--out', join(dir, 'dpm')]);
    expect(dpm.code, dpm.stderr).toBe(0);
    expect(dpm.stderr).toContain('teacher statistics: from the cache');
    expect(JSON.parse(readFileSync(join(dir, 'dpm', 'settings.json'), 'utf8'))).toMatchObject({
      sampler: 'dpmpp-2m',
      teacherSampler: 'ddim',
    });
    // without --teacher-sampler the teacher runs DPM-Solver++ too: other images, no cache hit
    const dpmOnly = await flexi([...base, '--sampler', 'dpmpp-2m', '--out', join(dir, 'dpm-only')]);
    expect(dpmOnly.code, dpmOnly.stderr).toBe(0);
    expect(dpmOnly.stderr).not.toContain('teacher statistics: from the cache');
  });

  it('--metric rfid-fid: the objective is ½ rFID + ½ the change of the FID vs the reference statistics', { timeout: 120_000 }, async () => {
    const out = join(tmp(), 'o');
    const r = await flexi([
      'search',
      '--model',
      MODEL,
      ...SMALL,
      '--trials',
      '2',
      '--metric',
      'rfid-fid',
      '--baselines',
      'none',
      '--grid-images',
      '0',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('judged by ½ rFID + ½ FID change vs data');
    const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { state: string; objective: number; metrics: Record<string, number> });
    const done = trials.filter((t) => t.state === 'complete');
    expect(done.length).toBeGreaterThan(0);
    for (const t of done) {
      const { rfid, fid, teacherFid } = t.metrics;
      expect(t.objective).toBeCloseTo(0.5 * rfid! + 0.5 * (fid! - teacherFid!), 12);
    }
    expect(JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8'))).toMatchObject({ metric: 'rfid-fid' });
  });

  it('--start-from: the earlier results that meet --speedup start the search, and are kept for --resume', {
    timeout: 120_000,
  }, async () => {
    const dir = tmp();
    const earlier = join(dir, 'earlier');
    mkdirSync(earlier);
    // what an earlier search (at a stricter target) wrote: one fast enough, one too slow, one of another length
    writeFileSync(
      join(earlier, 'pareto.json'),
      JSON.stringify([{ schedule: 'F N | F N | F N | F N | F N' }, { schedule: 'F F F F F F F F F F' }, { schedule: 'F N F N' }]),
    );
    const out = join(dir, 'o');
    const args = ['search', '--model', MODEL, ...SMALL, '--trials', '2', '--baselines', 'none', '--grid-images', '0'];
    const r = await flexi([...args, '--start-from', earlier, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`starting from 1 of the 3 schedules in ${earlier} (left out: 1 below 1.5×, 1 not of 10 steps)`);
    const first = JSON.parse(readFileSync(join(out, 'trials.jsonl'), 'utf8').split('\n')[0]!) as { schedule: string };
    expect(first.schedule).toBe('F N | F N | F N | F N | F N');
    expect(JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8')).startFrom).toEqual({
      dir: earlier,
      schedules: ['F N | F N | F N | F N | F N', 'F F F F F F F F F F', 'F N F N'],
    });
    // not with a searcher that takes no starting points; not from a folder without results
    const random = await flexi([...args, '--searcher', 'random', '--start-from', earlier, '--out', join(dir, 'r')]);
    expect(random.code).toBe(2);
    expect(random.stderr).toContain(
      '--start-from gives the evolutionary searcher its starting points: it needs --searcher evo, not "random"',
    );
    const none = await flexi([...args, '--start-from', dir, '--out', join(dir, 'n')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`--start-from "${dir}": expected a search folder with pareto.json or best.json`);
    expect(existsSync(join(dir, 'n'))).toBe(false);
  });

  it('refuses an output folder that holds another search', { timeout: 120_000 }, async () => {
    const out = join(tmp(), 'o');
    const a = await flexi([
      'search',
      '--model',
      MODEL,
      ...SMALL,
      '--trials',
      '1',
      '--baselines',
      'none',
      '--grid-images',
      '0',
      '--out',
      out,
    ]);
    expect(a.code, a.stderr).toBe(0);
    const b = await flexi(['search', '--model', MODEL, ...SMALL, '--trials', '1', '--seed', '5', '--out', out]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('holds a search with other settings');
  });
});
