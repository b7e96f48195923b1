// `flexi sample`, `eval` and `search` on every family: text-to-image (a diffusers SD-1.x export),
// unconditional pixel and latent, class-conditional. Few samples, few steps: plumbing, not quality.
import { copyFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flexi, INCEPTION, makeClipDir, MODELS, tmp } from './helpers.js';

const PNG = (file: string) => readFileSync(file).subarray(1, 4).toString();
// a small, fast search: 10-step teacher, 6 samples in one network batch, 2 candidates per round
const SMALL = ['--teacher-steps', '10', '--samples', '6', '--batch-size', '6', '--round-size', '2', '--speedup', '1.5', '--trials', '2'];
const QUICK = [...SMALL, '--baselines', 'none', '--grid-images', '0'];

describe('flexi sample on every family', () => {
  it('text-to-image: prompts cycle with the seeds; a truncated prompt is reported once', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const long = Array.from({ length: 90 }, () => 'cat').join(' ');
    const out = join(dir, 'a.png');
    const r = await flexi([
      'sample',
      '--model',
      MODELS.sd,
      '--schedule',
      'F N F N',
      '--count',
      '4',
      '--prompt',
      'a cat',
      '--prompt',
      long,
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(PNG(out)).toBe('PNG');
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^flexi sample: warning: Prompt "cat cat .*" has \d+ tokens.*truncated/);
  });

  it('text-to-image: --prompts (one a line, blank lines skipped) and --negative-prompt', { timeout: 60_000 }, async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'prompts.txt'), 'a red car\n\n  a blue boat  \n');
    const r = await flexi([
      ...['sample', '--model', MODELS.sd, '--schedule', 'F F', '--count', '3', '--prompts', join(dir, 'prompts.txt')],
      ...['--negative-prompt', 'blurry', '--out', join(dir, 'b.png')],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('empty prompt');
  });

  it('latent unconditional, pixel unconditional and class-conditional models', { timeout: 60_000 }, async () => {
    const dir = tmp();
    for (const [name, extra] of [
      ['ldm', []],
      ['uncond', []],
      ['tiny', ['--labels', '0-3']],
    ] as const) {
      const out = join(dir, `${name}.png`);
      const r = await flexi(['sample', '--model', MODELS[name], '--schedule', 'F P0 N | F P1 N', '--count', '4', ...extra, '--out', out]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(PNG(out)).toBe('PNG');
    }
  });
});

describe('flexi eval', () => {
  it('reports every signal it can compute, and why not the others', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const json = join(dir, 'eval.json');
    const r = await flexi([
      ...['eval', '--model', MODELS.sd, '--schedule', 'F N F N', '--samples', '4', '--timing-samples', '2'],
      ...['--prompt', 'a cat', '--prompt', 'a dog', '--features', INCEPTION, '--clip', makeClipDir(join(dir, 'clip'))],
      ...['--cache-dir', join(dir, 'cache'), '--json', json],
    ]);
    expect(r.code, r.stderr).toBe(0);
    for (const k of ['rfid', 'kid', 'psnr', 'clip', 'teacherClip', 'clipDrop', 'macSpeedup', 'wallSpeedup']) {
      expect(r.stdout).toMatch(new RegExp(`^${k} +-?\\d`, 'm'));
    }
    expect(r.stdout).toMatch(/^fid +not computed: model "sd15" has no referenceStats in its manifest$/m);
    expect(r.stdout).toMatch(
      /^classAccuracy +not computed: model "sd15" has no prompt attribute rules to read a class from its prompts \(evaluation\.attributes\)$/m,
    );
    expect(r.stdout).toMatch(
      /^brightnessAccuracy +not computed: model "sd15" has no prompt attribute rules \(evaluation\.attributes in its manifest\)$/m,
    );
    const results = JSON.parse(readFileSync(json, 'utf8'));
    expect(results.fid).toBeNull();
    expect(Object.keys(results.notComputed).sort()).toEqual([
      'brightnessAccuracy',
      'classAccuracy',
      'fid',
      'rfid-fid',
      'sizeAccuracy',
      'teacherFid',
    ]);
    expect(typeof results.clip).toBe('number');
  });

  it('without a feature network or --clip: PSNR, and the reason for the rest', { timeout: 60_000 }, async () => {
    const r = await flexi([
      'eval',
      '--model',
      MODELS.ldm,
      '--schedule',
      'F N F N',
      '--samples',
      '4',
      '--timing-samples',
      '2',
      '--cache-dir',
      join(tmp(), 'c'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^psnr +\d/m);
    expect(r.stdout).toMatch(/^rfid +not computed: no feature network: pass --features FILE.onnx/m);
    // a model that takes no prompts: that, before the missing --clip
    expect(r.stdout).toMatch(/^clip +not computed: model "[^"]+" \(latent\) takes no prompts$/m);
  });
});

describe('flexi search on every family', () => {
  it('text-to-image with a JSONL prompts file and --features; the report shows the prompts as text (Chromium)', {
    timeout: 120_000,
  }, async () => {
    const dir = tmp();
    const prompts = join(dir, 'prompts.jsonl');
    const evil = '<script>document.title="PWNED";window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
    writeFileSync(prompts, `{"prompt": "a cat", "negative_prompt": "blurry"}\n\n{"prompt": ${JSON.stringify(evil)}}\n`);
    const out = join(dir, 'run');
    const r = await flexi([
      ...['search', '--model', MODELS.sd, ...SMALL, '--grid-images', '4', '--prompts', prompts, '--features', INCEPTION],
      ...['--out', out, '--cache-dir', join(dir, 'cache')],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/best schedule: F/);
    const settings = JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8'));
    expect(settings.model).toBe(MODELS.sd);
    expect(settings.conditioning.prompts).toEqual([{ prompt: 'a cat', negativePrompt: 'blurry' }, { prompt: evil }]);
    expect(settings.features).toMatchObject({ file: INCEPTION, preset: 'inception' });
    const best = JSON.parse(readFileSync(join(out, 'best.json'), 'utf8'));
    expect(best).toMatchObject({ metric: 'rfid' });
    expect(best.rfid).toBe(best.objective);
    expect(existsSync(join(out, '.flexi-lock'))).toBe(false);

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toContain('<script');
    let chromium: typeof import('playwright-core').chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch {
      if (process.env['CI']) throw new Error('playwright-core is needed for the report check in CI');
      return;
    }
    if (!existsSync('/usr/bin/chromium')) {
      if (process.env['CI']) throw new Error('Chromium is required for the report check in CI (apt-get install chromium)');
      return;
    }
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, chromiumSandbox: false });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(out, 'report.html')}`);
      await page.waitForLoadState('load');
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.title()).not.toBe('PWNED');
      expect(await page.locator('ol.prompts li').allInnerTexts()).toEqual(['a cat  [negative: blurry]', evil]);
      expect(await page.locator('script').count()).toBe(0);
    } finally {
      await browser.close();
    }
  });

  it('--metric psnr needs no feature network (latent model); --metric clip scores the prompts', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const psnr = await flexi([
      'search',
      '--model',
      MODELS.ldm,
      ...QUICK,
      '--metric',
      'psnr',
      '--out',
      join(dir, 'p'),
      '--cache-dir',
      join(dir, 'c'),
    ]);
    expect(psnr.code, psnr.stderr).toBe(0);
    const best = JSON.parse(readFileSync(join(dir, 'p', 'best.json'), 'utf8'));
    expect(best.metric).toBe('psnr');
    expect(best.objective).toBeCloseTo(-best.psnr, 10);
    expect(best.rfid).toBeUndefined(); // no feature network: no rFID
    const clip = await flexi([
      ...['search', '--model', MODELS.sd, ...QUICK, '--metric', 'clip', '--clip', makeClipDir(join(dir, 'clip'))],
      ...['--prompt', 'a cat', '--prompt', 'a dog', '--out', join(dir, 'k'), '--cache-dir', join(dir, 'c')],
    ]);
    expect(clip.code, clip.stderr).toBe(0);
    expect(clip.stdout).toMatch(/CLIP-score drop vs teacher -?\d/);
    const b = JSON.parse(readFileSync(join(dir, 'k', 'best.json'), 'utf8'));
    expect(typeof b.clip).toBe('number');
    expect(b.objective).toBe(b.clipDrop);
  });

  it('class-conditional and unconditional pixel models, with the teacher cache keyed by the content of every file', {
    timeout: 60_000,
  }, async () => {
    const dir = tmp();
    const cache = ['--cache-dir', join(dir, 'cache')];
    const u = await flexi(['search', '--model', MODELS.uncond, ...QUICK, '--metric', 'psnr', '--out', join(dir, 'u'), ...cache]);
    expect(u.code, u.stderr).toBe(0);
    // a copy of the class-conditional model whose manifest has no SHA-256: before, its cache key was its name only
    const model = join(dir, 'tiny');
    cpSync(MODELS.tiny, model, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    delete manifest.unet.sha256;
    writeFileSync(join(model, 'model.json'), JSON.stringify(manifest));
    const run = (out: string) => flexi(['search', '--model', model, ...QUICK, '--metric', 'psnr', '--out', join(dir, out), ...cache]);
    const a = await run('a');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).not.toContain('teacher statistics: from the cache');
    const b = await run('b');
    expect(b.stderr).toContain('teacher statistics: from the cache');
    // edit the UNet file (an unknown protobuf field appended: the graph is unchanged, its bytes are not)
    copyFileSync(join(model, 'unet.onnx'), join(dir, 'unet.bak'));
    writeFileSync(join(model, 'unet.onnx'), Buffer.concat([readFileSync(join(dir, 'unet.bak')), Buffer.from([0x98, 0x06, 0x01])]));
    const c = await run('c');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).not.toContain('teacher statistics: from the cache');
  });
});
