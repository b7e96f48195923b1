import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flexi } from './helpers.js';

/** The diffusers-layout export stand-ins of @flexiffusion/runtime's tests. */
const EXPORTS = new URL('../../runtime/test/fixtures/exports/', import.meta.url).pathname;

/** A copy of an export stand-in in a fresh folder (inspect --write writes into it). */
function copyOf(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'flexi-inspect-')), name);
  cpSync(join(EXPORTS, name), dir, { recursive: true });
  return dir;
}

describe('flexi inspect', { timeout: 120_000 }, () => {
  it('prints the derived manifest, the defaults used and the cut points with MAC and latency ratios', async () => {
    const r = await flexi(['inspect', join(EXPORTS, 'sd2'), '--repeats', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/a diffusers export \(OnnxStableDiffusionPipeline\): manifest derived from its files/);
    expect(r.stdout).toMatch(/"prediction": "v_prediction"/);
    expect(r.stdout).toMatch(/vae\.scalingFactor: 0\.18215 \(the SD-1\.x \/ 2\.x default/);
    const rows = r.stdout.split('\n').filter((l) => /^ {2}\d +(up_blocks|mid_block)/.test(l));
    expect(rows.map((l) => l.trim().split(/\s+/)[1])).toEqual(['up_blocks.1', 'up_blocks.0', 'mid_block']);
    const macs = rows.map((l) => Number(l.trim().split(/\s+/)[2]!.replace('%', '')));
    for (let i = 1; i < macs.length; i++) expect(macs[i]!).toBeGreaterThan(macs[i - 1]!);
    expect(r.stdout).toMatch(/not proposed: up_blocks\.2/);
  });

  it('--write writes model.json atomically, refuses to replace it without --force, and the folder loads with it', async () => {
    const dir = copyOf('sd15');
    const first = await flexi(['inspect', dir, '--write', '--repeats', '0']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`wrote ${join(dir, 'model.json')}`);
    const written = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { unet: { cache: unknown[] }; family: string };
    expect(written.family).toBe('stable-diffusion');
    expect(written.unet.cache).toHaveLength(3);
    const again = await flexi(['inspect', dir, '--write']);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/model\.json exists: pass --force to replace it/);
    // a user's edit wins over what is derived
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ ...written, unet: { ...written.unet, cache: [{ ...(written.unet.cache[2] as object), branch: 0 }] } }),
    );
    const edited = await flexi(['inspect', dir, '--repeats', '0']);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toMatch(/with model\.json over it/);
    expect(edited.stdout).toMatch(/proposed, not in the manifest:\n {2}up_blocks\.1/);
    const forced = await flexi(['inspect', dir, '--write', '--force', '--repeats', '0']);
    expect(forced.code).toBe(0);
  });

  it('bad input exits 2 with one line: no folder, --force alone, a cut point that is a graph input, a typo', async () => {
    const none = await flexi(['inspect', '/nonexistent/model']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^flexi inspect: Unknown model "\/nonexistent\/model"/);
    const force = await flexi(['inspect', join(EXPORTS, 'sd15'), '--force']);
    expect(force.code).toBe(2);
    expect(force.stderr).toMatch(/--force only goes with --write/);
    const dir = copyOf('uncond');
    const mapping = { unet: { inputs: { sample: 'x_t', timestep: 't' }, cache: [{ branch: 0, tensor: 'x_t' }] } };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(mapping));
    const input = await flexi(['inspect', dir]);
    expect(input.code).toBe(2);
    expect(input.stderr.trim().split('\n')).toHaveLength(1);
    expect(input.stderr).toMatch(/Invalid cut point unet\.cache\[0\]\.tensor "x_t": it is a graph input/);
    mapping.unet.cache[0]!.tensor = '/mid_block/resnets.1/Add_1_outpt_0';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(mapping));
    const typo = await flexi(['inspect', dir]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Unknown cut point unet\.cache\[0\]\.tensor .*Nearest names: "\/mid_block\/resnets\.1\/Add_1_output_0"/);
  });

  it('is listed in flexi --help, with its options in flexi inspect --help', async () => {
    expect((await flexi(['--help'])).stdout).toMatch(/ {2}inspect {2}show a model or diffusers export/);
    const help = await flexi(['inspect', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: flexi inspect \[options\] DIR/);
    expect(help.stdout).toMatch(/--write/);
  });
});
