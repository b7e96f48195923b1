// Keeps examples/custom-sampler and docs/guides/custom-sampler.md from rotting: the example's
// samplers run through generate() here against the built-in DDIM, and the guide quotes the file verbatim.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clippedDdim, eulerSampler } from '../../../examples/custom-sampler/samplers.js';
import { openModel, type Model } from '../src/index.js';
import { fixtureSource, maxAbsDiff, testBackend } from './helpers.js';

const read = (p: string): string => readFileSync(fileURLToPath(new URL(p, import.meta.url)), 'utf8');

describe('examples/custom-sampler', () => {
  let model: Model;
  beforeAll(async () => {
    model = await openModel({ source: fixtureSource('tiny-unet'), backend: testBackend() });
  });
  afterAll(() => model.dispose());

  it('the Euler sampler matches DDIM within float rounding; clippedDdim(Infinity) is DDIM bit for bit', async () => {
    const base = { schedule: 'F P0 N | F P1 N | F N N', labels: [0, 4], seeds: [7, 8] } as const;
    const ddim = await model.generate({ ...base, sampler: 'ddim' });
    const euler = await model.generate({ ...base, sampler: eulerSampler });
    expect(maxAbsDiff(euler.samples, ddim.samples)).toBeLessThan(1e-4);
    expect((await model.generate({ ...base, sampler: clippedDdim(Infinity) })).samples).toEqual(ddim.samples);
    const clipped = await model.generate({ ...base, sampler: clippedDdim(0.5) });
    expect(maxAbsDiff(clipped.samples, ddim.samples)).toBeGreaterThan(1e-3);
  });

  it('is quoted verbatim by docs/guides/custom-sampler.md', () => {
    const source = read('../../../examples/custom-sampler/samplers.ts');
    expect(read('../../../docs/guides/custom-sampler.md')).toContain(source.trim());
  });
});
