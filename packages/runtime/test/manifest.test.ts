import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RuntimeError, loadManifest, parseManifest, readModelFile, validateManifest, type ModelManifest } from '../src/index.js';
import { STAND_INS, fixtureSource } from './helpers.js';

async function fixture(name: string): Promise<ModelManifest> {
  return parseManifest(await readFile(`${STAND_INS}${name}/model.json`, 'utf8'));
}

describe('manifest', () => {
  it('accepts the stand-in manifests of every family', async () => {
    expect((await fixture('tiny-unet')).family).toBe('class-conditional');
    expect((await fixture('ldm')).family).toBe('latent');
    expect((await fixture('sd')).family).toBe('stable-diffusion');
    expect((await loadManifest(fixtureSource('tiny-unet'))).unet.cache).toHaveLength(3);
  });

  it('keeps fields the format does not define', async () => {
    const m = validateManifest({ ...(await fixture('tiny-unet')), description: 'x', testSample: { file: 'a.u8', count: 100 } });
    expect((m as unknown as { testSample: unknown }).testSample).toEqual({ file: 'a.u8', count: 100 });
  });

  it('lists every problem with its JSON path', async () => {
    const good = await fixture('tiny-unet');
    const bad = {
      ...good,
      format: 2,
      family: 'gan',
      unet: { ...good.unet, sampleShape: [1, 32], cache: [{ branch: 1, tensor: 'x' }], prediction: 'noise' },
      scheduler: { ...good.scheduler, betaSchedule: 'cosine' },
    };
    try {
      validateManifest(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RuntimeError);
      const err = e as RuntimeError;
      expect(err.code).toBe('invalid-manifest');
      expect(err.issues.map((i) => i.path)).toEqual([
        'format',
        'manifest.family',
        'unet.sampleShape',
        'unet.prediction',
        'unet.cache[0].branch',
        'scheduler.betaSchedule',
      ]);
      expect(err.issues[1]!.message).toBe(
        'Unsupported manifest.family "gan". Should be one of: "class-conditional", "unconditional", "latent", "stable-diffusion".',
      );
      expect(err.message).toMatch(/6 problems/);
    }
  });

  it('requires the blocks of the family', async () => {
    const sd = await fixture('sd');
    const { textEncoder: _t, vae: _v, ...rest } = sd;
    expect(() => validateManifest(rest)).toThrow(/Missing vae/);
    const cc = await fixture('tiny-unet');
    expect(() => validateManifest({ ...cc, conditioning: { numClasses: 10, unconditionalLabel: 3 } })).toThrow(
      /unconditionalLabel 3: it is one of the classes 0..9/,
    );
  });

  it('reports invalid JSON, missing files and checksum mismatches', async () => {
    expect(() => parseManifest('{ nope')).toThrow(/not valid UTF-8 JSON/);
    const source = fixtureSource('tiny-unet');
    await expect(readModelFile(source, 'missing.onnx', { role: 'unet.file' })).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringMatching(/Cannot read unet.file file "missing.onnx" in .*tiny-unet/),
    });
    await expect(readModelFile(source, 'unet.onnx', { sha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'checksum-mismatch' });
    const m = await fixture('tiny-unet');
    expect((await readModelFile(source, m.unet.file, { sha256: m.unet.sha256! })).byteLength).toBeGreaterThan(1000);
  });
});
