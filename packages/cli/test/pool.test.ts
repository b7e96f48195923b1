import { describe, expect, it } from 'vitest';
import { loadModel } from '@flexiffusion/runtime-node';
import { parseSchedule } from '@flexiffusion/schedule';
// the worker is a built file: use the package's dist
import { createGeneratorPool } from '../dist/internal/generator-pool.js';
import { MODEL } from './helpers.js';

describe('generator pool', () => {
  it('gives identical samples whatever the concurrency', { timeout: 120_000 }, async () => {
    const model = await loadModel(MODEL, { threads: 1 });
    const settings = { model: MODEL, device: 'cpu' as const, sampler: 'ddim' as const, nullMode: 'skip' as const, batchSize: 3 };
    const req = { schedule: parseSchedule('F P0 N | F P2 N | F P1 P1'), seeds: [5, 6, 7, 8, 9, 10, 11], labels: [0, 1, 2, 3, 4, 5, 6] };
    const one = await createGeneratorPool(settings, 1, model);
    const two = await createGeneratorPool(settings, 2, model);
    try {
      const a = await one.generate(req);
      const b = await two.generate(req);
      expect(b.shape).toEqual(a.shape);
      expect(Buffer.from(b.samples.buffer).equals(Buffer.from(a.samples.buffer))).toBe(true);
    } finally {
      await one.dispose();
      await two.dispose();
      await model.dispose();
    }
  });
});
