import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, resolveModelDir, saveImageGrid, saveSamplesAsPng } from '../src/index.js';
import { STAND_INS } from './model-path.js';

describe('loadModel (stand-in UNet)', () => {
  it('loads a model folder, generates, streams, profiles and saves PNGs', async () => {
    const events: string[] = [];
    const model = await loadModel(join(STAND_INS, 'tiny-unet'), { threads: 1, onProgress: (e) => events.push(e.phase) });
    try {
      expect(events.every((p) => p === 'load')).toBe(true);
      expect(model.branches).toBe(3);
      const r = await model.generate({ schedule: 'F P0 N | F P2 N', labels: [1, 2, 3], seeds: [1, 2, 3], batchSize: 2 });
      expect(r.shape).toEqual([3, 1, 16, 16]);
      const offsets: number[] = [];
      for await (const b of model.stream({ schedule: 'F P0 N | F P2 N', labels: [1, 2, 3], seeds: [1, 2, 3], batchSize: 2 })) {
        offsets.push(b.offset);
        expect(b.samples).toEqual(r.samples.subarray(b.offset * 256, (b.offset + b.count) * 256));
      }
      expect(offsets).toEqual([0, 2]);
      const dir = await mkdtemp(join(tmpdir(), 'flexi-out-'));
      await saveSamplesAsPng(dir, r.samples, r.shape, model.imageOptions);
      await saveImageGrid(join(dir, 'grid.png'), r.samples, r.shape, model.imageOptions);
      expect((await readdir(dir)).sort()).toEqual(['grid.png', 'sample-0000.png', 'sample-0001.png', 'sample-0002.png']);
      const p = await model.profile({ batchSize: 2, repeats: 1, warmup: 0 });
      expect(p.partialMacRatio).toHaveLength(3);
      expect(p.partialMacRatio.every((x) => x > 0 && x < 1)).toBe(true);
    } finally {
      await model.dispose();
    }
    await expect(model.generate({ schedule: 'F', count: 1 })).rejects.toMatchObject({ code: 'disposed' });
  });

  it('explains an unknown model name or folder', () => {
    expect(() => resolveModelDir('mnist')).toThrow(
      'Unknown model "mnist": expected one of the embedded models ("fashion", "fashion-sd") or a folder holding model.json or a diffusers ONNX export (model_index.json).',
    );
    expect(() => resolveModelDir(STAND_INS)).toThrow(/has neither/);
  });
});
