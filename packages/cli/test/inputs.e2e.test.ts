// Every bad input is one line on stderr naming the value and what is valid, exit 2, and nothing
// written; failures exit 1, Ctrl-C 130. A locked folder is refused; a search resumes from any folder.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, flexi, INCEPTION, MODELS, tmp } from './helpers.js';

const QUICK = [
  ...['--teacher-steps', '10', '--samples', '6', '--batch-size', '6', '--round-size', '2', '--speedup', '1.5'],
  ...['--trials', '2', '--baselines', 'none', '--grid-images', '0'],
];

/** Exit code 2 and one line on stderr containing `message`. */
async function bad(args: string[], message: string | RegExp, options: { cwd?: string } = {}): Promise<string> {
  const r = await flexi(args, options);
  const lines = r.stderr.trim().split('\n');
  expect(r.code, r.stderr).toBe(2);
  expect(lines.at(-1)).toMatch(typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message);
  return lines.at(-1)!;
}

describe('bad prompts', () => {
  const sample = ['sample', '--model', MODELS.sd, '--schedule', 'F N', '--count', '2', '--out', join(tmp(), 'x.png')];
  it('a missing prompts file', async () => {
    await bad(
      [...sample, '--prompts', '/nonexistent/prompts.txt'],
      'flexi sample: cannot read --prompts "/nonexistent/prompts.txt": no such file.',
    );
  });
  it('bad JSONL names the file and line', { timeout: 60_000 }, async () => {
    const f = join(tmp(), 'p.jsonl');
    writeFileSync(f, '{"prompt": "a cat"}\n{"prompt": "a dog"\n');
    await bad([...sample, '--prompts', f], new RegExp(`^flexi sample: ${f}:2: invalid JSON \\(`));
    writeFileSync(f, '{"prompt": 3}\n');
    await bad([...sample, '--prompts', f], `flexi sample: ${f}:1: "prompt" must be a string, got 3.`);
    const g = join(tmp(), 'p.txt');
    writeFileSync(g, '\n{"text": "no prompt field"}\n');
    await bad([...sample, '--prompts', g], `flexi sample: ${g}:2: "prompt" must be a string, got nothing.`);
  });
  it('prompts on a class-conditional model, labels on a text-to-image one', { timeout: 60_000 }, async () => {
    await bad(
      ['sample', '--model', MODELS.tiny, '--schedule', 'F N', '--prompt', 'a cat'],
      'flexi sample: prompts (--prompt, --prompts) given, but model "tiny-unet" (class-conditional) takes no prompts. ' +
        'It takes class labels.',
    );
    await bad(
      ['sample', '--model', MODELS.ldm, '--schedule', 'F N', '--negative-prompt', 'blurry'],
      'takes no prompts. It takes no conditioning.',
    );
    await bad(
      ['sample', '--model', MODELS.sd, '--schedule', 'F N', '--labels', '1'],
      'flexi sample: --labels given, but model "sd15" (stable-diffusion) takes no class labels. It takes prompts (--prompt, --prompts).',
    );
  });
  it('an image size the model does not make', async () => {
    await bad([...sample, '--height', '48'], /flexi sample: Invalid height 48: model "sd15" .* so height must be \d+ \(or left out\)\./);
  });
});

describe('bad models', () => {
  it('an unknown model, a folder without a model, a broken manifest', { timeout: 60_000 }, async () => {
    await bad(
      ['sample', '--model', '/nonexistent/model', '--schedule', 'F N'],
      'flexi sample: cannot load model "/nonexistent/model": Unknown model',
    );
    const dir = tmp();
    writeFileSync(join(dir, 'model.json'), '{"format": 1, "name": ');
    await bad(['sample', '--model', dir, '--schedule', 'F N'], `flexi sample: cannot load model "${dir}":`);
  });
});

describe('a search that fails at start writes nothing', () => {
  it('--metric rfid without a feature network', { timeout: 60_000 }, async () => {
    const out = join(tmp(), 'o');
    await bad(
      ['search', '--model', MODELS.ldm, ...QUICK, '--out', out],
      'flexi search: --metric rfid needs a feature network, and model "ldm-stand-in" has no featureNetwork in its manifest. ' +
        'Pass --features FILE.onnx',
    );
    expect(existsSync(out)).toBe(false);
  });
  it('bad --features files: missing, not ONNX, not an image network; a --clip folder without its files', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const out = join(dir, 'o');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const search = ['search', '--model', MODELS.sd, ...QUICK, '--prompt', 'a cat', '--out', out];
    await bad([...search, '--features', join(dir, 'missing.onnx')], `cannot read --features "${join(dir, 'missing.onnx')}": no such file.`);
    await bad([...search, '--features', join(MODELS.sd, 'model_index.json')], 'is not an ONNX model onnxruntime can open:');
    await bad(
      [...search, '--features', join(MODELS.sd, 'vae_decoder', 'model.onnx')],
      /\(inception preset\) does not run on this model's 3×\d+×\d+ images: /,
    );
    await bad([...search, '--features', INCEPTION, '--features-preset', 'none'], 'has 2 outputs (pool3, probe); expected one.');
    await bad([...search, '--metric', 'clip', '--clip', dir], `flexi search: --clip "${dir}" is not a CLIP export: missing`);
    await bad([...search.slice(0, -2), '--metric', 'clip', '--out', out], 'flexi search: --metric clip needs --clip DIR');
    await bad(
      [...search, '--features', INCEPTION, '--metric', 'fid'],
      /flexi search: --metric fid compares with real data, but model "[^"]+" has no referenceStats in its manifest\. Choose --metric rfid/,
    );
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });
});

describe('search folders', () => {
  it('a folder held by a live search is refused; a dead one is taken over', { timeout: 60_000 }, async () => {
    const out = join(tmp(), 'o');
    mkdirSync(out);
    const lock = join(out, '.flexi-lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: 'earlier' }));
    await bad(
      ['search', '--model', MODELS.ldm, ...QUICK, '--metric', 'psnr', '--out', out],
      `flexi search: "${out}" is in use by another search: process ${process.pid} on ${hostname()} (started earlier).`,
    );
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, hostname: hostname(), startedAt: 'earlier' }));
    const r = await flexi([
      'search',
      '--model',
      MODELS.ldm,
      ...QUICK,
      '--metric',
      'psnr',
      '--out',
      out,
      '--cache-dir',
      join(out, '..', 'c'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`taking over the lock of process ${2 ** 22 + 12345} (started earlier), which is no longer running`);
    expect(existsSync(lock)).toBe(false);
  });

  it('--resume works from any folder, also for a folder that stored its model as a relative path', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const out = join(dir, 'o');
    const cache = ['--cache-dir', join(dir, 'c')];
    const a = await flexi(['search', '--model', MODELS.ldm, ...QUICK, '--metric', 'psnr', '--out', out, ...cache]);
    expect(a.code, a.stderr).toBe(0);
    // as searches before absolute paths stored it: relative to the folder it was started from (here the search folder's parent)
    const rel = relative(dir, MODELS.ldm);
    for (const f of ['settings.json', 'header.json']) {
      const p = join(out, f);
      writeFileSync(p, readFileSync(p, 'utf8').replaceAll(JSON.stringify(MODELS.ldm), JSON.stringify(rel)));
    }
    const elsewhere = tmp();
    const b = await flexi(['search', '--resume', out, '--trials', '3', ...cache], { cwd: elsewhere });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/trials replayed from the store/);
    expect(JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8')).model).toBe(rel);
    expect(dirname(out)).toBe(dir);
  });
});

describe('Ctrl-C', () => {
  it('flexi sample stops and exits 130, writing nothing', { timeout: 60_000 }, async () => {
    const out = join(tmp(), 'big.png');
    const child = spawn(
      process.execPath,
      [BIN, 'sample', '--model', MODELS.sd, '--schedule', 'F F F F F F F F F F', '--count', '100000', '--batch-size', '4', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // one Ctrl-C, as a user presses it: a second one (from a later chunk) would be "quit at once"
      if (!sent && stderr.includes('sampling [')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('sampling interrupted; nothing was written.');
    expect(existsSync(out)).toBe(false);
  });
});

describe('--searcher autodiffusion', () => {
  it('searches subsets of k = T / speedup kept steps, and refuses a null mode other than skip', { timeout: 120_000 }, async () => {
    const dir = tmp();
    const quick = QUICK.filter((_, i, a) => a[i] !== '--speedup' && a[i - 1] !== '--speedup');
    const args = ['search', '--model', MODELS.tiny, '--metric', 'psnr', '--searcher', 'autodiffusion', '--speedup', '4', ...quick];
    const r = await flexi([...args, '--out', join(dir, 'o'), '--cache-dir', join(dir, 'c')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /searching \d+ schedules \(T=10, 2 of the 10 steps kept, the others skipped\) with the autodiffusion searcher/,
    );
    const best = JSON.parse(readFileSync(join(dir, 'o', 'best.json'), 'utf8'));
    expect(best.schedule.split(/\s+/).filter((s: string) => s === 'F').length).toBe(2);
    await bad(
      [...args, '--null-mode', 'reuse', '--out', join(dir, 'p')],
      /--searcher autodiffusion searches timestep subsets .* needs --null-mode skip, not "reuse"/,
    );
  });
});
