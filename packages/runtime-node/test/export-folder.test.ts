import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '@flexiffusion/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource, loadModel, resolveModelDir } from '../src/index.js';

/** The diffusers-layout export stand-ins of @flexiffusion/runtime's tests (tools/stand-ins/make_export_stand_ins.py). */
const EXPORTS = new URL('../../runtime/test/fixtures/exports/', import.meta.url).pathname;

describe('loadModel on a diffusers / optimum export folder, as it is', () => {
  it.each([
    ['sd15', 'a photo of a cat'],
    ['sd2', 'a red dress'],
  ])('%s: no hand-written file; prompts generate images', async (name, prompt) => {
    const dir = join(EXPORTS, name);
    expect(resolveModelDir(dir)).toBe(dir.replace(/\/$/, ''));
    const model = await loadModel(dir, { threads: 1 });
    try {
      expect(model.manifest.family).toBe('stable-diffusion');
      expect(model.manifest.name).toBe(name);
      expect(model.branches).toBe(3);
      const r = await model.generate({ schedule: 'F P0 N | F P2 N', prompts: [prompt, ''], seeds: [3, 4] });
      expect(r.shape).toEqual([2, 3, 16, 16]);
      expect(r.samples.every(Number.isFinite)).toBe(true);
      const p = await model.profile({ batchSize: 1, repeats: 1, warmup: 0 });
      expect(p.partialMacRatio.every((x) => x > 0 && x < 1)).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it('uncond: its model.json maps the tensor names, the rest is derived', async () => {
    const model = await loadModel(join(EXPORTS, 'uncond'), { threads: 1 });
    try {
      expect(model.manifest.unet.inputs).toEqual({ sample: 'x_t', timestep: 't' });
      const r = await model.generate({ schedule: 'F P0 P1 F', count: 2 });
      expect(r.shape).toEqual([2, 3, 16, 16]);
    } finally {
      await model.dispose();
    }
  });
});

describe('fileSource: nothing outside the model folder is read', () => {
  let dir: string;
  let outside: string;

  beforeAll(async () => {
    const base = await mkdtemp(join(tmpdir(), 'flexi-export-'));
    dir = join(base, 'uncond');
    outside = join(base, 'secret.onnx');
    await cp(join(EXPORTS, 'uncond'), dir, { recursive: true });
    await writeFile(outside, 'not yours');
    await symlink(outside, join(dir, 'escape.onnx'));
    await symlink(join(dir, 'unet', 'config.json'), join(dir, 'inside.json'));
  });
  afterAll(() => rm(join(dir, '..'), { recursive: true, force: true }));

  it('refuses ../, absolute and drive paths, and a symlink that resolves outside; follows one that stays inside', async () => {
    const src = fileSource(dir);
    for (const p of ['../secret.onnx', '/etc/passwd', 'C:/x.onnx', 'unet/../../secret.onnx']) {
      await expect(src.readFile(p)).rejects.toMatchObject({ code: 'invalid-manifest', message: expect.stringMatching(/^Refused to read/) });
    }
    const e = await src.readFile('escape.onnx').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RuntimeError);
    expect((e as RuntimeError).message).toContain(`it resolves to ${outside}, outside the model folder`);
    expect(new TextDecoder().decode(await src.readFile('inside.json'))).toMatch(/UNet2DModel/);
  });

  it('a manifest naming a symlinked file outside the folder fails to load, naming it', async () => {
    await writeFile(join(dir, 'model.json'), JSON.stringify({ unet: { file: 'escape.onnx', inputs: { sample: 'x_t', timestep: 't' } } }));
    await expect(loadModel(dir, { threads: 1 })).rejects.toMatchObject({
      code: 'invalid-manifest',
      message: expect.stringMatching(/Refused to read "escape\.onnx" .*outside the model folder/),
    });
  });
});
